"""The default store: one build's vectors as files in its build folder, searched in-process.

chunks.faiss holds the chunk vectors (exact inner product below ivf_from_chunks chunks, IVF
from there); store.npz holds the chunk positions and documents, the BM25 postings (term id
-> chunks and their saturated term frequencies) and the sentence vectors. The atomic switch
is index/CURRENT naming the build folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.config import Settings, StoreSpec
from rag.errors import ArgumentError, IndexCorrupt
from rag.store import DocumentRows, Ranking, Sparse, bm25_idf, write_pointer

FILES = ("chunks.faiss", "store.npz")


def make_faiss_index(vectors: np.ndarray, ivf_from_chunks: int, ivf_nprobe: int):
    """Exact inner-product search below ivf_from_chunks chunks, IVF (approximate, sqrt(n)
    lists, ivf_nprobe of them searched) from there (see bench/scaling.py)."""
    import faiss

    n, dim = vectors.shape
    if n < ivf_from_chunks:
        index = faiss.IndexFlatIP(dim)
    else:
        lists = int(np.sqrt(n))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        sample = vectors[np.random.default_rng(0).choice(n, min(n, lists * 64), replace=False)]
        index.train(sample)
        index.nprobe = ivf_nprobe
        index.make_direct_map()  # so that unchanged documents' vectors can be reused
    index.add(vectors)
    return index


class FaissStore:
    """Builds live in index_dir/<build>/; CURRENT names the live one."""

    def __init__(self, spec: StoreSpec, index_dir: Path, ivf_from_chunks: int, ivf_nprobe: int):
        self.spec = spec
        self.index_dir = index_dir
        self.ivf = (ivf_from_chunks, ivf_nprobe)

    def create(self, build: str, dim: int) -> "FaissBuild":
        return FaissBuild(dim, *self.ivf)

    def open(self, build: str, entry: dict) -> "FaissBuild":
        """Raises IndexCorrupt when a file is missing, OSError or ValueError when one
        cannot be read."""
        folder = self.index_dir / build
        if not all((folder / name).is_file() for name in FILES):
            raise IndexCorrupt(f"The vectors of {folder} are missing or incomplete. "
                               "Run: rag build --force")
        return FaissBuild.load(folder)

    def switch(self, build: str) -> None:
        write_pointer(self.index_dir, build)

    def drop(self, build: str) -> None:
        for name in FILES:
            (self.index_dir / build / name).unlink(missing_ok=True)


class FaissBuild:
    """Rows are kept per document while a build writes; seal() turns them into the index."""

    def __init__(self, dim: int, ivf_from_chunks: int = Settings.ivf_from_chunks,
                 ivf_nprobe: int = Settings.ivf_nprobe):  # one place for the defaults
        self.dim = dim
        self.ivf = (ivf_from_chunks, ivf_nprobe)
        self._rows: dict[str, DocumentRows] | None = {}
        self.faiss_index = None

    # --- writing ---------------------------------------------------------------------
    def upsert(self, rows: DocumentRows) -> None:
        self._writable()[rows.doc] = rows

    def delete(self, doc: str) -> None:
        self._writable().pop(doc, None)

    def _writable(self) -> dict[str, DocumentRows]:
        if self._rows is None:
            raise ArgumentError("This FAISS build is sealed; start a new build to change it.")
        return self._rows

    def seal(self, folder: Path) -> dict:
        import faiss

        rows = list(self._writable().values())
        chunks = sorted((p, i, r) for r in rows for i, p in enumerate(r.chunk_positions))
        sentences = sorted((p, i, r) for r in rows for i, p in enumerate(r.sentence_positions))
        arrays = {
            "chunk_positions": np.asarray([p for p, _, _ in chunks], dtype=np.int64),
            "chunk_docs": np.asarray([r.doc for _, _, r in chunks], dtype=str),
            "sentence_positions": np.asarray([p for p, _, _ in sentences], dtype=np.int64),
            "sentence_vectors": _stack([r.sentence_vectors[i] for _, i, r in sentences], self.dim),
        }
        arrays.update(_postings([r.chunk_sparse[i] for _, i, r in chunks]))
        index = make_faiss_index(_stack([r.chunk_vectors[i] for _, i, r in chunks], self.dim),
                                 *self.ivf)
        faiss.write_index(index, str(folder / "chunks.faiss"))
        np.savez(folder / "store.npz", **arrays)
        self._rows = None
        self._attach(index, arrays)
        return {"dim": self.dim, "chunks": len(chunks), "sentences": len(sentences)}

    # --- reading ---------------------------------------------------------------------
    @classmethod
    def load(cls, folder: Path) -> "FaissBuild":
        import faiss

        index = faiss.read_index(str(folder / "chunks.faiss"))
        with np.load(folder / "store.npz", allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        build = cls(index.d)
        build._rows = None
        build._attach(index, arrays)
        return build

    def _attach(self, index, arrays: dict[str, np.ndarray]) -> None:
        if index.ntotal != len(arrays["chunk_positions"]):
            raise ValueError("chunk vectors and positions differ in number")
        self.faiss_index = index
        self._positions = arrays["chunk_positions"]
        self._docs = arrays["chunk_docs"]
        self._terms, self._ptr = arrays["term_ids"], arrays["term_ptr"]
        self._posting_rows, self._posting_values = arrays["posting_rows"], arrays["posting_values"]
        self._live = int(arrays["sparse_live"])
        self._sentence_positions = arrays["sentence_positions"]
        self._sentence_vectors = arrays["sentence_vectors"]
        self._doc_rows = {doc: np.flatnonzero(self._docs == doc) for doc in np.unique(self._docs)}

    def search(self, vector: np.ndarray, sparse: Sparse | None, k: int,
               doc: str | None = None) -> tuple[Ranking, Ranking]:
        allowed = None if doc is None else self._doc_rows.get(doc, np.empty(0, dtype=np.int64))
        return self._dense(vector, k, allowed), self._sparse(sparse, k, allowed)

    def _dense(self, vector: np.ndarray, k: int, allowed: np.ndarray | None) -> Ranking:
        import faiss

        index = self.faiss_index
        n = index.ntotal if allowed is None else len(allowed)
        if n == 0:
            return ()
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
            params = (faiss.SearchParametersIVF(sel=selector, nprobe=index.nprobe)
                      if isinstance(index, faiss.IndexIVF) else faiss.SearchParameters(sel=selector))
        scores, rows = index.search(np.asarray(vector, dtype=np.float32)[None, :], min(k, n),
                                    params=params)
        return tuple((int(self._positions[r]), float(s)) for r, s in zip(rows[0], scores[0])
                     if r >= 0)

    def _sparse(self, sparse: Sparse | None, k: int, allowed: np.ndarray | None) -> Ranking:
        if sparse is None or not len(self._terms):
            return ()
        scores = np.zeros(len(self._positions), dtype=np.float64)
        found = np.searchsorted(self._terms, sparse.indices)
        for j, term, weight in zip(found, sparse.indices, sparse.values):
            if j < len(self._terms) and self._terms[j] == term:
                lo, hi = self._ptr[j], self._ptr[j + 1]
                idf = bm25_idf(self._live, int(hi - lo))
                scores[self._posting_rows[lo:hi]] += idf * float(weight) * self._posting_values[lo:hi]
        rows = np.flatnonzero(scores > 0)
        if allowed is not None:
            rows = np.intersect1d(rows, allowed, assume_unique=True)
        rows = rows[np.lexsort((self._positions[rows], -scores[rows]))][:k]
        return tuple((int(self._positions[r]), float(scores[r])) for r in rows)

    def chunk_vectors(self, positions: list[int]) -> np.ndarray:
        rows = np.searchsorted(self._positions, np.asarray(positions, dtype=np.int64))
        return _stack([self.faiss_index.reconstruct(int(r)) for r in rows], self.dim)

    def sentence_vectors(self) -> np.ndarray:
        n = int(self._sentence_positions.max()) + 1 if len(self._sentence_positions) else 0
        out = np.zeros((n, self.dim), dtype=np.float32)
        out[self._sentence_positions] = self._sentence_vectors
        return out


def _stack(vectors: list[np.ndarray], dim: int) -> np.ndarray:
    if not vectors:
        return np.zeros((0, dim), dtype=np.float32)
    return np.ascontiguousarray(np.vstack(vectors), dtype=np.float32)


def _postings(sparse: list[Sparse]) -> dict[str, np.ndarray]:
    """Chunk rows' sparse vectors -> an inverted index sorted by term id."""
    terms = np.concatenate([s.indices for s in sparse]) if sparse else np.empty(0, np.uint32)
    values = np.concatenate([s.values for s in sparse]) if sparse else np.empty(0, np.float32)
    rows = np.repeat(np.arange(len(sparse), dtype=np.int64), [len(s.indices) for s in sparse])
    order = np.argsort(terms, kind="stable")
    unique, counts = np.unique(terms[order], return_counts=True)
    return {"term_ids": unique.astype(np.uint32),
            "term_ptr": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            "posting_rows": rows[order], "posting_values": values[order].astype(np.float32),
            "sparse_live": np.asarray(sum(len(s.indices) > 0 for s in sparse))}
