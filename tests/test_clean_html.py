"""HTML pages: the main text found, chrome removed by its shape, the article kept verbatim."""

from pathlib import Path

from rag.clean import PARAGRAPH
from rag.clean_html import clean_html

RAW = Path(__file__).parent / "data" / "corpus" / "raw"


def test_html_main_text_extracted():
    cleaned = clean_html((RAW / "tidepool-survey.html").read_text(encoding="utf-8"))
    assert cleaned.title == "Volunteers Count Record Number of Sea Stars in Tide Pool Survey"
    assert "4,812 ochre sea stars" in cleaned.text
    assert "register through the lab starting in February." in cleaned.text
    for chrome in ("cookies", "tracking", "font-family", "Whale sightings", "©", "Accept"):
        assert chrome not in cleaned.text, chrome
    reasons = {r.reason for r in cleaned.removed}
    assert "script or style" in reasons



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


