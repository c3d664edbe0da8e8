"""Follow-up questions are made standalone from the turns before them; questions that name
their own subject are left alone."""

import dataclasses
import shutil
from pathlib import Path

import pytest

from rag import Chatbot, Settings
from rag.build import build_index
from rag.chunk import Entity, Sentence
from rag.conversation import (Names, Turn, asked_for, asks_about, asks_for_more, standalone,
                              without_more)
from rag.errors import ConfigError
from rag.mentions import Referent, plural_phrase, question_names
from rag.pointing import (asks_amount, asks_meaning, asks_what_next, asks_who_said, asks_why,
                          asks_words_of, enumerated_item, goes_on, opens_with_why, reason_for,
                          said_by, speaker, who_said)
from rag.rank import asks_for_kind, shipped_params


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
    ("What was her objection?", turn("Who voted no?", ("Dana Okafor", "PERSON")),
     "What was Dana Okafor’s objection?"),  # "her" before a noun owns it
    ("Did the board ask her to resign?", turn("Who voted no?", ("Dana Okafor", "PERSON")),
     "Did the board ask Dana Okafor to resign?"),
    ("Who is she?", turn("Who voted no?", ("Dana Okafor", "PERSON")), "Who is Dana Okafor?"),
    ("Who inspects the code there?",  # "there" is a place before it is a company
     turn("What did Huawei build in Britain?", ("Huawei", "ORG"), ("Britain", "GPE")),
     "Who inspects the code in Britain?"),
    ("How many homes are going in there?",  # not "going in in Riverton"
     turn("What did the council decide in Riverton?", ("Riverton", "GPE")),
     "How many homes are going in Riverton?"),
])
def test_follow_ups_are_rewritten(question, previous, expected):
    content = {"What did she warn against?": 1, "What legislation has he sponsored?": 2,
               "What is its budget?": 1, "How much will it cost?": 1,
               "What was her name?": 1, "Who inspects the code there?": 2,
               "How many homes are going in there?": 2}.get(question, 0)
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
    assert follow.interpreted_as == "What did Cooper warn against?"
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


def test_sentence_openers_are_not_names():
    names = question_names("What does Bruce McConnell suggest? And the second? Could it?")
    assert [r.text for r in names] == ["Bruce McConnell"]
    assert [r.text for r in question_names("Why? For how long did ZTE stop?")] == ["ZTE"]


def test_a_possessive_name_is_the_name():
    """So that "they" after "Who got Dunmore's late winner?" can name Dunmore."""
    assert [r.text for r in question_names("Who got Dunmore's late winner against Castlereagh?")
            ] == ["Dunmore", "Castlereagh"]
    assert [r.text for r in question_names("What is Cindervale’s plan for the U.S.?")] == [
        "Cindervale", "U.S."]
    assert [r.text for r in question_names("Tell me about Dunmore's.")] == ["Dunmore"]
    assert standalone("When will they open the plant?", turn(
        "What is Cindervale’s plan?", ("Cindervale", "ORG")), 2)[0] == (
        "When will Cindervale open the plant?")


def sentences(*texts, paragraphs=None):
    """Consecutive sentences of one article, each in its own paragraph unless given."""
    out, start = [], 0
    for number, text in enumerate(texts):
        people = [Entity("PERSON", start + text.index(name), start + text.index(name) + len(name))
                  for name in ("Ana Ruiz", "Tom Berg") if name in text]
        paragraph = paragraphs[number] if paragraphs else number + 1
        out.append(Sentence("d", "", paragraph, start, start + len(text), text, tuple(people)))
        start += len(text) + 1
    return out


PLAN = sentences("The mayor suggests a three-step plan.", "First, the city should map the pipes.",
                 "“That is overdue,” she said.", "Second, it should replace the oldest ones.",
                 "Finally, it should publish the results.", "The council meets on Monday.")


@pytest.mark.parametrize("question, at, expected", [
    ("What is the first part?", 0, 1),  # the enumeration follows the answer
    ("And the second?", 1, 3),  # after the first item was the answer
    ("and the first one?", 3, 1),  # backwards too
    ("What is the third step?", 0, None),  # no "Third, ..." sentence: not guessed
    ("And the last?", 0, 4),
    ("Why?", 0, None),  # asks for no item
])
def test_an_ordinal_picks_the_item_of_the_enumeration_near_the_answer(question, at, expected):
    assert enumerated_item(question, PLAN, at) == expected


def test_the_other_one_is_the_other_item_of_two():
    two = sentences("She made two points.", "First, costs.", "Second, delays.")
    assert enumerated_item("and the other one?", two, 1) == 2
    assert enumerated_item("and the other one?", two, 0) is None  # which other? not known


def test_who_said_that_is_the_person_quoted_in_or_right_after_the_answer():
    assert asks_who_said("Who said that?") and asks_who_said("and who said this")
    assert not asks_who_said("Who said the ban was crazy?")  # names what was said
    said = sentences("“It is not hard,” said Ana Ruiz, an expert.")
    name = said[0].start + said[0].text.index("Ana Ruiz")
    assert speaker(said, 0) == (0, (name, name + len("Ana Ruiz")))
    quoted = sentences("“It is not hard.", "But it takes time,” Tom Berg said.", paragraphs=[4, 4])
    assert speaker(quoted, 0)[0] == 1  # the attribution follows the quote
    apart = sentences("“It is not hard.", "Tom Berg said so later.", paragraphs=[4, 5])
    assert speaker(apart, 0) is None  # not across paragraphs
    goes_on = sentences("“It is hard,” Ana Ruiz said.", "“But it takes time.”", paragraphs=[4, 4])
    assert speaker(goes_on, 1)[0] == 0  # a quote that goes on from the sentence before
    assert speaker(sentences("Costs rose, Ana Ruiz said.", "Rents fell.", paragraphs=[4, 4]),
                   1) is None  # only a quote goes on
    # a call to do something tells who speaks too, not only "said"
    urged = sentences("Ana Ruiz, an epidemiologist, urged consumers not to eat them.",
                      "“Freezing does not kill it,” Tom Berg said.", paragraphs=[4, 4])
    assert speaker(urged, 0)[0] == 0
    # a name the tagger took for an organization, or a source, right beside the verb
    for text, name in (("“Audiences buy later,” said Nadine Rourke, the director.",
                        "Nadine Rourke"),
                       ("Hacking fell, according to FireEye and other firms.", "FireEye")):
        at = text.index(name)
        tagged = Sentence("d", "", 1, 0, len(text), text, (Entity("ORG", at, at + len(name)),))
        assert speaker([tagged], 0) == (0, (at, at + len(name)))
    # but not whom they told or urged, nor whom an announcement names
    for text, name, label in (("The minister told Reuters the plan would pass.", "Reuters", "ORG"),
                              ("The group urged Congress to reject it.", "Congress", "ORG"),
                              ("The company announced that Ana Ruiz would step down.",
                               "Ana Ruiz", "PERSON")):
        at = text.index(name)
        assert speaker([Sentence("d", "", 1, 0, len(text), text,
                                 (Entity(label, at, at + len(name)),))], 0) is None, text
    unattributed = "Costs rose, the Atlantic Festivals Network said in a report on Monday."
    far = unattributed.index("Monday")
    assert speaker([Sentence("d", "", 1, 0, len(unattributed), unattributed,
                             (Entity("DATE", far, far + 6),))], 0) is None
    assert who_said("“One two three four five six seven eight nine ten eleven,” he said.") == (
        "Who said “One two three four five six seven eight nine ten…”?")


