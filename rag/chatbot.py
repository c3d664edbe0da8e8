"""Chatbot: the one entry point. Loads (or builds) the index once, then answers questions."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from pathlib import Path

from rag.answer import Answer, compose
from rag.config import Settings
from rag.embed import Encoder, OnnxEncoder, query_encoder
from rag.errors import QuestionError, RagError
from rag.index import Document, Index, ensure_index
from rag.rank import Ranker
from rag.retrieve import Retriever


class Chatbot:
    """Answers questions about the articles in a corpus with verbatim quotes.

    Safe to call from several threads: the index is read-only and the encoder locks itself.
    """

    def __init__(self, settings: Settings, index: Index | None = None,
                 encoder: Encoder | OnnxEncoder | None = None):
        """`encoder` embeds questions (and documents, if a build is needed); by default
        builds use sentence-transformers and questions the ONNX copy of the same model."""
        self.settings = settings
        self._build_encoder = encoder or Encoder(settings.model)  # loads only if a build runs
        self.encoder = encoder or query_encoder(settings.model, settings.query_encoder)
        index = index or ensure_index(settings, self._build_encoder)
        # One reference to (index, retriever), swapped whole by reload(), so a question
        # answered while an article is being added sees one consistent index.
        self._state = (index, Retriever(index, self.encoder, settings))
        self.ranker = Ranker()

    @classmethod
    def load(cls, corpus_dir: str | Path = "corpus", index_dir: str | Path = "index",
             settings: Settings | None = None, **overrides) -> "Chatbot":
        """Load the index, building it first when it is missing or stale.

        Raises:
            CorpusError: the corpus is missing, empty or unreadable and there is no index.
            IndexStale: the index does not match the settings and there is no corpus.
        """
        base = settings or Settings()
        settings = dataclasses.replace(base, corpus_dir=Path(corpus_dir),
                                       index_dir=Path(index_dir), **overrides)
        return cls(settings)

    @property
    def index(self) -> Index:
        return self._state[0]

    @property
    def retriever(self) -> Retriever:
        return self._state[1]

    @property
    def documents(self) -> dict[str, Document]:
        return self.index.documents

    def reload(self) -> None:
        """Rebuild the index if the corpus changed (only new or changed articles are
        embedded), then answer from it.

        Raises:
            CorpusError: the corpus cannot be built.
        """
        index = ensure_index(self.settings, self._build_encoder)
        retriever = Retriever(index, self.encoder, self.settings)
        retriever.warm_up()
        self._state = (index, retriever)

    def warm_up(self) -> None:
        """Load the model and lazy tables now rather than on the first question."""
        self.retriever.warm_up()

    def ask(self, question: str, k: int | None = None, doc: str | None = None,
            context: str | None = None) -> Answer:
        """Answer a question with up to k verbatim quotes, or abstain.

        `context` is the previous question of a conversation: a vague follow-up ("why?",
        "for how long?", "what did he say about it?") is asked together with it.

        Raises:
            QuestionError: the question is empty, too long, or holds no words.
            ValueError: k is not positive.
            RagError: doc names no loaded article.
        """
        question = self.check_question(question)
        k = self.settings.max_quotes if k is None else k
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        index, retriever = self._state
        if doc is not None and doc not in index.documents:
            raise RagError(f"No article {doc!r} is loaded; choose one of: "
                           f"{', '.join(sorted(index.documents))}.")
        if context and self._is_vague(retriever, question):
            # A vague follow-up means nothing alone: ask it together with what came before.
            return self._answer(retriever, question,
                                f"{self.check_question(context)} {question}", k, doc)
        return self._answer(retriever, question, question, k, doc)

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

    @staticmethod
    def _is_vague(retriever: Retriever, question: str) -> bool:
        terms = retriever.question_terms(question)
        refers_back = re.search(r"\b(he|she|they|it|this|that|these|those|him|her|them|his|"
                                r"their|its)\b", question, re.IGNORECASE)
        return len(terms) <= 1 or (len(terms) <= 3 and refers_back is not None)

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
