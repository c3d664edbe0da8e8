"""The analyzer: text -> the terms BM25 and the ranking compare (lower case, abbreviations
expanded, irregular past forms joined to their verbs, stop words out, stemmed)."""

import pytest

from rag.terms import ABBREVIATIONS, IRREGULAR, STOPWORDS, Analyzer, word_families


def test_analyzer_lowercases_expands_abbreviations_and_maps_irregular_verbs():
    words = Analyzer().words("Sen. Rubio, R-Fla., said the rules were broken")
    assert words == ["senator", "rubio", "r", "florida", "say", "the", "rules", "be", "break"]


def test_analyzer_terms_drop_stop_words_and_stem():
    analyzer = Analyzer()
    assert analyzer.terms("The runners ran to the rules") == ["runner", "run", "rule"]
    assert {"the", "what", "who", "said"} <= STOPWORDS
    assert analyzer.terms("What did they say about it?") == []


def test_news_abbreviations_and_possessives_become_the_words_a_reader_types():
    words = Analyzer().words("The U.S. CEO’s plan; ZTE’s chips began in the U.K.")
    assert words == ["the", "united_states", "chief", "executive", "plan", "zte", "chips",
                     "begin", "in", "the", "united_kingdom"]


def test_contractions_leave_the_word_before_them():
    # "he'd" was a term of its own, which no article sentence holds
    assert Analyzer().words("he'd they’re I'm could've didn't won't can't O'Neill") == [
        "he", "they", "i", "could", "do", "will", "can", "o'neill"]
    assert Analyzer().terms("What did Trump say he'd do about ZTE?") == ["trump", "zte"]


def test_numbers_are_terms_and_punctuation_is_not():
    assert Analyzer().terms('Rubio, 42, said: "Runs"') == ["rubio", "42", "run"]
    assert Analyzer().terms("?!... -- ;") == []


def test_the_tables_agree_with_each_other():
    # an expansion or a verb that is itself a stop word would vanish from every query
    assert not {word for value in ABBREVIATIONS.values() for word in value.split()} & STOPWORDS
    assert IRREGULAR["began"] == IRREGULAR["begun"] == "begin"
    assert not set(IRREGULAR) & set(IRREGULAR.values()) - {"be"}  # no past form is a verb


def test_a_past_form_and_its_verb_give_the_same_term():
    analyzer = Analyzer()
    for past, verb in (("fought", "fight"), ("wrote", "write"), ("held", "hold")):
        assert analyzer.terms(f"they {past} it") == analyzer.terms(f"they {verb} it") != []


def families(word):
    return word_families(word, Analyzer().stem(word))


@pytest.mark.parametrize("verb, noun", [
    ("decide", "decision"), ("conclude", "conclusions"), ("admit", "admission"),
    ("produce", "production"), ("describe", "description"), ("expand", "expansion"),
    ("inspect", "inspection"), ("create", "creation"), ("depart", "departure"),
    ("agree", "agreement"), ("appear", "appearance"), ("settle", "settlement"),
])
def test_a_verb_and_its_noun_are_one_family(verb, noun):
    assert families(verb) & families(noun)


@pytest.mark.parametrize("one, other", [
    ("governor", "government"), ("winner", "win"), ("center", "cent"), ("million", "mill"),
    ("raise", "raid"), ("base", "bad"), ("banner", "ban"), ("session", "set"),
    ("station", "state"), ("mission", "miss"), ("pension", "pend"), ("posture", "post"),
    ("comment", "come"), ("portion", "port"),
])
def test_words_that_only_look_alike_are_not(one, other):
    assert not families(one) & families(other)

