"""What a question mentions: the names it holds, the person a "Who is …?" asks about, the
plural thing a later "they" may be, the places it is only set in, and sites. Conversations
(conversation.py) and the rules that point at sentences (pointing.py) read questions with
these."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.chunk import without_possessive

# Words that start a question or a sentence without being a name ("And the second?").
_NOT_NAMES = frozenset(
    "who what when where why how which whom whose did does do is are was were can could will "
    "would should shall may might must has have had in on at for with about of to from by "
    "according tell and but so or also then if a an the that this these those it he she they "
    "we i you there here ok okay any anything anyone anybody some something someone else "
    "others another".split())
AUXILIARIES = frozenset("did does do is are was were has have had can could will would should "
                        "may might must".split())


@dataclass(frozen=True)
class Referent:
    """A name a question or answer mentions, and its entity kind ('' if unknown); in a
    conversation, one an earlier turn made salient."""

    text: str
    label: str
    named: bool = False  # named by the question, or the short answer to it; not only seen


def question_names(question: str) -> list[Referent]:
    """Capitalized names in a question ('What did Marco Rubio say?' -> Marco Rubio),
    without the first word of a sentence when that is a question or function word."""
    names = []
    for match in re.finditer(r"\b[A-Z][\w’'.-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w’'.-]*)*", question):
        words = match.group().split()
        opens = not question[:match.start()].strip() or question[:match.start()].rstrip()[-1] in "?.!"
        if opens and words[0].lower() in _NOT_NAMES:
            words = words[1:]
        if words:
            # "Dunmore's late winner" names Dunmore; "U.S." keeps its last period
            name = " ".join(words)
            name = name if re.search(r"\.\w\.$", name) else name.rstrip(".")
            names.append(Referent(without_possessive(name), ""))
    return names


_WHO_IS = re.compile(r"^\W*(?i:who\s+(?:is|was)\s+)(?P<name>[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)+)"
                     r"\W*$")


def person_asked_about(question: str) -> str | None:
    """The full name a "Who is Gregory Falk?" asks about, as question_names writes it: a
    person's, where the tagger gave it no kind; None for any other question."""
    asked = _WHO_IS.match(question)
    return asked.group("name").rstrip(".") if asked else None


# Words ending in "s" that are no plural noun.
_NOT_PLURAL = frozenset(
    "does has was is says means goes always perhaps sometimes unless whereas news series "
    "species politics economics physics this yes less across plus towards afterwards besides "
    "its hers ours yours theirs thus nevertheless lens bias gas status analysis basis crisis "
    "thesis chaos".split())
_IRREGULAR_PLURALS = frozenset("people children men women police".split())
_DETERMINERS = frozenset("the these those any all many some several both their his her its "
                         "our".split())
# Words after which an "-s" word is a verb ("who says", "which company makes the chips").
_BEFORE_VERB = frozenset("who what it he she this that".split())
_OBJECTS = frozenset("the a an his her their its this that these those him them it us me you "
                     "to".split())
_ASKS_FOR = frozenset(("which", "what"))  # "which trustees", "what vessels"


@dataclass(frozen=True)
class PluralPhrase:
    """A plural noun phrase of a question, as a later "they" would name it."""

    named: str  # "the artifacts" for "how many artifacts"; "Cindervale’s workers" as written
    asked: bool  # what the question asks for: "how many artifacts", "which trustees"


