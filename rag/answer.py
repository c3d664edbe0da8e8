"""Scored sentences -> Answer: verbatim quotes with offsets, a short answer, or abstention.

The best sentence is the one that is close to the question in meaning (cosine), holds its
rare words (idf-weighted coverage), sits in a well-ranked chunk, and, when the question asks
for a kind of thing (who, when, how many, where), holds a thing of that kind; the headline
is held back, since it names the subject of most questions but rarely answers one. Whether
to answer at all is a logistic model over the same features, fitted on the development sets
(eval/dev*.jsonl) by bench/tune.py; its output is compared with Settings.min_confidence.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass

from rag.chunk import Sentence
from rag.retrieve import ScoredSentence

# Expected entity labels by question form, first match wins.
_QUESTION_TYPES: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (re.compile(r"\bhow much\b.*\b(cost|costs|pay|paid|spend|spent|worth|price|fund|funding|"
                r"budget|raise|raised|fine|fined|revenue|earn|sell|sold)\b|\bworth\b|"
                r"\bwhat (price|amount)\b|\bwhat (does|did|will|would) .{1,40} cost\b|"
                r"\bhow (expensive|costly)\b", re.I), frozenset({"MONEY"})),
    (re.compile(r"\bhow much\b", re.I), frozenset({"MONEY", "QUANTITY", "PERCENT", "CARDINAL"})),
    (re.compile(r"\bhow many\b|\bwhat (percentage|share|number)\b|"
                r"\bhow (far|big|large|tall|high|fast)\b|\bhow did .{1,40} vote\b", re.I),
     frozenset({"CARDINAL", "QUANTITY", "PERCENT"})),
    (re.compile(r"\bhow (old|long)\b", re.I), frozenset({"DATE", "TIME", "QUANTITY", "CARDINAL"})),
    (re.compile(r"\bwhen\b|\bwhat (year|date|day|month|time)\b|\bwhich (year|date|day|month)\b|"
                r"\bin what year\b|\bsince when\b", re.I), frozenset({"DATE", "TIME"})),
    (re.compile(r"\bwhere\b|\bwhich (country|city|state|place|region)\b", re.I),
     frozenset({"GPE", "LOC", "FAC", "ORG"})),
    (re.compile(r"\b(which|what)( [\w-]+)? (company|companies|firm|firms|agency|organization|committee|"
                r"group|brand|brands|maker|department|institute)\b", re.I),
     frozenset({"ORG", "GPE", "NORP", "PERSON"})),  # the small model often calls a firm a PERSON
    (re.compile(r"\bwho(se|m)?\b", re.I), frozenset({"PERSON", "ORG", "NORP", "GPE"})),
)
# "Who is Adam Segal?" asks for a description, not for a name.
_DESCRIBE = re.compile(r"^\s*(?i:who|what)\s+(?i:is|was|are|were)\s+[A-Z][\w.]*(\s+[A-Z][\w.]*)*\s*\??\s*$")

# Logistic confidence: fitted on eval/dev*.jsonl by bench/tune.py (see README).
CONFIDENCE_WEIGHTS = {"bias": -1.67, "cosine": 1.05, "lexical": 2.79, "type_missing": -1.2,
                      "unknown": -2.3, "type_match": 0.31}
# Sentence ranking weights (same features), chosen on eval/dev*.jsonl by bench/tune.py.
RANK_WEIGHTS = {"cosine": 1.0, "lexical": 0.5, "chunk": 0.0, "type_present": 0.4,
                "title": -0.3}


@dataclass(frozen=True)
class Quote:
    text: str  # == cleaned[start:end] of doc, always
    doc: str
    title: str  # the article's title
    section: str
    paragraph: int
    start: int
    end: int
    score: float
    answer_span: tuple[int, int] | None = None  # short answer inside text


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str  # verbatim short answer, "" if abstained
    abstained: bool
    quotes: tuple[Quote, ...]  # best first; closest passages if abstained
    confidence: float = 0.0  # 0..1; below Settings.min_confidence the bot abstains
    interpreted_as: str | None = None  # a follow-up made standalone, as it was answered

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Features:
    cosine: float
    lexical: float
    chunk: float
    type_expected: bool
    type_present: bool
    unknown: float
    is_title: bool  # the headline: it repeats the subject of most questions, rarely answers

    def confidence(self) -> float:
        w = CONFIDENCE_WEIGHTS
        z = (w["bias"] + w["cosine"] * self.cosine + w["lexical"] * self.lexical
             + w["type_missing"] * (self.type_expected and not self.type_present)
             + w["type_match"] * (self.type_expected and self.type_present)
             + w["unknown"] * self.unknown)
        return 1.0 / (1.0 + math.exp(-z))

    def rank(self) -> float:
        w = RANK_WEIGHTS
        return (w["cosine"] * self.cosine + w["lexical"] * self.lexical + w["chunk"] * self.chunk
                + w["type_present"] * (self.type_expected and self.type_present)
                + w["title"] * self.is_title)


def expected_labels(question: str) -> frozenset[str]:
    """Entity labels that would answer the question ('who' -> PERSON, ...); empty if any."""
    if _DESCRIBE.match(question):
        return frozenset()
    for pattern, labels in _QUESTION_TYPES:
        if pattern.search(question):
            return labels
    return frozenset()


def answer_entity(sentence: Sentence, labels: frozenset[str], question: str) -> tuple[int, int] | None:
    """The entity of an expected kind that the question does not already name.

    The entity nearest the question's own words in the sentence wins, with people ahead
    of organizations and places by a few words ('who').
    """
    asked = question.lower()
    anchors = [m.start() for word in re.findall(r"\w{4,}", asked)
               for m in re.finditer(re.escape(word), sentence.text.lower())]
    best = None
    for entity in sentence.entities:
        if entity.label not in labels:
            continue
        text = sentence.text[entity.start - sentence.start:entity.end - sentence.start]
        if text.lower() in asked:
            continue
        a, b = entity.start - sentence.start, entity.end - sentence.start
        distance = min((min(abs(a - x), abs(b - x)) for x in anchors), default=0)
        key = distance + 30 * _LABEL_PRIORITY.get(entity.label, 9)  # 30 chars per rank
        if best is None or key < best[0]:
            best = (key, (entity.start, entity.end))
    return best[1] if best else None


_LABEL_PRIORITY = {"PERSON": 0, "MONEY": 0, "DATE": 0, "CARDINAL": 1, "ORG": 1, "GPE": 2,
                   "PERCENT": 1, "QUANTITY": 1, "TIME": 1, "FAC": 2, "LOC": 2, "NORP": 3}


def features(candidate: ScoredSentence, labels: frozenset[str], question: str) -> Features:
    present = bool(labels) and answer_entity(candidate.sentence, labels, question) is not None
    return Features(candidate.cosine, candidate.lexical, candidate.chunk_score, bool(labels),
                    present, candidate.unknown, candidate.sentence.paragraph == 0)


def compose(question: str, candidates: list[ScoredSentence], titles: dict[str, str],
            max_quotes: int, min_confidence: float, ranking: str = "full") -> Answer:
    """Pick quotes and the short answer from scored sentences, or abstain."""
    if not candidates:
        return Answer(question, "", True, ())
    labels = expected_labels(question)
    by = (lambda fc: -fc[0].rank()) if ranking == "full" else (lambda fc: -fc[0].cosine)
    scored = sorted(((features(c, labels, question), c) for c in candidates), key=by)
    best_features, best = scored[0]
    confidence = best_features.confidence()
    abstained = confidence < min_confidence
    quotes = []
    used: set[tuple[str, int]] = set()
    for f, candidate in scored:
        s = candidate.sentence
        key = (s.doc, s.start)
        if key in used:
            continue
        used.add(key)
        span = None
        if not abstained and len(quotes) == 0:
            entity = answer_entity(s, labels, question) if labels else None
            span = (entity[0] - s.start, entity[1] - s.start) if entity else (0, len(s.text))
        quotes.append(Quote(s.text, s.doc, titles.get(s.doc, s.doc), s.section, s.paragraph,
                            s.start, s.end, round(f.rank(), 4), span))
        if len(quotes) >= max_quotes:
            break
    answer = "" if abstained else best.sentence.text
    return Answer(question, answer, abstained, tuple(quotes), round(confidence, 4))
