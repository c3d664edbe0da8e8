"""Settings: every tunable value in one object, passed explicitly (make variants with
dataclasses.replace()), and the article file kinds the corpus accepts."""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from rag.errors import ConfigError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
ARTICLE_SUFFIXES = (".txt", ".md", ".html", ".htm")  # the files an article can be read from
ARTICLE_KINDS = ".txt, .md or .html"  # how messages and help texts name them
SERVE_HOST, SERVE_PORT = "127.0.0.1", 7860  # where `rag serve` listens unless told otherwise
STORE_FORMS = ("faiss, qdrant://:memory:, qdrant:///absolute/folder, qdrant://host:6333 "
               "or https://host")


def default_folder(name: str) -> str:
    """Where the corpus or index lives when no flag names it: $RAG_CORPUS / $RAG_INDEX; in a
    project folder (one with ./corpus), ./corpus and ./index; elsewhere the user's data
    folder ($XDG_DATA_HOME/rag, usually ~/.local/share/rag), so `rag` works from anywhere."""
    chosen = os.environ.get(f"RAG_{name.upper()}")
    if chosen:
        return chosen
    if Path("corpus").is_dir():
        return name
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(data_home) / "rag" / name)


def cache_folder() -> Path:
    """Where files rag can make again from installed packages are kept (the int8 encoder
    model): $RAG_CACHE, else the Python environment's own share/rag folder, which holds
    those packages and goes with them (nothing lands in HOME)."""
    chosen = os.environ.get("RAG_CACHE")
    return Path(chosen) if chosen else Path(sys.prefix) / "share" / "rag"


@dataclass(frozen=True)
class StoreSpec:
    """Where the vectors live, parsed from a store URI (see parse_store)."""
    kind: str  # faiss | qdrant
    location: str = ""  # qdrant: ":memory:", an absolute folder, or a server URL
    prefix: str = "rag"  # qdrant: collection and alias names start with it

    @property
    def mode(self) -> str:
        """faiss, memory, path (embedded Qdrant in a folder) or server."""
        if self.kind == "faiss":
            return "faiss"
        return "memory" if self.location == ":memory:" else (
            "path" if self.location.startswith("/") else "server")

    @property
    def uri(self) -> str:
        """The canonical URI, as the manifest records it (never a secret)."""
        if self.kind == "faiss":
            return "faiss"
        base = self.location if self.mode == "server" else f"qdrant://{self.location}"
        return base if self.prefix == "rag" else f"{base}?prefix={self.prefix}"


def parse_store(uri: str) -> StoreSpec:
    """faiss | qdrant://:memory: | qdrant:///abs/path | qdrant://host[:port] | http(s)://host[:port],
    each Qdrant form optionally ending in ?prefix=NAME.

    Raises:
        ConfigError: the URI is none of these forms.
    """
    if not isinstance(uri, str) or not uri.strip():
        raise ConfigError(f"store must be one of {STORE_FORMS}; got {uri!r}.")
    uri = uri.strip()
    if uri == "faiss":
        return StoreSpec("faiss")
    if uri.startswith("qdrant://:memory:"):
        rest = uri[len("qdrant://:memory:"):]
        if rest and not rest.startswith("?"):
            raise ConfigError(f"Store {uri!r}: nothing may follow :memory: but ?prefix=NAME.")
        return StoreSpec("qdrant", ":memory:", _prefix(uri, rest.lstrip("?")))
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError as e:
        raise ConfigError(f"Store {uri!r} is not a valid URI ({e}).") from None
    prefix = _prefix(uri, parts.query)
    if parts.username or parts.password:
        raise ConfigError(f"Store {uri!r} holds credentials; put the API key in QDRANT_API_KEY "
                          "instead.")
    if parts.scheme == "qdrant" and not parts.netloc:
        if not parts.path.startswith("/") or parts.path == "/":
            raise ConfigError(f"Store {uri!r}: an embedded Qdrant folder must be an absolute "
                              "path, as in qdrant:///var/lib/rag-qdrant.")
        return StoreSpec("qdrant", str(Path(parts.path)), prefix)
    if parts.scheme in ("qdrant", "http", "https") and parts.hostname:
        scheme = "http" if parts.scheme == "qdrant" else parts.scheme
        default = 6333 if parts.scheme == "qdrant" else None
        netloc = parts.hostname + (f":{port or default}" if port or default else "")
        return StoreSpec("qdrant", f"{scheme}://{netloc}{parts.path.rstrip('/')}", prefix)
    raise ConfigError(f"Unknown store {uri!r}: use {STORE_FORMS}.")