def test_ordinal_follow_ups_answer_the_items_of_the_enumeration(bot):
    conversation = bot.conversation()
    conversation.ask("What does Bruce McConnell suggest?")
    first = conversation.ask("What is the first part?")
    assert first.answer.startswith("First, the U.S. government")
    assert first.interpreted_as == "What does Bruce McConnell suggest? What is the first part?"
    resumed = bot.resume(conversation.saved())  # a reloaded page goes on from the same place
    second = resumed.ask("And the second?")
    assert second.answer.startswith("Second, the U.S. and other governments")


def test_who_said_that_answers_with_the_speaker(bot):
    conversation = bot.conversation()
    conversation.ask("Are code inspections perfect?")
    said = conversation.ask("Who said that?")
    assert said.interpreted_as.startswith("Who said “Code inspections aren’t perfect")
    a, b = said.quotes[0].answer_span
    assert said.quotes[0].text[a:b] == "McConnell" and not said.abstained


def test_a_question_naming_its_subject_is_not_pointed_at_an_enumeration(bot):
    conversation = bot.conversation()
    conversation.ask("What does Bruce McConnell suggest?")
    after = conversation.ask("Who was the first Chinese company banned by the Pentagon?")
    assert after.interpreted_as is None


ARTICLES = Path(__file__).parent.parent / "eval" / "articles" / "raw"


@pytest.fixture(scope="module")
def two_articles(tmp_path_factory, encoder):
    """Two made-up articles of the conversation set: a mold verdict and a battery plant."""
    root = tmp_path_factory.mktemp("two-articles")
    (root / "corpus" / "raw").mkdir(parents=True)
    for name in ("mold-verdict.txt", "battery-plant.html"):
        shutil.copy(ARTICLES / name, root / "corpus" / "raw")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(settings, encoder=encoder)
    return Chatbot(settings)


def test_a_rewritten_follow_up_is_also_ranked_by_its_own_words(two_articles):
    conversation = two_articles.conversation()
    first = conversation.ask("How much did the jury award the Riverside Terrace tenants?")
    assert "$2.7 million" in first.answer.lower()  # the headline's or the lead's
    follow = conversation.ask("How much of that was punitive?")
    assert follow.interpreted_as == ("How much did the jury award the Riverside Terrace "
                                     "tenants? How much of that was punitive?")
    # Asked with the topic alone, the first answer's sentence comes first again.
    assert "$900,000 in punitive damages" in follow.answer


def test_a_company_s_short_name_is_not_a_person(two_articles):
    kinds = two_articles.retriever.entity_kinds
    assert kinds["cindervale technologies"] == "ORG" and kinds["cindervale"] == "ORG"
    # spaCy calls "Greer" an organization in most sentences; "Thomas Greer" is a person
    assert kinds["thomas greer"] == "PERSON" and kinds["greer"] == "PERSON"
    conversation = two_articles.conversation()
    conversation.ask("How much will Cindervale's new recycling plant cost?")
    follow = conversation.ask("What will they pay their workers?")
    assert follow.interpreted_as == "What will Cindervale pay their workers?"  # named once


def test_a_follow_up_is_answered_from_the_article_the_conversation_is_on(two_articles):
    conversation = two_articles.conversation()
    first = conversation.ask("How many apartments does Halvorsen own?")
    assert first.quotes[0].doc == "mold-verdict"
    follow = conversation.ask("How many workers will it hire?")
    assert follow.interpreted_as == "How many workers will Halvorsen hire?"
    # the battery plant's "420 workers" is not Halvorsen's; the verdict story does not say
    assert {q.doc for q in follow.quotes} == {"mold-verdict"} and "420" not in follow.answer


def test_asking_for_more_is_a_follow_up_about_the_same_person():
    previous = turn("What did Rubio say about ZTE?", ("Rubio", "PERSON"))
    assert standalone("What else did he say?", previous, 0)[0] == "What else did Rubio say?"
    assert standalone("Who else?", previous, 0)[0] == "What did Rubio say about ZTE? Who else?"
    assert question_names("Anything else?") == []  # not a name
    assert asks_for_more("Any others?") and asks_for_more("Tell me more about him")
    assert not asks_for_more("Why?") and not asks_for_more("How many more were sold?")
    assert without_more("What else did Rubio say?") == "What did Rubio say?"
    assert without_more("Else? Else?") == "Else? Else?"  # nothing but "else": kept


def test_what_else_is_answered_by_another_sentence(bot):
    conversation = bot.conversation()
    first = conversation.ask("What did Rubio say about ZTE?")
    more = conversation.ask("What else did he say?")
    assert more.interpreted_as == "What else did Rubio say?"
    assert not more.abstained and more.answer != first.answer
    assert "crazy to allow" in more.answer


