"""Promises kept under hostile use, one test per case of the red-team pass (issue 12).

Grouped by promise: no article is ever lost; one bad article never blocks the corpus;
the index always recovers; every mistake is a one-line error; nothing phones home or
writes to HOME. Browser-side cases are in test_web_articles.py.
"""

import json
import os
import resource
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from filelock import FileLock

from rag import ArgumentError, Chatbot, ConfigError, RagError
from rag.chunk import SentenceParser
from rag.cli import main
from rag.corpus import ADDED, DUPLICATE, SKIPPED, add_files
from rag.build import build_index, remove_document
from rag.index import load_index, read_manifest

DATA = Path(__file__).parent / "data"
SEED = DATA / "corpus" / "raw" / "zte-kerfuffle.txt"
RAG = [sys.executable, "-m", "rag"]


def story(n: int) -> str:
    return (f"Harbor Story Number {n}\n\nThe council of town {n} voted on Tuesday to repair "
            f"pier {n}, the mayor said. Work will start in spring and cost ${n},000.\n")


def cli(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env)


def paths(settings):
    return ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]


def run_rag(*args, timeout=300, **popen):
    env = {**os.environ, **popen.pop("env", {})}
    return subprocess.run([*RAG, *args], capture_output=True, text=True, timeout=timeout,
                          env=env, **popen)


def one_line_error(result) -> str:
    """The error a failed CLI run printed: one line, no traceback."""
    output = result.output if hasattr(result, "output") else result.stderr
    assert result.exit_code if hasattr(result, "exit_code") else result.returncode
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, output
    return errors[0]


# --- No article is ever lost --------------------------------------------------------------

def test_concurrent_adds_of_the_same_file_name_keep_every_article(tmp_path, concurrently):
    raw = tmp_path / "corpus" / "raw"
    sources = []
    for n in range(12):
        folder = tmp_path / f"user{n}"
        folder.mkdir()
        (folder / "story.txt").write_text(story(n), encoding="utf-8")
        sources.append(folder / "story.txt")
    results, errors = concurrently(lambda source: add_files([source], raw, 10_000)[0], sources)
    assert not errors and len(results) == 12
    assert len(list(raw.glob("*.txt"))) == 12
    for source, result in results:  # each uploader is told where their text is
        assert result.status == ADDED
        assert result.target.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")


def test_concurrent_adds_from_several_processes_keep_every_article(tmp_path):
    raw = tmp_path / "corpus" / "raw"
    code = ("import sys; from pathlib import Path; from rag.corpus import add_files; "
            "print(add_files([Path(sys.argv[1])], Path(sys.argv[2]), 10_000)[0].target.name)")
    processes = []
    for n in range(6):
        folder = tmp_path / f"p{n}"
        folder.mkdir()
        (folder / "story.txt").write_text(story(n), encoding="utf-8")
        processes.append(subprocess.Popen([sys.executable, "-c", code, str(folder / "story.txt"),
                                           str(raw)], stdout=subprocess.PIPE, text=True))
    names = [p.communicate(timeout=120)[0].strip() for p in processes]
    assert len(set(names)) == 6
    for n, name in enumerate(names):
        assert (raw / name).read_text(encoding="utf-8") == story(n)


def test_remove_deletes_exactly_one_of_two_files_with_the_same_name(fresh_corpus, encoder):
    raw = fresh_corpus.raw_dir
    (raw / "Story.txt").write_text(story(1), encoding="utf-8")
    (raw / "story.md").write_text(story(2), encoding="utf-8")
    build_index(fresh_corpus, encoder=encoder)
    documents = read_manifest(fresh_corpus.index_dir)["documents"]
    ids = {entry["source"]: doc for doc, entry in documents.items()}
    assert ids["Story.txt"] != ids["story.md"]
    removed = remove_document(fresh_corpus, ids["Story.txt"])
    assert removed.name == "Story.txt" and (raw / "story.md").is_file()
    after = read_manifest(fresh_corpus.index_dir)["documents"]
    assert after[ids["story.md"]]["source"] == "story.md"  # the other keeps its id
    remove_document(fresh_corpus, ids["story.md"])  # and can be removed alone
    assert sorted(p.name for p in raw.iterdir()) == ["zte-kerfuffle.txt"]


