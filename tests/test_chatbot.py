import json

import pytest

from rag import Answer, QuestionError, RagError

CLEAR = {
    "Who is the senator from Florida who criticized the president?": "Marco Rubio",
    "Which company supplies most of ZTE's computer chips?": "Qualcomm",
    "how much did the bike lane network cost": "$62 million",
    "How many sea stars did volunteers count?": "4,812",
    "When did the sea star population collapse?": "2014",
    "What did the FCC propose?": "bar federal subsidies",
}
OFF_TOPIC = ["What is the capital of Peru?", "Write me a poem about the ocean",
             "What cookies does this website use?", "hello, how are you?",
             "Who won the 2018 World Cup?"]


@pytest.mark.parametrize("question, expected", CLEAR.items())
def test_clear_questions_are_answered(bot, question, expected):
    answer = bot.ask(question)
    assert not answer.abstained
    assert expected in answer.answer
    assert answer.quotes[0].text == answer.answer
    start, end = answer.quotes[0].answer_span
    assert answer.quotes[0].text[start:end]


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_abstain(bot, question):
    answer = bot.ask(question)
    assert answer.abstained and answer.answer == ""
    assert all(q.answer_span is None for q in answer.quotes)


def test_quotes_are_verbatim_for_many_questions(bot, cleaned):
    questions = list(CLEAR) + OFF_TOPIC + ["zte", "why?", "What did McConnell suggest?",
                                           "ferry schedule", "Berg", "tariffs and trade"]
    for question in questions:
        answer = bot.ask(question, k=5)
        assert answer.quotes
        for q in answer.quotes:
            assert cleaned[q.doc][q.start:q.end] == q.text
            assert q.title == bot.documents[q.doc].title


def test_who_question_highlights_a_name(bot):
    answer = bot.ask("Whose amendment would block Trump from reversing the ZTE ban?")
    quote = answer.quotes[0]
    start, end = quote.answer_span
    assert quote.text[start:end] == "Dutch Ruppersberger"


def test_answer_to_dict_is_json(bot):
    answer = bot.ask("Who is Betsy Cooper?", k=2)
    data = json.loads(json.dumps(answer.to_dict()))
    assert set(data) >= {"question", "answer", "abstained", "quotes"}
    assert len(data["quotes"]) == 2
    assert set(data["quotes"][0]) >= {"text", "doc", "section", "start", "end", "score",
                                      "answer_span", "paragraph", "title"}
    assert isinstance(answer, Answer)


def test_limit_to_one_document(bot):
    answer = bot.ask("What did volunteers count?", doc="harbor-bike-lanes")
    assert all(q.doc == "harbor-bike-lanes" for q in answer.quotes)
    with pytest.raises(RagError, match="No article"):
        bot.ask("anything", doc="no-such-article")


@pytest.mark.parametrize("question, message", [
    ("", "empty"), ("   \n\t ", "empty"), ("x" * 5000, "limit"), ("?!...", "no words"),
    (None, "must be text"),
])
def test_bad_questions_raise_question_error(bot, question, message):
    with pytest.raises(QuestionError, match=message):
        bot.ask(question)


def test_bad_k_is_a_value_error(bot):
    with pytest.raises(ValueError, match="k must be"):
        bot.ask("Who is Betsy Cooper?", k=0)


def test_control_characters_and_emoji_are_harmless(bot):
    answer = bot.ask("who\x00 is \x1b[31mbetsy cooper 🤔")
    assert "Betsy Cooper" in answer.answer


def test_typos_and_lower_case(bot):
    answer = bot.ask("wat did rubio sayy about zte")
    assert not answer.abstained and "Rubio" in answer.answer


def test_vague_follow_up_uses_the_previous_question(bot):
    alone = bot.ask("for how long?")
    followed = bot.ask("for how long?", context="Why was ZTE banned?")
    assert followed.question == "for how long?"
    assert "for seven years" in followed.quotes[0].text
    assert "for seven years" not in alone.quotes[0].text


def test_specific_question_ignores_the_context(bot):
    answer = bot.ask("How many sea stars did volunteers count?", context="Why was ZTE banned?")
    assert "4,812" in answer.answer


@pytest.mark.parametrize("question, doc", [
    ("How much will the protected bike lanes cost?", "harbor-bike-lanes"),
    ("Who voted against the bike lane plan?", "harbor-bike-lanes"),
    ("When did the sea star wasting disease strike?", "tidepool-survey"),
    ("Which lab organizes the tide pool survey?", "tidepool-survey"),
    ("What did Ted Lieu say about ZTE?", "zte-kerfuffle"),
])
def test_questions_route_to_the_right_article(bot, question, doc):
    answer = bot.ask(question)  # answered or not, its closest passages are in that article
    assert answer.quotes[0].doc == doc
    assert answer.quotes[0].title == bot.documents[doc].title


def test_scores_are_shares_and_the_answer_span_has_article_offsets(bot, cleaned):
    answer = bot.ask("Who is Adam Segal?")
    scores = [q.score for q in answer.quotes]
    assert all(0.0 <= s <= 1.0 for s in scores) and scores == sorted(scores, reverse=True)
    best = answer.quotes[0]
    a, b = best.answer_offsets
    assert cleaned[best.doc][a:b] == best.text[best.answer_span[0]:best.answer_span[1]]
    assert "score" in (type(best).__doc__ or "") and "abstained" in (type(answer).__doc__ or "")


# --- Loading, and conversations kept by an interface -------------------------------------

def test_load_keeps_the_folders_of_the_settings_given(bot, tmp_path):
    from rag import Chatbot, Settings

    loaded = Chatbot.load(settings=bot.settings, max_quotes=2)
    assert loaded.settings.corpus_dir == bot.settings.corpus_dir
    assert loaded.settings.index_dir == bot.settings.index_dir
    assert loaded.settings.max_quotes == 2 and len(loaded.ask("Who is Betsy Cooper?").quotes) == 2
    elsewhere = Chatbot.open(index_dir=tmp_path / "ix", settings=bot.settings)
    assert elsewhere.settings.corpus_dir == bot.settings.corpus_dir
    assert elsewhere.settings.index_dir == tmp_path / "ix"
    assert Chatbot.open().settings == Settings()


def test_a_saved_conversation_resumes(bot):
    conversation = bot.conversation()
    conversation.ask("Who is Betsy Cooper?")
    saved = json.loads(json.dumps(conversation.saved()))
    follow_up = bot.resume(saved).ask("What did she warn against?")
    assert follow_up.interpreted_as and "Cooper" in follow_up.interpreted_as
    not_text = [{**saved[0], "referents": [{"text": 7, "label": ["PERSON"], "named": True}]}]
    for broken in (None, "turns", [{"question": "x"}], 5, not_text):
        assert bot.resume(broken).turns == []
    assert bot.resume(not_text).ask("What did she warn against?").answer  # no error


def test_example_questions_are_answered_from_the_articles_but_the_last(bot):
    examples = bot.example_questions()
    assert 2 <= len(examples) <= 5 and examples[-1] == "What is the capital of Peru?"
    texts = " ".join(d.text for d in bot.documents.values())
    for question in examples[:-1]:
        name = question.removeprefix("Who is ").removeprefix(
            "What does the article say about ").rstrip("?")
        assert name in texts and not bot.ask(question).abstained
    assert bot.ask(examples[-1]).abstained