def test_a_follow_up_to_a_long_question_is_no_error(bot):
    conversation = bot.conversation()
    conversation.ask("What did " + "the head of the committee " * 37 + "say about ZTE?")
    follow = conversation.ask("and why did he say so?")  # with the topic: over the limit
    limit = bot.settings.max_question_chars
    assert len(follow.interpreted_as) <= limit
    assert follow.interpreted_as.endswith("say about ZTE? And why did he say so?")


def test_what_happened_next_is_the_next_sentence(bot):
    assert asks_what_next("What happened next?") and asks_what_next("and then?")
    assert asks_what_next("so what did he end up doing") and asks_what_next(
        "What did the council do instead?")
    assert not asks_what_next("What did he do?")  # asks what he did, not what came next
    assert not asks_what_next("What happened next to ZTE's shares?")
    conversation = bot.conversation()
    conversation.ask("Why did ZTE get banned?")
    after = conversation.ask("What happened next?")
    assert after.answer.startswith("ZTE ceased major operations") and not after.abstained
    again = conversation.ask("And then?")  # reads on
    assert again.answer.startswith("Trump’s official reason for trying to revisit the ban")


def test_what_it_would_lead_to_is_the_next_sentence(bot):
    assert asks_what_next("what would that lead to") and asks_what_next("With what result?")
    assert asks_what_next("What could this cause?")
    assert not asks_what_next("What can lead to a ban?")  # asks of the article, not of "that"
    assert not asks_what_next("what would ZTE's ban lead to")
    conversation = bot.conversation()
    conversation.ask("What is Tim Maurer worried China might do?")
    after = conversation.ask("what would that lead to")
    assert after.answer == "That could severely hamper global trade." and not after.abstained


def test_a_follow_up_about_an_article_removed_since_is_no_error(bot):
    # a conversation kept by a browser, whose article another user has removed since
    saved = [{"question": "Who runs Harbor Bikes?", "interpreted_as": "Who runs Harbor Bikes?",
              "referents": [{"text": "Marcus Lee", "label": "PERSON", "named": False}],
              "topic": "Who runs Harbor Bikes?", "anchor": ["removed-story", 120]}]
    follow = bot.resume(saved).ask("What did he say?")
    assert follow.interpreted_as == "What did Marcus Lee say?"
    assert all(q.doc != "removed-story" for q in follow.quotes)


def test_she_is_not_a_man_the_article_calls_he():
    previous = turn("Which trustees voted against closing the schools?",
                    ("Harold Lindqvist", "PERSON"), ("Ines Carvalho", "PERSON"))
    pronouns = {"Harold Lindqvist": "he", "Ines Carvalho": ""}.get
    assert standalone("What was her objection?", previous, 1, Names(pronouns))[0] == (
        "What was Ines Carvalho’s objection?")
    assert standalone("What did he say?", previous, 1, Names(pronouns))[0] == "What did Harold Lindqvist say?"
    # without a word from the article, the most salient person, as before
    assert standalone("What was her objection?", previous, 1)[0] == (
        "What was Harold Lindqvist’s objection?")
    # nobody left of that kind: asked with the topic
    only_him = turn("Who voted against?", ("Harold Lindqvist", "PERSON"))
    assert standalone("Why did she vote no?", only_him, 2, Names(pronouns))[0] == (
        "Who voted against? Why did she vote no?")


def test_the_articles_tell_who_is_he_and_who_is_she(two_articles):
    pronoun_of = two_articles.retriever.pronoun_of
    assert pronoun_of("Rosa Delgado") == pronoun_of("Delgado") == "she"  # "… her apartment"
    assert pronoun_of("Thomas Greer") == pronoun_of("Greer’s") == "he"
    assert pronoun_of("Marisol Ibarra") == "she" and pronoun_of("Owen Marsh") == "he"
    assert pronoun_of("Dale Pruitt") == ""  # the article never says
    conversation = two_articles.conversation()
    conversation.ask("Who is Halvorsen's lawyer?")
    assert conversation.ask("What did she say?").interpreted_as != "What did Thomas Greer say?"


def test_why_is_answered_where_the_article_gives_the_reason():
    assert asks_why("Why?") and asks_why("and why not?") and asks_why("How come?")
    assert not asks_why("Why did the council vote no?")  # has its own words to rank by
    stated = sentences("The ban was sparked when the company broke a deal.", "Shares fell.")
    assert reason_for(stated, 0) == 0
    explained = sentences("Greer said after the verdict that the company would appeal.",
                          "“The verdict ignores the evidence,” he said.", paragraphs=[3, 3])
    assert reason_for(explained, 0) == 1  # "said after the verdict" is when, not why
    pointing = sentences("Jurors found the landlord reckless.",
                         "That finding allowed the jury to add $900,000.", "Appeals follow.")
    assert reason_for(pointing, 1) == 0
    # nothing shows where: None, and the question is ranked as before
    assert reason_for(sentences("The plant will open in May.", "It has 420 workers."), 0) is None
    assert reason_for(sentences("The plant will open in May."), 0) is None


def test_why_after_an_answer_gives_the_reason_not_the_answer_again(two_articles):
    conversation = two_articles.conversation()
    first = conversation.ask("What did Greer say the company would do?")
    assert "the company would appeal" in first.answer
    why = conversation.ask("Why?")
    assert "ignores the evidence" in why.answer and not why.abstained


def test_time_words_are_no_reasons_nor_pointers_back():
    dated = sentences("Enrollment has fallen by 19 percent since 2015.", "Greer said so.",
                      paragraphs=[1, 1])
    assert reason_for(dated, 0) == 1  # "since 2015" is when, not why
    weekly = sentences("The board met twice.", "This week the board voted to close them.")
    assert reason_for(weekly, 1) is None  # "This week" points at no sentence before


def test_a_reason_the_question_already_named_is_no_answer_to_why():
    told = sentences("Prescott said his players had been told to stay patient after falling behind.",
                     "“I said to them: you've got nothing to lose,” Prescott said.", paragraphs=[2, 2])
    assert reason_for(told, 0) == 0  # asked nothing: "after falling behind" may be the reason
    assert reason_for(told, 0, "What were Prescott's players told after falling behind?") == 1
    assert reason_for(told, 0, "What were Prescott's players told?") == 0


