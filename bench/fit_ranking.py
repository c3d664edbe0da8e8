"""Fit the sentence ranker and the abstention model of rag/rank.py; write rag/params/ranking.json.

Usage: python bench/fit_ranking.py [--squad FILE] [--end-to-end] [--plots DIR] [--write]

Sources, each its own corpus: every article of the SQuAD 2.0 file (default: the five dev
articles in /work/shared/data; SQuAD 2.0 by Rajpurkar, Jia and Liang 2018, CC BY-SA 4.0),
eval/dev.jsonl on corpus/ and eval/dev-articles.jsonl on eval/articles. eval/test.jsonl is
never read. Prints leave-one-source-out figures (each source scored by models fitted on the
others only), then fits on all sources; --write stores the result. Fixed seeds and sorted
inputs: the same data gives the same file. Indexes and features are cached under
bench/results/fit-cache/ (delete it after changing the index or the features).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import random
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import Chatbot  # noqa: E402
from rag.eval import Question, load_questions, normalize  # noqa: E402
from rag.eval_squad import evaluate_squad, load_squad, squad_table  # noqa: E402
from rag.rank import (QUESTION_FEATURES, SENTENCE_FEATURES, Model, Params,  # noqa: E402
                      Ranker, _question_features, question_terms, sentence_features)
from rag.retrieve import Analyzer  # noqa: E402

SQUAD = Path("/work/shared/data/squad2-dev-5articles.json")
CACHE = ROOT / "bench" / "results" / "fit-cache"
DEV_SETS = (("dev", "eval/dev.jsonl", "corpus"), ("dev-articles", "eval/dev-articles.jsonl",
                                                   "eval/articles"))
PARAMS = ROOT / "rag" / "params" / "ranking.json"
MAX_FALSE_ABSTENTION = 0.08  # the threshold abstains on at most this share of answerable ones
C = 1.0  # inverse regularization of both models
SYNTHETIC_SHARE = 0.2  # synthetic "subject only" questions per real question of a source


@dataclass
class Row:
    """One question: its candidates' features and which of them answer it."""
    source: str
    question: Question
    x: np.ndarray  # candidates x SENTENCE_FEATURES
    hit: np.ndarray  # candidate overlaps the evidence (the rule of rag.eval)
    gold: np.ndarray  # candidate holds a gold answer
    unknown: float


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _code_hash() -> str:
    files = ("rag/rank.py", "rag/retrieve.py", "rag/eval.py", "rag/chunk.py", "rag/clean.py",
             "rag/embed.py")
    return hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in files)).hexdigest()[:16]


def sources(squad: Path) -> list[tuple[str, Path, list[Question]]]:
    """(name, corpus folder, questions) for every source; SQuAD articles written to the cache."""
    out = []
    titles = [a["title"] for a in json.loads(squad.read_text(encoding="utf-8"))["data"]]
    for title in titles:
        _, text, questions = load_squad(squad, title)
        folder = CACHE / f"squad-{_slug(title)}"
        raw = folder / "corpus" / "raw" / f"{_slug(title)}.txt"
        raw.parent.mkdir(parents=True, exist_ok=True)
        if not raw.exists() or raw.read_text(encoding="utf-8") != text:
            raw.write_text(text, encoding="utf-8")
        out.append((f"squad:{title}", folder / "corpus", questions))
    for name, questions, corpus in DEV_SETS:
        folder = CACHE / name
        if not (folder / "corpus" / "raw").exists():
            shutil.copytree(ROOT / corpus / "raw", folder / "corpus" / "raw")
        out.append((name, folder / "corpus", load_questions(ROOT / questions)))
    return [(name, corpus, questions + subject_only(name, corpus, questions, out)
             + off_topic(name, questions, out)) for name, corpus, questions in out]


_NAME_RUN = re.compile(r"(?<!^)(?<![.?!] )\b[A-Z][\w’'.-]*(?: [A-Z][\w’'.-]*)*")


def _is_synthetic(row: Row) -> bool:
    return row.question.id.startswith("syn-")


def off_topic(name: str, questions: list[Question], every: list) -> list[Question]:
    """Other sources' questions asked of this one: unanswerable here, and as plainly so as
    the off-topic questions readers type, which SQuAD has none of."""
    pool = sorted(q.question for other, _, qs in every if other != name for q in qs)
    rng = random.Random(f"{name}:1")
    chosen = rng.sample(pool, min(len(pool), max(10, int(SYNTHETIC_SHARE * len(questions)))))
    return [Question(f"syn-off-{name}-{i}", q, (), "", False) for i, q in enumerate(chosen)]


