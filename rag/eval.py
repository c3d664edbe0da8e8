"""Score a question set: retrieval hits, answer accuracy, abstention, groundedness, latency.

A question file is JSON Lines: {"id", "question", "answers", "evidence", "answerable"}.
`evidence` is the verbatim sentence (or part of it) that answers; a quote "hits" when it
overlaps at least half of the evidence in the cleaned text.
"""

from __future__ import annotations

import json
import re
import statistics
import string
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.answer import Answer
from rag.chatbot import Chatbot
from rag.config import Settings
from rag.errors import RagError
from rag.rank import Ranker


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    evidence: str
    answerable: bool
    doc: str | None = None  # which article the evidence is in; None: any


@dataclass(frozen=True)
class Outcome:
    question: Question
    answer: Answer
    rank: int | None  # 1-based rank of the first quote holding the evidence
    correct: bool  # an acceptable answer inside the short answer
    exact: float
    f1: float
    grounded: bool
    ms: float


@dataclass(frozen=True)
class Report:
    n: int
    answerable: int
    unanswerable: int
    hit_at_1: float
    hit_at_3: float
    hit_at_5: float
    mrr: float
    answer_accuracy: float
    exact_match: float
    f1: float
    abstention_recall: float  # unanswerable questions abstained on
    false_abstention: float  # answerable questions abstained on
    grounded: float
    latency_p50_ms: float
    latency_p95_ms: float
    misses: tuple[dict, ...] = field(default=())
    auroc: float = float("nan")  # confidence separating answerable from unanswerable ones

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """The report as `rag eval` prints it: the figures, then the misses."""
        lines = [f"{self.n} questions ({self.answerable} answerable, "
                 f"{self.unanswerable} unanswerable)"]
        rows = [("hit@1", self.hit_at_1), ("hit@3", self.hit_at_3), ("hit@5", self.hit_at_5),
                ("MRR", self.mrr), ("answer accuracy", self.answer_accuracy),
                ("exact match", self.exact_match), ("token F1", self.f1),
                ("abstention recall", self.abstention_recall),
                ("false abstention", self.false_abstention), ("grounded", self.grounded)]
        lines += [f"  {name:<18} {value:6.3f}" for name, value in rows]
        lines.append("  (exact match and token F1 compare the whole answer sentence with short "
                     "gold answers, so they are low by design; answer accuracy counts a gold "
                     "answer inside the sentence)")
        lines.append(f"  {'latency p50/p95':<18} {self.latency_p50_ms:.1f} / "
                     f"{self.latency_p95_ms:.1f} ms")
        if self.misses:
            lines.append(f"\nMisses ({len(self.misses)}):")
            lines += [f"  {m['id']}: {m['question']}\n      expected: {m['expected'][:90]}"
                      f"\n      got:      {m['got'][:90]}" for m in self.misses]
        return "\n".join(lines)