def plural_phrase(question: str) -> PluralPhrase | None:
    """The latest plural noun phrase a question names ("How many artifacts is the museum
    returning?" -> "the artifacts", "How did it end up with the Moche vessels?" -> "the
    Moche vessels"), else two names it joins by "and" ("Huawei and ZTE"); of a part's
    several, the first, which its question is about; None when it names none."""
    for part in reversed(re.findall(r"[^?]+\??", question)):
        words = re.findall(r"[\w’'.-]+", part)
        for at, word in enumerate(words):
            after = words[at + 1] if at + 1 < len(words) else ""
            before = words[at - 1].lower() if at else ""
            if not (word.lower() in _IRREGULAR_PLURALS or (
                    word.islower() and len(word) > 3 and word.endswith("s")
                    and not word.endswith(("ss", "us", "is", "ous", "’s", "'s"))
                    and word not in _NOT_PLURAL and before not in _BEFORE_VERB
                    and after.lower() not in _OBJECTS and not after[:1].isupper())):
                continue
            # back to a determiner over names and at most one other word ("the ancient
            # Moche vessels"; not "the council close schools"), else the noun alone
            named, asked = f"the {word}", before in _ASKS_FOR
            for back in range(at - 1, max(at - 5, -1), -1):
                opener = words[back]
                between = words[back + 1:at]
                if sum(not w[:1].isupper() for w in between) > 1:
                    break
                possessive = re.search(r"\w[’']s$|s[’']$", opener)
                if opener.lower() in _DETERMINERS or possessive:
                    phrase = " ".join(between + [word])
                    named = f"{opener} {phrase}" if possessive else f"the {phrase}"
                    asked = (opener.lower() == "many" and back > 0
                             and words[back - 1].lower() == "how")
                    break
                if opener.lower() in _NOT_NAMES or opener.lower() in AUXILIARIES:
                    break
            return PluralPhrase(named, asked)
        # names joined by "and": "What has the Pentagon done about Huawei and ZTE?"
        names = [n.text for n in question_names(part)]
        for first, second in zip(names, names[1:]):
            if re.search(rf"(?<![\w-]){re.escape(first)}(?:['’]s)?\s+and\s+{re.escape(second)}"
                         rf"(?![\w-])", part):
                return PluralPhrase(f"{first} and {second}", False)
    return None


def mentions(question: str, name: str, exact_case: bool = False) -> bool:
    """Whether the question holds the name as whole words, in any case unless
    `exact_case`."""
    return bool(_whole_words(name, exact_case).search(question))


def _whole_words(name: str, exact_case: bool = False) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])",
                      0 if exact_case else re.IGNORECASE)


def bound_plural(question: str, at: int) -> bool:
    """Whether the word at `at` is a "their" that a plural noun before it in the same
    question names, one with a clause of its own ("Will people who bought tickets get their
    money back?"), not the thing it asks about ("How many passes did their staff sell?").
    Not "them": "the security worries about them" are not about themselves."""
    end = question.find(" ", at)
    word = question[at:end if end > 0 else len(question)].strip("?!.,;:").lower()
    before = plural_phrase(question[:at]) if word == "their" else None
    # the plural with a clause of its own ("people who bought …"): "Why did voters reject
    # their plan?" is still some plan named before
    if before is None or before.asked:
        return False
    noun = re.escape(before.named.split()[-1])
    return bool(re.search(rf"\b{noun}\s+(?:who|that|which)\b", question[:at], re.IGNORECASE))


def places_set_in(question: str, referents: tuple[Referent, ...]) -> frozenset[str]:
    """The referents `question` names only as where something is ("in Scotland", "along
    the Gulf Coast"), never as what it is about."""
    def only_locative(name: str) -> bool:
        starts = [m.start() for m in _whole_words(name, exact_case=True).finditer(question)]
        return bool(starts) and all(_LOCATIVE.search(question[:at]) for at in starts)
    return frozenset(r.text for r in referents if r.label in ("GPE", "LOC")
                     and only_locative(r.text))


_LOCATIVE = re.compile(r"\b(?:in|at|along|across|near|throughout|around|inside|outside|within)"
                       r"\s+(?:the\s+)?$", re.IGNORECASE)
# The last word of a site's name.
_SITE = re.compile(r"\b(?:mall|center|centre|park|stadium|arena|airport|school|elementary|"
                   r"academy|college|university|hospital|clinic|museum|library|station|plant|"
                   r"factory|mill|mine|port|harbou?r|bridge|hall|tower|building|campus|"
                   r"campground|church|cathedral|prison|base|square|terrace|field|farm|"
                   r"theat(?:er|re)|hotel|inn|restaurant)$", re.IGNORECASE)


def is_site(name: str) -> bool:
    """Whether a name is a site's ("Eastgate Mall", "Kingsmead Stadium"), whatever the
    tagger called it: "there" is more likely it than the town it is in."""
    return bool(_SITE.search(name))