def test_build_never_deletes_folders_it_did_not_write(fresh_corpus, encoder):
    build_index(fresh_corpus, encoder=encoder)
    mine = fresh_corpus.index_dir / "build-linux"
    mine.mkdir()
    (mine / "app.bin").write_bytes(b"user data")
    for _ in range(3):
        build_index(fresh_corpus, force=True, encoder=encoder)
    assert (mine / "app.bin").read_bytes() == b"user data"


def test_a_folder_that_is_not_an_index_is_refused(fresh_corpus, encoder):
    project = fresh_corpus.index_dir
    project.mkdir()
    (project / "notes.txt").write_text("my notes", encoding="utf-8")
    with pytest.raises(ConfigError, match="not an index"):
        build_index(fresh_corpus, encoder=encoder)
    assert (project / "notes.txt").read_text(encoding="utf-8") == "my notes"
    assert sorted(p.name for p in project.iterdir()) == ["notes.txt"]


def test_near_copy_of_an_article_does_not_take_its_place(fresh_corpus, encoder):
    build_index(fresh_corpus, encoder=encoder)
    (fresh_corpus.raw_dir / "aaa-update.txt").write_text(SEED.read_text(encoding="utf-8") + "\n",
                                                         encoding="utf-8")
    report = build_index(fresh_corpus, encoder=encoder)
    assert any(s.startswith("aaa-update.txt: same text as zte-kerfuffle.txt")
               for s in report.skipped)
    bot = Chatbot(fresh_corpus)
    assert list(bot.documents) == ["zte-kerfuffle"]
    assert "Betsy Cooper" in bot.ask("Who is Betsy Cooper?", doc="zte-kerfuffle").answer
    assert not (fresh_corpus.clean_dir / "aaa-update.txt").exists()


def test_links_and_special_files_are_never_added(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "story.txt").symlink_to(secret)
    os.mkfifo(folder / "pipe.txt")
    (folder / "real.txt").write_text(story(1), encoding="utf-8")
    (folder / "paper.pdf").write_bytes(b"%PDF-1.4")
    raw = tmp_path / "corpus" / "raw"
    results = {r.source.name: r for r in add_files([folder], raw, 10_000)}
    assert results["real.txt"].status == ADDED
    assert results["story.txt"].status == SKIPPED and "symbolic link" in results["story.txt"].reason
    assert results["pipe.txt"].status == SKIPPED and "regular file" in results["pipe.txt"].reason
    assert results["paper.pdf"].status == SKIPPED and ".txt, .md or .html" in results["paper.pdf"].reason
    assert [p.name for p in raw.iterdir() if not p.name.startswith(".")] == ["real.txt"]


def test_a_link_dropped_into_raw_is_skipped_not_followed(fresh_corpus, encoder):
    secret = fresh_corpus.corpus_dir.parent / "secret.txt"
    secret.write_text("Secret Title\n\nThe password of the vault is swordfish-42.\n", encoding="utf-8")
    (fresh_corpus.raw_dir / "passwd.txt").symlink_to(secret)
    report = build_index(fresh_corpus, encoder=encoder)
    assert any("passwd.txt" in s and "symbolic link" in s for s in report.skipped)
    assert "swordfish" not in Chatbot(fresh_corpus).ask("What is the password of the vault?").answer


