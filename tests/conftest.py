import shutil
import threading
from pathlib import Path

import pytest

from rag import Chatbot, Settings
from rag.embed import Encoder
from rag.build import build_index

DATA = Path(__file__).parent / "data"
SEED = "zte-kerfuffle"


@pytest.fixture(scope="session")
def encoder():
    """The real model, loaded once per test session."""
    return Encoder()


@pytest.fixture(scope="session")
def corpus_copy(tmp_path_factory):
    """A private copy of tests/data/corpus, built once; tests must not modify it."""
    root = tmp_path_factory.mktemp("shared")
    shutil.copytree(DATA / "corpus", root / "corpus")
    return root


@pytest.fixture(scope="session")
def settings(corpus_copy):
    return Settings(corpus_dir=corpus_copy / "corpus", index_dir=corpus_copy / "index")


@pytest.fixture(scope="session")
def bot(settings, encoder):
    """Built with the reference model; questions go through the shipped ONNX encoder."""
    build_index(settings, encoder=encoder)
    return Chatbot(settings)


@pytest.fixture(scope="session")
def cleaned(bot):
    """doc id -> text of corpus/clean/<doc>.txt, as written to disk."""
    return {p.stem: p.read_text(encoding="utf-8")
            for p in (bot.settings.clean_dir).glob("*.txt")}


@pytest.fixture
def fresh_corpus(tmp_path):
    """A writable corpus with the seed article only, and its settings."""
    raw = tmp_path / "corpus" / "raw"
    raw.mkdir(parents=True)
    shutil.copy(DATA / "corpus" / "raw" / f"{SEED}.txt", raw)
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


@pytest.fixture
def shared_store():
    """For tests whose builds run in other processes: skipped on an embedded Qdrant store
    (RAG_STORE=qdrant://:memory: or a folder), which one process alone can see."""
    if Settings().store_spec.mode in ("memory", "path"):
        pytest.skip("an embedded Qdrant store is private to one process; use a server")


@pytest.fixture
def concurrently():
    """Run call(arg) for every arg in its own thread at once; returns (results, errors)."""
    def run(call, args, timeout=60):
        results, errors = [], []

        def worker(arg):
            try:
                results.append((arg, call(arg)))
            except Exception as e:  # noqa: BLE001 - any failure is what the caller looks for
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(arg,)) for arg in args]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=timeout)
        return results, errors

    return run