@pytest.mark.parametrize("question, topic, expected", [
    ("What about Kaspersky?", "Why was ZTE banned?", "Why was Kaspersky banned?"),
    ("And Mercer's?", "Where are Linden's students going?", "Where are Mercer's students going?"),
    ("and the House too?", "How did the Senate vote?", "How did the House vote?"),
    # of two names, the one of the new name's kind
    ("What about Huawei?", "Why did Trump call ZTE?", "Why did Trump call Huawei?"),
    # nothing to swap: asked with the topic, as before
    ("And the second?", "What does McConnell suggest?", "What does McConnell suggest? And the second?"),
    ("What about Kaspersky?", "Why did the agency act?", "Why did the agency act? What about Kaspersky?"),
    ("What about ZTE?", "Why was ZTE banned?", "Why was ZTE banned? What about ZTE?"),
    ("What about Japan?", "Did Trump call ZTE?", "Did Trump call ZTE? What about Japan?"),  # kind unknown
    ("And Britain?", "Who banned ZTE?", "Who banned ZTE? And Britain?"),  # a place for a firm
    ("What about Tuesday?", "Why was ZTE banned?", "Why was ZTE banned? What about Tuesday?"),
    ("And the U.S.?", "Did China ban ZTE?", "Did the U.S. ban ZTE?"),  # of its kind, with "the"
    ("What about Huawei?", "What did the ZTE board decide?", "What did the Huawei board decide?"),
])
def test_what_about_another_name_asks_the_same_question_of_it(question, topic, expected):
    kinds = {"zte": "ORG", "huawei": "ORG", "trump": "PERSON", "kaspersky": "ORG", "u.s.": "GPE",
             "china": "GPE", "britain": "GPE", "tuesday": "DATE"}
    names = Names(kind_of=lambda name: kinds.get(name.lower(), ""))
    rewritten, later_topic = standalone(question, turn(topic), 1, names)
    assert rewritten == expected
    assert later_topic == (rewritten if not rewritten.startswith(topic) else topic)


def test_a_pronoun_becomes_the_name_the_article_goes_on_with(two_articles):
    short_name = two_articles.retriever.short_name
    assert short_name("Rosa Delgado") == "Delgado"  # "… Delgado said outside the courthouse"
    assert short_name("Marisol Ibarra") == "Marisol Ibarra"  # never "Ibarra" alone
    assert short_name("Greer") == "Greer"
    assert follow_up(two_articles, "Who is Halvorsen's lawyer?",
                     "What else did he say?").interpreted_as == "What else did Greer say?"


def test_what_else_did_she_say_is_answered_with_her_next_quote(bot):
    more = follow_up(bot, "Who is Betsy Cooper?", "What else did she say?")
    assert more.interpreted_as == "What else did Cooper say?"
    assert not more.abstained and "Cooper said" in more.answer


def follow_up(bot, *questions):
    """The answer to the last of `questions`, asked after the others in a new conversation."""
    conversation = bot.conversation()
    for question in questions[:-1]:
        conversation.ask(question)
    return conversation.ask(questions[-1])


def test_it_is_not_the_place_that_answered_where(bot):
    follow = follow_up(bot, "Where did Huawei agree to build a testing center?",
                       "Whose intelligence agency inspects its code?")
    assert follow.interpreted_as == "Whose intelligence agency inspects Huawei’s code?"


def test_it_is_the_company_that_answered_which_company(bot):
    conversation = bot.conversation()
    first = conversation.ask("Which company supplies most of ZTE's chips?")
    assert "Qualcomm" in first.answer  # which spaCy's small model tags a person
    worth = conversation.ask("How much is it worth?")
    assert worth.interpreted_as == "How much is Qualcomm worth?"
    assert "worth over $85 billion" in worth.answer
    # and it stays a company in later turns, though the articles' kind for it is a person
    assert conversation.ask("Where is it based?").interpreted_as == "Where is Qualcomm based?"
    assert conversation.ask("What about Huawei?").interpreted_as == "Where is Huawei based?"


@pytest.fixture(scope="module")
def school_board(tmp_path_factory, encoder):
    """The school-closures article, where spaCy tags "Carvalho" a person but misses "Ines
    Carvalho" beside "Harold Lindqvist"."""
    root = tmp_path_factory.mktemp("school-board")
    (root / "corpus" / "raw").mkdir(parents=True)
    shutil.copy(ARTICLES / "school-closures.txt", root / "corpus" / "raw")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(settings, encoder=encoder)
    return Chatbot(settings)


def test_a_full_name_the_tagger_missed_is_a_person_when_its_surname_is_one(school_board):
    retriever = school_board.retriever
    voters = next(s for s in school_board.index.sentences if "votes against came" in s.text)
    people = [name for name, kind in retriever.names_in(voters) if kind == "PERSON"]
    assert people == ["Harold Lindqvist", "Ines Carvalho"]  # in the sentence's order
    objected = Sentence("school-closures", "", 1, 0, 40, "When Ines Carvalho objected, Falk left.")
    assert ("Ines Carvalho", "PERSON") in retriever.names_in(objected)  # not "When Ines …"
    # "her" skips Lindqvist, whom the article calls "he"
    assert follow_up(school_board, "Which trustees voted against closing the schools?",
                     "What was her objection?").interpreted_as == "What was Carvalho’s objection?"


def test_who_said_a_quote_that_goes_on_is_who_began_it(bot):
    said = follow_up(bot, "Does Cooper think we tend to swing too far in the other direction?",
                     "Who said that?")
    best = said.quotes[0]
    assert "Cooper said" in said.answer and best.text[slice(*best.answer_span)] == "Cooper"


