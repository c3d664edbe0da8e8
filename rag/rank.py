"""Scored sentences -> ranked sentences and a confidence that any of them answers.

Two logistic models over features that mean the same in any corpus: a sentence model ranks
the candidates of one question, and a question model turns the best candidate and its
competition into a confidence. Features are shares of the question's idf weight found in
the sentence, its neighbours and its paragraph, gaps to the question's best candidate,
whether the expected kind of answer is there (who -> a name, a person's first, when -> a
date, how much -> an amount), whether the question's names and numbers occur nearby at all,
and whether the sentence is the headline or the lead paragraph. The names of the headline
count as found in every sentence of their article, which is about them even where it
says "the festival". Parameters and the
abstention threshold are fitted by bench/fit_ranking.py and stored in
rag/params/ranking.json; nothing here is tuned by hand.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from rag.chunk import Sentence
from rag.embed import QuestionVectors
from rag.mentions import mentions
from rag.retrieve import STOPWORDS, Retriever, ScoredSentence

# One word between "which"/"what" and the noun ("what Egyptian president"), not a verb
# ("what do lawmakers worry about?" asks for a thing).
_ADJECTIVE = (r"(?!(?:do|does|did|is|are|was|were|will|would|can|could|has|have|had|should|may|"
              r"might|must)\b)[\w-]+")
# "Which company ...?", "what agency ...?": an organization is asked for.
_ORGANIZATION = re.compile(rf"\b(which|what)( {_ADJECTIVE})? (company|companies|firm|firms|agency|"
                           r"organization|committee|group|brand|brands|maker|department|"
                           r"institute)\b", re.I)
# Expected entity labels by question form, first match wins.
_QUESTION_TYPES: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (re.compile(r"\bhow much\b.*\b(cost|costs|pay|paid|spend|spent|worth|price|fund|funding|"
                r"budget|raise|raised|fine|fined|revenue|earn|sell|sold)\b|\bworth\b|"
                r"\bwhat (price|amount)\b|\bwhat (does|did|will|would) .{1,40} cost\b|"
                r"\bhow (expensive|costly)\b", re.I), frozenset({"MONEY"})),
    (re.compile(r"\bhow much\b", re.I), frozenset({"MONEY", "QUANTITY", "PERCENT", "CARDINAL"})),
    # "how far back", "how long ago": since when
    (re.compile(r"\bhow (far back|long ago)\b", re.I), frozenset({"DATE", "TIME"})),
    (re.compile(r"\bhow many\b|\bwhat (percentage|share|number)\b|"
                r"\bhow (far|big|large|tall|high|fast)\b|\bhow did .{1,40} vote\b", re.I),
     frozenset({"CARDINAL", "QUANTITY", "PERCENT"})),
    (re.compile(r"\bhow (old|long)\b", re.I), frozenset({"DATE", "TIME", "QUANTITY", "CARDINAL"})),
    (re.compile(r"\bwhen\b|\bwhat (year|date|day|month|time)\b|\bwhich (year|date|day|month)\b|"
                r"\bin what year\b|\bsince when\b", re.I), frozenset({"DATE", "TIME"})),
    (re.compile(r"\bwhere\b|\bwhich (country|city|state|place|region)\b", re.I),
     frozenset({"GPE", "LOC", "FAC", "ORG"})),
    # (a PERSON too: the small model often calls a firm one)
    (_ORGANIZATION, frozenset({"ORG", "GPE", "NORP", "PERSON"})),
    # "Which trustees voted against?", "What player scored?": a person, though no "who".
    (re.compile(rf"\b(which|what)( {_ADJECTIVE})? (person|people|man|men|woman|women|players?|"
                r"officials?|trustees?|senators?|lawmakers?|legislators?|judges?|leaders?|"
                r"executives|scientists?|researchers?|doctors?|nurses?|lawyers?|attorneys?|"
                r"candidates?|politicians?|ministers?|presidents?|founders?|authors?|writers?|"
                r"actors?|actress|singers?|artists?|coach|coaches|managers?|directors?|"
                r"officers?|employees?|teachers?|professors?|kings?|queens?|emperors?|popes?|"
                r"soldiers?|victims?|suspects?|witness|witnesses|residents?|spokes(man|woman|"
                r"person)|representatives?|governors?|mayors?|commissioners?|strikers?|"
                r"goalkeepers?|midfielders?|defenders?|pitchers?|athletes?|composers?|"
                r"conductors?|inventors?|engineers?|economists?|analysts?|historians?|"
                r"philosophers?|poets?|painters?|architects?)(?![\w'’-])", re.I),
     frozenset({"PERSON"})),
    (re.compile(r"\bwho(se|m)?\b", re.I), frozenset({"PERSON", "ORG", "NORP", "GPE"})),
)
# "Who is Adam Segal?" asks for a description, not for a name.
_DESCRIBE = re.compile(r"^\s*(?i:who|what)\s+(?i:is|was|are|were)\s+[A-Z][\w.]*(\s+[A-Z][\w.]*)*\s*\??\s*$")
# Choosing the short answer: one step down _LABEL_PRIORITY weighs as much as this many
# characters farther from the question's words (a PERSON up to 30 characters farther away
# than an ORG is still chosen).
CHARS_PER_PRIORITY = 30
_LABEL_PRIORITY = {"PERSON": 0, "MONEY": 0, "DATE": 0, "CARDINAL": 1, "ORG": 1, "GPE": 2,
                   "PERCENT": 1, "QUANTITY": 1, "TIME": 1, "FAC": 2, "LOC": 2, "NORP": 3}
_TOKEN = re.compile(r"[\w’'.-]+")
# A sentence opening on one of these leans on the one before it ("Deyal told this newspaper.").
_LEANING = frozenset("he she it they this that these those his her their its him them".split())

SENTENCE_FEATURES = (
    "cosine", "cosine_gap", "lexical", "lexical_gap", "window", "paragraph", "paragraph_gap",
    "rest", "salient_missing", "salient_missing_paragraph", "bigram", "chunk", "type_match",
    "type_missing", "title", "words", "leaning", "window_cosine", "window_cosine_gap",
    "paragraph_cosine", "paragraph_cosine_gap", "type_missing_elsewhere", "rarest_missing",
    "negation_mismatch", "rest_window", "article_missing", "token_alignment",
    "token_alignment_gap", "weakest_token", "person_missing", "lead",
)
# Filled in once all of a question's candidates are known.
_PER_QUESTION = frozenset({"cosine_gap", "lexical_gap", "paragraph_gap", "window_cosine_gap",
                           "paragraph_cosine_gap", "type_missing_elsewhere", "token_alignment_gap"})
# Fewer than the sentence model's, and not its raw score: with those, the fit follows SQuAD's
# adversarial questions and loses the plain signals (no shared words, unknown names) of the
# unanswerable news questions (leave-one-source-out, bench/fit_ranking.py).
QUESTION_FEATURES = (
    "margin", "cosine", "best_cosine", "lexical", "window", "unknown", "rarest_missing",
    "least_salient_missing", "type_missing", "rest", "rest_window", "best_rest",
    "asked_nowhere", "asked_not_here",
)
# A request for new text is not a question a quote can answer: the bot abstains whatever the
# article holds ("Write me a poem about the ocean" on an article about tide pools).
_REQUEST = re.compile(r"^\s*(?:please\s+|(?:can|could|would|will)\s+you\s+)?(?:write|compose|"
                      r"draw|sing|generate|create|invent|imagine|translate|rewrite|rephrase|paint|"
                      r"tell\s+me\s+a\s+(?:joke|story|poem|riddle))\b", re.I)
_NEGATION = re.compile(r"\b(not|no|never|nor|none|neither|without|n't)\b|n['’]t\b", re.I)


def is_request(question: str) -> bool:
    """Whether the question asks for new text (a poem, a story, a translation)."""
    return bool(_REQUEST.match(question))


def asks_for_organization(question: str) -> bool:
    """Whether the question asks which company, agency, group ... (not who)."""
    return bool(_ORGANIZATION.search(question))


def expected_labels(question: str) -> frozenset[str]:
    """Entity labels that would answer the question ('who' -> PERSON, ...); empty if any.
    Of several questions (a follow-up asked with its topic: "Who banned ZTE? Why?"), the
    last one that has a question word decides."""
    parts = re.split(r"(?<=\?)\s+", question.strip())
    if len(parts) > 1:
        asking = [p for p in parts if _QUESTION_WORD.search(p)]
        if asking and asking[-1] != question:
            return expected_labels(asking[-1])
    if _DESCRIBE.match(question):
        return frozenset()
    for pattern, labels in _QUESTION_TYPES:
        if pattern.search(question):
            return labels
    return frozenset()


# "When did it open?", "How many …?": the question opens by asking for a date or a number.
# Not "where" nor "who": "Where did most of the pilots go?" is answered "to larger carriers".
_OPENS_TYPED = re.compile(r"^\W*(?:(?:and|but|so|then|ok|okay)\W+)?(?:when|how (?:many|much|old|"
                          r"long|far)|(?:what|which) (?:year|date|day|month|time))\b",
                          re.IGNORECASE)


def asks_for_kind(question: str) -> bool:
    """Whether the question opens by asking for a date, a time or a number ("When did it
    open?"), rather than only holding a question word ("What did she think when …?")."""
    return bool(_OPENS_TYPED.match(question)) and bool(expected_labels(question))


_QUESTION_WORD = re.compile(r"\b(who|whom|whose|what|when|where|which|why|how)\b", re.IGNORECASE)

# "What's his name?", "What was the dealer's name?", "What is the company's name?": a name
# is asked for, a person's after his/her/their or a word for a person. Not "What is the
# name of the alphabet …?", which a term may answer ("the binary alphabet").
_PEOPLE_WORDS = (r"man|men|woman|women|person|people|boy|girl|child|son|daughter|wife|husband|"
                 r"mother|father|friend|hiker|dealer|collector|driver|owner|buyer|seller|"
                 r"neighbou?r|victim|suspect|witness|patient|student|worker|employee|tenant|"
                 r"landlord|plaintiff|defendant|officer|agent|official|spokes(?:man|woman|person)|"
                 r"pilot|passenger|resident|player|coach|captain|judge|lawyer|doctor|nurse|"
                 r"teacher|singer|artist|author|founder|leader|chair|director|manager|"
                 r"researcher|scientist|volunteer|member|fan|visitor|guest|customer|parent|"
                 r"voter|organizer|staffer|reporter")
_ASKS_NAME = re.compile(
    rf"^\W*(?:and\s+|so\s+)?what(?:['’]s|\s+(?:is|was|are|were))\s+(?:(?P<pronoun>his|her|their)\s+"
    rf"|the\s+(?:(?P<person>(?:[\w'’-]+\s+)?(?:{_PEOPLE_WORDS}))|[\w\s-]{{1,40}}?)['’]s?\s+)"
    rf"(?:full\s+|first\s+|last\s+)?names?\b"
    rf"|^\W*what(?:['’]s|\s+(?:is|was))\s+the\s+name\s+of\s+(?:the|that|this|his|her|their)\s+"
    rf"(?P<of_person>(?:[\w'’-]+\s+)?(?:{_PEOPLE_WORDS}))s?\b(?!['’])", re.IGNORECASE)
_NAMES = frozenset(("PERSON", "ORG", "GPE", "FAC", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART",
                    "NORP", "LAW"))


def asks_for_name(question: str) -> frozenset[str]:
    """The entity kinds that would name what a question asks the name of ("What's the
    hiker's name?" -> a person; "What is the company's name?" -> any name); empty for any
    other question. Of several questions, the last one decides."""
    last = re.split(r"(?<=\?)\s+", question.strip())[-1]
    asked = _ASKS_NAME.match(last)
    if asked is None:
        return frozenset()
    # ("their names" may be companies')
    person = (asked.group("pronoun") or "").lower() in ("his", "her") or (
        asked.group("person") or asked.group("of_person"))
    return frozenset({"PERSON"}) if person else _NAMES


def names_new(sentence: Sentence, labels: frozenset[str], question: str) -> bool:
    """Whether the sentence holds a name of one of `labels` that the question does not."""
    return any(e.label in labels and not mentions(question, sentence.text_of(e))
               for e in sentence.entities)


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
        key = distance + CHARS_PER_PRIORITY * _LABEL_PRIORITY.get(entity.label, 9)
        if best is None or key < best[0]:
            best = (key, (entity.start, entity.end))
    return best[1] if best else None


@dataclass(frozen=True)
class Model:
    """A linear model over named features; weights already divide by the feature scale."""
    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float

    def scores(self, x: np.ndarray) -> np.ndarray:
        return x @ np.asarray(self.weights) + self.bias


@dataclass(frozen=True)
class Params:
    version: str
    sentence: Model
    question: Model
    threshold: float  # confidence below which the bot abstains

    @classmethod
    def from_dict(cls, data: dict) -> "Params":
        models = {}
        for name, expected in (("sentence", SENTENCE_FEATURES), ("question", QUESTION_FEATURES)):
            m = data[name]
            if tuple(m["weights"]) != expected:
                raise ValueError(f"{name} features in ranking.json are {tuple(m['weights'])}, "
                                 f"the code computes {expected}: run bench/fit_ranking.py")
            models[name] = Model(expected, tuple(float(m["weights"][f]) for f in expected),
                                 float(m["bias"]))
        return cls(str(data["version"]), models["sentence"], models["question"],
                   float(data["threshold"]))


@lru_cache(maxsize=1)
def shipped_params() -> Params:
    """The parameters in rag/params/ranking.json."""
    text = resources.files("rag").joinpath("params", "ranking.json").read_text(encoding="utf-8")
    return Params.from_dict(json.loads(text))


@dataclass(frozen=True)
class Ranked:
    candidate: ScoredSentence
    score: float  # sentence model's log-odds that it answers (merged rankings: log of the share)
    span: tuple[int, int] | None  # the expected kind of entity in it (document offsets)


@dataclass(frozen=True)
class Ranking:
    ranked: tuple[Ranked, ...]  # best first
    confidence: float  # 0..1 that the best sentence answers the question
    abstained: bool


@dataclass(frozen=True)
class QuestionTerms:
    terms: tuple[str, ...]
    weights: tuple[float, ...]  # idf of each term
    salient: frozenset[str]  # names and numbers the question states
    labels: frozenset[str]  # expected answer entity labels
    unknown: float  # share of weight the corpus never uses


def question_terms(question: str, terms: list[str], retriever: Retriever) -> QuestionTerms:
    """The question's weighted terms and, among them, the names and numbers it states."""
    salient = set()
    for n, token in enumerate(_TOKEN.findall(question)):
        if any(c.isdigit() for c in token) or (n > 0 and token[:1].isupper()):
            salient.update(retriever.analyzer.stem(w) for w in retriever.analyzer.words(token)
                           if w not in STOPWORDS)
    weights = tuple(retriever.sentence_idf(t) for t in terms)
    total = sum(weights) or 1.0
    unknown = sum(w for t, w in zip(terms, weights) if not retriever.known(t)) / total
    return QuestionTerms(tuple(terms), weights, frozenset(salient & set(terms)),
                         expected_labels(question), unknown)


def _share(q: QuestionTerms, present: set[str], only: frozenset[str] | None = None,
           missing: bool = False) -> float:
    total = found = 0.0
    for t, w in zip(q.terms, q.weights):
        if only is not None and t not in only:
            continue
        total += w
        found += w * ((t not in present) if missing else (t in present))
    return found / total if total else 0.0


def _bigram(q: QuestionTerms, present: set[str], sequence: tuple[str, ...]) -> float:
    """Share of the question's adjacent term pairs that stand within three words in the sentence."""
    pairs = list(zip(q.terms, q.terms[1:]))
    both = [(a, b) for a, b in pairs if a in present and b in present]
    if not both:
        return 0.0
    where: dict[str, list[int]] = {}
    for i, t in enumerate(sequence):
        where.setdefault(t, []).append(i)
    found = sum(1 for a, b in both if any(abs(i - j) <= 3 for i in where[a] for j in where[b]))
    return found / len(pairs)


def token_alignment(question: QuestionVectors, tokens: np.ndarray, firsts: np.ndarray,
                    matched: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Late interaction (MaxSim, as ColBERT scores) with each of several sentences, whose
    token vectors are `tokens`, the sentence's rows starting at `firsts`: each question
    token's best cosine with any token of the sentence, or 1 where `matched` (question
    tokens x sentences) marks the piece as found there. Returns, per sentence, the mean over
    all question tokens, and the lowest over the pieces of its content words (a word of the
    question that nothing in the sentence resembles); 0 for a sentence without tokens."""
    n = len(firsts)
    if not len(tokens) or not len(question.tokens):
        return np.zeros(n), np.zeros(n)
    cosines = question.tokens @ tokens.T  # question tokens x all sentences' tokens
    lengths = np.diff(np.append(firsts, len(tokens)))
    filled = lengths > 0
    best = np.zeros((len(question.tokens), n), dtype=np.float32)
    best[:, filled] = np.maximum.reduceat(cosines, firsts[filled], axis=1)
    if matched is not None:  # (question tokens x sentences) pieces taken as found
        best[matched & filled] = 1.0
    content = best[question.content] if question.content.any() else best
    return best.mean(axis=0) * filled, content.min(axis=0) * filled


def _topic_pieces(vectors: QuestionVectors, candidates: list[ScoredSentence],
                  retriever: Retriever) -> np.ndarray | None:
    """(question tokens x candidates): the pieces of the question's words that name the
    subject of the candidate's article (Retriever.topic_terms), which each of its sentences
    is about though few name it; None when there are none."""
    if not vectors.pieces:
        return None
    words: list[str] = []
    owner = []  # the word each piece is of
    for piece in vectors.pieces:
        if piece.startswith("##") and words:
            words[-1] += piece[2:]
        else:
            words.append(piece)
        owner.append(len(words) - 1)
    terms = [frozenset(retriever.analyzer.terms(w)) for w in words]
    out = np.zeros((len(vectors.pieces), len(candidates)), dtype=bool)
    columns: dict[str, list[int]] = {}
    for j, c in enumerate(candidates):
        columns.setdefault(c.sentence.doc, []).append(j)
    for doc, js in columns.items():
        topic = retriever.topic_terms(doc)
        if topic:
            out[:, js] = np.array([bool(terms[o] & topic) for o in owner])[:, None]
    return out if out.any() else None


def sentence_features(question: str, q: QuestionTerms, candidates: list[ScoredSentence],
                      retriever: Retriever, vectors: QuestionVectors
                      ) -> tuple[np.ndarray, list[tuple[int, int] | None]]:
    """One row of SENTENCE_FEATURES per candidate, and the answer entity found in each."""
    rest = frozenset(set(q.terms) - q.salient) or None
    rarest = {q.terms[int(np.argmax(q.weights))]} if q.terms else set()
    negated = bool(_NEGATION.search(question))
    asks_person = "PERSON" in q.labels and not asks_for_organization(question)
    alignments, weakest = token_alignment(vectors, *retriever.sentence_tokens(
        [c.index for c in candidates]), _topic_pieces(vectors, candidates, retriever))
    rows, spans = [], []
    for n, c in enumerate(candidates):
        s, i = c.sentence, c.index
        span = answer_entity(s, q.labels, question) if q.labels else None
        spans.append(span)
        # the article's subject is in every sentence of it, though few name it
        topic = retriever.topic_terms(s.doc)
        paragraph = retriever.paragraph_terms(i)
        sentence = retriever.sentence_terms(i)
        window = retriever.window_terms(i)
        words = s.text.split()
        row = {
            "cosine": c.cosine, "lexical": c.lexical, "window": _share(q, window),
            "paragraph": _share(q, paragraph),
            "rest": _share(q, sentence, rest) if rest else c.lexical,
            "rest_window": _share(q, window, rest) if rest else _share(q, window),
            "salient_missing": _share(q, sentence | topic, q.salient, missing=True),
            "salient_missing_paragraph": _share(q, paragraph | topic, q.salient, missing=True),
            "bigram": _bigram(q, sentence, retriever.sentence_sequence(i)), "chunk": c.chunk_score,
            "type_match": float(bool(q.labels) and span is not None),
            "type_missing": float(bool(q.labels) and span is None),
            "title": float(s.paragraph == 0), "words": math.log1p(len(words)),
            "leaning": float(bool(words) and words[0].lower().strip("“\"'") in _LEANING),
            "window_cosine": c.window_cosine, "paragraph_cosine": c.paragraph_cosine,
            "rarest_missing": float(bool(rarest - window - topic)),
            "negation_mismatch": float(negated != bool(_NEGATION.search(s.text))),
            # Missing from the article itself, not from the corpus: the same at any corpus size.
            "article_missing": _share(q, retriever.document_terms(s.doc), missing=True),
            "token_alignment": alignments[n], "weakest_token": weakest[n],
            # "who discovered …?" is asked of a person first: a sentence that names only the
            # museum and the country has the kind "who" allows, but not the likely one
            "person_missing": float(asks_person and not any(
                e.label == "PERSON" and not mentions(question, s.text_of(e)) for e in s.entities)),
            # a news story's first paragraph sums it all up, and names most of what any
            # question about it names, without answering the detail asked
            "lead": float(s.paragraph == 1),
        }
        rows.append([0.0 if name in _PER_QUESTION else row[name] for name in SENTENCE_FEATURES])
    x = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(SENTENCE_FEATURES))
    if len(rows):
        # Gaps to the question's best: the same meaning in a corpus of one article or many.
        for gap, base in (("cosine_gap", "cosine"), ("lexical_gap", "lexical"),
                          ("paragraph_gap", "paragraph"), ("window_cosine_gap", "window_cosine"),
                          ("paragraph_cosine_gap", "paragraph_cosine"),
                          ("token_alignment_gap", "token_alignment")):
            col = x[:, SENTENCE_FEATURES.index(base)]
            x[:, SENTENCE_FEATURES.index(gap)] = col - col.max()
        typed = x[:, SENTENCE_FEATURES.index("type_match")]
        x[:, SENTENCE_FEATURES.index("type_missing_elsewhere")] = (
            x[:, SENTENCE_FEATURES.index("type_missing")] * float(typed.max() > 0))
    return x, spans


def question_features(q: QuestionTerms, x: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """QUESTION_FEATURES of the best-scoring candidate and its competition."""
    return _question_features(q.unknown, x, scores)


def _question_features(unknown: float, x: np.ndarray, scores: np.ndarray) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    top = x[order[0]]
    f = dict(zip(SENTENCE_FEATURES, top))
    second = scores[order[1]] if len(order) > 1 else scores[order[0]]
    best_rest = x[:, SENTENCE_FEATURES.index("rest_window")].max()
    row = {
        "margin": scores[order[0]] - second, "cosine": f["cosine"],
        "best_cosine": x[:, SENTENCE_FEATURES.index("cosine")].max(), "lexical": f["lexical"],
        "window": f["window"], "unknown": f["article_missing"],
        "rarest_missing": f["rarest_missing"],
        "least_salient_missing": x[:, SENTENCE_FEATURES.index("salient_missing_paragraph")].min(),
        "type_missing": f["type_missing"], "rest": f["rest"], "rest_window": f["rest_window"],
        "best_rest": best_rest,
        # Steps, not slopes: none of what was asked (beyond the names) is near the answer.
        "asked_nowhere": float(best_rest == 0), "asked_not_here": float(f["rest_window"] == 0),
    }
    return np.array([row[name] for name in QUESTION_FEATURES])


class Ranker:
    """Ranks one question's candidate sentences and decides whether to answer."""

    def __init__(self, params: Params | None = None):
        self._params = params

    @property
    def params(self) -> Params:
        return self._params or shipped_params()

    def rank(self, question: str, terms: list[str], candidates: list[ScoredSentence],
             retriever: Retriever, vectors: QuestionVectors, min_confidence: float | None = None,
             by: str = "full") -> Ranking:
        """Candidates best first with the confidence of the best; `vectors` are the
        question's (encoder.encode_question); `by="cosine"` ranks by cosine alone (for
        evaluation)."""
        if not candidates:
            return Ranking((), 0.0, True)
        q = question_terms(question, terms, retriever)
        x, spans = sentence_features(question, q, candidates, retriever, vectors)
        scores = self.params.sentence.scores(x)
        if by == "cosine":
            scores = x[:, SENTENCE_FEATURES.index("cosine")]
        z = float(self.params.question.scores(question_features(q, x, scores)[None, :])[0])
        confidence = 1.0 / (1.0 + math.exp(-z))
        threshold = self.params.threshold if min_confidence is None else min_confidence
        order = np.argsort(-scores, kind="stable")
        ranked = tuple(Ranked(candidates[i], float(scores[i]), spans[i]) for i in order)
        return Ranking(ranked, confidence, confidence < threshold or is_request(question))
