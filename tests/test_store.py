"""The Store contract, run against every backend on the small test corpus.

Dense top-k equals exact search; sparse top-k equals BM25 computed here from the terms;
fusion equals reciprocal-rank fusion of those two; the document filter, delete and the
atomic switch behave the same; the bundled eval gives the same figures with each backend.
A real Qdrant server is tested only when RAG_TEST_QDRANT_URL names one.
"""

import dataclasses
import math
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from rag import Chatbot, IndexCorrupt, Settings
from rag.build import build_index
from rag.eval import evaluate, load_questions
from rag.index import new_build_name, read_manifest
from rag.retrieve import Retriever
from rag.store import DocumentRows, bm25_sparse, open_store, query_sparse
from rag.terms import Analyzer

ROOT = Path(__file__).parent.parent
QUESTIONS = ["Who is Betsy Cooper?", "Who banned ZTE?", "When will the bike lanes open?",
             "What did the tide pool survey count?", "How much did the water main repair cost?",
             "What did the Commerce Department decide in April?"]
SERVER = os.environ.get("RAG_TEST_QDRANT_URL")
BACKENDS = ["faiss", "qdrant://:memory:", "qdrant-path",
            pytest.param(SERVER or "server", marks=pytest.mark.skipif(
                not SERVER, reason="set RAG_TEST_QDRANT_URL to test a Qdrant server"))]


def store_uri(backend: str, tmp_path: Path) -> str:
    if backend != "faiss":
        pytest.importorskip("qdrant_client")
    if backend == "qdrant-path":
        return f"qdrant://{tmp_path / 'qdrant'}"
    if backend == SERVER:
        return f"{SERVER}?prefix=ragtest{os.getpid()}"
    return backend


@pytest.fixture(scope="module")
def corpus(bot):
    """Rows of every document of the test corpus, and what the reference rankings need."""
    index = bot.index
    terms = [Analyzer().terms(c.text) for c in index.chunks]
    vectors = index.store.chunk_vectors(list(range(len(index.chunks))))
    sparse = bm25_sparse(terms)
    rows = {}
    for doc in index.documents:
        c = [i for i, chunk in enumerate(index.chunks) if chunk.doc == doc]
        s = [i for i, sentence in enumerate(index.sentences) if sentence.doc == doc]
        rows[doc] = DocumentRows(doc, tuple(c), vectors[c], tuple(sparse[i] for i in c), tuple(s),
                                 index.sentence_vectors[s])
    questions = {q: (bot.encoder.encode([q])[0], bot.retriever.question_terms(q)) for q in QUESTIONS}
    return {"index": index, "terms": terms, "vectors": vectors, "rows": rows,
            "questions": questions}


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    settings = Settings(index_dir=tmp_path / "index", store=store_uri(request.param, tmp_path))
    settings.index_dir.mkdir()
    store = open_store(settings)
    yield store
    for name in getattr(store, "created", []):
        store.drop(name)


def fill(store, corpus, docs=None):
    """A sealed build holding `docs` (default: all) of the corpus."""
    name = new_build_name()
    store.created = [*getattr(store, "created", []), name]
    build = store.create(name, corpus["vectors"].shape[1])
    for doc in docs or corpus["rows"]:
        build.upsert(corpus["rows"][doc])
    folder = store.index_dir / name
    folder.mkdir()
    return name, build, build.seal(folder)


def exact_dense(corpus, vector, k, allowed):
    scores = corpus["vectors"] @ vector
    order = [i for i in np.argsort(-scores, kind="stable") if i in allowed]
    return [(int(i), float(scores[i])) for i in order[:k]]


def reference_bm25(corpus, terms, k, allowed, live):
    """BM25 (k1 1.5, b 0.75, Lucene idf) written out here: idf over the chunks in `live`,
    the mean length over the chunks the build's sparse vectors were computed from."""
    docs = [corpus["terms"][i] for i in live]
    avgdl = sum(map(len, corpus["terms"])) / len(corpus["terms"])
    df = Counter(t for d in docs for t in set(d))
    scores = {}
    for i, d in zip(live, docs):
        tf = Counter(d)
        score = sum(math.log((len(docs) - df[t] + 0.5) / (df[t] + 0.5) + 1)
                    * tf[t] * 2.5 / (tf[t] + 1.5 * (0.25 + 0.75 * len(d) / avgdl))
                    for t in set(terms) if t in tf)
        if score > 0 and i in allowed:
            scores[i] = score
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:k]


def same_ranking(got, expected):
    assert [p for p, _ in got] == [p for p, _ in expected]
    assert np.allclose([s for _, s in got], [s for _, s in expected], rtol=1e-4, atol=1e-5)


def test_dense_and_sparse_top_k_equal_exact_search_and_bm25(store, corpus):
    _, build, _ = fill(store, corpus)
    everything = set(range(len(corpus["index"].chunks)))
    for question, (vector, terms) in corpus["questions"].items():
        dense, sparse = build.search(vector, query_sparse(terms), 8)
        same_ranking(dense, exact_dense(corpus, vector, 8, everything))
        same_ranking(sparse, reference_bm25(corpus, terms, 8, everything, sorted(everything)))
        assert sparse, question


