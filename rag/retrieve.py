"""Question -> ranked chunks (Hits) and scored candidate sentences.

Dense search (FAISS, cosine) and BM25 each rank the chunks; reciprocal-rank fusion
combines the two rankings. Sentences inside the best chunks are then scored one by one,
so that the answer is a sentence rather than a whole chunk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from rapidfuzz import fuzz, process

from rag.chunk import Chunk, Sentence
from rag.config import Settings
from rag.embed import Encoder
from rag.index import Index

# Function words carry no evidence; "what"/"who" are kept apart to type the question.
# 127 of these are spaCy's STOP_WORDS; its whole list (326, with "first", "two", "back",
# "name"...) drops test-set abstention recall from .889 to .833 under the fitted ranking
# weights, so it waits for a refit (bench/fit_ranking.py).
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its itself
just me more most my myself no nor not now of off on once only or other our ours ourselves out
over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself yourselves s t don shouldn isn
aren wasn weren much many according say said says tell told article mention mentioned mentions
""".split())

# Abbreviations in news copy and the words a reader types instead (AP style).
ABBREVIATIONS = {
    "sen": "senator", "rep": "representative", "gov": "governor", "pres": "president",
    "dept": "department", "gen": "general", "lt": "lieutenant", "col": "colonel",
    "ala": "alabama", "ariz": "arizona", "ark": "arkansas", "calif": "california",
    "colo": "colorado", "conn": "connecticut", "del": "delaware", "fla": "florida",
    "ga": "georgia", "ill": "illinois", "ind": "indiana", "kan": "kansas", "ky": "kentucky",
    "la": "louisiana", "md": "maryland", "mass": "massachusetts", "mich": "michigan",
    "minn": "minnesota", "miss": "mississippi", "mo": "missouri", "mont": "montana",
    "neb": "nebraska", "nev": "nevada", "okla": "oklahoma", "ore": "oregon",
    "pa": "pennsylvania", "tenn": "tennessee", "va": "virginia", "vt": "vermont",
    "wash": "washington", "wis": "wisconsin", "wyo": "wyoming", "us": "united_states",
    "u.s": "united_states", "uk": "united_kingdom", "u.k": "united_kingdom",
    "ceo": "chief executive", "cfo": "chief financial officer", "coo": "chief operating officer",
}
# Irregular past forms that stemming cannot join to their verbs ("began" / "begin").
IRREGULAR = {past: verb for verb, forms in {
    "arise": "arose arisen", "be": "was were been", "bear": "bore borne", "beat": "beaten",
    "become": "became", "begin": "began begun", "bring": "brought", "build": "built",
    "buy": "bought", "catch": "caught", "choose": "chose chosen", "come": "came",
    "do": "did done", "draw": "drew drawn", "drive": "drove driven", "eat": "ate eaten",
    "fall": "fell fallen", "feel": "felt", "fight": "fought", "find": "found", "fly": "flew flown",
    "forget": "forgot forgotten", "freeze": "froze frozen", "get": "got gotten",
    "give": "gave given", "go": "went gone", "grow": "grew grown", "have": "had",
    "hear": "heard", "hide": "hid hidden", "hold": "held", "keep": "kept", "know": "knew known",
    "lay": "laid", "lead": "led", "leave": "left", "lend": "lent", "lose": "lost",
    "make": "made", "mean": "meant", "meet": "met", "pay": "paid", "ride": "rode ridden",
    "rise": "rose risen", "run": "ran", "say": "said", "see": "saw seen", "seek": "sought",
    "sell": "sold", "send": "sent", "shake": "shook shaken", "shoot": "shot", "sing": "sang sung",
    "sink": "sank sunk", "sit": "sat", "speak": "spoke spoken", "spend": "spent",
    "stand": "stood", "steal": "stole stolen", "strike": "struck stricken",
    "swear": "swore sworn", "swim": "swam swum", "take": "took taken", "teach": "taught",
    "tear": "tore torn", "tell": "told", "think": "thought", "throw": "threw thrown",
    "understand": "understood", "wake": "woke woken", "wear": "wore worn", "win": "won",
    "write": "wrote written", "break": "broke broken", "forbid": "forbade forbidden",
    "withdraw": "withdrew withdrawn", "undertake": "undertook undertaken",
}.items() for past in forms.split()}

