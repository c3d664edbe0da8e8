"""Per-document vectors for a build: reuse, embed what is new, write into the store.

The build (build.py) decides which documents are unchanged; here their vectors are stacked
with freshly embedded ones, each chunk gets its BM25 sparse vector from the analyzer, and
every document's rows go into a new build of the store (store.py), which the index then
switches to (index.py).
"""

from __future__ import annotations

import time

import numpy as np

from rag.chunk import Chunk, Sentence
from rag.config import Settings
from rag.embed import OnnxEncoder, TorchEncoder
from rag.index import Document, new_build_name, write_build
from rag.store import DocumentRows, bm25_sparse, open_store
from rag.terms import Analyzer


def positions_by_doc(items) -> dict[str, list[int]]:
    """Document id -> positions of its chunks (or sentences) in items."""
    out: dict[str, list[int]] = {}
    for position, item in enumerate(items):
        out.setdefault(item.doc, []).append(position)
    return out


def fill_vectors(encoder: TorchEncoder | OnnxEncoder, documents: dict, items: list,
                 reused: list, show_bar: bool) -> tuple[np.ndarray, int]:
    """Stack per-document vectors, embedding the documents that have none yet."""
    by_doc = positions_by_doc(items)
    todo = [items[i].text for doc, vectors in zip(documents, reused) if vectors is None
            for i in by_doc.get(doc, [])]
    fresh = None
    if todo:
        unique = list(dict.fromkeys(todo))  # a repeated text is embedded once
        vectors_of = encoder.encode(unique, progress=show_bar and len(unique) > 256)
        row = {text: i for i, text in enumerate(unique)}
        fresh = vectors_of[[row[text] for text in todo]]
    parts, used = [], 0
    for doc, vectors in zip(documents, reused):
        if vectors is None:
            n = len(by_doc.get(doc, []))
            parts.append(fresh[used:used + n])
            used += n
        else:
            parts.append(vectors)
    return np.ascontiguousarray(np.vstack(parts), dtype=np.float32), len(todo)


def store_and_switch(settings: Settings, manifest: dict, documents: dict[str, Document],
                     chunks: list[Chunk], sentences: list[Sentence], chunk_matrix: np.ndarray,
                     sentence_matrix: np.ndarray, started: float) -> None:
    """Upsert every document's rows into a new build of the store, then switch to it."""
    store = open_store(settings)
    name = new_build_name()
    vectors = store.create(name, chunk_matrix.shape[1])
    try:
        analyzer = Analyzer()
        sparse = bm25_sparse([analyzer.terms(c.text) for c in chunks])
        chunk_ids, sentence_ids = positions_by_doc(chunks), positions_by_doc(sentences)
        for doc in documents:
            c, s = chunk_ids.get(doc, []), sentence_ids.get(doc, [])
            vectors.upsert(DocumentRows(doc, tuple(c), chunk_matrix[c], tuple(sparse[i] for i in c),
                                        tuple(s), sentence_matrix[s]))
        manifest["build_seconds"] = round(time.perf_counter() - started, 3)
    except BaseException:
        store.drop(name)
        raise
    write_build(settings.index_dir, store, name, vectors, manifest, documents, chunks, sentences)
