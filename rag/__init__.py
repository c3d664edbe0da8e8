"""Grounded question answering over news articles: verbatim quotes or an honest abstention."""

from rag.answer import Answer, Quote
from rag.chatbot import Chatbot
from rag.chunk import Chunk, Sentence
from rag.config import Settings
from rag.errors import (ConfigError, CorpusError, IndexCorrupt, IndexMissing, IndexStale,
                        QuestionError, RagError)
from rag.retrieve import Hit

__all__ = ["Chatbot", "Settings", "Answer", "Quote", "Hit", "Chunk", "Sentence", "RagError",
           "CorpusError", "IndexMissing", "IndexStale", "IndexCorrupt", "ConfigError",
           "QuestionError"]
