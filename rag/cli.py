"""The `rag` command: build, ask, eval, serve. Only this module maps flags to Settings."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from rag.config import Settings
from rag.errors import RagError

CORPUS_HELP = "Corpus folder holding raw/ (articles as delivered) and clean/."
INDEX_HELP = "Index folder (a build output)."


def _settings(corpus: str, index: str, **fields) -> Settings:
    try:
        return Settings(corpus_dir=Path(corpus), index_dir=Path(index), **fields)
    except RagError as e:
        raise click.ClickException(str(e)) from None


def _corpus_options(command):
    command = click.option("--index", "index", default="index", show_default=True,
                           help=INDEX_HELP)(command)
    return click.option("--corpus", "corpus", default="corpus", show_default=True,
                        help=CORPUS_HELP)(command)


def _load_bot(settings: Settings):
    from rag.chatbot import Chatbot

    try:
        return Chatbot(settings)
    except RagError as e:
        raise click.ClickException(str(e)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log what happens, for debugging.")
@click.version_option(package_name="rag")
def main(verbose: bool) -> None:
    """Ask questions about news articles; get verbatim quotes with citations back.

    \b
    Quick start:
      rag build                 clean corpus/raw and build the index
      rag add FILE...           add your own articles (rag list, rag remove DOC)
      rag ask "Who banned ZTE?" answer one question (no question: interactive)
      rag serve                 open the web chat
      rag eval                  score the shipped test questions
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@main.command()
@_corpus_options
@click.option("--force", is_flag=True, help="Rebuild even when the index is up to date.")
def build(corpus: str, index: str, force: bool) -> None:
    """Clean the articles in CORPUS/raw and (re)build the index when they changed."""
    from rag.index import build_index

    settings = _settings(corpus, index)
    try:
        report = build_index(settings, force=force, progress=click.echo)
    except RagError as e:
        raise click.ClickException(str(e)) from None
    if not report.built:
        click.echo(f"Index is up to date: {report.documents} documents, {report.chunks} chunks, "
                   f"{report.sentences} sentences. Use --force to rebuild.")


@main.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@_corpus_options
def add(sources: tuple[Path, ...], corpus: str, index: str) -> None:
    """Copy article files (.txt, .md, .html) or folders of them into the corpus and index
    them; only new or changed articles are embedded."""
    from rag.corpus import add_files
    from rag.index import build_index

    settings = _settings(corpus, index)
    try:
        for _, message in add_files(list(sources), settings.raw_dir, settings.max_file_bytes):
            click.echo(message)
        build_index(settings, progress=click.echo)
    except RagError as e:
        raise click.ClickException(str(e)) from None


@main.command(name="list")
@_corpus_options
def list_command(corpus: str, index: str) -> None:
    """List the indexed articles: id, chunks, when added, title."""
    from rag.index import read_manifest

    settings = _settings(corpus, index)
    try:
        manifest = read_manifest(settings.index_dir)
    except RagError as e:
        raise click.ClickException(str(e)) from None
    if manifest is None:
        raise click.ClickException(f"No index in {settings.index_dir}. Run: rag build")
    click.echo(f"{'id':<32} {'chunks':>6}  {'added':<19}  title")
    for doc, entry in sorted(manifest["documents"].items()):
        click.echo(f"{doc:<32} {entry['chunks']:>6}  {entry['added'][:19]:<19}  {entry['title']}")
    for name, entry in manifest.get("skipped", {}).items():
        click.echo(f"(skipped {name}: {entry['reason']})")


@main.command()
@click.argument("doc")
@_corpus_options
def remove(doc: str, corpus: str, index: str) -> None:
    """Remove article DOC (its id, see `rag list`) from the corpus and the index."""
    from rag.corpus import remove_doc
    from rag.index import build_index

    settings = _settings(corpus, index)
    try:
        path = remove_doc(doc, settings.raw_dir, settings.clean_dir)
        click.echo(f"Removed {path.name}")
        build_index(settings, progress=click.echo)
    except RagError as e:
        raise click.ClickException(str(e)) from None


