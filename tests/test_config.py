"""Settings: defaults, folders as paths, and a ConfigError naming any impossible value."""

import dataclasses
from pathlib import Path

import pytest

from rag import ConfigError, RagError, Settings
from rag.config import ARTICLE_KINDS, ARTICLE_SUFFIXES


def test_defaults_are_the_documented_ones():
    s = Settings()
    assert (s.corpus_dir, s.index_dir) == (Path("corpus"), Path("index"))
    assert (s.chunk_tokens, s.top_k, s.rrf_k, s.max_quotes) == (200, 8, 60, 3)
    assert s.min_confidence is None  # the fitted threshold


def test_folders_become_paths_and_name_their_parts():
    s = Settings(corpus_dir="my/corpus", index_dir="my/index")
    assert s.corpus_dir == Path("my/corpus") and s.index_dir == Path("my/index")
    assert s.raw_dir == Path("my/corpus/raw") and s.clean_dir == Path("my/corpus/clean")


def test_settings_are_frozen_and_varied_with_replace():
    s = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.top_k = 4
    assert dataclasses.replace(s, top_k=4).top_k == 4 and s.top_k == 8


@pytest.mark.parametrize("fields, message", [
    ({"chunk_tokens": 8}, "chunk_tokens must be at least 16, got 8"),
    ({"chunk_overlap": 200}, "chunk_overlap must be between 0 and chunk_tokens, got 200"),
    ({"chunk_overlap": -1}, "chunk_overlap must be between 0 and chunk_tokens, got -1"),
    ({"top_k": 0}, "top_k must be > 0, got 0"),
    ({"max_quotes": -2}, "max_quotes must be > 0, got -2"),
    ({"ivf_nprobe": 0}, "ivf_nprobe must be > 0, got 0"),
    ({"lock_timeout": 0}, "lock_timeout must be > 0 seconds, got 0"),
    ({"query_encoder": "gpu"}, "query_encoder must be onnx or torch, got 'gpu'"),
    ({"ranking": "magic"}, "ranking must be full or cosine, got 'magic'"),
    ({"retrieval": "web"}, "retrieval must be hybrid, dense or bm25, got 'web'"),
])
def test_impossible_values_raise_config_error(fields, message):
    with pytest.raises(ConfigError) as raised:
        Settings(**fields)
    assert str(raised.value) == message + "."
    assert isinstance(raised.value, RagError)


def test_article_kinds_are_named_once():
    assert ARTICLE_SUFFIXES == (".txt", ".md", ".html", ".htm")
    assert all(suffix in ARTICLE_KINDS for suffix in (".txt", ".md", ".html"))


def test_default_folders_come_from_the_environment_the_project_or_the_data_home(
        tmp_path, monkeypatch):
    from rag.config import default_folder

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("RAG_CORPUS", raising=False)
    assert default_folder("corpus") == str(tmp_path / "data" / "rag" / "corpus")
    (tmp_path / "corpus").mkdir()
    assert (default_folder("corpus"), default_folder("index")) == ("corpus", "index")
    monkeypatch.setenv("RAG_INDEX", "/srv/index")
    assert default_folder("index") == "/srv/index"
