import json
import shutil

import pytest

from rag import Chatbot, CorpusError, IndexCorrupt, IndexMissing, IndexStale, Settings
from rag.build import build_index, ensure_index, stale_reason
from rag.index import load_index, read_manifest
from rag.store import POINTER


def test_manifest_records_what_the_index_was_built_from(bot):
    manifest = bot.index.manifest
    assert manifest["format_version"] == 3
    assert manifest["store"]["uri"] == manifest["params"]["store"] == bot.settings.store
    assert manifest["params"]["model"] == "all-MiniLM-L6-v2"
    assert manifest["params"]["chunk_tokens"] == bot.settings.chunk_tokens
    assert manifest["counts"]["chunks"] == len(bot.index.chunks)
    for doc in ("zte-kerfuffle", "harbor-bike-lanes", "tidepool-survey"):
        assert len(manifest["documents"][doc]["clean_sha256"]) == 64
    assert manifest["built_at"] and manifest["build_seconds"] > 0


def test_clean_files_and_reports_written(bot):
    for doc in bot.documents:
        assert (bot.settings.clean_dir / f"{doc}.txt").is_file()
        assert (bot.settings.clean_dir / f"{doc}.report.md").is_file()


def test_rebuild_only_when_the_corpus_changes(fresh_corpus, encoder):
    first = build_index(fresh_corpus, encoder=encoder)
    assert first.built and first.embedded_chunks == first.chunks
    again = build_index(fresh_corpus, encoder=encoder)
    assert not again.built and again.reason == "up to date"
    raw = fresh_corpus.raw_dir / "zte-kerfuffle.txt"
    raw.write_text(raw.read_text(encoding="utf-8").replace("Context is Key", "Context Is Key"),
                   encoding="utf-8")
    assert stale_reason(fresh_corpus) == "zte-kerfuffle.txt changed"
    changed = build_index(fresh_corpus, encoder=encoder)
    assert changed.built
    assert "Context Is Key" in (fresh_corpus.clean_dir / "zte-kerfuffle.txt").read_text(encoding="utf-8")
    forced = build_index(fresh_corpus, force=True, encoder=encoder)
    assert forced.built and forced.reason == "forced"


def test_settings_change_makes_the_index_stale(fresh_corpus, encoder):
    import dataclasses

    build_index(fresh_corpus, encoder=encoder)
    smaller = dataclasses.replace(fresh_corpus, chunk_tokens=100)
    assert stale_reason(smaller).startswith("chunk_tokens changed")
    bot = Chatbot(smaller, encoder=encoder)  # load() rebuilds
    assert all(c.tokens <= 100 for c in bot.index.chunks)


def test_unchanged_documents_keep_their_vectors(fresh_corpus, encoder):
    build_index(fresh_corpus, encoder=encoder)
    (fresh_corpus.raw_dir / "note.txt").write_text(
        "A Short Note\n\nThe harbor ferry will run every twenty minutes starting in June.\n",
        encoding="utf-8")
    report = build_index(fresh_corpus, encoder=encoder)
    assert report.built and report.documents == 2
    assert report.embedded_chunks == 1  # only the new note


def test_failed_build_leaves_the_previous_index(fresh_corpus, encoder):
    build_index(fresh_corpus, encoder=encoder)
    before = read_manifest(fresh_corpus.index_dir)

    class Exploding:
        def encode(self, texts, **_):
            raise KeyboardInterrupt  # like Ctrl-C in the middle of embedding

    (fresh_corpus.raw_dir / "note.txt").write_text("A Note\n\nThe ferry runs at noon daily.\n",
                                                   encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        build_index(fresh_corpus, force=True, encoder=Exploding())
    assert read_manifest(fresh_corpus.index_dir) == before
    index = load_index(fresh_corpus.index_dir)
    assert set(index.documents) == {"zte-kerfuffle"}
    assert not list(fresh_corpus.index_dir.glob(".tmp-*"))


def test_truncated_index_file_is_detected_and_rebuilt(fresh_corpus, encoder):
    build_index(fresh_corpus, encoder=encoder)
    live = fresh_corpus.index_dir / (fresh_corpus.index_dir / POINTER).read_text().strip()
    data = (live / "table.json").read_bytes()  # every store keeps its table here
    (live / "table.json").write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorrupt, match="truncated or altered"):
        load_index(fresh_corpus.index_dir)
    index = ensure_index(fresh_corpus, encoder)  # the corpus is at hand: rebuilt
    assert index.chunks


