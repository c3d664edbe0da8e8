"""Errors raised by rag. ``str(error)`` is always a short message safe to show a user.

    RagError
    ├── CorpusError      an article is missing, unreadable, too large or empty
    ├── IndexMissing     no index has been built yet
    ├── IndexStale       the index does not match the corpus or settings, and cannot be rebuilt
    ├── IndexCorrupt     an index file is missing, truncated or does not match its manifest
    ├── ConfigError      a setting has an impossible value
    └── QuestionError    the question cannot be answered as asked (empty, too long, no words)
"""


class RagError(Exception):
    """Base class. str(e) is safe to show a user."""


class CorpusError(RagError):
    """An article is missing, unreadable, too large or has no text."""


class IndexMissing(RagError):
    """No index has been built yet."""


class IndexStale(RagError):
    """The index was built from another corpus or settings and cannot be rebuilt here."""


class IndexCorrupt(RagError):
    """An index file is missing, truncated or inconsistent with its manifest."""


class ConfigError(RagError):
    """A setting has an impossible value."""


class QuestionError(RagError):
    """The question is empty, too long, or holds no words."""
