import pytest

from rag.web import CSS, JS
from rag.web_render import format_answer, md_escape

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def server(bot, serve):
    with serve(bot, css=CSS, js=JS) as url:
        yield url


def test_markdown_escape_makes_html_and_links_inert():
    escaped = md_escape(f"{XSS} [click](https://evil.example) **bold**")
    assert "<" not in escaped.replace("\\<", "")
    assert "](" not in escaped


def test_abstention_reads_plainly(bot):
    reply = format_answer(bot.ask("What is the capital of Peru?"))
    assert reply.startswith("<span class='abstained'>**The article doesn") and "Closest passages" in reply
    assert "<details>" in reply  # the closest passages are folded away


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
def page(server, browse):
    with browse(server) as page:
        yield page


@pytest.mark.browser
def test_browser_answer_is_a_verbatim_quote(page, cleaned, tmp_path):
    reply = page.ask("Which company supplies most of ZTE's computer chips?")
    quote = ("The Commerce Department’s decision was also damaging to U.S. companies that supply "
             "materials to ZTE, including Qualcomm")
    assert quote in reply and quote in cleaned["zte-kerfuffle"]
    assert "paragraph 18" in reply
    assert page.locator("#article-panel mark").count() >= 1
    assert page.locator("#chat mark").last.inner_text() == "Qualcomm"  # the short answer
    page.screenshot(path=str(tmp_path / "answer.png"))


@pytest.mark.browser
def test_browser_off_topic_abstains(page):
    reply = page.ask("What is the capital of Peru?")
    assert "The article doesn't say" in reply or "The article doesn’t say" in reply
    assert "Closest passages" in reply


@pytest.mark.browser
def test_browser_script_in_question_is_shown_literally(page):
    page.ask(XSS)
    page.wait_for_timeout(500)
    assert page.dialogs == []
    user_messages = page.locator("#chat .message").all_inner_texts()
    assert any(XSS in text for text in user_messages)
    assert page.locator("#chat img[src='x']").count() == 0


