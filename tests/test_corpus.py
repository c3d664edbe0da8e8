"""Article ids, reading raw files and adding them: the corpus module's promises."""

import pytest

from rag import CorpusError
from rag.corpus import assign_ids, decode, doc_id, read_bytes


@pytest.mark.parametrize("name, expected", [
    ("My Story (1).html", "my-story-1"), ("Café.txt", "café"), ("贝茜.txt", "贝茜"),
    ("../../etc/passwd.txt", "passwd"), (".notes.txt", "notes"), ("  .txt", "article"),
    ("R&D_report.md", "r-d_report"),
])
def test_ids_are_safe_and_readable(name, expected):
    assert doc_id(name) == expected


def test_ids_are_unique_and_keep_what_they_had():
    names = ["Story.txt", "story.md", "story-2.txt", "other.html"]
    first = assign_ids(names, {})
    assert len(set(first.values())) == 4
    assert first["other.html"] == "other" and first["story-2.txt"] == "story-2"
    later = assign_ids(["story.md", "story-2.txt", "a-story.txt"], first)
    assert later["story.md"] == first["story.md"] and later["story-2.txt"] == "story-2"


def test_reading_refuses_what_is_not_a_small_regular_file(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 101)
    with pytest.raises(CorpusError, match="101 bytes; the limit is 100"):
        read_bytes(big, 100)
    with pytest.raises(CorpusError, match="not a regular file"):
        read_bytes(tmp_path, 100)


def test_legacy_encoding_is_decoded_and_binary_refused():
    assert decode(b"Caf\xe9 \x93quoted\x94", "old.txt") == "Café “quoted”"
    with pytest.raises(CorpusError, match="binary"):
        decode(b"\x00\x01binary", "x.txt")


def test_cleaned_text_and_report_are_written_where_clean_files_says(tmp_path):
    from rag.clean import clean_text
    from rag.corpus import clean_files, write_clean

    cleaned = clean_text("Pier Reopens\n\nThe old pier reopened on Monday, the harbor master "
                         "said.\n\nAccept all cookies\n")
    path = write_clean(tmp_path / "clean", "pier", cleaned)
    text, report = clean_files(tmp_path / "clean", "pier")
    assert path == text == tmp_path / "clean" / "pier.txt"
    assert text.read_text(encoding="utf-8") == cleaned.text
    assert report.read_text(encoding="utf-8") == cleaned.report()
    assert "- cookie or privacy notice: 'Accept all cookies'" in cleaned.report()