def subject_only(name: str, corpus: Path, questions: list[Question], every: list) -> list[Question]:
    """Unanswerable questions about this article's subjects that ask what it never mentions.

    Another source's question gets this article's names in place of its own ("What is
    <name>'s revenue?"), kept only when most of its other words are absent from the article:
    the trap of a sentence that names the subject and nothing of what was asked, which the
    real question sets hold too few of to learn from.
    """
    analyzer = Analyzer()
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace")
                     for p in sorted((corpus / "raw").iterdir()))
    vocabulary = set(analyzer.terms(text))
    subjects = sorted({m.group() for q in questions if q.answerable
                       for m in _NAME_RUN.finditer(q.question)
                       if set(analyzer.terms(m.group())) <= vocabulary and analyzer.terms(m.group())})
    templates = sorted(q.question for other, _, qs in every if other != name for q in qs
                       if _NAME_RUN.search(q.question))
    rng = random.Random(f"{name}:0")
    rng.shuffle(templates)
    out: list[Question] = []
    want = max(10, int(SYNTHETIC_SHARE * len(questions)))
    for template in templates:
        if len(out) >= want or not subjects:
            break
        rest = set(analyzer.terms(_NAME_RUN.sub(" ", template)))
        if not rest or len(rest & vocabulary) > len(rest) / 3:
            continue
        question = _NAME_RUN.sub(lambda _: rng.choice(subjects), template)
        out.append(Question(f"syn-{name}-{len(out)}", question, (), "", False))
    return out


def retrieve(bot: Chatbot, text: str):
    """What the chatbot's own retrieval gives one question: the checked question, its
    vectors, its terms and the candidate sentences, in the order the features follow."""
    question = bot.check_question(text)
    found = bot.retriever.retrieve(question)
    return question, found.vectors, found.terms, found.candidates


def collect(name: str, corpus: Path, questions: list[Question]) -> list[Row]:
    """Every question through the chatbot's own retrieval, then the ranker's features."""
    cached = corpus.parent / "rows.pkl"
    key = _code_hash()
    if cached.exists():
        stored_key, fields = pickle.loads(cached.read_bytes())
        if stored_key == key and [f[1] for f in fields] == questions:
            return [Row(*f) for f in fields]
    bot = Chatbot.load(corpus_dir=corpus, index_dir=corpus.parent / "index")
    retriever = bot.retriever
    texts = {d.doc: d.text for d in bot.documents.values()}
    rows = []
    for q in questions:
        question, vectors, terms, candidates = retrieve(bot, q.question)
        qt = question_terms(question, terms, retriever)
        x, _ = sentence_features(question, qt, candidates, retriever, vectors)
        hit, gold = [], []
        for c in candidates:
            s = c.sentence
            at = texts[s.doc].find(q.evidence) if q.evidence else -1
            hit.append(at >= 0 and (q.doc is None or q.doc == s.doc) and min(
                s.end, at + len(q.evidence)) - max(s.start, at) >= len(q.evidence) / 2)
            gold.append(any(normalize(a) in normalize(s.text) for a in q.answers))
        rows.append(Row(name, q, x, np.array(hit, bool), np.array(gold, bool), qt.unknown))
    cached.write_bytes(pickle.dumps((key, [tuple(vars(r).values()) for r in rows])))
    print(f"  {name}: {len(rows)} questions", file=sys.stderr)
    return rows


def _family(row: Row) -> str:
    return "squad" if row.source.startswith("squad:") else "news"


def _weights(rows: list[Row]) -> np.ndarray:
    """Per-question weights under which SQuAD and the news sets count the same in all:
    the bot serves news, and SQuAD's 1,794 questions would otherwise drown 103 of them."""
    families = [_family(r) for r in rows]
    counts = {f: families.count(f) for f in set(families)}
    return np.array([len(rows) / (len(counts) * counts[f]) for f in families])


