"""`rag eval --report`: every configuration scored on the same index, written as report.md
with two PNG plots, headed by provenance lines (model, commit, the question file's hash)."""

import hashlib
import subprocess
from pathlib import Path

import pytest

from rag import ConfigError
from rag.eval import load_questions
from rag.eval_report import CONFIGURATIONS, check_folder, compare, provenance, write_report

ROOT = Path(__file__).parent.parent
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def question_file(tmp_path_factory):
    """Four answerable questions of the shipped test set and two unanswerable ones."""
    rows = (ROOT / "eval" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    questions = load_questions(ROOT / "eval" / "test.jsonl")
    chosen = ([r for r, q in zip(rows, questions) if q.answerable][:4]
              + [r for r, q in zip(rows, questions) if not q.answerable][:2])
    path = tmp_path_factory.mktemp("questions") / "six.jsonl"
    path.write_text("\n".join(chosen) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def results(bot, question_file):
    return compare(bot, load_questions(question_file))


def test_every_configuration_is_scored_on_the_same_questions(results):
    assert list(results) == list(CONFIGURATIONS) and list(results)[-1] == "final pipeline"
    for report, outcomes in results.values():
        assert report.n == 6 and report.answerable == 4 and len(outcomes) == 6
        assert report.grounded == 1.0


def test_provenance_names_the_model_the_commit_and_the_questions(bot, question_file):
    lines = provenance(bot, question_file)
    assert "- model: all-MiniLM-L6-v2 (articles embedded with" in "\n".join(lines)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=ROOT).stdout.strip()
    assert any(line.startswith("- rag ") and line.endswith(f", commit {commit}") for line in lines)
    digest = hashlib.sha256(question_file.read_bytes()).hexdigest()[:12]
    assert f"- questions: {question_file} (sha256 {digest})" in lines
    assert f"- articles: {', '.join(sorted(bot.documents))}" in lines
    assert not any(line.startswith("- questions:") for line in provenance(bot, None))


def test_write_report_writes_markdown_and_both_plots(bot, results, question_file, tmp_path):
    about = provenance(bot, question_file)
    path = write_report(tmp_path / "out", "six questions", results, None, about)
    assert path == tmp_path / "out" / "report.md"
    for plot in ("metrics.png", "confidence.png"):
        assert (tmp_path / "out" / plot).read_bytes().startswith(PNG)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Evaluation report: six questions\n")
    assert "6 questions: 4 answerable, 2 unanswerable." in text
    assert all(line in text for line in about)
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert [row.split(" | ")[0][2:] for row in rows[1:]] == list(CONFIGURATIONS)
    final = results["final pipeline"][0]
    assert f"| final pipeline | {final.hit_at_1:.3f} | {final.hit_at_3:.3f} |" in text
    assert f"## Misses of the final pipeline ({len(final.misses)})" in text
    assert "![metrics](metrics.png)" in text and "![confidence](confidence.png)" in text


def test_a_report_folder_that_cannot_be_made_fails_before_the_evaluation(tmp_path):
    assert check_folder(tmp_path / "a" / "b").is_dir()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="--report"):
        check_folder(tmp_path / "file" / "report")
