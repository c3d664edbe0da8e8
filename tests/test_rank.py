"""Ranking and abstention (rag/rank.py) on a short made-up article with one trap of each kind."""

import json
import shutil
from importlib import resources
from pathlib import Path

import pytest

from rag import Chatbot, Settings
from rag.build import build_index
from rag.rank import (QUESTION_FEATURES, SENTENCE_FEATURES, Params, _topic_pieces,
                      asks_for_name, question_terms, sentence_features, shipped_params)

DATA = Path(__file__).parent / "data"
ARTICLE = DATA / "rank" / "cumuto-floods.txt"


def _bot(root, encoder, others: bool) -> Chatbot:
    raw = root / "corpus" / "raw"
    raw.mkdir(parents=True)
    shutil.copy(ARTICLE, raw)
    if others:
        for path in (DATA / "corpus" / "raw").iterdir():
            shutil.copy(path, raw)
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(settings, encoder=encoder)
    return Chatbot(settings)


@pytest.fixture(scope="module")
def alone(tmp_path_factory, encoder):
    """The made-up article as the only one in its corpus."""
    return _bot(tmp_path_factory.mktemp("alone"), encoder, others=False)


@pytest.fixture(scope="module")
def among(tmp_path_factory, encoder):
    """The same article among the three of tests/data/corpus."""
    return _bot(tmp_path_factory.mktemp("among"), encoder, others=True)


def test_shipped_parameters_match_the_features():
    params = shipped_params()
    assert params.sentence.features == SENTENCE_FEATURES
    assert params.question.features == QUESTION_FEATURES
    assert 0 < params.threshold < 1


def test_stale_parameters_are_refused():
    data = json.loads(resources.files("rag").joinpath("params", "ranking.json").read_text())
    data["sentence"]["weights"].pop("cosine")
    with pytest.raises(ValueError, match="fit_ranking"):
        Params.from_dict(data)


def test_when_question_gets_the_sentence_with_a_date(alone):
    answer = alone.ask("When did the council buy the battery?")
    assert not answer.abstained
    assert "12 February 2023" in answer.answer
    start, end = answer.quotes[0].answer_span
    assert answer.quotes[0].text[start:end] == "12 February 2023"


def test_description_is_preferred_to_a_fragment(alone):
    answer = alone.ask("Who is Inderdai Deyal?")
    assert not answer.abstained
    assert answer.answer.startswith("Inderdai Deyal, a 62-year-old rice farmer")


def test_the_asked_role_wins(alone):
    answer = alone.ask("How much can a worker be fined?")
    assert "$200" in answer.answer


@pytest.mark.parametrize("question", [
    "What is Marla Quinn's salary?",
    "How many cows drowned in Cumuto?",
    "Who won the 2018 World Cup?",
])
def test_subject_alone_is_not_an_answer(alone, question):
    """Only the question's subject (a name) is in the article, not what it asks."""
    assert alone.ask(question).abstained


QUESTIONS = ["When did the council buy the battery?", "Who is Inderdai Deyal?",
             "How much can a worker be fined?", "What is Marla Quinn's salary?",
             "How long will the drainage work take?", "How many cows drowned in Cumuto?"]


@pytest.mark.parametrize("question", QUESTIONS)
def test_confidence_does_not_move_with_corpus_size(alone, among, question):
    one, several = alone.ask(question), among.ask(question)
    assert one.abstained == several.abstained
    assert abs(one.confidence - several.confidence) < 0.1
    assert one.quotes[0].text == several.quotes[0].text


@pytest.mark.parametrize("question, request_", [
    ("Write me a poem about the ocean", True), ("please compose a song about the floods", True),
    ("Can you translate the article into French?", True), ("tell me a joke", True),
    ("Who wrote the report?", False), ("What did Quinn write about the battery?", False),
    ("When will the drainage work begin?", False)])
def test_a_request_for_new_text_is_not_answered_from_the_article(alone, question, request_):
    from rag.rank import is_request

    assert is_request(question) is request_
    if request_:
        assert alone.ask(question).abstained


@pytest.mark.parametrize("question, expected", [
    ("What did the council purchase?", "a backup battery"),
    ("How high did the water rise?", "reached the roof of her storage shed"),
    ("What did the flooding wreck?", "destroying most of the rice crop"),
    ("What broke down during the storm?", "the pumping station failed twice"),
])
def test_a_paraphrase_finds_its_sentence(alone, question, expected):
    """The question shares no content word with the sentence it asks about ("purchase" /
    "bought", "wreck" / "destroying"): the token alignment (MaxSim) still ranks it first."""
    answer = alone.ask(question)
    assert expected in answer.quotes[0].text