def test_add_reports_each_file_and_adds_the_rest(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.txt").write_text(story(1), encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (folder / "empty.md").write_text("  \n", encoding="utf-8")
    (folder / "z.html").write_text(f"<html><body><p>{story(2)}</p></body></html>", encoding="utf-8")
    raw = tmp_path / "corpus" / "raw"
    results = {r.source.name: r.status for r in add_files([folder, tmp_path / "nope.txt"], raw, 10_000)}
    assert results == {"a.txt": ADDED, "binary.txt": SKIPPED, "empty.md": SKIPPED,
                       "z.html": ADDED, "nope.txt": SKIPPED}
    again = add_files([folder / "a.txt"], raw, 10_000)
    assert again[0].status == DUPLICATE and again[0].target.name == "a.txt"


# --- One bad article never blocks the corpus --------------------------------------------

def test_a_long_paragraph_is_parsed_in_bounded_pieces():
    text = " ".join(f"Sentence {n} says the harbor opened in May." for n in range(800))
    sentences, = SentenceParser().split_sentences(text, max_piece_chars=2_000)
    assert len(sentences) == 800
    for a, b, _ in sentences:
        assert text[a:b].startswith("Sentence ") and text[a:b].endswith("May.")


@pytest.mark.slow
def test_a_paragraph_over_spacys_limit_does_not_block_the_corpus(fresh_corpus, encoder):
    body = " ".join(f"Ferry {n % 50} left pier {n % 7} at dawn." for n in range(36_000))
    assert 1_000_000 < len(body) < fresh_corpus.max_file_bytes
    (fresh_corpus.raw_dir / "long.txt").write_text("One Long Paragraph\n\n" + body + "\n",
                                                   encoding="utf-8")
    build_index(fresh_corpus, encoder=encoder)
    bot = Chatbot(fresh_corpus)
    assert set(bot.documents) == {"zte-kerfuffle", "long"}
    assert "Betsy Cooper" in bot.ask("Who is Betsy Cooper?").answer


def test_adding_a_note_never_reads_an_oversized_file(tmp_path):
    raw = tmp_path / "corpus" / "raw"
    raw.mkdir(parents=True)
    with open(raw / "huge.txt", "wb") as handle:  # sparse: 400 MB that take no disk
        handle.truncate(400_000_000)
    note = tmp_path / "note.txt"
    note.write_text(story(1), encoding="utf-8")
    # VmHWM: this process's peak (ru_maxrss would include the parent's at fork)
    code = ("import re, sys; from pathlib import Path; from rag.corpus import add_files; "
            "add_files([Path(sys.argv[1])], Path(sys.argv[2]), 2_000_000); "
            "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))")
    peak_kb = int(subprocess.run([sys.executable, "-c", code, str(note), str(raw)],
                                 capture_output=True, text=True, check=True).stdout)
    assert peak_kb < 300_000  # far below the 400 MB a read of huge.txt would take


# --- The index always recovers ----------------------------------------------------------

def _break_pointer(settings, how):
    pointer = settings.index_dir / "CURRENT"
    manifest_path = settings.index_dir / pointer.read_text(encoding="utf-8").strip() / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if how == "pointer not UTF-8":
        pointer.write_bytes(b"\xff\xfe\x00build")
    elif how == "pointer leaves the folder":
        pointer.write_text("../../etc\n", encoding="utf-8")
    elif how == "documents is a list":
        manifest["documents"] = list(manifest["documents"].values())
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    elif how == "manifest is an array":
        manifest_path.write_text("[1, 2, 3]", encoding="utf-8")
    elif how == "skipped holds numbers":
        manifest["skipped"] = {"x.txt": 5}
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")


BREAKAGES = ["pointer not UTF-8", "pointer leaves the folder", "documents is a list",
             "manifest is an array", "skipped holds numbers"]


@pytest.mark.parametrize("how", BREAKAGES)
def test_an_ill_shaped_pointer_or_manifest_is_rebuilt_on_load(fresh_corpus, encoder, how):
    build_index(fresh_corpus, encoder=encoder)
    _break_pointer(fresh_corpus, how)
    bot = Chatbot(fresh_corpus, encoder=encoder)
    assert "Betsy Cooper" in bot.ask("Who is Betsy Cooper?").answer


@pytest.mark.parametrize("how", BREAKAGES)
def test_force_always_recovers(fresh_corpus, encoder, how):
    build_index(fresh_corpus, encoder=encoder)
    _break_pointer(fresh_corpus, how)
    assert build_index(fresh_corpus, force=True, encoder=encoder).built
    assert load_index(fresh_corpus.index_dir).chunks


def test_held_lock_answers_from_the_last_good_index_after_a_timeout(fresh_corpus, encoder,
                                                                    shared_store):
    build_index(fresh_corpus, encoder=encoder)
    (fresh_corpus.raw_dir / "new.txt").write_text(story(3), encoding="utf-8")  # now stale
    with FileLock(fresh_corpus.index_dir / ".lock"):
        result = run_rag("ask", "Who is Betsy Cooper?", *paths(fresh_corpus),
                         env={"RAG_LOCK_TIMEOUT": "2"}, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "Betsy Cooper" in result.stdout
        assert "last good index" in result.stderr and "Traceback" not in result.stderr
        built = run_rag("build", *paths(fresh_corpus), env={"RAG_LOCK_TIMEOUT": "2"})
        assert "Another process has been building the index" in one_line_error(built)


def _limit_file_size():
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG


def test_a_full_disk_during_a_rebuild_keeps_the_last_good_index(fresh_corpus, encoder,
                                                                shared_store):
    build_index(fresh_corpus, encoder=encoder)
    before = load_index(fresh_corpus.index_dir).path
    built = run_rag("build", "--force", *paths(fresh_corpus), preexec_fn=_limit_file_size)
    assert "The last good index is kept" in one_line_error(built)
    assert load_index(fresh_corpus.index_dir).path == before
    (fresh_corpus.raw_dir / "new.txt").write_text(story(4), encoding="utf-8")  # now stale
    asked = run_rag("ask", "Who is Betsy Cooper?", *paths(fresh_corpus), preexec_fn=_limit_file_size)
    assert asked.returncode == 0, asked.stderr
    assert "Betsy Cooper" in asked.stdout and "last good index" in asked.stderr


@contextmanager
def read_only(folder: Path):
    """Make folder read-only for this process: a read-only bind mount for root (whom
    permissions do not stop), else permissions."""
    if os.geteuid() != 0:
        folders = [folder, *(p for p in folder.rglob("*") if p.is_dir())]
        for path in folders:
            path.chmod(0o555)
        try:
            yield
        finally:
            for path in folders:
                path.chmod(0o755)
        return
    if subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True).returncode:
        pytest.skip("this machine cannot make a read-only mount")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_index_folder_answers_from_the_last_good_index(fresh_corpus, encoder,
                                                                   shared_store):
    build_index(fresh_corpus, encoder=encoder)
    (fresh_corpus.raw_dir / "new.txt").write_text(story(5), encoding="utf-8")  # now stale
    with read_only(fresh_corpus.index_dir):
        asked = run_rag("ask", "Who is Betsy Cooper?", *paths(fresh_corpus))
        built = run_rag("build", *paths(fresh_corpus))
    assert asked.returncode == 0, asked.stderr
    assert "Betsy Cooper" in asked.stdout
    assert "last good index" in asked.stderr and "Traceback" not in asked.stderr
    assert "Cannot" in one_line_error(built)


# --- Every mistake is a one-line error ----------------------------------------------------

def test_index_option_pointing_at_a_file(fresh_corpus, tmp_path):
    a_file = tmp_path / "index.txt"
    a_file.write_text("not a folder", encoding="utf-8")
    for command in ("ask", "build"):
        args = [command, "Who?"] if command == "ask" else [command]
        result = cli(*args, "--corpus", str(fresh_corpus.corpus_dir), "--index", str(a_file))
        assert "is a file" in one_line_error(result)
    assert a_file.read_text(encoding="utf-8") == "not a folder"


def test_add_with_corpus_pointing_at_a_file(tmp_path):
    a_file = tmp_path / "corpus"
    a_file.write_text("not a folder", encoding="utf-8")
    source = tmp_path / "story.txt"
    source.write_text(story(1), encoding="utf-8")
    result = cli("add", str(source), "--corpus", str(a_file), "--index", str(tmp_path / "ix"))
    assert "is a file" in one_line_error(result)


def test_eval_with_an_empty_question(bot, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "1", "question": "  ", "answerable": False}) + "\n",
                         encoding="utf-8")
    result = cli("eval", str(questions), *paths(bot.settings))
    assert "line 1: the question is empty" in one_line_error(result)


