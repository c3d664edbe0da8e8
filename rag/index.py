"""The index on disk: one folder per build (manifest, table, and the FAISS store's files)
and a CURRENT file naming the live one; write a build, load the live one.

A build folder is written completely, then the store switches to it atomically (CURRENT,
and for Qdrant its collection aliases), so a build that is killed at any moment leaves the
previous index usable. Only folders this module wrote (named build-<time>-<hex>, with its
manifest inside) are ever deleted, and a folder holding anything else is refused as an
index folder. What to build and when is build.py's job.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rag.chunk import Chunk, Entity, Sentence
from rag.config import Settings, parse_store
from rag.corpus import file_sha256
from rag.embed import TokenVectors
from rag.errors import ConfigError, IndexCorrupt, IndexMissing, RagError
from rag.store import BuildStore, Store, open_store, read_pointer

FORMAT_VERSION = 4  # 3: vectors behind the Store seam, BM25 postings stored; 4: token vectors
TABLE = "table.json"
# Every sentence's token vectors (embed.TokenVectors), whatever the store: the int8 rows are
# memory-mapped on load, so a question touches only its candidates' pages.
TOKENS, TOKEN_SCALES = "tokens.npy", "token-scales.npz"
BUILD_NAME = re.compile(r"build-\d{8}T\d{6}-[0-9a-f]{6}")


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
    store: BuildStore  # chunk vectors, BM25 postings, sentence vectors; searched through it
    sentence_vectors: np.ndarray  # (len(sentences), dim), unit rows
    sentence_tokens: TokenVectors  # each sentence's token vectors, for late interaction


def new_build_name() -> str:
    return f"build-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"


def read_manifest(index_dir: Path) -> dict | None:
    """The live build's manifest, or None when there is no index yet.

    Raises IndexCorrupt when the pointer or the manifest is unreadable or ill-shaped.
    """
    live = _live_build(index_dir)
    return None if live is None else live[1]


def _live_build(index_dir: Path) -> tuple[Path, dict] | None:
    """(folder, manifest) of the build CURRENT names, or None when there is no index yet."""
    try:
        name = read_pointer(index_dir)
        if name is None:
            return None
        if not BUILD_NAME.fullmatch(name):
            raise ValueError("not a build name")
        manifest = _manifest_of(index_dir / name)
        if manifest is None:
            raise ValueError("no manifest")
    except (OSError, ValueError):
        raise IndexCorrupt(f"The index in {index_dir} has no readable manifest. "
                           "Run: rag build --force") from None
    return index_dir / name, manifest


def _manifest_of(build: Path) -> dict | None:
    """The manifest of a build folder, or None unless it is one this module wrote, whole."""
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    shapes = {"format_version": int, "params": dict, "counts": dict, "documents": dict,
              "skipped": dict, "files": dict, "store": dict}
    if not isinstance(manifest, dict) or not all(
            isinstance(manifest.get(key), kind) for key, kind in shapes.items()):
        return None
    documents_ok = all(isinstance(entry, dict) and all(isinstance(entry.get(key), str) for key in (
        "source", "title", "raw_sha256", "clean_sha256", "added")) and isinstance(
        entry.get("chunks"), int) for entry in manifest["documents"].values())
    skipped_ok = all(isinstance(entry, dict) and isinstance(entry.get("reason"), str)
                     and isinstance(entry.get("fingerprint"), str)
                     for entry in manifest["skipped"].values())
    counts_ok = all(isinstance(manifest["counts"].get(key), int)
                    for key in ("documents", "chunks", "sentences"))
    files_ok = TABLE in manifest["files"] and all(
        isinstance(entry, dict) for entry in manifest["files"].values())
    store_ok = isinstance(manifest["store"].get("uri"), str)
    ok = documents_ok and skipped_ok and counts_ok and files_ok and store_ok
    return manifest if ok else None


def check_index_folder(index_dir: Path) -> None:
    """Refuse a file, or a folder that holds things other than an index.

    Raises:
        ConfigError: index_dir is a file, or a non-empty folder that is not an index.
    """
    if index_dir.exists() and not index_dir.is_dir():
        raise ConfigError(f"{index_dir} is a file, not an index folder; give --index a folder.")
    if not index_dir.is_dir() or (index_dir / "CURRENT").exists():
        return
    foreign = sorted(p.name for p in index_dir.iterdir() if not p.name.startswith(".")
                     and not (BUILD_NAME.fullmatch(p.name) and _manifest_of(p) is not None))
    if foreign:
        raise ConfigError(f"{index_dir} holds other files ({', '.join(foreign[:3])}) and is not "
                          "an index; give --index an empty or new folder.")


def write_build(index_dir: Path, store: Store, name: str, vectors: BuildStore, manifest: dict,
                documents: dict[str, Document], chunks: list[Chunk],
                sentences: list[Sentence], sentence_tokens: Sequence[TokenVectors],
                dimension: int) -> None:
    """Write build `name` (its vectors already upserted into `vectors`), switch to it, and
    retire old builds. On any failure the half-written build is removed and the live one
    stays."""
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir(parents=True)
    try:
        table = {"documents": [asdict(d) for d in documents.values()],
                 "chunks": [asdict(c) for c in chunks],
                 "sentences": [asdict(s) for s in sentences]}
        (tmp / TABLE).write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
        _write_tokens(tmp, sentence_tokens, dimension)
        manifest["store"] = {"uri": store.spec.uri, **vectors.seal(tmp)}
        files = sorted(p.name for p in tmp.iterdir())
        manifest["files"] = {f: {"bytes": (tmp / f).stat().st_size, "sha256": file_sha256(tmp / f)}
                             for f in files}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False),
                                           encoding="utf-8")
        for f in (*files, "manifest.json"):
            with open(tmp / f, "rb") as handle:
                os.fsync(handle.fileno())
        os.rename(tmp, index_dir / name)
        store.switch(name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if read_pointer(index_dir) != name:
            shutil.rmtree(index_dir / name, ignore_errors=True)
            store.drop(name)
        raise
    _remove_old_builds(index_dir, store, keep={name})


def _is_build(path: Path) -> bool:
    """A build folder this module wrote: its name's pattern and a manifest inside."""
    return BUILD_NAME.fullmatch(path.name) is not None and (path / "manifest.json").is_file()


