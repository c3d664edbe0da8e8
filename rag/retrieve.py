"""Question -> ranked chunks (Hits) and scored candidate sentences.

Dense search (cosine) and BM25 each rank the chunks, both in one call to the index's
store (store.py: FAISS or Qdrant); reciprocal-rank fusion combines the two rankings. Sentences inside the best chunks are then scored one by one,
so that the answer is a sentence rather than a whole chunk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from rag.chunk import AMOUNT_LABELS, Chunk, Sentence, surname, without_possessive
from rag.config import Settings
from rag.embed import OnnxEncoder, QuestionVectors, TorchEncoder
from rag.index import Index
from rag.store import query_sparse
from rag.terms import STOPWORDS, Analyzer, word_families

_CAPITALIZED_RUN = re.compile(
    r"\b[A-Z][\w’'-]*(?: +(?:(?:of|and|for|on|the|de) +)*[A-Z][\w’'-]*)+")
# rapidfuzz ratio (0-100) an article word needs to replace a question word the corpus lacks:
# 80 takes "rubioo" -> "rubio" and "qualcom" -> "qualcomm" but leaves "peru" (no near word).
SPELLING_CUTOFF = 80


# Two or more capitalized words, as a person's full name is written ("Ines Carvalho").
_FULL_NAME = re.compile(r"\b[A-Z][^\W\d_]+(?:\s+[A-Z][^\W\d_]+)*\s+[A-Z][^\W\d_]+"
                        r"(?:-[A-Z][^\W\d_]+)*")
_CAPITALIZED = re.compile(r"\b[A-Z][^\W\d_]+(?:-[A-Z][^\W\d_]+)*\b")
# What a role is written as before a name: "Sen. Marco Rubio".
_ROLE_TITLES = {"senator": "Sen.", "representative": "Rep.", "congressman": "Rep.",
                "congresswoman": "Rep.", "governor": "Gov.", "doctor": "Dr.",
                "professor": "Prof."}
_NAMES_KEPT = 4096  # short names and descriptions remembered
_NAME_GOES_ON = re.compile(r"\s*,|\s+(?:said|says|told|added|argued|warned)\b")
_CALENDAR = re.compile(r"(?:mon|tues|wednes|thurs|fri|satur|sun)day$|(?:january|february|march|"
                       r"april|may|june|july|august|september|october|november|december)$",
                       re.IGNORECASE)
_PRONOUN = re.compile(r"\b(?:(he|him|his|himself)|(she|her|hers|herself))\b", re.IGNORECASE)
# A title or a role that tells whether a person is a man or a woman ("Councilman Greg
# Whitaker", "Spokeswoman Dana Whitfield").
_ROLES = ("council|congress|chair|spokes|alder|assembly|business|police|select|committee|"
          "anchor|sales|camera")
# Case matters for the titles: "fans will miss Tom Brady" gives no title.
_TITLE = re.compile(rf"\b(?:(Mr|Sir|King|Prince|Father|Brother|(?i:(?:{_ROLES})man))|(Mrs|Ms|Miss|"
                    rf"Madam|Queen|Princess|Sister|Lady|(?i:(?:{_ROLES})woman)))\.?\s+$")


def _leading_title(name: str) -> str:
    """The title a name of several words opens with, with a space after it ("Councilman "
    for "Councilman Greg Whitaker": the tagger may take the title in), else "" ("King", a
    surname alone)."""
    words = name.split()
    return f"{words[0]} " if len(words) > 1 and _TITLE.search(f"{words[0]} ") else ""


def _without_title(name: str) -> str:
    """A person's name without the title the tagger took into it ("Greg Whitaker")."""
    return name.split(None, 1)[1] if _leading_title(name) else name


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    position: int  # in Index.chunks
    score: float  # fused (RRF)
    dense_rank: int | None  # None: not retrieved
    bm25_rank: int | None
    cosine: float  # question . chunk


@dataclass(frozen=True)
class ScoredSentence:
    index: int  # into Index.sentences
    sentence: Sentence
    cosine: float  # question . sentence
    lexical: float  # idf-weighted share of the question's terms in the sentence, 0..1
    chunk_score: float  # best fused score of a chunk holding it, scaled to 0..1
    unknown: float  # idf-weighted share of the question's terms found nowhere in the corpus
    window_cosine: float = 0.0  # question . mean of the sentence and its paragraph neighbours
    paragraph_cosine: float = 0.0  # question . mean of its paragraph's sentences


