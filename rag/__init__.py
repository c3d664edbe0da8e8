"""Grounded question answering over news articles: verbatim quotes or an honest abstention."""

from importlib.metadata import PackageNotFoundError, version

from rag.config import offline_environment

offline_environment()  # before any library that would phone home or write to HOME is imported

from rag.answer import Answer, Quote
from rag.chatbot import BuildStep, Chatbot
from rag.chunk import Chunk, Sentence
from rag.config import Settings
from rag.errors import (ArgumentError, ConfigError, CorpusError, IndexBusy, IndexCorrupt,
                        IndexMissing, IndexStale, IndexWriteError, QuestionError, RagError)
from rag.retrieve import Hit

try:
    __version__ = version("rag")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["Chatbot", "Settings", "Answer", "Quote", "Hit", "Chunk", "Sentence", "BuildStep",
           "RagError",
           "CorpusError", "IndexMissing", "IndexStale", "IndexCorrupt", "IndexBusy",
           "IndexWriteError", "ConfigError", "ArgumentError", "QuestionError"]