def json_lines(path: Path, kind: str) -> list[tuple[int, str]]:
    """(line number, line) of the non-blank lines of a JSON Lines file of `kind`s.

    Raises RagError when the file cannot be read.
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise RagError(f"Cannot read {kind} file {path}: {e}.") from None
    return [(number, line) for number, line in enumerate(lines, 1) if line.strip()]


def load_questions(path: Path) -> list[Question]:
    """Read a JSON Lines question file. Raises RagError naming the bad line."""
    questions = []
    for number, line in json_lines(path, "question"):
        try:
            row = json.loads(line)
            question = Question(str(row["id"]), row["question"], tuple(row.get("answers", ())),
                                row.get("evidence", ""), bool(row["answerable"]), row.get("doc"))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise RagError(f"{path} line {number} is not a valid question ({e}).") from None
        problem = _problem(question)
        if problem:
            raise RagError(f"{path} line {number}: {problem}.")
        questions.append(question)
    if not questions:
        raise RagError(f"{path} holds no questions.")
    return questions


def _problem(question: Question) -> str | None:
    """What makes a question row unusable, or None."""
    if not isinstance(question.question, str) or not re.search(r"\w", question.question):
        return "the question is empty"
    if not all(isinstance(a, str) for a in question.answers):
        return "answers must be a list of texts"
    if not isinstance(question.evidence, str):
        return "evidence must be text"
    if question.doc is not None and not isinstance(question.doc, str):
        return "doc must be an article id"
    return None


def load_squad(path: Path, title: str | None = None, allow_empty: bool = False
               ) -> tuple[str, str, list[Question]]:
    """One article of a SQuAD 2.0 file as (title, article text, questions).

    The evidence of a question is its first answer's text: a quote holding it is a hit.
    Raises RagError when the file is not SQuAD JSON or has no such title.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
        if not isinstance(data, list):
            raise TypeError("data is not a list")
        articles = [a for a in data if title is None or a.get("title") == title]
        if not articles:
            names = ", ".join(str(a.get("title")) for a in data[:10])
            raise RagError(f"No article titled {title!r} in {path}; it has: {names or 'none'}.")
        article = articles[0]
        name = str(article.get("title") or "squad-article").replace("_", " ")
        paragraphs, pending = [], []
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            paragraphs.append(" ".join(context.split()))
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa.get("answers", [])))
                impossible = bool(qa.get("is_impossible")) or not answers
                at = qa["answers"][0].get("answer_start", 0) if not impossible else 0
                pending.append((len(paragraphs) - 1,
                                len(" ".join((context[:at] + "x").split())) - 1, qa, answers,
                                impossible))
        text = name + "\n\n" + "\n\n".join(paragraphs) + "\n"
        starts = [len(name) + 2 + sum(len(p) + 2 for p in paragraphs[:i])
                  for i in range(len(paragraphs))]
        questions = []
        for number, at, qa, answers, impossible in pending:
            bounds = (starts[number], starts[number] + len(paragraphs[number]))
            evidence = "" if impossible else _unique_evidence(text, bounds, starts[number] + at,
                                                              " ".join(answers[0].split()))
            question = Question(str(qa["id"]), qa["question"], () if impossible else answers,
                                evidence, not impossible)
            if _problem(question):
                raise ValueError(f"question {question.id}: {_problem(question)}")
            questions.append(question)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as e:
        detail = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        raise RagError(f"{path} is not a SQuAD 2.0 JSON file ({detail[:100]}).") from None
    if not paragraphs or (not questions and not allow_empty):
        raise RagError(f"The article {name!r} in {path} has no paragraphs or no questions.")
    return name, text, questions


def _unique_evidence(text: str, paragraph: tuple[int, int], at: int, answer: str) -> str:
    """The answer at its own place, widened word by word inside its paragraph until the
    article holds it once.

    A short answer ("1960") may occur in several sentences; only the one it was written
    about is the evidence.
    """
    found = text.find(answer, max(paragraph[0], at - 20), paragraph[1])
    if found < 0 or abs(found - at) > 20:
        return answer
    a, b = found, found + len(answer)
    while text.count(text[a:b]) > 1 and (a > paragraph[0] or b < paragraph[1]):
        a = max(paragraph[0], text.rfind(" ", paragraph[0], max(a - 1, paragraph[0])) + 1)
        space = text.find(" ", b + 1, paragraph[1])
        b = space if space > 0 else paragraph[1]
    return text[a:b]


def normalize(text: str) -> str:
    """SQuAD normalization: lower case, no punctuation, no articles, single spaces."""
    text = text.lower().replace("’", "'")
    text = "".join(c for c in text if c not in set(string.punctuation) | {"“", "”", "‘"})
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def token_f1(prediction: str, truth: str) -> float:
    pred, gold = normalize(prediction).split(), normalize(truth).split()
    common = sum((Counter(pred) & Counter(gold)).values())
    if not pred or not gold or common == 0:
        return float(not pred and not gold)
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def _evidence_rank(answer: Answer, question: Question, texts: dict[str, str]) -> int | None:
    if not question.evidence:
        return None
    for rank, quote in enumerate(answer.quotes, 1):
        if question.doc and quote.doc != question.doc:
            continue
        at = texts[quote.doc].find(question.evidence)
        if at < 0:
            continue
        overlap = min(quote.end, at + len(question.evidence)) - max(quote.start, at)
        if overlap >= len(question.evidence) / 2:
            return rank
    return None