def _question_weights(rows: list[Row]) -> np.ndarray:
    """Weights under which each family's answerable and unanswerable questions count the
    same: synthetic negatives must not drag every confidence down with them."""
    cells = [(_family(r), r.question.answerable) for r in rows]
    counts = {c: cells.count(c) for c in set(cells)}
    return np.array([len(rows) / (len(counts) * counts[c]) for c in cells])


def _logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, names: tuple[str, ...]) -> Model:
    """Standardized L2 logistic regression, with the scaling folded into the weights."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    fit = LogisticRegression(C=C, max_iter=2000, random_state=0).fit(
        (x - mean) / scale, y, sample_weight=w)
    weights = fit.coef_[0] / scale
    bias = float(fit.intercept_[0] - (fit.coef_[0] * mean / scale).sum())
    return Model(names, tuple(float(v) for v in weights), bias)


def fit_sentence(rows: list[Row]) -> Model:
    """Softmax over each answerable question's candidates (conditional logit): the chance
    that the one ranked first answers, so only differences within a question matter."""
    from scipy.optimize import minimize

    used = [r for r in rows if r.question.answerable and r.hit.any() and not r.hit.all()]
    x = np.vstack([r.x for r in used])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    groups = [((r.x - mean) / scale, r.hit, w) for r, w in zip(used, _weights(used))]
    total = sum(w for _, _, w in groups)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = 0.5 * w @ w / C, w / C
        for xq, hit, weight in groups:
            s = xq @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            pos = p[hit].sum()
            value -= weight / total * len(groups) * np.log(pos)
            q = np.where(hit, p / pos, 0.0)
            grad -= weight / total * len(groups) * (q - p) @ xq
        return value, grad

    w = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x
    # The softmax fixes only differences: the bias keeps the scores near log-odds of 1/n.
    return Model(SENTENCE_FEATURES, tuple(float(v) for v in w / scale),
                 float(-(w * mean / scale).sum()))


def _question_rows(rows: list[Row], sentence: Model) -> np.ndarray:
    return np.array([_question_features(r.unknown, r.x, sentence.scores(r.x)) for r in rows])


def _by_source(rows: list[Row]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    for r in rows:
        out.setdefault(r.source, []).append(r)
    return out


def confidences(rows: list[Row], sentence: Model, question: Model) -> np.ndarray:
    z = question.scores(_question_rows(rows, sentence))
    return 1.0 / (1.0 + np.exp(-z))


def choose_threshold(rows: list[Row], conf: np.ndarray, right: np.ndarray) -> float:
    """The highest threshold at which false abstention, SQuAD and news weighing the same,
    stays within MAX_FALSE_ABSTENTION among the questions whose best sentence holds the
    answer: abstaining where the answer would have been wrong costs nothing."""
    answerable = np.array([r.question.answerable for r in rows]) & right
    w = _weights(rows)[answerable]
    c = conf[answerable]
    best = 0.0
    for t in np.round(np.arange(0.01, 0.99, 0.005), 3):
        if (w * (c < t)).sum() / w.sum() <= MAX_FALSE_ABSTENTION:
            best = float(t)
    return best


def fit(rows: list[Row]) -> Params:
    """Both models and the threshold; the question model and the threshold see sentence
    scores and confidences of models that were fitted without the question's own source."""
    groups = _by_source(rows)
    inner_rows, inner_x, right = [], [], []
    for name in sorted(groups):
        model = fit_sentence([r for r in rows if r.source != name])
        inner_rows += groups[name]
        inner_x.append(_question_rows(groups[name], model))
        right += [bool(r.gold[np.argmax(model.scores(r.x))]) for r in groups[name]]
    sentence = fit_sentence(rows)
    y = np.array([r.question.answerable for r in inner_rows], int)
    question = _logistic(np.vstack(inner_x), y, _question_weights(inner_rows),
                         QUESTION_FEATURES)
    # The threshold from out-of-source confidences, as the bot will meet new articles.
    conf = []
    for name in sorted(groups):
        rest = [r for r in inner_rows if r.source != name]
        mask = [r.source != name for r in inner_rows]
        q_model = _logistic(np.vstack(inner_x)[mask], y[mask],
                            _question_weights(rest), QUESTION_FEATURES)
        conf.append(1.0 / (1.0 + np.exp(-q_model.scores(np.vstack(inner_x)[~np.array(mask)]))))
    threshold = choose_threshold(inner_rows, np.concatenate(conf), np.array(right))
    return Params("1", sentence, question, threshold)


