"""One Settings object, passed explicitly. Make variants with dataclasses.replace()."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rag.errors import ConfigError

DEFAULT_MODEL = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    model: str = DEFAULT_MODEL  # the packaged copy, or a local sentence-transformers folder
    chunk_tokens: int = 200  # tiktoken cl100k tokens per chunk, at most (a longer sentence stands alone)
    chunk_overlap: int = 40  # tokens of trailing sentences repeated at the start of the next chunk
    top_k: int = 8  # chunks retrieved by each retriever before fusion
    rrf_k: int = 60
    min_confidence: float | None = None  # below: abstain; None: the fitted rag/params/ranking.json
    max_quotes: int = 3
    max_file_bytes: int = 2_000_000  # per article file
    max_question_chars: int = 1000
    retrieval: str = "hybrid"  # hybrid | dense | bm25 (the last two for evaluation)
    query_encoder: str = "onnx"  # onnx: int8 model, no PyTorch at query time | torch
    ranking: str = "full"  # full: cosine, terms and answer type | cosine (for evaluation)

    def __post_init__(self) -> None:
        object.__setattr__(self, "corpus_dir", Path(self.corpus_dir))
        object.__setattr__(self, "index_dir", Path(self.index_dir))
        if self.chunk_tokens < 16:
            raise ConfigError(f"chunk_tokens must be at least 16, got {self.chunk_tokens}.")
        if not 0 <= self.chunk_overlap < self.chunk_tokens:
            raise ConfigError(
                f"chunk_overlap must be between 0 and chunk_tokens, got {self.chunk_overlap}."
            )
        for name in ("top_k", "rrf_k", "max_quotes", "max_file_bytes", "max_question_chars"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)}.")
        if self.query_encoder not in ("onnx", "torch"):
            raise ConfigError(f"query_encoder must be onnx or torch, got {self.query_encoder!r}.")
        if self.ranking not in ("full", "cosine"):
            raise ConfigError(f"ranking must be full or cosine, got {self.ranking!r}.")
        if self.retrieval not in ("hybrid", "dense", "bm25"):
            raise ConfigError(f"retrieval must be hybrid, dense or bm25, got {self.retrieval!r}.")

    @property
    def raw_dir(self) -> Path:
        return self.corpus_dir / "raw"

    @property
    def clean_dir(self) -> Path:
        return self.corpus_dir / "clean"