@pytest.mark.parametrize("question, depends", [
    ("Who else voted no?", True),  # more of what was asked, though it has words of its own
    ("Starting when?", True),  # one word of its own and no subject: an ellipsis
    ("How many refused?", True),
    ("Where will the rest come from?", True),  # "the rest" of something said before
    ("What did the mayor say?", False),  # one word of its own, but a subject
    ("What is the fare program that the council approved?", False),  # "that" joins a clause
    ("Why did the council approve that plan?", True),  # "that plan" points back
    ("Was that the reason?", True),  # "that" after "was" is no joining word
    ("Did another carrier drop Huawei phones?", False),  # "another", but its own subject
    ("What is inflation?", False),  # one word of its own, and a subject
    ("How did lawmakers react?", True),  # a reaction to what the turn before told
    ("Did the government respond to the offer?", False),  # it says to what
    ("How did residents react at the council meeting on the mall?", False),  # its own subject
    ("did anyone get charged", True),  # anyone in what the turn before told
    ("Was anyone hurt in Halifax?", False),  # a name the articles know: its own subject
    ("How did Putin respond?", False),
    ("Has anyone gotten sick from the recalled Harlow Creek meals?", False),
])
def test_which_questions_lean_on_the_turn_before(question, depends):
    previous = turn("Why did Victor Alvarez vote against raising fares?", ("Victor Alvarez", "PERSON"))
    content = {"Who else voted no?": 1, "Starting when?": 1, "How many refused?": 1,
               "Where will the rest come from?": 2, "What did the mayor say?": 1,
               "Why did the council approve that plan?": 3, "Was that the reason?": 1,
               "What is inflation?": 1, "How did lawmakers react?": 2,
               "Did the government respond to the offer?": 3,
               "did anyone get charged": 3, "Was anyone hurt in Halifax?": 3,
               "How did Putin respond?": 2}.get(question, 5)
    known = {"halifax": "GPE", "putin": "PERSON"}
    rewritten, _ = standalone(question, previous, content,
                              Names(kind_of=lambda name: known.get(name.lower(), "")))
    assert (rewritten != question) == depends


def test_it_is_never_a_person_though_the_tagger_calls_them_a_place():
    kinds = {"helen park": "FAC", "park": "PERSON"}
    names = Names(kind_of=lambda name: kinds.get(name.lower(), ""))
    previous = turn("What does Helen Park's amendment do?", ("Helen Park", "FAC"))
    assert standalone("When does it start?", previous, 1, names)[0] == (
        "What does Helen Park's amendment do? When does it start?")


def test_a_person_stays_salient_after_a_turn_that_does_not_name_them(two_articles):
    # the second is answered by "“Landlords have treated fines …,” she said.": no name in it
    assert follow_up(two_articles, "Who directs the Port Ellery Tenants Union?",
                     "What have landlords treated as a cost of doing business?",
                     "What else did she say?").interpreted_as == "What else did Marisol Ibarra say?"


@pytest.mark.parametrize("question, subject", [
    ("What about drivers?", "drivers"), ("And for seniors?", "seniors"),
    ("How about the monthly pass?", "the monthly pass"), ("And Mercer's?", "Mercer's"),
    ("And the U.S. too?", "the U.S."),
    ("and why?", None), ("And the second?", None), ("and then?", None),
    ("And what did she say?", None), ("What else?", None), ("so what about it?", None),
    ("And did Rubio vote no?", None), ("But Rubio disagreed?", None),  # new questions
    ("What about the Senate committee?", "the Senate committee"),
])
def test_what_about_names_the_subject_the_answer_should_mention(question, subject):
    assert asks_about(question) == subject


def test_what_about_a_subject_is_answered_by_a_sentence_that_mentions_it(school_board):
    conversation = school_board.conversation()
    conversation.ask("What will happen to Linden's building?")
    mercer = conversation.ask("And Mercer?")  # spaCy: Linden a school, Mercer a person
    assert mercer.interpreted_as == "What will happen to Linden's building? And Mercer?"
    assert "Mercer" in mercer.quotes[0].text  # the topic's best sentence does not say


@pytest.mark.parametrize("question, person", [
    ("What did Cooper say?", "Cooper"), ("What else did Marisol Ibarra say?", "Marisol Ibarra"),
    ("What was Carvalho’s objection?", "Carvalho"), ("And what did Greer argue?", "Greer"),
    ("What did Segal say about Huawei?", None),  # asks more than their words
    ("What did the mayor say?", None), ("What did she say?", None),
    ("What does McConnell suggest?", None),  # a suggestion is often told, not quoted
    ("What was Cooper told?", None),  # words said to her
])
def test_questions_that_ask_only_for_a_person_s_words(question, person):
    assert asks_words_of(question) == person


def test_he_said_is_said_by_the_person_named_just_before():
    shelter = sentences("Ana Ruiz runs the shelter.", "“We need cots,” she said.",
                        paragraphs=[4, 4])
    assert speaker(shelter, 1) == (0, (0, len("Ana Ruiz")))
    assert said_by(shelter, 1, "Ruiz") and not said_by(shelter, 1, "Tom Berg")
    far = sentences("Ana Ruiz runs the shelter.", "It opened in May.", "“We need cots,” she said.",
                    paragraphs=[1, 2, 4])
    assert speaker(far, 2) is None  # two paragraphs back is too far to tell
    resigning = sentences("Ana Ruiz runs the shelter.", "The spokesman said he would resign.",
                          paragraphs=[4, 4])
    assert speaker(resigning, 1) is None  # "said he would": he is what was said about
    # a surname beside a verb of saying, where the tagger missed it; not one merely named
    assert said_by(sentences("Ruiz, who runs the shelter, said cots ran out."), 0, "Ruiz")
    assert said_by(sentences("The plan failed, said Dr. Ana Ruiz."), 0, "Ruiz")
    assert not said_by(sentences("The mayor said the Ruiz plan failed."), 0, "Ruiz")


def test_a_person_s_words_are_answered_when_the_article_quotes_them(school_board):
    objection = follow_up(school_board, "Which trustees voted against closing the schools?",
                          "What was her objection?")
    assert not objection.abstained
    assert objection.quotes[0].text.startswith("Carvalho, a former Mercer teacher, said")


def test_why_is_not_answered_with_the_answer_it_asks_about(two_articles):
    conversation = two_articles.conversation()
    first = conversation.ask("How much did Cindervale raise in May?")
    why = conversation.ask("Why?")
    assert why.abstained or why.quotes[0].start != first.quotes[0].start