def _auroc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else float("nan")


def score(rows: list[Row], params: Params) -> dict[str, float]:
    """The figures of rag.eval for these questions under these parameters."""
    conf = confidences(rows, params.sentence, params.question)
    abstain = conf < params.threshold
    answerable = np.array([r.question.answerable for r in rows])
    ranks, correct = [], []
    for r, a in zip(rows, abstain):
        if not r.question.answerable:
            continue
        order = np.argsort(-params.sentence.scores(r.x), kind="stable")
        where = np.flatnonzero(r.hit[order])
        ranks.append(where[0] + 1 if len(where) else 99)
        correct.append(bool(r.gold[order[0]]) and not a)
    ranks = np.array(ranks)
    return {"n": len(rows), "hit@1": np.mean(ranks <= 1), "hit@3": np.mean(ranks <= 3),
            "answer": np.mean(correct), "auroc": _auroc(answerable.astype(int), conf),
            "false_abst": np.mean(abstain[answerable]),
            "abst_recall": np.mean(abstain[~answerable]) if (~answerable).any() else float("nan")}


def cross_validate(rows: list[Row]) -> tuple[dict[str, dict[str, float]],
                                              dict[str, tuple[list[Row], Params]]]:
    """Each source scored by parameters fitted on the others; pooled over SQuAD articles.
    Also each source's real questions with the parameters that scored them."""
    groups = _by_source(rows)
    table, folds = {}, {}
    for name in sorted(groups):
        params = fit([r for r in rows if r.source != name])
        real = [r for r in groups[name] if not _is_synthetic(r)]
        table[name] = score(real, params) | {"threshold": params.threshold}
        folds[name] = (real, params)
    table["squad pooled"] = _pooled([f for name, f in folds.items() if name.startswith("squad:")])
    return table, folds


def plot(folds: dict[str, tuple[list[Row], Params]], folder: Path) -> None:
    """ranking-confidence.png: held-out confidences per source, answerable against not;
    ranking-coverage.png: accuracy of the answers given against the share of questions
    answered, as the threshold moves (SQuAD articles and news sets pooled apart)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    names = sorted(folds)
    fig, axes = plt.subplots(2, (len(names) + 1) // 2, figsize=(3.2 * ((len(names) + 1) // 2), 5.6),
                             sharex=True, squeeze=False)
    curves: dict[str, list[tuple[float, bool, bool]]] = {}
    for ax, name in zip(axes.flat, names):
        rows, params = folds[name]
        conf = confidences(rows, params.sentence, params.question)
        answerable = np.array([r.question.answerable for r in rows])
        bins = np.linspace(0, 1, 21)
        ax.hist(conf[answerable], bins, alpha=0.6, label="answerable", color="tab:blue")
        ax.hist(conf[~answerable], bins, alpha=0.6, label="unanswerable", color="tab:orange")
        ax.axvline(params.threshold, color="black", linestyle="--", linewidth=1)
        ax.set_title(name.removeprefix("squad:").replace("_", " ")[:28], fontsize=9)
        for r, c in zip(rows, conf):
            right = r.question.answerable and bool(
                r.gold[np.argmax(params.sentence.scores(r.x))])
            curves.setdefault("SQuAD articles" if name.startswith("squad:") else "news sets",
                              []).append((float(c), right, r.question.answerable))
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("Confidence of held-out questions (dashed: that fold's threshold)", fontsize=10)
    fig.supxlabel("confidence", fontsize=9)
    fig.tight_layout()
    fig.savefig(folder / "ranking-confidence.png", dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for family, points in sorted(curves.items()):
        points.sort(key=lambda p: -p[0])
        right = np.cumsum([p[1] for p in points])
        n = np.arange(1, len(points) + 1)
        ax.plot(n / len(points), right / n, label=f"{family} ({len(points)} questions)")
    ax.set_xlabel("share of questions answered (the rest abstained, least confident first)")
    ax.set_ylabel("share of answers holding a gold answer")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("Accuracy against coverage, leave-one-source-out", fontsize=10)
    fig.tight_layout()
    fig.savefig(folder / "ranking-coverage.png", dpi=110)
    plt.close(fig)


def _pooled(parts: list[tuple[list[Row], Params]]) -> dict[str, float]:
    """Figures over all rows, each scored by its own fold's parameters."""
    sums: dict[str, float] = {}
    n = {"answerable": 0, "unanswerable": 0, "all": 0}
    confs, labels = [], []
    for rows, params in parts:
        s = score(rows, params)
        a = sum(r.question.answerable for r in rows)
        for key, count in (("hit@1", a), ("hit@3", a), ("answer", a), ("false_abst", a),
                           ("abst_recall", len(rows) - a)):
            sums[key] = sums.get(key, 0.0) + s[key] * count
        n["answerable"] += a
        n["unanswerable"] += len(rows) - a
        confs.append(confidences(rows, params.sentence, params.question))
        labels += [r.question.answerable for r in rows]
    out = {k: v / n["unanswerable" if k == "abst_recall" else "answerable"]
           for k, v in sums.items()}
    labels, confs = np.array(labels, bool), np.concatenate(confs)
    out["auroc"] = _auroc(labels.astype(int), confs)
    out["n"] = n["answerable"] + n["unanswerable"]
    # Where the curve of the held-out confidences passes false abstention .08.
    t = max((t for t in np.arange(0.0, 1.0, 0.001) if np.mean(confs[labels] < t) <= 0.08),
            default=0.0)
    out["recall_at_fa08"] = float(np.mean(confs[~labels] < t))
    return out


