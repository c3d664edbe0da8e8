"""HTML page -> clean text: the article's main text found, then chrome removed by its shape.

HTML starts from trafilatura's main text (default settings, plus prose paragraphs of its own
extractor where it chose a fallback's shorter text, the standfirst, or the JSON-LD articleBody
of a page rendered by scripts). Then chrome goes by its shape: lists and runs of link lines,
"Most Read"/"Related"/"Latest" blocks, numbered headlines, "A SIMPLE GUIDE:"-style teasers,
contact/phone blocks, social handles, sign-up appeals and metadata lines. What is left goes
through the paragraph rules of rag/clean.py. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.clean import (PARAGRAPH, SENTENCE_END, WORD, Cleaned, Removed, clean_paragraphs,
                       is_reported, normalize)


def clean_html(html: str) -> Cleaned:
    """Clean an HTML page: trafilatura finds the main text (with its default settings, which
    keep more of the article than favor_precision), then only what is clearly site chrome
    goes: lists and lines of links, "Most Read"/"Related"/"Latest" runs, teasers, contact and
    social blocks, and the paragraph rules for short lines."""
    import trafilatura  # import here: slow, and only HTML needs it

    blocks = _extract(html, no_fallback=False)
    # trafilatura sometimes prefers a fallback extractor's (shorter) text: its own extractor's
    # prose paragraphs that the chosen text lacks are put back in place.
    blocks = _merge_prose(blocks, _extract(html, no_fallback=True))
    page = _parse_html(html)
    meta = trafilatura.extract_metadata(html)
    blocks = _with_article_body(blocks, page)
    reasons = _html_chrome(blocks)
    first = next((i for i, r in enumerate(reasons) if r is None), len(blocks))
    title = " ".join((meta.title if meta and meta.title else "").split())
    if title and not (first < len(blocks) and blocks[first].text.startswith(title)):
        blocks.insert(first, _HtmlBlock(title, False))
        reasons.insert(first, None)
    blocks, reasons = _with_standfirst(blocks, reasons, first, page,
                                       meta.description if meta else None)
    paragraphs = [(b.text, b.head) for b in blocks]
    outside = _outside_main_text(page, normalize(" ".join(b.text for b in blocks)))
    cleaned = clean_paragraphs(paragraphs, outside, reasons)
    if not any(b.kind == PARAGRAPH for b in cleaned.blocks) and any(reasons):
        # A page that is all links or labels (a link roundup) keeps them rather than no text.
        cleaned = clean_paragraphs(paragraphs, outside)
    return cleaned


def _extract(html: str, no_fallback: bool) -> list[_HtmlBlock]:
    import lxml.etree
    import trafilatura

    # XML output keeps headings, lists and links apart and the text unescaped (Markdown output
    # would add backslashes before brackets and stars, and quotes must stay verbatim).
    xml = trafilatura.extract(html, output_format="xml", include_comments=False,
                              include_tables=True, include_images=False, include_links=True,
                              include_formatting=False, deduplicate=False,
                              no_fallback=no_fallback)
    main = lxml.etree.fromstring(xml.encode("utf-8")).find("main") if xml else None
    return _xml_blocks(main) if main is not None else []


def _merge_prose(blocks: list[_HtmlBlock], other: list[_HtmlBlock]) -> list[_HtmlBlock]:
    import difflib

    have = normalize(" ".join(b.text for b in blocks))
    matcher = difflib.SequenceMatcher(None, [normalize(b.text) for b in blocks],
                                      [normalize(b.text) for b in other], autojunk=False)
    out: list[_HtmlBlock] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        out += blocks[i1:i2]
        if tag in ("insert", "replace"):
            out += [b for b in other[j1:j2] if _is_prose(b) and normalize(b.text) not in have]
    return out


def _is_prose(b: _HtmlBlock) -> bool:
    return (not b.head and b.links < 0.5 and len(WORD.findall(b.text)) >= 6
            and bool(SENTENCE_END.search(b.text)))


@dataclass(frozen=True)
class _HtmlBlock:
    text: str
    head: bool
    links: float = 0.0  # share of the text inside links
    group: int | None = None  # blocks of one list or table share a group


_XML_BLOCKS = ("head", "p", "item", "quote", "row", "code")


def _xml_text(element) -> str:
    parts = [element.text or ""]
    for child in element:
        # a line break or a new cell, item or paragraph separates words
        apart = child.tag in ("lb", "cell", "item", "p", "head", "list", "row", "quote")
        parts.append(" " if child.tag == "lb" else
                     f" {_xml_text(child)} " if apart else _xml_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _xml_blocks(main) -> list[_HtmlBlock]:
    out: list[_HtmlBlock] = []
    for element in main.iter(*_XML_BLOCKS):
        if any(a.tag in _XML_BLOCKS for a in element.iterancestors()):
            continue  # counted with its parent
        text = " ".join(_xml_text(element).split())
        if not text:
            continue
        link_chars = sum(len("".join(_xml_text(r).split())) for r in element.iter("ref")
                         if not any(a.tag == "ref" for a in r.iterancestors()))
        parent = element.getparent()
        group = id(parent) if element.tag in ("item", "row") and parent is not None else None
        out.append(_HtmlBlock(text, element.tag == "head",
                              min(1.0, link_chars / max(len("".join(text.split())), 1)), group))
    return out


def _parse_html(html: str):
    import lxml.etree
    import lxml.html

    try:  # lxml refuses a str that declares its encoding: the declaration is dropped
        return lxml.html.fromstring(re.sub(r"^\s*<\?xml[^>]*>", "", html))
    except (ValueError, lxml.etree.ParserError):
        return None


def _with_article_body(blocks: list[_HtmlBlock], page) -> list[_HtmlBlock]:
    """Some pages render the article with scripts and ship its text only as structured data
    (JSON-LD articleBody): use that when the extraction holds much less of it."""
    import json

    if page is None:
        return blocks
    found = normalize(" ".join(b.text for b in blocks))
    for script in page.iter("script"):
        if script.get("type") != "application/ld+json" or "articleBody" not in (script.text or ""):
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        items = data if isinstance(data, list) else \
            data.get("@graph", [data]) if isinstance(data, dict) else []
        for item in items if isinstance(items, list) else []:
            body = item.get("articleBody") if isinstance(item, dict) else None
            norm = normalize(body) if isinstance(body, str) and "<" not in body else ""
            if len(norm.split()) >= 100 and len(found) < 0.5 * len(norm):
                keep = [b for b in blocks if b.head or normalize(b.text) not in norm]
                heads = [b for b in keep if b.head][:1]
                rest = [b for b in keep if b not in heads]
                return heads + [_HtmlBlock(" ".join(line.split()), False)
                                for line in body.split("\n") if line.strip()] + rest
    return blocks


def _with_standfirst(blocks: list[_HtmlBlock], reasons: list[str | None], title: int, page,
                     description: str | None) -> tuple[list[_HtmlBlock], list[str | None]]:
    """The standfirst under the headline is often outside the extracted body; it is on the
    page and in the page's description: put it back after the title."""
    if page is None or not description or title >= len(blocks):
        return blocks, reasons
    target = normalize(description)
    if len(target.split()) < 8 or target in normalize(" ".join(b.text for b in blocks)):
        return blocks, reasons
    body = page.find("body")
    for element in body.iter("p", "h2", "h3", "div") if body is not None else ():
        text = " ".join((element.text or "").split())  # its own text, before its children
        if normalize(text) != target and element.tag != "div":
            text = " ".join(element.text_content().split())
        if normalize(text) == target:
            return (blocks[:title + 1] + [_HtmlBlock(text, False)] + blocks[title + 1:],
                    reasons[:title + 1] + [None] + reasons[title + 1:])
    return blocks, reasons