@dataclass(frozen=True)
class Retrieved:
    """One question's retrieval: its vectors and terms, and the sentences to rank."""
    vectors: QuestionVectors
    terms: list[str]
    candidates: list[ScoredSentence]


class Retriever:
    """Owns the BM25 tables built from an Index; the encoder embeds questions."""

    def __init__(self, index: Index, encoder: TorchEncoder | OnnxEncoder, settings: Settings):
        self.index = index
        self.encoder = encoder
        self.settings = settings
        self.analyzer = Analyzer()
        # answers by name, bounded: names also come from users' questions
        self._short_names = lru_cache(maxsize=_NAMES_KEPT)(self._shortened)
        self._descriptions = lru_cache(maxsize=_NAMES_KEPT)(self._description)

    @cached_property
    def _sentence_terms(self) -> list[set[str]]:
        return [set(sequence) for sequence in self._sentence_sequences]

    @cached_property
    def _sentence_sequences(self) -> list[tuple[str, ...]]:
        return [tuple(self.analyzer.terms(s.text)) for s in self.index.sentences]

    @cached_property
    def _paragraph_terms(self) -> dict[tuple[str, int], set[str]]:
        """(doc, paragraph) -> the terms of all its sentences."""
        out: dict[tuple[str, int], set[str]] = {}
        for s, terms in zip(self.index.sentences, self._sentence_terms):
            out.setdefault((s.doc, s.paragraph), set()).update(terms)
        return out

    @cached_property
    def _context_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Unit means of each sentence with its paragraph neighbours, and of its paragraph."""
        vectors = self.index.sentence_vectors
        sentences = self.index.sentences
        window = vectors.astype(np.float32).copy()
        paragraph = np.zeros_like(window)
        groups: dict[tuple[str, int], list[int]] = {}
        for i, s in enumerate(sentences):
            groups.setdefault((s.doc, s.paragraph), []).append(i)
            for j in (i - 1, i + 1):
                if 0 <= j < len(sentences) and (sentences[j].doc, sentences[j].paragraph) == (
                        s.doc, s.paragraph):
                    window[i] += vectors[j]
        for ids in groups.values():
            paragraph[ids] = vectors[ids].sum(axis=0)
        for m in (window, paragraph):
            m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)
        return window, paragraph

    @cached_property
    def _document_terms(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for s, terms in zip(self.index.sentences, self._sentence_terms):
            out.setdefault(s.doc, set()).update(terms)
        return out

    def document_terms(self, doc: str) -> set[str]:
        """Terms of all quotable sentences of one document."""
        return self._document_terms.get(doc, set())

    @cached_property
    def _word_cases(self) -> dict[str, dict[str, list[int]]]:
        """Per document, each word of its body (lower case) -> [times written capitalized,
        times in lower case]; a sentence's first word and numbers are left out (either
        way)."""
        cases: dict[str, dict[str, list[int]]] = {}
        for s in self.index.sentences:
            if s.paragraph == 0:
                continue
            counts = cases.setdefault(s.doc, {})
            for n, word in enumerate(re.findall(r"[\w’'-]+", s.text)):
                if n > 0 and word[:1].isalpha():
                    counts.setdefault(word.lower(), [0, 0])[word[:1].islower()] += 1
        return cases

    @cached_property
    def _topic_terms(self) -> dict[str, frozenset[str]]:
        titles: dict[str, set[str]] = {}
        for s, terms in zip(self.index.sentences, self._sentence_terms):
            if s.paragraph == 0:
                titles.setdefault(s.doc, set()).update(terms)
        out = {}
        for doc, terms in titles.items():
            by_term: dict[str, list[int]] = {}  # the same, per term
            for word, (capitalized, lower) in self._word_cases.get(doc, {}).items():
                for term in self.analyzer.terms(word):
                    case = by_term.setdefault(term, [0, 0])
                    case[0] += capitalized
                    case[1] += lower
            out[doc] = frozenset(t for t in terms if (case := by_term.get(t)) and case[0] > case[1])
        return out

    def topic_terms(self, doc: str) -> frozenset[str]:
        """Terms of the names in a document's headline, those its body writes capitalized
        ("tidewater" of "Tidewater Music Festival Cancels …", not "festival"): what all of
        its sentences are about, though most say "the festival"."""
        return self._topic_terms.get(doc, frozenset())

    def sentence_tokens(self, positions: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Token vectors of these sentences of the index, stacked (float32), and where each
        sentence's rows start."""
        return self.index.sentence_tokens.rows(positions)

    def sentence_terms(self, i: int) -> set[str]:
        """Terms of sentence i of the index."""
        return self._sentence_terms[i]

    def sentence_sequence(self, i: int) -> tuple[str, ...]:
        """Terms of sentence i in reading order, repeats kept."""
        return self._sentence_sequences[i]

    def paragraph_terms(self, i: int) -> set[str]:
        """Terms of the paragraph holding sentence i."""
        s = self.index.sentences[i]
        return self._paragraph_terms[(s.doc, s.paragraph)]

    def window_terms(self, i: int) -> set[str]:
        """Terms of sentence i and its neighbours in the same paragraph."""
        s = self.index.sentences[i]
        terms = set(self._sentence_terms[i])
        for j in (i - 1, i + 1):
            if 0 <= j < len(self.index.sentences):
                other = self.index.sentences[j]
                if other.doc == s.doc and other.paragraph == s.paragraph:
                    terms |= self._sentence_terms[j]
        return terms

    def known(self, term: str) -> bool:
        """Whether any sentence of the corpus holds the term."""
        return term in self._sentence_idf

    @cached_property
    def _sentence_idf(self) -> dict[str, float]:
        """Inverse sentence frequency of each term in the corpus."""
        n = len(self._sentence_terms)
        df: dict[str, int] = {}
        for terms in self._sentence_terms:
            for term in terms:
                df[term] = df.get(term, 0) + 1
        return {t: float(np.log(1 + n / d)) for t, d in df.items()}

    @cached_property
    def _vocabulary(self) -> dict[str, str | None]:
        """Surface word -> term (None for a stop word), for correcting misspelled words."""
        vocab: dict[str, str | None] = {word: None for word in STOPWORDS if len(word) > 2}
        for document in self.index.documents.values():
            for word in self.analyzer.words(document.text):
                if word not in STOPWORDS and len(word) > 2:
                    vocab.setdefault(word, self.analyzer.stem(word))
        return vocab

    @cached_property
    def _acronyms(self) -> dict[str, list[str]]:
        """'fcc' -> terms of 'Federal Communications Commission', from the corpus's own names."""
        found: dict[str, list[str]] = {}
        for document in self.index.documents.values():
            for match in _CAPITALIZED_RUN.finditer(document.text):
                words = [w for w in match.group().split() if w[:1].isupper()]
                if len(words) >= 2:
                    key = "".join(w[0] for w in words).lower()
                    found.setdefault(key, self.analyzer.terms(match.group()))
        return found

    @cached_property
    def _chunk_sentences(self) -> list[list[int]]:
        """Chunk position -> indexes of the sentences inside it."""
        by_doc: dict[str, list[int]] = {}
        for i, s in enumerate(self.index.sentences):
            by_doc.setdefault(s.doc, []).append(i)
        out = []
        for chunk in self.index.chunks:
            out.append([i for i in by_doc.get(chunk.doc, [])
                        if self.index.sentences[i].start < chunk.end
                        and self.index.sentences[i].end > chunk.start])
        return out

    def warm_up(self) -> None:
        """Build the lazy tables now, so that the first question is as fast as the rest."""
        _ = (self._sentence_idf, self._vocabulary, self._chunk_sentences,
             self._acronyms, self._paragraph_terms, self._sentence_sequences,
             self._context_vectors, self._document_terms, self._max_sentence_idf,
             self.entity_kinds, self._sentence_starts, self._families, self._first_names,
             self._word_cases, self._topic_terms, self._written_names,
             self._written_first_words)
        self.encoder.encode(["warm up"])

    @cached_property
    def _families(self) -> dict[str, str]:
        """A derivational family's key (terms.word_families) -> the corpus's most frequent
        term of that family."""
        found: dict[str, str] = {}
        for word, term in self._vocabulary.items():
            if term is None or term not in self._sentence_idf:
                continue
            for key in word_families(word, term):
                if key not in found or self._sentence_idf[term] < self._sentence_idf[found[key]]:
                    found[key] = term
        return found

    def question_terms(self, question: str) -> list[str]:
        """The question's terms; a word the corpus lacks becomes the corpus's word of the
        same family ("decide" -> "decision"), else its closest spelling."""
        terms = []
        for word in self.analyzer.words(question):
            if word in STOPWORDS:
                continue
            term = self.analyzer.stem(word)
            if term not in self._sentence_idf and word in self._acronyms:
                terms.extend(self._acronyms[word])
                continue
            related = [self._families[key] for key in word_families(word, term)
                       if key in self._families] if term not in self._sentence_idf else []
            if related:  # the most frequent, whatever the order of the family's keys
                terms.append(min(related, key=lambda t: (self._sentence_idf[t], t)))
                continue
            if term not in self._sentence_idf and len(word) > 2 and not word.isdigit():
                close = process.extractOne(word, self._vocabulary.keys(), scorer=fuzz.ratio,
                                           score_cutoff=SPELLING_CUTOFF)
                if close and self._vocabulary[close[0]] is None:
                    continue  # a misspelled stop word ("wat", "abuot")
                term = self._vocabulary[close[0]] if close else term
            terms.append(term)
        return list(dict.fromkeys(terms))

    def sentence_idf(self, term: str) -> float:
        """A term's weight: ln(1 + sentences / sentences holding it), over the corpus's
        sentences (not its documents or chunks, as BM25's idf is)."""
        # A term the corpus never uses weighs as much as the rarest one: asking for it is
        # asking for something the article may not have.
        return self._sentence_idf.get(term, self._max_sentence_idf)

    @cached_property
    def _max_sentence_idf(self) -> float:
        return max(self._sentence_idf.values(), default=1.0)

    def search(self, question: str, doc: str | None = None, vector: np.ndarray | None = None,
               terms: list[str] | None = None) -> list[Hit]:
        """Chunks ranked for the question (fused), restricted to one document if doc is set."""
        chunks = self.index.chunks
        vector = self.encoder.encode([question])[0] if vector is None else vector
        terms = self.question_terms(question) if terms is None else terms
        mode = self.settings.retrieval
        sparse = query_sparse(terms) if mode in ("hybrid", "bm25") else None
        dense, bm25 = self.index.store.search(vector, sparse, self.settings.top_k, doc)
        rankings = {"dense": dense if mode in ("hybrid", "dense") else (), "bm25": bm25}
        ranks: dict[int, dict[str, int]] = {}
        for name, ranking in rankings.items():
            for rank, (i, _) in enumerate(ranking, 1):
                ranks.setdefault(i, {})[name] = rank
        cosines = dict(rankings["dense"])
        missing = [i for i in ranks if i not in cosines]
        if missing:
            cosines.update(zip(missing, (self.index.store.chunk_vectors(missing) @ vector).tolist()))
        hits = []
        for i, r in ranks.items():
            # RRF: BM25 and cosine scores differ in scale; ranks do not.
            score = sum(1.0 / (self.settings.rrf_k + rank) for rank in r.values())
            hits.append(Hit(chunks[i], i, score, r.get("dense"), r.get("bm25"), float(cosines[i])))
        hits.sort(key=lambda h: -h.score)
        return hits

    def retrieve(self, question: str, doc: str | None = None) -> Retrieved:
        """The question embedded, its terms, and the sentences of its best chunks scored."""
        vectors = self.encoder.encode_question(question)
        terms = self.question_terms(question)
        hits = self.search(question, doc=doc, vector=vectors.vector, terms=terms)
        return Retrieved(vectors, terms, self.candidate_sentences(hits, vectors.vector, terms))

    def candidate_sentences(self, hits: list[Hit], vector: np.ndarray, terms: list[str]
                            ) -> list[ScoredSentence]:
        """Score every sentence of the retrieved chunks against the question."""
        if not hits:
            return []
        top = hits[0].score
        chunk_score: dict[int, float] = {}
        for hit in hits:
            for s in self._chunk_sentences[hit.position]:
                chunk_score[s] = max(chunk_score.get(s, 0.0), hit.score / top)
        ids = sorted(chunk_score)
        cosines = self.index.sentence_vectors[ids] @ vector
        window, paragraph = (m[ids] @ vector for m in self._context_vectors)
        weight = sum(self.sentence_idf(t) for t in terms) or 1.0
        unknown = sum(self.sentence_idf(t) for t in terms if t not in self._sentence_idf) / weight
        out = []
        for s, cosine, w, p in zip(ids, cosines, window, paragraph):
            present = self._sentence_terms[s]
            lexical = sum(self.sentence_idf(t) for t in terms if t in present) / weight
            out.append(ScoredSentence(s, self.index.sentences[s], float(cosine), lexical,
                                      chunk_score[s], unknown, float(w), float(p)))
        return out

    @cached_property
    def entity_kinds(self) -> dict[str, str]:
        """Entity text (lower case) -> the kind the articles most often give it; a person's
        name also without the title the tagger took in ("greg whitaker")."""
        counts: dict[str, dict[str, int]] = {}
        for s in self.index.sentences:
            for e in s.entities:
                text = s.text_of(e)
                for name in {text, _without_title(text) if e.label == "PERSON" else text}:
                    kinds = counts.setdefault(name.lower(), {})
                    kinds[e.label] = kinds.get(e.label, 0) + 1
        return {text: max(kinds, key=kinds.get) for text, kinds in counts.items()}

    @cached_property
    def pronouns(self) -> dict[str, str]:
        """A person's surname (lower case) -> "he" or "she", as the articles refer to them.

        Each he/him/his(/himself) or she/her/hers(/herself) is a vote for the person named
        last before it, in its sentence or the one before; a title right before a name or
        opening it (Mr., Ms., Councilman, Spokeswoman) is three votes. A surname gets the
        pronoun that has twice the votes of the other.
        """
        votes: dict[str, list[int]] = {}
        last: tuple[str, str, int] | None = None  # (doc, surname, sentence) named last
        for i, s in enumerate(self.index.sentences):
            # (offset in the sentence, a person's surname or "", 1 for she-words else 0)
            # (the tagger may take the title in: "Councilman Greg Whitaker")
            people = [(e.start - s.start, surname(s.text_of(e)), 0,
                       _leading_title(s.text_of(e))) for e in s.entities if e.label == "PERSON"]
            pronouns = [(m.start(), "", int(m.group(2) is not None), "")
                        for m in _PRONOUN.finditer(s.text)]
            for at, named, she, first in sorted(people + pronouns, key=lambda event: event[0]):
                if named:
                    last = (s.doc, named, i)
                    title = _TITLE.search(s.text[:at]) or _TITLE.search(first)
                    if title:
                        votes.setdefault(named, [0, 0])[int(title.group(2) is not None)] += 3
                elif last and last[0] == s.doc and last[2] >= i - 1:
                    votes.setdefault(last[1], [0, 0])[she] += 1
        return {name: ("he", "she")[she > he] for name, (he, she) in votes.items()
                if max(he, she) >= 2 * min(he, she) and he != she}

    def names_in(self, sentence: Sentence) -> list[tuple[str, str]]:
        """(name, kind) of a sentence's entities in order, and of the full names the tagger
        missed whose surname the articles tag as a person ("trustees Harold Lindqvist and
        Ines Carvalho" when only "Harold Lindqvist" is tagged, beside "Carvalho said")."""
        found = [(e.start - sentence.start, sentence.text_of(e) if e.label != "PERSON"
                  else _without_title(sentence.text_of(e)), e.label) for e in sentence.entities]
        taken = [(e.start - sentence.start, e.end - sentence.start) for e in sentence.entities]
        for match in _FULL_NAME.finditer(sentence.text):
            words = list(re.finditer(r"\S+", match.group()))
            while words and (words[0].group().lower() in STOPWORDS
                             or _CALENDAR.match(words[0].group())):
                words = words[1:]  # "When Ines Carvalho objected", "On Tuesday Carvalho"
            start = match.start() + (words[0].start() if words else 0)
            if (len(words) > 1 and not any(a < match.end() and start < b for a, b in taken)
                    and self.kind_of(surname(words[-1].group())) == "PERSON"):
                found.append((start, sentence.text[start:match.end()], "PERSON"))
                taken.append((start, match.end()))
        for word in _CAPITALIZED.finditer(sentence.text):  # "Rubio, who has sponsored …"
            # a surname, but not "Young voters said" where Andrew Young is named: a word
            # opening the sentence must be followed by a comma or a verb of saying
            opening = not sentence.text[:word.start()].strip(" “\"'‘")
            if (not any(a < word.end() and word.start() < b for a, b in taken)
                    and self.named_in_full(word.group())
                    and self.kind_of(word.group()) in ("", "PERSON")
                    and not (opening and not _NAME_GOES_ON.match(sentence.text, word.end()))):
                found.append((word.start(), word.group(), "PERSON"))
        return [(name, kind) for _, name, kind in sorted(found)]

    def named_in_full(self, name: str) -> bool:
        """Whether the articles name a person in full with this name's last word ("Rubio"
        after "Sen. Marco Rubio"): it is a surname, whatever the tagger made of it."""
        return surname(name) in self._first_names

    def described_as(self, name: str, description: str) -> int | None:
        """Whether the articles describe `name` as `description` ("former cyber chief": a
        role noun last, and words that the description in the article must hold too), in
        a title or a noun before the name ("Sen. Marco Rubio", "phone maker ZTE") or an
        apposition after it ("Bruce McConnell, the former Homeland Security cyber chief"):
        the length of the shortest such description, else None."""
        return self._descriptions(name, description.lower())

    def _description(self, name: str, description: str) -> int | None:
        name = re.sub(r"^the\s+", "", name, flags=re.IGNORECASE)
        *modifiers, role = description.split() or [""]
        if not name.strip() or not role:
            return None
        title = _ROLE_TITLES.get(role)
        said = rf"(?i:{re.escape(role)})" + (rf"|{re.escape(title)}" if title else "")
        # the tagger may take the title into the name: "Councilman Greg Whitaker"
        name = re.sub(rf"^(?:{said})\s+", "", name)
        named = rf"(?<![\w-]){re.escape(name)}(?![\w-])"
        described = re.compile(rf"\b(?:{said})\s+(?:[A-Z][\w.’'-]*\s+){{0,3}}?{named}"
                               rf"|{named}(?:[’']s)?,\s+(?i:an?|the)\s+[^,.;:!?“”\"]{{0,60}}?"
                               rf"\b(?i:{re.escape(role)})\b")
        # "the Russian firm" for "Russia’s …": a modifier's first five letters will do
        wanted = [re.compile(rf"\b{re.escape(word[:5])}", re.IGNORECASE) for word in modifiers]
        lengths = [len(found.group()) for document in self.index.documents.values()
                   if name in document.text  # (a quick test before the slow one)
                   for found in described.finditer(document.text)
                   if all(w.search(found.group()) for w in wanted)]
        return min(lengths) if lengths else None

    @cached_property
    def _written_names(self) -> dict[str, str]:
        """A name's words in lower case -> as the articles write it most often, for the
        names they write capitalized ("kaspersky" -> "Kaspersky", "white house" -> "White
        House"); amounts and dates are no names."""
        written: dict[str, dict[str, int]] = {}
        for s in self.index.sentences:
            for e in s.entities:
                if e.label in AMOUNT_LABELS or e.label == "NORP":  # not "american" farmers
                    continue
                text = re.sub(r"^[Tt]he\s+", "", without_possessive(s.text_of(e)))
                forms = written.setdefault(text.lower(), {})
                forms[text] = forms.get(text, 0) + 1
        best = {key: max(forms, key=forms.get) for key, forms in written.items()}
        # a name the articles also write in lower case is a word too ("us")
        lowercase: dict[str, int] = {}
        for counts in self._word_cases.values():
            for word, (_, lower) in counts.items():
                lowercase[word] = lowercase.get(word, 0) + lower
        return {key: text for key, text in best.items()
                if text[:1].isupper() and key not in STOPWORDS and key != "us"
                and all(lowercase.get(word, 0) < sum(written[key].values())
                        for word in key.split())}

    @cached_property
    def _written_first_words(self) -> frozenset[str]:
        return frozenset(key.split()[0] for key in self._written_names)

    def names_written_lowercase(self, question: str) -> list[str]:
        """The names a question writes in lower case ("how did they treat kaspersky?"), as
        the articles write them, longest first where they overlap ("white house", not
        "house")."""
        words = re.findall(r"[\w’'.-]+", question)
        firsts = self._written_first_words
        found, at = [], 0
        while at < len(words):
            if words[at] not in firsts:  # (lower case, as a name typed so begins)
                at += 1
                continue
            for n in (4, 3, 2, 1):
                span = words[at:at + n]
                key = " ".join(without_possessive(w) if i == len(span) - 1 else w
                               for i, w in enumerate(span)).lower()
                if len(span) == n and span[0].islower() and key in self._written_names:
                    found.append(self._written_names[key])
                    at += n
                    break
            else:
                at += 1
        return found

    def kind_of(self, name: str) -> str:
        """The entity kind the articles most often give a name ("ORG"), else ""."""
        return self.entity_kinds.get(name.lower(), "")

    def pronoun_of(self, name: str) -> str:
        """"he" or "she" for a person the articles refer to so, else ""."""
        return self.pronouns.get(surname(name), "")

    @cached_property
    def _first_names(self) -> dict[str, set[str]]:
        """A surname (lower case) -> the first words of the people the articles name in full
        with it ("cooper" -> {"betsy"}); titles ("Ms.", "Sen.", "Councilman") are not first
        names."""
        found: dict[str, set[str]] = {}
        for s in self.index.sentences:
            for e in s.entities:
                words = [w for w in _without_title(s.text_of(e)).split() if not w.endswith(".")]
                if e.label == "PERSON" and len(words) > 1:
                    found.setdefault(surname(words[-1]), set()).add(words[0].lower())
        return found

    def short_name(self, name: str) -> str:
        """How the articles call a person after the first mention: the surname alone where
        the article that names them in full also writes it so ("Cooper said" after "Betsy
        Cooper") and names no one else with it; else the name as given."""
        return self._short_names(name)

    def _shortened(self, name: str) -> str:
        words = name.split()
        last = without_possessive(words[-1]) if words else ""
        if (len(words) < 2 or len(last) < 2 or not last[0].isupper()
                or len(self._first_names.get(last.lower(), ())) > 1):
            return name
        full = " ".join(words[:-1] + [last])
        for document in self.index.documents.values():
            if full not in document.text:
                continue
            alone = len(re.findall(rf"(?<![\w-]){re.escape(last)}(?![\w-])", document.text))
            if alone > len(re.findall(rf"(?<![\w-]){re.escape(full)}(?![\w-])", document.text)):
                return last
        return name

    @cached_property
    def _sentence_starts(self) -> dict[tuple[str, int], int]:
        return {(s.doc, s.start): i for i, s in enumerate(self.index.sentences)}

    def sentences_around(self, doc: str, start: int, window: int
                         ) -> tuple[tuple[Sentence, ...], int, int] | None:
        """The sentences of `doc` from `window` before to `window` after the one at `start`
        (in article order), that one's place among them, and the place of the first of them
        in Index.sentences; None if no sentence starts there."""
        position = self._sentence_starts.get((doc, start))
        if position is None:
            return None
        sentences = self.index.sentences
        lo, hi = position, position
        while lo > 0 and position - lo < window and sentences[lo - 1].doc == doc:
            lo -= 1
        while hi + 1 < len(sentences) and hi - position < window and sentences[hi + 1].doc == doc:
            hi += 1
        return tuple(sentences[lo:hi + 1]), position - lo, lo

    def sentence_at(self, doc: str, start: int) -> Sentence | None:
        """The indexed sentence of `doc` that starts at `start`, if any."""
        position = self._sentence_starts.get((doc, start))
        return None if position is None else self.index.sentences[position]