def evaluate(bot: Chatbot, questions: list[Question], bar: str | None = None
             ) -> tuple[Report, list[Outcome]]:
    """Run every question through bot.ask and score the answers; `bar`: show a progress
    bar with that label on stderr."""
    from tqdm import tqdm

    texts = {d.doc: d.text for d in bot.documents.values()}
    outcomes = []
    for q in tqdm(questions, desc=bar, unit="question", disable=bar is None, file=sys.stderr,
                  leave=False):
        started = time.perf_counter()
        answer = bot.ask(q.question, k=5)
        ms = (time.perf_counter() - started) * 1000
        grounded = all(texts[x.doc][x.start:x.end] == x.text for x in answer.quotes)
        short = answer.answer
        correct = q.answerable and not answer.abstained and any(
            normalize(a) in normalize(short) for a in q.answers)
        exact = max((float(normalize(short) == normalize(a)) for a in q.answers), default=0.0)
        f1 = max((token_f1(short, a) for a in q.answers), default=0.0)
        outcomes.append(Outcome(q, answer, _evidence_rank(answer, q, texts), correct, exact, f1,
                                grounded, ms))
    return _report(outcomes), outcomes


def _report(outcomes: list[Outcome]) -> Report:
    answerable = [o for o in outcomes if o.question.answerable]
    unanswerable = [o for o in outcomes if not o.question.answerable]

    def share(items, test) -> float:
        return round(sum(1 for o in items if test(o)) / len(items), 4) if items else 0.0

    latencies = sorted(o.ms for o in outcomes)
    misses = []
    for o in outcomes:
        wrong = (o.question.answerable and (not o.correct or o.rank != 1)) or (
            not o.question.answerable and not o.answer.abstained)
        if wrong:
            misses.append({"id": o.question.id, "question": o.question.question,
                           "expected": "abstain" if not o.question.answerable else o.question.evidence,
                           "got": "abstained" if o.answer.abstained else o.answer.answer,
                           "evidence_rank": o.rank, "confidence": o.answer.confidence})
    return Report(
        n=len(outcomes), answerable=len(answerable), unanswerable=len(unanswerable),
        hit_at_1=share(answerable, lambda o: o.rank is not None and o.rank <= 1),
        hit_at_3=share(answerable, lambda o: o.rank is not None and o.rank <= 3),
        hit_at_5=share(answerable, lambda o: o.rank is not None and o.rank <= 5),
        mrr=round(sum(1 / o.rank for o in answerable if o.rank) / len(answerable), 4)
        if answerable else 0.0,
        answer_accuracy=share(answerable, lambda o: o.correct),
        exact_match=round(statistics.fmean(o.exact for o in answerable), 4) if answerable else 0.0,
        f1=round(statistics.fmean(o.f1 for o in answerable), 4) if answerable else 0.0,
        abstention_recall=share(unanswerable, lambda o: o.answer.abstained),
        false_abstention=share(answerable, lambda o: o.answer.abstained),
        grounded=share(outcomes, lambda o: o.grounded),
        latency_p50_ms=round(statistics.median(latencies), 2),
        latency_p95_ms=round(p95(latencies), 2),
        misses=tuple(misses),
        auroc=round(auroc([o.question.answerable for o in outcomes],
                          [o.answer.confidence for o in outcomes]), 4),
    )


def p95(values: list[float]) -> float:
    """The 95th percentile (statistics.quantiles, inclusive: within the values seen)."""
    if len(values) < 2:
        return float(values[0]) if values else float("nan")
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def squad_corpus(folder: Path, text: str) -> Path:
    """A corpus folder under `folder` holding one SQuAD article as raw/squad-article.txt;
    returns it (its index goes beside it, in folder/index)."""
    raw = Path(folder) / "corpus" / "raw"
    raw.mkdir(parents=True)
    (raw / "squad-article.txt").write_text(text, encoding="utf-8")
    return raw.parent