def _print_answer(answer, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return
    if answer.abstained:
        click.echo("The article doesn't say.")
        if answer.quotes:
            click.echo("\nClosest passages:")
    else:
        click.echo(answer.answer)
        click.echo("")
    for number, quote in enumerate(answer.quotes, 1):
        where = ", ".join(p for p in (quote.title, quote.section or None,
                                      f"paragraph {quote.paragraph}" if quote.paragraph else "title")
                          if p)
        click.echo(f"[{number}] {quote.text}")
        click.echo(f"    — {where} (chars {quote.start}–{quote.end})")


@main.command()
@click.argument("question", required=False)
@_corpus_options
@click.option("-k", "k", type=click.IntRange(min=1, max=20), default=3, show_default=True,
              help="How many quotes to show.")
@click.option("--doc", default=None, help="Search only this article (its id, see `rag list`).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
def ask(question: str | None, corpus: str, index: str, k: int, doc: str | None,
        as_json: bool) -> None:
    """Answer QUESTION with quotes from the articles. Without QUESTION, ask interactively."""
    from rag.errors import QuestionError

    settings = _settings(corpus, index)
    if question is not None and not question.strip():
        raise click.ClickException("The question is empty. Type a question about the article.")
    bot = _load_bot(settings)
    if question is not None:
        try:
            _print_answer(bot.ask(question, k=k, doc=doc), as_json)
        except RagError as e:
            raise click.ClickException(str(e)) from None
        return
    click.echo(f"Loaded: {', '.join(d.title for d in bot.documents.values())}")
    click.echo("Ask a question (empty line or Ctrl-D to quit).")
    while True:
        try:
            line = input("? ")
        except (EOFError, KeyboardInterrupt):
            click.echo("")
            return
        if not line.strip():
            return
        try:
            _print_answer(bot.ask(line, k=k, doc=doc), as_json)
        except QuestionError as e:
            click.echo(f"Error: {e}", err=True)
        except RagError as e:
            raise click.ClickException(str(e)) from None
        click.echo("")


@main.command(name="eval")
@click.argument("questions", required=False, default="eval/test.jsonl")
@_corpus_options
@click.option("--squad", type=click.Path(dir_okay=False), default=None,
              help="Evaluate on a SQuAD 2.0 JSON file instead: each article in a corpus of its own.")
@click.option("--title", default=None, help="With --squad: only this article.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False), default=None,
              help="Write report.md and plots comparing configurations into this folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--min-hit3", type=float, default=None, help="Fail unless hit@3 reaches this.")
@click.option("--min-answer-acc", type=float, default=None,
              help="Fail unless answer accuracy reaches this.")
@click.option("--min-abstention-recall", type=float, default=None,
              help="Fail unless abstention recall reaches this.")
def eval_command(questions: str, corpus: str, index: str, squad: str | None, title: str | None,
                 report_dir: str | None, as_json: bool, min_hit3: float | None,
                 min_answer_acc: float | None, min_abstention_recall: float | None) -> None:
    """Score QUESTIONS (JSON Lines, default eval/test.jsonl) and list the misses.

    Exits non-zero when a --min-* threshold is not met, so CI can use it.
    """
    import tempfile

    from rag.eval import evaluate, load_questions, load_squad, squad_command

    if squad and title is None and not report_dir:
        try:
            if squad_command(Path(squad), _settings(corpus, index), as_json, click.echo):
                return
        except RagError as e:
            raise click.ClickException(str(e)) from None
    with tempfile.TemporaryDirectory(prefix="rag-squad-") as scratch:
        try:
            if squad:
                name, text, items = load_squad(Path(squad), title)
                raw = Path(scratch) / "corpus" / "raw"
                raw.mkdir(parents=True)
                (raw / "squad-article.txt").write_text(text, encoding="utf-8")
                settings = _settings(str(Path(scratch) / "corpus"), str(Path(scratch) / "index"))
                source = f"SQuAD article “{name}”"
            else:
                items = load_questions(Path(questions))
                settings = _settings(corpus, index)
                source = questions
        except RagError as e:
            raise click.ClickException(str(e)) from None
        bot = _load_bot(settings)
        bot.warm_up()
        if report_dir:
            from rag.eval_report import compare, write_report

            results = compare(bot, items)
            report = results["final pipeline"][0]
            path = write_report(Path(report_dir), source, results, settings.min_confidence)
            click.echo(f"Report written to {path}", err=True)
        else:
            report, _ = evaluate(bot, items)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report)
    failed = [name for name, floor, value in (
        ("hit@3", min_hit3, report.hit_at_3),
        ("answer accuracy", min_answer_acc, report.answer_accuracy),
        ("abstention recall", min_abstention_recall, report.abstention_recall))
        if floor is not None and value < floor]
    if failed:
        raise click.ClickException(f"Below the threshold: {', '.join(failed)}.")


def _print_report(report) -> None:
    click.echo(f"{report.n} questions ({report.answerable} answerable, "
               f"{report.unanswerable} unanswerable)")
    rows = [("hit@1", report.hit_at_1), ("hit@3", report.hit_at_3), ("hit@5", report.hit_at_5),
            ("MRR", report.mrr), ("answer accuracy", report.answer_accuracy),
            ("exact match", report.exact_match), ("token F1", report.f1),
            ("abstention recall", report.abstention_recall),
            ("false abstention", report.false_abstention), ("grounded", report.grounded)]
    for name, value in rows:
        click.echo(f"  {name:<18} {value:6.3f}")
    click.echo(f"  {'latency p50/p95':<18} {report.latency_p50_ms:.1f} / "
               f"{report.latency_p95_ms:.1f} ms")
    if report.misses:
        click.echo(f"\nMisses ({len(report.misses)}):")
        for miss in report.misses:
            click.echo(f"  {miss['id']}: {miss['question']}\n      expected: {miss['expected'][:90]}"
                       f"\n      got:      {miss['got'][:90]}")


@main.command()
@_corpus_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True)
def serve(corpus: str, index: str, host: str, port: int) -> None:
    """Start the web chat."""
    from rag.web import launch

    settings = _settings(corpus, index)
    bot = _load_bot(settings)
    try:
        launch(bot, host=host, port=port)
    except OSError as e:
        reason = str(e.strerror or e).split(". You can")[0].rstrip(".")
        raise click.ClickException(f"Cannot listen on {host}:{port}: {reason}. "
                                   "Choose another with --port.") from None


if __name__ == "__main__":
    sys.exit(main())
