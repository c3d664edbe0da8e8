"""The index on disk: a folder per build with its manifest and table, CURRENT naming the
live one, every file checked on load, and only an index folder accepted as --index."""

import json

import numpy as np
import pytest

from rag import ConfigError, IndexCorrupt
from rag.build import build_index, ensure_index
from rag.corpus import file_sha256
from rag.index import BUILD_NAME, check_index_folder, load_index, new_build_name, read_manifest
from rag.store import POINTER


def test_manifest_records_what_the_index_was_built_from(bot):
    manifest = bot.index.manifest
    assert manifest["format_version"] == 4
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


def test_altered_token_vectors_are_detected_and_rebuilt(fresh_corpus, encoder):
    build_index(fresh_corpus, encoder=encoder)
    live = fresh_corpus.index_dir / (fresh_corpus.index_dir / POINTER).read_text().strip()
    data = bytearray((live / "tokens.npy").read_bytes())
    data[-1] ^= 0xFF  # one token's last value changed, size kept
    (live / "tokens.npy").write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match="tokens.npy is truncated or altered"):
        load_index(fresh_corpus.index_dir)
    index = ensure_index(fresh_corpus, encoder)
    assert len(index.sentence_tokens) == len(index.sentences)



@pytest.mark.parametrize("damage", ["offsets falling", "offsets not from 0", "scales 2-D",
                                    "not a zip"])
def test_token_tables_that_hash_right_but_do_not_fit_are_corrupt(fresh_corpus, encoder, damage):
    """A hand-edited build whose manifest was updated too: checked by shape, not by hash."""
    build_index(fresh_corpus, encoder=encoder)
    live = fresh_corpus.index_dir / (fresh_corpus.index_dir / POINTER).read_text().strip()
    path = live / "token-scales.npz"
    with np.load(path) as data:
        scales, offsets = data["scales"], data["offsets"].copy()
    if damage == "offsets falling":
        offsets[1], offsets[2] = offsets[2], offsets[1]
    elif damage == "offsets not from 0":
        offsets[0] = -1
    elif damage == "scales 2-D":
        scales = scales[:, None]
    with open(path, "wb") as out:
        if damage == "not a zip":
            out.write(b"PK\x03\x04 not really a zip")
        else:
            np.savez(out, scales=scales, offsets=offsets)
    manifest = json.loads((live / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["token-scales.npz"] = {"bytes": path.stat().st_size,
                                            "sha256": file_sha256(path)}
    (live / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="cannot be read"):
        load_index(fresh_corpus.index_dir)

def test_an_index_of_the_previous_format_is_rebuilt_with_token_vectors(fresh_corpus, encoder):
    build_index(fresh_corpus, encoder=encoder)
    live = fresh_corpus.index_dir / (fresh_corpus.index_dir / POINTER).read_text().strip()
    manifest = json.loads((live / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = manifest["params"]["format_version"] = 3  # before tokens
    (live / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    index = ensure_index(fresh_corpus, encoder)
    assert index.path != live and index.manifest["format_version"] == 4
    assert len(index.sentence_tokens) == len(index.sentences) > 0


def test_manifest_is_valid_json_listing_file_hashes(bot):
    manifest = json.loads((bot.index.path / "manifest.json").read_text(encoding="utf-8"))
    store_files = {"chunks.faiss", "store.npz"} if bot.settings.store == "faiss" else set()
    assert set(manifest["files"]) == {"table.json", "tokens.npy", "token-scales.npz"} | store_files


def test_no_index_yet_is_none_and_a_bad_pointer_is_corrupt(tmp_path):
    assert read_manifest(tmp_path) is None
    (tmp_path / POINTER).write_text("../elsewhere\n", encoding="ascii")
    with pytest.raises(IndexCorrupt, match="no readable manifest"):
        read_manifest(tmp_path)
    (tmp_path / POINTER).write_text(new_build_name() + "\n", encoding="ascii")
    with pytest.raises(IndexCorrupt, match="rag build --force"):
        load_index(tmp_path)


def test_build_names_sort_by_time_and_match_the_pattern():
    first, second = new_build_name(), new_build_name()
    assert BUILD_NAME.fullmatch(first) and BUILD_NAME.fullmatch(second) and first != second


def test_only_an_index_folder_is_accepted(tmp_path):
    check_index_folder(tmp_path / "new")  # missing: it will be made
    check_index_folder(tmp_path)  # empty
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"holds other files \(notes.txt\)"):
        check_index_folder(tmp_path)
    with pytest.raises(ConfigError, match="is a file"):
        check_index_folder(tmp_path / "notes.txt")
