from pathlib import Path

from rag.clean import HEADING, PARAGRAPH, clean_markdown, clean_text
from rag.clean_html import clean_html

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


def test_html_main_text_extracted():
    cleaned = clean_html((RAW / "tidepool-survey.html").read_text(encoding="utf-8"))
    assert cleaned.title == "Volunteers Count Record Number of Sea Stars in Tide Pool Survey"
    assert "4,812 ochre sea stars" in cleaned.text
    assert "register through the lab starting in February." in cleaned.text
    for chrome in ("cookies", "tracking", "font-family", "Whale sightings", "©", "Accept"):
        assert chrome not in cleaned.text, chrome
    reasons = {r.reason for r in cleaned.removed}
    assert "script or style" in reasons


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


BODY = (
    "<p>The harbor ferry will resume daily service between Pier 9 and Gull Island on June 3, "
    "the port authority said on Monday, ending a two-year pause caused by repairs.</p>"
    "<p>Director Lena Park said the new boats carry 240 passengers each and run on electric "
    "power for most of the crossing, which takes about twenty minutes in calm weather.</p>"
    "<p>Tickets will cost $4 for adults, and children under 12 ride free. Commuters can buy a "
    "monthly pass for $60 at the terminal or through the authority's ticket office.</p>"
    "<p>Residents of Gull Island had asked for the service to return since the old dock was "
    "closed, and several shop owners said the pause had cut their summer sales by half.</p>"
)


def article(chrome: str, body: str = BODY) -> str:
    """A made-up news page: the chrome sits inside the article, where the extractor keeps it."""
    return ("<html><head><title>Harbor Ferry Returns in June</title></head><body>"
            "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article>"
            f"<h1>Harbor Ferry Returns in June</h1>{body}{chrome}</article>"
            "<footer>© 2024 The Harbor Times</footer></body></html>")


def check_removed(cleaned, chrome_texts, reason):
    for chrome in chrome_texts:
        assert chrome not in cleaned.text, chrome
    assert "ending a two-year pause caused by repairs." in cleaned.text
    assert "cut their summer sales by half." in cleaned.text
    assert reason in {r.reason for r in cleaned.removed}


def test_html_most_read_numbered_list_removed():
    headlines = ["Storm closes the coast road", "School board picks a new chief",
                 "Fire crews save the old mill", "Bakery wins the county prize"]
    items = "".join(f"<li><a href='/s/{n}'>{h}</a> {n + 2} hours ago</li>"
                    for n, h in enumerate(headlines))
    cleaned = clean_html(article(f"<h2>Most Read</h2><ol>{items}</ol>"))
    check_removed(cleaned, headlines + ["Most Read"], "related-links block")


def test_html_numbered_headlines_outside_a_list_removed():
    headlines = ["1 Storm closes the coast road", "2 School board picks a new chief",
                 "3 Fire crews save the old mill", "4 Bakery wins the county prize"]
    cleaned = clean_html(article("".join(f"<p>{h}</p>" for h in headlines)))
    check_removed(cleaned, [h[2:] for h in headlines], "numbered headline list")


def test_html_related_links_list_removed():
    headlines = ["Storm closes the coast road", "School board picks a new chief",
                 "Fire crews save the old mill"]
    items = "".join(f"<li><a href='/s/{n}'>{h}</a> (May {n + 2})</li>"
                    for n, h in enumerate(headlines))
    cleaned = clean_html(article(f"<ul>{items}</ul>"))
    check_removed(cleaned, headlines, "list of links")


def test_html_contact_and_phone_block_removed():
    chrome = ("<p>Got a news tip? Contact us at tips@harbortimes.example or call "
              "555-201-3344.</p>")
    cleaned = clean_html(article(chrome))
    check_removed(cleaned, ["555-201-3344", "Got a news tip"], "contact or phone block")


def test_html_simple_guide_teaser_removed():
    chrome = "<p><b>A SIMPLE GUIDE:</b> <a href='/guide'>How do I protect myself?</a></p>"
    cleaned = clean_html(article(chrome))
    check_removed(cleaned, ["A SIMPLE GUIDE", "How do I protect myself?"],
                  "teaser for another story")


def test_html_social_handles_removed():
    chrome = "<p>Follow Lena Park on Twitter @lenapark and on Instagram @lena.writes</p>"
    cleaned = clean_html(article(chrome))
    check_removed(cleaned, ["@lenapark", "Follow Lena Park"], "social media handles")


