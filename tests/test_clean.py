"""Plain-text and Markdown articles: title and body kept, site chrome removed with its reason."""

from pathlib import Path

from rag.clean import HEADING, PARAGRAPH, clean_markdown, clean_text

RAW = Path(__file__).parent / "data" / "corpus" / "raw"


def seed():
    return clean_text((RAW / "zte-kerfuffle.txt").read_text(encoding="utf-8"))


def test_seed_loses_the_consent_banner():
    text = seed().text.lower()
    for word in ("cookie", "opt-out", "do not sell", "consent", "accept cookies", "privacy"):
        assert word not in text


def test_seed_keeps_title_first_and_last_paragraphs_and_typography():
    cleaned = seed()
    assert cleaned.title == "ZTE Kerfuffle Shows Cybersecurity Doesn’t Operate in a Vacuum"
    assert cleaned.text.startswith(cleaned.title)
    assert "Lawmakers have decried the president’s efforts" in cleaned.text
    assert cleaned.text.endswith("it would have a lot more credibility.”")
    assert "“crazy to allow [ZTE] to operate in U.S. without tighter restrictions.”" in cleaned.text
    assert "Chinese company—that the Chinese government" not in cleaned.text  # not rewritten
    assert "about the company—that the Chinese government" in cleaned.text


def test_seed_caption_kept_once():
    caption = "President Donald Trump and Chinese President Xi Jinping at the Great Hall"
    assert seed().text.count(caption) == 1


def test_seed_headings_found():
    cleaned = seed()
    headings = [cleaned.text[b.start:b.end] for b in cleaned.blocks if b.kind == HEADING]
    assert headings == ["It's an Extremely Complicated Relationship", "Where does security fit in?",
                        "It’s Not Black and White", "Context is Key", "What is to be done?"]


def test_a_byline_or_a_date_is_kept_but_heads_no_section():
    body = ("The council voted on Tuesday to approve the plan after a long debate about its "
            "cost, which officials put at $4 million over five years.")
    more = ("Opponents said the money would be better spent on repairing roads and sidewalks "
            "in the older neighborhoods of the city.")
    for line in ("By Rosalind Achterberg | Published Oct. 14, 2026", "April 19, 2026",
                 "Updated 5:32 p.m. ET"):
        cleaned = clean_text(f"Council Approves Plan\n\n{line}\n\n{body}\n\n{more}\n")
        kinds = {cleaned.text[b.start:b.end]: b.kind for b in cleaned.blocks}
        # the time stamp goes as site chrome; the byline and the date stay, as text
        assert kinds.get(line, PARAGRAPH) == PARAGRAPH and (line in kinds or "5:32" in line)
    cleaned = clean_text(f"Council Approves Plan\n\n{body}\n\nBy the numbers\n\n{more}\n")
    assert HEADING in [b.kind for b in cleaned.blocks]  # a heading that opens with "By"


def test_blocks_point_into_text():
    cleaned = seed()
    for block in cleaned.blocks:
        assert cleaned.text[block.start:block.end].strip() == cleaned.text[block.start:block.end]
    assert "\n\n".join(cleaned.text[b.start:b.end] for b in cleaned.blocks) == cleaned.text


def test_report_names_what_was_removed_and_why():
    report = seed().report()
    assert "cookie or privacy notice" in report
    assert "repeat of paragraph" in report


def test_other_site_chrome_removed_article_kept():
    cleaned = clean_text((RAW / "harbor-bike-lanes.txt").read_text(encoding="utf-8"))
    text = cleaned.text
    for chrome in ("Skip to main content", "Home | News", "Share on Facebook", "ADVERTISEMENT",
                   "Related:", "newsletter", "Tags:", "12 Comments", "©", "Subscribe"):
        assert chrome not in text, chrome
    assert cleaned.title == "Harbor City Council Approves 40-Mile Protected Bike Lane Network"
    assert "Marcus Lee, director of the nonprofit Harbor Bikes" in text
    assert text.endswith("publish a block-by-block map of the first phase in January.")
    kinds = [b.kind for b in cleaned.blocks]
    assert kinds.count(HEADING) == 2 and kinds.count(PARAGRAPH) == 7


def test_hard_wrapped_paragraphs_are_joined():
    raw = ("A Title Here\n\nThis paragraph was wrapped by an old mail program at about\n"
           "seventy characters, as plain-text archives often are, and it ends here.\n")
    cleaned = clean_text(raw)
    assert "about seventy characters" in cleaned.text


def test_one_paragraph_per_line_is_not_joined():
    raw = ("A Headline About the Harbor Ferry\n"
           "The harbor ferry will resume daily service on June 3, the port authority said on Monday.\n"
           "Tickets will cost $4 for adults, and children under 12 ride free, the director said.\n")
    cleaned = clean_text(raw)
    assert cleaned.title == "A Headline About the Harbor Ferry"
    assert sum(b.kind == PARAGRAPH for b in cleaned.blocks) == 2


def test_markdown_markup_is_dropped_text_kept():
    raw = ("Menu\nSearch\nSign In\n\n# Ferry Service Returns\n\n*Published March 4 · 5 min read*\n\n"
           "The ferry *will* resume on June 3, [the authority](http://evil.example) said.\n\n"
           "## Tickets\n\nAdults pay $4; children under 12 ride free, director Lena Park said.\n\n"
           "Share this article\nFacebook | Twitter | Email\n")
    cleaned = clean_markdown(raw)
    assert cleaned.title == "Ferry Service Returns"
    assert "The ferry will resume on June 3, the authority said." in cleaned.text
    assert "evil.example" not in cleaned.text and "*" not in cleaned.text
    assert [b.kind for b in cleaned.blocks] == ["title", "paragraph", "heading", "paragraph"]
    assert {r.reason for r in cleaned.removed} >= {"button or menu label", "byline or dateline"}


def test_quoted_button_in_a_cookie_banner_does_not_save_it():
    raw = ("Ferry Service Returns\n\nThe harbor ferry will resume daily service on June 3, the "
           "port authority said on Monday.\n\nBy clicking “Accept All Cookies”, you agree to the "
           "storing of cookies on your device to enhance site navigation.\n")
    cleaned = clean_text(raw)
    assert "resume daily service" in cleaned.text
    assert "Accept All" not in cleaned.text
