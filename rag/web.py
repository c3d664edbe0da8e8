"""The Gradio web chat: answers with highlighted quotes, the article beside them.

It calls the Chatbot facade (questions, conversations, uploads) and shows what it returns
through web_render.py, which escapes everything that comes from a user or an article.
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
from importlib import resources
from pathlib import Path

from rag.chatbot import BuildStep, Chatbot
from rag.config import ARTICLE_SUFFIXES, SERVE_HOST, SERVE_PORT
from rag.errors import RagError
from rag.web_render import article_html, conversation_markdown, format_answer, md_escape

log = logging.getLogger(__name__)

ALL_ARTICLES = "All articles"


def _static(name: str) -> str:
    return resources.files("rag").joinpath("static", name).read_text(encoding="utf-8")


CSS = _static("web.css")  # quote marks, citation chips, the article panel, light and dark
# Run once per page: citation chips scroll the article panel (not the page) to their numbered
# mark and flash it; a reply's Copy button copies the answer as plain text.
JS = f"() => {{ ({_static('chips.js')})(); ({_static('copy.js')})(); }}"
# After an answer: the chat shows the start of the new answer, the panel its best quote; only
# the two scrollable boxes move, so a phone does not jump down the page.
SCROLL = _static("scroll.js")


# Where each stage of a build starts and ends on the upload's progress bar.
_STAGES = {"checking": (0.0, 0.05), "cleaning": (0.05, 0.1), "parsing": (0.1, 0.4),
           "embedding": (0.4, 0.9), "writing": (0.9, 0.95), "done": (1.0, 1.0)}


def _stage(step: BuildStep) -> tuple[float | None, str]:
    """A build's step as (fraction done, description) for gr.Progress."""
    if step.stage not in _STAGES:
        return None, step.stage
    low, high = _STAGES[step.stage]
    if not step.total:
        return low, step.stage
    share = min((step.done + step.within) / step.total, 1.0)
    counted = f" {step.done}/{step.total}" if step.stage == "embedding" else ""
    return low + (high - low) * share, step.stage + counted


MAX_TURNS = 50  # kept per visitor (and in the browser's storage)
REFRESH_SECONDS = 20  # how often an open page checks for articles added elsewhere


def _restore(bot: Chatbot, saved: object) -> tuple[list[dict], list[dict], list[dict]]:
    """The conversation a browser kept, or an empty one if it is missing or ill-shaped."""
    try:
        _, history, turns, answers = saved
        return (_messages(history), bot.resume(turns).saved(MAX_TURNS),
                [a for a in answers if isinstance(a, dict)])
    except (TypeError, ValueError):
        return [], [], []


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