def test_fused_order_is_reciprocal_rank_fusion_of_the_two_rankings(store, corpus, bot):
    _, build, _ = fill(store, corpus)
    index = dataclasses.replace(corpus["index"], store=build)
    retriever = Retriever(index, bot.encoder, bot.settings)
    everything = set(range(len(index.chunks)))
    for question, (vector, terms) in corpus["questions"].items():
        rankings = (exact_dense(corpus, vector, 8, everything),
                    reference_bm25(corpus, terms, 8, everything, sorted(everything)))
        fused = Counter()
        for ranking in rankings:
            for rank, (position, _) in enumerate(ranking, 1):
                fused[position] += 1 / (60 + rank)
        hits = retriever.search(question, vector=vector, terms=terms)
        assert sorted((h.position, round(h.score, 9)) for h in hits) == sorted(
            (p, round(s, 9)) for p, s in fused.items())
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        for hit in hits:
            assert hit.cosine == pytest.approx(float(corpus["vectors"][hit.position] @ vector),
                                               abs=1e-5)


def test_document_filter_limits_both_rankings(store, corpus):
    _, build, _ = fill(store, corpus)
    chunks = corpus["index"].chunks
    for doc in corpus["rows"]:
        allowed = {i for i, c in enumerate(chunks) if c.doc == doc}
        for vector, terms in corpus["questions"].values():
            dense, sparse = build.search(vector, query_sparse(terms), 5, doc=doc)
            same_ranking(dense, exact_dense(corpus, vector, 5, allowed))
            same_ranking(sparse, reference_bm25(corpus, terms, 5, allowed, range(len(chunks))))
    assert build.search(corpus["questions"][QUESTIONS[0]][0], None, 5, doc="no-such-doc") == ((), ())


def test_delete_and_upsert_replace_a_documents_rows(store, corpus):
    docs = list(corpus["rows"])
    name = new_build_name()
    store.created = [name]
    build = store.create(name, corpus["vectors"].shape[1])
    for doc in docs:
        build.upsert(corpus["rows"][doc])
    build.upsert(corpus["rows"][docs[0]])  # again: replaces, never doubles
    build.delete(docs[1])
    (store.index_dir / name).mkdir()
    entry = build.seal(store.index_dir / name)
    chunks = corpus["index"].chunks
    live = [i for i, c in enumerate(chunks) if c.doc != docs[1]]
    assert entry["chunks"] == len(live)
    for vector, terms in corpus["questions"].values():
        dense, sparse = build.search(vector, query_sparse(terms), 8)
        same_ranking(dense, exact_dense(corpus, vector, 8, set(live)))
        # idf now counts only the chunks left
        same_ranking(sparse, reference_bm25(corpus, terms, 8, set(live), live))


def test_switch_is_atomic_and_retired_builds_are_dropped(store, corpus):
    first, _, first_entry = fill(store, corpus)
    store.switch(first)
    second, _, second_entry = fill(store, corpus, docs=list(corpus["rows"])[:1])
    # written but not switched to (a build that died here): the first is still the live one
    assert (store.index_dir / "CURRENT").read_text().strip() == first
    reopened = store.open(first, first_entry)
    vector, terms = corpus["questions"][QUESTIONS[0]]
    assert len(reopened.search(vector, query_sparse(terms), 30)[0]) == len(corpus["index"].chunks)
    store.switch(second)
    assert (store.index_dir / "CURRENT").read_text().strip() == second
    if store.spec.kind == "qdrant":
        aliases = {a.alias_name: a.collection_name for a in store.client.get_aliases().aliases}
        assert aliases[f"{store.spec.prefix}-chunks"] == store.names(second)["chunks"]
    store.drop(first)
    with pytest.raises(IndexCorrupt, match="missing or incomplete"):
        store.open(first, first_entry)
    assert len(store.open(second, second_entry).search(vector, None, 30)[0]) == len(
        corpus["rows"][list(corpus["rows"])[0]].chunk_positions)


def test_bundled_eval_gives_the_same_figures_with_either_store(bot, encoder, tmp_path):
    pytest.importorskip("qdrant_client")
    settings = dataclasses.replace(bot.settings, index_dir=tmp_path / "index",
                                   store="qdrant://:memory:")
    build_index(settings, encoder=encoder)
    other = Chatbot.load(corpus_dir=settings.corpus_dir, index_dir=settings.index_dir,
                         store="qdrant://:memory:")
    assert other.settings.store == "qdrant://:memory:"
    assert read_manifest(settings.index_dir)["store"]["uri"] == "qdrant://:memory:"
    questions = load_questions(ROOT / "eval" / "test.jsonl")
    faiss_report, faiss_outcomes = evaluate(bot, questions)
    qdrant_report, qdrant_outcomes = evaluate(other, questions)
    for figure in ("hit_at_1", "hit_at_3", "hit_at_5", "mrr", "answer_accuracy",
                   "abstention_recall", "false_abstention", "grounded"):
        assert getattr(faiss_report, figure) == getattr(qdrant_report, figure), figure
    assert [o.answer.answer for o in faiss_outcomes] == [o.answer.answer for o in qdrant_outcomes]
