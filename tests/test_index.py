import json

import pytest

from rag import IndexCorrupt
from rag.build import build_index, ensure_index
from rag.index import load_index
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


def test_truncated_index_file_is_detected_and_rebuilt(fresh_corpus, encoder):
    build_index(fresh_corpus, encoder=encoder)
    live = fresh_corpus.index_dir / (fresh_corpus.index_dir / POINTER).read_text().strip()
    data = (live / "table.json").read_bytes()  # every store keeps its table here
    (live / "table.json").write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorrupt, match="truncated or altered"):
        load_index(fresh_corpus.index_dir)
    index = ensure_index(fresh_corpus, encoder)  # the corpus is at hand: rebuilt
    assert index.chunks


def test_manifest_is_valid_json_listing_file_hashes(bot):
    manifest = json.loads((bot.index.path / "manifest.json").read_text(encoding="utf-8"))
    store_files = {"chunks.faiss", "store.npz"} if bot.settings.store == "faiss" else set()
    assert set(manifest["files"]) == {"table.json"} | store_files