_SECTION_LABEL = re.compile(
    r"^(related( (posts|stories|articles|coverage|content|links|news|topics|reading))?|"
    r"more (from|on|in|stories|news|articles|videos)\b.*|"
    r"(the )?most (read|popular|viewed|shared|commented|recent)\b.*|"
    r"(the )?latest( (news|stories|posts|articles|headlines|videos)| from\b.*)?|"
    r"recent (posts|articles|stories|news|comments)|popular( (posts|stories|articles|now))?|"
    r"trending( (now|stories|articles|news))?|recommended( (for you|stories|articles|reading))?|"
    r"(you )?(may|might) also (like|enjoy)|read (more|next|also)|"
    r"also read|see also|top (stories|news|picks)|editor'?s'? picks?|don'?t miss|"
    r"what to read next|further reading|other (stories|articles|news)|in other news)"
    r"\s*[:|\-–—»›]?$", re.I)
_LINK_LINE_WORDS = 4  # a lone link line this short is a menu entry or a label
_TEASER = re.compile(r"^[A-Z0-9][A-Z0-9 ,'’&!?-]{2,40}:\s+\S")
_PHONE = re.compile(r"(\+?\d[\d ().-]{6,}\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_HANDLE = re.compile(r"(?<![\w@])@\w{2,}")
_SOCIAL = re.compile(r"\b(twitter|facebook|instagram|linkedin|youtube|tiktok|threads)\b", re.I)
_CONTACT = re.compile(r"\b(contact|call|email|reach|write to) us\b", re.I)
_SITE_SPEAK = re.compile(
    r"\bfollow (us|[\w@]+( \w+)?) on (twitter|facebook|instagram|linkedin|youtube|tiktok)\b|"
    r"\bfor the latest (news|stories|updates)\b|\bdownload our\b.{0,40}\bapps?\b|"
    r"\bsubscribe (now|today)\b|\bsign up (here|now|today|to get)\b|"
    r"\bwe (want|would like|'d like) to hear what you think\b|\bcomments are moderated\b|"
    r"\bcopyrighted property\b|\bpermission\b.{0,60}\b(reprint|republish|reproduc)|"
    r"\bthis (post|article|page|story) contains (affiliate )?(links|references)\b|"
    r"\bwe (may )?(earn|receive) (a )?commission\b|"
    r"\bwe need your (help|support)\b.{0,80}\bdonate\b|\bsupport our journalism\b", re.I)
_META_LINE = re.compile(r"\b(last (modified|updated)|release date|news date|date posted|"
                        r"categor(y|ies)|tags|filed under|posted in)\s*:|"
                        r"^[\w-]+(\.[\w-]+)*\.(com|net|org|co\.\w\w|info|news)$", re.I)


def _html_chrome(blocks: list[_HtmlBlock]) -> list[str | None]:
    """A reason per block that is site chrome by its shape, else None (the paragraph rules
    still apply). Body prose (long, few links) is never chrome here."""
    reasons: list[str | None] = [None] * len(blocks)
    words = [len(WORD.findall(b.text)) for b in blocks]
    groups: dict[int, list[int]] = {}
    for i, b in enumerate(blocks):
        if b.group is not None:
            groups.setdefault(b.group, []).append(i)
    for members in groups.values():
        # Headlines do not end with a full stop; a list of references or steps does.
        linked = sum(blocks[i].links >= 0.6 and not blocks[i].text.endswith(".")
                     for i in members)
        if linked >= 0.6 * len(members) and sum(words[i] for i in members) <= 15 * len(members):
            for i in members:
                reasons[i] = "list of links"
    i = 0
    while i < len(blocks):
        b, n = blocks[i], words[i]
        if n <= 7 and _SECTION_LABEL.match(b.text):
            reasons[i] = "related-links block"
            j = i + 1
            while j < len(blocks) and (blocks[j].group is not None and
                                       blocks[j].group == blocks[i + 1].group or
                                       blocks[j].links >= 0.5 and words[j] <= 40 or
                                       (words[j] <= 15 and not blocks[j].head and
                                        not SENTENCE_END.search(blocks[j].text))):
                reasons[j] = "related-links block"
                j += 1
            i = j
            continue
        if reasons[i] is None:
            reasons[i] = _html_block_reason(b, n)
        i += 1
    # Lines that are all link (headlines of other stories): in a run, or a short one; a lone
    # link line amid prose may be the article's own "read the whole thing".
    linky = [reasons[i] is None and b.group is None and b.links >= 0.8 and words[i] <= 40 and
             not b.text.endswith(".") for i, b in enumerate(blocks)]
    for i, b in enumerate(blocks):
        if linky[i] and (words[i] <= _LINK_LINE_WORDS or (i > 0 and linky[i - 1]) or
                         (i + 1 < len(blocks) and linky[i + 1])):
            reasons[i] = "line of links"
    # Numbered headlines outside a list: "1 Headline", "2 Headline", "3 Headline" ... (not
    # "1 cup flour": a headline starts with a capital)
    for start in range(len(blocks)):
        run = start
        while run < len(blocks) and words[run] <= 20 and blocks[run].group is None and re.match(
                rf"{run - start + 1}[.)]?\s+[A-Z]", blocks[run].text) and \
                not SENTENCE_END.search(blocks[run].text):
            run += 1
        if run - start >= 3:
            for k in range(start, run):
                reasons[k] = reasons[k] or "numbered headline list"
    return reasons


def _html_block_reason(b: _HtmlBlock, n: int) -> str | None:
    if is_reported(b.text):
        return None
    if n <= 20 and _TEASER.match(b.text) and (
            b.links >= 0.5 or not (b.head or b.text.endswith("."))):
        return "teaser for another story"
    if n <= 60 and (_PHONE.search(b.text) or _EMAIL.search(b.text)) and (
            _CONTACT.search(b.text) or _SITE_SPEAK.search(b.text) or
            (_PHONE.search(b.text) and _EMAIL.search(b.text))):
        return "contact or phone block"
    if _HANDLE.search(b.text) and (n <= 12 or (n <= 40 and _SOCIAL.search(b.text))):
        return "social media handles"
    if n <= 60 and _SITE_SPEAK.search(b.text):
        return "the site talking about itself"
    if n <= 15 and _META_LINE.search(b.text):
        return "byline or dateline"
    return None


_BLOCK_TAGS = ("p", "li", "nav", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "button",
               "figcaption", "td",
               "blockquote", "div", "span", "a", "script", "style")


def _outside_main_text(root, kept_norm: str) -> tuple[Removed, ...]:
    """The page's text blocks that the extractor left out, for the cleaning report."""
    if root is None:
        return ()
    out: list[Removed] = []
    seen: set[str] = set()
    for element in root.iter(*_BLOCK_TAGS):
        if element.tag not in ("script", "style") and any(
                child.tag in _BLOCK_TAGS for child in element):
            continue  # report the innermost blocks only
        text = " ".join(element.text_content().split())
        norm = normalize(text)
        if not norm or norm in seen or norm in kept_norm:
            continue
        seen.add(norm)
        reason = ("script or style" if element.tag in ("script", "style")
                  else "outside the article's main text")
        out.append(Removed(text, reason))
    return tuple(out)
