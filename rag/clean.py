"""Raw article -> clean text: title and body, without site chrome. Pure: no I/O.

The cleaner works on paragraphs. Each paragraph is tested against patterns of web chrome
(consent banners, buttons, share bars, newsletter pitches, "Related:" links, tag lists,
comment counts, copyright lines); a paragraph of prose (over 40 words) is chrome only where
it is dense with cookie and privacy site-speak, never for one matched word. A run of chrome at
the end of a plain-text page (a consent banner, a footer) is cut whole even where a paragraph
in it names no pattern, and repeated paragraphs (a photo caption printed twice) are kept once.

HTML starts from trafilatura's main text (default settings, plus prose paragraphs of its own
extractor where it chose a fallback's shorter text, the standfirst, or the JSON-LD articleBody
of a page rendered by scripts). Then chrome goes by its shape: lists and runs of link lines,
"Most Read"/"Related"/"Latest" blocks, numbered headlines, "A SIMPLE GUIDE:"-style teasers,
contact/phone blocks, social handles, sign-up appeals and metadata lines. Everything removed
is recorded with its reason so a user can check it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CLEANER_VERSION = 6  # bump when the rules change: indexes built by older rules go stale

TITLE, HEADING, PARAGRAPH = "title", "heading", "paragraph"


@dataclass(frozen=True)
class Block:
    kind: str  # title | heading | paragraph
    start: int  # char offsets in the cleaned text
    end: int


@dataclass(frozen=True)
class Removed:
    text: str
    reason: str


@dataclass(frozen=True)
class Cleaned:
    title: str
    text: str  # title, then headings and paragraphs, separated by blank lines
    blocks: tuple[Block, ...]
    removed: tuple[Removed, ...]

    def report(self) -> str:
        """A short human-readable record of what cleaning removed and why."""
        lines = [f"# Cleaning report: {self.title}", ""]
        lines.append(f"Kept {sum(b.kind == PARAGRAPH for b in self.blocks)} paragraphs and "
                     f"{sum(b.kind == HEADING for b in self.blocks)} headings; "
                     f"removed {len(self.removed)} blocks.")
        lines.append("")
        for item in self.removed:
            snippet = item.text if len(item.text) <= 100 else item.text[:97] + "..."
            lines.append(f"- {item.reason}: {snippet!r}")
        return "\n".join(lines) + "\n"


# Site-speak: a page talking about itself or to its reader, not the article's own subject.
_CONSENT = re.compile(
    r"\b(this|our) (web)?sites?\b|\bthe site\b|\byour (browser|device|preferences|privacy|"
    r"personal (data|information)|experience|consent|settings|choices?)\b|"
    r"\bcookie (banner|preferences|policy|settings|list|notice)\b|\bcookies? (list|settings)\b|"
    r"\b(accept|allow|reject|manage|use of|deny) (all )?cookies\b|\bwe use cookies\b|"
    r"\bdo not sell\b|\bopt[- ]?out\b|\bmanage consent\b|\bconsent preferences\b|"
    r"\bstrictly necessary\b|\bprivacy (policy|notice|settings|request|choices|controls)\b",
    re.IGNORECASE,
)
_COOKIE_WORD = re.compile(r"\bcookies?\b", re.IGNORECASE)
_BUTTON = re.compile(
    r"^(x|×|✕|ok|okay|got it|close|accept|accept all|reject|reject all|allow|allow all|deny|"
    r"decline|agree|i agree|save|save settings|save preferences|confirm( my)? choices|"
    r"manage (settings|preferences|options)|more options|learn more|settings|preferences|menu|"
    r"search|skip to (main )?content|sign in|sign up|log in|log out|register|subscribe|"
    r"subscribe now|share|share this( article| story)?|tweet|email|print|copy link|comments?|"
    r"back to top|next|previous|home|advertisement|sponsored|ad|story continues below|"
    r"continue reading|show more|load more|read more)[.!:]?$",
    re.IGNORECASE,
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(advertisement|sponsored( content)?|paid content|"
                r"(story|article) continues below( advertisement)?)\b", re.I), "advertisement"),
    (re.compile(r"\bour newsletters?\b|\bnewsletters?\b.{0,60}\b(sign up|subscribe|inbox)\b|"
                r"\b(sign up|subscribe|register)\b.{0,60}\bnewsletters?\b|\bsubscribe now\b|"
                r"\bsign up (for|to) (our|the latest|free)\b|\bsubscribe (to|for) our\b|"
                r"\bin(to)? your inbox\b|^([\w'’&]+ ){0,4}newsletters?$", re.I),
     "newsletter pitch"),
    (re.compile(r"^(related( stories| articles| coverage| content)?|read more|read next|"
                r"more from [\w ]+|recommended( for you)?|see also|you may also like|"
                r"you might also like|most (popular|read)|trending( now)?|also read|"
                r"further reading|more on this story)\b\s*([:|\-–—]|$)", re.I),
     "related-links line"),
    (re.compile(r"^(tags|topics|filed under|categories|category|keywords)\s*:", re.I), "tag list"),
    (re.compile(r"^(by|written by|words by|reporting by)\s+[A-Z][\w.'’-]*(\s+[A-Z][\w.'’-]*){0,3}"
                r"(\s*(,|and|&)\s*[A-Z][\w.'’-]*(\s+[A-Z][\w.'’-]*){0,3})*\s*$|"
                r"^(published|updated|posted|last updated)\b.{0,60}$|\b\d+\s*min(ute)?s?\s+read\b",
                re.I), "byline or dateline"),
    (re.compile(r"^\(?\d+\)?\s+comments?$|^comments?\s*\(\d+\)$|^(leave|post|add) a comment\b|"
                r"^join the (conversation|discussion)\b|^\d+\s+(shares|replies)$", re.I),
     "comment count"),
    (re.compile(r"©|\(c\) \d{4}|\bcopyright\b.*\d{4}|\ball rights reserved\b|"
                r"\bterms (of|and) (use|service|conditions)\b|^(contact us|about us|careers|"
                r"site ?map|accessibility)\b", re.I), "copyright or footer line"),
    (re.compile(r"^(share|follow us)( (on|this|via))?\b.*\b(facebook|twitter|linkedin|whatsapp|"
                r"reddit|pinterest|email)\b", re.I), "share bar"),
)
_REPORTED = re.compile(r"[“”\"]|\b(said|says|told|according to)\b", re.I)
_NAV_SEPARATORS = re.compile(r"\s[|•·»›/]\s")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_WORD = re.compile(r"\w+")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_PROSE_WORDS = 40  # a paragraph longer than this is prose: only dense site-speak makes it chrome
_UNWRAP_MIN = 40  # a hard-wrapped paragraph has lines this long or longer, bar the last,
_UNWRAP_MAX = 100  # and no longer than this


def clean_text(raw: str) -> Cleaned:
    """Clean a plain-text or Markdown article: the first real line is its title."""
    return _clean_paragraphs(_paragraphs(raw))


def _clean_paragraphs(paragraphs: list[tuple[str, bool]], extra: tuple[Removed, ...] = (),
                      reasons: list[str | None] | None = None) -> Cleaned:
    kinds, removed = _classify(paragraphs, reasons)
    cleaned = _assemble(paragraphs, kinds, removed)
    return Cleaned(cleaned.title, cleaned.text, cleaned.blocks, extra + cleaned.removed)


def clean_markdown(markdown: str) -> Cleaned:
    """Clean a Markdown article: markup is dropped (link targets, emphasis marks), the text
    of headings, paragraphs, list items and quotes is kept as written."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(markdown.replace("\r\n", "\n"))
    paragraphs: list[tuple[str, bool]] = []
    heading = False
    for token in tokens:
        if token.type == "heading_open":
            heading = True
        elif token.type == "heading_close":
            heading = False
        elif token.type == "inline":
            parts = [child.content if child.type in ("text", "code_inline") else
                     "\n" if child.type in ("softbreak", "hardbreak") else ""
                     for child in token.children or ()]
            lines = [line.strip() for line in "".join(parts).split("\n") if line.strip()]
            if heading:
                paragraphs.append((" ".join(lines), True))
            elif lines:
                paragraphs += [(" ".join(lines), False)] if _hard_wrapped(lines) else [
                    (line, False) for line in lines]
    return _clean_paragraphs([(p, h) for p, h in paragraphs if p])


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
    outside = _outside_main_text(page, _normalize(" ".join(b.text for b in blocks)))
    cleaned = _clean_paragraphs(paragraphs, outside, reasons)
    if not any(b.kind == PARAGRAPH for b in cleaned.blocks) and any(reasons):
        # A page that is all links or labels (a link roundup) keeps them rather than no text.
        cleaned = _clean_paragraphs(paragraphs, outside)
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

    have = _normalize(" ".join(b.text for b in blocks))
    matcher = difflib.SequenceMatcher(None, [_normalize(b.text) for b in blocks],
                                      [_normalize(b.text) for b in other], autojunk=False)
    out: list[_HtmlBlock] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        out += blocks[i1:i2]
        if tag in ("insert", "replace"):
            out += [b for b in other[j1:j2] if _is_prose(b) and _normalize(b.text) not in have]
    return out


