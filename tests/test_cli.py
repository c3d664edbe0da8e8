import json

from click.testing import CliRunner

from rag.cli import main


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def paths(settings):
    return ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]


def test_help_lists_the_commands():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("build", "ask", "eval", "serve"):
        assert command in result.output
    for command in ("build", "ask", "eval", "serve"):
        assert run(command, "--help").exit_code == 0


def test_build_then_up_to_date(fresh_corpus):
    first = run("build", *paths(fresh_corpus))
    assert first.exit_code == 0, first.output
    assert "Index written" in first.output
    second = run("build", *paths(fresh_corpus))
    assert "up to date" in second.output


def test_ask_prints_answer_and_citations(bot):
    result = run("ask", "Who is Betsy Cooper?", *paths(bot.settings))
    assert result.exit_code == 0, result.output
    assert "Betsy Cooper, a cybersecurity researcher" in result.output
    assert "[1]" in result.output and "paragraph" in result.output


def test_ask_json(bot):
    result = run("ask", "Who is Betsy Cooper?", "--json", "-k", "2", *paths(bot.settings))
    data = json.loads(result.output)
    assert data["abstained"] is False and len(data["quotes"]) == 2


def test_ask_off_topic_says_so(bot):
    result = run("ask", "What is the capital of Peru?", *paths(bot.settings))
    assert result.exit_code == 0
    assert "The article doesn't say." in result.output


def test_empty_question_is_a_one_line_error(bot):
    result = run("ask", "  ", *paths(bot.settings))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: The question is empty. Type a question about the article."]


def test_interactive_prompt(bot):
    result = run("ask", *paths(bot.settings), input="Who is Betsy Cooper?\n\n")
    assert result.exit_code == 0
    assert "Betsy Cooper, a cybersecurity researcher" in result.output


def test_missing_corpus_is_a_clear_error(tmp_path):
    result = run("build", "--corpus", str(tmp_path / "none"), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 1
    assert "No corpus folder" in result.output
    assert "Traceback" not in result.output