@pytest.mark.parametrize("content", [
    "{not json", '{"data": {"title": "x"}}', '{"data": [{"title": "x"}]}', '{"nothing": 1}',
    '{"data": [{"title": "x", "paragraphs": [{"context": 5, "qas": []}]}]}',
    '{"data": [{"title": "x", "paragraphs": [{"context": "Text.", "qas": [{"id": 1}]}]}]}', "[]",
])
def test_eval_on_a_malformed_squad_file(tmp_path, content):
    squad = tmp_path / "squad.json"
    squad.write_text(content, encoding="utf-8")
    result = cli("eval", "--squad", str(squad))
    assert "not a SQuAD 2.0 JSON file" in one_line_error(result)


def test_eval_report_into_an_impossible_folder_fails_before_evaluating(bot, tmp_path):
    (tmp_path / "notadir").write_text("a file", encoding="utf-8")
    result = cli("eval", "eval/test.jsonl", *paths(bot.settings), "--report",
                 str(tmp_path / "notadir" / "rep"))
    assert "is a file" in one_line_error(result)
    assert "questions (" not in result.output  # no evaluation ran


@pytest.mark.parametrize("k", [0, -1, True, "3", 1.5])
def test_a_bad_k_is_a_rag_error(bot, k):
    with pytest.raises(ArgumentError, match="k must be a whole number") as caught:
        bot.ask("Who is Betsy Cooper?", k=k)
    assert isinstance(caught.value, RagError) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize("doc", [["zte-kerfuffle"], 5, "no-such-article"])
