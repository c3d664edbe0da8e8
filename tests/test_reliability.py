"""Bad input, broken builds, concurrent use: nothing crashes, hangs or loses the index."""

import dataclasses
import shutil
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from rag import Chatbot, QuestionError, RagError
from rag.build import build_index
from rag.index import load_index, read_manifest


@pytest.mark.parametrize("question", [
    "¿Quién es Betsy Cooper?", "贝茜·库珀是谁？", "🤔🤔🤔 zte?", "a" * 999, "\u202eevil\u202c",
    "<script>alert(1)</script>", "[link](http://evil.example)", "x" * 900 + " who is cooper",
])
def test_odd_questions_answer_or_abstain(bot, cleaned, question):
    answer = bot.ask(question)
    assert answer.answer == (answer.quotes[0].text if not answer.abstained else "")
    assert all(cleaned[q.doc][q.start:q.end] == q.text for q in answer.quotes)


def test_huge_question_is_refused_quickly(bot):
    started = time.perf_counter()
    with pytest.raises(QuestionError, match="characters long; the limit is 1,000"):
        bot.ask("why " * 25_000)
    assert time.perf_counter() - started < 1


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_fuzz_ask_raises_only_documented_errors(bot, question):
    try:
        answer = bot.ask(question)
    except QuestionError:
        return
    for quote in answer.quotes:
        assert bot.documents[quote.doc].text[quote.start:quote.end] == quote.text


def test_chatbot_is_thread_safe(bot, concurrently):
    questions = ["Who is Betsy Cooper?", "What did the FCC propose?", "capital of Peru?",
                 "How many sea stars did volunteers count?", "why was zte banned"] * 4
    expected = {q: bot.ask(q) for q in set(questions)}
    results, errors = concurrently(bot.ask, questions)
    assert not errors and len(results) == len(questions)
    for q, answer in results:
        assert answer.answer == expected[q].answer
        assert [x.start for x in answer.quotes] == [x.start for x in expected[q].quotes]


def _build_command(settings):
    return [sys.executable, "-m", "rag", "build", "--force", "--corpus",
            str(settings.corpus_dir), "--index", str(settings.index_dir)]


@pytest.mark.slow
def test_build_killed_at_any_moment_keeps_the_previous_index(fresh_corpus, encoder,
                                                             shared_store):
    build_index(fresh_corpus, encoder=encoder)
    before = read_manifest(fresh_corpus.index_dir)
    for delay in (0.3, 1.5, 3.0, 5.0, 7.0):
        process = subprocess.Popen(_build_command(fresh_corpus), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        index = load_index(fresh_corpus.index_dir)  # never half-written
        assert index.chunks
        manifest = read_manifest(fresh_corpus.index_dir)
        assert manifest["counts"] == before["counts"]
    bot = Chatbot(fresh_corpus)
    assert "Betsy Cooper" in bot.ask("Who is Betsy Cooper?").answer


@pytest.mark.slow
def test_two_builds_at_once_do_not_corrupt_each_other(fresh_corpus, shared_store):
    processes = [subprocess.Popen(_build_command(fresh_corpus), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE) for _ in range(2)]
    for process in processes:
        assert process.wait(timeout=300) == 0, process.stderr.read()
    assert load_index(fresh_corpus.index_dir).chunks
    assert len(list(fresh_corpus.index_dir.glob("build-*"))) <= 2


def test_manifest_that_does_not_match_its_files_is_detected(fresh_corpus, encoder):
    fresh_corpus = dataclasses.replace(fresh_corpus, store="faiss")  # its files are FAISS's
    build_index(fresh_corpus, encoder=encoder)
    live = load_index(fresh_corpus.index_dir).path
    (live / "store.npz").unlink()
    with pytest.raises(RagError, match="missing"):
        load_index(fresh_corpus.index_dir)
    assert Chatbot(fresh_corpus).index.chunks  # rebuilt from the corpus


def test_index_from_another_model_is_rebuilt(fresh_corpus, encoder):
    import json

    build_index(fresh_corpus, encoder=encoder)
    live = load_index(fresh_corpus.index_dir).path
    manifest = json.loads((live / "manifest.json").read_text(encoding="utf-8"))
    manifest["params"]["model"] = "some-other-model"
    (live / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = build_index(fresh_corpus, encoder=encoder)
    assert report.built and report.reason.startswith("model changed")


def test_huge_file_is_skipped_with_the_limit_named(fresh_corpus, encoder):
    (fresh_corpus.raw_dir / "huge.txt").write_text("Big\n\n" + "word " * 500_000, encoding="utf-8")
    report = build_index(fresh_corpus, encoder=encoder)
    assert any("huge.txt" in s and "limit is 2,000,000" in s for s in report.skipped)


def test_file_with_no_sentences_is_skipped(fresh_corpus, encoder):
    (fresh_corpus.raw_dir / "chrome.txt").write_text(
        "Home | News | Sports\n\nAccept Cookies\n\nSubscribe\n", encoding="utf-8")
    report = build_index(fresh_corpus, encoder=encoder)
    assert any("no article text" in s for s in report.skipped)


def test_corpus_deleted_after_build_still_answers(fresh_corpus, encoder):
    build_index(fresh_corpus, encoder=encoder)
    shutil.rmtree(fresh_corpus.corpus_dir)
    assert "Betsy Cooper" in Chatbot(fresh_corpus).ask("Who is Betsy Cooper?").answer


@pytest.mark.slow
def test_twenty_concurrent_web_users(bot, serve, concurrently, cleaned):
    """20 gradio_client users on loopback, three questions each at once: no errors, and
    every quote is the cleaned text at its offsets."""
    from gradio_client import Client

    questions = ["Who is Betsy Cooper?", "How many sea stars did volunteers count?",
                 "What is the capital of Peru?"]

    def user(number: int) -> int:
        client = Client(url, verbose=False)
        for question in questions[number % 3:] + questions[:number % 3]:
            result = client.predict(question, "", api_name="/ask")
            assert "error" not in result, result
            for quote in result["quotes"]:
                assert cleaned[quote["doc"]][quote["start"]:quote["end"]] == quote["text"]
        return number

    with serve(bot) as url:
        results, errors = concurrently(user, range(20), timeout=120)
    assert errors == [] and len(results) == 20
