"""Chatbot: the one entry point for every interface. It answers questions (loading or
building the index once) and, through Library (rag/library.py), manages the corpus: build,
add, remove and list articles.

Interfaces (cli.py, web.py) call only this facade and format its frozen results: Answer,
BuildReport, FileAdded, Article, SkippedFile, Cleaned.
"""

from __future__ import annotations

import dataclasses
import math
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.answer import Answer, answer_from
from rag.chunk import surname, without_possessive
from rag.config import Settings
from rag.conversation import (Names, Turn, asked_for, asks_about, asks_for_more, standalone,
                              without_more)
from rag.embed import OnnxEncoder, TorchEncoder, make_encoder
from rag.mentions import Referent, person_asked_about, question_names
from rag.pointing import (amount_for, asks_amount, asks_meaning, asks_what_next, asks_who_said,
                          asks_why, asks_words_of, enumerated_item, goes_on, opens_with_why,
                          reason_for, said_by, speaker, who_said)
from rag.errors import ArgumentError, QuestionError
from rag.build import BuildStep, Progress, ensure_index  # noqa: F401 - BuildStep, for interfaces
from rag.index import Document, Index, load_index
from rag.library import Article, BuildReport, FileAdded, Library, SkippedFile, article_id
from rag.rank import (Ranked, Ranker, Ranking, asks_for_kind, asks_for_name,
                      asks_for_organization, expected_labels, names_new)
from rag.store import read_pointer
from rag.retrieve import Retriever, ScoredSentence

__all__ = ["Chatbot", "Conversation", "Article", "SkippedFile", "FileAdded", "BuildReport"]


@dataclass(frozen=True)
class Steering:
    """How the turns before a follow-up steer its ranking (see Conversation.ask)."""

    # (position in the index, short-answer offsets or None) of the sentence to answer with,
    # found by rule ("and the second?", "why?"): first, and answered without the abstention
    # model's say
    pinned: tuple[int, tuple[int, int] | None] | None = None
    # the follow-up's own words, ranked too; the two rankings merged (see _merged)
    alone: str | None = None
    # (doc, start) of sentences left out: those already answered with, for "who else?"
    left_out: frozenset[tuple[str, int]] = frozenset()
    # words the answer should have: its best sentence with them goes first ("what about
    # drivers?" is answered by a sentence on drivers)
    mentioning: str | None = None
    # the abstention threshold, where not Settings.min_confidence (a rewritten follow-up's)
    min_confidence: float | None = None
    # the question asks for a kind of answer ("When did it open?": a date), and a sentence
    # without one is no answer, however well it matches the topic it was asked with
    typed: bool = False


