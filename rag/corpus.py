"""Read articles from corpus/raw and write their cleaned text to corpus/clean.

A document's id comes from its file name, made safe (lower case, letters, digits, '-'
and '_'), and is unique in the corpus: see assign_ids. Raw files are never modified, links
and special files are never followed, and a file is never read past the size limit.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout
from slugify import slugify

from rag.clean import Cleaned, clean_markdown, clean_text
from rag.clean_html import clean_html
from rag.config import ARTICLE_KINDS as KINDS
from rag.config import ARTICLE_SUFFIXES as SUFFIXES
from rag.errors import ConfigError, CorpusError, IndexBusy, IndexWriteError

log = logging.getLogger(__name__)

ADDED, DUPLICATE, SKIPPED = "added", "duplicate", "skipped"


@dataclass(frozen=True)
class RawDoc:
    doc: str  # id
    path: Path
    text: str  # decoded
    sha256: str  # of the raw bytes


@dataclass(frozen=True)
class Added:
    """What happened to one file given to add_files."""

    source: Path  # the file as given
    status: str  # ADDED, DUPLICATE (the same bytes are already in raw/) or SKIPPED
    target: Path | None = None  # its copy in raw/, or the file already there; None if skipped
    reason: str = ""  # why it was skipped

    def __str__(self) -> str:
        if self.status == ADDED:
            return f"added {self.source.name} as {self.target.name}"
        if self.status == DUPLICATE:
            return f"{self.source.name} is already in the corpus as {self.target.name}"
        return f"skipped {self.source}: {self.reason}"


def doc_id(name: str) -> str:
    """A safe document id from a file name, letters of any script kept readable:
    'My Story (1).html' -> 'my-story-1', 'Café.txt' -> 'café', '贝茜.txt' -> '贝茜'."""
    stem = Path(name).name.rsplit(".", 1)[0] if "." in Path(name).name else Path(name).name
    slug = slugify(stem, allow_unicode=True, max_length=80, regex_pattern=r"[^\w-]+")
    return slug.strip("-_") or "article"


def assign_ids(names: list[str], previous: dict[str, str]) -> dict[str, str]:
    """A unique, stable id for each raw file name.

    A file keeps the id it had (`previous`: file name -> id). A new file gets its name's
    slug when no other file has or claims it, else the slug with the first free number
    ('Story.txt' and 'story.md' -> 'story' and 'story-2').
    """
    ids: dict[str, str] = {}
    for name in names:
        doc = previous.get(name)
        if doc and doc not in ids.values():
            ids[name] = doc
    new = [name for name in names if name not in ids]
    slugs = {name: doc_id(name) for name in new}
    claims = list(slugs.values())
    for name in new:
        if claims.count(slugs[name]) == 1 and slugs[name] not in ids.values():
            ids[name] = slugs[name]
    for name in new:
        number = 2
        while name not in ids:
            doc = f"{slugs[name]}-{number}"
            if doc not in ids.values() and doc not in claims:
                ids[name] = doc
            number += 1
    return {name: ids[name] for name in names}


def ensure_folder(path: Path, flag: str) -> Path:
    """Create folder `path` if needed.

    Raises:
        ConfigError: path or one of its parents is a file, or it cannot be created.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(f"{path} is a file, not a folder; give {flag} a folder.") from None
    except NotADirectoryError:
        raise ConfigError(f"A parent of {path} is a file; give {flag} a folder.") from None
    except OSError as e:
        raise ConfigError(f"Cannot create the folder {path}: {e.strerror or e}.") from None
    return path


def list_raw(raw_dir: Path) -> list[Path]:
    """The article files in raw_dir, sorted; links and special files are listed too, so
    that the build can say why it skips them.

    Raises CorpusError if there are none.
    """
    if raw_dir.exists() and not raw_dir.is_dir():
        raise CorpusError(f"{raw_dir} is a file, not a folder of articles.")
    if not raw_dir.is_dir():
        raise CorpusError(f"No corpus folder at {raw_dir}. Put articles ({KINDS}) there.")
    files = sorted(p for p in raw_dir.iterdir() if p.suffix.lower() in SUFFIXES
                   and not p.name.startswith(".") and (p.is_symlink() or not p.is_dir()))
    if not files:
        raise CorpusError(f"No articles in {raw_dir}. Add {KINDS} files there.")
    return files


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file, never following a link nor reading past max_bytes.

    Raises CorpusError for a link, a special file, an unreadable or oversized file.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise CorpusError(f"{path.name} is a symbolic link; add the file it points to.") from None
        raise CorpusError(f"Cannot read {path}: {e.strerror or e}.") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise CorpusError(f"{path.name} is not a regular file.")
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > max_bytes:
            raise CorpusError(f"{path.name} is {info.st_size:,} bytes; the limit is {max_bytes:,}.")
        try:
            data = handle.read(max_bytes + 1)
        except OSError as e:
            raise CorpusError(f"Cannot read {path}: {e.strerror or e}.") from None
    if len(data) > max_bytes:
        raise CorpusError(f"{path.name} is over the limit of {max_bytes:,} bytes.")
    return data