def test_who_asks_for_a_person_before_an_organization_or_a_place(alone):
    """"Who …?" allows a company or a country, but a sentence that names no person beyond
    the question's own lacks the likely answer: `person_missing` says so to the model."""
    def person_missing(question: str) -> dict[str, float]:
        found = alone.retriever.retrieve(question)
        terms = question_terms(question, found.terms, alone.retriever)
        x, _ = sentence_features(question, terms, found.candidates, alone.retriever, found.vectors)
        column = SENTENCE_FEATURES.index("person_missing")
        return {c.sentence.text[:20]: row[column] for c, row in zip(found.candidates, x)}

    who = person_missing("Who reported that the pumping station failed during the storm?")
    assert who["Marla Quinn, who cha"] == 0.0 and who["Heavy rains flooded "] == 1.0
    # the person the question names is no answer to it
    told = person_missing("Who told Marla Quinn about the pumping station?")
    assert told["Marla Quinn, who cha"] == 1.0
    assert set(person_missing("When did the pumping station fail?").values()) == {0.0}
    assert shipped_params().sentence.weights[SENTENCE_FEATURES.index("person_missing")] < 0


def test_the_lead_paragraph_is_marked_for_the_model(alone):
    """A news story's first paragraph names most of what any question names: the model
    learns how much less that tells (`lead`, fitted below zero)."""
    question = "How many cows drowned in Cumuto?"
    found = alone.retriever.retrieve(question)
    terms = question_terms(question, found.terms, alone.retriever)
    x, _ = sentence_features(question, terms, found.candidates, alone.retriever, found.vectors)
    lead = SENTENCE_FEATURES.index("lead")
    for candidate, row in zip(found.candidates, x):
        assert row[lead] == float(candidate.sentence.paragraph == 1)
    assert any(c.sentence.paragraph == 1 for c in found.candidates)
    assert shipped_params().sentence.weights[lead] < 0


@pytest.fixture(scope="module")
def festival(tmp_path_factory, bot_over):
    return bot_over(tmp_path_factory.mktemp("festival"), {"festival.txt": (
        "Tidewater Music Festival Cancels 2025 Edition\n\n"
        "The Tidewater Music Festival, which has drawn folk music fans to Lunenburg every July "
        "for three decades, has cancelled its 2025 edition, organizers said Tuesday.\n\n"
        "The festival also lost its title sponsor in November when Maritime Credit Union "
        "ended a 12-year partnership worth about C$150,000 a year.\n\n"
        "\"This was the hardest decision any of us have had to make,\" said Claire Fontaine, "
        "the board's chair. The festival relies on about 450 volunteers each summer.\n\n"
        "A volunteer who has worked the gate since 2001 said the news left her in tears.\n")})


def test_the_names_of_the_headline_are_the_subject_of_every_sentence(festival):
    retriever = festival.retriever
    # the body writes "Tidewater" capitalized, "music" and "festival" in lower case too
    assert retriever.topic_terms("festival") == {"tidewat"}
    found = retriever.retrieve("Which sponsor pulled out of Tidewater?")
    pieces = _topic_pieces(found.vectors, found.candidates, retriever)
    marked = {found.vectors.pieces[i] for i in range(len(found.vectors.pieces)) if pieces[i].all()}
    assert marked == {"tide", "##water"}
    # so a sentence that says "the festival" is not behind the lead for lacking the name
    assert "title sponsor" in festival.ask("Which sponsor pulled out of Tidewater?").answer


@pytest.mark.parametrize("question, kinds", [
    ("What was the dealer's name?", {"PERSON"}),
    ("what's his name", {"PERSON"}),
    ("What is the name of the man who found it?", {"PERSON"}),
    ("Who sold it? What is the company's name?", {"PERSON", "ORG", "GPE", "FAC", "LOC",
                                                  "PRODUCT", "EVENT", "WORK_OF_ART", "NORP",
                                                  "LAW"}),
    ("What are their names?", {"PERSON", "ORG", "GPE", "FAC", "LOC", "PRODUCT", "EVENT",
                               "WORK_OF_ART", "NORP", "LAW"}),  # they may be companies
    ("What is the name of the girl's school?", set()),  # the school's, not the girl's
    ("What is the name of the alphabet most commonly used?", set()),  # a term may answer
    ("Who named the ship?", set()),
])
def test_questions_that_ask_for_a_name(question, kinds):
    assert asks_for_name(question) == kinds


def test_a_name_is_not_answered_by_a_sentence_that_names_no_one(festival):
    assert "Claire Fontaine" in festival.ask("What is the name of the board's chair?").answer
    # the article tells of the volunteer but never names her
    for question in ("What is the volunteer's name?",
                     "What's the name of the volunteer who worked the gate?"):
        answer = festival.ask(question)
        assert answer.abstained and "A volunteer who has worked the gate" in answer.quotes[0].text