@pytest.mark.browser
def test_browser_phone_width_layout(page, tmp_path):
    page.set_viewport_size({"width": 390, "height": 844})
    reply = page.ask("Who is Betsy Cooper?")
    assert "Betsy Cooper" in reply
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400  # no sideways scrolling on a phone
    page.screenshot(path=str(tmp_path / "phone.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.browser
def test_browser_clear_button_empties_the_chat(page):
    page.ask("Who is Betsy Cooper?")
    page.click("#clear")
    page.wait_for_function("document.querySelectorAll('#chat .message').length == 0",
                           timeout=10000)


@pytest.mark.browser
def test_browser_follow_up_shows_how_it_was_interpreted(page):
    page.ask("Who is Betsy Cooper?")
    reply = page.ask("What did she warn against?")
    assert "Interpreted as: What did Cooper warn against?" in reply
    assert "warned against taking" in reply
    reply = page.ask("How many sea stars did volunteers count?")  # names its own subject
    assert "Interpreted as" not in reply and "4,812" in reply



def test_one_article_citations_leave_out_the_headline(bot):
    answer = bot.ask("Who is Betsy Cooper?", doc="zte-kerfuffle")
    alone, several = format_answer(answer), format_answer(answer, several_articles=True)
    assert "ZTE Kerfuffle" not in alone and "ZTE Kerfuffle" in several
    shown = alone[:alone.index("<button")]  # what the reply shows, before the Copy button
    assert shown.count("warned against taking") == 1  # the answer is not repeated as a source


def _contrast(page, selector: str) -> float:
    """WCAG contrast ratio between an element's text colour and its background."""
    return page.evaluate("""(selector) => {
      const el = document.querySelector(selector);
      const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
      const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
        .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
      let node = el, bg = 'rgba(0, 0, 0, 0)';
      while (node && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
        bg = getComputedStyle(node).backgroundColor; node = node.parentElement; }
      if (bg === 'rgba(0, 0, 0, 0)') bg = 'rgb(255, 255, 255)';
      const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(rgb(bg))];
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }""", selector)


def clear(page) -> None:
    page.click("#clear")
    page.wait_for_function("document.querySelectorAll('#chat .message').length == 0",
                           timeout=10000)


@pytest.mark.browser
def test_browser_citation_chips_scroll_the_panel_not_the_page(page):
    clear(page)
    reply = page.ask("Who is Betsy Cooper?")
    assert "[1]" in reply and "[2]" in reply
    page.evaluate("document.getElementById('article-panel').scrollTop = 0")
    before = page.evaluate("window.scrollY")
    page.locator("#chat a.cite", has_text="[2]").last.click()
    page.wait_for_function("document.getElementById('q2')?.classList.contains('flash')",
                           timeout=5000)
    assert page.evaluate("document.getElementById('article-panel').scrollTop") > 0
    assert page.evaluate("window.scrollY") == before
    assert page.locator("#article-panel mark#q2 .mark-no").inner_text() == "2"


@pytest.mark.browser
def test_browser_abstention_is_grey_and_folded(page):
    reply = page.ask("What is the capital of Peru?")
    assert reply.startswith("The article doesn't say.")
    details = page.locator("#chat .message").last.locator("details")
    assert details.count() == 1 and details.get_attribute("open") is None
    assert page.locator("#article-panel mark.closest").count() >= 1


@pytest.mark.browser
def test_browser_page_is_accessible(page):
    assert page.locator("h1").inner_text() == "Ask the article"
    assert page.get_by_label("Your question").count() >= 1
    assert page.get_by_role("heading", name="Chat", exact=True).count() == 1  # names the chat
    page.ask("Who is Betsy Cooper?")
    assert _contrast(page, "#article-panel .para-no") >= 4.5
    assert _contrast(page, "#article-panel mark") >= 4.5


@pytest.mark.browser
def test_browser_dark_mode_marks_are_readable(page, server, ask_page):
    dark = page.context.browser.new_page(viewport={"width": 1280, "height": 900})
    dark.goto(server + "?__theme=dark")
    dark.wait_for_selector("#question textarea", timeout=30000)
    ask_page(dark, "Who is Betsy Cooper?")
    assert _contrast(dark, "#article-panel mark") >= 4.5
    assert _contrast(dark, "#article-panel .para-no") >= 4.5
    dark.close()


@pytest.mark.browser
def test_browser_example_is_asked_on_click(page):
    clear(page)
    page.locator("#examples button.example").first.click()
    page.wait_for_function("document.querySelectorAll('#chat .message').length >= 2",
                           timeout=30000)


@pytest.mark.browser
def test_browser_link_with_a_question_answers_it(page, server):
    linked = page.context.browser.new_page(viewport={"width": 390, "height": 844})
    linked.goto(server + "?q=Who%20is%20Betsy%20Cooper%3F")
    linked.wait_for_function("document.querySelectorAll('#chat .message').length >= 2",
                             timeout=30000)
    assert "cybersecurity researcher" in linked.locator("#chat .message").last.inner_text()
    assert linked.evaluate("window.scrollY") == 0  # a phone is not scrolled down the page
    linked.close()


@pytest.mark.browser
def test_browser_conversation_survives_a_reload_and_exports(page, server, ask_page):
    visitor = page.context.browser.new_page(viewport={"width": 1280, "height": 900})
    visitor.goto(server)
    visitor.wait_for_selector("#question textarea", timeout=30000)
    ask_page(visitor, "Who is Betsy Cooper?")
    visitor.wait_for_timeout(500)
    visitor.reload()
    visitor.wait_for_function("document.querySelectorAll('#chat .message').length >= 2",
                              timeout=30000)
    reply = ask_page(visitor, "What did she warn against?")  # the restored turns resolve "she"
    assert "Interpreted as: What did Cooper warn against?" in reply
    visitor.click("#export")
    visitor.wait_for_selector("#export-files a", timeout=30000)
    names = visitor.locator("#export-files").inner_text().replace("\n", "")
    assert "conversation.md" in names and "conversation.json" in names
    visitor.close()


def test_a_reply_carries_its_plain_text_for_the_copy_button(bot):
    reply = format_answer(bot.ask("Which company supplies most of ZTE's computer chips?"))
    assert "U\\.S\\." in reply  # the Markdown is escaped...
    button = reply[reply.index("<button"):]
    assert "U.S." in button and "\\" not in button  # ...the copied text is not
    assert "&#10;[1] “The Commerce Department’s decision" in button and "\n" not in button


COPY = "Copy the answer and its sources as plain text"


@pytest.mark.browser
def test_browser_copy_gives_plain_text(page, server, ask_page):
    context = page.context.browser.new_context(
        viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"])
    reader = context.new_page()
    reader.goto(server)
    reader.wait_for_selector("#question textarea", timeout=30000)
    ask_page(reader, "Which company supplies most of ZTE's computer chips?")
    assert reader.locator("#chat button[aria-label='Copy message']").count() == 0  # Gradio's
    button = reader.get_by_role("button", name=COPY).last
    assert button.evaluate("b => b.tabIndex") == 0
    button.focus()
    reader.keyboard.press("Enter")  # reachable and usable from the keyboard
    reader.wait_for_function("[...document.querySelectorAll('#chat .copy-label')]"
                             ".some((l) => l.textContent === 'Copied')", timeout=5000)
    text = reader.evaluate("navigator.clipboard.readText()")
    assert text.startswith("The Commerce Department’s decision was also damaging to U.S. "
                           "companies that supply materials to ZTE, including Qualcomm, a San "
                           "Diego firm worth over $85 billion")
    assert not any(markup in text for markup in ("\\", "<", "*", "&#", "[1](#"))
    lines = text.splitlines()
    assert lines[1:3] == ["", "Sources:"] and lines[3].startswith("[1] “The Commerce")
    assert lines[3].endswith("computer chips.” — ZTE Kerfuffle Shows Cybersecurity Doesn’t "
                             "Operate in a Vacuum, Where does security fit in?, paragraph 18")
    ask_page(reader, "What is the capital of Peru?")
    reader.get_by_role("button", name=COPY).last.click()
    reader.wait_for_timeout(300)
    text = reader.evaluate("navigator.clipboard.readText()")
    assert text.splitlines()[:3] == ["The article doesn't say.", "",
                                     "Closest passages (not an answer):"]
    assert text.splitlines()[3].startswith("[1] “") and "paragraph" in text
    context.close()


def test_exported_markdown_has_questions_answers_and_citations(bot):
    from rag.web_render import conversation_markdown

    answer = bot.ask("Who is Betsy Cooper?").to_dict()
    text = conversation_markdown([answer, bot.ask("What is the capital of Peru?").to_dict()])
    assert "## 1. Who is Betsy Cooper?" in text and answer["answer"] in text
    assert "paragraph" in text and "characters" in text
    assert "## 2. What is the capital of Peru?" in text and "The article doesn't say." in text
