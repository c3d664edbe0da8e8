"""Conversations: a follow-up question is made standalone from the turns before it.

No model writes text here. A question depends on earlier turns when it refers back (a
pronoun, "there", "that"), points into an earlier answer ("the second?"), starts as a
continuation ("and ...", "what about ..."), or asks nothing of its own ("why?", "for how
long?"). A pronoun is replaced by the person, organization or place it most likely
names (the previous answer's entities, then the previous question's names); anything else
is asked together with the previous standalone question. A question that names its own
subject is left alone. Later turns resolve against the resolved earlier ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PERSON = {"he": "", "him": "", "his": "’s", "she": "", "her": "", "hers": "’s"}
_THING = {"it": "", "its": "’s", "they": "", "them": "", "their": "’s"}
_REFERS_BACK = re.compile(r"\b(he|him|his|she|her|hers|it|its|they|them|their|there|then|"
                          r"this|that|these|those|such)\b", re.IGNORECASE)
_POINTS_INTO = re.compile(r"\b(first|second|third|fourth|fifth|last|other|next|previous|"
                          r"former|latter|one)\b", re.IGNORECASE)
_CONTINUES = re.compile(r"^\s*(and|but|so|also|or|then|what about|how about|what else|"
                        r"anything else|why not|why so|how so)\b", re.IGNORECASE)
_ASKING = re.compile(r"\b(how (long|much|many|often|old|far|big|soon|come)|what (year|time|day|"
                     r"month|date|kind|sort)|which (year|day|month)|when|where|why|who|whom|"
                     r"whose|what|which|how)\b", re.IGNORECASE)
_IDENTITY = re.compile(r"\b(name|named|called|who (is|was) (he|she|it|they))\b", re.IGNORECASE)
_PEOPLE = ("PERSON",)
_THINGS = ("ORG", "GPE", "NORP", "PRODUCT", "EVENT", "LAW", "WORK_OF_ART", "FAC", "LOC")
_PLACES = ("GPE", "LOC", "FAC", "ORG")


@dataclass(frozen=True)
class Referent:
    """A name an earlier turn made salient, and its entity kind ('' if unknown)."""

    text: str
    label: str
    named: bool = False  # named by the question itself, not only by the answer


@dataclass(frozen=True)
class Turn:
    question: str  # as asked
    interpreted_as: str  # the standalone question that was answered
    referents: tuple[Referent, ...]  # names in this turn's answer and question, most salient first
    topic: str = ""  # the last question that stood on its own; follow-ups are asked with it

    def __post_init__(self) -> None:
        if not self.topic:
            object.__setattr__(self, "topic", self.interpreted_as)


def asked_for(question: str) -> str:
    """The question without its question words ('for how long?' -> 'for ?'): what is left
    is what it is about."""
    return _ASKING.sub(" ", question)


def standalone(question: str, previous: Turn | None, content_terms: int) -> tuple[str, str]:
    """`question` rewritten to stand alone after `previous`, and the topic that later
    follow-ups are asked with.

    `content_terms` is how many words of asked_for(question) carry meaning.
    """
    if previous is None or not _depends(question, content_terms):
        return question, question
    substituted = _substitute(question, previous.referents)
    if substituted is not None:
        return substituted, substituted
    # Asked with the topic, not with every follow-up before it: "and the second?" after
    # "what is the first part?" is about the same topic, not about the first part.
    return f"{previous.topic.rstrip()} {_sentence_case(question)}", previous.topic


def _depends(question: str, content_terms: int) -> bool:
    if content_terms == 0:
        return True
    if _CONTINUES.search(question):  # "and what has the FCC proposed?" names its subject
        return not (question_names(question) and content_terms >= 2
                    and not _REFERS_BACK.search(question))
    if _REFERS_BACK.search(question):
        return True
    return bool(_POINTS_INTO.search(question)) and content_terms <= 2


def _substitute(question: str, referents: tuple[Referent, ...]) -> str | None:
    """The question with each pronoun replaced by its referent, or None when it holds
    words that only the previous question can explain (this, that, there, the second...)
    or asks who the referent is ("what was her name?")."""
    if _CONTINUES.search(question) or re.search(r"\b(this|that|these|those|such|then)\b",
                                                 question, re.IGNORECASE):
        return None
    if _IDENTITY.search(question):
        return None
    if _POINTS_INTO.search(question):
        return None
    out, changed = [], False
    for token in re.split(r"(\W+)", question):
        lower = token.lower()
        kind = _PEOPLE if lower in _PERSON else _THINGS if lower in _THING else (
            _PLACES if lower == "there" else None)
        if kind is None:
            out.append(token)
            continue
        # "it"/"they" name a company or place only when the question before named it: an
        # organization that merely appears in the answer ("the council") is a guess.
        pool = referents if kind is not _THINGS else [r for r in referents if r.named]
        referent = next((r for r in pool if r.label in kind), None)
        if referent is None:
            return None
        suffix = _PERSON.get(lower, _THING.get(lower, ""))
        out.append(("in " if lower == "there" else "") + referent.text + suffix)
        changed = True
    return "".join(out) if changed else None


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def question_names(question: str) -> list[Referent]:
    """Capitalized names in a question ('What did Marco Rubio say?' -> Marco Rubio),
    without its first word unless that is a name too."""
    names = []
    for match in re.finditer(r"\b[A-Z][\w’'.-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w’'.-]*)*", question):
        words = match.group().split()
        if match.start() == len(question) - len(question.lstrip()) and words[0].lower() in (
                "who", "what", "when", "where", "why", "how", "which", "did", "does", "do",
                "is", "are", "was", "were", "can", "could", "will", "would", "should", "has",
                "have", "had", "in", "on", "at", "for", "according", "tell"):
            words = words[1:]
        if words:
            names.append(Referent(" ".join(words).rstrip("?.!,"), ""))
    return names
