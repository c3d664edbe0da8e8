"""Ranked sentences -> Answer: verbatim quotes with offsets, a short answer, or abstention.

Which sentence is best, and whether to answer at all, is decided by rag/rank.py; this module
turns that decision into quotes: distinct sentences best first, the first one carrying the
span of the expected kind of entity (a name for who, a date for when) when it holds one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rag.rank import Ranking, answer_entity, expected_labels  # noqa: F401  (public names)


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
    confidence: float = 0.0  # 0..1; below the fitted threshold the bot abstains
    interpreted_as: str | None = None  # a follow-up made standalone, as it was answered

    def to_dict(self) -> dict:
        return asdict(self)


def compose(question: str, ranking: Ranking, titles: dict[str, str], max_quotes: int) -> Answer:
    """Quotes and the short answer from a ranking, or an abstention with the closest passages."""
    if not ranking.ranked:
        return Answer(question, "", True, ())
    quotes = []
    used: set[tuple[str, int]] = set()
    for r in ranking.ranked:
        s = r.candidate.sentence
        key = (s.doc, s.start)
        if key in used:
            continue
        used.add(key)
        span = None
        if not ranking.abstained and not quotes:
            span = (r.span[0] - s.start, r.span[1] - s.start) if r.span else (0, len(s.text))
        quotes.append(Quote(s.text, s.doc, titles.get(s.doc, s.doc), s.section, s.paragraph,
                            s.start, s.end, round(r.score, 4), span))
        if len(quotes) >= max_quotes:
            break
    answer = "" if ranking.abstained else ranking.ranked[0].candidate.sentence.text
    return Answer(question, answer, ranking.abstained, tuple(quotes),
                  round(ranking.confidence, 4))
