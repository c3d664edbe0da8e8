import json

from click.testing import CliRunner

from rag.cli import main


def run(*args, input=None, env=None):
    return CliRunner().invoke(main, list(args), input=input, env=env)


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


def test_piped_questions_give_json_lines_and_no_prompt(bot):
    questions = 'Who is Betsy Cooper?\n\n{"id": "q2", "question": "capital of Peru?"}\n  \n'
    result = run("ask", *paths(bot.settings), input=questions)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2  # blank lines are skipped; no banner, no "? " prompt
    first, second = map(json.loads, lines)
    assert "Betsy Cooper, a cybersecurity researcher" in first["answer"]
    assert second["id"] == "q2" and second["abstained"] is True


def test_ask_dash_reads_stdin_and_reports_bad_lines_in_place(bot):
    result = run("ask", "-", *paths(bot.settings),
                 input='{"question": "Who is Betsy Cooper?", "k": 1}\n{"question": "?!"}\n'
                       '{"question": "Who?", "doc": "nope"}\n')
    assert result.exit_code == 0
    first, second, third = map(json.loads, result.stdout.splitlines())
    assert len(first["quotes"]) == 1
    assert "no words" in second["error"] and "No article 'nope'" in third["error"]


def test_environment_names_the_folders(bot, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("list", "--json", env={"RAG_CORPUS": str(bot.settings.corpus_dir),
                                        "RAG_INDEX": str(bot.settings.index_dir)})
    assert result.exit_code == 0, result.output
    assert {row["id"] for row in json.loads(result.stdout)} >= {"zte-kerfuffle"}


def test_outside_a_project_the_user_data_folder_is_used(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("list", env={"XDG_DATA_HOME": str(tmp_path / "data"), "RAG_CORPUS": "",
                              "RAG_INDEX": ""})
    assert result.exit_code == 1
    assert f"No index in {tmp_path / 'data' / 'rag' / 'index'}" in result.output


def test_list_as_json_lines_and_csv(bot):
    as_json = json.loads(run("list", "--json", *paths(bot.settings)).stdout)
    lines = [json.loads(line) for line in run("list", "--nl", *paths(bot.settings)).stdout.splitlines()]
    rows = run("list", "--csv", *paths(bot.settings)).stdout.splitlines()
    assert as_json == lines and len(as_json) == len(bot.documents)
    assert rows[0] == "id,chunks,added,source,title" and len(rows) == len(bot.documents) + 1
    assert run("list", "--json", "--csv", *paths(bot.settings)).exit_code == 2


def test_help_is_whole(bot):
    top = run("--help").output
    commands = top.split("Commands:")[1]
    assert "..." not in commands  # no summary is cut off
    assert "Port to listen on" in run("serve", "--help").output
    assert "RAG_CORPUS" in run("ask", "--help").output


def test_build_progress_goes_to_stderr_and_quiet_silences_it(fresh_corpus):
    loud = run("build", *paths(fresh_corpus))
    assert loud.exit_code == 0, loud.output
    assert "Building index" in loud.stderr and "embedding" in loud.stderr
    assert loud.stdout.startswith("Index built: 1 documents")
    quiet = run("-q", "build", "--force", *paths(fresh_corpus))
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_verbose_logs_rag_not_faiss(bot):
    result = run("-v", "ask", "Who is Betsy Cooper?", *paths(bot.settings))
    assert result.exit_code == 0
    assert "AVX" not in result.stderr and "faiss" not in result.stderr


def test_add_reports_each_file(fresh_corpus, tmp_path):
    folder = tmp_path / "new"
    folder.mkdir()
    (folder / "pier.txt").write_text("Pier Reopens\n\nThe old pier reopened on Monday after a "
                                     "year of repairs, the harbor master said.\n", encoding="utf-8")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4")
    result = run("add", str(folder), *paths(fresh_corpus))
    assert result.exit_code == 0, result.output
    assert "added pier.txt as pier.txt: article pier" in result.stdout
    assert "scan.pdf" in result.stderr and "only .txt, .md or .html" in result.stderr
    nothing = run("add", str(folder / "scan.pdf"), *paths(fresh_corpus))
    assert nothing.exit_code == 1 and "Nothing was added." in nothing.output


def test_version(bot):
    import rag

    assert rag.__version__ in run("--version").output


def test_missing_corpus_is_a_clear_error(tmp_path):
    result = run("build", "--corpus", str(tmp_path / "none"), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 1
    assert "No corpus folder" in result.output
    assert "Traceback" not in result.output


def test_add_list_remove(fresh_corpus, tmp_path):
    missing = run("list", *paths(fresh_corpus))
    assert missing.exit_code == 1
    assert missing.output == f"Error: No index in {fresh_corpus.index_dir}. Run: rag build\n"
    pier = tmp_path / "pier.txt"
    pier.write_text("Pier Reopens\n\nThe old pier reopened on Monday after a year of repairs, "
                    "the harbor master said.\n", encoding="utf-8")
    added = run("add", str(pier), *paths(fresh_corpus))
    assert added.exit_code == 0, added.output
    assert added.stdout == "added pier.txt as pier.txt: article pier\n"
    again = run("add", str(pier), *paths(fresh_corpus))
    assert again.stdout == "pier.txt is already in the corpus as pier.txt: article pier\n"
    listed = json.loads(run("list", "--json", *paths(fresh_corpus)).stdout)
    assert [row["id"] for row in listed] == ["pier", "zte-kerfuffle"]
    assert listed[0]["source"] == "pier.txt" and listed[0]["title"] == "Pier Reopens"
    table = run("list", *paths(fresh_corpus)).stdout.splitlines()
    assert table[0].split() == ["id", "chunks", "added", "title"]
    assert table[1].startswith("pier ") and table[1].endswith("Pier Reopens")
    removed = run("remove", "pier", *paths(fresh_corpus))
    assert removed.exit_code == 0 and removed.stdout == "Removed pier.txt\n"
    assert [row["id"] for row in json.loads(run("list", "--json", *paths(fresh_corpus)).stdout)
            ] == ["zte-kerfuffle"]
    unknown = run("remove", "pier", *paths(fresh_corpus))
    assert unknown.exit_code == 1 and "No article 'pier'" in unknown.output
    assert "Traceback" not in unknown.output
