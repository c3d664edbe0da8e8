"""Hostile article text and uploads in the web chat, in a real browser."""

import os
import shutil
from pathlib import Path

import pytest

from rag import Chatbot, Settings
from rag.corpus import add_files
from rag.build import build_index

DATA = Path(__file__).parent / "data"
UPLOAD = ("Ferry Service Returns to Harbor Island\n\nThe harbor ferry will resume daily service "
          "on June 3, the port authority said, with boats leaving every 40 minutes from Pier 7.\n\n"
          "Tickets will cost $4 for adults, and children under 12 ride free, according to the "
          "authority's director, Lena Park.\n")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory, encoder, serve):
    from rag.web import CSS

    root = tmp_path_factory.mktemp("hostile")
    raw = root / "corpus" / "raw"
    raw.mkdir(parents=True)
    shutil.copy(DATA / "corpus" / "raw" / "zte-kerfuffle.txt", raw)
    shutil.copy(DATA / "hostile" / "hostile-page.html", raw)
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(settings, encoder=encoder)
    bot = Chatbot(settings)
    with serve(bot, css=CSS, max_file_size=settings.max_file_bytes) as url:
        yield bot, url, root


@pytest.fixture(scope="module")
def page(hostile_site, browse):
    with browse(hostile_site[1]) as page:
        yield page


def test_hostile_article_is_cleaned_but_kept_verbatim(hostile_site):
    bot = hostile_site[0]
    text = bot.documents["hostile-page"].text
    assert "<script>alert(\"xss\")</script>" in text  # the article's words, as text
    assert "hacked" not in text and "from the head" not in text  # the page's scripts are gone


@pytest.mark.browser
def test_hostile_article_renders_inert(page):
    reply = page.ask("What did Ruiz say the board approved?")
    assert "<script>alert(\"xss\")</script>" in reply  # shown literally
    reply = page.ask("Where can patrons read the new schedule?")
    assert "[the library site](http://evil.example/phish)" in reply
    page.wait_for_timeout(500)
    assert page.dialogs == []
    assert page.locator("a[href*='evil.example']").count() == 0
    assert page.locator("img[src='x']").count() == 0
    reply = page.ask("What long code did the reading room post for the wifi?")
    assert "AAAAAAAAAAAAAAAAAAAA" in reply
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280  # a long unbroken string wraps instead of widening the page


@pytest.mark.browser
def test_upload_an_article_then_ask_about_it(page, hostile_site, tmp_path):
    file = tmp_path / "ferry news.txt"
    file.write_text(UPLOAD, encoding="utf-8")
    page.click("text=Add your own article")
    page.set_input_files("#upload input[type=file]", str(file))
    page.wait_for_function(
        "document.querySelector('#upload-status')?.innerText.includes('Questions now cover')",
        timeout=120000)
    assert "Ferry Service Returns to Harbor Island" in page.locator("#article-panel").inner_text()
    reply = page.ask("How much will ferry tickets cost for adults?")
    assert "Tickets will cost $4 for adults" in reply
    assert (hostile_site[2] / "corpus" / "raw" / "ferry-news.txt").is_file()


def test_file_names_cannot_escape_the_corpus(tmp_path):
    raw = tmp_path / "corpus" / "raw"
    for name in ("../../etc/passwd.txt", "a/../../b.txt", "..\\..\\evil.txt", "/abs/path.md"):
        source = tmp_path / "uploads" / Path(name.replace("\\", "_")).name
        source.parent.mkdir(exist_ok=True)
        source.write_text("A Title\n\nSome article text about the harbor.\n", encoding="utf-8")
        result, = add_files([source], raw, 10_000)
        target = result.target
        assert target.parent == raw and ".." not in target.name and "/" not in target.name
        target.unlink()
    assert not (tmp_path / "etc").exists() and not (tmp_path / "b.txt").exists()


def _gradio_copies(text: str) -> list[Path]:
    """Files in Gradio's upload folder that hold `text`."""
    import tempfile

    folder = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    assert folder.is_dir()
    return [p for p in folder.rglob("*") if p.is_file() and p.stat().st_size < 100_000
            and text in p.read_text(encoding="utf-8", errors="replace")]