class Chatbot(Library):
    """Answers questions about the articles in a corpus with verbatim quotes.

    Safe to call from several threads: the index is read-only and the encoder locks itself.
    """

    def __init__(self, settings: Settings, index: Index | None = None,
                 encoder: TorchEncoder | OnnxEncoder | None = None, *, load: bool = True):
        """`encoder` embeds questions (and documents, if a build is needed); by default both
        use the int8 ONNX copy of the model (Settings.query_encoder and build_encoder), a
        build's session on every core. `load=False` defers loading (or building) the index
        to the first question, so corpus operations work before there is an index."""
        super().__init__(settings, encoder)
        self.encoder = encoder or make_encoder(settings.model, settings.query_encoder)
        self.ranker = Ranker()
        self._loading = threading.Lock()
        # One reference to (index, retriever), swapped whole by reload(), so a question
        # answered while an article is being added sees one consistent index.
        self._state: tuple[Index, Retriever] | None = None
        if index is not None or load:
            self._use(index or ensure_index(settings, self._build_encoder, self._splitter))

    @classmethod
    def load(cls, corpus_dir: str | Path | None = None, index_dir: str | Path | None = None,
             settings: Settings | None = None, **overrides) -> "Chatbot":
        """Load the index, building it first when it is missing or stale.

        Folders not given come from `settings`, else "corpus" and "index". Any Settings
        field may be overridden by name, e.g. store="qdrant://:memory:" (see config.parse_store).

        Raises:
            CorpusError: the corpus is missing, empty or unreadable and there is no index.
            IndexStale: the index does not match the settings and there is no corpus.
            ConfigError: a folder is a file, or the index folder holds other things.
        """
        return cls(_settings(corpus_dir, index_dir, settings, overrides))

    @classmethod
    def open(cls, corpus_dir: str | Path | None = None, index_dir: str | Path | None = None,
             settings: Settings | None = None, **overrides) -> "Chatbot":
        """A chatbot over a corpus and index that loads nothing until it is asked a
        question: for add, remove, articles and build, which work without an index.
        Arguments as load()."""
        return cls(_settings(corpus_dir, index_dir, settings, overrides), load=False)

    def _use(self, index: Index, warm: bool = False) -> None:
        retriever = Retriever(index, self.encoder, self.settings)
        if warm or self._state is not None:  # a running bot: the next question must not wait
            retriever.warm_up()
        self._state = (index, retriever)

    def _current(self) -> tuple[Index, Retriever]:
        """The loaded (index, retriever), loading or building the index on first use."""
        if self._state is None:
            with self._loading:
                if self._state is None:
                    self._use(ensure_index(self.settings, self._build_encoder, self._splitter))
        return self._state

    @property
    def index(self) -> Index:
        return self._current()[0]

    @property
    def retriever(self) -> Retriever:
        return self._current()[1]

    @property
    def documents(self) -> dict[str, Document]:
        return self.index.documents

    def _index_changed(self) -> None:
        """A loaded bot answers from the live index at once; one that is live already (a
        build that found nothing to do) is not loaded again."""
        if self._state is None:
            return
        try:
            live = read_pointer(self.settings.index_dir)
        except OSError:
            live = None
        if live != self._state[0].path.name:
            self._use(load_index(self.settings.index_dir))

    def reload(self, progress: Progress | None = None) -> None:
        """Rebuild the index if the corpus changed (only new or changed articles are
        embedded), then answer from it. `progress` receives the build's steps.

        Raises:
            CorpusError: the corpus cannot be built.
        """
        self._use(ensure_index(self.settings, self._build_encoder, self._splitter, progress),
                  warm=True)

    def example_questions(self, limit: int = 4) -> list[str]:
        """Questions that the loaded articles answer, from the names their own sentences
        mention most (a person, an organization), then one they do not answer."""
        names: dict[tuple[str, str], list[str]] = {}  # (doc, label) -> names in its body
        for s in self.index.sentences:
            for e in s.entities if s.paragraph else ():
                names.setdefault((s.doc, e.label), []).append(s.text[e.start - s.start:
                                                                      e.end - s.start])
        examples = []
        for doc in self.documents:
            for label, template in (("PERSON", "Who is {}?"),
                                    ("ORG", "What does the article say about {}?")):
                found = names.get((doc, label))
                if found:
                    examples.append(template.format(max(set(found), key=found.count)))
        return examples[:limit] + ["What is the capital of Peru?"]

    def warm_up(self) -> None:
        """Load the model and lazy tables now rather than on the first question."""
        self.retriever.warm_up()

    def ask(self, question: str, k: int | None = None, doc: str | None = None,
            context: str | None = None) -> Answer:
        """Answer a question with up to k verbatim quotes, or abstain.

        `context` is the previous question of a conversation: a follow-up ("why?", "for how
        long?", "what did he say about it?") is made standalone with it (see conversation()).

        Raises:
            QuestionError: the question is empty, too long, or holds no words.
            ArgumentError (a RagError and a ValueError): k is not a positive integer, or
                doc names no loaded article.
        """
        question = self.check_question(question)
        if context is not None and not isinstance(context, str):
            raise ArgumentError(f"context must be the previous question (text), got "
                                f"{type(context).__name__}.")
        if context:  # a conversation one turn deep
            self._checked(k, doc)
            previous = self.check_question(context)
            turn = Turn(previous, previous, self._question_referents(previous))
            return self.conversation((turn,)).ask(question, k=k, doc=doc)
        return self._ask(question, k, doc)

    def _checked(self, k: object, doc: str | None) -> tuple[int, Retriever]:
        """k (the default when None) and the retriever to answer from; raises ArgumentError
        for a bad k or an unknown doc."""
        k = self.settings.max_quotes if k is None else k
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ArgumentError(f"k must be a whole number of quotes, 1 or more; got {k!r}.")
        if doc is not None:
            article_id(doc)
        index, retriever = self._current()
        if doc is not None and doc not in index.documents:
            raise ArgumentError(f"No article {doc[:80]!r} is loaded; choose one of: "
                                f"{', '.join(sorted(index.documents))}.")
        return k, retriever

    def _ask(self, question: str, k: int | None, doc: str | None,
             steer: Steering = Steering()) -> Answer:
        k, retriever = self._checked(k, doc)
        return self._answer(retriever, question, k, doc, steer)

    def conversation(self, turns: tuple[Turn, ...] = ()) -> "Conversation":
        """A conversation: questions asked one after another, where a follow-up ("why?",
        "what did she say?", "and the second?") is made standalone from earlier turns."""
        return Conversation(self, turns)

    def resume(self, saved: object) -> "Conversation":
        """The conversation that Conversation.saved() returned (kept by a browser, say); an
        empty one when `saved` is missing or ill-shaped."""
        try:
            turns = tuple(Turn(t["question"], t["interpreted_as"],
                               tuple(Referent(r["text"], r["label"], bool(r.get("named")))
                                     for r in t["referents"]), t.get("topic", ""),
                               _anchor(t.get("anchor")), t.get("article", ""))
                          for t in saved)
            texts = [text for t in turns for text in (t.question, t.interpreted_as, t.topic,
                                                      t.article,
                                                      *(r.text for r in t.referents),
                                                      *(r.label for r in t.referents))]
            if not all(isinstance(text, str) for text in texts):
                raise TypeError("a saved turn holds something else than text")
        except (TypeError, ValueError, KeyError, AttributeError):
            turns = ()
        return Conversation(self, turns)

    def _content_terms(self, question: str) -> int:
        return len(self.retriever.question_terms(asked_for(question)))

    def _question_referents(self, question: str,
                            kind_of: Callable[[str], str] | None = None) -> tuple[Referent, ...]:
        """Names in a question, in its order, with their entity kind: `kind_of`'s (a
        conversation's, see Conversation.ask), else the one the articles give. A name typed
        in lower case counts as the articles write it ("kaspersky": Kaspersky)."""
        kind_of = kind_of or self.retriever.kind_of
        person = person_asked_about(question)
        names = [r.text for r in question_names(question)]
        names += self.retriever.names_written_lowercase(question)
        names.sort(key=lambda name: question.lower().find(name.lower()))
        return tuple(Referent(name, kind_of(name) or ("PERSON" if name == person else ""), True)
                     for name in names)

    def _referents(self, answer: Answer, question: str,
                   kind_of: Callable[[str], str] | None = None,
                   earlier: tuple[Referent, ...] = ()) -> tuple[Referent, ...]:
        """What a later pronoun may name, most salient first, each name once: the entity
        that answered, then the question's own names (of the kinds `kind_of` gives), then
        the other names in the answer's sentence, then `earlier` (earlier turns' people)."""
        found: list[Referent] = []
        if not answer.abstained and answer.quotes:
            best = answer.quotes[0]
            sentence = self.retriever.sentence_at(best.doc, best.start)
            names = self.retriever.names_in(sentence) if sentence else []
            spans = [Referent(_as_named(name), kind) for name, kind in names]
            if best.answer_span and best.answer_span != (0, len(best.text)):
                a, b = best.answer_span
                answered = _as_named(best.text[a:b])
                # The answer to "which company ...?" is one, whatever spaCy calls it, and a
                # later "it" may be it; not a place that answered "where?" ("When did it
                # open?" after "Where did Huawei build its centre?" is about Huawei).
                company = asks_for_organization(question)
                named = company or bool(_ASKS_WHO.match(question))
                found += [Referent(r.text, "ORG" if company else r.label,
                                   named and (company or r.label == "ORG"))
                          for r in spans if r.text == answered]
            found += self._question_referents(question, kind_of)
            found += spans
        else:
            found += self._question_referents(question, kind_of)
        by_name = {r.text: r for r in reversed(found + list(earlier))}  # each where first
        return tuple(r for r in found + list(earlier) if by_name.pop(r.text, None) is not None)

    def _pointed_at(self, question: str, query: str, previous: Turn | None, doc: str | None,
                    with_topic: bool = False) -> tuple[str, int, tuple[int, int] | None] | None:
        """A follow-up that points at one sentence near the previous answer (an item of an
        enumeration, who said it, why, what it means, or what the article tells next):
        (standalone question, sentence position in the index, short-answer offsets or
        None). `query` is the question made standalone, `with_topic` whether it is the
        question asked with the previous topic; None for any other question, and for one
        that names its own subject (query == question)."""
        if (query == question or previous is None or previous.anchor is None
                or doc not in (None, previous.anchor[0])):
            return None
        around = self.retriever.sentences_around(*previous.anchor, window=_ENUMERATION_WINDOW)
        if around is None:
            return None
        sentences, at, base = around
        if asks_who_said(question):
            found = speaker(sentences, at)
            if found is not None:
                return who_said(sentences[at].text), base + found[0], found[1]
            return None
        if asks_what_next(question):
            place = at + 1 if at + 1 < len(sentences) else None
        elif asks_why(question) or (opens_with_why(question) and with_topic):
            # "why?", or a why-question only the topic explains ("Why did they tone it
            # down later?"): the reason near the previous answer
            place = reason_for(sentences, at, previous.interpreted_as)
        elif asks_meaning(question):
            place = goes_on(sentences, at)
        elif asks_amount(question):
            place = amount_for(sentences, at, expected_labels(question))
        else:
            place = enumerated_item(question, sentences, at)
        return (query, base + place, None) if place is not None else None

    def _answer(self, retriever: Retriever, query: str, k: int, doc: str | None,
                steer: Steering = Steering()) -> Answer:
        """The answer to `query`, ranked as `steer` says (see Steering); a question that
        asks only for a person's words is answered with their best-ranked quote (see
        _spoken_by)."""
        threshold = (self.settings.min_confidence if steer.min_confidence is None
                     else steer.min_confidence)
        ranking = self._rank(retriever, query, doc, steer.left_out, threshold)
        if steer.alone is not None:
            ranking = _merged(ranking, self._rank(retriever, steer.alone, doc, steer.left_out,
                                                  threshold))
        if steer.mentioning:
            ranking = _mentioning(ranking, retriever,
                                  set(retriever.question_terms(steer.mentioning)))
        if steer.typed and ranking.ranked and ranking.ranked[0].span is None:
            ranking = dataclasses.replace(ranking, abstained=True)
        named = asks_for_name(query)
        if named and ranking.ranked and not names_new(ranking.ranked[0].candidate.sentence,
                                                      named, query):
            # "What was the dealer's name?": a sentence that names no one does not say
            ranking = dataclasses.replace(ranking, abstained=True)
        titles = {d.doc: d.title for d in retriever.index.documents.values()}
        if steer.pinned is not None:
            ranking = _pin(ranking, retriever, *steer.pinned)
        elif (person := asks_words_of(query)) is not None:
            ranking = _spoken_by(ranking, retriever, person)
        return answer_from(query, ranking, titles, k)

    def _rank(self, retriever: Retriever, query: str, doc: str | None,
              left_out: frozenset[tuple[str, int]], min_confidence: float | None) -> Ranking:
        found = retriever.retrieve(query, doc)
        candidates = [c for c in found.candidates
                      if (c.sentence.doc, c.sentence.start) not in left_out]
        return self.ranker.rank(query, found.terms, candidates, retriever, found.vectors,
                                min_confidence, self.settings.ranking)

    def check_question(self, question: object) -> str:
        """The question with control characters removed and spaces folded.

        Raises:
            QuestionError: not text, empty, longer than max_question_chars, or without words.
        """
        if not isinstance(question, str):
            raise QuestionError(f"The question must be text, got {type(question).__name__}.")
        cleaned = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", " ", question)  # terminal colour codes
        cleaned = "".join(" " if unicodedata.category(c).startswith("C") else c for c in cleaned)
        cleaned = re.sub(r"\s+", " ", cleaned).strip()
        if not cleaned:
            raise QuestionError("The question is empty. Type a question about the article.")
        if len(cleaned) > self.settings.max_question_chars:
            raise QuestionError(f"The question is {len(cleaned):,} characters long; the limit "
                                f"is {self.settings.max_question_chars:,}.")
        if not re.search(r"\w", cleaned):
            raise QuestionError("The question holds no words. Type a question about the article.")
        return cleaned


