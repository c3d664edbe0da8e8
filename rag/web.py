"""The Gradio web chat: answers with highlighted quotes, the article beside them.

Everything that comes from a user or an article is escaped before it reaches the page,
so HTML, scripts and Markdown links in either show as plain text.
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
from pathlib import Path

from rag.answer import Answer
from rag.chatbot import Chatbot
from rag.corpus import ADDED, SKIPPED, add_files
from rag.errors import RagError

log = logging.getLogger(__name__)

ALL_ARTICLES = "All articles"
ABSTAIN_TEXT = "The article doesn't say."
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>&~:/\"'=^$%@])")

CSS = """
.quote-mark { background: #fff3a3; color: inherit; padding: 0 2px; border-radius: 2px; }
#article-panel { max-height: 70vh; overflow-y: auto; overflow-wrap: anywhere; }
#article-panel p { margin: 0 0 0.8em 0; line-height: 1.5; }
#article-panel .para-no { color: #888; font-size: 0.8em; margin-right: 0.4em; }
.message { overflow-wrap: anywhere; }
"""


def md_escape(text: str) -> str:
    """Make text inert in Markdown and HTML: every ASCII punctuation mark is escaped."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _highlighted(text: str, span: tuple[int, int] | None) -> str:
    if not span or span == (0, len(text)):
        return md_escape(text)
    a, b = span
    return (md_escape(text[:a]) + "<mark class='quote-mark'>**" + md_escape(text[a:b]) + "**</mark>"
            + md_escape(text[b:]))


def _citation(quote) -> str:
    parts = [quote.title, quote.section or None,
             f"paragraph {quote.paragraph}" if quote.paragraph else "title"]
    return md_escape(" · ".join(p for p in parts if p))


def format_answer(answer: Answer) -> str:
    """The reply as Markdown: the short answer, then the quotes with citations."""
    lines = []
    if answer.abstained:
        lines.append(f"**{md_escape(ABSTAIN_TEXT)}**")
        if answer.quotes:
            lines += ["", "Closest passages (not an answer):", ""]
    else:
        best = answer.quotes[0]
        lines.append(_highlighted(best.text, best.answer_span))
        lines += ["", "Sources:", ""]
    if answer.interpreted_as:
        lines.insert(1, f"\n*Interpreted as: {md_escape(answer.interpreted_as)}*")
    for number, quote in enumerate(answer.quotes, 1):
        lines.append(f"> {md_escape(quote.text)}")
        lines.append(">")
        lines.append(f"> — [{number}] *{_citation(quote)}*")
        lines.append("")
    return "\n".join(lines).strip()


def article_html(bot: Chatbot, doc: str | None, answer: Answer | None) -> str:
    """The cleaned article(s) as escaped HTML, with the latest answer's quotes marked."""
    docs = [bot.documents[doc]] if doc in bot.documents else list(bot.documents.values())
    marks: dict[str, list[tuple[int, int]]] = {}
    for quote in answer.quotes if answer else ():
        marks.setdefault(quote.doc, []).append((quote.start, quote.end))
    best = (answer.quotes[0].doc, answer.quotes[0].start) if answer and answer.quotes else None
    out = []
    for document in docs:
        out.append(f"<h2>{html.escape(document.title)}</h2>")
        headings = set(document.headings)
        position, paragraph = 0, 0
        for block in document.text.split("\n\n"):
            start = document.text.index(block, position)
            end = start + len(block)
            position = end
            if start == 0:
                continue  # the title, shown above
            if (start, end) in headings:
                out.append(f"<h3>{html.escape(block)}</h3>")
                continue
            paragraph += 1
            out.append(f"<p><span class='para-no'>¶{paragraph}</span>"
                       f"{_marked(document.text, start, end, marks.get(document.doc, []), best)}</p>")
    return "\n".join(out)


def _marked(text: str, start: int, end: int, spans: list[tuple[int, int]],
            best: tuple[str, int] | None) -> str:
    pieces, cursor = [], start
    for a, b in sorted(spans):
        a, b = max(a, start), min(b, end)
        if a >= b or a < cursor:
            continue
        pieces.append(html.escape(text[cursor:a]))
        anchor = " id='best-quote'" if best and best[1] == a else ""
        pieces.append(f"<mark class='quote-mark'{anchor}>{html.escape(text[a:b])}</mark>")
        cursor = b
    pieces.append(html.escape(text[cursor:end]))
    return "".join(pieces)


def _messages(history: object) -> list[dict]:
    """A chat history as sent by a browser or an API client, as messages with text content.

    The /chat endpoint takes the history as JSON, so anything that is not a message is
    dropped here.
    """
    turns = []
    for turn in history if isinstance(history, list) else []:
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant"):
            continue
        content = turn.get("content")
        if isinstance(content, list):  # Gradio's payload: [{"type": "text", "text": ...}]
            content = "\n".join(part.get("text", "") for part in content
                                if isinstance(part, dict) and isinstance(part.get("text"), str))
        if isinstance(content, str):
            turns.append({"role": turn["role"], "content": content})
    return turns


def example_questions(bot: Chatbot) -> list[str]:
    """Questions that the loaded articles answer, built from their own sentences' entities."""
    examples = []
    for document in bot.documents.values():
        body = [s for s in bot.index.sentences if s.doc == document.doc and s.paragraph > 0]
        for label, template in (("PERSON", "Who is {}?"), ("ORG", "What does the article say about {}?")):
            names = [s.text[e.start - s.start:e.end - s.start] for s in body
                     for e in s.entities if e.label == label]
            if names:
                examples.append(template.format(max(set(names), key=names.count)))
    return examples[:4] + ["What is the capital of Peru?"]


def build_app(bot: Chatbot):
    """The Gradio Blocks app for `bot`. API endpoints: /chat (history) and /ask (JSON)."""
    import gradio as gr

    def loaded_note() -> str:
        titles = ", ".join(f"“{d.title}”" for d in bot.documents.values())
        return f"## Ask the article\nLoaded: {md_escape(titles)}"

    def choices() -> list:
        return [ALL_ARTICLES] + [(d.title, d.doc) for d in bot.documents.values()]

    def refresh():
        """The page's view of the corpus, as it is now (articles may be added anywhere)."""
        return (loaded_note(), gr.update(choices=choices(), visible=len(bot.documents) > 1),
                article_html(bot, None, None))

    def upload(path):
        keep = (gr.update(),) * 4
        if not path:
            return *keep, ""
        copy = Path(path)
        try:
            try:
                result, = add_files([copy], bot.settings.raw_dir, bot.settings.max_file_bytes,
                                    bot.settings.lock_timeout)
            finally:  # Gradio's copy of the upload is not kept
                copy.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    copy.parent.rmdir()
            if result.status == SKIPPED:
                return *keep, f"⚠️ {md_escape(copy.name)} was not added: {md_escape(result.reason)}"
            bot.reload()
        except RagError as e:
            return *keep, f"⚠️ {md_escape(str(e))}"
        document = bot.document_from(result.target.name)
        if document is None:
            skipped = bot.index.manifest["skipped"].get(result.target.name)
            if skipped is None:
                return *keep, (f"⚠️ {md_escape(copy.name)} is saved but not indexed yet (another "
                               "build is running); reload the page in a minute.")
            if result.status == ADDED:
                result.target.unlink(missing_ok=True)  # keep the corpus to what is indexed
            return *keep, f"⚠️ {md_escape(copy.name)} was not added: {md_escape(skipped['reason'])}"
        report_path = bot.settings.clean_dir / f"{document.doc}.report.md"
        report = report_path.read_text(encoding="utf-8") if report_path.is_file() else ""
        removed = [f"- {md_escape(line[2:])}" for line in report.splitlines()
                   if line.startswith("- ")]
        what = (f"added {copy.name} as article {document.doc}" if result.status == ADDED else
                f"{copy.name} is already here as article {document.doc}")
        status = (f"✅ {md_escape(what)}. Questions now cover “{md_escape(document.title)}”; "
                  f"its cleaned text is on the right.\n\n**What cleaning removed:**\n\n"
                  + ("\n".join(removed) or "nothing"))
        return (loaded_note(), gr.update(choices=choices(), value=document.doc, visible=True),
                article_html(bot, document.doc, None), gr.update(value=None), status)

    def respond(message, history, doc_choice, turns):
        history = _messages(history)
        doc = None if doc_choice in (None, "", ALL_ARTICLES) else doc_choice
        shown = md_escape(message if isinstance(message, str) else "")
        conversation = bot.conversation(tuple(turns) if isinstance(turns, list) else ())
        try:
            answer = conversation.ask(message, doc=doc)
        except RagError as e:
            history += [{"role": "user", "content": shown},
                        {"role": "assistant", "content": f"⚠️ {md_escape(str(e))}"}]
            return history, "", gr.update(), turns
        history += [{"role": "user", "content": shown},
                    {"role": "assistant", "content": format_answer(answer)}]
        return history, "", article_html(bot, doc, answer), conversation.turns[-20:]

    def ask_api(question: str, doc: str = "") -> dict:
        """Answer one question; returns Answer.to_dict() (an 'error' key for bad input)."""
        try:
            return bot.ask(question, doc=doc or None).to_dict()
        except RagError as e:
            return {"error": str(e)}

    with gr.Blocks(title="Ask the article", fill_width=True) as app:
        note = gr.Markdown(loaded_note(), elem_id="loaded-note")
        turns = gr.State([])  # this visitor's conversation (rag.conversation.Turn)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chat = gr.Chatbot(label="Chat", height=520, elem_id="chat", sanitize_html=True,
                                  render_markdown=True, buttons=["copy"], feedback_options=None,
                                  placeholder="Ask a question about the article. Answers are "
                                              "quotes from it, with where they are.")
                with gr.Row():
                    box = gr.Textbox(placeholder="Ask a question…", show_label=False, scale=5,
                                     elem_id="question", max_lines=3, autofocus=True)
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=80,
                                     elem_id="ask")
                with gr.Row():
                    # Any indexed id is accepted (checked by bot.ask): articles added by
                    # other visitors after this page was built are not in its list yet.
                    doc_choice = gr.Dropdown(choices(), value=ALL_ARTICLES, label="Search in",
                                             visible=len(bot.documents) > 1, scale=3,
                                             allow_custom_value=True)
                    clear = gr.Button("Clear", scale=1, min_width=80, elem_id="clear")
                gr.Examples(example_questions(bot), inputs=box, label="Try")
                limit = bot.settings.max_file_bytes // 1_000_000
                with gr.Accordion(f"Add your own article (.txt, .md, .html; up to {limit} MB)",
                                  open=False):
                    upload_box = gr.File(file_types=[".txt", ".md", ".html", ".htm"],
                                         type="filepath", label="Article file", elem_id="upload")
                    upload_status = gr.Markdown(elem_id="upload-status")
            with gr.Column(scale=2, min_width=300):
                with gr.Accordion("The article (quotes marked)", open=True):
                    panel = gr.HTML(article_html(bot, None, None), elem_id="article-panel")
        outputs = [chat, box, panel, turns]
        scroll = "() => document.querySelector('#best-quote')?.scrollIntoView({block: 'center'})"
        box.submit(respond, [box, chat, doc_choice, turns], outputs,
                   api_visibility="private").then(None, js=scroll)
        send.click(respond, [box, chat, doc_choice, turns], outputs,
                   api_visibility="private").then(None, js=scroll)
        clear.click(lambda: ([], "", article_html(bot, None, None), []), None, outputs,
                    api_visibility="private")
        upload_box.upload(upload, upload_box, [note, doc_choice, panel, upload_box, upload_status],
                          api_visibility="private")
        app.load(refresh, None, [note, doc_choice, panel], api_visibility="private")
        doc_choice.change(lambda d: article_html(bot, None if d == ALL_ARTICLES else d, None),
                          doc_choice, panel, api_visibility="private")
        # The API's inputs are plain text and JSON, checked by our own code: a malformed
        # history or an article id this page does not list yet gets a message, not
        # Gradio's bare "Error".
        api_in = gr.Textbox(visible=False)
        api_doc = gr.Textbox(visible=False)
        api_history = gr.JSON(visible=False)
        api_out = gr.JSON(visible=False)
        api_button = gr.Button(visible=False)
        api_button.click(ask_api, [api_in, api_doc], api_out, api_name="ask")
        api_chat = gr.Button(visible=False)
        api_chat.click(respond, [api_in, api_history, api_doc, turns], outputs, api_name="chat")
    app.queue(default_concurrency_limit=8)
    return app


def launch(bot: Chatbot, host: str = "127.0.0.1", port: int = 7860, block: bool = True):
    """Start the web chat on host:port and print its URL."""
    import gradio as gr

    bot.warm_up()
    app = build_app(bot)
    app.launch(server_name=host, server_port=port, prevent_thread_lock=not block, quiet=False,
               show_error=False, theme=gr.themes.Soft(), css=CSS, footer_links=["api"],
               max_file_size=bot.settings.max_file_bytes)
    return app