def build_app(bot: Chatbot):
    """The Gradio Blocks app for `bot`. API endpoints: /chat (history) and /ask (JSON)."""
    import gradio as gr

    def loaded_note() -> str:
        titles = ", ".join(f"“{d.title}”" for d in bot.documents.values())
        return f"# Ask the article\nLoaded: {md_escape(titles)}"

    def choices() -> list:
        return [ALL_ARTICLES] + [(d.title, d.doc) for d in bot.documents.values()]

    def start(saved, request: gr.Request):
        """A page load: the corpus as it is now (articles may have been added anywhere since
        the server started), the conversation this browser had, or the question of a ?q=
        link answered."""
        view = (loaded_note(), gr.update(choices=choices(), visible=len(bot.documents) > 1))
        question = (request.query_params.get("q") or "") if request else ""
        if question.strip():
            history, _, panel, turns, answers = respond(question, [], None, [], [])
            return *view, panel, history, turns, answers
        history, turns, answers = _restore(bot, saved)
        return *view, article_html(bot, None, None), history, turns, answers

    # Gradio passes the request to a parameter annotated gr.Request; with postponed
    # annotations it sees only the string, so the real class is set here.
    start.__annotations__["request"] = gr.Request

    def upload(path, progress=gr.Progress()):
        keep = (gr.update(),) * 4
        if not path:
            return *keep, ""
        copy = Path(path)
        try:
            try:
                progress(0.0, desc="checking")
                result, = bot.add([copy], progress=lambda step: progress(*_stage(step)),
                                  keep_refused=False)
            finally:  # Gradio's copy of the upload is not kept
                copy.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    copy.parent.rmdir()
            if result.doc is None:
                return *keep, f"⚠️ {md_escape(copy.name)} was not added: {md_escape(result.reason)}"
            removed = [f"- {md_escape(str(item))}" for item in bot.cleaning(result.doc).removed]
        except RagError as e:
            return *keep, f"⚠️ {md_escape(str(e))}"
        document = bot.documents[result.doc]
        what = (f"added {copy.name} as article {document.doc}" if result.new else
                f"{copy.name} is already here as article {document.doc}")
        status = (f"✅ {md_escape(what)}. Questions now cover “{md_escape(document.title)}”; "
                  "its cleaned text is on the right.")
        if removed:
            status += (f"\n\n<details><summary>Cleaning removed {len(removed)} bits of site "
                       "chrome: show</summary>\n\n" + "\n".join(removed) + "\n\n</details>")
        return (loaded_note(), gr.update(choices=choices(), value=document.doc, visible=True),
                article_html(bot, document.doc, None), gr.update(value=None), status)

    def respond(message, history, doc_choice, turns, answers):
        history = _messages(history)
        doc = None if doc_choice in (None, "", ALL_ARTICLES) else doc_choice
        shown = md_escape(message if isinstance(message, str) else "")
        conversation = bot.resume(turns)
        try:
            answer = conversation.ask(message, doc=doc)
        except RagError as e:
            history += [{"role": "user", "content": shown},
                        {"role": "assistant", "content": f"⚠️ {md_escape(str(e))}"}]
            return history, "", gr.update(), turns, answers
        history += [{"role": "user", "content": shown},
                    {"role": "assistant", "content": format_answer(answer, len(bot.documents) > 1)}]
        answers = [*(answers if isinstance(answers, list) else []), answer.to_dict()][-MAX_TURNS:]
        return (history, "", article_html(bot, doc, answer), conversation.saved(MAX_TURNS),
                answers)

    def export(answers):
        """The conversation as Markdown and JSON files to download."""
        folder = Path(tempfile.mkdtemp(dir=exports.name))
        (folder / "conversation.json").write_text(
            json.dumps(answers or [], ensure_ascii=False, indent=2), encoding="utf-8")
        (folder / "conversation.md").write_text(conversation_markdown(answers or []),
                                                encoding="utf-8")
        return gr.update(value=[str(folder / "conversation.md"), str(folder / "conversation.json")],
                         visible=True)

    def ask_api(question: str, doc: str = "") -> dict:
        """Answer one question; returns Answer.to_dict() (an 'error' key for bad input)."""
        try:
            return bot.ask(question, doc=doc or None).to_dict()
        except RagError as e:
            return {"error": str(e)}

    exports = tempfile.TemporaryDirectory(prefix="rag-exports-")  # removed with the app
    # delete_cache: Gradio's copies of uploads and exports go after an hour.
    with gr.Blocks(title="Ask the article", fill_width=True, delete_cache=(3600, 3600)) as app:
        app.rag_exports = exports
        note = gr.Markdown(loaded_note(), elem_id="loaded-note")
        turns = gr.State([])  # this visitor's conversation (Conversation.saved())
        answers = gr.State([])  # and its answers, for the export
        saved = gr.BrowserState(["", [], [], []], storage_key="rag-conversation")
        listed = gr.State(sorted(bot.documents))  # the articles this page lists
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                # The chat's label is hidden (it overlapped the first message); this heading
                # names the chat region for screen readers and heading navigation.
                gr.HTML("<h2 id='chat-heading'>Chat</h2>", elem_classes="visually-hidden",
                        elem_id="chat-heading-block")
                chat = gr.Chatbot(label="Chat", height=520, elem_id="chat", sanitize_html=True,
                                  render_markdown=True, buttons=[], feedback_options=None,
                                  autoscroll=False, show_label=False,
                                  placeholder="Ask a question about the article. Answers are "
                                              "quotes from it, with where they are.")
                with gr.Row():
                    box = gr.Textbox(label="Your question", placeholder="Ask a question…",
                                     show_label=False, scale=5,
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
                    export_button = gr.Button("Export conversation", scale=1, min_width=80,
                                              elem_id="export")
                export_files = gr.File(label="Conversation (Markdown and JSON)",
                                       file_count="multiple", visible=False, elem_id="export-files")
                with gr.Row(elem_id="examples"):
                    gr.Markdown("Try:")
                    examples = [gr.Button(q, size="sm", elem_classes="example")
                                for q in bot.example_questions()]
                limit = bot.settings.max_file_bytes // 1_000_000
                kinds = ", ".join(ARTICLE_SUFFIXES[:3])
                with gr.Accordion(f"Add your own article ({kinds}; up to {limit} MB)",
                                  open=False):
                    upload_box = gr.File(file_types=list(ARTICLE_SUFFIXES),
                                         type="filepath", label="Article file", elem_id="upload")
                    upload_status = gr.Markdown(elem_id="upload-status")
            with gr.Column(scale=2, min_width=300):
                with gr.Accordion("The article (quotes marked)", open=True):
                    panel = gr.HTML(article_html(bot, None, None), elem_id="article-panel")
        outputs = [chat, box, panel, turns, answers]

        def remember(history, turns, answers):
            return ["", history, turns, answers]

        for trigger, question in ((box.submit, box), (send.click, box),
                                  *((b.click, b) for b in examples)):  # examples ask at once
            trigger(respond, [question, chat, doc_choice, turns, answers], outputs,
                    api_visibility="private").then(None, js=SCROLL).then(
                remember, [chat, turns, answers], saved, api_visibility="private")
        clear.click(lambda: ([], "", article_html(bot, None, None), [], [], ["", [], [], []],
                             gr.update(value=None, visible=False)), None,
                    [*outputs, saved, export_files], api_visibility="private")
        export_button.click(export, answers, export_files, api_visibility="private")
        upload_box.upload(upload, upload_box, [note, doc_choice, panel, upload_box, upload_status],
                          api_visibility="private")
        app.load(start, saved, [note, doc_choice, panel, chat, turns, answers],
                 api_visibility="private").then(None, js=SCROLL)

        def follow_corpus(shown):
            """Articles added or removed anywhere since this page listed them."""
            now = sorted(bot.documents)
            if now == shown:
                return gr.update(), gr.update(), shown
            return (loaded_note(), gr.update(choices=choices(), visible=len(now) > 1), now)

        gr.Timer(REFRESH_SECONDS).tick(follow_corpus, listed, [note, doc_choice, listed],
                                       api_visibility="private", show_progress="hidden")
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
        api_chat.click(respond, [api_in, api_history, api_doc, turns, answers], outputs,
                       api_name="chat")
    app.queue(default_concurrency_limit=8)
    return app


def launch(bot: Chatbot, host: str = SERVE_HOST, port: int = SERVE_PORT, block: bool = True):
    """Start the web chat on host:port and print its URL."""
    import gradio as gr

    bot.warm_up()
    app = build_app(bot)
    app.launch(server_name=host, server_port=port, prevent_thread_lock=not block, quiet=False,
               show_error=False, theme=gr.themes.Soft(), css=CSS, js=JS, footer_links=["api"],
               max_file_size=bot.settings.max_file_bytes)
    return app
