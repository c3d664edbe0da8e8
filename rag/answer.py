"""Ranked sentences -> Answer: the best sentence and verbatim quotes with offsets (the first
with its short-answer span), or an abstention with the closest passages.

Which sentence is best, and whether to answer at all, is decided by rag/rank.py; this module
turns that decision into quotes: distinct sentences best first, the first one carrying the
span of the expected kind of entity (a name for who, a date for when) when it holds one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from rag.rank import Ranking, answer_entity, expected_labels  # noqa: F401  (public names)

ABSTAIN_TEXT = "The article doesn't say."  # what every interface says when the bot abstains


@dataclass(frozen=True)
class Quote:
    """One verbatim sentence of an article, with where it is.

    Attributes:
        text: the sentence, exactly ``clean_text[start:end]`` of article ``doc``
            (``corpus/clean/<doc>.txt``).
        doc: the article's id (see ``rag list``); title: its headline.
        section: the nearest subheading above the sentence, or "".
        paragraph: 1-based body paragraph; 0 for the headline.
        start, end: character offsets in the cleaned article text.
        score: 0..1, the ranking model's share for this sentence among the question's
            candidate sentences (they sum to 1 over all candidates; quotes are best first).
        answer_span: the short answer as offsets inside ``text`` (the whole sentence when no
            shorter span is typed), on the first quote of an answer only; else None.
        answer_offsets: the same span in the article's cleaned text, or None.
    """

    text: str
    doc: str
    title: str
    section: str
    paragraph: int
    start: int
    end: int
    score: float
    answer_span: tuple[int, int] | None = None
    answer_offsets: tuple[int, int] | None = None

    def where(self, with_title: bool = True) -> tuple[str, ...]:
        """Where the quote is, for a citation line: the article's title (unless
        with_title is False), the section if any, and "paragraph N" (or "title")."""
        parts = (self.title if with_title else "", self.section,
                 f"paragraph {self.paragraph}" if self.paragraph else "title")
        return tuple(p for p in parts if p)

    def citation(self, number: int, with_title: bool = True) -> str:
        """The quote as one plain-text source line: '[1] “text” — title, paragraph 3'."""
        return f"[{number}] “{self.text}” — {', '.join(self.where(with_title))}"


@dataclass(frozen=True)
class Answer:
    """What the chatbot says to a question.

    Attributes:
        question: the question as asked (cleaned of control characters).
        answer: the best sentence, verbatim from the article; "" when abstained.
        abstained: True when the articles do not say: ``quotes`` are then only the closest
            passages, not an answer.
        quotes: up to k distinct sentences, best first.
        confidence: 0..1, the abstention model's estimate that the best sentence answers;
            below the fitted threshold the bot abstains (except for a follow-up that a rule
            resolved to one sentence: an enumeration item, or who said the previous answer).
        interpreted_as: for a follow-up in a conversation, the standalone question that was
            answered; None when the question stood on its own.
    """

    question: str
    answer: str
    abstained: bool
    quotes: tuple[Quote, ...]
    confidence: float = 0.0
    interpreted_as: str | None = None

    def to_dict(self) -> dict:
        """The answer as JSON-ready dicts and lists."""
        return asdict(self)

    def as_text(self) -> str:
        """The answer as `rag ask` prints it: the sentence (or the abstention and the closest
        passages), then each quote numbered with its citation line."""
        lines = [f"(Interpreted as: {self.interpreted_as})"] if self.interpreted_as else []
        if self.abstained:
            lines += [ABSTAIN_TEXT] + (["", "Closest passages:"] if self.quotes else [])
        else:
            lines += [self.answer, ""]
        for number, quote in enumerate(self.quotes, 1):
            lines += [f"[{number}] {quote.text}",
                      f"    — {', '.join(quote.where())} (chars {quote.start}–{quote.end})"]
        return "\n".join(lines)

    def as_plain_text(self, with_title: bool = True) -> str:
        """The answer as the web chat's Copy button copies it: the sentence (or the
        abstention), then the sources as citation lines (Quote.citation); no markup."""
        if self.abstained:
            lines = [ABSTAIN_TEXT] + (["", "Closest passages (not an answer):"]
                                      if self.quotes else [])
        else:
            lines = [self.answer] + (["", "Sources:"] if self.quotes else [])
        lines += [quote.citation(number, with_title) for number, quote in enumerate(self.quotes, 1)]
        return "\n".join(lines)


def answer_from(question: str, ranking: Ranking, titles: dict[str, str],
                max_quotes: int) -> Answer:
    """The answer sentence and quotes from a ranking (the first quote with its short-answer
    span), or an abstention with the closest passages."""
    if not ranking.ranked:
        return Answer(question, "", True, ())
    quotes = []
    used: set[tuple[str, int]] = set()
    # Scores are the sentence model's log-odds: a softmax over the question's candidates
    # (as the model was fitted) gives each a documented 0..1 share.
    logits = np.array([r.score for r in ranking.ranked])
    shares = np.exp(logits - logits.max())
    shares /= shares.sum()
    for r, share in zip(ranking.ranked, shares):
        s = r.candidate.sentence
        key = (s.doc, s.start)
        if key in used:
            continue
        used.add(key)
        span = None
        if not ranking.abstained and not quotes:
            span = (r.span[0] - s.start, r.span[1] - s.start) if r.span else (0, len(s.text))
        quotes.append(Quote(s.text, s.doc, titles.get(s.doc, s.doc), s.section, s.paragraph,
                            s.start, s.end, round(float(share), 4), span,
                            (s.start + span[0], s.start + span[1]) if span else None))
        if len(quotes) >= max_quotes:
            break
    answer = "" if ranking.abstained else ranking.ranked[0].candidate.sentence.text
    return Answer(question, answer, ranking.abstained, tuple(quotes),
                  round(ranking.confidence, 4))