def test_he_is_a_person_the_article_names_in_full_not_a_word_the_tagger_took_for_one(bot):
    # spaCy tags "Twitter" a person in "Rubio, who has sponsored …, declared on Twitter",
    # and misses "Rubio" at the start of the sentence
    assert bot.retriever.named_in_full("Rubio") and not bot.retriever.named_in_full("Twitter")
    assert follow_up(bot, "Who sponsored legislation to ban ZTE from government contracts?",
                     "What did he tweet?").interpreted_as == "What did Rubio tweet?"


def test_what_about_an_acronym_asks_the_topic_of_it(bot):
    # "FCC" counts as the three words it stands for, yet the follow-up names nothing else
    assert follow_up(bot, "What did the Pentagon ban?",
                     "What about the FCC?").interpreted_as == "What did the FCC ban?"


def test_it_is_no_nationality():
    previous = turn("When did the Obama administration indict Chinese hackers?",
                    ("Obama", "PERSON"), ("Chinese", "NORP"))
    rewritten, _ = standalone("Why did it step down its criticism?", previous, 2)
    assert rewritten.endswith(" Why did it step down its criticism?")  # asked with the topic


def test_who_said_that_quotes_what_was_said_without_its_speaker():
    assert who_said("She said the cost of fighting the fire had passed $9 million.") == (
        "Who said “the cost of fighting the fire had passed $9 million”?")
    assert who_said("Fitch told the council that the gap is big.") == "Who said “the gap is big”?"
    assert who_said("The plant will open.") == "Who said “The plant will open”?"
    assert who_said("Cooper told reporters on Tuesday that it failed.") == "Who said “it failed”?"
    assert who_said("Smith wrote a book.") == "Who said “Smith wrote a book”?"  # not saying


def test_a_person_named_twice_in_a_follow_up_is_named_once():
    previous = turn("Who is Tom Baptiste?", ("Tom Baptiste", "PERSON"))
    assert standalone("What did he take with him?", previous, 1)[0] == (
        "What did Tom Baptiste take with him?")


def test_who_is_asks_about_a_person_whatever_the_tagger_made_of_the_name(school_board):
    # spaCy tags nothing in "Superintendent Gregory Falk told the board …", and "Falk" an
    # organization elsewhere
    assert follow_up(school_board, "Who is Gregory Falk?",
                     "What did he tell the board?").interpreted_as == "What did Falk tell the board?"


def test_it_and_they_are_not_a_thing_named_turns_ago(two_articles):
    # "they" is not Halvorsen two turns back: left for the topic to explain, not "What did
    # Halvorsen pay Delgado?"
    assert follow_up(two_articles, "How many apartments does Halvorsen own?", "Who is Rosa Delgado?",
                     "What did they pay her?").interpreted_as == (
        "Who is Rosa Delgado? What did they pay Delgado?")


def test_the_senator_is_the_earlier_name_the_article_describes_so(bot):
    assert bot.retriever.described_as("Marco Rubio", "senator") is not None  # "Sen. Marco Rubio"
    assert bot.retriever.described_as("ZTE", "first Chinese company") is None
    assert follow_up(bot, "What did Betsy Cooper warn against?",  # "…, a … researcher at …"
                     "What else did the researcher say?").interpreted_as == "What else did Cooper say?"
    assert follow_up(bot, "Who is Bruce McConnell?",  # "…, the former Homeland Security cyber chief"
                     "What does the former cyber chief suggest?").interpreted_as == (
        "What does McConnell suggest?")
    # a name that is not described so is left alone
    assert follow_up(bot, "What did Marco Rubio say about ZTE?",
                     "What did the president do?").interpreted_as is None


def test_a_pronoun_with_no_referent_is_left_for_the_topic_to_explain(bot):
    assert follow_up(bot, "What did Marco Rubio say about ZTE?", "Which state is the senator from?",
                     "Has he tried to legislate on it?").interpreted_as == (
        "Which state is Rubio from? Has Rubio tried to legislate on it?")


def test_there_that_only_says_something_exists_names_no_place():
    previous = turn("Why was ZTE banned?", ("ZTE", "ORG"), ("China", "GPE"))
    assert standalone("Was there another motive behind it?", previous, 2)[0] == (
        "Was there another motive behind ZTE?")
    assert standalone("Who inspects the code there?", previous, 2)[0] == (
        "Who inspects the code in China?")


def test_there_is_the_site_before_the_town_it_is_in():
    # spaCy calls "Eastgate Mall" a product; it is still where "there" is
    mall = turn("What did the Riverton council decide about the old Eastgate Mall?",
                ("Riverton", "GPE"), ("Eastgate Mall", "PRODUCT"))
    assert standalone("How many homes are going in there?", mall, 2)[0] == (
        "How many homes are going in Eastgate Mall?")
    assert standalone("Who lives there?", turn("Why did the council meet in Riverton?",
                                                ("Riverton", "GPE")), 1)[0] == (
        "Who lives in Riverton?")


def test_it_is_not_a_place_the_question_was_only_set_in():
    survey = turn("How much have kittiwake numbers fallen in Scotland?", ("Scotland", "GPE"))
    assert standalone("what's causing it", survey, 1)[0] == (
        "How much have kittiwake numbers fallen in Scotland? What's causing it")
    # named as what the question is about, a place is "it"
    assert standalone("What is its capital?", survey, 1)[0] == "What is Scotland’s capital?"
    vote = turn("Why did Scotland vote to stay?", ("Scotland", "GPE"))
    assert standalone("What did it gain?", vote, 1)[0] == "What did Scotland gain?"


def test_they_that_the_question_itself_names_is_no_pointer_back():
    previous = turn("Who was meant to headline at Tidewater?", ("Tidewater", "ORG"))
    question = "Will people who bought Tidewater tickets get their money back?"
    assert standalone(question, previous, 6)[0] == question
    # only a plural with a clause of its own: the voters' plan is still the council's
    council = turn("What did the Riverton Council propose?", ("Riverton Council", "ORG"))
    assert standalone("Why did voters reject their plan?", council, 3)[0] == (
        "Why did voters reject Riverton Council’s plan?")
    # the thing a question asks about is not what its "they" is
    passes = turn("How much have the festival's costs gone up?")
    assert standalone("how many passes had they sold", passes, 2)[0] != (
        "how many passes had they sold")


