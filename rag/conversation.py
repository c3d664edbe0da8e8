"""Conversations: a follow-up question is made standalone from the turns before it.

No model writes text here. A question depends on earlier turns when it refers back (a
pronoun, "there", "that"), points into an earlier answer ("the second?", "the rest"),
starts as a continuation ("and ...", "what about ...", "who else ...?"), or asks too little
of its own ("why?", "for how long?", "starting when?"). A pronoun is replaced by the person,
organization or place it most likely names (the previous answer's entities, then the
previous question's names, then the people of earlier turns; a person by the surname when
the article goes on with it; "they" by the plural thing the previous question asked about,
"the artifacts" of "how many artifacts …?"); a follow-up that only names another subject
("what about Kaspersky?") asks the previous standalone question of it; anything else is
asked together with that question (the chatbot ranks a rewritten question by its
own words too). A question that names its own subject is left alone. Later turns resolve
against the resolved earlier ones.

Follow-ups that point at a sentence rather than a topic ("and the second?", "why?", "who
said that?") are answered by rule with that sentence: see pointing.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rag.chunk import AMOUNT_LABELS, without_possessive
from rag.mentions import (AUXILIARIES, PluralPhrase, Referent, bound_plural, is_site,
                          mentions, places_set_in, plural_phrase, question_names)

_PERSON = {"he": "", "him": "", "his": "’s", "she": "", "her": "", "hers": "’s"}
_THING = {"it": "", "its": "’s", "they": "", "them": "", "their": "’s"}
_REFERS_BACK = re.compile(r"\b(he|him|his|she|her|hers|it|its|they|them|their|there|then|"
                          r"this|that|these|those|such)\b", re.IGNORECASE)
# "that" after a word and before a subject joins a clause ("the program that the council
# approved", "said that it would"); after "was", "is", "of"... it points back ("Was that the
# reason?", "in favor of that?").
_JOINS = re.compile(r"(?<=[a-z] )that(?=\s+(?:(?-i:[A-Z])|(?:the|a|an|his|her|their|its|he|she|"
                    r"it|they|we|i|you|there)\b))", re.IGNORECASE)
_BEFORE_POINTER = frozenset("is was are were be been did does do has have had of about for with "
                            "to in on at from by like than after before and or but".split())
_POINTS_AT_TURN = re.compile(r"\b(this|that|these|those|such|then)\b", re.IGNORECASE)
_POINTS_INTO = re.compile(r"\b(first|second|third|fourth|fifth|last|other|next|previous|"
                          r"former|latter|one|rest|remainder)\b", re.IGNORECASE)
_CONTINUES = re.compile(r"^\s*(and|but|so|also|or|then|what about|how about|what else|"
                        r"anything else|why not|why so|how so)\b", re.IGNORECASE)
_ASKING = re.compile(r"\b(how (long|much|many|often|old|far|big|soon|come)|what (year|time|day|"
                     r"month|date|kind|sort)|which (year|day|month)|when|where|why|who|whom|"
                     r"whose|what|which|how|else)\b", re.IGNORECASE)
# "Who else?", "what else did he say?", "any others?": more of what was asked, not the same.
_ASKS_MORE = re.compile(r"\b(else|others|another|tell me more|more (details|about (it|that|this|"
                        r"him|her|them))|go on)\b", re.IGNORECASE)
_IDENTITY = re.compile(r"\b(name|named|called)\b", re.IGNORECASE)
_PEOPLE = ("PERSON",)
_THINGS = ("ORG", "GPE", "NORP", "PRODUCT", "EVENT", "LAW", "WORK_OF_ART", "FAC", "LOC")
_PLACES = ("GPE", "LOC", "FAC", "ORG")


@dataclass(frozen=True)
class Turn:
    question: str  # as asked
    interpreted_as: str  # the standalone question that was answered
    # names in this turn's answer and question, most salient first, then earlier turns' people
    referents: tuple[Referent, ...]
    topic: str = ""  # the last question that stood on its own; follow-ups are asked with it
    anchor: tuple[str, int] | None = None  # (doc, start) of the answer's sentence; None: abstained
    article: str = ""  # the article of its best quote, answered or not; "": none was found

    def __post_init__(self) -> None:
        if not self.topic:
            object.__setattr__(self, "topic", self.interpreted_as)


def asked_for(question: str) -> str:
    """The question without its question words ('for how long?' -> 'for ?'): what is left
    is what it is about."""
    return _ASKING.sub(" ", question)


@dataclass(frozen=True)
class Names:
    """What the articles tell about names, for rewriting follow-ups (Retriever gives them).

    pronoun_of: "he" or "she" for a person's name when the article shows which, else "".
    short_name: the name a pronoun is replaced with: the surname where the article uses it
        alone ("what else did she say?" -> "What else did Cooper say?", which every later
        "Cooper said" matches, where "Betsy" would count as a word those sentences lack).
    kind_of: a name's entity kind in the articles ("ORG"), else "".
    named_in_full: whether the articles name a person in full with this surname ("Rubio"
        after "Marco Rubio"), unlike a word the tagger took for a person ("Twitter").
    described_as: the length of the shortest description in the articles of a name as a
        role ("Sen. Marco Rubio" for "senator", "Bruce McConnell, the former Homeland
        Security cyber chief" for "former cyber chief"), None when it is never described so.
    """

    pronoun_of: Callable[[str], str] = lambda name: ""
    short_name: Callable[[str], str] = lambda name: name
    kind_of: Callable[[str], str] = lambda name: ""
    named_in_full: Callable[[str], bool] = lambda name: True
    described_as: Callable[[str, str], int | None] = lambda name, description: None


def standalone(question: str, previous: Turn | None, content_terms: int,
               names: Names = Names()) -> tuple[str, str]:
    """`question` rewritten to stand alone after `previous`, and the topic that later
    follow-ups are asked with; `content_terms` is how many words of asked_for(question)
    carry meaning."""
    if previous is None:
        return question, question
    # "the senator" after an answer on "Sen. Marco Rubio" is Rubio
    described = _described(question, previous.referents, names)
    if not _depends(question, content_terms, names.kind_of):
        return described, described
    swapped = _swapped(question, previous.topic, names.kind_of)
    if swapped is not None:
        return swapped, swapped
    plural = (plural_phrase(previous.interpreted_as)
              if any(w.lower() in _PLURAL for w in re.findall(r"\w+", question)) else None)
    substituted = _substitute(described, previous.referents, names, plural,
                              places_set_in(previous.interpreted_as, previous.referents))
    if substituted is not None:
        text, complete = substituted
        if complete:
            return text, text
        # "Has Rubio tried to legislate on it?": the topic tells what "it" is
        return f"{previous.topic.rstrip()} {_sentence_case(text)}", previous.topic
    if described != question:
        return described, described
    # Asked with the topic, not with every follow-up before it: "and the second?" after
    # "what is the first part?" is about the same topic, not about the first part.
    return f"{previous.topic.rstrip()} {_sentence_case(question)}", previous.topic


# "the senator", "the Russian firm", "the former cyber chief": a person or organization
# described by what they are, which an earlier name may be.
_PERSON_ROLES = ("senator|representative|congressman|congresswoman|lawmaker|president|"
                 "secretary|spokesman|spokeswoman|spokesperson|official|expert|researcher|"
                 "scientist|professor|analyst|director|chief|executive|founder|manager|coach|"
                 "player|striker|midfielder|goalkeeper|captain|lawyer|attorney|judge|mayor|"
                 "governor|minister|chairman|chairwoman|superintendent|teacher|nurse|doctor|"
                 "cardiologist|author|economist|meteorologist|sheriff|supervisor|trustee|"
                 "plaintiff|dealer|collector|councilman|councilwoman|councilor|councillor|"
                 "commissioner|consultant|engineer|investigator|historian|archaeologist|"
                 "geologist|pilot|officer|chair|chairperson|leader|owner|farmer|resident|"
                 "passenger|student|worker|activist|organizer|developer|contractor")
_ORGANIZATION_ROLES = "company|firm|startup|maker|carrier|agency|club|landlord|group"
_DESCRIPTION = re.compile(rf"\bthe\s+(?P<description>(?:[\w-]+\s+){{0,3}}?(?P<role>"
                          rf"{_PERSON_ROLES}|{_ORGANIZATION_ROLES}))\b", re.IGNORECASE)
_IS_PERSON_ROLE = re.compile(rf"(?:{_PERSON_ROLES})$")


def _described(question: str, referents: tuple[Referent, ...], names: Names) -> str:
    """The question with each "the <role>" replaced by the earlier name (a person's for a
    person's role) that the articles describe so most tightly ("the senator" -> Rubio, for
    "Sen. Marco Rubio"; "the former cyber chief" only for a description with "former" and
    "cyber" in it); unchanged where none is described so ("the first Chinese company")."""
    def named(match: re.Match[str]) -> str:
        role = match.group("role").lower()
        person = bool(_IS_PERSON_ROLE.match(role))
        closest = [(length, r) for r in referents if (r.label in _PEOPLE) == person and (
            length := names.described_as(r.text, match.group("description"))) is not None]
        if not closest:
            return match.group()
        referent = min(closest, key=lambda found: found[0])[1]
        return names.short_name(referent.text) if referent.label in _PEOPLE else referent.text
    return _DESCRIPTION.sub(named, question)


def _refers_back(question: str, pointers: re.Pattern[str] = _REFERS_BACK) -> bool:
    """Whether the question holds a word of `pointers` that points back at an earlier turn:
    not a "that" that joins a clause (see _JOINS)."""
    for word in pointers.finditer(question):
        if word.group().lower() == "that" and _JOINS.match(question, word.start()):
            before = question[:word.start()].split()
            if before and before[-1].lower() not in _BEFORE_POINTER:
                continue
        if bound_plural(question, word.start()):
            continue
        return True
    return False


# A reaction with nothing it reacts to ("How did the government respond?", not "… respond
# to the offer?").
_REACTS = re.compile(r"\b(?:react(?:ed|s)?|respond(?:ed|s)?|reply|replied|reaction|response)"
                     r"\b(?!\s+(?:to|on|about)\b)", re.IGNORECASE)
_INDEFINITE = re.compile(r"\b(?:anyone|anybody|anything|someone|somebody|something|everyone|"
                         r"everybody|nobody|no one)\b", re.IGNORECASE)


def _depends(question: str, content_terms: int, kind_of: Callable[[str], str]) -> bool:
    if content_terms == 0 or asks_about(question) is not None:  # "what about the FCC?",
        return True  # however many words FCC stands for
    names_its_subject = bool(question_names(question)) and content_terms >= 2
    if _CONTINUES.search(question) or _ASKS_MORE.search(question):
        # "and what has the FCC proposed?", "did another carrier drop Huawei phones?" name
        # their subject; "who else voted no?" does not
        return not names_its_subject or _refers_back(question)
    if _refers_back(question):
        return True
    names_a_known_name = any(kind_of(n.text) for n in question_names(question))
    if not names_a_known_name and (content_terms <= 2 and _REACTS.search(question)
                                   or content_terms <= 3 and _INDEFINITE.search(question)):
        # "How did lawmakers react?", "did anyone get charged?" ("anyone" counts): in what
        # the turn before told; not "How did Putin respond?", "Was anyone hurt in Halifax?"
        return True
    if (content_terms == 1 and not _NAMES_A_SUBJECT.search(question)
            and not names_a_known_name):
        # too little to stand alone ("Starting when?", "How many refused?"), where "What
        # did the mayor say?" and "What is inflation?" name their subject
        return True
    return bool(_POINTS_INTO.search(question)) and content_terms <= 2


_NAMES_A_SUBJECT = re.compile(r"\b(the|an?|is|are|was|were)\b", re.IGNORECASE)
# "What about drivers?", "And for seniors?", "How about the monthly pass?": the new subject.
_ABOUT = re.compile(r"^\W*(?:(?:and|but|so)\s+)?(?:(?:what|how)\s+about\s+|(?<=and\s)|"
                    r"(?<=but\s))(?:(?:for|in|at|of|on|with|to|from)\s+)?(?P<subject>[^?!]+?)"
                    r"(?:\s+(?:then|instead|too))?\s*[?!]*\s*$", re.IGNORECASE)


def asks_about(question: str) -> str | None:
    """What a follow-up that asks the same of another subject names ("what about drivers?"
    -> "drivers"), which its answer should mention; None for any other question ("and
    why?", "and the second?", "and then?")."""
    if not _CONTINUES.match(question):
        return None
    question = " ".join(question.split())  # (a run of spaces would make _ABOUT backtrack)
    about = _ABOUT.match(question)
    if about is None:
        return None
    subject = about.group("subject")
    words = subject.split()
    if (len(words) > 4 or _ASKING.search(subject) or _POINTS_INTO.search(subject)
            or _REFERS_BACK.search(subject) or _ASKS_MORE.search(subject)
            or words[0].lower() in AUXILIARIES  # "and did Rubio vote no?" asks anew
            # without "about", "but Rubio disagreed?": a name, then a word of its own (but
            # "and Mercer's students?" is one subject)
            or not re.search(r"\babout\b", question, re.IGNORECASE)
            and any(a[:1].isupper() and without_possessive(a) == a and b[:1].islower()
                    and b.lower() not in ("of", "the", "and") for a, b in zip(words, words[1:]))):
        return None
    return subject


def _swapped(question: str, topic: str, kind_of: Callable[[str], str]) -> str | None:
    """For a follow-up that only names another subject ("what about Kaspersky?" after "Why
    was ZTE banned?"), the topic with its name replaced ("Why was Kaspersky banned?"): the
    topic's only name, or its one name of the new name's kind. None otherwise."""
    subject = asks_about(question)
    if subject is None:
        return None
    # only a name: "Mercer's." -> Mercer, "U.S." kept; not "Anything", nor "the fare"
    name = re.sub(r"^the\s+", "", subject, flags=re.IGNORECASE)
    asked_names = question_names(name)
    if len(asked_names) != 1 or asked_names[0].text not in (
            name, without_possessive(name.rstrip("."))):
        return None
    new = asked_names[0].text
    named = [r.text for r in question_names(topic)]
    if new.lower() in (name.lower() for name in named) or kind_of(new) in AMOUNT_LABELS:
        return None  # the same subject; "what about Tuesday?" asks when, not about Tuesday
    # the topic's only name, unless the articles give the two different kinds ("Who banned
    # ZTE?" + "And Britain?"); of several, the one of the new name's kind
    old = [name for name in named if kind_of(name) and kind_of(name) == kind_of(new)
           or len(named) == 1 and not (kind_of(name) and kind_of(new))]
    if len(old) != 1:
        return None
    # "the" as the topic wrote it, else as the follow-up did ("And the U.S.?")
    the = "the " if name != subject else ""
    swapped, count = re.subn(rf"(\b[Tt]he\s+)?(?<![\w-]){re.escape(old[0])}(?![\w-])",
                             lambda m: (m.group(1) or the) + new, topic, count=1)
    return swapped if count else None


def _substitute(question: str, referents: tuple[Referent, ...], names: Names,
                plural: PluralPhrase | None = None, settings: frozenset[str] = frozenset()
                ) -> tuple[str, bool] | None:
    """The question with each pronoun replaced by its referent, and whether every one had
    a referent ("Has Rubio tried to legislate on it?": not "it"); None when none had, or
    when it holds words that only the previous question can explain (this, that, there,
    the second...) or asks who the referent is ("what was her name?"). "They" is `plural`
    (the things the previous question named) where that question asked for them or named
    nothing else "they" could be; "them" is, before a name. "It" is none of `settings`,
    the places the previous question only set itself in ("what's causing it?" after "How
    much have the birds declined in Scotland?" is not about Scotland)."""
    if _CONTINUES.search(question) and not _ASKS_MORE.search(question):
        return None  # "and ..." goes on with the topic; "what else did he say?" is about him
    if _refers_back(question, _POINTS_AT_TURN):
        return None
    if _IDENTITY.search(question):
        return None
    if _POINTS_INTO.search(question):
        return None
    out, changed, complete, used, named_here = [], False, True, set(), False
    tokens = re.split(r"(\W+)", question)
    for place, token in enumerate(tokens):
        lower = token.lower()
        if bound_plural(question, sum(map(len, tokens[:place]))):
            out.append(token)  # "… people who bought tickets get their money back?"
            continue
        kind = _PEOPLE if lower in _PERSON else _THINGS if lower in _THING else (
            _PLACES if lower == "there" and not _there_is(tokens, place) else None)
        if kind is None:
            out.append(token)
            continue
        if tokens[place + 1:place + 2] in (["'"], ["’"]) and (
                tokens[place + 2:place + 3] and tokens[place + 2].lower() in _CONTRACTED):
            complete = False  # "they're", "it's": no name takes the contraction
            out.append(token)
            continue
        # "it"/"they" name a company or place only when the question before named it or
        # was answered with it ("Qualcomm" for "which company supplies ZTE's chips?"): an
        # organization that merely appears in the answer ("the council") is a guess.
        # ("It" is no place the question was only set in; "its" may be: "its capital".)
        pool = referents if kind is not _THINGS else [r for r in referents if r.named and not (
            lower == "it" and r.text in settings)]
        if kind is _PLACES:
            # "there" is a place before an organization, one the question named before one
            # only seen in the answer, and a site (Eastgate Mall, which the tagger may call
            # a product) before the town it is in
            pool = sorted(pool, key=lambda r: (r.label == "ORG" and not is_site(r.text),
                                               not r.named, not is_site(r.text)))
        elif kind is _PEOPLE:  # "he" is a person the article names in full before "Twitter"
            pool = sorted(pool, key=lambda r: not names.named_in_full(r.text))
        # "she" skips a man the article calls "he", and the other way round
        unlike = ("she" if lower in ("he", "him", "his") else "he") if kind is _PEOPLE else ""
        referent = next((r for r in pool if (r.label in kind or kind is _PLACES
                                             and is_site(r.text))
                         and not (unlike and names.pronoun_of(r.text) == unlike)
                         and not (kind is not _PEOPLE and _a_person(r, names))
                         # no nationality ("Chinese" in "Chinese hackers")
                         and r.label != "NORP"), None)
        if lower in _PLURAL and plural and (plural in used or referent not in used and (
                lower == "them" or plural.asked or referent is None)):
            # "What are they worth?" after "How many artifacts is the museum returning?"
            # (what it asked about, before the museum it named), "Where did he get them?"
            # after "… the Moche vessels?"; "Can the passengers get their money back?":
            # "their" is theirs too, but another "them" is not
            if plural in used:
                complete = complete and lower == "their"
                out.append(token)
            else:
                used.add(plural)
                named = plural.named + ("’" if lower == "their" else "")
                out.append(_sentence_case(named) if token[:1].isupper() else named)
                changed = True
            continue
        if referent is not None and referent not in used and (
                mentions(question, referent.text) or kind is _PEOPLE and any(
                    # a surname as written: "How long has he served?" is not about Jack Long
                    mentions(question, name, exact_case=True)
                    for name in (names.short_name(referent.text),
                                 without_possessive(referent.text.split()[-1])))):
            # the question names it itself: "What did Baptiste take with him?" is his, and
            # "what does china have to do under it?" is not under China: the topic tells
            complete = complete and kind is _PEOPLE
            named_here = True
            out.append(token)
            continue
        if referent is None or referent in used:
            # none: left for the topic to explain; named already: "What did Baptiste take
            # with him?", not "… with Baptiste?"
            complete = complete and referent is not None
            out.append(token)
            continue
        used.add(referent)
        suffix = _PERSON.get(lower, _THING.get(lower, ""))
        if lower == "her" and _before_a_noun(tokens[place + 1:]):
            suffix = "’s"  # "what was her objection?", not "what did they tell her?"
        name = names.short_name(referent.text) if kind is _PEOPLE else referent.text
        # "going in there" -> "going in Riverton", "who inspects the code there" -> "… in Britain"
        placed = lower == "there" and not re.search(rf"\b(?:{_PLACE_PREPOSITIONS})\s*$",
                                                   "".join(out), re.IGNORECASE)
        out.append(("in " if placed else "") + name + suffix)
        changed = True
    if not changed:
        # "What did Tom Baptiste take with him?": standalone as asked
        return (question, True) if named_here and complete else None
    return "".join(out), complete


_PLURAL = frozenset(("they", "them", "their"))
_CONTRACTED = frozenset(("re", "ve", "ll", "d", "s", "m"))
_PLACE_PREPOSITIONS = "in|at|to|from|near|into|inside|outside|around|through|across"


def _there_is(tokens: list[str], place: int) -> bool:
    """Whether the "there" at `tokens[place]` only says that something exists ("Was there
    another motive?", "there is a plan"), which names no place."""
    words = [t.lower() for t in tokens if t.strip() and re.match(r"\w", t)]
    at = sum(1 for t in tokens[:place] if t.strip() and re.match(r"\w", t))
    before = words[at - 1] if at > 0 else ""
    after = words[at + 1] if at + 1 < len(words) else ""
    return before in _BE or after in _BE


_BE = frozenset("is was are were be been being isn wasn aren weren s".split())


def _a_person(referent: Referent, names: Names) -> bool:
    """Whether a name tagged otherwise is still a person's, so no "it": a full name whose
    surname the articles tag a person ("Helen Park", a place to spaCy, where "Park said" is
    a person), or, unless it is tagged an organization (Dell, beside Michael Dell), one the
    articles call "he" or "she"."""
    words = referent.text.split()
    return (len(words) > 1 and names.kind_of(without_possessive(words[-1])) == "PERSON") or (
        referent.label != "ORG" and bool(names.pronoun_of(referent.text)))


# Words after which "her" is the object, not a possessive: "tell her about it", "ask her to".
_NOT_OWNED = frozenset(
    "about after against at before by for from in into of off on onto out over through to "
    "toward towards under up with without a an the this that these those and or but if when "
    "while because so than as".split())


def _before_a_noun(rest: list[str]) -> bool:
    """Whether the words after "her" ("objection?" vs "about it?") make it a possessive."""
    words = [t for t in rest if t.strip() and re.match(r"\w", t)]
    return bool(words) and words[0].lower() not in _NOT_OWNED


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def asks_for_more(question: str) -> bool:
    """Whether a follow-up asks for more than was answered ("who else?", "anything else?")."""
    return bool(_ASKS_MORE.search(question))


def without_more(question: str) -> str:
    """The question without its "else"/"others": what to rank once the sentences already
    answered with are left out (an article rarely says "else", so the word would only
    count as something asked that it lacks); unchanged when nothing else is left."""
    rest = re.sub(r"\s+", " ", _ASKS_MORE.sub(" ", question)).strip()
    return rest if re.search(r"\w", rest) else question