class Conversation:
    """Questions asked one after another about the loaded articles.

    Each question that depends on earlier turns is rewritten into a standalone one first;
    the answer keeps it as `interpreted_as`. Not shared between threads: one per user.
    """

    def __init__(self, bot: Chatbot, turns: tuple[Turn, ...] = ()):
        self._bot = bot
        self.turns: list[Turn] = list(turns)

    def ask(self, question: str, k: int | None = None, doc: str | None = None) -> Answer:
        """Answer the next question of the conversation (see Chatbot.ask for the arguments
        and errors)."""
        bot = self._bot
        question = bot.check_question(question)
        previous = self.turns[-1] if self.turns else None
        content_terms = bot._content_terms(question)
        retriever = bot.retriever
        # A name keeps the kind an earlier turn gave it (Qualcomm, which answered "which
        # company?"), else the one the articles give.
        kinds_given = {r.text.lower(): r.label for r in reversed(previous.referents)
                       if r.named and r.label} if previous else {}

        def kind_of(name: str) -> str:
            return kinds_given.get(name.lower()) or retriever.kind_of(name)

        query, topic = standalone(question, previous, content_terms,
                                  Names(retriever.pronoun_of, retriever.short_name, kind_of,
                                        retriever.named_in_full, retriever.described_as))
        query = _clipped(query, bot.settings.max_question_chars)  # a long topic + a follow-up
        rewritten = query != question
        with_topic = previous is not None and topic == previous.topic and query != topic
        pointed = bot._pointed_at(question, query, previous, doc, with_topic)
        if pointed is None:
            # A rewritten follow-up is about the previous answer's article: answered from it
            # alone (another article's "420 workers" is no answer to "how many will it hire?"
            # after a question on a landlord), and ranked by its own words too (those of "how
            # much of that was punitive?" may name the answer better than the topic does).
            # After an abstention, the article of its closest passage, which is what it was
            # about, else of the latest answer.
            article = previous.article if previous else ""
            if not article:
                article = next((t.anchor[0] for t in reversed(self.turns) if t.anchor), "")
            if rewritten and doc is None and article in bot.documents:  # (not removed since)
                doc = article
            alone = question if rewritten and content_terms else None
            ranked, left_out = query, frozenset()
            if rewritten and asks_for_more(question):
                # "Who else?", "what else did he say?": not a sentence already answered with
                left_out = frozenset(t.anchor for t in self.turns if t.anchor)
                ranked, alone = without_more(query), alone and without_more(alone)
            elif rewritten and asks_why(question) and previous and previous.anchor:
                left_out = frozenset([previous.anchor])  # the answer is no reason for itself
            # A follow-up's topic is settled, and "Where does she work?" (answerable) scores
            # as low as an unanswerable standalone question: its own, lower threshold.
            settings = bot.settings
            threshold = (settings.follow_up_min_confidence if rewritten
                         and settings.min_confidence is None else None)
            answer = bot._ask(bot.check_question(ranked), k, doc, Steering(
                alone=alone, left_out=left_out,
                mentioning=asks_about(question) if rewritten else None, min_confidence=threshold,
                typed=rewritten and asks_for_kind(question)))
        else:  # the sentence is known: the rest is ranked as usual, with it first
            query, position, span = pointed
            answer = bot._ask(query, k, doc, Steering(pinned=(position, span)))
        answer = dataclasses.replace(answer, question=question,
                                     interpreted_as=query if rewritten else None)
        anchor = None if answer.abstained else (answer.quotes[0].doc, answer.quotes[0].start)
        # People stay salient after the turn that named them: "what else did she say?" after
        # an answer that only says "She said …" is about the woman named the turn before.
        # "It" and "they" are the latest turn's, or the follow-up is asked with its topic.
        people = tuple(r for r in previous.referents if r.label == "PERSON") if previous else ()
        referents = bot._referents(answer, query, kind_of, people)[:_SALIENT_NAMES]
        article = answer.quotes[0].doc if answer.quotes else ""
        self.turns.append(Turn(question, query, referents, topic, anchor, article))
        return answer

    def saved(self, last: int | None = None) -> list[dict]:
        """The (last) turns as JSON-ready dicts, for Chatbot.resume()."""
        return [dataclasses.asdict(t) for t in self.turns[-last if last else 0:]]