def test_a_name_typed_in_lower_case_is_the_name(bot):
    retriever = bot.retriever
    assert retriever.names_written_lowercase(
        "how did the trump administration treat kaspersky compared to ZTE") == [
        "Trump", "Kaspersky"]
    assert retriever.names_written_lowercase("is the ban over") == []
    # a word the article writes in lower case too is no name: "us" is not the U.S.
    assert retriever.names_written_lowercase("can you tell us about chinese firms") == []
    conversation = bot.conversation()
    conversation.ask("how did the trump administration treat kaspersky compared to ZTE")
    assert conversation.ask("did they try to get the ban lifted").interpreted_as == (
        "did Kaspersky try to get the ban lifted")


def test_a_pronoun_is_not_a_name_its_own_question_holds():
    # "it" is the deal the topic is about, not China, which the question names itself
    deal = turn("did the US and China reach a trade deal?", ("China", "GPE"))
    assert standalone("what does china have to do under it", deal, 2)[0] == (
        "did the US and China reach a trade deal? What does china have to do under it")
    # "him" is Baptiste's own, and the question stands as asked
    baptiste = turn("Who is Tom Baptiste?", ("Tom Baptiste", "PERSON"),
                    ("Rosa Delgado", "PERSON"))
    for question in ("What did Baptiste take with him?", "What did Tom Baptiste take with him?"):
        assert standalone(question, baptiste, 2)[0] == question
    # a surname that is also a word names him only as written: "how long" is not Long
    long = turn("Who is Jack Long?", ("Jack Long", "PERSON"))
    assert standalone("How long has he served?", long, 2)[0] == "How long has Jack Long served?"
    # "them" after a plural is still a pointer back: the worries are about Huawei and ZTE
    pentagon = turn("What has the Pentagon done about Huawei and ZTE?", ("Pentagon", "ORG"),
                    ("Huawei", "ORG"), ("ZTE", "ORG"))
    assert standalone("how far back do the security worries about them go", pentagon, 3)[0] == (
        "how far back do the security worries about Huawei and ZTE go")


def test_a_follow_up_after_an_abstention_stays_on_the_article_of_the_latest_answer(
        two_articles):
    conversation = two_articles.conversation()
    first = conversation.ask("How many apartments does Halvorsen own?")
    assert first.quotes[0].doc == "mold-verdict"
    assert conversation.ask("What is Halvorsen's favourite colour?").abstained
    follow = conversation.ask("How many workers will it hire?")
    assert follow.interpreted_as is not None
    assert {q.doc for q in follow.quotes} == {"mold-verdict"} and "420" not in follow.answer
    # but after a new question on another article that abstains, that article
    conversation = two_articles.conversation()
    conversation.ask("How many apartments does Halvorsen own?")
    unanswered = conversation.ask("What colour is Cindervale's logo?")
    assert unanswered.abstained and unanswered.quotes[0].doc == "battery-plant"
    follow = conversation.ask("How many workers will it hire?")
    assert {q.doc for q in follow.quotes} == {"battery-plant"} and "420" in follow.answer


def test_says_who_asks_who_said_it():
    assert asks_who_said("Says who?") and asks_who_said("according to whom?")


def test_a_rewritten_follow_up_has_its_own_abstention_threshold(bot):
    asked = ("What did Marco Rubio say about ZTE?", "Which state is the senator from?")
    follow = follow_up(bot, *asked)  # "Which state is Rubio from?"
    standalone_threshold = shipped_params().threshold
    assert bot.settings.follow_up_min_confidence <= follow.confidence < standalone_threshold
    assert not follow.abstained and "R-Fla." in follow.answer
    strict = Chatbot(dataclasses.replace(bot.settings, follow_up_min_confidence=1.0))
    assert follow_up(strict, *asked).abstained
    given = Chatbot(dataclasses.replace(bot.settings, min_confidence=standalone_threshold))
    assert follow_up(given, *asked).abstained  # min_confidence, when given, rules
    with pytest.raises(ConfigError):
        Settings(follow_up_min_confidence=1.5)


def test_what_does_he_mean_is_answered_with_the_words_that_go_on(bot):
    assert asks_meaning("What does he mean by that?") and asks_meaning("what does that mean?")
    assert not asks_meaning("What does FISMA mean?")  # names what it asks about
    quote = sentences("“Unwinding it is not very hard,” said Tom Berg.", "“It’s Kaspersky.”",
                      "Next paragraph.", paragraphs=[1, 1, 2])
    assert goes_on(quote, 0) == 1 and goes_on(quote, 1) is None
    meant = follow_up(bot, "What did Adam Segal say about the U.S.-Russia tech relationship?",
                      "What does he mean by that?")
    assert meant.answer.startswith("“It’s Kaspersky and it’s hard to think of many other Russian")


@pytest.mark.parametrize("question, phrase", [
    ("How many artifacts is the Hartwell Museum sending back to Peru?", "the artifacts"),
    ("How did the museum end up with the ancient Moche vessels?", "the ancient Moche vessels"),
    ("Which trustees voted against?", "the trustees"),
    ("Why did Cindervale's workers strike?", "Cindervale's workers"),
    ("What were the workers’ demands?", "workers’ demands"),
    ("Why did the council close schools?", "the schools"),  # not "the council close schools"
    ("Did any riders speak up? How much will closing the schools save?", "the schools"),
    ("Which company makes the chips?", "the chips"),  # "makes" is a verb
    ("Who says so?", None), ("What happens next?", None), ("Why was ZTE banned?", None),
    ("Is the news serious?", None),
    ("What has the Pentagon done about Huawei and ZTE?", "Huawei and ZTE"),  # names joined
])
def test_the_plural_phrase_a_question_names(question, phrase):
    found = plural_phrase(question)
    assert (found and found.named) == phrase