def _remove_old_builds(index_dir: Path, store: Store, keep: set[str]) -> None:
    """Remove this module's old builds (and their vectors in the store that holds them) and
    the leftovers of killed ones, keeping the live build and the one before."""
    builds = sorted((p for p in index_dir.iterdir() if p.is_dir() and not p.is_symlink()
                     and _is_build(p)), key=lambda p: p.stat().st_mtime)
    survivors = keep | {p.name for p in builds[-2:]}
    for path in builds:
        if path.name not in survivors:
            old = _manifest_of(path)
            if old is not None and old["store"]["uri"] == store.spec.uri:
                try:
                    store.drop(path.name)
                except RagError:
                    pass  # the store is gone; the folder still goes
            shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.iterdir():
        if (path.name.startswith(".tmp-") and BUILD_NAME.fullmatch(path.name[5:])
                and path.is_dir() and not path.is_symlink()):
            shutil.rmtree(path, ignore_errors=True)


def load_index(index_dir: Path, settings: Settings | None = None) -> Index:
    """Load the live index from the store its manifest names, checking every file.

    Raises:
        IndexMissing: nothing has been built in index_dir.
        IndexCorrupt: the pointer, the manifest, a file or the store's vectors are missing,
            truncated or altered.
        ConfigError: the manifest names a store that cannot be used here (no qdrant-client).
    """
    live = _live_build(index_dir)
    if live is None:
        raise IndexMissing(f"No index in {index_dir}. Run: rag build")
    build, manifest = live
    fix = "Run: rag build --force"
    for name, expected in manifest["files"].items():
        path = build / name
        if not path.is_file():
            raise IndexCorrupt(f"Index file {name} is missing in {build}. {fix}")
        if path.stat().st_size != expected.get("bytes") or file_sha256(path) != expected.get("sha256"):
            raise IndexCorrupt(f"Index file {name} is truncated or altered. {fix}")
    try:
        spec = parse_store(manifest["store"]["uri"])
    except ConfigError:
        raise IndexCorrupt(f"The index in {build} names an unknown store. {fix}") from None
    store = open_store(settings or Settings(index_dir=index_dir, store=spec.uri), spec)
    try:
        table = json.loads((build / TABLE).read_text(encoding="utf-8"))
        vectors = store.open(build.name, manifest["store"])
        sentence_vectors = vectors.sentence_vectors()
        documents = {d["doc"]: Document(**{**d, "headings": tuple(map(tuple, d["headings"]))})
                     for d in table["documents"]}
        chunks = tuple(Chunk(**c) for c in table["chunks"])
        sentences = tuple(Sentence(**{**s, "entities": tuple(Entity(**e) for e in s["entities"])})
                          for s in table["sentences"])
        tokens = _load_tokens(build, sentence_vectors.shape[1])
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, IndexError,
            zipfile.BadZipFile) as e:
        raise IndexCorrupt(f"The index in {build} cannot be read ({type(e).__name__}). {fix}") from None
    if len(sentence_vectors) != len(sentences) or len(tokens) != len(sentences):
        raise IndexCorrupt(f"The index in {build} does not match its tables. {fix}")
    return Index(build, manifest, documents, chunks, sentences, vectors, sentence_vectors, tokens)


def _write_tokens(folder: Path, parts: Sequence[TokenVectors], dimension: int) -> None:
    """The sentences' token vectors, given as consecutive parts, as one tokens.npy (written
    part by part: a reused part is read from the live index's file, not gathered in memory
    first) and token-scales.npz."""
    lengths = [int(part.offsets[-1]) for part in parts]
    if any(part.values.shape != (n, dimension) for part, n in zip(parts, lengths)):
        raise ValueError("token vectors do not match their offsets")
    with open(folder / TOKENS, "wb") as out:
        np.lib.format.write_array_header_1_0(out, {
            "descr": np.lib.format.dtype_to_descr(np.dtype(np.int8)), "fortran_order": False,
            "shape": (sum(lengths), dimension)})
        for part in parts:
            out.write(np.ascontiguousarray(part.values, dtype=np.int8))
    per_text = [np.diff(part.offsets) for part in parts]  # each text's token count
    offsets = np.concatenate([[0], np.cumsum(np.concatenate(per_text) if parts else [])])
    scales = (np.concatenate([part.scales for part in parts]) if parts
              else np.zeros(0, dtype=np.float32))
    np.savez(folder / TOKEN_SCALES, scales=scales, offsets=offsets.astype(np.int64))


def _load_tokens(build: Path, dimension: int) -> TokenVectors:
    with np.load(build / TOKEN_SCALES, allow_pickle=False) as data:
        scales, offsets = data["scales"], data["offsets"]
    values = np.load(build / TOKENS, mmap_mode="r", allow_pickle=False)
    if (values.ndim != 2 or values.dtype != np.int8 or values.shape[1] != dimension
            or scales.ndim != 1 or len(values) != len(scales)
            or offsets.ndim != 1 or len(offsets) == 0 or offsets[0] != 0
            or offsets[-1] != len(scales) or (np.diff(offsets) < 0).any()):
        raise ValueError("token vectors do not match their scales")
    return TokenVectors(values, scales, offsets)