def fingerprint(path: Path, max_bytes: int) -> str:
    """What identifies a raw file's content: the sha256 of its bytes or, for a file that is
    skipped without being read (link, special file, over the limit), its kind and size."""
    try:
        info = path.lstat()
    except OSError:
        return "missing"
    if not stat.S_ISREG(info.st_mode):
        return f"special:{stat.S_IFMT(info.st_mode)}"
    if info.st_size > max_bytes:
        return f"size:{info.st_size}"
    try:
        return file_sha256(path)
    except OSError:
        return "unreadable"


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def read_raw(path: Path, max_bytes: int, doc: str | None = None) -> RawDoc:
    """Read and decode one article; `doc` is its id (default: from its file name).

    Raises CorpusError for an empty, oversized, binary, linked or special file.
    """
    data = read_bytes(path, max_bytes)
    if not data.strip():
        raise CorpusError(f"{path.name} is empty.")
    return RawDoc(doc or doc_id(path.name), path, decode(data, path.name),
                  hashlib.sha256(data).hexdigest())


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, which covers most legacy exports."""
    if b"\x00" in data[:8192]:
        raise CorpusError(f"{name} is a binary file, not text.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise CorpusError(f"{name} is neither UTF-8 nor Windows-1252 text.") from None
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > len(text) * 0.01:
        raise CorpusError(f"{name} is a binary file, not text.")
    log.warning("%s is not UTF-8; decoded as Windows-1252", name)
    return text


def add_files(sources: list[Path], raw_dir: Path, max_bytes: int,
              timeout: float = 120.0) -> list[Added]:
    """Copy article files (or the articles in folders) into raw_dir under safe, unused names.

    Returns what happened to each file: added, a duplicate of a file already there, or
    skipped with the reason (type, link, special file, empty, binary, too large, missing).
    Only the file name's stem is kept, made safe, so no name can point outside raw_dir.
    Names are claimed under a lock and without replacing anything, so concurrent adds
    never overwrite each other.

    Raises:
        ConfigError: raw_dir or a parent of it is a file.
        IndexBusy: another add held the corpus lock for longer than `timeout` seconds.
    """
    files, results = _collect([Path(s) for s in sources])
    ensure_folder(raw_dir, "--corpus")
    with folder_lock(raw_dir, timeout, "adding articles to"):
        present = [p for p in raw_dir.iterdir() if not p.name.startswith(".")]
        taken = {doc_id(p.name) for p in present}
        # Only a file of the same size can hold the same bytes: a file is hashed only when
        # a new one has its size, and then once, so nothing else (and nothing oversized) is read.
        unhashed: dict[int, list[Path]] = {}
        for path in present:
            if path.is_file() and not path.is_symlink():
                unhashed.setdefault(path.stat().st_size, []).append(path)
        hashed: dict[tuple[int, str], Path] = {}
        for source in files:
            try:
                data = read_bytes(source, max_bytes)
                if not data.strip():
                    raise CorpusError(f"{source.name} is empty.")
                decode(data, source.name)  # refuses binary files up front
            except CorpusError as e:
                results.append(Added(source, SKIPPED, reason=str(e)))
                continue
            for path in unhashed.pop(len(data), []):
                hashed.setdefault((len(data), fingerprint(path, max_bytes)), path)
            key = (len(data), hashlib.sha256(data).hexdigest())
            if key in hashed:
                results.append(Added(source, DUPLICATE, hashed[key]))
                continue
            hashed[key] = _claim(raw_dir, source, data, taken)
            results.append(Added(source, ADDED, hashed[key]))
    return results


def _collect(sources: list[Path]) -> tuple[list[Path], list[Added]]:
    """The article files that sources name (for a folder, the articles directly in it), and
    the entries skipped on the way."""
    files: list[Path] = []
    skipped: list[Added] = []

    def consider(path: Path) -> None:
        if path.is_symlink():
            skipped.append(Added(path, SKIPPED, reason="it is a symbolic link (links are not followed)"))
        elif path.is_dir():
            skipped.append(Added(path, SKIPPED, reason="it is a folder inside a folder (not searched)"))
        elif not path.exists():
            skipped.append(Added(path, SKIPPED, reason="no such file or folder"))
        elif path.suffix.lower() not in SUFFIXES:
            skipped.append(Added(path, SKIPPED, reason=f"only {KINDS} articles can be added"))
        elif not path.is_file():
            skipped.append(Added(path, SKIPPED, reason="it is not a regular file"))
        else:
            files.append(path)

    for source in sources:
        if source.is_dir() and not source.is_symlink():
            entries = sorted(p for p in source.iterdir() if not p.name.startswith("."))
            if not entries:
                skipped.append(Added(source, SKIPPED, reason="the folder is empty"))
            for entry in entries:
                consider(entry)
        else:
            consider(source)
    return files, skipped


def _claim(raw_dir: Path, source: Path, data: bytes, taken: set[str]) -> Path:
    """Write data into raw_dir under the first unused id, never replacing a file."""
    suffix = source.suffix.lower()
    base = doc_id(source.name)
    fd, tmp = tempfile.mkstemp(dir=raw_dir, prefix=".adding-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        number = 1
        while True:
            doc = base if number == 1 else f"{base}-{number}"
            number += 1
            if doc in taken:
                continue
            target = raw_dir / f"{doc}{suffix}"
            try:
                os.link(tmp, target)  # fails when the name exists: nothing is ever replaced
            except FileExistsError:
                continue
            taken.add(doc)
            return target
    finally:
        Path(tmp).unlink(missing_ok=True)


@contextmanager
def folder_lock(folder: Path, timeout: float, doing: str):
    """Hold folder/.lock, waiting at most `timeout` seconds for another holder.

    Raises:
        IndexBusy: the lock was not free in time.
        IndexWriteError: the lock file cannot be created (a read-only folder).
    """
    lock = FileLock(folder / ".lock")
    try:
        try:
            lock.acquire(timeout=min(timeout, 1.0))
        except Timeout:
            log.warning("Waiting for another process that is %s %s ...", doing, folder)
            lock.acquire(timeout=max(timeout - 1.0, 0.0))
    except Timeout:
        raise IndexBusy(f"Another process has been {doing} {folder} for over {timeout:.0f} s; "
                        "try again when it has finished.") from None
    except OSError as e:
        raise IndexWriteError(f"Cannot lock {folder}: {e.strerror or e}.") from None
    try:
        yield
    finally:
        lock.release()


def clean_doc(raw: RawDoc) -> Cleaned:
    """Clean one raw document. Raises CorpusError when nothing of the article is left."""
    is_html = raw.path.suffix.lower() in (".html", ".htm") or raw.text.lstrip()[:20].lower(
    ).startswith(("<!doctype html", "<html"))
    if is_html:
        cleaned = clean_html(raw.text)
    elif raw.path.suffix.lower() == ".md":
        cleaned = clean_markdown(raw.text)
    else:
        cleaned = clean_text(raw.text)
    if not any(b.kind == "paragraph" for b in cleaned.blocks):
        raise CorpusError(f"{raw.path.name} has no article text left after cleaning.")
    return cleaned


def clean_files(clean_dir: Path, doc: str) -> tuple[Path, Path]:
    """Where article `doc`'s cleaned text (what quotes' offsets point into) and its cleaning
    report live: clean/<doc>.txt and clean/<doc>.report.md."""
    return clean_dir / f"{doc}.txt", clean_dir / f"{doc}.report.md"


def write_clean(clean_dir: Path, doc: str, cleaned: Cleaned) -> Path:
    """Write clean/<doc>.txt and clean/<doc>.report.md atomically."""
    ensure_folder(clean_dir, "--corpus")
    path, report = clean_files(clean_dir, doc)
    atomic_write(path, cleaned.text)
    atomic_write(report, cleaned.report())
    return path


def atomic_write(path: Path, text: str) -> None:
    """Replace path with text: a reader sees the old file or the new one, never a part."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
