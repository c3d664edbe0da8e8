"""The Qdrant store: URIs (one canonical form; mistakes are one-line ConfigErrors), a server
that cannot be reached, rebuilding when the store changes or an in-memory one is lost, and
a default install that never imports qdrant_client."""

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag import Chatbot, ConfigError, Settings
from rag.build import build_index
from rag.cli import main
from rag.config import parse_store
from rag.index import load_index, new_build_name, read_manifest
from rag.store import open_store

ROOT = Path(__file__).parent.parent


def test_a_changed_store_rebuilds_and_a_lost_memory_store_is_rebuilt(fresh_corpus, encoder):
    pytest.importorskip("qdrant_client")
    build_index(fresh_corpus, encoder=encoder)
    moved = dataclasses.replace(fresh_corpus, store="qdrant://:memory:?prefix=moved")
    report = build_index(moved, encoder=encoder)
    assert report.built and report.reason.startswith("store changed")
    entry = read_manifest(moved.index_dir)["store"]
    open_store(moved).drop(load_index(moved.index_dir, moved).path.name)  # as if restarted
    assert Chatbot(moved, encoder=encoder).ask("Who is Betsy Cooper?").quotes
    assert read_manifest(moved.index_dir)["store"] != entry  # rebuilt into new collections


@pytest.mark.parametrize("uri, problem", [
    ("mongo://host", "Unknown store"),
    ("qdrant://", "absolute path"), ("qdrant://user:secret@host", "QDRANT_API_KEY"),
    ("qdrant://host:99999", "not a valid URI"), ("qdrant://host?shards=3", "only option"),
    ("qdrant://:memory:x", "nothing may follow"), ("", "store must be one of")])
def test_bad_store_uris_are_one_line_config_errors(uri, problem):
    with pytest.raises(ConfigError, match=problem) as error:
        Settings(store=uri)
    assert "\n" not in str(error.value)


def test_store_uris_have_one_canonical_form():
    for uri, mode, canonical in [("faiss", "faiss", "faiss"),
                                 ("qdrant://:memory:", "memory", "qdrant://:memory:"),
                                 ("qdrant:///srv/q/", "path", "qdrant:///srv/q"),
                                 ("qdrant://db", "server", "http://db:6333"),
                                 ("https://x.cloud:6333/?prefix=news", "server",
                                  "https://x.cloud:6333?prefix=news")]:
        spec = parse_store(uri)
        assert (spec.mode, spec.uri) == (mode, canonical)
        assert parse_store(spec.uri) == spec


def test_store_comes_from_the_option_or_rag_store(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_STORE", "qdrant://qdrant.internal")
    assert Settings().store == "http://qdrant.internal:6333"
    monkeypatch.setenv("RAG_STORE", "nonsense")
    result = CliRunner().invoke(main, ["list", "--index", str(tmp_path / "index")])
    assert result.exit_code == 1 and "Unknown store 'nonsense'" in result.output
    result = CliRunner().invoke(main, ["list", "--store", "qdrant:///x?y=1", "--index",
                                       str(tmp_path / "index")])
    assert result.exit_code == 1 and "only option is ?prefix" in result.output
    assert "Traceback" not in result.output


def test_an_unreachable_server_is_a_one_line_error(tmp_path):
    pytest.importorskip("qdrant_client")
    settings = Settings(index_dir=tmp_path, store="qdrant://127.0.0.1:1?prefix=nowhere")
    with pytest.raises(ConfigError, match="Qdrant store http://127.0.0.1:1.* failed") as error:
        open_store(settings).create(new_build_name(), 384)
    assert "\n" not in str(error.value) and "QDRANT_API_KEY" in str(error.value)


def test_the_default_install_needs_neither_qdrant_nor_ray(tmp_path, monkeypatch):
    code = ("import sys, rag, rag.cli, rag.build, rag.store, rag.store_faiss; "
            "print(sorted(m for m in ('qdrant_client', 'ray') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
    monkeypatch.setitem(sys.modules, "qdrant_client", None)  # as if not installed
    with pytest.raises(ConfigError, match=r'needs qdrant-client: pip install -e "\.\[qdrant\]"'):
        open_store(Settings(index_dir=tmp_path, store="qdrant://:memory:"))
    monkeypatch.setitem(sys.modules, "ray", None)
    from rag.embed_ray import RayEncoder

    with pytest.raises(ConfigError, match=r'needs Ray: pip install -e "\.\[ray\]"'):
        RayEncoder("all-MiniLM-L6-v2", "onnx")


def test_each_build_is_a_pair_of_collections_behind_two_aliases(fresh_corpus, encoder):
    pytest.importorskip("qdrant_client")
    settings = dataclasses.replace(fresh_corpus, store="qdrant://:memory:?prefix=pairs")
    names = []
    for _ in range(3):
        build_index(settings, force=True, encoder=encoder)
        names.append(load_index(settings.index_dir, settings).path.name)
    store = open_store(settings)
    assert store.client is open_store(settings).client  # one embedded client per process
    collections = {c.name for c in store.client.get_collections().collections}
    live, before, oldest = (store.names(n) for n in reversed(names))
    assert {*live.values(), *before.values()} <= collections  # the live build and the one before
    assert not set(oldest.values()) & collections  # retired with its folder
    aliases = {a.alias_name: a.collection_name for a in store.client.get_aliases().aliases
               if a.alias_name.startswith("pairs-")}  # the client is shared with other tests
    assert aliases == {"pairs-chunks": live["chunks"], "pairs-sentences": live["sentences"]}
    chunks = store.client.count(live["chunks"]).count
    assert chunks == read_manifest(settings.index_dir)["counts"]["chunks"]