def test_a_bad_doc_is_a_rag_error(bot, doc):
    with pytest.raises(ArgumentError):
        bot.ask("Who is Betsy Cooper?", doc=doc)


def test_malformed_chat_history_gets_a_message(bot, serve):
    from gradio_client import Client

    with serve(bot) as url:
        client = Client(url, verbose=False)
        for history in ("not a list", 5, [{"role": "x"}], [["a", "b"]], None):
            chat = client.predict("Who is Betsy Cooper?", history, "", api_name="/chat")[0]
            assert "Betsy Cooper, a cybersecurity researcher" in str(chat[-1]["content"])
        chat = client.predict("Who is Betsy Cooper?", [], "tidepool-survey",
                              api_name="/chat")[0]  # any indexed id, listed or not
        assert chat[-1]["role"] == "assistant"
        chat = client.predict("Who?", [], "no-such-id", api_name="/chat")[0]
        assert "No article" in str(chat[-1]["content"])


# --- Nothing phones home or writes to HOME ------------------------------------------------

AUDIT = """
import faulthandler, signal, socket, sys
faulthandler.register(signal.SIGUSR1, all_threads=True)  # where it hangs, if it ever does
# A test run started in the background (`make test &`) ignores SIGINT, and a child inherits
# that: without this, the test's Ctrl-C would never reach the server.
signal.signal(signal.SIGINT, signal.default_int_handler)
calls = []
def hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname"):
        calls.append((event, repr(args)[:120]))
sys.addaudithook(hook)
from rag.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
outside = [c for c in calls if "127.0.0.1" not in c[1] and "localhost" not in c[1]]
print("CONNECTIONS", outside, file=sys.stderr)
"""


def test_nothing_is_written_to_home_and_no_connection_is_made(fresh_corpus, tmp_path):
    home, scratch = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    scratch.mkdir()
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(scratch)}
    for name in ("ORT_DISABLE_TELEMETRY", "TIKTOKEN_CACHE_DIR", "MPLCONFIGDIR"):
        env.pop(name, None)  # the defaults rag sets are what is tested
    for args in (["build"], ["ask", "Who is Betsy Cooper?"]):
        result = subprocess.run([sys.executable, "-c", AUDIT, *args, *paths(fresh_corpus)],
                                capture_output=True, text=True, env=env, timeout=300)
        assert "CONNECTIONS []" in result.stderr, result.stderr[-2000:]
    assert list(home.rglob("*")) == []
    leftovers = [p.name for p in scratch.iterdir()]
    assert ".ses" not in leftovers and "data-gym-cache" not in leftovers


def test_the_web_server_writes_nothing_to_home_and_connects_nowhere(fresh_corpus, tmp_path,
                                                                    free_port):
    from gradio_client import Client

    home, scratch = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    scratch.mkdir()
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(scratch)}
    for name in ("ORT_DISABLE_TELEMETRY", "TIKTOKEN_CACHE_DIR", "MPLCONFIGDIR", "GRADIO_TEMP_DIR"):
        env.pop(name, None)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", AUDIT, "serve", "--port", str(port),
                               *paths(fresh_corpus)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        client = None
        for _ in range(240):  # the first start builds the index
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                break
            except Exception:  # noqa: BLE001 - not listening yet
                threading.Event().wait(0.5)
        assert client is not None, "the server did not start"
        assert "Betsy Cooper" in client.predict("Who is Betsy Cooper?", "", api_name="/ask")["answer"]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            _, stderr = server.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            server.send_signal(signal.SIGUSR1)  # each thread's stack onto stderr
            threading.Event().wait(2)
            server.kill()
            pytest.fail("the server did not stop within 60 s of Ctrl-C:\n"
                        + server.communicate()[1][-6000:])
    assert "CONNECTIONS []" in stderr, stderr[-2000:]
    assert list(home.rglob("*")) == []
