"""What the web chat shows, as text: an answer as a Markdown message (short answer
highlighted, numbered citation chips, a plain-text Copy button), the article panel as HTML
with the quotes marked and numbered like the chips, and a conversation exported as Markdown.

Everything that comes from a user or an article is escaped here, so HTML, scripts and
Markdown links in either show as plain text.
"""

from __future__ import annotations

import html
import re

from rag.answer import ABSTAIN_TEXT, Answer, Quote
from rag.chatbot import Chatbot

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>&~:/\"'=^$%@])")


def md_escape(text: str) -> str:
    """Make text inert in Markdown and HTML: every ASCII punctuation mark is escaped."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _highlighted(text: str, span: tuple[int, int] | None) -> str:
    if not span or span == (0, len(text)):
        return md_escape(text)
    a, b = span
    return (md_escape(text[:a]) + "<mark class='quote-mark'>**" + md_escape(text[a:b]) + "**</mark>"
            + md_escape(text[b:]))


def _citation(quote: Quote, with_title: bool) -> str:
    return md_escape(" · ".join(quote.where(with_title)))


def _chip(number: int) -> str:
    return f"<a class='cite' href='#q{number}' title='Show it in the article'>[{number}]</a>"


def _copy_button(answer: Answer, several_articles: bool) -> str:
    # Gradio's own copy button copies the Markdown ("U\\.S\\."); this one carries the plain
    # text in its value (Gradio's sanitizer keeps value, drops data-* and aria-*), escaped
    # for an attribute with newlines as &#10; so that the tag stays on one Markdown line.
    text = html.escape(answer.as_plain_text(several_articles), quote=True).replace("\n", "&#10;")
    return (f"<button type='button' class='copy-plain' value='{text}' "
            "title='Copy the answer and its sources as plain text'>"
            "<span class='copy-label'>Copy</span>"
            "<span class='visually-hidden'> the answer and its sources as plain text</span>"
            "</button>")


def format_answer(answer: Answer, several_articles: bool = False) -> str:
    """The reply as Markdown: the answer with its short answer highlighted and a numbered
    citation chip, then the other quotes; an abstention in its own grey style with the
    closest passages folded away. A Copy button at the end copies it as plain text."""
    copy = _copy_button(answer, several_articles)
    interpreted = (f"\n\n*Interpreted as: {md_escape(answer.interpreted_as)}*"
                   if answer.interpreted_as else "")
    if answer.abstained:
        lines = [f"<span class='abstained'>**{md_escape(ABSTAIN_TEXT)}**</span>{interpreted}"]
        if answer.quotes:
            lines += ["", "<details><summary>Closest passages (not an answer)</summary>", ""]
            for number, quote in enumerate(answer.quotes, 1):
                lines += [f"> {md_escape(quote.text)}", ">",
                          f"> — {_chip(number)} *{_citation(quote, several_articles)}*", ""]
            lines.append("</details>")
        return "\n".join([*lines, "", copy]).strip()
    best = answer.quotes[0]
    lines = [_highlighted(best.text, best.answer_span) + interpreted, "",
             f"— {_chip(1)} *{_citation(best, several_articles)}*"]
    if len(answer.quotes) > 1:
        lines += ["", "Also in the article:", ""]
        for number, quote in enumerate(answer.quotes[1:], 2):
            lines += [f"> {md_escape(quote.text)}", ">",
                      f"> — {_chip(number)} *{_citation(quote, several_articles)}*", ""]
    return "\n".join([*lines, "", copy]).strip()


def article_html(bot: Chatbot, doc: str | None, answer: Answer | None) -> str:
    """The cleaned article(s) as escaped HTML, the latest answer's quotes marked and numbered
    as its citation chips (in grey when they are only the closest passages)."""
    docs = [bot.documents[doc]] if doc in bot.documents else list(bot.documents.values())
    marks: dict[str, list[tuple[int, int, int]]] = {}
    for number, quote in enumerate(answer.quotes if answer else (), 1):
        marks.setdefault(quote.doc, []).append((quote.start, quote.end, number))
    kind = "quote-mark closest" if answer and answer.abstained else "quote-mark"
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
                       f"{_marked(document.text, start, end, marks.get(document.doc, []), kind)}</p>")
    return "\n".join(out)


def _marked(text: str, start: int, end: int, spans: list[tuple[int, int, int]], kind: str) -> str:
    pieces, cursor = [], start
    for a, b, number in sorted(spans):
        a, b = max(a, start), min(b, end)
        if a >= b or a < cursor:
            continue
        pieces.append(html.escape(text[cursor:a]))
        anchor = f" id='q{number}'" + (" data-best='1'" if number == 1 else "")
        pieces.append(f"<mark class='{kind}'{anchor}><span class='mark-no'>{number}</span>"
                      f"{html.escape(text[a:b])}</mark>")
        cursor = b
    pieces.append(html.escape(text[cursor:end]))
    return "".join(pieces)


def conversation_markdown(answers: list[dict]) -> str:
    """An exported conversation: each question, its answer, and the quotes with citations."""
    lines = ["# Conversation", ""]
    for number, answer in enumerate(answers, 1):
        lines += [f"## {number}. {answer.get('question', '')}", ""]
        if answer.get("interpreted_as"):
            lines += [f"*Interpreted as: {answer['interpreted_as']}*", ""]
        lines += [ABSTAIN_TEXT if answer.get("abstained") else answer.get("answer", ""), ""]
        if answer.get("quotes"):
            lines.append("Closest passages:" if answer.get("abstained") else "Quotes:")
        for index, quote in enumerate(answer.get("quotes", []), 1):
            where = " · ".join(Quote(**{name: quote.get(name) or default for name, default
                                        in _QUOTE_FIELDS.items()}).where())
            lines.append(f"{index}. “{quote.get('text', '')}” — {where}, "
                         f"characters {quote.get('start')}–{quote.get('end')} of {quote.get('doc')}")
        lines.append("")
    return "\n".join(lines)


_QUOTE_FIELDS = {"text": "", "doc": "", "title": "", "section": "", "paragraph": 0, "start": 0,
                 "end": 0, "score": 0.0}  # what an exported quote needs, and its default
