"""Retrieval: how questions become terms, and how dense and BM25 rankings are fused."""

import dataclasses

import pytest

from rag.retrieve import Analyzer, Retriever


@pytest.fixture(scope="module")
def retriever(bot):
    return bot.retriever


def variant(bot, **fields):
    return Retriever(bot.index, bot.encoder, dataclasses.replace(bot.settings, **fields))


def test_misspelled_words_are_corrected_to_the_articles_words(retriever):
    assert retriever.question_terms("wat did rubioo say about qualcom") == ["rubio", "qualcomm"]


def test_words_the_articles_never_use_are_kept_as_asked(retriever):
    terms = retriever.question_terms("capital of Peru")
    assert terms == ["capit", "peru"] and not retriever.known("peru")


def test_a_word_the_articles_use_in_another_form_becomes_that_form(retriever):
    # the article says "the Commerce Department’s decision", never "decide"
    assert retriever.question_terms("What did the Commerce Department decide?") == [
        "commerc", "depart", "decis"]
    assert "ban" in retriever.question_terms("Why was ZTE banned?")  # a word it uses: as asked


def test_an_acronym_is_expanded_from_the_articles_own_names(retriever):
    terms = retriever.question_terms("What did the FCC propose?")
    assert terms[:3] == Analyzer().terms("Federal Communications Commission")


def test_hybrid_scores_are_reciprocal_rank_fusion(bot, retriever):
    hits = retriever.search("Which company supplies ZTE's computer chips?")
    assert hits and [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    k = bot.settings.rrf_k
    for hit in hits:
        ranks = [r for r in (hit.dense_rank, hit.bm25_rank) if r is not None]
        assert ranks and hit.score == pytest.approx(sum(1 / (k + r) for r in ranks))
    assert any(h.dense_rank and h.bm25_rank for h in hits)  # both retrievers agree somewhere


@pytest.mark.parametrize("mode, present, absent", [("dense", "dense_rank", "bm25_rank"),
                                                   ("bm25", "bm25_rank", "dense_rank")])
def test_one_retriever_alone_ranks_by_itself(bot, mode, present, absent):
    hits = variant(bot, retrieval=mode).search("Who is Betsy Cooper?")
    assert hits and all(getattr(h, present) is not None and getattr(h, absent) is None
                        for h in hits)
    assert len(hits) <= bot.settings.top_k


def test_the_doc_filter_keeps_one_article(retriever):
    question = "How much did the bike lane network cost?"
    assert {h.chunk.doc for h in retriever.search(question)} != {"zte-kerfuffle"}
    hits = retriever.search(question, doc="zte-kerfuffle")
    assert hits and {h.chunk.doc for h in hits} == {"zte-kerfuffle"}
    assert retriever.search(question, doc="no-such-article") == []


def test_candidate_sentences_come_from_the_best_chunks(bot, retriever):
    question = "How many sea stars did volunteers count?"
    vector = bot.encoder.encode([question])[0]
    terms = retriever.question_terms(question)
    hits = retriever.search(question, vector=vector, terms=terms)
    candidates = retriever.candidate_sentences(hits, vector, terms)
    assert any("4,812" in c.sentence.text for c in candidates)
    for c in candidates:  # every candidate lies inside a retrieved chunk
        assert any(h.chunk.doc == c.sentence.doc and h.chunk.start < c.sentence.end
                   and c.sentence.start < h.chunk.end for h in hits)
    assert all(0.0 <= c.lexical <= 1.0 and 0.0 <= c.chunk_score <= 1.0 for c in candidates)
