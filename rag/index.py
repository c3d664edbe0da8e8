"""Build, save and load the index: FAISS chunk vectors, sentence vectors, tables, manifest.

On disk, index/ holds one folder per build and a CURRENT file naming the live one. A
build writes a new folder completely, then replaces CURRENT atomically, so a build that
is killed at any moment leaves the previous index usable. A lock file keeps two builds
from running at once. Documents whose raw bytes are unchanged keep their vectors.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rag.chunk import Chunk, Entity, Sentence, TextSplitter, chunk_sentences, split_document
from rag.clean import CLEANER_VERSION, HEADING
from rag.config import Settings
from rag.corpus import atomic_write, clean_doc, list_raw, read_raw, text_sha256, write_clean
from rag.embed import Encoder
from rag.errors import CorpusError, IndexCorrupt, IndexMissing, IndexStale, RagError

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
POINTER = "CURRENT"
FILES = ("table.json", "chunks.faiss", "sentences.npy")


@dataclass(frozen=True)
class Document:
    doc: str
    title: str
    source: str  # raw file name
    text: str  # cleaned text
    raw_sha256: str
    clean_sha256: str
    added: str  # ISO time the document entered the index
    headings: tuple[tuple[int, int], ...] = ()  # (start, end) of each subheading in text


@dataclass(frozen=True)
class Index:
    path: Path
    manifest: dict  # as written: the edge between disk and code
    documents: dict[str, Document]
    chunks: tuple[Chunk, ...]
    sentences: tuple[Sentence, ...]
    chunk_index: object  # faiss.Index over chunk vectors (inner product = cosine)
    sentence_vectors: np.ndarray  # (len(sentences), dim), unit rows


@dataclass(frozen=True)
class BuildReport:
    built: bool
    reason: str
    documents: int
    chunks: int
    sentences: int
    embedded_chunks: int  # chunks embedded by this build (reused ones are not)
    seconds: float
    skipped: tuple[str, ...] = ()  # files left out, with why


def _expected_params(settings: Settings) -> dict:
    return {"model": settings.model, "chunk_tokens": settings.chunk_tokens,
            "chunk_overlap": settings.chunk_overlap, "cleaner_version": CLEANER_VERSION,
            "format_version": FORMAT_VERSION}


def fingerprint(path: Path, max_bytes: int) -> str:
    """sha256 of the raw bytes; for a file over the size limit, just its size (it is skipped)."""
    size = path.stat().st_size
    return f"size:{size}" if size > max_bytes else _file_sha(path)


def read_manifest(index_dir: Path) -> dict | None:
    """The live build's manifest, or None when there is no index yet."""
    pointer = index_dir / POINTER
    if not pointer.is_file():
        return None
    build = index_dir / pointer.read_text(encoding="utf-8").strip()
    try:
        return json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise IndexCorrupt(f"The index in {index_dir} has no readable manifest. Run: rag build --force") from None


def stale_reason(settings: Settings, manifest: dict | None = None) -> str | None:
    """Why the index must be rebuilt for this corpus and settings, or None if it is fresh."""
    manifest = manifest if manifest is not None else read_manifest(settings.index_dir)
    if manifest is None:
        return "no index yet"
    for key, value in _expected_params(settings).items():
        if manifest.get("params", {}).get(key) != value:
            return f"{key} changed ({manifest.get('params', {}).get(key)!r} -> {value!r})"
    if not settings.raw_dir.is_dir():
        return None  # nothing to compare with: the index is all there is
    built = {d["source"]: d["raw_sha256"] for d in manifest["documents"].values()}
    built.update({name: entry["fingerprint"] for name, entry in manifest.get("skipped", {}).items()})
    current = {path.name: fingerprint(path, settings.max_file_bytes)
               for path in list_raw(settings.raw_dir)}
    for name, value in current.items():
        if name not in built:
            return f"{name} is new"
        if value != built[name]:
            return f"{name} changed"
    gone = sorted(set(built) - set(current))
    if gone:
        return f"{gone[0]} was removed"
    return None