def _is_prose(b: _HtmlBlock) -> bool:
    return (not b.head and b.links < 0.5 and len(_WORD.findall(b.text)) >= 6
            and bool(_SENTENCE_END.search(b.text)))


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
    found = _normalize(" ".join(b.text for b in blocks))
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
            norm = _normalize(body) if isinstance(body, str) and "<" not in body else ""
            if len(norm.split()) >= 100 and len(found) < 0.5 * len(norm):
                keep = [b for b in blocks if b.head or _normalize(b.text) not in norm]
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
    target = _normalize(description)
    if len(target.split()) < 8 or target in _normalize(" ".join(b.text for b in blocks)):
        return blocks, reasons
    body = page.find("body")
    for element in body.iter("p", "h2", "h3", "div") if body is not None else ():
        text = " ".join((element.text or "").split())  # its own text, before its children
        if _normalize(text) != target and element.tag != "div":
            text = " ".join(element.text_content().split())
        if _normalize(text) == target:
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
    words = [len(_WORD.findall(b.text)) for b in blocks]
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
                                        not _SENTENCE_END.search(blocks[j].text))):
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
                not _SENTENCE_END.search(blocks[run].text):
            run += 1
        if run - start >= 3:
            for k in range(start, run):
                reasons[k] = reasons[k] or "numbered headline list"
    return reasons


