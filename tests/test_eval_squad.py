"""SQuAD 2.0 files as evaluations: articles read with their questions and unique evidence,
each article a corpus of its own, and the per-article table with the pooled figures."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag import RagError
from rag.cli import main
from rag.eval_squad import load_squad, squad_article, squad_corpus, squad_titles

DATA = Path(__file__).parent / "data"


def test_squad_file_is_read():
    title, text, questions = load_squad(DATA / "squad_sample.json")
    assert title == "Lighthouse Restoration"
    assert text.startswith("Lighthouse Restoration\n\nThe Gray Point lighthouse")
    assert [q.answerable for q in questions] == [True, True, False, True, True, False]
    with pytest.raises(RagError, match="No article titled"):
        load_squad(DATA / "squad_sample.json", "Missing")


@pytest.mark.slow
def test_eval_squad_from_the_cli(tmp_path):
    result = CliRunner().invoke(main, ["eval", "--squad", str(DATA / "squad_sample.json"),
                                       "--json", "--report", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])
    assert report["n"] == 6 and report["grounded"] == 1.0
    assert report["hit_at_3"] >= 0.75
    text = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "- model: all-MiniLM-L6-v2" in text and "- when: " in text
    assert "false abstention — answerable questions it declined (lower is better)" in text
    assert (tmp_path / "report" / "metrics.png").stat().st_size > 1000
    assert (tmp_path / "report" / "confidence.png").stat().st_size > 1000


def test_eval_squad_scores_each_article_and_skips_one_without_questions():
    loud = CliRunner().invoke(main, ["eval", "--squad", str(DATA / "squad_sample.json")])
    assert loud.exit_code == 0, loud.output
    rows = loud.stdout.splitlines()
    assert rows[0].startswith("| article | questions |") and len(rows) == 4
    assert rows[2].startswith("| Lighthouse_Restoration | 6 |") and "**pooled** | 6" in rows[3]
    assert "Articles:" in loud.stderr and "2/2" in loud.stderr
    quiet = CliRunner().invoke(main, ["-q", "eval", "--squad", str(DATA / "squad_sample.json")])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_titles_and_one_article_as_a_corpus(tmp_path):
    assert squad_titles(DATA / "squad_sample.json") == ["Lighthouse_Restoration", "Other_Article"]
    folder, questions, source = squad_article(DATA / "squad_sample.json", None, tmp_path)
    assert folder == tmp_path / "corpus" and source == "SQuAD article “Lighthouse Restoration”"
    assert [p.name for p in (folder / "raw").iterdir()] == ["squad-article.txt"]
    assert len(questions) == 6
    several = squad_corpus(tmp_path / "two", "First\n\nOne.\n", "Second\n\nTwo.\n")
    assert sorted(p.name for p in (several / "raw").iterdir()) == [
        "squad-article-2.txt", "squad-article.txt"]
    with pytest.raises(RagError, match="not a SQuAD 2.0 JSON file"):
        squad_titles(DATA / "corpus" / "raw" / "zte-kerfuffle.txt")


def test_a_repeated_short_answer_is_widened_until_the_article_holds_it_once(tmp_path):
    context = "The pier opened in 1960. The museum opened in 1960 too."
    at = context.index("1960", context.index("museum"))
    squad = {"data": [{"title": "Piers", "paragraphs": [{"context": context, "qas": [
        {"id": "q", "question": "When did the museum open?", "is_impossible": False,
         "answers": [{"text": "1960", "answer_start": at}]}]}]}]}
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(squad), encoding="utf-8")
    _, text, (question,) = load_squad(path)
    assert question.answers == ("1960",) and text.count(question.evidence) == 1
    assert "1960" in question.evidence and text.index(question.evidence) > text.index("museum") - 12