@contextmanager
def build_lock(index_dir: Path):
    """Hold an exclusive lock on index_dir while a build runs; others wait for it."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_index(settings: Settings, force: bool = False, encoder: Encoder | None = None,
                progress: Callable[[str], None] | None = None) -> BuildReport:
    """Build the index when the corpus or settings changed; force=True rebuilds everything.

    Unless forced, documents whose raw bytes are unchanged keep their vectors.

    Raises:
        CorpusError: the corpus folder is missing, empty, or no article has text.
    """
    started = time.perf_counter()
    say = progress or (lambda message: log.info("%s", message))
    with build_lock(settings.index_dir):
        try:
            manifest = read_manifest(settings.index_dir)
        except IndexCorrupt:
            manifest = None
        reason = "forced" if force else stale_reason(settings, manifest)
        if reason is None:
            counts = manifest["counts"]
            return BuildReport(False, "up to date", counts["documents"], counts["chunks"],
                               counts["sentences"], 0, time.perf_counter() - started)
        previous = None if force else _reusable(settings, manifest)
        say(f"Building index: {reason}")
        report = _build(settings, previous, encoder or Encoder(settings.model), reason, say,
                        started)
    return report


def _reusable(settings: Settings, manifest: dict | None) -> Index | None:
    """The live index, when its vectors can be reused by this build."""
    if manifest is None or manifest.get("params") != _expected_params(settings):
        return None
    try:
        return load_index(settings.index_dir)
    except RagError:
        return None


def _build(settings: Settings, previous: Index | None, encoder: Encoder, reason: str,
           say: Callable[[str], None], started: float) -> BuildReport:
    splitter = TextSplitter()
    documents: dict[str, Document] = {}
    chunks: list[Chunk] = []
    sentences: list[Sentence] = []
    chunk_vectors: list[np.ndarray | None] = []  # per document: reused vectors or None
    sentence_vectors: list[np.ndarray | None] = []
    skipped: dict[str, dict] = {}  # file name -> reason and fingerprint
    seen_content: dict[str, str] = {}
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    old_chunks = _positions_by_doc(previous.chunks) if previous else {}
    old_sentences = _positions_by_doc(previous.sentences) if previous else {}
    for path in list_raw(settings.raw_dir):
        try:
            raw = read_raw(path, settings.max_file_bytes)
        except CorpusError as e:
            skipped[path.name] = _skip(path, settings, str(e), say)
            continue
        doc = raw.doc
        if doc in documents:
            doc = f"{doc}-{raw.sha256[:8]}"
        old = previous.documents.get(doc) if previous else None
        if old is not None and old.raw_sha256 == raw.sha256:
            chunk_ids, sentence_ids = old_chunks[doc], old_sentences[doc]
            doc_chunks = [previous.chunks[i] for i in chunk_ids]
            doc_sentences = [previous.sentences[i] for i in sentence_ids]
            document = old
            chunk_vectors.append(np.vstack([previous.chunk_index.reconstruct(i)
                                            for i in chunk_ids]))
            sentence_vectors.append(previous.sentence_vectors[sentence_ids])
        else:
            try:
                cleaned = clean_doc(raw)
            except CorpusError as e:
                skipped[path.name] = _skip(path, settings, str(e), say)
                continue
            doc_sentences = split_document(doc, cleaned.text, cleaned.blocks, splitter)
            doc_chunks = chunk_sentences(cleaned.text, doc_sentences, splitter,
                                         settings.chunk_tokens, settings.chunk_overlap)
            document = Document(doc, cleaned.title, path.name, cleaned.text, raw.sha256,
                                text_sha256(cleaned.text), old.added if old else now,
                                tuple((b.start, b.end) for b in cleaned.blocks if b.kind == HEADING))
            write_clean(settings.clean_dir, doc, cleaned)
            chunk_vectors.append(None)
            sentence_vectors.append(None)
        if document.clean_sha256 in seen_content:
            skipped[path.name] = _skip(path, settings,
                                       f"same text as {seen_content[document.clean_sha256]}", say)
            chunk_vectors.pop()
            sentence_vectors.pop()
            continue
        seen_content[document.clean_sha256] = path.name
        documents[doc] = document
        chunks.extend(doc_chunks)
        sentences.extend(doc_sentences)
        say(f"  {doc}: {len(doc_chunks)} chunks, {len(doc_sentences)} sentences"
            + (" (unchanged)" if chunk_vectors[-1] is not None else ""))
    if not documents:
        raise CorpusError(f"No article in {settings.raw_dir} has text to index: "
                          + "; ".join(entry["reason"] for entry in skipped.values()))
    chunk_matrix, embedded = _fill_vectors(encoder, documents, chunks, chunk_vectors)
    sentence_matrix, _ = _fill_vectors(encoder, documents, sentences, sentence_vectors)
    manifest = {
        "format_version": FORMAT_VERSION,
        "params": _expected_params(settings),
        "built_at": now,
        "build_seconds": None,
        "counts": {"documents": len(documents), "chunks": len(chunks),
                   "sentences": len(sentences)},
        "documents": {d.doc: {"source": d.source, "title": d.title, "raw_sha256": d.raw_sha256,
                              "clean_sha256": d.clean_sha256, "added": d.added,
                              "chunks": sum(c.doc == d.doc for c in chunks)}
                      for d in documents.values()},
        "skipped": skipped,
    }
    manifest["build_seconds"] = round(time.perf_counter() - started, 3)
    _write(settings.index_dir, manifest, documents, chunks, sentences, chunk_matrix,
           sentence_matrix)
    _remove_stale_clean_files(settings, documents)
    say(f"Index written: {len(documents)} documents, {len(chunks)} chunks "
        f"({embedded} embedded), {len(sentences)} sentences in {manifest['build_seconds']:.1f} s")
    return BuildReport(True, reason, len(documents), len(chunks), len(sentences), embedded,
                       time.perf_counter() - started, tuple(f"{k}: {v['reason']}" for k, v in skipped.items()))


def _skip(path: Path, settings: Settings, reason: str, say: Callable[[str], None]) -> dict:
    say(f"  skipped {path.name}: {reason}")
    return {"reason": reason, "fingerprint": fingerprint(path, settings.max_file_bytes)}


def _positions_by_doc(items) -> dict[str, list[int]]:
    """Document id -> positions of its chunks (or sentences) in items."""
    out: dict[str, list[int]] = {}
    for position, item in enumerate(items):
        out.setdefault(item.doc, []).append(position)
    return out


def _fill_vectors(encoder: Encoder, documents: dict, items: list, reused: list
                  ) -> tuple[np.ndarray, int]:
    """Stack per-document vectors, embedding the documents that have none yet."""
    by_doc = _positions_by_doc(items)
    todo = [items[i].text for doc, vectors in zip(documents, reused) if vectors is None
            for i in by_doc.get(doc, [])]
    fresh = encoder.encode(todo, progress=len(todo) > 256) if todo else None
    parts, used = [], 0
    for doc, vectors in zip(documents, reused):
        if vectors is None:
            n = len(by_doc.get(doc, []))
            parts.append(fresh[used:used + n])
            used += n
        else:
            parts.append(vectors)
    return np.ascontiguousarray(np.vstack(parts), dtype=np.float32), len(todo)


APPROXIMATE_FROM = 50_000  # chunks; below, exact search is fast enough (see bench/scaling.py)


def make_faiss_index(vectors: np.ndarray):
    """Exact inner-product search for small corpora, IVF (approximate) for large ones."""
    import faiss

    n, dim = vectors.shape
    if n < APPROXIMATE_FROM:
        index = faiss.IndexFlatIP(dim)
    else:
        lists = int(np.sqrt(n))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        sample = vectors[np.random.default_rng(0).choice(n, min(n, lists * 64), replace=False)]
        index.train(sample)
        index.nprobe = 16
        index.make_direct_map()  # so that unchanged documents' vectors can be reused
    index.add(vectors)
    return index


def _write(index_dir: Path, manifest: dict, documents: dict[str, Document], chunks: list[Chunk],
           sentences: list[Sentence], chunk_matrix: np.ndarray, sentence_matrix: np.ndarray) -> None:
    import faiss

    name = f"build-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir(parents=True)
    try:
        table = {"documents": [asdict(d) for d in documents.values()],
                 "chunks": [asdict(c) for c in chunks],
                 "sentences": [asdict(s) for s in sentences]}
        (tmp / "table.json").write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
        faiss.write_index(make_faiss_index(chunk_matrix), str(tmp / "chunks.faiss"))
        np.save(tmp / "sentences.npy", sentence_matrix)
        manifest["files"] = {f: {"bytes": (tmp / f).stat().st_size, "sha256": _file_sha(tmp / f)}
                             for f in FILES}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False),
                                           encoding="utf-8")
        for f in (*FILES, "manifest.json"):
            with open(tmp / f, "rb") as handle:
                os.fsync(handle.fileno())
        os.rename(tmp, index_dir / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    atomic_write(index_dir / POINTER, name + "\n")
    _remove_old_builds(index_dir, keep={name})


def _remove_old_builds(index_dir: Path, keep: set[str]) -> None:
    """Remove builds and leftovers of killed builds, keeping the live one and the one before."""
    builds = sorted((p for p in index_dir.glob("build-*") if p.is_dir()),
                    key=lambda p: p.stat().st_mtime)
    survivors = keep | {p.name for p in builds[-2:]}
    for path in builds:
        if path.name not in survivors:
            shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.glob(".tmp-build-*"):
        shutil.rmtree(path, ignore_errors=True)


def _remove_stale_clean_files(settings: Settings, documents: dict[str, Document]) -> None:
    for path in settings.clean_dir.glob("*.txt"):
        if path.stem not in documents:
            path.unlink(missing_ok=True)
            (settings.clean_dir / f"{path.stem}.report.md").unlink(missing_ok=True)


def _file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_index(index_dir: Path) -> Index:
    """Load the live index and check every file against the manifest.

    Raises:
        IndexMissing: nothing has been built in index_dir.
        IndexCorrupt: a file is missing, truncated or altered.
    """
    import faiss

    manifest = read_manifest(index_dir)
    if manifest is None:
        raise IndexMissing(f"No index in {index_dir}. Run: rag build")
    build = index_dir / (index_dir / POINTER).read_text(encoding="utf-8").strip()
    fix = "Run: rag build --force"
    for name in FILES:
        expected = manifest.get("files", {}).get(name)
        path = build / name
        if expected is None or not path.is_file():
            raise IndexCorrupt(f"Index file {name} is missing in {build}. {fix}")
        if path.stat().st_size != expected["bytes"] or _file_sha(path) != expected["sha256"]:
            raise IndexCorrupt(f"Index file {name} is truncated or altered. {fix}")
    try:
        table = json.loads((build / "table.json").read_text(encoding="utf-8"))
        chunk_index = faiss.read_index(str(build / "chunks.faiss"))
        if isinstance(chunk_index, faiss.IndexIVF):
            chunk_index.nprobe = max(chunk_index.nprobe, 16)
        sentence_vectors = np.load(build / "sentences.npy")
        documents = {d["doc"]: Document(**{**d, "headings": tuple(map(tuple, d["headings"]))})
                     for d in table["documents"]}
        chunks = tuple(Chunk(**c) for c in table["chunks"])
        sentences = tuple(Sentence(**{**s, "entities": tuple(Entity(**e) for e in s["entities"])})
                          for s in table["sentences"])
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:
        raise IndexCorrupt(f"The index in {build} cannot be read ({type(e).__name__}). {fix}") from None
    if chunk_index.ntotal != len(chunks) or len(sentence_vectors) != len(sentences):
        raise IndexCorrupt(f"The index in {build} does not match its tables. {fix}")
    return Index(build, manifest, documents, chunks, sentences, chunk_index, sentence_vectors)


def ensure_index(settings: Settings, encoder: Encoder | None = None) -> Index:
    """Load the index, building or rebuilding it first when missing, stale or broken.

    Raises:
        IndexStale: the index does not match the settings and there is no corpus to rebuild from.
        IndexMissing: there is no index and no corpus.
        CorpusError: the corpus cannot be built.
    """
    has_corpus = settings.raw_dir.is_dir()
    try:
        reason = stale_reason(settings)
    except IndexCorrupt:
        reason = "manifest unreadable"
    if reason is not None:
        if not has_corpus:
            if reason == "no index yet":
                raise IndexMissing(f"No index in {settings.index_dir} and no articles in "
                                   f"{settings.raw_dir}. Add articles, then run: rag build")
            raise IndexStale(f"The index in {settings.index_dir} was built with other settings "
                             f"({reason}) and {settings.raw_dir} is missing, so it cannot be rebuilt.")
        build_index(settings, force=reason == "manifest unreadable", encoder=encoder)
    try:
        index = load_index(settings.index_dir)
    except IndexCorrupt as e:
        if not has_corpus:
            raise
        log.warning("%s Rebuilding.", e)
        build_index(settings, force=True, encoder=encoder)
        index = load_index(settings.index_dir)
    _restore_clean_files(settings, index)
    return index


def _restore_clean_files(settings: Settings, index: Index) -> None:
    """clean/<doc>.txt must hold the text the offsets point into: rewrite it if it drifted."""
    if not settings.corpus_dir.is_dir():
        return
    settings.clean_dir.mkdir(parents=True, exist_ok=True)
    for document in index.documents.values():
        path = settings.clean_dir / f"{document.doc}.txt"
        try:
            if path.read_text(encoding="utf-8") == document.text:
                continue
        except (OSError, UnicodeDecodeError):
            pass
        atomic_write(path, document.text)