def _html_block_reason(b: _HtmlBlock, n: int) -> str | None:
    if _is_reported(b.text):
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
        norm = _normalize(text)
        if not norm or norm in seen or norm in kept_norm:
            continue
        seen.add(norm)
        reason = ("script or style" if element.tag in ("script", "style")
                  else "outside the article's main text")
        out.append(Removed(text, reason))
    return tuple(out)


def _paragraphs(raw: str) -> list[tuple[str, bool]]:
    """Split into (paragraph, is_markdown_heading) pairs; unwrap hard-wrapped lines."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    out: list[tuple[str, bool]] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        wrapped = _hard_wrapped(lines)
        for line in [" ".join(lines)] if wrapped else lines:
            heading = _MD_HEADING.match(line)
            line = re.sub(r"^[*_]{1,3}(.+?)[*_]{1,3}$", r"\1", line) if not heading else line
            out.append((heading.group(1), True) if heading else (line, False))
    return [(p, h) for p, h in out if p]


def _hard_wrapped(lines: list[str]) -> bool:
    """Lines cut at a fixed width (old mail, plain-text archives) rather than one per paragraph:
    short-ish lines, most of them ending mid-sentence."""
    if len(lines) < 2 or any(_MD_HEADING.match(line) or _BUTTON.match(line) for line in lines):
        return False
    body = lines[:-1]
    if any(len(line) < _UNWRAP_MIN or len(line) > _UNWRAP_MAX for line in body):
        return False
    mid_sentence = sum(not _SENTENCE_END.search(line) for line in body)
    return mid_sentence >= 0.6 * len(body)


def _chrome_reason(paragraph: str) -> str | None:
    words = _WORD.findall(paragraph)
    if not words:
        return "no words"
    if _BUTTON.match(paragraph):
        return "button or menu label"
    if len(words) > _PROSE_WORDS:
        # Body prose is not dropped because a word matched; a long notice about cookies and
        # privacy speaks of them again and again.
        return "cookie or privacy notice" if len(_CONSENT.findall(paragraph)) >= 2 else None
    if _is_reported(paragraph) and not _CONSENT.search(paragraph):
        return None  # (a banner quotes its own buttons: By clicking “Accept All” you agree ...)
    for pattern, reason in _PATTERNS:
        if pattern.search(paragraph):
            return reason
    if _CONSENT.search(paragraph) or (_COOKIE_WORD.search(paragraph) and len(words) <= 12):
        return "cookie or privacy notice"
    if len(_NAV_SEPARATORS.findall(paragraph)) >= 2 and not _SENTENCE_END.search(paragraph):
        return "navigation menu"
    return None


def _classify(paragraphs: list[tuple[str, bool]], found: list[str | None] | None = None
              ) -> tuple[list[str | None], list[tuple[int, str]]]:
    """Return a kind per paragraph (None: removed) and (index, reason) for each removal;
    found: reasons already known (HTML chrome by its shape; the extractor has cut the page's
    footer, so a short line after the last chrome is kept)."""
    reasons = [(found[i] if found else None) or _chrome_reason(p)
               for i, (p, _) in enumerate(paragraphs)]
    n = len(paragraphs)
    # The page's banner or footer after the article: from the earliest chrome paragraph on,
    # everything is chrome except short labels ("Sale of Personal Data"), so cut it whole.
    cut = n
    for i in range(n - 1, -1, -1):
        if reasons[i] is None and (found is not None or not _is_label(paragraphs[i][0])):
            break
        if reasons[i] is not None:
            cut = i
    removed: list[tuple[int, str]] = []
    kinds: list[str | None] = []
    seen: dict[str, list[tuple[int, str]]] = {}  # (index, normalized text) of kept paragraphs
    title_found = False
    for i, (text, is_md_heading) in enumerate(paragraphs):
        if i >= cut:
            removed.append((i, reasons[i] or "inside the site chrome after the article"))
            kinds.append(None)
            continue
        if reasons[i] is not None:
            removed.append((i, reasons[i]))
            kinds.append(None)
            continue
        duplicate = _duplicate_of(text, seen)
        if duplicate is not None:
            removed.append((i, f"repeat of paragraph {duplicate + 1}"))
            kinds.append(None)
            continue
        norm = _normalize(text)
        seen.setdefault(norm[:_REPEAT_MIN], []).append((i, norm))
        if not title_found:
            kinds.append(TITLE)
            title_found = True
        elif is_md_heading or _looks_like_heading(text, paragraphs, i):
            kinds.append(HEADING)
        else:
            kinds.append(PARAGRAPH)
    return kinds, removed


def _is_reported(text: str) -> bool:
    """A sentence of reported speech or quotation: the article's prose, never the site's."""
    return len(_WORD.findall(text)) >= 8 and bool(_REPORTED.search(text)) and \
        bool(_SENTENCE_END.search(text))


def _is_label(text: str) -> bool:
    return len(_WORD.findall(text)) <= 8 and not re.search(r"[.!?]", text)


def _normalize(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


_REPEAT_MIN = 40  # a repeat with a credit added shares at least this many first characters


def _duplicate_of(text: str, seen: dict[str, list[tuple[int, str]]]) -> int | None:
    """A paragraph that repeats a kept one, perhaps with a short credit added (a caption)."""
    norm = _normalize(text)
    if len(norm) < 20:
        return None
    # Kept paragraphs are filed by their first characters: only those can be repeated here
    # (a page of thousands of paragraphs is not compared pair by pair).
    for index, other in seen.get(norm[:_REPEAT_MIN], ()):
        if norm == other:
            return index
        shorter, longer = sorted((norm, other), key=len)
        if longer.startswith(shorter) and len(longer) - len(shorter) <= 60 and \
                len(shorter) >= _REPEAT_MIN:
            return index
    return None


def _looks_like_heading(text: str, paragraphs: list[tuple[str, bool]], i: int) -> bool:
    """A short line without closing punctuation (or a short question) before a longer paragraph."""
    words = _WORD.findall(text)
    if not 1 <= len(words) <= 12 or len(text) > 90:
        return False
    if text.endswith(("?", "!")):
        ends_like_heading = len(words) <= 8
    else:
        ends_like_heading = not _SENTENCE_END.search(text) and not text.endswith((",", ";", ":"))
    if not ends_like_heading or text[:1].islower():
        return False
    following = next((p for p, _ in paragraphs[i + 1:] if _chrome_reason(p) is None), None)
    return following is not None and len(following) > len(text) * 1.5


def _assemble(paragraphs: list[tuple[str, bool]], kinds: list[str | None],
              removed: list[tuple[int, str]]) -> Cleaned:
    parts: list[str] = []
    blocks: list[Block] = []
    offset = 0
    for (text, _), kind in zip(paragraphs, kinds):
        if kind is None:
            continue
        if parts:
            offset += 2  # the blank line between blocks
        blocks.append(Block(kind, offset, offset + len(text)))
        parts.append(text)
        offset += len(text)
    title = parts[0] if parts else ""
    return Cleaned(
        title=title,
        text="\n\n".join(parts),
        blocks=tuple(blocks),
        removed=tuple(Removed(paragraphs[i][0], reason) for i, reason in removed),
    )
