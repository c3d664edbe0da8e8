"""The sentence a follow-up points at, near the previous answer, and who said what.

Some follow-ups ask about the previous answer's sentence itself rather than its topic, and
are answered with a sentence found by rule: an ordinal ("what is the first part?", "and
the second?") picks the item of an enumeration ("First, ...", "Second, ...") in or right
around it, "who said that?" the person it (or the next sentence) quotes, "why?" the
sentence that gives the reason where one shows, "what does he mean by that?" the sentence
that goes on in its paragraph, and "what happened next?" ("what did he end up doing?") the
sentence after it. A why-question that only the topic explains ("Why did they tone it down
later?") is answered like "why?". Quote attribution also serves a question that asks only
for a person's words ("what did Cooper say?", "what was her objection?"): said_by tells
the sentences that give them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.chunk import Entity, Sentence, surname, without_possessive
from rag.mentions import question_names

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_ASKS_ITEM = re.compile(r"\b(first|second|third|fourth|fifth|last|final|other)\b", re.IGNORECASE)
# An item of an enumeration opens its sentence: "First, ...", "Secondly: ...", "Finally, ...".
_OPENS_ITEM = re.compile(r"^\W*(first|second|third|fourth|fifth|final|last)(?:ly)?"
                         r"(?:\s+of\s+all)?\s*[,:]", re.IGNORECASE)
# Verbs that attribute words to someone, in "who said that?" and in the sentence quoted.
_SAYING_VERBS = ("said|says|told|tells|warned|warns|declared|declares|argued|argues|added|adds|"
                 "wrote|writes|stated|claimed|claims|noted")  # not "states": the United States
# Verbs that also tell who is speaking, though what follows is seldom a quote that explains
# ("Osei urged consumers not to eat …"): for finding the speaker only.
_ATTRIBUTING = re.compile(rf"\b({_SAYING_VERBS}|urged|urges|explained|explains|insisted|"
                          r"insists|cautioned|cautions|acknowledged|acknowledges|admitted|"
                          r"stressed|predicted|announced|according to)\b", re.IGNORECASE)
_WHO_SAID = re.compile(rf"^\W*(?:(?:and|but|so|ok|okay)\W+)?(?:who\s+(?:{_SAYING_VERBS})"
                       r"(?:\s+(?:that|this|it|so))?|says\s+who|according\s+to\s+(?:who|whom))\W*$",
                       re.IGNORECASE)
_SAYING = re.compile(rf"\b({_SAYING_VERBS}|according to)\b", re.IGNORECASE)
_OPENS_QUOTE = re.compile(r"^\W*[“\"]")
_WHAT_NEXT = re.compile(r"^\W*(?:(?:and|so|ok|okay)\W+)?(?:then what|and then|what next|what "
                        r"(?:happened|came) (?:next|then|after(?:wards?)?(?: that)?)|what did "
                        r"(?:he|she|they|it|the(?: \w+){1,3}) (?:end up doing|(?:do|try) "
                        r"(?:next|then|instead|after(?:wards?)?(?: that)?))"
                        # what it leads to: "what would that lead to?", "with what result?"
                        r"|what (?:would|could|will|might|may|did|does|can) (?:that|this) "
                        r"(?:lead to|result in|cause)|with what (?:result|effect)|what "
                        r"(?:happens|happened|would happen|will happen) as a result)\W*$",
                        re.IGNORECASE)
# "What does he mean (by that)?", "what does that mean?", "meaning?": the words that go on.
_MEANING = re.compile(r"^\W*(?:(?:and|but|so|ok|okay)\W+)?(?:what\s+(?:does|did|do)\s+(?:he|she|"
                      r"they|it|that|this)\s+mean(?:\s+by\s+(?:that|this|it))?|meaning|"
                      r"what\s+(?:does|did)\s+(?:that|this|it)\s+mean)\W*$", re.IGNORECASE)
_WHY = re.compile(r"^\W*(?:(?:and|but|so|ok|okay)\W+)?(?:why(?:\s+(?:not|so|is that|was that|"
                  r"is it|was it|did (?:he|she|they|it) (?:do|say) (?:that|it|so)|would (?:he|she|"
                  r"they|it) do that))?|how come|for what reason|what for)\W*$", re.IGNORECASE)
# A sentence that gives a reason itself. "After" too ("stepped down its criticism after a
# 2015 deal"), but not the "after" of when words were said ("said after the verdict that").
_CAUSE = re.compile(r"\b(because|since(?!\s+\d)|due to|owing to|thanks to|as a result|so that|"
                    r"in order to|reasons?|caus(?:e|es|ed|ing)|spark(?:s|ed)?|led to|"
                    r"prompt(?:s|ed)|citing|noting|for fear|amid|after)\b", re.IGNORECASE)
_SAID_AFTER = re.compile(rf"\b(?:{_SAYING_VERBS})(?:\s+\w+){{0,2}}\s+after\b", re.IGNORECASE)
# A sentence that opens by pointing back ("That finding allowed ..."): its cause came before.
_POINTS_BACK = re.compile(r"^\W*(?:that|this|these|those|such)\s+(?!(?:week|month|year|morning|"
                          r"afternoon|evening|weekend|season|time)s?\b)\w+", re.IGNORECASE)
_PEOPLE = ("PERSON",)
_SOURCES = ("ORG", "GPE", "NORP", "PRODUCT", "FAC")  # what may say something, by name


def enumerated_item(question: str, sentences: Sequence[Sentence], at: int) -> int | None:
    """For a question that asks for an item of an enumeration ("what is the first part?",
    "and the second?", "the other one?"), the place in `sentences` of the sentence that
    opens that item ("First, ...", "Second, ..."), nearest to the previous answer's
    sentence at `at`; None when it asks for none or no such sentence is there."""
    asked = _ASKS_ITEM.search(question)
    if not asked:
        return None
    items: dict[int, int | str] = {}
    for place, sentence in enumerate(sentences):
        opened = _OPENS_ITEM.match(sentence.text)
        if opened:
            word = opened.group(1).lower()
            items[place] = _ORDINALS.get(word, "last")
    word = asked.group(1).lower()
    if word in _ORDINALS:
        wanted = [p for p, n in items.items() if n == _ORDINALS[word]]
    elif word in ("last", "final"):
        numbered = [p for p, n in items.items() if n != "last"]
        wanted = [p for p, n in items.items() if n == "last"] or numbered[-1:]
    else:  # "the other one": of a two-item enumeration whose one item was the answer
        numbered = [p for p, n in items.items() if n in (1, 2)]
        wanted = [p for p in numbered if p != at] if at in numbered and len(numbered) == 2 else []
    return min(wanted, key=lambda p: (abs(p - at), p)) if wanted else None


# "by how much?", "how many?": nothing asked but the amount of what the previous answer told.
_AMOUNT_ONLY = re.compile(r"^\W*(?:(?:and|but|so|ok|okay)\W+)?(?:by\s+)?how\s+(?:much|many)"
                          r"(?:\s+(?:more|less|fewer|exactly))?\W*$", re.IGNORECASE)
_AMOUNT_LOOK_AHEAD = 2  # sentences after the previous answer that may give its amount


def asks_amount(question: str) -> bool:
    """Whether the question asks only how much ("by how much?", "and how many?")."""
    return bool(_AMOUNT_ONLY.match(question))


def amount_for(sentences: Sequence[Sentence], at: int, labels: frozenset[str]) -> int | None:
    """The sentence that gives the amount of what the sentence at `at` tells, as an entity
    of one of `labels` (the kinds the question asks for) in figures: that sentence if it
    holds one, else the next of the few after it that does ("Reyes defeated … Becker …" /
    "Reyes received 18,612 votes, or 51.8 percent …"); None if none."""
    for place in range(at, min(at + 1 + _AMOUNT_LOOK_AHEAD, len(sentences))):
        sentence = sentences[place]
        if any(e.label in labels and any(c.isdigit() for c in sentence.text_of(e))
               for e in sentence.entities):
            return place
    return None


def asks_meaning(question: str) -> bool:
    """Whether the question asks only what the previous answer means ("what does he mean
    by that?"): the sentence that goes on from it."""
    return bool(_MEANING.match(question))


def goes_on(sentences: Sequence[Sentence], at: int) -> int | None:
    """Where the words of the sentence at `at` go on: the next sentence of its paragraph
    ("“Unwinding … is not very hard,” said Adam Segal. “It’s Kaspersky and …”"), as a place
    in `sentences`; None at a paragraph's end."""
    if at + 1 < len(sentences) and sentences[at + 1].paragraph == sentences[at].paragraph:
        return at + 1
    return None


def asks_what_next(question: str) -> bool:
    """Whether the question asks only for what the article tells next ("what happened
    next?", "and then?"): the sentence after the previous answer."""
    return bool(_WHAT_NEXT.match(question))


def asks_why(question: str) -> bool:
    """Whether the question asks only why the previous answer is so ("why?", "why not?",
    "how come?"): nothing else in it to rank by."""
    return bool(_WHY.match(question))


_OPENS_WITH_WHY = re.compile(r"^\W*(?:(?:and|but|so|then|ok|okay)\W+)*why\b", re.IGNORECASE)


def opens_with_why(question: str) -> bool:
    """Whether the question asks why ("Then why bother with them?")."""
    return bool(_OPENS_WITH_WHY.match(question))


def reason_for(sentences: Sequence[Sentence], at: int, asked: str = "") -> int | None:
    """Where the article gives the reason for the sentence at `at`, as a place in
    `sentences`: that sentence when it states one ("... was sparked when ...") that the
    question `asked` of it did not already name; else the one after when it explains or
    quotes someone, in the same paragraph or the next ("… ignores the evidence," he said);
    else the one before when this one opens by pointing back at it ("That finding allowed
    ..."). None when nothing shows where: the question is then ranked as usual."""
    if _gives_reason(sentences[at].text, asked):
        return at
    if at + 1 < len(sentences) and sentences[at + 1].paragraph - sentences[at].paragraph <= 1:
        after = sentences[at + 1].text
        if _gives_reason(after) or _SAYING.search(after) or _OPENS_QUOTE.match(after):
            return at + 1
    if _POINTS_BACK.match(sentences[at].text) and at > 0:
        return at - 1
    return None


def _gives_reason(text: str, asked: str = "") -> bool:
    """Whether `text` states a cause, other than one `asked` already names: "told to stay
    patient after falling behind" gives no reason to "what were they told after falling
    behind? why?"."""
    known = set(re.findall(r"\w+", asked.lower()))
    for cause in _CAUSE.finditer(_SAID_AFTER.sub(" ", text)):
        following = re.findall(r"\w+", cause.string[cause.end():].lower())[:3]
        if not following or not known.issuperset(following):
            return True
    return False


def asks_who_said(question: str) -> bool:
    """Whether the question asks only who said the previous answer ("who said that?")."""
    return bool(_WHO_SAID.match(question))


def speaker(sentences: Sequence[Sentence], at: int) -> tuple[int, tuple[int, int]] | None:
    """Who said the sentence at `at`: the person named beside a verb of saying in it or,
    for a quote attributed after it, in the next sentence of the same paragraph, or, for a
    quote that goes on from the sentence before ("“…,” Cooper said. “But, I do think …”"),
    in that one; where that verb's subject is "he" or "she", the person named last in the
    sentences just before; as (place in `sentences`, the name's offsets in the article).
    None when no one is named."""
    places = [at, at + 1]
    if at > 0 and _OPENS_QUOTE.match(sentences[at].text):
        places.append(at - 1)
    for place in places:
        if (not 0 <= place < len(sentences)
                or sentences[place].paragraph != sentences[at].paragraph):
            continue
        sentence = sentences[place]
        verb = _SAYING.search(sentence.text)
        quoting = verb is not None  # else "urged", "announced" …: only a speaker before it
        verb = verb or _ATTRIBUTING.search(sentence.text)
        if verb is None:
            continue
        said, after = sentence.start + verb.start(), sentence.start + verb.end()
        people = [e for e in sentence.entities if e.label in _PEOPLE
                  and (quoting or e.end <= said)] or [
            # a name the tagger took for an organization right before the verb, or right
            # after "said" / "according to" ("said Nadine Rourke", "according to FireEye"),
            # not "told Reuters", "urged Congress"
            e for e in sentence.entities if e.label in _SOURCES and (
                0 <= said - e.end <= 1 or 0 <= e.start - after <= 1
                and re.match(r"(?i:said|says|according to)$", verb.group()))]
        if people:
            person = min(people, key=lambda e: abs(e.start - said))
            return place, (person.start, person.end)
        if _PRONOUN_SAID.search(sentence.text):
            named = _named_before(sentences, place)
            if named is not None:
                return named
    return None


def said_by(sentences: Sequence[Sentence], at: int, person: str) -> bool:
    """Whether the sentence at `at` gives the words of `person` (matched by surname): they
    are its speaker (see speaker), or the sentence has their surname right beside a verb of
    saying ("Carvalho, a former Mercer teacher, said …", "… said Carvalho"): spaCy does not
    always tag a surname as a person, and may take a word beside it for one."""
    last = surname(person)
    found = speaker(sentences, at)
    if found is not None and surname(
            sentences[found[0]].text_of(Entity("PERSON", *found[1]))) == last:
        return True
    if not last:
        return False
    name = re.escape(last)
    return bool(re.search(rf"\b{name}\b(?:\s*,[^,]{{1,80}},)?\s+(?:also\s+)?(?:{_SAYING_VERBS})\b"
                          rf"|\b(?:{_SAYING_VERBS})\s+(?:(?-i:[A-Z])[\w.’'-]*\s+){{0,3}}?{name}\b",
                          sentences[at].text, re.IGNORECASE))


# "She said (that) …", "Haddad told reporters that …": reported words after their speaker.
_SAID_THAT = re.compile(rf"^(?:[Hh]e|[Ss]he|[Tt]hey|(?:[A-Z][\w.’'-]*\s+){{0,4}}[A-Z][\w.’'-]*)"
                        r"\s+(?:also\s+)?(?:(?:said|says)(?:\s+that)?|(?:told|tells)\s+(?:\S+\s+)"
                        rf"{{1,5}}?that|(?:{_SAYING_VERBS})\s+that)\s+(?=\w)")
# "…," she said. / "…," said he. / He added that …
_PRONOUN_SAID = re.compile(rf"\b(?:(?:he|she)\s+(?:also\s+)?(?:{_SAYING_VERBS})\b|"
                           rf"(?:{_SAYING_VERBS})\s+(?:he|she)(?=\s*[,.;:!?”\"]|\s*$))",
                           re.IGNORECASE)
_LOOK_BACK = 3  # sentences, in the same paragraph or the one before


def _named_before(sentences: Sequence[Sentence], place: int
                  ) -> tuple[int, tuple[int, int]] | None:
    """The person named last before the sentence at `place`, in the few sentences before
    it of its paragraph or the one before: whom its "he said" names."""
    paragraph = sentences[place].paragraph
    for before in range(place - 1, max(place - 1 - _LOOK_BACK, -1), -1):
        if sentences[before].paragraph < paragraph - 1:
            break
        people = [e for e in sentences[before].entities if e.label in _PEOPLE]
        if people:
            person = max(people, key=lambda e: e.start)
            return before, (person.start, person.end)
    return None


# "What did Cooper say?", "What does Okafor think?", "What was Carvalho’s objection?":
# nothing asked but a person's words. Not "what does McConnell suggest?": what someone
# suggests is often told without quoting them.
_WORDS_VERBS = (f"{_SAYING_VERBS}|say|tell|warn|argue|add|write|state|claim|note|think|"
                "thinks|believe|believes|feel|feels")
_ASKS_WORDS = re.compile(
    rf"^\W*(?i:(?:(?:and|but|so)\s+)?what\s+(?:else\s+)?(?:did|does|do|has|had)\s+)"
    rf"(?P<name>[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*){{0,2}})"
    rf"(?i:\s+(?:else\s+)?(?:{_WORDS_VERBS})(?:\s+(?:else|next|then|too|also))?)\W*$"
    r"|^\W*(?i:(?:(?:and|but|so)\s+)?what\s+(?:was|is|were|are)\s+)"
    r"(?P<owner>[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*){0,2})(?i:[’']s\s+(?:main\s+)?(?:objection|"
    r"objections|view|views|opinion|reaction|response|position|argument|concern|concerns|"
    r"complaint|criticism|point|message|warning|advice|explanation|answer|take))\W*$")


def asks_words_of(question: str) -> str | None:
    """The person whose words alone a question asks for ("What did Cooper say?" -> Cooper),
    else None."""
    asked = _ASKS_WORDS.match(question)
    if asked is None:
        return None
    name = asked.group("name") or asked.group("owner")
    named = question_names(name)  # not "What did She say?"
    return name if named and named[0].text == without_possessive(name) else None


def who_said(quote: str) -> str:
    """The standalone form of "who said that?" about `quote` (cut to about ten words), what
    was said without a leading "She said (that)"."""
    words = _SAID_THAT.sub("", quote, count=1).split() or quote.split()
    clipped = " ".join(words[:10]).strip("“”\"").rstrip(",;:.")
    return f"Who said “{clipped}{'…' if len(words) > 10 else ''}”?"
