"""Library: the corpus side of the Chatbot facade. Builds the index, adds, removes and lists
articles, and tells what cleaning removed, all without a loaded index; Chatbot extends it
with questions. Results are frozen dataclasses for the interfaces to format.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rag.chunk import SentenceParser
from rag.clean import Cleaned
from rag.config import Settings
from rag.corpus import ADDED, SKIPPED, Added, add_files, clean_doc, read_raw
from rag.embed import OnnxEncoder, TorchEncoder, make_encoder
from rag.errors import ArgumentError, CorpusError, IndexMissing
from rag.build import BuildReport, Progress, build_index, remove_document
from rag.index import read_manifest

__all__ = ["Library", "Article", "SkippedFile", "FileAdded", "BuildReport"]


@dataclass(frozen=True)
class Article:
    """An indexed article, as `rag list` shows it."""

    doc: str  # its id: what `rag ask --doc` and `rag remove` take
    title: str
    source: str  # the file in corpus/raw it was read from
    chunks: int
    added: str  # ISO time it entered the index


@dataclass(frozen=True)
class SkippedFile:
    """A file in corpus/raw that the last build left out."""

    source: str
    reason: str


@dataclass(frozen=True)
class FileAdded:
    """What Chatbot.add did with one file.

    `status` is "added" (copied into corpus/raw), "duplicate" (the same bytes are there
    already) or "skipped" (not copied: `reason` says why). `doc` is the article's id once it
    is indexed; a copied file the build refused has doc None and the build's `reason`.
    """

    source: Path  # the file as given
    status: str
    target: Path | None = None  # its copy in corpus/raw, or the identical file already there
    doc: str | None = None
    reason: str = ""

    @property
    def skipped(self) -> bool:
        return self.status == SKIPPED

    @property
    def new(self) -> bool:
        """Copied into the corpus by this call."""
        return self.status == ADDED

    def __str__(self) -> str:
        return str(Added(self.source, self.status, self.target,
                         self.reason if self.skipped else ""))


class Library:
    """The articles of one corpus and the index built from them (settings.corpus_dir and
    settings.index_dir)."""

    def __init__(self, settings: Settings, encoder: TorchEncoder | OnnxEncoder | None = None):
        """`encoder` embeds the articles a build cleans; by default the int8 ONNX copy of
        the model (Settings.build_encoder), on every core."""
        self.settings = settings
        # Loads only if a build runs (an upload, a changed corpus), then stays loaded.
        self._build_encoder = encoder or make_encoder(settings.model, settings.build_encoder,
                                                      for_builds=True)
        self._splitter = SentenceParser()  # loads only if a build runs, then stays loaded

    def _index_changed(self) -> None:
        """Called once this object has rebuilt the index (Chatbot then loads it)."""

    def build(self, force: bool = False,
              progress: Progress | None = None) -> BuildReport:
        """Clean the articles in corpus/raw and (re)build the index when they changed (all
        of them with force=True); a loaded bot then answers from the new index.
        `progress` receives the build's steps.

        Raises:
            CorpusError: the corpus folder is missing, empty, or no article has text.
            ConfigError: the index folder is a file or holds things other than an index.
            IndexBusy: another build held the lock for longer than settings.lock_timeout.
            IndexWriteError: the index or the cleaned text cannot be written.
        """
        report = build_index(self.settings, force=force, encoder=self._build_encoder,
                             progress=progress, splitter=self._splitter)
        self._index_changed()
        return report

    def add(self, paths: Iterable[str | Path], progress: Progress | None = None,
            keep_refused: bool = True) -> tuple[FileAdded, ...]:
        """Copy article files (or the articles directly in folders) into corpus/raw and
        index them. Returns what happened to each file (those skipped on the way first):
        skipped files with why, and for the others the article id, or why the build refused
        the file (which is then deleted again unless keep_refused).

        Raises:
            ConfigError: the corpus folder or a parent of it is a file.
            IndexBusy: another add or build held the lock past settings.lock_timeout.
            IndexWriteError: the index cannot be written.
        """
        s = self.settings
        if isinstance(paths, (str, Path)):  # one file or folder
            paths = [paths]
        copied = add_files([Path(p) for p in paths], s.raw_dir, s.max_file_bytes,
                           s.lock_timeout)
        if any(r.status != SKIPPED for r in copied):  # a no-op when nothing changed
            self.build(progress=progress)
        manifest = read_manifest(s.index_dir) or {"documents": {}, "skipped": {}}
        ids = {entry["source"]: doc for doc, entry in manifest["documents"].items()}
        results = []
        for r in copied:
            if r.status == SKIPPED:
                results.append(FileAdded(r.source, r.status, reason=r.reason))
                continue
            doc = ids.get(r.target.name)
            reason = "" if doc else manifest["skipped"].get(r.target.name, {}).get(
                "reason", "not indexed yet")
            if doc is None and r.status == ADDED and not keep_refused and \
                    r.target.name in manifest["skipped"]:
                r.target.unlink(missing_ok=True)  # keep the corpus to what is indexed
            results.append(FileAdded(r.source, r.status, r.target, doc, reason))
        return tuple(results)

    def remove(self, doc: str, progress: Progress | None = None) -> Path:
        """Delete the one raw file of article `doc` and rebuild; returns that file.

        Raises:
            CorpusError: no article has that id, or it is the only one.
            ArgumentError: doc is not text.
            IndexBusy, IndexWriteError, ConfigError: as build().
        """
        path = remove_document(self.settings, article_id(doc), progress=progress)
        self._index_changed()
        return path

    def articles(self) -> tuple[Article, ...]:
        """The indexed articles, by id, as the index on disk lists them now (articles added
        by another process included).

        Raises:
            IndexMissing: nothing has been built yet.
            IndexCorrupt: the index's manifest is unreadable.
        """
        manifest = self._manifest()
        return tuple(Article(doc, e["title"], e["source"], e["chunks"], e["added"])
                     for doc, e in sorted(manifest["documents"].items()))

    def skipped_files(self) -> tuple[SkippedFile, ...]:
        """The files in corpus/raw that the last build left out, with why (raises as
        articles())."""
        return tuple(SkippedFile(name, entry["reason"])
                     for name, entry in self._manifest()["skipped"].items())

    def cleaning(self, doc: str) -> Cleaned:
        """What the cleaner kept of article `doc` and what it removed (`.removed`: site
        chrome, each with its reason).

        Raises:
            CorpusError: no indexed article has that id, or its file cannot be read.
            ArgumentError: doc is not text.
        """
        entry = self._manifest()["documents"].get(article_id(doc))
        if entry is None:
            raise CorpusError(f"No article {doc[:80]!r} is indexed. See: rag list")
        return clean_doc(read_raw(self.settings.raw_dir / entry["source"],
                                  self.settings.max_file_bytes, doc))

    def _manifest(self) -> dict:
        manifest = read_manifest(self.settings.index_dir)
        if manifest is None:
            raise IndexMissing(f"No index in {self.settings.index_dir}. Run: rag build")
        return manifest


def article_id(doc: object) -> str:
    """doc, checked to be text. Raises ArgumentError otherwise."""
    if not isinstance(doc, str):
        raise ArgumentError(f"doc must be an article id (text), got {type(doc).__name__}.")
    return doc