_SALIENT_NAMES = 12  # names a turn keeps for later pronouns: its own, then earlier people
_ENUMERATION_WINDOW = 8  # sentences either side of the previous answer where its items may be
_SPEAKER_WINDOW = 4  # sentences either side of a quote where its speaker may be named


_ASKS_WHO = re.compile(r"^\W*who\b", re.IGNORECASE)


def _as_named(entity: str) -> str:
    """An entity as a question names it: "The Commerce Department’s" -> "the Commerce
    Department"."""
    return re.sub(r"^The\b", "the", without_possessive(entity))


def _clipped(query: str, limit: int) -> str:
    """A standalone question cut to `limit` characters from its start, at a word: the
    follow-up at its end is kept whole (it is itself at most `limit` long)."""
    if len(query) <= limit:
        return query
    return query[-limit:].split(" ", 1)[-1]


def _anchor(saved: object) -> tuple[str, int] | None:
    """A saved Turn.anchor (a JSON list) back as (doc, start), or None."""
    if isinstance(saved, (list, tuple)) and len(saved) == 2 and isinstance(saved[0], str) \
            and isinstance(saved[1], int):
        return saved[0], saved[1]
    return None


def _pin(ranking: Ranking, retriever: Retriever, position: int,
         span: tuple[int, int] | None) -> Ranking:
    """The ranking with the sentence at `position` first (scored as the best), answered: a
    follow-up resolved by rule to that sentence does not wait on the abstention model."""
    top = max((r.score for r in ranking.ranked), default=0.0)
    found = next((r for r in ranking.ranked if r.candidate.index == position), None)
    candidate = found.candidate if found else ScoredSentence(
        position, retriever.index.sentences[position], 0.0, 0.0, 0.0, 0.0)
    first = Ranked(candidate, top, span)
    rest = tuple(r for r in ranking.ranked if r.candidate.index != position)
    return Ranking((first, *rest), ranking.confidence, False)


