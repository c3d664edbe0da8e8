"""Errors raised by rag. ``str(error)`` is always a short message safe to show a user.

    RagError
    ├── CorpusError      an article is missing, unreadable, too large or empty
    ├── IndexMissing     no index has been built yet
    ├── IndexStale       the index does not match the corpus or settings, and cannot be rebuilt
    ├── IndexCorrupt     an index file is missing, truncated or does not match its manifest
    ├── IndexBusy        another build holds the index lock past the timeout
    ├── IndexWriteError  the index cannot be written (read-only folder, disk full)
    ├── ConfigError      a setting or a folder given as one has an impossible value
    ├── ArgumentError    an argument of the API is of the wrong type or value (also a ValueError)
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


class IndexBusy(RagError):
    """Another process is building the index and did not finish within the lock timeout."""


class IndexWriteError(RagError):
    """The index folder cannot be written: read-only, full, or not a folder."""


class ConfigError(RagError):
    """A setting has an impossible value."""


class ArgumentError(RagError, ValueError):
    """An API argument has the wrong type or value; a ValueError too, as Python code expects."""


class QuestionError(RagError):
    """The question is empty, too long, or holds no words."""
