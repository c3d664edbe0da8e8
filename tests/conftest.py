"""Fixtures shared by the test modules: the real model, a built test corpus, and helpers to
serve the web chat and drive it in a headless browser (test modules never import each other)."""

import shutil
import socket
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from rag import Chatbot, Settings
from rag.embed import TorchEncoder
from rag.build import build_index

DATA = Path(__file__).parent / "data"
SEED = "zte-kerfuffle"
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def encoder():
    """The real model, loaded once per test session."""
    return TorchEncoder()


@pytest.fixture(scope="session")
def bot_over(encoder):
    """bot_over(folder, {file name: text}): a chatbot over those articles, built with the
    reference model in `folder`."""
    def build(root: Path, articles: dict[str, str]) -> Chatbot:
        raw = root / "corpus" / "raw"
        raw.mkdir(parents=True)
        for name, text in articles.items():
            (raw / name).write_text(text, encoding="utf-8")
        settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
        build_index(settings, encoder=encoder)
        return Chatbot(settings)
    return build


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


@pytest.fixture(scope="session")
def free_port():
    """A function returning a TCP port on 127.0.0.1 that is free now."""
    def pick() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    return pick


@pytest.fixture(scope="session")
def serve(free_port):
    """serve(bot, **launch options), a context manager: the web chat of `bot` on a free
    loopback port, in this process; yields its URL and closes the app after."""
    @contextmanager
    def run(bot, **options):
        import gradio as gr

        from rag.web import build_app

        app = build_app(bot)
        port = free_port()
        app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                   quiet=True, theme=gr.themes.Soft(), **options)
        try:
            yield f"http://127.0.0.1:{port}/"
        finally:
            app.close()

    return run


def _ask(page, question: str) -> str:
    before = page.locator("#chat .message").count()
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")
    page.wait_for_function(
        f"document.querySelectorAll('#chat .message').length >= {before + 2}", timeout=30000)
    page.wait_for_timeout(300)
    return page.locator("#chat .message").last.inner_text()


@pytest.fixture(scope="session")
def ask_page():
    """ask_page(page, question): ask in the web chat open in `page`; returns the reply's text."""
    return _ask


@pytest.fixture(scope="session")
def browse():
    """browse(url), a context manager: a headless Chromium page on the web chat at `url`,
    ready for a question. page.ask(question) returns the reply's text; page.dialogs lists
    any alert() the page raised."""
    @contextmanager
    def run(url):
        playwright = pytest.importorskip("playwright.sync_api")
        executable = shutil.which("chromium")
        if executable is None:
            pytest.fail("Debian's chromium is not installed (make test installs it)")
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=BROWSER_FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.dialogs = []
                page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
                page.ask = lambda question: _ask(page, question)
                page.goto(url)
                page.wait_for_selector("#question textarea", timeout=30000)
                yield page
            finally:
                browser.close()

    return run