def test_they_is_the_plural_thing_the_previous_question_asked_about():
    museum = turn("How many artifacts is the Hartwell Museum sending back to Peru?",
                  ("Hartwell Museum", "ORG"), ("Peru", "GPE"))
    assert standalone("What are they worth?", museum, 1)[0] == "What are the artifacts worth?"
    assert standalone("Were any of them stolen?", museum, 1)[0] == (
        "Were any of the artifacts stolen?")
    # named once: "their" is the passengers' too, not the airline's
    airline = turn("How many passengers did Lakeshore Air strand?", ("Lakeshore Air", "ORG"))
    assert standalone("Can they get their money back?", airline, 2)[0] == (
        "Can the passengers get their money back?")
    assert standalone("They were stolen?", museum, 1)[0] == "The artifacts were stolen?"
    # a plural the question did not ask for comes after a name it did ask about
    contracts = turn("Why did ZTE lose its contracts?", ("ZTE", "ORG"))
    assert standalone("What did they say?", contracts, 1)[0] == "What did ZTE say?"
    # but "them" is the plural thing before the name
    vessels = turn("How did the Hartwell Museum end up with the Moche vessels?",
                   ("Hartwell Museum", "ORG"))
    assert standalone("Who sold them?", vessels, 1)[0] == "Who sold the Moche vessels?"
    # another "them" is not the same plural: asked with the topic
    assert standalone("Did they sue them?", turn("Why did the unions sue the city?"), 1)[0] == (
        "Why did the unions sue the city? Did the unions sue them?")
    # no name takes a contraction
    assert standalone("Are they're sold?", museum, 1)[0] == (
        "How many artifacts is the Hartwell Museum sending back to Peru? Are they're sold?")
    # no plural thing asked about: "they" is the company
    plan = turn("What is Cindervale’s plan?", ("Cindervale", "ORG"))
    assert standalone("What will they pay their workers?", plan, 2)[0] == (
        "What will Cindervale pay their workers?")


def test_a_why_question_only_the_topic_explains_is_answered_with_the_reason(bot):
    assert opens_with_why("Then why bother with them?") and not opens_with_why("Who knows why?")
    why = follow_up(bot, "How did the Obama administration handle Chinese hacking early on?",
                    "Did they charge anyone?", "Why did they tone it down later?")
    assert "after a 2015 deal" in why.answer
    bother = follow_up(bot, "Can code inspections guarantee there are no backdoors?",
                       "Then why bother with them?")
    assert "would carry more weight" in bother.answer


def test_a_follow_up_asking_for_a_kind_is_not_answered_without_one(bot):
    assert asks_for_kind("When did that center open?") and asks_for_kind("And how many?")
    assert not asks_for_kind("What did she think when she first saw it?")
    # "to larger carriers" answers where they went: no place named
    assert not asks_for_kind("Where did most of the pilots go?")
    # the testing-centre sentence matches the topic well, but holds no date
    follow = follow_up(bot, "What did Huawei agree to do after the British government raised "
                            "concerns?", "When did that center open?")
    assert follow.abstained and follow.answer == ""
    when = follow_up(bot, "What did the Commerce Department decide about ZTE?", "When?")
    assert not when.abstained and "April" in when.answer


def test_a_title_tells_he_or_she(tmp_path, bot_over):
    council = bot_over(tmp_path, {"council-vote.txt": (
        "Council Splits on Housing Plan\n\n"
        "Councilman Greg Whitaker voted against the housing plan on Tuesday. Whitaker said the "
        "plan was too dense. Councilwoman Maria Gonzalez, who chairs the housing committee, "
        "voted for it.\n\nSpokeswoman Dana Whitfield said the city would appeal. Mr. Omar "
        "Diaz, a German engineer, declined to comment. Fans will miss Tom Brady.\n")})
    retriever = council.retriever
    assert [retriever.pronoun_of(n) for n in ("Greg Whitaker", "Gonzalez", "Dana Whitfield",
                                              "Diaz", "Tom Brady")] == ["he", "she", "she", "he", ""]
    # the name is the person's without the title the tagger took in
    councilman = next(s for s in retriever.index.sentences if s.text.startswith("Councilman"))
    assert ("Greg Whitaker", "PERSON") in retriever.names_in(councilman)
    assert retriever.kind_of("Greg Whitaker") == "PERSON"
    # "her" is not the councilman: left for the topic to explain
    names = Names(pronoun_of=retriever.pronoun_of)
    previous = turn("Why did Whitaker vote no?", ("Greg Whitaker", "PERSON"))
    assert standalone("What did her office say?", previous, 2, names)[0] == (
        "Why did Whitaker vote no? What did her office say?")
    # and the article's title for him is a description a follow-up may use
    assert follow_up(council, "Why did Greg Whitaker vote against the housing plan?",
                     "What else did the councilman do?").interpreted_as == (
        "What else did Whitaker do?")


def test_by_how_much_is_the_amount_of_what_the_previous_answer_told(tmp_path, bot_over):
    assert asks_amount("by how much?") and asks_amount("And how many?")
    assert not asks_amount("How much did the plant cost?") and not asks_amount("how long?")
    plant = bot_over(tmp_path, {"plant.txt": (
        "Mill Shuts Night Shift\n\n"
        "Brandt Paper said on Monday that output at its Millbrook plant had fallen sharply "
        "since the spring. Production dropped to 1,200 tons a week, from 2,000 tons a year "
        "ago. The company blamed weak demand from packaging makers.\n\n"
        "The plant employs 340 people, and union leader Rosa Hale said the night shift "
        "would end in June.\n")})
    chat = plant.conversation()
    first = chat.ask("What happened to output at the Millbrook plant?")
    assert first.answer.startswith("Brandt Paper said on Monday that output")
    amount = chat.ask("by how much?")  # the sentence after it gives the figures
    assert amount.answer.startswith("Production dropped to 1,200 tons") and not amount.abstained
    again = chat.ask("how many?")  # that one holds figures itself: it stays
    assert again.answer.startswith("Production dropped to 1,200 tons")


def test_why_after_a_quote_is_where_the_speaker_goes_on(bot):
    segal = follow_up(bot, "What did Adam Segal say about the U.S.-Russia tech relationship?",
                      "why's that?")
    assert segal.answer.startswith("“It’s Kaspersky and it’s hard to think of many other Russian")