def _spoken_by(ranking: Ranking, retriever: Retriever, person: str) -> Ranking:
    """For a question that asks only for a person's words ("what did Cooper say?"), the
    ranking with its best sentence that gives their words first, and answered: the
    question holds nothing else that it could fail to answer. Unchanged when a sentence
    that only names them ranks above, or none of theirs is ranked."""
    named = re.compile(rf"\b{re.escape(surname(person))}\b", re.IGNORECASE)
    for r in ranking.ranked:
        sentence = r.candidate.sentence
        around = retriever.sentences_around(sentence.doc, sentence.start, _SPEAKER_WINDOW)
        if around is not None and said_by(around[0], around[1], person):
            return _pin(ranking, retriever, r.candidate.index, r.span)
        if named.search(sentence.text):
            return ranking
    return ranking


def _mentioning(ranking: Ranking, retriever: Retriever, terms: set[str]) -> Ranking:
    """The ranking with its best sentence that has all of `terms` first, its score traded
    with the first one's; unchanged when none has them. Whether to answer stays the
    ranking's decision."""
    found = next((r for r in ranking.ranked
                  if terms and terms <= retriever.sentence_terms(r.candidate.index)), None)
    top = ranking.ranked[0] if ranking.ranked else None
    if found is None or found is top:
        return ranking
    rest = [dataclasses.replace(r, score=found.score) if r is top else r
            for r in ranking.ranked if r is not found]
    rest.sort(key=lambda r: -r.score)
    return Ranking((dataclasses.replace(found, score=top.score), *rest), ranking.confidence,
                   ranking.abstained)


