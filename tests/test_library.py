"""The corpus side of the facade (Chatbot extends Library): build, add, remove, list and
what cleaning removed, before and after there is an index."""

import pytest


def test_corpus_operations_work_before_there_is_an_index(fresh_corpus, tmp_path):
    import dataclasses

    from rag import Chatbot, IndexMissing
    from rag.library import Article

    bot = Chatbot.open(settings=fresh_corpus)
    with pytest.raises(IndexMissing, match="Run: rag build"):
        bot.articles()
    report = bot.build()
    assert report.built and report.documents == 1
    seed, = bot.articles()
    assert isinstance(seed, Article) and seed.doc == "zte-kerfuffle"
    assert seed.source == "zte-kerfuffle.txt" and seed.chunks == report.chunks
    with pytest.raises(dataclasses.FrozenInstanceError):
        seed.title = "x"
    assert not bot.build().built  # up to date

    pier = tmp_path / "Pier News.txt"
    pier.write_text("Pier Reopens\n\nThe old pier reopened on Monday after a year of repairs, "
                    "the harbor master, Rosa Lind, said.\n", encoding="utf-8")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4")
    results = {r.source.name: r for r in bot.add([pier, tmp_path / "scan.pdf"])}
    added, skipped = results["Pier News.txt"], results["scan.pdf"]
    assert added.new and added.doc == "pier-news" and added.target.name == "pier-news.txt"
    assert str(added) == "added Pier News.txt as pier-news.txt"
    assert skipped.skipped and skipped.doc is None and ".txt, .md or .html" in skipped.reason
    again, = bot.add(pier)  # one path needs no list
    assert again.status == "duplicate" and again.doc == "pier-news" and not again.new
    assert [a.doc for a in bot.articles()] == ["pier-news", "zte-kerfuffle"]
    assert "Rosa Lind" in bot.ask("Who is the harbor master?").answer  # loaded on first use

    from rag import ArgumentError

    with pytest.raises(ArgumentError, match="doc must be an article id"):
        bot.remove(["pier-news"])
    assert bot.remove("pier-news") == fresh_corpus.raw_dir / "pier-news.txt"
    assert [a.doc for a in bot.articles()] == ["zte-kerfuffle"]
    assert "pier-news" not in bot.documents  # the loaded bot answers from the new index


def test_a_refused_upload_is_deleted_when_asked(fresh_corpus, tmp_path):
    from rag import Chatbot

    bot = Chatbot.open(settings=fresh_corpus)
    chrome = tmp_path / "menu.txt"
    chrome.write_text("Accept all cookies\n\nSubscribe now\n", encoding="utf-8")
    kept, = bot.add([chrome])
    assert kept.new and kept.doc is None and "no article text" in kept.reason
    assert kept.target.is_file() and bot.skipped_files()[0].source == "menu.txt"
    second = tmp_path / "menu2.txt"
    second.write_text("Reject all cookies\n\nSign in\n", encoding="utf-8")
    refused, = bot.add([second], keep_refused=False)
    assert refused.doc is None and not refused.target.exists()


def test_cleaning_tells_what_was_removed(bot):
    from rag import CorpusError

    cleaning = bot.cleaning("zte-kerfuffle")
    assert cleaning.text == bot.documents["zte-kerfuffle"].text
    assert any(r.reason == "cookie or privacy notice" for r in cleaning.removed)
    assert all(str(r).startswith(f"{r.reason}: ") for r in cleaning.removed)
    with pytest.raises(CorpusError, match="No article 'nope'"):
        bot.cleaning("nope")
    with pytest.raises(ValueError, match="doc must be an article id"):
        bot.cleaning(3)
