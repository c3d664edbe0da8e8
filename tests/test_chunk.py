import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from rag.chunk import (Entity, SentenceParser, _short_name_kinds, _with_kinds_corrected,
                       chunk_sentences, split_document)
from rag.clean import clean_text

SPLITTER = SentenceParser()


def test_chunks_are_exact_slices_within_budget(bot, cleaned):
    for chunk in bot.index.chunks:
        assert cleaned[chunk.doc][chunk.start:chunk.end] == chunk.text
        assert chunk.tokens <= bot.settings.chunk_tokens
        assert SPLITTER.count_tokens(chunk.text) == chunk.tokens


def test_sentences_are_exact_slices(bot, cleaned):
    for s in bot.index.sentences:
        assert cleaned[s.doc][s.start:s.end] == s.text
        for e in s.entities:
            assert s.start <= e.start < e.end <= s.end


def test_abbreviations_do_not_split_sentences(bot):
    texts = [s.text for s in bot.index.sentences]
    assert any(t.startswith("Sen. Marco Rubio, R-Fla., in particular, struck back") and
               t.endswith("without tighter restrictions.”") for t in texts)
    assert not any(t.startswith(", in particular") for t in texts)
    assert any(t.startswith("Rep. Ted Lieu, D-Calif., declared that") for t in texts)


def test_sections_and_paragraphs_attached(bot):
    seed = [c for c in bot.index.chunks if c.doc == "zte-kerfuffle"]
    assert seed[0].section == "" and seed[0].paragraph == 0
    sections = {c.section for c in seed}
    assert {"", "It's an Extremely Complicated Relationship", "What is to be done?"} <= sections
    kaspersky = next(s for s in bot.index.sentences if "open up its source code" in s.text)
    assert kaspersky.section == "What is to be done?"
    assert kaspersky.paragraph > 40


def test_no_chunk_crosses_a_section(bot):
    for chunk in bot.index.chunks:
        inside = [s for s in bot.index.sentences
                  if s.doc == chunk.doc and chunk.start <= s.start < chunk.end]
        assert {s.section for s in inside} == {chunk.section}


def test_budget_and_overlap_are_settings():
    cleaned = clean_text(("Title Line\n\n" + "This is a sentence about the harbor. " * 80).strip())
    sentences = split_document("d", cleaned.text, cleaned.blocks, SPLITTER)
    chunks = chunk_sentences(cleaned.text, sentences, SPLITTER, 50, 10)
    assert len(chunks) > 5
    assert all(c.tokens <= 50 for c in chunks)
    assert any(b.start < a.end for a, b in zip(chunks, chunks[1:]))  # they overlap
    no_overlap = chunk_sentences(cleaned.text, sentences, SPLITTER, 50, 0)
    assert all(b.start >= a.end for a, b in zip(no_overlap, no_overlap[1:]))


def test_a_dateline_is_no_part_of_the_first_sentence():
    for dateline in ("HALIFAX, Nova Scotia, Feb. 20 — ", "COLUMBUS, Ohio, March 14 — ",
                     "WASHINGTON (AP) — ", "LONDON, Nov 5 (Reuters) - ", "RIVERTON — "):
        cleaned = clean_text(f"Festival Cancelled\n\n{dateline}The Tidewater Music Festival "
                             "has cancelled its 2025 edition. Organizers said so on Tuesday.\n\n"
                             "BOSTON — A second paragraph keeps its first words.")
        sentences = split_document("d", cleaned.text, cleaned.blocks, SPLITTER)
        texts = [s.text for s in sentences]
        assert texts[1] == "The Tidewater Music Festival has cancelled its 2025 edition.", dateline
        assert sentences[1].paragraph == 1 and not any(dateline.strip() in t for t in texts)
        assert texts[-1].startswith("BOSTON — A second paragraph")
    # a first paragraph that opens with a name or an ordinary dash keeps every word
    for opening in ("U.S. officials — the ones who spoke — said so.", "ZTE — the company — "
                    "said so.", "President Donald Trump said so.", "U.S. - China talks resumed.",
                    "WHO - The World Health Organization said so."):
        cleaned = clean_text(f"A Title\n\n{opening}")
        assert split_document("d", cleaned.text, cleaned.blocks, SPLITTER)[1].text == opening


