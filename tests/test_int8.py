import numpy as np

from rag import int8
from rag.embed import OnnxEncoder

TEXTS = ["The council bought a backup battery.", "Who was the lead researcher?"]


def test_the_model_is_made_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_CACHE", str(tmp_path / "cache"))
    first = int8.model_file()
    assert first.parent == tmp_path / "cache" and first.stat().st_size > 10_000_000
    made_at = first.stat().st_mtime_ns
    assert int8.model_file() == first and first.stat().st_mtime_ns == made_at
    assert [p.name for p in first.parent.iterdir()] == [first.name]  # no partial files left


def test_a_damaged_kept_model_is_made_again(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("RAG_CACHE", str(tmp_path))
    expected = OnnxEncoder().encode(TEXTS)
    kept = int8.model_file()
    kept.write_bytes(kept.read_bytes()[:1000])  # cut short, as by a full disk
    assert np.array_equal(OnnxEncoder().encode(TEXTS), expected)
    assert "cannot be loaded" in caplog.text and kept.stat().st_size > 10_000_000


def test_a_cache_path_that_is_a_file_still_encodes(tmp_path, monkeypatch, caplog):
    (tmp_path / "cache").write_text("not a folder")
    monkeypatch.setenv("RAG_CACHE", str(tmp_path / "cache"))
    assert isinstance(int8.model_file(), bytes)
    assert OnnxEncoder().encode(TEXTS).shape == (2, 384)
    assert "Set RAG_CACHE to a writable folder" in caplog.text
    assert (tmp_path / "cache").read_text() == "not a folder"
