"""The default store: files in the build folder, CURRENT naming the live build, IVF from
ivf_from_chunks chunks, and old builds (with their files) removed after each switch."""

import dataclasses

import numpy as np
import pytest

from rag import Chatbot, IndexCorrupt
from rag.build import build_index
from rag.errors import ArgumentError
from rag.index import BUILD_NAME, read_manifest
from rag.store import POINTER, open_store
from rag.store_faiss import FILES, FaissBuild, make_faiss_index


def faiss_settings(settings):
    return dataclasses.replace(settings, store="faiss")


def builds(index_dir):
    return sorted(p.name for p in index_dir.iterdir() if p.is_dir())


def live(index_dir):
    return (index_dir / POINTER).read_text(encoding="ascii").strip()


def test_each_build_is_a_folder_and_current_names_the_live_one(fresh_corpus, encoder):
    settings = faiss_settings(fresh_corpus)
    build_index(settings, encoder=encoder)
    name = live(settings.index_dir)
    assert BUILD_NAME.fullmatch(name) and builds(settings.index_dir) == [name]
    folder = settings.index_dir / name
    assert {p.name for p in folder.iterdir()} == {*FILES, "table.json", "tokens.npy",
                                                   "token-scales.npz", "manifest.json"}
    assert read_manifest(settings.index_dir)["store"] == {
        "uri": "faiss", "dim": 384, "chunks": read_manifest(settings.index_dir)["counts"]["chunks"],
        "sentences": read_manifest(settings.index_dir)["counts"]["sentences"]}


def test_a_new_build_switches_current_and_old_builds_are_dropped(fresh_corpus, encoder):
    settings = faiss_settings(fresh_corpus)
    names = []
    for _ in range(3):
        build_index(settings, force=True, encoder=encoder)
        names.append(live(settings.index_dir))
    assert len(set(names)) == 3
    # the live build and the one before stay; the oldest goes, files and folder
    assert builds(settings.index_dir) == sorted(names[1:])
    assert not (settings.index_dir / names[0]).exists()
    assert not [p for p in settings.index_dir.iterdir() if p.name.startswith(".tmp-")]


def test_a_dropped_build_cannot_be_opened(fresh_corpus, encoder):
    settings = faiss_settings(fresh_corpus)
    build_index(settings, encoder=encoder)
    name, entry = live(settings.index_dir), read_manifest(settings.index_dir)["store"]
    store = open_store(settings)
    assert store.open(name, entry).search(np.ones(384, np.float32) / 384 ** 0.5, None, 3)[0]
    store.drop(name)
    assert not any((settings.index_dir / name / f).exists() for f in FILES)
    with pytest.raises(IndexCorrupt, match="missing or incomplete"):
        store.open(name, entry)


def test_a_switch_rewrites_only_current(fresh_corpus, encoder):
    settings = faiss_settings(fresh_corpus)
    build_index(settings, encoder=encoder)
    before = builds(settings.index_dir)
    open_store(settings).switch("build-20260101T000000-abcdef")
    assert live(settings.index_dir) == "build-20260101T000000-abcdef"
    assert builds(settings.index_dir) == before


def test_exact_search_below_the_ivf_threshold_and_ivf_from_it():
    import faiss

    vectors = np.random.default_rng(1).normal(size=(200, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    exact = make_faiss_index(vectors, ivf_from_chunks=201, ivf_nprobe=4)
    assert type(exact) is faiss.IndexFlatIP
    ivf = make_faiss_index(vectors, ivf_from_chunks=200, ivf_nprobe=4)
    assert isinstance(ivf, faiss.IndexIVF) and ivf.nlist == 14 and ivf.nprobe == 4
    assert np.allclose(ivf.reconstruct(7), vectors[7])  # reused documents read vectors back
    _, rows = exact.search(vectors[:1], 1)
    assert rows[0][0] == 0


def test_a_sealed_build_refuses_writes(tmp_path):
    build = FaissBuild(dim=8)
    build.seal(tmp_path)
    with pytest.raises(ArgumentError, match="sealed"):
        build.delete("any")


def test_large_corpora_use_ivf_with_the_same_answers(fresh_corpus, encoder):

    import faiss

    approximate = dataclasses.replace(fresh_corpus, ivf_from_chunks=1, store="faiss")
    build_index(approximate, encoder=encoder)
    bot = Chatbot(approximate)
    assert isinstance(bot.index.store.faiss_index, faiss.IndexIVF)
    assert bot.index.manifest["params"]["ivf_nprobe"] == 16
    assert "Betsy Cooper, a cybersecurity researcher" in bot.ask("Who is Betsy Cooper?").answer