_CAPITALIZED_RUN = re.compile(
    r"\b[A-Z][\w’'-]*(?: +(?:(?:of|and|for|on|the|de) +)*[A-Z][\w’'-]*)+")
_WORDS = re.compile(r"[a-z0-9]+(?:\.[a-z](?=\.))?(?:['’][a-z]+)?")


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


def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


class Analyzer:
    """Words -> terms: lower case, abbreviations expanded, stop words out, stemmed."""

    def __init__(self):
        self._stem = _stemmer()
        self._cache: dict[str, str] = {}

    def words(self, text: str) -> list[str]:
        words = []
        for word in _WORDS.findall(text.lower().replace("’", "'")):
            word = re.sub(r"'s$|'$", "", word)
            for part in ABBREVIATIONS.get(word, word).split():
                words.append(IRREGULAR.get(part, part))
        return words

    def stem(self, word: str) -> str:
        if word not in self._cache:
            self._cache[word] = self._stem.stemWord(word)
        return self._cache[word]

    def terms(self, text: str) -> list[str]:
        return [self.stem(w) for w in self.words(text) if w not in STOPWORDS]


class Retriever:
    """Owns the BM25 tables built from an Index; the Encoder embeds questions."""

    def __init__(self, index: Index, encoder: Encoder, settings: Settings):
        self.index = index
        self.encoder = encoder
        self.settings = settings
        self.analyzer = Analyzer()

    @cached_property
    def _chunk_bm25(self):
        from rank_bm25 import BM25Okapi

        return BM25Okapi([self.analyzer.terms(c.text) or ["_"] for c in self.index.chunks])

    @cached_property
    def _sentence_terms(self) -> list[set[str]]:
        return [set(self.analyzer.terms(s.text)) for s in self.index.sentences]

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
        return term in self._idf

    @cached_property
    def _idf(self) -> dict[str, float]:
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
    def _all_chunks(self) -> np.ndarray:
        return np.ones(len(self.index.chunks), dtype=bool)

    @cached_property
    def _doc_masks(self) -> dict[str, np.ndarray]:
        """Document id -> which chunks belong to it, for questions limited to one article."""
        docs = np.array([c.doc for c in self.index.chunks])
        return {doc: docs == doc for doc in self.index.documents}

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
        _ = (self._chunk_bm25, self._idf, self._vocabulary, self._chunk_sentences,
             self._acronyms, self._doc_masks, self._paragraph_terms, self._sentence_sequences,
             self._context_vectors, self._document_terms, self._max_idf, self.entity_kinds,
             self._sentence_starts)
        self.encoder.encode(["warm up"])

    def question_terms(self, question: str) -> list[str]:
        """The question's terms, each misspelled word replaced by its closest article word."""
        terms = []
        for word in self.analyzer.words(question):
            if word in STOPWORDS:
                continue
            term = self.analyzer.stem(word)
            if term not in self._idf and word in self._acronyms:
                terms.extend(self._acronyms[word])
                continue
            if term not in self._idf and len(word) > 2 and not word.isdigit():
                close = process.extractOne(word, self._vocabulary.keys(), scorer=fuzz.ratio,
                                           score_cutoff=80)
                if close and self._vocabulary[close[0]] is None:
                    continue  # a misspelled stop word ("wat", "abuot")
                term = self._vocabulary[close[0]] if close else term
            terms.append(term)
        return list(dict.fromkeys(terms))

    def idf(self, term: str) -> float:
        # A term the corpus never uses weighs as much as the rarest one: asking for it is
        # asking for something the article may not have.
        return self._idf.get(term, self._max_idf)

    @cached_property
    def _max_idf(self) -> float:
        return max(self._idf.values(), default=1.0)

    def search(self, question: str, doc: str | None = None, vector: np.ndarray | None = None,
               terms: list[str] | None = None) -> list[Hit]:
        """Chunks ranked for the question (fused), restricted to one document if doc is set."""
        chunks = self.index.chunks
        vector = self.encoder.encode([question])[0] if vector is None else vector
        terms = self.question_terms(question) if terms is None else terms
        allowed = self._all_chunks if doc is None else self._doc_masks.get(doc, ~self._all_chunks)
        ranks: dict[int, dict[str, int]] = {}
        cosines: dict[int, float] = {}
        if self.settings.retrieval in ("hybrid", "dense"):
            cosines = self._dense(vector, allowed)
            for rank, i in enumerate(list(cosines)[: self.settings.top_k], 1):
                ranks.setdefault(i, {})["dense"] = rank
        if self.settings.retrieval in ("hybrid", "bm25") and terms:
            scores = np.asarray(self._chunk_bm25.get_scores(terms))
            order = [int(i) for i in np.argsort(-scores) if allowed[i] and scores[i] > 0]
            for rank, i in enumerate(order[: self.settings.top_k], 1):
                ranks.setdefault(i, {})["bm25"] = rank
        hits = []
        for i, r in ranks.items():
            # RRF: BM25 and cosine scores differ in scale; ranks do not.
            score = sum(1.0 / (self.settings.rrf_k + rank) for rank in r.values())
            cosine = cosines[i] if i in cosines else float(
                self.index.chunk_index.reconstruct(i) @ vector)
            hits.append(Hit(chunks[i], i, score, r.get("dense"), r.get("bm25"), cosine))
        hits.sort(key=lambda h: -h.score)
        return hits

    def _dense(self, vector: np.ndarray, allowed: np.ndarray) -> dict[int, float]:
        """Chunk position -> cosine for the nearest allowed chunks, nearest first."""
        n = self.index.chunk_index.ntotal
        k = min(n, self.settings.top_k * (1 if allowed is self._all_chunks else 8))
        while True:
            scores, ids = self.index.chunk_index.search(vector[None, :].astype(np.float32), k)
            found = {int(i): float(s) for i, s in zip(ids[0], scores[0]) if i >= 0 and allowed[i]}
            if len(found) >= self.settings.top_k or k >= n:
                return found
            k = min(n, k * 4)

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
        weight = sum(self.idf(t) for t in terms) or 1.0
        unknown = sum(self.idf(t) for t in terms if t not in self._idf) / weight
        out = []
        for s, cosine, w, p in zip(ids, cosines, window, paragraph):
            present = self._sentence_terms[s]
            lexical = sum(self.idf(t) for t in terms if t in present) / weight
            out.append(ScoredSentence(s, self.index.sentences[s], float(cosine), lexical,
                                      chunk_score[s], unknown, float(w), float(p)))
        return out

    @cached_property
    def entity_kinds(self) -> dict[str, str]:
        """Entity text (lower case) -> the kind the articles most often give it."""
        counts: dict[str, dict[str, int]] = {}
        for s in self.index.sentences:
            for e in s.entities:
                kinds = counts.setdefault(s.text[e.start - s.start:e.end - s.start].lower(), {})
                kinds[e.label] = kinds.get(e.label, 0) + 1
        return {text: max(kinds, key=kinds.get) for text, kinds in counts.items()}

    @cached_property
    def _sentence_starts(self) -> dict[tuple[str, int], int]:
        return {(s.doc, s.start): i for i, s in enumerate(self.index.sentences)}

    def sentence_at(self, doc: str, start: int) -> Sentence | None:
        """The indexed sentence of `doc` that starts at `start`, if any."""
        position = self._sentence_starts.get((doc, start))
        return None if position is None else self.index.sentences[position]