def test_an_overlong_sentence_is_cut_at_word_breaks():
    cleaned = clean_text("Title Line\n\n" + " ".join(f"word{i}" for i in range(400)) + ".")
    sentences = split_document("d", cleaned.text, cleaned.blocks, SPLITTER)
    chunks = chunk_sentences(cleaned.text, sentences, SPLITTER, 40, 0)
    assert all(c.tokens <= 40 for c in chunks)
    assert all(cleaned.text[c.start:c.end] == c.text for c in chunks)


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1,
                        max_size=300), min_size=1, max_size=6))
def test_offsets_hold_for_any_text(paragraphs):
    raw = "Some Title\n\n" + "\n\n".join(paragraphs)
    cleaned = clean_text(raw)
    sentences = split_document("d", cleaned.text, cleaned.blocks, SPLITTER)
    for s in sentences:
        assert cleaned.text[s.start:s.end] == s.text and s.text.strip() == s.text
    for c in chunk_sentences(cleaned.text, sentences, SPLITTER, 32, 8):
        assert cleaned.text[c.start:c.end] == c.text


def test_the_parser_loads_without_torch_which_stays_importable():
    code = ("import sys; from rag.chunk import SentenceParser; "
            "print(len(SentenceParser().split_sentences('Sen. Rubio spoke. He left.')[0]), "
            "'torch' in sys.modules); import torch; print(torch.tensor([1]).sum().item())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).parent.parent, check=True)
    assert out.stdout.split() == ["2", "False", "1"]


def test_each_paragraphs_sentences_are_handed_on_as_soon_as_they_are_parsed():
    text = ("First paragraph. It has two sentences.\n\n" + "A much longer paragraph " * 40
            + "ends here. and a fragment that joins it.\n\nThe last one.")
    spans = [(0, 38), (40, len(text) - 15), (len(text) - 13, len(text))]
    calls = []
    per_span = SPLITTER.split_sentences(text, spans, max_piece_chars=300,
                                        found=lambda texts, share: calls.append((texts, share)))
    assert [texts for texts, _ in calls] == [[text[a:b] for a, b, _ in sentences]
                                             for sentences in per_span]  # merged, once a span
    shares = [share for _, share in calls]
    assert shares == sorted(shares) and 0 < shares[0] < 1 and shares[-1] == 1.0


def test_a_surname_is_the_person_the_article_names_in_full(bot):
    # spaCy's small model tags "Rubio" a place and "Segal", "Maurer" organizations on their own
    kinds: dict[str, set[str]] = {}
    for s in bot.index.sentences:
        for e in s.entities:
            kinds.setdefault(s.text[e.start - s.start:e.end - s.start], set()).add(e.label)
    for surname in ("Rubio", "Segal", "Maurer", "Trump"):
        assert kinds[surname] == {"PERSON"}, surname


def named(*mentions):
    """Entities of a made-up text that holds each (name, label) mention once."""
    text, entities = "", []
    for name, label in mentions:
        entities.append(Entity(label, len(text), len(text) + len(name)))
        text += name + ". "
    return text, entities


def test_short_names_take_the_kind_of_their_long_form_within_limits():
    text, entities = named(("Naomi Thorsen", "PERSON"), ("Thorsen", "ORG"),
                           ("Cindervale Technologies", "ORG"), ("Cindervale", "PERSON"))
    assert _short_name_kinds(text, entities) == {"Thorsen": "PERSON", "Cindervale": "ORG"}
    # a name mostly used for something else ("Harvard" after "John Harvard") stays that:
    # it opens longer names of that kind, or the long form opens with no first name
    text, entities = named(("John Harvard", "PERSON"), *[("Harvard", "ORG")] * 4,
                           ("Harvard University", "ORG"))
    assert _short_name_kinds(text, entities) == {}
    text, entities = named(("Q. Turing", "PERSON"), *[("Turing", "ORG")] * 4)
    assert _short_name_kinds(text, entities) == {}
    # else the surname of a first name is that person, however often it is misread
    text, entities = named(("Angela Reyes", "PERSON"), *[("Reyes", "ORG")] * 9)
    assert _short_name_kinds(text, entities) == {"Reyes": "PERSON"}
    # a place that ends a "person" (a tagging error) stays a place; a first name stays a person
    text, entities = named(("Ali Pakistan", "PERSON"), ("Pakistan", "GPE"),
                           ("Farida Haddad", "PERSON"), ("Farida", "PERSON"))
    assert _short_name_kinds(text, entities) == {}


def test_a_person_named_like_a_place_or_an_organization_is_not_a_person():
    text, entities = named(("Millbank Road", "PERSON"), ("Widener Library", "PERSON"),
                           ("Harrow Lane Capital", "PERSON"), ("Mercer Elementary", "PERSON"),
                           ("Mercer", "PERSON"), ("Stuart Hall", "PERSON"), ("Road", "PERSON"))
    corrected = _with_kinds_corrected(text, [[(0, len(text), tuple(entities))]])
    assert [e.label for e in corrected[0][0][2]] == ["FAC", "FAC", "ORG", "ORG",
                                                     "ORG",  # the school's short name
                                                     "PERSON", "PERSON"]  # a surname; one word


def test_a_first_name_and_a_surname_are_a_person_whatever_the_tagger_said():
    text, entities = named(("Nadine Rourke", "ORG"), ("Derek Omondi", "GPE"),
                           ("Rourke", "ORG"),  # her surname, by the long form
                           ("Georgia Tech", "ORG"), ("Virginia Beach", "GPE"),
                           ("Maritime Credit Union", "ORG"), ("Harlow Creek", "ORG"),
                           ("Marcus Bell Foods", "ORG"), ("Green Bay", "GPE"),
                           ("Helen Park", "FAC"), ("Dillon Avenue", "FAC"))
    corrected = _with_kinds_corrected(text, [[(0, len(text), tuple(entities))]])
    assert [e.label for e in corrected[0][0][2]] == [
        "PERSON", "PERSON", "PERSON", "ORG", "GPE", "ORG", "ORG", "ORG", "GPE",
        "PERSON",  # a council member: a first name and a surname, though "park" is a word
        "FAC"]


def test_misread_people_are_people_in_a_built_article(tmp_path, bot_over):
    festival = bot_over(tmp_path, {"festival.txt": (
        "Harbor Festival Cancelled\n\n"
        "Organizers cancelled the Harbor Festival on Tuesday, citing costs. Singer-songwriter "
        "Leah Whitcombe, who was due to headline the main stage, wrote that she was "
        "\"heartbroken.\" \"Audiences are buying later,\" said Nadine Rourke, the "
        "network's executive director.\n")})
    kinds = festival.retriever.entity_kinds
    assert kinds["leah whitcombe"] == "PERSON" and kinds["nadine rourke"] == "PERSON"


def _paragraph_spans(text):
    spans, start = [], 0
    for paragraph in text.split("\n\n"):
        spans.append((start, start + len(paragraph)))
        start += len(paragraph) + 2
    return spans


def test_a_long_text_parsed_in_a_child_process_gives_the_same_sentences(cleaned):
    text = "\n\n".join([max(cleaned.values(), key=len)] * 4)
    spans, shares = _paragraph_spans(text), []
    # small pieces: several rounds of requests to the child, its replies read as they come
    there = SPLITTER.split_sentences(text, spans, max_piece_chars=100, in_child_from=0,
                                     found=lambda texts, share: shares.append(share))
    here = SPLITTER.split_sentences(text, spans, max_piece_chars=100)
    assert there == here and sum(map(len, there)) > 200
    assert len(shares) == len(spans) and shares == sorted(shares) and shares[-1] == 1.0


def test_a_child_process_that_fails_or_cannot_start_leaves_the_parsing_here(
        cleaned, monkeypatch, caplog):
    text = max(cleaned.values(), key=len)
    spans = _paragraph_spans(text)
    expected = SPLITTER.split_sentences(text, spans)
    monkeypatch.setattr(sys, "executable", "/bin/false")  # starts, says nothing, exits
    assert SPLITTER.split_sentences(text, spans, in_child_from=0) == expected
    monkeypatch.setattr(sys, "executable", "/no/such/python")
    assert SPLITTER.split_sentences(text, spans, in_child_from=0) == expected
    assert "parsing process failed" in caplog.text and "Cannot start a process" in caplog.text


def test_a_child_that_prints_while_it_starts_still_gives_the_same_sentences(
        cleaned, tmp_path, monkeypatch):
    (tmp_path / "sitecustomize.py").write_text("print('hello from a site hook')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    text = max(cleaned.values(), key=len)
    spans = _paragraph_spans(text)
    assert SPLITTER.split_sentences(text, spans, in_child_from=0) == SPLITTER.split_sentences(
        text, spans)