def _prefix(uri: str, query: str) -> str:
    options = parse_qs(query, keep_blank_values=True)
    if set(options) - {"prefix"}:
        raise ConfigError(f"Store {uri!r}: the only option is ?prefix=NAME, got "
                          f"{', '.join(sorted(set(options) - {'prefix'}))}.")
    prefix = options.get("prefix", ["rag"])[-1]
    if not prefix.replace("-", "").replace("_", "").isalnum() or len(prefix) > 40:
        raise ConfigError(f"Store {uri!r}: prefix must be letters, digits, - or _ (at most 40), "
                          f"got {prefix!r}.")
    return prefix


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    model: str = DEFAULT_MODEL  # the packaged copy, or a local sentence-transformers folder
    chunk_tokens: int = 200  # tiktoken cl100k tokens per chunk, at most (a longer sentence stands alone)
    chunk_overlap: int = 40  # tokens of trailing sentences repeated at the start of the next chunk
    top_k: int = 8  # chunks retrieved by each retriever before fusion
    ivf_from_chunks: int = 50_000  # below: exact search; from here: IVF (bench/scaling.py)
    ivf_nprobe: int = 16  # IVF lists searched per question (recall@10 1.000 at 1M chunks)
    rrf_k: int = 60
    min_confidence: float | None = None  # below: abstain; None: the fitted rag/params/ranking.json
    # below: abstain on a follow-up rewritten from earlier turns (fitted by
    # bench/fit_follow_ups.py); min_confidence, when given, is used for those too
    follow_up_min_confidence: float = 0.10
    max_quotes: int = 3
    max_file_bytes: int = 2_000_000  # per article file
    max_question_chars: int = 1000
    lock_timeout: float = 120.0  # seconds to wait for another build (or add) to finish
    retrieval: str = "hybrid"  # hybrid | dense | bm25 (the last two for evaluation)
    query_encoder: str = "onnx"  # onnx: int8 model, no PyTorch at query time | torch
    build_encoder: str = "onnx"  # onnx: the int8 copy, as questions use | torch: the reference model (recorded in the manifest)
    ranking: str = "full"  # full: cosine, terms and answer type | cosine (for evaluation)
    # Where the vectors live: faiss (files in index/) or a Qdrant URI; see parse_store().
    store: str = field(default_factory=lambda: os.environ.get("RAG_STORE") or "faiss")

    def __post_init__(self) -> None:
        object.__setattr__(self, "corpus_dir", Path(self.corpus_dir))
        object.__setattr__(self, "index_dir", Path(self.index_dir))
        if self.chunk_tokens < 16:
            raise ConfigError(f"chunk_tokens must be at least 16, got {self.chunk_tokens}.")
        if not 0 <= self.chunk_overlap < self.chunk_tokens:
            raise ConfigError(
                f"chunk_overlap must be between 0 and chunk_tokens, got {self.chunk_overlap}."
            )
        for name in ("top_k", "rrf_k", "max_quotes", "max_file_bytes", "max_question_chars",
                     "ivf_from_chunks", "ivf_nprobe"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)}.")
        if not 0 <= self.follow_up_min_confidence <= 1:
            raise ConfigError(f"follow_up_min_confidence must be between 0 and 1, got "
                              f"{self.follow_up_min_confidence}.")
        if not self.lock_timeout > 0:
            raise ConfigError(f"lock_timeout must be > 0 seconds, got {self.lock_timeout}.")
        for name in ("query_encoder", "build_encoder"):
            if getattr(self, name) not in ("onnx", "torch"):
                raise ConfigError(f"{name} must be onnx or torch, got {getattr(self, name)!r}.")
        if self.ranking not in ("full", "cosine"):
            raise ConfigError(f"ranking must be full or cosine, got {self.ranking!r}.")
        object.__setattr__(self, "store", parse_store(self.store).uri)
        if self.retrieval not in ("hybrid", "dense", "bm25"):
            raise ConfigError(f"retrieval must be hybrid, dense or bm25, got {self.retrieval!r}.")

    @property
    def store_spec(self) -> StoreSpec:
        return parse_store(self.store)

    @property
    def raw_dir(self) -> Path:
        return self.corpus_dir / "raw"

    @property
    def clean_dir(self) -> Path:
        return self.corpus_dir / "clean"


def offline_environment() -> None:
    """Keep the libraries rag uses offline, quiet and out of the user's home folder.

    Set before they are imported, and only where the user has not chosen otherwise:
    onnxruntime would write a device id under ~/.cache and $TMPDIR and send usage events;
    tiktoken would copy its vocabulary to $TMPDIR/data-gym-cache ("" turns that off: the
    offline package has the file); matplotlib (imported by Gradio) would keep its font
    cache in ~/.cache; the Hugging Face libraries would look for updates.
    """
    defaults = {
        "ORT_DISABLE_TELEMETRY": "1",
        "TIKTOKEN_CACHE_DIR": "",
        "MPLCONFIGDIR": str(Path(tempfile.gettempdir()) / "rag-matplotlib"),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "TRANSFORMERS_VERBOSITY": "error",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
