import shutil
import socket

import pytest

from rag.web import build_app, format_answer, md_escape

BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
XSS = "<img src=x onerror=alert(1)>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(bot):
    import gradio as gr

    from rag.web import CSS

    app = build_app(bot)
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
               css=CSS, theme=gr.themes.Soft())
    yield f"http://127.0.0.1:{port}/"
    app.close()


def test_markdown_escape_makes_html_and_links_inert():
    escaped = md_escape(f"{XSS} [click](https://evil.example) **bold**")
    assert "<" not in escaped.replace("\\<", "")
    assert "](" not in escaped


def test_abstention_reads_plainly(bot):
    reply = format_answer(bot.ask("What is the capital of Peru?"))
    assert reply.startswith("**The article doesn") and "Closest passages" in reply


def test_gradio_client_api(server):
    from gradio_client import Client

    client = Client(server, verbose=False)
    result = client.predict("Who is Betsy Cooper?", "", api_name="/ask")
    assert result["abstained"] is False
    assert result["answer"].startswith("Betsy Cooper, a cybersecurity researcher")
    assert client.predict("   ", "", api_name="/ask") == {
        "error": "The question is empty. Type a question about the article."}
    history, _, panel = client.predict("Who is Betsy Cooper?", [], "All articles", api_name="/chat")
    assert "cybersecurity researcher" in str(history[-1]["content"])
    assert "quote-mark" in panel


@pytest.fixture(scope="module")
def page(server):
    playwright = pytest.importorskip("playwright.sync_api")
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed (make test installs it)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.dialogs = dialogs
        page.goto(server)
        page.wait_for_selector("#question textarea", timeout=30000)
        yield page
        browser.close()


def ask(page, question: str) -> str:
    before = page.locator("#chat .message").count()
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")
    page.wait_for_function(
        f"document.querySelectorAll('#chat .message').length >= {before + 2}", timeout=30000)
    page.wait_for_timeout(300)
    return page.locator("#chat .message").last.inner_text()


@pytest.mark.browser
def test_browser_answer_is_a_verbatim_quote(page, cleaned, tmp_path):
    reply = ask(page, "Which company supplies most of ZTE's computer chips?")
    quote = ("The Commerce Department’s decision was also damaging to U.S. companies that supply "
             "materials to ZTE, including Qualcomm")
    assert quote in reply and quote in cleaned["zte-kerfuffle"]
    assert "paragraph 18" in reply
    assert page.locator("#article-panel mark").count() >= 1
    assert page.locator("#chat mark").last.inner_text() == "Qualcomm"  # the short answer
    page.screenshot(path=str(tmp_path / "answer.png"))


@pytest.mark.browser
def test_browser_off_topic_abstains(page):
    reply = ask(page, "What is the capital of Peru?")
    assert "The article doesn't say" in reply or "The article doesn’t say" in reply
    assert "Closest passages" in reply


@pytest.mark.browser
def test_browser_script_in_question_is_shown_literally(page):
    ask(page, XSS)
    page.wait_for_timeout(500)
    assert page.dialogs == []
    user_messages = page.locator("#chat .message").all_inner_texts()
    assert any(XSS in text for text in user_messages)
    assert page.locator("#chat img[src='x']").count() == 0


@pytest.mark.browser
def test_browser_phone_width_layout(page, tmp_path):
    page.set_viewport_size({"width": 390, "height": 844})
    reply = ask(page, "Who is Betsy Cooper?")
    assert "Betsy Cooper" in reply
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400  # no sideways scrolling on a phone
    page.screenshot(path=str(tmp_path / "phone.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.browser
def test_browser_clear_button_empties_the_chat(page):
    ask(page, "Who is Betsy Cooper?")
    page.click("#clear")
    page.wait_for_function("document.querySelectorAll('#chat .message').length == 0",
                           timeout=10000)


@pytest.mark.browser
def test_browser_follow_up_shows_how_it_was_interpreted(page):
    ask(page, "Who is Betsy Cooper?")
    reply = ask(page, "What did she warn against?")
    assert "Interpreted as: What did Betsy Cooper warn against?" in reply
    assert "warned against taking" in reply
    reply = ask(page, "How many sea stars did volunteers count?")  # names its own subject
    assert "Interpreted as" not in reply and "4,812" in reply