def test_html_body_prose_with_chrome_words_kept():
    prose = ("Related charges were filed against the ferry's former contractor, and the "
             "authority's newsletter told subscribers to sign up for updates; the café by the "
             "dock, which sells cookies and coffee, can be reached at 555-867-5309, its owner "
             "said.")
    short = "Related talks with the island council continue on Friday."
    kept = ["The council's newsletter goes to 40,000 homes every week.",
            "Riders can download the app to buy tickets, and fans follow the crew on the dock.",
            "“Call us at 555-201-3344 if the boat is late,” Park told riders on Monday.",
            "The authority said on Twitter, @harborferry, that the first boat is full."]
    kept += ["1 cup of sea water", "2 spoons of sand", "3 shells from the dock"]
    cleaned = clean_html(article("".join(f"<p>{p}</p>" for p in [prose, short] + kept)))
    for paragraph in [prose, short] + kept:
        assert paragraph in cleaned.text


def test_html_text_stays_verbatim():
    body = BODY + ("<p>The *new* schedule [PDF] lists 14 crossings a day, up from nine, "
                   "and the “express” boat skips the stop at Mill Point entirely.</p>")
    cleaned = clean_html(article("", body))
    assert "The *new* schedule [PDF] lists 14 crossings a day" in cleaned.text
    assert "the “express” boat skips" in cleaned.text
    assert "\\" not in cleaned.text and "<" not in cleaned.text
    for block in cleaned.blocks:
        assert cleaned.text[block.start:block.end].strip() == cleaned.text[block.start:block.end]


def test_html_standfirst_and_script_rendered_body_recovered():
    standfirst = ("The port authority will bring back the Gull Island ferry in June after two "
                  "years of dock repairs.")
    body = " ".join(f"Sentence {n} of the article says the ferry runs again." for n in range(20))
    html = ("<html><head><title>Harbor Ferry Returns in June</title>"
            f"<meta name='description' content='{standfirst}'>"
            "<script type='application/ld+json'>"
            f'{{"@type": "NewsArticle", "articleBody": "{body}"}}</script></head><body>'
            f"<header><h1>Harbor Ferry Returns in June</h1><p>{standfirst}</p></header>"
            "<article><div id='app'><p>Loading the story, please wait a moment while the "
            "page's scripts fetch the article text for you to read.</p></div></article>"
            "</body></html>")
    cleaned = clean_html(html)
    assert cleaned.title == "Harbor Ferry Returns in June"
    assert standfirst in cleaned.text
    assert body in cleaned.text


def test_html_page_of_links_keeps_its_text_rather_than_none():
    headlines = ["Storm closes the coast road", "School board picks a new chief",
                 "Fire crews save the old mill"]
    items = "".join(f"<li><a href='/s/{n}'>{h}</a> (May {n + 2})</li>"
                    for n, h in enumerate(headlines))
    html = ("<html><head><title>This Week's Links</title></head><body><article>"
            f"<h1>This Week's Links</h1><ul>{items}</ul></article></body></html>")
    cleaned = clean_html(html)
    assert any(b.kind == PARAGRAPH for b in cleaned.blocks)
    assert all(h in cleaned.text for h in headlines)


def test_html_odd_structured_data_and_empty_pages_do_not_fail():
    scripts = "".join(f"<script type='application/ld+json'>{data}</script>" for data in (
        '[1, "a", {"articleBody": 5}]', '{"articleBody": broken', '"articleBody"'))
    cleaned = clean_html(f"<html><head>{scripts}</head><body><p>Hello there.</p></body></html>")
    assert cleaned.text == "Hello there."
    assert clean_html("").text == ""


def test_html_with_an_xml_declaration_is_read():
    html = ('<?xml version="1.0" encoding="utf-8"?>\n'
            + article("<p>Follow Lena Park on Twitter @lenapark</p>"))
    cleaned = clean_html(html)
    assert "ending a two-year pause caused by repairs." in cleaned.text
    assert "© 2024" in {r.text[:6] for r in cleaned.removed}  # the page around was read


def test_quoted_button_in_a_cookie_banner_does_not_save_it():
    raw = ("Ferry Service Returns\n\nThe harbor ferry will resume daily service on June 3, the "
           "port authority said on Monday.\n\nBy clicking “Accept All Cookies”, you agree to the "
           "storing of cookies on your device to enhance site navigation.\n")
    cleaned = clean_text(raw)
    assert "resume daily service" in cleaned.text
    assert "Accept All" not in cleaned.text
