"""Choose the sentence-ranking weights and fit the abstention model on the development sets.

Usage: python bench/tune.py [QUESTIONS:CORPUS ...]
Default: eval/dev.jsonl on the bundled corpus and eval/dev-articles.jsonl on the made-up
articles of tests/data (several articles, so the fit is not one article's). Prints the
weights to put in rag/answer.py and the figures they give. eval/test.jsonl is never used
here, so that its figures stay honest.
"""

from __future__ import annotations

import itertools
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from rag import Chatbot
from rag import answer as answer_module
from rag.eval import load_questions


DEFAULT_SETS = ("eval/dev.jsonl:corpus", "eval/dev-articles.jsonl:eval/articles")


def collect(question_file: Path, corpus: Path, scratch: Path) -> list:
    """(question, [(features, holds the evidence)]) for every question of the file."""
    shutil.copytree(corpus / "raw", scratch / "corpus" / "raw")
    bot = Chatbot.load(corpus_dir=scratch / "corpus", index_dir=scratch / "index")
    texts = {d.doc: d.text for d in bot.documents.values()}
    rows = []
    for q in load_questions(question_file):
        question = bot.check_question(q.question)
        vector = bot.encoder.encode([question])[0]
        terms = bot.retriever.question_terms(question)
        hits = bot.retriever.search(question, vector=vector, terms=terms)
        labels = answer_module.expected_labels(question)
        cands = []
        for c in bot.retriever.candidate_sentences(hits, vector, terms):
            at = texts[c.sentence.doc].find(q.evidence) if q.evidence else -1
            hit = at >= 0 and min(c.sentence.end, at + len(q.evidence)) - max(c.sentence.start, at) \
                >= len(q.evidence) / 2
            cands.append((answer_module.features(c, labels, question), hit))
        rows.append((q, cands))
    return rows


def main() -> None:
    rows = []
    for pair in sys.argv[1:] or DEFAULT_SETS:
        questions, corpus = pair.split(":")
        with tempfile.TemporaryDirectory() as scratch:
            rows += collect(Path(questions), Path(corpus), Path(scratch))

    best = None
    grid = {"lexical": [0.3, 0.5, 0.8, 1.2], "chunk": [0.0, 0.15, 0.3],
            "type_present": [0.0, 0.1, 0.2, 0.3, 0.4], "title": [0.0, -0.1, -0.2, -0.3]}
    for lex, ch, ty, ti in itertools.product(*grid.values()):
        weights = {"cosine": 1.0, "lexical": lex, "chunk": ch, "type_present": ty, "title": ti}
        answer_module.RANK_WEIGHTS.update(weights)
        mrr = 0.0
        for q, cands in rows:
            if not q.answerable:
                continue
            ranked = sorted(cands, key=lambda fc: -fc[0].rank())
            rank = next((i for i, (_, hit) in enumerate(ranked, 1) if hit), None)
            mrr += 1 / rank if rank else 0
        # Ties go to the larger type weight: the dev set has few typed questions that
        # separate the settings, and answer typing helps on articles full of numbers.
        key = (round(mrr, 6), ty)
        if best is None or key > best[2]:
            best = (mrr, dict(weights), key)
    answerable = sum(q.answerable for q, _ in rows)
    print(f"RANK_WEIGHTS = {best[1]}  (dev MRR {best[0] / answerable:.3f})")
    answer_module.RANK_WEIGHTS.update(best[1])

    from sklearn.linear_model import LogisticRegression

    x, y = [], []
    for q, cands in rows:
        top = max(cands, key=lambda fc: fc[0].rank())[0]
        x.append([top.cosine, top.lexical, float(top.type_expected and not top.type_present),
                  top.unknown, float(top.type_expected and top.type_present)])
        y.append(int(q.answerable))
    model = LogisticRegression(C=1.0, class_weight="balanced").fit(np.array(x), np.array(y))
    w = model.coef_[0]
    weights = {"bias": round(float(model.intercept_[0]), 2), "cosine": round(float(w[0]), 2),
               "lexical": round(float(w[1]), 2), "type_missing": round(float(w[2]), 2),
               "unknown": round(float(w[3]), 2), "type_match": round(float(w[4]), 2)}
    print(f"CONFIDENCE_WEIGHTS = {weights}")
    answer_module.CONFIDENCE_WEIGHTS.update(weights)
    probs = [max(cands, key=lambda fc: fc[0].rank())[0].confidence() for _, cands in rows]
    print("threshold  abstain-recall  false-abstention")
    best_t = None
    for t in np.arange(0.2, 0.81, 0.05):
        recall = np.mean([p < t for p, (q, _) in zip(probs, rows) if not q.answerable])
        false = np.mean([p < t for p, (q, _) in zip(probs, rows) if q.answerable])
        print(f"{t:9.2f}  {recall:14.3f}  {false:16.3f}")
        score = recall - 1.5 * false  # a wrong abstention costs more than a missed one
        if best_t is None or score > best_t[0] + 1e-9:
            best_t = (score, round(float(t), 2))
    print(f"min_confidence = {best_t[1]}")


if __name__ == "__main__":
    main()
