"""Conversation evaluation: each turn asked in its conversation and alone, from the CLI."""

import json

from click.testing import CliRunner

from rag.cli import main
from rag.eval_conversations import evaluate_conversations, load_conversations

CONVERSATION = {"id": "z1", "turns": [
    {"question": "Why was ZTE banned?", "evidence": "violated a settlement agreement"},
    {"question": "for how long?", "evidence": "products for seven years", "follow_up": True},
    {"question": "What is the capital of Peru?", "answerable": False, "follow_up": False}]}


def test_a_follow_up_is_right_in_its_conversation_and_not_alone(bot, tmp_path):
    path = tmp_path / "conversations.jsonl"
    path.write_text(json.dumps(CONVERSATION) + "\n", encoding="utf-8")
    report = evaluate_conversations(bot, load_conversations(path))
    assert (report.conversations, report.follow_ups) == (1, 1)
    assert report.follow_ups_right == 1.0 and report.follow_ups_right_alone == 0.0
    assert report.standalone_turns == 1 and report.standalone_right == 1.0
    assert report.as_text().splitlines()[0] == "1 conversations, 1 follow-up turns"


def test_the_cli_shows_progress_on_stderr_only(bot, tmp_path):
    path = tmp_path / "conversations.jsonl"
    path.write_text(json.dumps(CONVERSATION) + "\n", encoding="utf-8")
    folders = ["--corpus", str(bot.settings.corpus_dir), "--index", str(bot.settings.index_dir)]
    loud = CliRunner().invoke(main, ["eval", "--conversations", str(path), "--json", *folders])
    assert loud.exit_code == 0, loud.output
    assert "Loading the index" in loud.stderr and "Conversations:" in loud.stderr
    assert json.loads(loud.stdout)["follow_ups_right"] == 1.0
    quiet = CliRunner().invoke(main, ["-q", "eval", "--conversations", str(path), *folders])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert quiet.stdout.startswith("1 conversations, 1 follow-up turns\n")