@pytest.mark.browser
def test_upload_copies_are_not_kept(page, hostile_site, tmp_path):
    marker = "The ferry's new captain, Ines Okafor, grew up on Harbor Island."
    file = tmp_path / "captain.txt"
    file.write_text(f"New Ferry Captain Named\n\n{marker}\n", encoding="utf-8")
    page.click("text=Add your own article")
    page.set_input_files("#upload input[type=file]", str(file))
    page.wait_for_function(
        "document.querySelector('#upload-status')?.innerText.includes('captain')", timeout=120000)
    assert _gradio_copies(marker) == []


@pytest.mark.browser
def test_hidden_file_name_is_added_with_a_message(page, hostile_site, tmp_path):
    file = tmp_path / ".notes.txt"
    file.write_text("Library Notes\n\nThe reading room will open at nine on Saturdays from "
                    "next month, the head librarian said.\n", encoding="utf-8")
    page.click("text=Add your own article")
    page.set_input_files("#upload input[type=file]", str(file))
    page.wait_for_function(
        "document.querySelector('#upload-status')?.innerText.includes('notes')", timeout=120000)
    status = page.locator("#upload-status").inner_text()
    assert "Questions now cover" in status and "Error" not in status


@pytest.mark.browser
def test_an_article_uploaded_elsewhere_shows_on_the_next_page_load(page, hostile_site, tmp_path):
    from gradio_client import Client

    bot, url, root = hostile_site
    source = tmp_path / "museum.txt"
    source.write_text("Museum Reopens\n\nThe maritime museum reopens on Friday with a new "
                      "lighthouse gallery, its curator, Omar Haddad, said.\n", encoding="utf-8")
    Chatbot.open(settings=bot.settings).add([source])  # another process adds it
    bot.reload()
    page.goto(url)
    page.wait_for_selector("#question textarea", timeout=30000)
    page.wait_for_function("document.querySelector('#loaded-note')?.innerText.includes('Museum')",
                           timeout=30000)
    chat = Client(url, verbose=False).predict("Who is the curator of the museum?", [], "museum",
                                              api_name="/chat")[0]
    assert "Omar Haddad" in str(chat[-1]["content"])



@pytest.mark.browser
def test_an_open_page_lists_an_article_added_elsewhere(page, hostile_site, tmp_path):
    import rag.web

    bot = hostile_site[0]
    source = tmp_path / "lighthouse.txt"
    source.write_text("Lighthouse Lamp Restored\n\nThe old lighthouse lamp was lit again on "
                      "Sunday after a two-year restoration, the keeper, Ada Moss, said.\n",
                      encoding="utf-8")
    Chatbot.open(settings=bot.settings).add([source])  # another process adds it
    bot.reload()
    page.wait_for_function(
        "document.querySelector('#loaded-note')?.innerText.includes('Lighthouse')",
        timeout=(rag.web.REFRESH_SECONDS + 15) * 1000)


def test_upload_progress_follows_the_build_stages():
    from rag import BuildStep
    from rag.web import _stage

    assert _stage(BuildStep("checking", "Building index: a.txt is new")) == (0.0, "checking")
    low, _ = _stage(BuildStep("embedding", "", 0, 200))
    middle, text = _stage(BuildStep("embedding", "", 100, 200))
    high, _ = _stage(BuildStep("embedding", "", 200, 200))
    assert low < middle < high and text == "embedding 100/200"
    assert _stage(BuildStep("parsing", "", 1, 2))[0] < low < _stage(BuildStep("writing"))[0]
    # within a long article: parsing moves on before the next article starts
    assert (_stage(BuildStep("parsing", "", 0, 1))[0] < _stage(BuildStep("parsing", "", 0, 1, 0.5))[0]
            < _stage(BuildStep("parsing", "", 0, 1, 1.0))[0] == _stage(BuildStep("parsing", "", 1, 1))[0])
    assert _stage(BuildStep("done", "Index written"))[0] == 1.0
