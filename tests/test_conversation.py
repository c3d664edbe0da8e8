"""Follow-up questions are made standalone from the turns before them; questions that name
their own subject are left alone."""

import pytest

from rag.conversation import Referent, Turn, asked_for, question_names, standalone


def turn(question, *referents, topic=""):
    return Turn(question, question, tuple(Referent(t, label, t in question) for t, label in referents),
                topic)


@pytest.mark.parametrize("question, previous, expected", [
    ("What did she warn against?", turn("Who is Betsy Cooper?", ("Betsy Cooper", "PERSON")),
     "What did Betsy Cooper warn against?"),
    ("What legislation has he sponsored?",
     turn("What did Rubio say?", ("ZTE", "ORG"), ("Marco Rubio", "PERSON")),
     "What legislation has Marco Rubio sponsored?"),
    ("What is its budget?", turn("Who runs the Coastal Marine Lab?", ("Coastal Marine Lab", "ORG")),
     "What is Coastal Marine Lab’s budget?"),
    ("How much will it cost?", turn("How long is the network?", ("The City Council", "ORG")),
     "How long is the network? How much will it cost?"),  # "it" is not the council
    ("What was her name?", turn("What did the bakery owner lose?", ("Priya Nair", "PERSON")),
     "What did the bakery owner lose? What was her name?"),
    ("for how long?", turn("Why was ZTE banned?"), "Why was ZTE banned? For how long?"),
    ("And the second?", turn("What is the first part?", topic="What does McConnell suggest?"),
     "What does McConnell suggest? And the second?"),
    ("why?", turn("Who voted no?", ("Dana Okafor", "PERSON")), "Who voted no? Why?"),
])
def test_follow_ups_are_rewritten(question, previous, expected):
    content = {"What did she warn against?": 1, "What legislation has he sponsored?": 2,
               "What is its budget?": 1, "How much will it cost?": 1,
               "What was her name?": 1}.get(question, 0)
    assert standalone(question, previous, content)[0] == expected


@pytest.mark.parametrize("question", ["What did the mayor say?", "Who is the contractor?",
                                      "How much did the repairs cost?"])
def test_questions_that_name_their_subject_are_left_alone(question):
    previous = turn("Who is Betsy Cooper?", ("Betsy Cooper", "PERSON"))
    assert standalone(question, previous, 1) == (question, question)


def test_a_pronoun_without_a_referent_of_its_kind_is_asked_with_the_topic():
    previous = turn("When did the population collapse?", ("2014", "DATE"))
    assert standalone("What caused it?", previous, 1)[0] == (
        "When did the population collapse? What caused it?")


def test_the_first_question_stands_alone():
    assert standalone("why?", None, 0) == ("why?", "why?")


def test_question_words_are_not_what_a_question_is_about():
    assert asked_for("for how long?").split() == ["for", "?"]
    assert [r.text for r in question_names("What did Marco Rubio tell the Senate?")] == [
        "Marco Rubio", "Senate"]


def test_a_conversation_resolves_pronouns_with_the_article_entities(bot):
    conversation = bot.conversation()
    first = conversation.ask("Who is Betsy Cooper?")
    assert first.interpreted_as is None
    follow = conversation.ask("What did she warn against?")
    assert follow.interpreted_as == "What did Betsy Cooper warn against?"
    assert "warned against taking" in follow.answer


def test_a_question_with_its_own_subject_is_not_hijacked(bot):
    conversation = bot.conversation()
    conversation.ask("Who is Betsy Cooper?")
    after = conversation.ask("How many sea stars did volunteers count?")
    alone = bot.ask("How many sea stars did volunteers count?")
    assert after.interpreted_as is None and after.answer == alone.answer


def test_later_turns_use_the_resolved_topic_not_the_raw_follow_up(bot):
    conversation = bot.conversation()
    conversation.ask("Why was ZTE banned?")
    conversation.ask("why?")
    third = conversation.ask("for how long?")
    assert third.interpreted_as == "Why was ZTE banned? For how long?"
    assert "seven years" in " ".join(q.text for q in third.quotes)


def test_context_argument_still_works(bot):
    answer = bot.ask("for how long?", context="Why was ZTE banned?")
    assert answer.question == "for how long?"
    assert answer.interpreted_as == "Why was ZTE banned? For how long?"


def test_a_continuation_that_names_its_subject_stands_alone():
    previous = turn("What did the Pentagon ban?", ("Pentagon", "ORG"))
    assert standalone("And what has the FCC proposed?", previous, 2)[0] == (
        "And what has the FCC proposed?")
