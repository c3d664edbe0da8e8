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
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.answer import Answer
from rag.chatbot import Chatbot
from rag.errors import RagError

QUOTES_SCORED = 5  # quotes asked for per question: enough for hit@5, whatever max_quotes is


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

    def below(self, **floors: float | None) -> list[str]:
        """The figures (named as printed: hit@3, answer accuracy) under their floor; a None
        floor is none."""
        return [name.replace("_", " ").replace("hit at ", "hit@") for name, floor in floors.items()
                if floor is not None and getattr(self, name) < floor]

    def as_text(self) -> str:
        """The report as `rag eval` prints it: the figures, then the misses."""
        lines = [f"{self.n} questions ({self.answerable} answerable, "
                 f"{self.unanswerable} unanswerable)"]
        rows = [("hit@1", self.hit_at_1), ("hit@3", self.hit_at_3), ("hit@5", self.hit_at_5),
                ("MRR", self.mrr), ("answer accuracy", self.answer_accuracy),
                ("span exact match", self.exact_match), ("span F1", self.f1),
                ("abstention recall", self.abstention_recall),
                ("false abstention", self.false_abstention), ("grounded", self.grounded)]
        lines += [f"  {name:<18} {value:6.3f}" for name, value in rows]
        lines.append("  (span exact match and F1 compare the short answer marked in the quoted "
                     "sentence with the gold answers, SQuAD-style; answer accuracy counts a "
                     "gold answer anywhere in the sentence)")
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
        problem = question_problem(question)
        if problem:
            raise RagError(f"{path} line {number}: {problem}.")
        questions.append(question)
    if not questions:
        raise RagError(f"{path} holds no questions.")
    return questions


def question_problem(question: Question) -> str | None:
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


def short_answer(answer: Answer) -> str:
    """The short answer the first quote marks (answer_span); "" when abstained."""
    if answer.abstained or not answer.quotes:
        return ""
    best = answer.quotes[0]
    return best.text[slice(*best.answer_span)] if best.answer_span else best.text


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
        answer = bot.ask(q.question, k=QUOTES_SCORED)
        ms = (time.perf_counter() - started) * 1000
        grounded = all(texts[x.doc][x.start:x.end] == x.text for x in answer.quotes)
        short = short_answer(answer)
        correct = q.answerable and not answer.abstained and any(
            normalize(a) in normalize(answer.answer) for a in q.answers)
        exact = max((float(normalize(short) == normalize(a)) for a in q.answers), default=0.0)
        f1 = max((token_f1(short, a) for a in q.answers), default=0.0)
        outcomes.append(Outcome(q, answer, _evidence_rank(answer, q, texts), correct, exact, f1,
                                grounded, ms))
    return report_of(outcomes), outcomes


def report_of(outcomes: list[Outcome]) -> Report:
    """The figures over these outcomes (a pooled report: outcomes of several runs)."""
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