def test_missing_index_without_corpus(tmp_path):
    settings = Settings(corpus_dir=tmp_path / "nothing", index_dir=tmp_path / "index")
    with pytest.raises(IndexMissing, match="rag build"):
        ensure_index(settings)


def test_stale_index_without_corpus_is_an_error(fresh_corpus, encoder):
    import dataclasses

    build_index(fresh_corpus, encoder=encoder)
    shutil.rmtree(fresh_corpus.corpus_dir)
    with pytest.raises(IndexStale):
        ensure_index(dataclasses.replace(fresh_corpus, chunk_tokens=64), encoder)
    assert ensure_index(fresh_corpus, encoder).chunks  # still usable as built


@pytest.mark.parametrize("content, message", [
    (None, "No articles"),
    (b"", "is empty"),
    (b"   \n\n  ", "is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
])
def test_unusable_corpus_gives_a_clear_error(tmp_path, content, message):
    raw = tmp_path / "corpus" / "raw"
    raw.mkdir(parents=True)
    if content is not None:
        (raw / "article.txt").write_bytes(content)
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    with pytest.raises(CorpusError, match=message):
        build_index(settings)
    assert not (tmp_path / "index" / POINTER).exists()


def test_bad_file_is_skipped_beside_good_ones(fresh_corpus, encoder):
    (fresh_corpus.raw_dir / "empty.txt").write_bytes(b"")
    (fresh_corpus.raw_dir / "photo.html").write_bytes(b"\x00\x01\x02binary")
    report = build_index(fresh_corpus, encoder=encoder)
    assert report.documents == 1
    assert any("empty.txt" in s for s in report.skipped)
    assert any("binary" in s for s in report.skipped)
    assert not build_index(fresh_corpus, encoder=encoder).built  # skipped files are remembered


def test_windows_1252_file_is_decoded(fresh_corpus, encoder):
    text = "Caf\u00e9 Owners Protest\n\nThe caf\u00e9 owners said the \u201cnew rules\u201d hurt sales.\n"
    (fresh_corpus.raw_dir / "cafe.txt").write_bytes(text.encode("cp1252"))
    build_index(fresh_corpus, encoder=encoder)
    clean = (fresh_corpus.clean_dir / "cafe.txt").read_text(encoding="utf-8")
    assert "The café owners said the “new rules” hurt sales." in clean


def test_duplicate_documents_are_indexed_once(fresh_corpus, encoder):
    shutil.copy(fresh_corpus.raw_dir / "zte-kerfuffle.txt", fresh_corpus.raw_dir / "copy.txt")
    report = build_index(fresh_corpus, encoder=encoder)
    assert report.documents == 1
    assert any("same text as" in s for s in report.skipped)


def test_manifest_is_valid_json_listing_file_hashes(bot):
    manifest = json.loads((bot.index.path / "manifest.json").read_text(encoding="utf-8"))
    store_files = {"chunks.faiss", "store.npz"} if bot.settings.store == "faiss" else set()
    assert set(manifest["files"]) == {"table.json"} | store_files


def test_loading_never_writes_and_edited_clean_text_is_rebuilt(fresh_corpus, encoder):
    build_index(fresh_corpus, encoder=encoder)
    clean = fresh_corpus.clean_dir / "zte-kerfuffle.txt"
    before = clean.read_text(encoding="utf-8")
    stamp = clean.stat().st_mtime_ns
    Chatbot(fresh_corpus)  # an up-to-date index: loading reads only
    assert clean.stat().st_mtime_ns == stamp
    clean.write_text("edited by hand", encoding="utf-8")
    assert stale_reason(fresh_corpus) == "clean/zte-kerfuffle.txt is missing or was edited"
    report = build_index(fresh_corpus, encoder=encoder)
    assert report.built and report.embedded_chunks == 0  # nothing re-embedded
    assert clean.read_text(encoding="utf-8") == before


def test_large_corpora_use_ivf_with_the_same_answers(fresh_corpus, encoder):
    import dataclasses

    import faiss

    approximate = dataclasses.replace(fresh_corpus, ivf_from_chunks=1, store="faiss")
    build_index(approximate, encoder=encoder)
    bot = Chatbot(approximate)
    assert isinstance(bot.index.store.faiss_index, faiss.IndexIVF)
    assert bot.index.manifest["params"]["ivf_nprobe"] == 16
    assert "Betsy Cooper, a cybersecurity researcher" in bot.ask("Who is Betsy Cooper?").answer
