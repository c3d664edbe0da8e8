"""Decide and run builds: corpus -> clean -> chunk -> embed -> store, only when needed.

A build runs when the corpus or the settings (model, chunking, store, ...) changed since the
live build's manifest; documents whose raw bytes are unchanged keep their vectors and ids.
A lock file keeps two builds from running at once. Loading goes through ensure_index, which
builds first when the index is missing, stale or broken, and falls back to the last good
index when it cannot. Storage is index.py's job (and the store's, see store.py).
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.chunk import (PARSER_VERSION, Chunk, Sentence, SentenceParser, chunk_sentences,
                       split_document)
from rag.clean import CLEANER_VERSION, HEADING, Cleaned
from rag.config import Settings
from rag.corpus import (RawDoc, assign_ids, atomic_write, clean_doc, clean_files, ensure_folder,
                        fingerprint, folder_lock, list_raw, read_raw, text_sha256, write_clean)
from rag.embed import OnnxEncoder, TokenVectors, TorchEncoder, make_encoder
from rag.errors import (CorpusError, IndexBusy, IndexCorrupt, IndexMissing, IndexStale,
                        IndexWriteError, RagError)
from rag.index import FORMAT_VERSION, Document, Index, check_index_folder, load_index, read_manifest
from rag.int8 import RECIPE
from rag.terms import ANALYZER_VERSION
from rag.vectors import (EmbeddingAhead, fill_vectors, pool_chunk_vectors, positions_by_doc,
                         store_and_switch)

log = logging.getLogger(__name__)



class Unbuilt(enum.Enum):
    """Why there is no live build to compare with; the value is the message users see."""
    NO_INDEX = "no index yet"
    UNREADABLE = "manifest unreadable"  # rebuild everything: nothing of it can be reused

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class BuildStep:
    """What a build is doing, for progress displays: `str(step)` is a line for a log or a
    terminal (empty for steps that only move a bar); `done` of `total` counts documents
    (cleaning, parsing) or texts (embedding), 0 of 0 when there is nothing to count."""
    stage: str  # "checking", "cleaning", "parsing", "embedding", "writing", "done", "skipped"
    message: str = ""
    done: int = 0
    total: int = 0
    within: float = 0.0  # parsing: the share of the current document parsed so far

    def __str__(self) -> str:
        return self.message


Progress = Callable[[BuildStep], None]


@dataclass(frozen=True)
class BuildReport:
    built: bool
    reason: str
    documents: int
    chunks: int
    sentences: int
    embedded_chunks: int  # chunks given new vectors by this build (reused ones are not)
    skipped: tuple[str, ...] = ()  # files left out, with why


def _expected_params(settings: Settings) -> dict:
    return {"model": settings.model, "encoder": settings.build_encoder, "int8_recipe": RECIPE,
            "chunk_tokens": settings.chunk_tokens, "ivf_from_chunks": settings.ivf_from_chunks,
            "ivf_nprobe": settings.ivf_nprobe,
            "chunk_overlap": settings.chunk_overlap, "cleaner_version": CLEANER_VERSION,
            "parser_version": PARSER_VERSION, "format_version": FORMAT_VERSION,
            "analyzer_version": ANALYZER_VERSION, "store": settings.store}


def stale_reason(settings: Settings, manifest: dict | None = None) -> str | Unbuilt | None:
    """Why the index must be rebuilt for this corpus and settings, or None if it is fresh.

    Raises IndexCorrupt when the live build's manifest cannot be read.
    """
    manifest = manifest if manifest is not None else read_manifest(settings.index_dir)
    if manifest is None:
        return Unbuilt.NO_INDEX
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
    for doc, entry in manifest["documents"].items():
        text_file, _ = clean_files(settings.clean_dir, doc)
        if fingerprint(text_file, settings.max_file_bytes * 4) != entry["clean_sha256"]:
            return f"clean/{doc}.txt is missing or was edited"
    return None


@contextmanager
def build_lock(settings: Settings):
    """Hold the index folder's lock while a build runs; others wait up to lock_timeout.

    Raises:
        ConfigError: the index folder is a file or holds things other than an index.
        IndexBusy: another build held the lock past settings.lock_timeout.
        IndexWriteError: the folder is read-only.
    """
    check_index_folder(settings.index_dir)
    ensure_folder(settings.index_dir, "--index")
    with folder_lock(settings.index_dir, settings.lock_timeout, "building the index in"):
        yield


def build_index(settings: Settings, force: bool = False,
                encoder: TorchEncoder | OnnxEncoder | None = None,
                progress: Progress | None = None,
                splitter: SentenceParser | None = None) -> BuildReport:
    """Build the index when the corpus or settings changed; force=True rebuilds everything.

    Unless forced, documents whose raw bytes are unchanged keep their vectors. A document
    that cannot be read or processed is skipped with its reason; the others are indexed.
    A long-running process passes its `encoder` and `splitter` so that models load once.

    Raises:
        CorpusError: the corpus folder is missing, empty, or no article has text.
        ConfigError: the index folder is a file or holds things other than an index.
        IndexBusy: another build held the lock for longer than settings.lock_timeout.
        IndexWriteError: the index or the cleaned text cannot be written (read-only, disk full).
    """
    started = time.perf_counter()
    say = progress or _log_step
    with build_lock(settings):
        try:
            manifest = read_manifest(settings.index_dir)
            reason = Unbuilt.NO_INDEX if manifest is None else stale_reason(settings, manifest)
        except IndexCorrupt:
            manifest, reason = None, Unbuilt.UNREADABLE
        reason = "forced" if force else reason
        if reason is None:
            counts = manifest["counts"]
            return BuildReport(False, "up to date", counts["documents"], counts["chunks"],
                               counts["sentences"], 0)
        previous = None if force else _reusable(settings, manifest)
        say(BuildStep("checking", f"Building index: {reason}"))
        try:
            encoder = encoder or make_encoder(settings.model, settings.build_encoder,
                                              for_builds=True)
            with _embedding_ahead(encoder) as ahead:
                return _build(settings, manifest, previous, encoder, splitter or SentenceParser(),
                              str(reason), say, started, ahead)
        except OSError as e:
            where = e.filename or settings.index_dir
            raise IndexWriteError(f"Cannot write {where}: {e.strerror or e}. The last good index "
                                  "is kept.") from None


def _embedding_ahead(encoder) -> EmbeddingAhead | nullcontext:
    """Embedding while parsing pays on this machine's cores only: a Ray engine's workers
    are elsewhere and take whole batches better."""
    if isinstance(encoder, (OnnxEncoder, TorchEncoder)):
        # Not torch's: loading spaCy keeps torch out of sys.modules for a moment
        # (chunk._import_without_torch), so the torch model loads after it, with the first batch.
        return EmbeddingAhead(encoder, preload=isinstance(encoder, OnnxEncoder))
    return nullcontext()


def _reusable(settings: Settings, manifest: dict | None) -> Index | None:
    """The live index, when its vectors can be reused by this build."""
    if manifest is None or manifest.get("params") != _expected_params(settings):
        return None
    try:
        return load_index(settings.index_dir, settings)
    except RagError:
        return None


def raw_files(settings: Settings, manifest: dict | None) -> tuple[list[Path], dict[str, str]]:
    """The raw files and the id of each (file name -> id): indexed files keep theirs."""
    paths = list_raw(settings.raw_dir)
    known = {entry["source"]: doc for doc, entry in (manifest or {}).get("documents", {}).items()}
    return paths, assign_ids([p.name for p in paths], known)


def _in_build_order(paths: list[Path], manifest: dict | None) -> list[Path]:
    """Indexed files first, oldest first, then new ones by time: when two hold the same
    text, the one that was there first keeps its place and the newcomer is the duplicate."""
    added = {entry["source"]: entry["added"] for entry in (manifest or {}).get("documents", {}).values()}

    def key(path: Path):
        try:
            mtime = path.lstat().st_mtime
        except OSError:
            mtime = 0.0
        return (path.name not in added, added.get(path.name, ""), mtime, path.name)

    return sorted(paths, key=key)


def _build(settings: Settings, manifest: dict | None, previous: Index | None,
           encoder: TorchEncoder | OnnxEncoder, splitter: SentenceParser, reason: str,
           say: Progress, started: float, ahead: EmbeddingAhead | None = None) -> BuildReport:
    documents: dict[str, Document] = {}
    cleaned_texts: dict[str, Cleaned] = {}  # written once the document is kept
    chunks: list[Chunk] = []
    sentences: list[Sentence] = []
    chunk_vectors: list[np.ndarray | None] = []  # per document: reused vectors or None
    sentence_vectors: list[np.ndarray | None] = []
    sentence_tokens: list[TokenVectors | None] = []
    skipped: dict[str, dict] = {}  # file name -> reason and fingerprint
    seen_content: dict[str, str] = {}
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    old_chunks = positions_by_doc(previous.chunks) if previous else {}
    old_sentences = positions_by_doc(previous.sentences) if previous else {}
    paths, ids = raw_files(settings, manifest)
    ordered = _in_build_order(paths, manifest)
    for number, path in enumerate(ordered):
        doc = ids[path.name]
        try:
            raw = read_raw(path, settings.max_file_bytes, doc)
        except CorpusError as e:
            skipped[path.name] = _skip(path, settings, str(e), say)
            continue
        old = previous.documents.get(doc) if previous else None
        if old is not None and old.raw_sha256 == raw.sha256 and old.source == path.name:
            chunk_ids, sentence_ids = old_chunks[doc], old_sentences[doc]
            doc_chunks = [previous.chunks[i] for i in chunk_ids]
            doc_sentences = [previous.sentences[i] for i in sentence_ids]
            document = old
            vectors = (previous.store.chunk_vectors(chunk_ids),
                       previous.sentence_vectors[sentence_ids],
                       previous.sentence_tokens.take(sentence_ids))
        else:
            try:
                cleaned, doc_sentences, doc_chunks = _process(raw, splitter, settings, say,
                                                              number, len(ordered), ahead)
            except CorpusError as e:
                skipped[path.name] = _skip(path, settings, str(e), say)
                continue
            except Exception as e:  # noqa: BLE001 - one bad article must not block the corpus
                log.warning("Could not process %s", path.name, exc_info=True)
                skipped[path.name] = _skip(path, settings, f"{path.name} could not be processed "
                                           f"({type(e).__name__}: {str(e)[:120]})", say)
                continue
            document = Document(doc, cleaned.title, path.name, cleaned.text, raw.sha256,
                                text_sha256(cleaned.text), old.added if old else now,
                                tuple((b.start, b.end) for b in cleaned.blocks if b.kind == HEADING))
            cleaned_texts[doc] = cleaned
            vectors = (None, None, None)
        if document.clean_sha256 in seen_content:
            skipped[path.name] = _skip(path, settings,
                                       f"same text as {seen_content[document.clean_sha256]}", say)
            continue
        seen_content[document.clean_sha256] = path.name
        documents[doc] = document
        chunks.extend(doc_chunks)
        sentences.extend(doc_sentences)
        chunk_vectors.append(vectors[0])
        sentence_vectors.append(vectors[1])
        sentence_tokens.append(vectors[2])
        say(BuildStep("parsing", f"  {doc}: {len(doc_chunks)} chunks, {len(doc_sentences)} "
                      "sentences" + (" (unchanged)" if vectors[0] is not None else ""),
                      number + 1, len(ordered)))
    if not documents:
        raise CorpusError(f"No article in {settings.raw_dir} has text to index: "
                          + "; ".join(entry["reason"] for entry in skipped.values()))
    fresh = {doc for doc, vectors in zip(documents, chunk_vectors) if vectors is None}
    if fresh:
        say(BuildStep("embedding", f"  embedding {sum(s.doc in fresh for s in sentences)} "
                      f"sentences of {len(fresh)} article{'s' * (len(fresh) != 1)} ..."))
    sentence_matrix, token_parts, _ = fill_vectors(
        encoder, documents, sentences, sentence_vectors, sentence_tokens,
        lambda done, total: say(BuildStep("embedding", "", done, total)), ahead)
    chunk_matrix, embedded = pool_chunk_vectors(documents, chunks, sentences, sentence_matrix,
                                                chunk_vectors)
    for doc, document in documents.items():  # the text every quote's offsets point into
        if doc in cleaned_texts:
            write_clean(settings.clean_dir, doc, cleaned_texts[doc])
            continue
        text_file, _ = clean_files(settings.clean_dir, doc)
        if fingerprint(text_file, settings.max_file_bytes * 4) != document.clean_sha256:
            atomic_write(text_file, document.text)
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
    say(BuildStep("writing", f"  writing {len(chunks)} chunks and {len(sentences)} sentences "
                  f"to {settings.store} ..."))
    store_and_switch(settings, manifest, documents, chunks, sentences, chunk_matrix,
                     sentence_matrix, token_parts, started)
    _remove_stale_clean_files(settings, documents)
    say(BuildStep("done", f"Index written: {len(documents)} documents, {len(chunks)} chunks "
                  f"({embedded} new), {len(sentences)} sentences in "
                  f"{manifest['build_seconds']:.1f} s"))
    return BuildReport(True, reason, len(documents), len(chunks), len(sentences), embedded,
                       tuple(f"{k}: {v['reason']}" for k, v in skipped.items()))


def _process(raw: RawDoc, splitter: SentenceParser, settings: Settings, say: Progress,
             number: int, documents: int, ahead: EmbeddingAhead | None = None
             ) -> tuple[Cleaned, list[Sentence], list[Chunk]]:
    """Clean, split and chunk one document (the `number`th of `documents`); its sentences
    go to `ahead` as they are found."""
    say(BuildStep("cleaning", "", number, documents))
    if ahead is not None:
        ahead.expect()
    cleaned = clean_doc(raw)
    if not splitter.loaded:
        say(BuildStep("parsing", "  loading the sentence parser ...", number, documents))
    say(BuildStep("parsing", "", number, documents))
    shown = 0.0

    def found(texts: list[str], share: float) -> None:
        nonlocal shown
        if ahead is not None:
            ahead.add(texts)
        if share - shown >= 0.01 or (share == 1.0 and shown < 1.0):  # long articles: 100 steps
            shown = share
            say(BuildStep("parsing", "", number, documents, share))

    sentences = split_document(raw.doc, cleaned.text, cleaned.blocks, splitter, found)
    chunks = chunk_sentences(cleaned.text, sentences, splitter, settings.chunk_tokens,
                             settings.chunk_overlap)
    return cleaned, sentences, chunks


def _log_step(step: BuildStep) -> None:
    if step.message:
        log.info("%s", step.message)


def _skip(path: Path, settings: Settings, reason: str, say: Progress) -> dict:
    say(BuildStep("skipped", f"  skipped {path.name}: {reason}"))
    return {"reason": reason, "fingerprint": fingerprint(path, settings.max_file_bytes)}


def _remove_stale_clean_files(settings: Settings, documents: dict[str, Document]) -> None:
    for path in settings.clean_dir.glob("*.txt"):
        if path.stem not in documents:
            for stale in clean_files(settings.clean_dir, path.stem):
                stale.unlink(missing_ok=True)


def ensure_index(settings: Settings, encoder: TorchEncoder | OnnxEncoder | None = None,
                 splitter: SentenceParser | None = None,
                 progress: Progress | None = None) -> Index:
    """Load the index, building or rebuilding it first when missing, stale or broken.

    When the rebuild cannot happen (another build holds the lock past the timeout, the
    folder is read-only, the disk is full) the last good index answers, with a warning.

    Raises:
        ConfigError: the index folder is a file or holds things other than an index.
        IndexStale: the index does not match the settings and there is no corpus to rebuild from.
        IndexMissing: there is no index and no corpus.
        CorpusError: the corpus cannot be built and there is no index.
        IndexBusy, IndexWriteError: the index cannot be built and there is none to fall back on.
    """
    check_index_folder(settings.index_dir)
    has_corpus = settings.raw_dir.is_dir()
    try:
        reason = stale_reason(settings)
    except IndexCorrupt:
        reason = Unbuilt.UNREADABLE
    if reason is not None:
        if not has_corpus:
            if reason is Unbuilt.NO_INDEX:
                raise IndexMissing(f"No index in {settings.index_dir} and no articles in "
                                   f"{settings.raw_dir}. Add articles, then run: rag build")
            raise IndexStale(f"The index in {settings.index_dir} was built with other settings "
                             f"({reason}) and {settings.raw_dir} is missing, so it cannot be rebuilt.")
        try:
            build_index(settings, force=reason is Unbuilt.UNREADABLE, encoder=encoder, splitter=splitter,
                        progress=progress)
        except (IndexBusy, IndexWriteError) as e:
            fallback = _last_good(settings)
            if fallback is None:
                raise
            log.warning("%s Answering from the last good index (%s).", e, reason)
            return fallback
    try:
        index = load_index(settings.index_dir, settings)
    except IndexCorrupt as e:
        if not has_corpus:
            raise
        log.warning("%s Rebuilding.", e)
        build_index(settings, force=True, encoder=encoder, splitter=splitter)
        index = load_index(settings.index_dir, settings)
    return index


def _last_good(settings: Settings) -> Index | None:
    try:
        return load_index(settings.index_dir, settings)
    except RagError:
        return None


def remove_document(settings: Settings, doc: str,
                    progress: Progress | None = None) -> Path:
    """Delete the one raw file of article `doc` (its id in the index), then rebuild.

    Returns the removed file. Holds the build lock while it decides, so two removals or a
    removal and a build at once cannot delete the wrong file.

    Raises:
        CorpusError: no article has that id, or it is the only one.
        IndexBusy, IndexWriteError, ConfigError: as build_index.
    """
    with build_lock(settings):
        try:
            manifest = read_manifest(settings.index_dir)
        except IndexCorrupt:
            manifest = None
        paths, ids = raw_files(settings, manifest)
        matches = [p for p in paths if ids[p.name] == doc]
        if not matches:
            raise CorpusError(f"No article {doc!r} in {settings.raw_dir}. See: rag list")
        if len(paths) == 1:
            raise CorpusError(f"{doc!r} is the only article; add another before removing it.")
        path = matches[0]
        try:
            path.unlink()
        except OSError as e:
            raise CorpusError(f"Cannot remove {path}: {e.strerror or e}.") from None
    build_index(settings, progress=progress)
    return path