def to_json(params: Params) -> dict:
    return {
        "version": params.version,
        "fitted_by": "bench/fit_ranking.py",
        "data": "SQuAD 2.0 dev articles (Rajpurkar, Jia and Liang 2018, CC BY-SA 4.0), "
                "eval/dev.jsonl, eval/dev-articles.jsonl",
        "threshold": params.threshold,
        "sentence": {"bias": round(params.sentence.bias, 6), "weights": {
            f: round(w, 6) for f, w in zip(params.sentence.features, params.sentence.weights)}},
        "question": {"bias": round(params.question.bias, 6), "weights": {
            f: round(w, 6) for f, w in zip(params.question.features, params.question.weights)}},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squad", type=Path, default=SQUAD)
    parser.add_argument("--write", action="store_true", help="Write rag/params/ranking.json.")
    parser.add_argument("--no-cv", action="store_true", help="Skip cross-validation.")
    parser.add_argument("--plots", type=Path, help="Write the cross-validated confidence "
                        "histograms and accuracy-coverage curves (PNG) into this folder.")
    parser.add_argument("--end-to-end", action="store_true",
                        help="Also run each SQuAD article through the chatbot (rag.eval) with "
                             "parameters fitted without it.")
    args = parser.parse_args()
    np.random.seed(0)
    rows = []
    for name, corpus, questions in sources(args.squad):
        rows += collect(name, corpus, questions)
    if not args.no_cv:
        print(f"{'held-out source':42} {'n':>5} {'hit@1':>6} {'hit@3':>6} {'answer':>6} "
              f"{'AUROC':>6} {'f.abst':>6} {'a.rec':>6} {'thr':>5}")
        table, folds = cross_validate(rows)
        if args.plots:
            plot(folds, args.plots)
        for name, s in table.items():
            print(f"{name:42} {s['n']:5d} {s['hit@1']:6.3f} {s['hit@3']:6.3f} {s['answer']:6.3f} "
                  f"{s['auroc']:6.3f} {s['false_abst']:6.3f} {s['abst_recall']:6.3f} "
                  f"{s.get('threshold', float('nan')):5.3f}")
            if "recall_at_fa08" in s:
                print(f"{'':42} abstention recall where false abstention is .08: "
                      f"{s['recall_at_fa08']:.3f}")
    if args.end_to_end:
        import tempfile

        def ranker_for(title: str) -> Ranker:
            return Ranker(fit([r for r in rows if r.source != f"squad:{title}"]))

        for one_corpus in (False, True):
            with tempfile.TemporaryDirectory() as scratch:
                reports, pooled = evaluate_squad(args.squad, Path(scratch), ranker_for=ranker_for,
                                                 one_corpus=one_corpus)
            print("Leave-one-article-out, through the chatbot, "
                  + ("all articles in one corpus:" if one_corpus else "one article per corpus:"))
            print(squad_table(reports, pooled))
    params = fit(rows)
    data = to_json(params)
    print(json.dumps(data, indent=1))
    if args.write:
        PARAMS.parent.mkdir(exist_ok=True)
        PARAMS.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {PARAMS.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
