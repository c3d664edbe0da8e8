"""Read articles from corpus/raw and write their cleaned text to corpus/clean.

A document's id is its file name without the extension, made safe (lower case, letters,
digits, '-' and '_'). Raw files are never modified.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rag.clean import Cleaned, clean_html, clean_markdown, clean_text
from rag.errors import CorpusError

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".html", ".htm")


@dataclass(frozen=True)
class RawDoc:
    doc: str  # id
    path: Path
    text: str  # decoded
    sha256: str  # of the raw bytes
    encoding: str


def doc_id(name: str) -> str:
    """A safe document id from a file name: 'My Story (1).html' -> 'my-story-1'."""
    stem = Path(name).name.rsplit(".", 1)[0] if "." in Path(name).name else Path(name).name
    slug = re.sub(r"[^a-z0-9_]+", "-", stem.lower()).strip("-_")
    return slug[:80] or "article"


def list_raw(raw_dir: Path) -> list[Path]:
    """The article files in raw_dir, sorted. Raises CorpusError if there are none."""
    if not raw_dir.is_dir():
        raise CorpusError(f"No corpus folder at {raw_dir}. Put articles (.txt, .md, .html) there.")
    files = sorted(p for p in raw_dir.iterdir()
                   if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith("."))
    if not files:
        raise CorpusError(f"No articles in {raw_dir}. Add .txt, .md or .html files there.")
    return files


def read_raw(path: Path, max_bytes: int) -> RawDoc:
    """Read and decode one article. Raises CorpusError for an empty, huge or binary file."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise CorpusError(f"{path.name} is {size:,} bytes; the limit is {max_bytes:,}.")
        data = path.read_bytes()
    except OSError as e:
        raise CorpusError(f"Cannot read {path}: {e.strerror or e}.") from None
    if not data.strip():
        raise CorpusError(f"{path.name} is empty.")
    text, encoding = decode(data, path.name)
    return RawDoc(doc_id(path.name), path, text, hashlib.sha256(data).hexdigest(), encoding)


def decode(data: bytes, name: str) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else Windows-1252, which covers most legacy exports."""
    if b"\x00" in data[:8192]:
        raise CorpusError(f"{name} is a binary file, not text.")
    try:
        return data.decode("utf-8-sig"), "utf-8"
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
    return text, "cp1252"


def add_files(sources: list[Path], raw_dir: Path, max_bytes: int) -> list[tuple[Path, str]]:
    """Copy article files (or the articles in folders) into raw_dir under safe names.

    Returns (copied path or None, what happened) per file. Only the file name's stem is
    kept, made safe, so no name can point outside raw_dir.
    Raises CorpusError for a missing source, an unsupported type, or an unreadable file.
    """
    files: list[Path] = []
    for source in map(Path, sources):
        if source.is_dir():
            found = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not found:
                raise CorpusError(f"No .txt, .md or .html files in {source}.")
            files += found
        elif source.is_file():
            if source.suffix.lower() not in SUFFIXES:
                raise CorpusError(f"{source.name}: only .txt, .md and .html articles can be added.")
            files.append(source)
        else:
            raise CorpusError(f"No such file or folder: {source}.")
    raw_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for source in files:
        raw = read_raw(source, max_bytes)  # refuses empty, huge and binary files up front
        suffix = ".htm" if source.suffix.lower() == ".htm" else source.suffix.lower()
        target = raw_dir / f"{raw.doc}{suffix}"
        same = [p for p in raw_dir.iterdir() if p.is_file()
                and hashlib.sha256(p.read_bytes()).hexdigest() == raw.sha256]
        if same:
            results.append((same[0], f"{source.name} is already in the corpus as {same[0].name}"))
            continue
        number = 2
        while target.exists() or any(doc_id(p.name) == doc_id(target.name) for p in raw_dir.iterdir()):
            target = raw_dir / f"{raw.doc}-{number}{suffix}"
            number += 1
        fd, tmp = tempfile.mkstemp(dir=raw_dir, prefix=".adding-")
        with os.fdopen(fd, "wb") as f:
            f.write(source.read_bytes())
        os.replace(tmp, target)
        results.append((target, f"added {source.name} as {target.name}"))
    return results


def remove_doc(doc: str, raw_dir: Path, clean_dir: Path) -> Path:
    """Delete the raw file of document `doc` and its cleaned text. Returns the raw path.

    Raises CorpusError when no article has that id.
    """
    articles = list_raw(raw_dir)
    matches = [p for p in articles if doc_id(p.name) == doc]
    if not matches:
        raise CorpusError(f"No article {doc!r} in {raw_dir}. See: rag list")
    if len(matches) == len(articles):
        raise CorpusError(f"{doc!r} is the only article; add another before removing it.")
    for path in matches:
        path.unlink()
    for name in (f"{doc}.txt", f"{doc}.report.md"):
        (clean_dir / name).unlink(missing_ok=True)
    return matches[0]


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


def write_clean(clean_dir: Path, doc: str, cleaned: Cleaned) -> Path:
    """Write clean/<doc>.txt and clean/<doc>.report.md atomically."""
    clean_dir.mkdir(parents=True, exist_ok=True)
    path = clean_dir / f"{doc}.txt"
    atomic_write(path, cleaned.text)
    atomic_write(clean_dir / f"{doc}.report.md", cleaned.report())
    return path


def atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
