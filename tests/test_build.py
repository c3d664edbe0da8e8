"""Builds: when one runs (corpus or settings changed), what it reuses, what it skips and
why, and that a failed or impossible build leaves the last good index answering."""

import dataclasses
import shutil

import numpy as np
import pytest

from rag import Chatbot, CorpusError, IndexMissing, IndexStale, Settings
from rag.embed import OnnxEncoder
from rag.build import BuildStep, Unbuilt, build_index, ensure_index, stale_reason
from rag.index import load_index, read_manifest
from rag.store import POINTER


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
        def encode_with_tokens(self, texts, **_):
            raise KeyboardInterrupt  # like Ctrl-C in the middle of embedding

    (fresh_corpus.raw_dir / "note.txt").write_text("A Note\n\nThe ferry runs at noon daily.\n",
                                                   encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        build_index(fresh_corpus, force=True, encoder=Exploding())
    assert read_manifest(fresh_corpus.index_dir) == before
    index = load_index(fresh_corpus.index_dir)
    assert set(index.documents) == {"zte-kerfuffle"}
    assert not list(fresh_corpus.index_dir.glob(".tmp-*"))


def test_missing_index_without_corpus(tmp_path):
    settings = Settings(corpus_dir=tmp_path / "nothing", index_dir=tmp_path / "index")
    with pytest.raises(IndexMissing, match="rag build"):
        ensure_index(settings)


def test_stale_index_without_corpus_is_an_error(fresh_corpus, encoder):

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


def test_why_a_build_starts_from_nothing_is_typed_and_reads_as_before(fresh_corpus, encoder):
    assert stale_reason(fresh_corpus) is Unbuilt.NO_INDEX
    first = build_index(fresh_corpus, encoder=encoder)
    assert first.reason == "no index yet" and first.embedded_chunks == first.chunks
    live = fresh_corpus.index_dir / (fresh_corpus.index_dir / POINTER).read_text().strip()
    (live / "manifest.json").write_text("{not json", encoding="utf-8")
    again = build_index(fresh_corpus, encoder=encoder)
    assert again.reason == "manifest unreadable" == str(Unbuilt.UNREADABLE)
    assert again.embedded_chunks == again.chunks  # nothing of an unreadable build is reused
    assert read_manifest(fresh_corpus.index_dir)["counts"]["chunks"] == again.chunks


def test_an_up_to_date_index_reports_its_counts_without_building(fresh_corpus, encoder):
    built = build_index(fresh_corpus, encoder=encoder)
    again = build_index(fresh_corpus, encoder=encoder)
    assert (again.documents, again.chunks, again.sentences) == (
        built.documents, built.chunks, built.sentences)
    assert not again.built and again.embedded_chunks == 0 and again.skipped == ()


def test_a_build_reports_its_stages_in_order_with_counts(fresh_corpus, encoder):
    (fresh_corpus.raw_dir / "note.txt").write_text(
        "A Short Note\n\nThe harbor ferry will run every twenty minutes starting in June.\n",
        encoding="utf-8")
    steps: list[BuildStep] = []
    build_index(fresh_corpus, encoder=encoder, progress=steps.append)
    stages = [s.stage for s in steps]
    order = ["checking", "cleaning", "parsing", "embedding", "writing", "done"]
    assert [stage for stage in dict.fromkeys(stages)] == order
    assert str(steps[0]).startswith("Building index") and str(steps[-1]).startswith("Index written")
    parsed = [s for s in steps if s.stage == "parsing" and s.message.startswith("  ")
              and "chunks" in s.message]
    assert [(s.done, s.total) for s in parsed] == [(1, 2), (2, 2)]
    embedding = [(s.done, s.total) for s in steps if s.stage == "embedding" and s.total]
    sentences = read_manifest(fresh_corpus.index_dir)["counts"]["sentences"]
    assert embedding and embedding[-1] == (sentences, sentences)
    assert all(not s.message for s in steps if s.total and s.stage in ("cleaning", "embedding"))


def test_a_long_article_is_embedded_while_it_is_parsed(tmp_path):
    class Recording(OnnxEncoder):
        def __init__(self):
            super().__init__(threads=2)
            self.calls: list[tuple[list[str], bool]] = []  # texts, whether parsing was over

        def encode_with_tokens(self, texts, **options):
            self.calls.append((list(texts), parsed_all.is_set()))
            return super().encode_with_tokens(texts, **options)

    import threading

    parsed_all = threading.Event()
    raw = tmp_path / "corpus" / "raw"
    raw.mkdir(parents=True)
    paragraphs = [f"Paragraph {n} says the ferry number {n} leaves pier {n % 7} at {n} o'clock. "
                  f"Its captain, Dana Ruiz {n}, has sailed for {n + 3} years." for n in range(150)]
    (raw / "ferries.txt").write_text("Ferries\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    encoder, steps = Recording(), []

    def progress(step: BuildStep) -> None:
        steps.append(step)
        if step.stage == "embedding":
            parsed_all.set()

    build_index(settings, encoder=encoder, progress=progress)
    within = [s.within for s in steps if s.stage == "parsing" and s.within]
    assert len(within) > 10 and within == sorted(within) and within[-1] == 1.0
    assert encoder.calls[0] == (["preload"], False)  # the model loaded while spaCy did
    batches = [(len(texts), after) for texts, after in encoder.calls if texts != ["preload"]]
    # handed over in batches while parsing went on; the rest (batches not started when it
    # was over, and the last few) embedded in one go afterwards, on every core
    during = [n for n, after in batches if not after]
    assert during and all(128 <= n < 140 for n in during)
    assert batches[-1][1] and [after for _, after in batches].count(True) == 1
    index = load_index(settings.index_dir)
    texts = [s.text for s in index.sentences]
    assert sorted(t for batch, _ in encoder.calls for t in batch if batch != ["preload"]) == sorted(texts)
    assert np.allclose(index.sentence_vectors, OnnxEncoder().encode(texts), atol=1e-5)
