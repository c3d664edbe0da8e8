"""The Store seam: where one build's vectors live and how they are searched.

A build fills a fresh namespace (a build folder for FAISS, collections for Qdrant) with
each document's rows -- chunk vectors, chunk BM25 sparse vectors, sentence vectors -- then
switches to it atomically, so a failed build leaves the previous one live. Questions run
a dense and a sparse search, optionally limited to one document; the caller fuses the two
rankings (retrieve.py, RRF). Positions (ids) are the chunk's and sentence's places in the
build's table (index.py).

Sparse vectors: the app's analyzer (terms.py) gives each chunk its terms; a chunk's value
for a term is BM25's saturated term frequency, tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl /
avgdl)); the store multiplies by idf = ln(1 + (N - n + 0.5) / (n + 0.5)) over the live
chunks (Lucene's BM25 idf, which Qdrant's IDF modifier applies server-side) and sums over
the question's terms. Both backends therefore rank by the same BM25.

    Store (one per URI: faiss, qdrant://...)
      .create(build, dim) -> BuildStore   empty, to fill
      .open(build, entry) -> BuildStore   a finished build, from its manifest entry
      .switch(build)                      make it the live build, atomically
      .drop(build)                        delete a retired or failed build's vectors
    BuildStore
      .upsert(rows) / .delete(doc) / .seal(folder) -> manifest entry
      .search(vector, sparse, k, doc) -> (dense, sparse) rankings, one round trip
      .chunk_vectors(positions) / .sentence_vectors()
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.config import Settings, StoreSpec
from rag.corpus import atomic_write
from rag.errors import ConfigError

POINTER = "CURRENT"  # index/CURRENT names the live build folder
BM25_K1, BM25_B = 1.5, 0.75  # as the in-memory rank_bm25 that this replaced

Ranking = tuple[tuple[int, float], ...]  # (position, score), best first


@dataclass(frozen=True)
class Sparse:
    """A sparse vector: term ids (uint32 hashes of terms) and their values."""
    indices: np.ndarray  # uint32, sorted, unique
    values: np.ndarray  # float32


@dataclass(frozen=True)
class DocumentRows:
    """Everything a store holds for one document of one build."""
    doc: str
    chunk_positions: tuple[int, ...]
    chunk_vectors: np.ndarray  # (chunks, dim) float32, unit rows
    chunk_sparse: tuple[Sparse, ...]  # one per chunk
    sentence_positions: tuple[int, ...]
    sentence_vectors: np.ndarray  # (sentences, dim) float32, unit rows


class BuildStore(Protocol):
    """One build's vectors in one backend."""

    def upsert(self, rows: DocumentRows) -> None:
        """Write a document's rows, replacing any the document had."""

    def delete(self, doc: str) -> None:
        """Remove every row of a document."""

    def seal(self, folder: Path) -> dict:
        """Finish writing; store files (if any) go into the build folder. Returns the
        manifest's "store" entry that open() needs."""

    def search(self, vector: np.ndarray, sparse: Sparse | None, k: int,
               doc: str | None = None) -> tuple[Ranking, Ranking]:
        """Top-k chunks by inner product and by BM25 (score > 0), both in one call."""

    def chunk_vectors(self, positions: list[int]) -> np.ndarray:
        """The dense vectors of these chunks, in that order."""

    def sentence_vectors(self) -> np.ndarray:
        """All sentence vectors, row i for sentence position i."""


class Store(Protocol):
    """A backend: creates, opens, switches and drops builds."""
    spec: StoreSpec

    def create(self, build: str, dim: int) -> BuildStore: ...

    def open(self, build: str, entry: dict) -> BuildStore: ...

    def switch(self, build: str) -> None: ...

    def drop(self, build: str) -> None: ...


def term_id(term: str) -> int:
    """A stable 32-bit id for a term (Qdrant's sparse indices are uint32)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "little")


def query_sparse(terms: list[str]) -> Sparse | None:
    """The question's sparse vector: 1 for each distinct term; None without terms."""
    ids = sorted({term_id(t) for t in terms})
    if not ids:
        return None
    return Sparse(np.asarray(ids, dtype=np.uint32), np.ones(len(ids), dtype=np.float32))


def bm25_sparse(term_lists: list[list[str]]) -> list[Sparse]:
    """BM25 document-side values for each chunk's terms (avgdl over these chunks)."""
    lengths = [len(terms) for terms in term_lists]
    avgdl = (sum(lengths) / len(lengths)) if lengths else 1.0
    out = []
    for terms, length in zip(term_lists, lengths):
        counts: dict[int, int] = {}
        for term, tf in Counter(terms).items():
            key = term_id(term)
            counts[key] = counts.get(key, 0) + tf  # a hash collision adds up, as one term
        ids = np.asarray(sorted(counts), dtype=np.uint32)
        tf = np.asarray([counts[i] for i in ids.tolist()], dtype=np.float64)
        norm = BM25_K1 * (1 - BM25_B + BM25_B * length / max(avgdl, 1e-9))
        out.append(Sparse(ids, (tf * (BM25_K1 + 1) / (tf + norm)).astype(np.float32)))
    return out


def bm25_idf(live: int, df: int) -> float:
    """Lucene's BM25 idf, as Qdrant's IDF modifier computes it."""
    return math.log((live - df + 0.5) / (df + 0.5) + 1)


def read_pointer(index_dir: Path) -> str | None:
    """The live build's folder name, or None when there is none yet (OSError if unreadable)."""
    pointer = index_dir / POINTER
    if not pointer.exists():
        return None
    return pointer.read_bytes().decode("ascii").strip()


def write_pointer(index_dir: Path, build: str) -> None:
    """Replace index/CURRENT atomically: readers see the old build or the new one."""
    atomic_write(index_dir / POINTER, build + "\n")


def open_store(settings: Settings, spec: StoreSpec | None = None) -> Store:
    """The backend that `spec` (default: settings.store) names, for settings.index_dir.

    Raises:
        ConfigError: the store is Qdrant and qdrant-client is not installed, or the server
            cannot be reached.
    """
    spec = spec or settings.store_spec
    if spec.kind == "faiss":
        from rag.store_faiss import FaissStore

        return FaissStore(spec, settings.index_dir, settings.ivf_from_chunks, settings.ivf_nprobe)
    try:
        import qdrant_client  # noqa: F401 - only to fail early with a clear message
    except ImportError:
        raise ConfigError(f"Store {spec.uri} needs qdrant-client: pip install -e \".[qdrant]\"."
                          ) from None
    from rag.store_qdrant import QdrantStore

    return QdrantStore(spec, settings.index_dir)
