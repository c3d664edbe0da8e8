"""The Qdrant store: one build's vectors in two Qdrant collections, searched by Qdrant.

Per build, <prefix>-<build>-chunks holds each chunk as a point (id = its position) with a
dense vector "dense" (dot product on unit vectors = cosine), a sparse vector "bm25" (the
app's BM25 term-frequency values; Qdrant applies IDF over the collection) and the payload
{"doc": id}; <prefix>-<build>-sentences holds the sentence vectors. The atomic switch moves
the aliases <prefix>-chunks and <prefix>-sentences to the new build's collections in one
request, then index/CURRENT (which names the build's table and manifest). Embedded modes
(":memory:", a folder) share one client per process; a server is reached by URL with the
API key from QDRANT_API_KEY.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import numpy as np
from qdrant_client import QdrantClient, models

from rag.config import StoreSpec
from rag.errors import ConfigError, IndexCorrupt
from rag.store import DocumentRows, Ranking, Sparse, write_pointer

BATCH = 256  # points per upsert request
T = TypeVar("T")
_CLIENTS: dict[str, QdrantClient] = {}  # embedded stores: one client per process
_LOCK = threading.Lock()


@atexit.register
def _close_embedded() -> None:
    """Close embedded clients while Python can still run their clean-up."""
    for client in _CLIENTS.values():
        client.close()


def client_for(spec: StoreSpec) -> QdrantClient:
    """The client for a store URI; embedded ones are shared within the process."""
    if spec.mode == "server":
        parts = urlsplit(spec.location)  # a path is a reverse proxy's prefix
        return QdrantClient(url=f"{parts.scheme}://{parts.netloc}", prefix=parts.path or None,
                            api_key=os.environ.get("QDRANT_API_KEY") or None, timeout=60,
                            check_compatibility=False)  # no request before the first real one
    with _LOCK:
        if spec.location not in _CLIENTS:
            if spec.mode == "memory":
                _CLIENTS[spec.location] = QdrantClient(":memory:")
            else:
                Path(spec.location).mkdir(parents=True, exist_ok=True)
                _CLIENTS[spec.location] = _call(spec, lambda: QdrantClient(path=spec.location))
        return _CLIENTS[spec.location]


def _call(spec: StoreSpec, request: Callable[[], T]) -> T:
    """Run a request; a failure to reach or use the store becomes a one-line ConfigError."""
    from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

    try:
        return request()
    except (ResponseHandlingException, UnexpectedResponse, OSError, RuntimeError) as e:
        detail = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
        raise ConfigError(f"Qdrant store {spec.uri} failed: {detail}. Check --store (or "
                          "RAG_STORE) and QDRANT_API_KEY.") from None


def _doc_filter(doc: str | None) -> models.Filter | None:
    if doc is None:
        return None
    return models.Filter(must=[models.FieldCondition(key="doc", match=models.MatchValue(value=doc))])


class QdrantStore:
    """Builds are collection pairs; aliases and index/CURRENT name the live one."""

    def __init__(self, spec: StoreSpec, index_dir: Path):
        self.spec = spec
        self.index_dir = index_dir
        self.client = client_for(spec)

    def names(self, build: str) -> dict[str, str]:
        return {kind: f"{self.spec.prefix}-{build}-{kind}" for kind in ("chunks", "sentences")}

    def create(self, build: str, dim: int) -> "QdrantBuild":
        names = self.names(build)
        dense = {"dense": models.VectorParams(size=dim, distance=models.Distance.DOT)}
        for kind, name in names.items():
            sparse = ({"bm25": models.SparseVectorParams(modifier=models.Modifier.IDF)}
                      if kind == "chunks" else None)
            _call(self.spec, lambda: self.client.create_collection(
                name, vectors_config=dense, sparse_vectors_config=sparse))
            if self.spec.mode == "server":  # embedded mode has no payload indexes
                _call(self.spec, lambda: self.client.create_payload_index(
                    name, "doc", models.PayloadSchemaType.KEYWORD))
        return QdrantBuild(self.spec, self.client, names, dim, fresh=True)

    def open(self, build: str, entry: dict) -> "QdrantBuild":
        names = self.names(build)
        opened = QdrantBuild(self.spec, self.client, names, int(entry["dim"]), fresh=False)
        counts = {kind: opened.count(kind) for kind in names}
        if counts != {kind: entry.get(kind) for kind in names}:
            raise IndexCorrupt(f"The Qdrant collections of this build are missing or incomplete "
                               f"in {self.spec.uri} (an in-memory store lives only as long as its "
                               "process). Run: rag build --force")
        return opened

    def switch(self, build: str) -> None:
        live = {a.alias_name for a in _call(self.spec, self.client.get_aliases).aliases}
        operations = []
        for kind, name in self.names(build).items():
            alias = f"{self.spec.prefix}-{kind}"
            if alias in live:
                operations.append(models.DeleteAliasOperation(
                    delete_alias=models.DeleteAlias(alias_name=alias)))
            operations.append(models.CreateAliasOperation(
                create_alias=models.CreateAlias(collection_name=name, alias_name=alias)))
        _call(self.spec, lambda: self.client.update_collection_aliases(
            change_aliases_operations=operations))
        write_pointer(self.index_dir, build)

    def drop(self, build: str) -> None:
        for name in self.names(build).values():
            if _call(self.spec, lambda: self.client.collection_exists(name)):
                _call(self.spec, lambda: self.client.delete_collection(name))


class QdrantBuild:
    """One build's collections: write rows, search, read vectors back."""

    def __init__(self, spec: StoreSpec, client: QdrantClient, names: dict[str, str], dim: int,
                 fresh: bool):
        self.spec, self.client, self.names, self.dim = spec, client, names, dim
        self._written: set[str] | None = set() if fresh else None  # docs upserted, if fresh

    def count(self, kind: str) -> int | None:
        name = self.names[kind]
        if not _call(self.spec, lambda: self.client.collection_exists(name)):
            return None
        return _call(self.spec, lambda: self.client.count(name, exact=True)).count

    def upsert(self, rows: DocumentRows) -> None:
        if self._written is None or rows.doc in self._written:
            self.delete(rows.doc)  # replace what the document had
        if self._written is not None:
            self._written.add(rows.doc)
        payload = {"doc": rows.doc}
        chunks = [models.PointStruct(id=p, payload=payload, vector={
            "dense": v.tolist(), **({"bm25": models.SparseVector(
                indices=s.indices.tolist(), values=s.values.tolist())} if len(s.indices) else {})})
            for p, v, s in zip(rows.chunk_positions, rows.chunk_vectors, rows.chunk_sparse)]
        sentences = [models.PointStruct(id=p, payload=payload, vector={"dense": v.tolist()})
                     for p, v in zip(rows.sentence_positions, rows.sentence_vectors)]
        for kind, points in (("chunks", chunks), ("sentences", sentences)):
            for start in range(0, len(points), BATCH):
                _call(self.spec, lambda: self.client.upsert(
                    self.names[kind], points=points[start:start + BATCH], wait=True))

    def delete(self, doc: str) -> None:
        selector = models.FilterSelector(filter=_doc_filter(doc))
        for name in self.names.values():
            _call(self.spec, lambda: self.client.delete(name, points_selector=selector, wait=True))

    def seal(self, folder: Path) -> dict:
        return {"collections": self.names, "dim": self.dim,
                **{kind: self.count(kind) for kind in self.names}}

    def search(self, vector: np.ndarray, sparse: Sparse | None, k: int,
               doc: str | None = None) -> tuple[Ranking, Ranking]:
        where = _doc_filter(doc)
        requests = [models.QueryRequest(query=np.asarray(vector, dtype=np.float32).tolist(),
                                        using="dense", limit=k, filter=where)]
        if sparse is not None:
            requests.append(models.QueryRequest(
                query=models.SparseVector(indices=sparse.indices.tolist(),
                                          values=sparse.values.tolist()),
                using="bm25", limit=k, filter=where))
        responses = _call(self.spec, lambda: self.client.query_batch_points(
            self.names["chunks"], requests=requests))
        ranked = [tuple(sorted(((int(p.id), float(p.score)) for p in r.points),
                               key=lambda pair: (-pair[1], pair[0]))) for r in responses]
        bm25 = tuple(pair for pair in ranked[1] if pair[1] > 0) if len(ranked) > 1 else ()
        return ranked[0], bm25

    def chunk_vectors(self, positions: list[int]) -> np.ndarray:
        points = _call(self.spec, lambda: self.client.retrieve(
            self.names["chunks"], ids=list(positions), with_vectors=["dense"]))
        found = {int(p.id): p.vector["dense"] for p in points}
        return np.asarray([found[p] for p in positions], dtype=np.float32).reshape(-1, self.dim)

    def sentence_vectors(self) -> np.ndarray:
        rows: dict[int, list[float]] = {}
        offset = None
        while True:
            points, offset = _call(self.spec, lambda: self.client.scroll(
                self.names["sentences"], limit=1024, offset=offset, with_vectors=["dense"],
                with_payload=False))
            rows.update((int(p.id), p.vector["dense"]) for p in points)
            if offset is None:
                break
        out = np.zeros((max(rows, default=-1) + 1, self.dim), dtype=np.float32)
        for position, vector in rows.items():
            out[position] = vector
        return out