def auroc(labels: list[bool], scores: list[float]) -> float:
    """Chance that a random positive scores above a random negative (ties count half)."""
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return float("nan")
    first: dict[float, int] = {}
    count: Counter = Counter()
    for i, v in enumerate(sorted(pos + neg), 1):
        first.setdefault(v, i)
        count[v] += 1
    rank = {v: first[v] + (count[v] - 1) / 2 for v in first}  # tied values share their mean rank
    total = sum(rank[v] for v in pos) - len(pos) * (len(pos) + 1) / 2
    return total / (len(pos) * len(neg))


def squad_titles(path: Path) -> list[str]:
    """Titles of the articles of a SQuAD 2.0 file, in file order."""
    try:
        return [str(a["title"]) for a in json.loads(Path(path).read_text(encoding="utf-8"))["data"]]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
        raise RagError(f"{path} is not a SQuAD 2.0 JSON file ({type(e).__name__}).") from None


def evaluate_squad(path: Path, scratch: Path, settings: Settings | None = None,
                   ranker_for: Callable[[str], Ranker] | None = None, bars: bool = False
                   ) -> tuple[dict[str, Report], Report]:
    """Each article of a SQuAD file in a corpus of its own (built under scratch): a report
    per article and one over all their questions. `ranker_for(title)` replaces the shipped
    ranker, e.g. by one fitted without that article (bench/fit_ranking.py --end-to-end).
    `bars`: a progress bar over the articles, and one over each article's questions, on
    stderr."""
    from tqdm import tqdm

    reports, pooled = {}, []
    titles = squad_titles(path)
    for number, title in enumerate(tqdm(titles, desc="Articles", unit="article",
                                        disable=not bars, file=sys.stderr)):
        _, text, questions = load_squad(path, title, allow_empty=True)
        if not questions:  # nothing to score in this article
            continue
        corpus = squad_corpus(Path(scratch) / str(number), text)
        bot = Chatbot.load(corpus, corpus.parent / "index", settings)
        if ranker_for is not None:
            bot.ranker = ranker_for(title)
        bot.warm_up()
        reports[title], outcomes = evaluate(bot, questions, bar=title[:30] if bars else None)
        pooled += outcomes
    return reports, _report(pooled)


def squad_table(reports: dict[str, Report], pooled: Report) -> str:
    """Per-article figures and the pooled ones, as a Markdown table."""
    lines = [("| article | questions | hit@1 | hit@3 | answer acc. | AUROC | false abstention "
              "| abstention recall | p50 ms |"), "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in [*reports.items(), ("**pooled**", pooled)]:
        lines.append(f"| {name} | {r.n} | {r.hit_at_1:.3f} | {r.hit_at_3:.3f} | "
                     f"{r.answer_accuracy:.3f} | {r.auroc:.3f} | {r.false_abstention:.3f} | "
                     f"{r.abstention_recall:.3f} | {r.latency_p50_ms:.1f} |")
    return "\n".join(lines)


def squad_command(path: Path, settings: Settings, as_json: bool, echo,
                  bars: bool = False) -> bool:
    """`rag eval --squad FILE` without --title: the per-article table, when the file holds
    more than one article (False: let the caller evaluate its only article). `bars`:
    progress on stderr."""
    if len(squad_titles(path)) < 2:
        return False
    with tempfile.TemporaryDirectory(prefix="rag-squad-") as scratch:
        reports, pooled = evaluate_squad(path, Path(scratch), settings, bars=bars)
    echo(json.dumps({t: r.to_dict() for t, r in reports.items()} | {"pooled": pooled.to_dict()},
                    ensure_ascii=False, indent=2) if as_json else squad_table(reports, pooled))
    return True