def _merged(standalone: Ranking, alone: Ranking) -> Ranking:
    """One ranking from a follow-up's standalone question and its own words: each sentence's
    share (softmax of the sentence model's log-odds, as answers show it) is the mean of its
    shares in the two, and its score the log of that, so that answers show the merged
    shares; whether to answer stays the standalone question's decision."""
    if not standalone.ranked or not alone.ranked:
        return standalone
    shares: dict[int, float] = {}
    kept: dict[int, Ranked] = {}
    for ranking in (standalone, alone):
        logits = np.array([r.score for r in ranking.ranked])
        weights = np.exp(logits - logits.max())
        for r, share in zip(ranking.ranked, weights / weights.sum()):
            position = r.candidate.index
            shares[position] = shares.get(position, 0.0) + float(share) / 2
            kept.setdefault(position, r)  # the standalone question's span first
    order = sorted(shares, key=lambda p: -shares[p])
    ranked = tuple(dataclasses.replace(kept[p], score=math.log(max(shares[p], 1e-300)))
                   for p in order)
    return Ranking(ranked, standalone.confidence, standalone.abstained)


def _settings(corpus_dir: str | Path | None, index_dir: str | Path | None,
              settings: Settings | None, overrides: dict) -> Settings:
    """`settings` (default Settings()) with the folders that are given, and overrides."""
    given = (("corpus_dir", corpus_dir), ("index_dir", index_dir))
    folders = {name: Path(value) for name, value in given if value is not None}
    return dataclasses.replace(settings or Settings(), **folders, **overrides)
