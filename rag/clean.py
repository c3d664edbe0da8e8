"""Article text -> clean text: title and body, without site chrome. Pure: no I/O.

This module holds the dataclasses of a cleaning (Cleaned, Block, Removed), plain-text and
Markdown articles, and the paragraph rules every format ends with (rag/clean_html.py first
takes an HTML page apart into paragraphs).

The cleaner works on paragraphs. Each paragraph is tested against patterns of web chrome
(consent banners, buttons, share bars, newsletter pitches, "Related:" links, tag lists,
comment counts, copyright lines); a paragraph of prose (over 40 words) is chrome only where
it is dense with cookie and privacy site-speak, never for one matched word. A run of chrome at
the end of a plain-text page (a consent banner, a footer) is cut whole even where a paragraph
in it names no pattern, and repeated paragraphs (a photo caption printed twice) are kept once.
Everything removed is recorded with its reason so a user can check it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CLEANER_VERSION = 7  # bump when the rules change: indexes built by older rules go stale

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

    def __str__(self) -> str:
        snippet = self.text if len(self.text) <= 100 else self.text[:97] + "..."
        return f"{self.reason}: {snippet!r}"


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
        lines += [f"- {item}" for item in self.removed]
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
    # (names in capitals whatever the flags: "By the numbers" is a heading)
    (re.compile(r"^(by|written by|words by|reporting by)\s+(?-i:[A-Z])[\w.'’-]*(\s+(?-i:[A-Z])"
                r"[\w.'’-]*){0,3}(\s*(,|and|&)\s*(?-i:[A-Z])[\w.'’-]*(\s+(?-i:[A-Z])[\w.'’-]*)"
                r"{0,3})*\s*$|"
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
SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
WORD = re.compile(r"\w+")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_PROSE_WORDS = 40  # a paragraph longer than this is prose: only dense site-speak makes it chrome
_UNWRAP_MIN = 40  # a hard-wrapped paragraph has lines this long or longer, bar the last,
_UNWRAP_MAX = 100  # and no longer than this


def clean_text(raw: str) -> Cleaned:
    """Clean a plain-text article: the first real line is its title (a "# heading" line
    counts as a heading)."""
    return clean_paragraphs(_paragraphs(raw))


def clean_paragraphs(paragraphs: list[tuple[str, bool]], extra: tuple[Removed, ...] = (),
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
    return clean_paragraphs([(p, h) for p, h in paragraphs if p])


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
    mid_sentence = sum(not SENTENCE_END.search(line) for line in body)
    return mid_sentence >= 0.6 * len(body)


def _chrome_reason(paragraph: str) -> str | None:
    words = WORD.findall(paragraph)
    if not words:
        return "no words"
    if _BUTTON.match(paragraph):
        return "button or menu label"
    if len(words) > _PROSE_WORDS:
        # Body prose is not dropped because a word matched; a long notice about cookies and
        # privacy speaks of them again and again.
        return "cookie or privacy notice" if len(_CONSENT.findall(paragraph)) >= 2 else None
    if is_reported(paragraph) and not _CONSENT.search(paragraph):
        return None  # (a banner quotes its own buttons: By clicking “Accept All” you agree ...)
    for pattern, reason in _PATTERNS:
        if pattern.search(paragraph):
            return reason
    if _CONSENT.search(paragraph) or (_COOKIE_WORD.search(paragraph) and len(words) <= 12):
        return "cookie or privacy notice"
    if len(_NAV_SEPARATORS.findall(paragraph)) >= 2 and not SENTENCE_END.search(paragraph):
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
        norm = normalize(text)
        seen.setdefault(norm[:_REPEAT_MIN], []).append((i, norm))
        if not title_found:
            kinds.append(TITLE)
            title_found = True
        elif is_md_heading or _looks_like_heading(text, paragraphs, i):
            kinds.append(HEADING)
        else:
            kinds.append(PARAGRAPH)
    return kinds, removed


def is_reported(text: str) -> bool:
    """A sentence of reported speech or quotation: the article's prose, never the site's."""
    return len(WORD.findall(text)) >= 8 and bool(_REPORTED.search(text)) and \
        bool(SENTENCE_END.search(text))


def _is_label(text: str) -> bool:
    return len(WORD.findall(text)) <= 8 and not re.search(r"[.!?]", text)


def normalize(text: str) -> str:
    return " ".join(WORD.findall(text.lower()))


_REPEAT_MIN = 40  # a repeat with a credit added shares at least this many first characters


def _duplicate_of(text: str, seen: dict[str, list[tuple[int, str]]]) -> int | None:
    """A paragraph that repeats a kept one, perhaps with a short credit added (a caption)."""
    norm = normalize(text)
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


# A byline or a dateline ("By Rosalind Achterberg | Published Oct. 14, 2026", "April 19,
# 2026", "Updated 5:32 p.m."): the article's own line, but no heading of the paragraphs after.
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_BYLINE_OR_DATE = re.compile(
    rf"^(?:by|written by|story by|words by)\s+(?-i:[A-Z])|(?:^|\|)\W*(?:published|updated|"
    rf"posted|last modified)(?:\s*:|\s+on\b|\s+\d|\s+{_MONTH}\s+\d|\s+(?:today|yesterday)\b|"
    rf"\s*$)|"
    rf"^\W*(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?(?:\s+\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?|"
    rf"\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})"
    rf"(?:\W+\d{{1,2}}[:.]\d{{2}}\s*(?:[ap]\.?m\.?)?(?:\s+[A-Z]{{2,4}})?)?\W*$", re.IGNORECASE)


def _looks_like_heading(text: str, paragraphs: list[tuple[str, bool]], i: int) -> bool:
    """A short line without closing punctuation (or a short question) before a longer
    paragraph; not a byline or a date."""
    words = WORD.findall(text)
    if not 1 <= len(words) <= 12 or len(text) > 90 or _BYLINE_OR_DATE.search(text):
        return False
    if text.endswith(("?", "!")):
        ends_like_heading = len(words) <= 8
    else:
        ends_like_heading = not SENTENCE_END.search(text) and not text.endswith((",", ";", ":"))
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
