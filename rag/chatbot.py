"""Chatbot: the one entry point for every interface. It answers questions (loading or
building the index once) and manages the corpus: add, remove, list and build articles.

Interfaces (cli.py, web.py) call only this facade and format its frozen results: Article,
SkippedFile, FileAdded, BuildReport, Answer.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rag.answer import Answer, compose
from rag.chunk import TextSplitter
from rag.clean import Cleaned
from rag.config import Settings
from rag.conversation import Referent, Turn, asked_for, question_names, standalone
from rag.corpus import ADDED, SKIPPED, Added, add_files, clean_doc, read_raw
from rag.embed import Encoder, OnnxEncoder, make_encoder
from rag.errors import ArgumentError, CorpusError, IndexMissing, QuestionError
from rag.index import (BuildReport, Document, Index, build_index, ensure_index, load_index,
                       read_manifest, remove_document)
from rag.rank import Ranker
from rag.retrieve import Retriever

__all__ = ["Chatbot", "Conversation", "Article", "SkippedFile", "FileAdded", "BuildReport"]


@dataclass(frozen=True)
class Article:
    """An indexed article, as `rag list` shows it."""

    doc: str  # its id: what `rag ask --doc` and `rag remove` take
    title: str
    source: str  # the file in corpus/raw it was read from
    chunks: int
    added: str  # ISO time it entered the index


@dataclass(frozen=True)
class SkippedFile:
    """A file in corpus/raw that the last build left out."""

    source: str
    reason: str


@dataclass(frozen=True)
class FileAdded:
    """What Chatbot.add did with one file.

    `status` is "added" (copied into corpus/raw), "duplicate" (the same bytes are there
    already) or "skipped" (not copied: `reason` says why). `doc` is the article's id once it
    is indexed; a copied file the build refused has doc None and the build's `reason`.
    """

    source: Path  # the file as given
    status: str
    target: Path | None = None  # its copy in corpus/raw, or the identical file already there
    doc: str | None = None
    reason: str = ""

    @property
    def skipped(self) -> bool:
        return self.status == SKIPPED

    @property
    def new(self) -> bool:
        """Copied into the corpus by this call."""
        return self.status == ADDED

    def __str__(self) -> str:
        return str(Added(self.source, self.status, self.target,
                         self.reason if self.skipped else ""))


class Chatbot:
    """Answers questions about the articles in a corpus with verbatim quotes.

    Safe to call from several threads: the index is read-only and the encoder locks itself.
    """

    def __init__(self, settings: Settings, index: Index | None = None,
                 encoder: Encoder | OnnxEncoder | None = None, *, load: bool = True):
        """`encoder` embeds questions (and documents, if a build is needed); by default both
        use the int8 ONNX copy of the model (Settings.query_encoder and build_encoder), a
        build's session on every core. `load=False` defers loading (or building) the index
        to the first question, so corpus operations work before there is an index."""
        self.settings = settings
        self.encoder = encoder or make_encoder(settings.model, settings.query_encoder)
        # Loads only if a build runs (an upload, a changed corpus), then stays loaded.
        self._build_encoder = encoder or make_encoder(settings.model, settings.build_encoder,
                                                      for_builds=True)
        self._splitter = TextSplitter()  # loads only if a build runs, then stays loaded
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

        Folders not given come from `settings`, else "corpus" and "index".

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

    def reload(self, progress: Callable[[str], None] | None = None) -> None:
        """Rebuild the index if the corpus changed (only new or changed articles are
        embedded), then answer from it. `progress` receives the build's steps.

        Raises:
            CorpusError: the corpus cannot be built.
        """
        self._use(ensure_index(self.settings, self._build_encoder, self._splitter, progress),
                  warm=True)

    def build(self, force: bool = False,
              progress: Callable[[str], None] | None = None) -> BuildReport:
        """Clean the articles in corpus/raw and (re)build the index when they changed (all
        of them with force=True); a loaded bot then answers from the new index.
        `progress` receives the build's steps.

        Raises:
            CorpusError: the corpus folder is missing, empty, or no article has text.
            ConfigError: the index folder is a file or holds things other than an index.
            IndexBusy: another build held the lock for longer than settings.lock_timeout.
            IndexWriteError: the index or the cleaned text cannot be written.
        """
        report = build_index(self.settings, force=force, encoder=self._build_encoder,
                             progress=progress, splitter=self._splitter)
        if self._state is not None:
            self._use(load_index(self.settings.index_dir))
        return report

    def add(self, paths: Iterable[str | Path], progress: Callable[[str], None] | None = None,
            keep_refused: bool = True) -> tuple[FileAdded, ...]:
        """Copy article files (or the articles directly in folders) into corpus/raw and
        index them. Returns what happened to each file (those skipped on the way first):
        skipped files with why, and for the others the article id, or why the build refused
        the file (which is then deleted again unless keep_refused).

        Raises:
            ConfigError: the corpus folder or a parent of it is a file.
            IndexBusy: another add or build held the lock past settings.lock_timeout.
            IndexWriteError: the index cannot be written.
        """
        s = self.settings
        copied = add_files([Path(p) for p in paths], s.raw_dir, s.max_file_bytes,
                           s.lock_timeout)
        if any(r.status != SKIPPED for r in copied):  # a no-op when nothing changed
            self.build(progress=progress)
        manifest = read_manifest(s.index_dir) or {"documents": {}, "skipped": {}}
        ids = {entry["source"]: doc for doc, entry in manifest["documents"].items()}
        results = []
        for r in copied:
            if r.status == SKIPPED:
                results.append(FileAdded(r.source, r.status, reason=r.reason))
                continue
            doc = ids.get(r.target.name)
            reason = "" if doc else manifest["skipped"].get(r.target.name, {}).get(
                "reason", "not indexed yet")
            if doc is None and r.status == ADDED and not keep_refused and \
                    r.target.name in manifest["skipped"]:
                r.target.unlink(missing_ok=True)  # keep the corpus to what is indexed
            results.append(FileAdded(r.source, r.status, r.target, doc, reason))
        return tuple(results)

    def remove(self, doc: str, progress: Callable[[str], None] | None = None) -> Path:
        """Delete the one raw file of article `doc` and rebuild; returns that file.

        Raises:
            CorpusError: no article has that id, or it is the only one.
            IndexBusy, IndexWriteError, ConfigError: as build().
        """
        path = remove_document(self.settings, doc, progress=progress)
        if self._state is not None:
            self._use(load_index(self.settings.index_dir))
        return path

    def articles(self) -> tuple[Article, ...]:
        """The indexed articles, by id, as the index on disk lists them now (articles added
        by another process included).

        Raises:
            IndexMissing: nothing has been built yet.
            IndexCorrupt: the index's manifest is unreadable.
        """
        manifest = self._manifest()
        return tuple(Article(doc, e["title"], e["source"], e["chunks"], e["added"])
                     for doc, e in sorted(manifest["documents"].items()))

    def skipped_files(self) -> tuple[SkippedFile, ...]:
        """The files in corpus/raw that the last build left out, with why (raises as
        articles())."""
        return tuple(SkippedFile(name, entry["reason"])
                     for name, entry in self._manifest()["skipped"].items())

    def cleaning(self, doc: str) -> Cleaned:
        """What the cleaner kept of article `doc` and what it removed (`.removed`: site
        chrome, each with its reason).

        Raises:
            CorpusError: no indexed article has that id, or its file cannot be read.
        """
        entry = self._manifest()["documents"].get(doc)
        if entry is None:
            raise CorpusError(f"No article {doc[:80]!r} is indexed. See: rag list")
        return clean_doc(read_raw(self.settings.raw_dir / entry["source"],
                                  self.settings.max_file_bytes, doc))

    def _manifest(self) -> dict:
        manifest = read_manifest(self.settings.index_dir)
        if manifest is None:
            raise IndexMissing(f"No index in {self.settings.index_dir}. Run: rag build")
        return manifest

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
        k = self.settings.max_quotes if k is None else k
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ArgumentError(f"k must be a whole number of quotes, 1 or more; got {k!r}.")
        if doc is not None and not isinstance(doc, str):
            raise ArgumentError(f"doc must be an article id (text), got {type(doc).__name__}.")
        if context is not None and not isinstance(context, str):
            raise ArgumentError(f"context must be the previous question (text), got "
                                f"{type(context).__name__}.")
        index, retriever = self._current()
        if doc is not None and doc not in index.documents:
            raise ArgumentError(f"No article {doc[:80]!r} is loaded; choose one of: "
                                f"{', '.join(sorted(index.documents))}.")
        if context:  # a conversation one turn deep
            previous = self.check_question(context)
            turn = Turn(previous, previous, self._question_referents(previous))
            return self.conversation((turn,)).ask(question, k=k, doc=doc)
        return self._answer(retriever, question, question, k, doc)

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
                                     for r in t["referents"]), t.get("topic", ""))
                          for t in saved)
        except (TypeError, ValueError, KeyError, AttributeError):
            turns = ()
        return Conversation(self, turns)

    def _content_terms(self, question: str) -> int:
        return len(self.retriever.question_terms(asked_for(question)))

    def _question_referents(self, question: str) -> tuple[Referent, ...]:
        """Names in a question, with the entity kind the articles give them."""
        kinds = self.retriever.entity_kinds
        return tuple(Referent(r.text, kinds.get(r.text.lower(), ""), True)
                     for r in question_names(question))

    def _referents(self, answer: Answer, question: str) -> tuple[Referent, ...]:
        """What a later pronoun may name, most salient first: the entity that answered,
        then the question's own names, then the other names in the answer's sentence."""
        found: list[Referent] = []
        if not answer.abstained and answer.quotes:
            best = answer.quotes[0]
            sentence = self.retriever.sentence_at(best.doc, best.start)
            entities = sentence.entities if sentence else ()
            text = self.documents[best.doc].text
            spans = [Referent(text[e.start:e.end], e.label) for e in entities]
            if best.answer_span and best.answer_span != (0, len(best.text)):
                a, b = best.answer_span
                found += [r for r in spans if r.text == best.text[a:b]]
            found += self._question_referents(question)
            found += spans
        else:
            found += self._question_referents(question)
        return tuple(dict.fromkeys(found))

    def _answer(self, retriever: Retriever, question: str, query: str, k: int,
                doc: str | None) -> Answer:
        vector = self.encoder.encode([query])[0]
        terms = retriever.question_terms(query)
        hits = retriever.search(query, doc=doc, vector=vector, terms=terms)
        candidates = retriever.candidate_sentences(hits, vector, terms)
        titles = {d.doc: d.title for d in retriever.index.documents.values()}
        ranking = self.ranker.rank(query, terms, candidates, retriever,
                                   self.settings.min_confidence, self.settings.ranking)
        answer = compose(query, ranking, titles, k)
        return dataclasses.replace(answer, question=question)

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
        question = self._bot.check_question(question)
        previous = self.turns[-1] if self.turns else None
        query, topic = standalone(question, previous, self._bot._content_terms(question))
        answer = dataclasses.replace(self._bot.ask(query, k=k, doc=doc), question=question,
                                     interpreted_as=query if query != question else None)
        self.turns.append(Turn(question, query, self._bot._referents(answer, query), topic))
        return answer

    def saved(self, last: int | None = None) -> list[dict]:
        """The (last) turns as JSON-ready dicts, for Chatbot.resume()."""
        return [dataclasses.asdict(t) for t in self.turns[-last if last else 0:]]


def _settings(corpus_dir: str | Path | None, index_dir: str | Path | None,
              settings: Settings | None, overrides: dict) -> Settings:
    """`settings` (default Settings()) with the folders that are given, and overrides."""
    given = (("corpus_dir", corpus_dir), ("index_dir", index_dir))
    folders = {name: Path(value) for name, value in given if value is not None}
    return dataclasses.replace(settings or Settings(), **folders, **overrides)
