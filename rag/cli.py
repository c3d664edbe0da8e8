"""The `rag` command: build, add, list, remove, ask, eval, serve.

Only this module maps flags (and RAG_* environment variables) to Settings. It calls the
Chatbot facade and formats what it returns: results go to stdout, progress and warnings to
stderr (silenced by --quiet), and every RagError becomes a one-line "Error: ..." with exit
code 1.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import sys
from pathlib import Path

import click

from rag.config import SERVE_HOST, SERVE_PORT, Settings, default_folder
from rag.errors import RagError

CORPUS_HELP = ("Corpus folder holding raw/ (articles as delivered) and clean/. Default: "
               "$RAG_CORPUS, else ./corpus when it exists, else ~/.local/share/rag/corpus.")
INDEX_HELP = ("Index folder (a build output). Default: $RAG_INDEX, else ./index next to "
              "./corpus, else ~/.local/share/rag/index.")
STORE_HELP = ("Where the vectors live: faiss (files in the index folder), qdrant://:memory:, "
              "qdrant:///abs/folder, qdrant://host:6333 or https://host (API key from "
              "QDRANT_API_KEY). Default: $RAG_STORE, else faiss.")


class _Group(click.Group):
    """Turns a RagError raised by any command into a one-line error, exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RagError as e:
            raise click.ClickException(str(e)) from None


def _settings(corpus: str | None, index: str | None, **fields) -> Settings:
    wait = os.environ.get("RAG_LOCK_TIMEOUT")
    if wait:
        try:
            fields.setdefault("lock_timeout", float(wait))
        except ValueError:
            raise click.ClickException(f"RAG_LOCK_TIMEOUT must be seconds, got {wait!r}.") from None
    store = click.get_current_context().meta.get("rag.store")
    if store is not None:
        fields.setdefault("store", store)
    return Settings(corpus_dir=Path(corpus or default_folder("corpus")),
                    index_dir=Path(index or default_folder("index")), **fields)


def _remember_store(ctx: click.Context, _param, value: str | None) -> None:
    if value is not None:
        ctx.meta["rag.store"] = value


def _corpus_options(command):
    command = click.option("--store", default=None, metavar="URI", expose_value=False,
                           callback=_remember_store, help=STORE_HELP)(command)
    command = click.option("--index", "index", default=None, metavar="DIR",
                           help=INDEX_HELP)(command)
    return click.option("--corpus", "corpus", default=None, metavar="DIR",
                        help=CORPUS_HELP)(command)


def _say(message: str) -> None:
    """Progress for a person: stderr, unless --quiet."""
    if not click.get_current_context().find_root().obj.get("quiet"):
        click.echo(message, err=True)


class _StepsOnStderr:
    """A build's steps on stderr: its lines as they come, and a bar while it embeds."""

    def __init__(self):
        self.bar = None

    def __call__(self, step) -> None:
        if step.stage == "embedding" and step.total:
            self._move("  embedding", "text", step.done, step.total)
        elif step.stage == "parsing" and step.within:  # a long article, in per cent
            self._move("  parsing", "%", round(step.within * 100), 100)
        elif step.message:
            self._close()
            _say(step.message)

    def _move(self, label: str, unit: str, done: int, total: int) -> None:
        if self.bar is not None and self.bar.desc != label:
            self._close()
        if self.bar is None:
            from tqdm import tqdm

            # delay: a bar shows only for what takes more than a second
            self.bar = tqdm(total=total, desc=label, unit=unit, file=sys.stderr, leave=False,
                            delay=1.0)
        self.bar.update(done - self.bar.n)
        if done >= total:
            self._close()

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _progress():
    """What build steps report progress to: stderr, or nothing with --quiet."""
    return None if click.get_current_context().find_root().obj.get("quiet") else _StepsOnStderr()


def _load_bot(settings: Settings, load: bool = True, encoder=None):
    """The Chatbot facade (imported here: `rag --help` stays fast); load=False loads no
    index, for the commands that manage the corpus; `encoder` embeds (rag build --engine)."""
    from rag.chatbot import Chatbot

    return Chatbot(settings, encoder=encoder, load=load)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log each step on stderr, for debugging.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or warnings on stderr; errors only.")
@click.version_option(package_name="rag")
@click.pass_context
def main(ctx: click.Context, verbose: bool, quiet: bool) -> None:
    """Ask questions about news articles; get verbatim quotes with citations back.

    \b
    Quick start:
      rag build                 clean corpus/raw and build the index
      rag add FILE...           add your own articles (rag list, rag remove DOC)
      rag ask "Who banned ZTE?" answer one question (no question: interactive)
      rag ask - < questions.txt one question per line in, one JSON answer per line out
      rag serve                 open the web chat
      rag eval                  score the shipped test questions
    """
    ctx.obj = {"quiet": quiet}
    level = logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s",
                        force=True)
    logging.getLogger("rag").setLevel(level)  # --verbose is about rag, not faiss's CPU probe


@main.command(short_help="Clean the articles and build the index (if changed).")
@_corpus_options
@click.option("--force", is_flag=True, help="Rebuild even when the index is up to date.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Embed in this process, or on Ray Data (a local Ray, or --ray-address).")
@click.option("--ray-address", default=None, metavar="ADDR",
              help="Ray cluster to embed on (auto, ray://head:10001). Default: a local Ray.")
@click.option("--ray-workers", default=2, show_default=True, type=click.IntRange(1),
              help="Ray actors embedding at once, each with the encoder loaded once.")
def build(corpus: str | None, index: str | None, force: bool, engine: str,
          ray_address: str | None, ray_workers: int) -> None:
    """Clean the articles in CORPUS/raw and (re)build the index when they changed.

    Only new or changed articles are cleaned and embedded; --force redoes all of them.
    """
    settings = _settings(corpus, index)
    if engine == "local" and ray_address:
        raise click.UsageError("--ray-address needs --engine ray.")
    encoder = None
    if engine == "ray":
        from rag.embed_ray import RayEncoder

        encoder = RayEncoder(settings.model, settings.build_encoder, ray_address, ray_workers)
    try:
        report = _load_bot(settings, load=False, encoder=encoder).build(force=force,
                                                                        progress=_progress())
    finally:
        if encoder is not None:
            encoder.shutdown()
    if not report.built:
        click.echo(f"Index is up to date: {report.documents} documents, {report.chunks} chunks, "
                   f"{report.sentences} sentences. Use --force to rebuild.")
    else:
        click.echo(f"Index built: {report.documents} documents, {report.chunks} chunks, "
                   f"{report.sentences} sentences ({report.embedded_chunks} chunks new or changed).")
    for skipped in report.skipped:
        _say(f"skipped {skipped}")


@main.command(short_help="Add article files or folders to the corpus and index them.")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@_corpus_options
def add(sources: tuple[Path, ...], corpus: str | None, index: str | None) -> None:
    """Copy article files (.txt, .md, .html) or folders of them into the corpus and index
    them. Says what happened to each file (added, already there, or skipped and why) and
    adds the rest; exits 1 when nothing could be added."""
    results = _load_bot(_settings(corpus, index), load=False).add(sources, progress=_progress())
    for result in results:
        if result.skipped:
            _say(str(result))
    if all(result.skipped for result in results):
        raise click.ClickException("Nothing was added.")
    for result in results:
        if result.skipped:
            continue
        if result.doc:
            click.echo(f"{result}: article {result.doc}")
        else:
            _say(f"{result}, but it was not indexed: {result.reason}")


LIST_FIELDS = ("id", "chunks", "added", "source", "title")


@main.command(name="list", short_help="List the indexed articles.")
@_corpus_options
@click.option("--json", "as_json", is_flag=True, help="A JSON array of objects.")
@click.option("--nl", "as_lines", is_flag=True, help="JSON Lines: one object per line.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header row.")
def list_command(corpus: str | None, index: str | None, as_json: bool, as_lines: bool,
                 as_csv: bool) -> None:
    """List the indexed articles: id, chunks, when added, source file, title. Files that
    were skipped are listed on stderr with the reason."""
    if as_json + as_lines + as_csv > 1:
        raise click.UsageError("Choose one of --json, --nl and --csv.")
    bot = _load_bot(_settings(corpus, index), load=False)
    rows = [{"id": a.doc, "chunks": a.chunks, "added": a.added, "source": a.source,
             "title": a.title} for a in bot.articles()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif as_lines:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    elif as_csv:
        writer = csv.DictWriter(click.get_text_stream("stdout"), fieldnames=LIST_FIELDS,
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        click.echo(f"{'id':<32} {'chunks':>6}  {'added':<19}  title")
        for row in rows:
            click.echo(f"{row['id']:<32} {row['chunks']:>6}  {row['added'][:19]:<19}  {row['title']}")
    for skipped in bot.skipped_files():
        _say(f"skipped {skipped.source}: {skipped.reason}")


@main.command(short_help="Remove an article from the corpus and the index.")
@click.argument("doc")
@_corpus_options
def remove(doc: str, corpus: str | None, index: str | None) -> None:
    """Remove article DOC (its id, see `rag list`) from the corpus and the index. Exactly
    one file is deleted: the one that article was read from."""
    path = _load_bot(_settings(corpus, index), load=False).remove(doc, progress=_progress())
    click.echo(f"Removed {path.name}")


def _print(result, as_json: bool) -> None:
    """An Answer or an eval Report: as JSON, or as text for a person."""
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) if as_json
               else result.as_text())


def _batch_line(bot, line: str, k: int, doc: str | None) -> dict:
    """One line of a batch: a question, or a JSON object with "question" (and optionally
    "id", "doc", "k"). Returns the answer as a dict, or the error of that line."""
    request: dict = {"question": line}
    if line.lstrip().startswith("{"):
        try:
            request = json.loads(line)
        except ValueError:
            request = {"question": line}
    if not isinstance(request, dict):
        request = {"question": line}
    extra = {"id": request["id"]} if "id" in request else {}
    try:
        answer = bot.ask(request.get("question"), k=request.get("k", k),
                         doc=request.get("doc", doc))
    except RagError as e:
        return {**extra, "question": request.get("question"), "error": str(e)}
    return {**extra, **answer.to_dict()}


@main.command(short_help="Answer a question (or many: one per line on stdin).")
@click.argument("question", required=False)
@_corpus_options
@click.option("-k", "k", type=click.IntRange(min=1, max=20), default=None,
              help="How many quotes to show (default: Settings.max_quotes, 3).")
@click.option("--doc", default=None, help="Search only this article (its id, see `rag list`).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
def ask(question: str | None, corpus: str | None, index: str | None, k: int | None,
        doc: str | None, as_json: bool) -> None:
    """Answer QUESTION with quotes from the articles.

    \b
    QUESTION "-", or no QUESTION with stdin not a terminal: read one question per line
    (plain text, or a JSON object with "question" and optionally "id", "doc", "k") and
    write one JSON object per line (the answer, or {"error": ...} for that line).
    No QUESTION at a terminal: ask interactively.
    """
    settings = _settings(corpus, index)
    if question is not None and question != "-" and not question.strip():
        raise click.ClickException("The question is empty. Type a question about the article.")
    bot = _load_bot(settings)
    if question is not None and question != "-":
        _print(bot.ask(question, k=k, doc=doc), as_json)
        return
    stdin = click.get_text_stream("stdin")
    if question == "-" or not stdin.isatty():
        for line in stdin:
            if line.strip():
                click.echo(json.dumps(_batch_line(bot, line.rstrip("\n"), k, doc),
                                      ensure_ascii=False))
        return
    _interactive(bot, k, doc, as_json)


def _interactive(bot, k: int | None, doc: str | None, as_json: bool) -> None:
    """A conversation at the terminal: follow-ups ("why?", "what did she say?") are
    answered as the standalone question shown under "Interpreted as"."""
    from rag.errors import QuestionError

    conversation = bot.conversation()
    _say(f"Loaded: {', '.join(d.title for d in bot.documents.values())}")
    _say("Ask a question (empty line or Ctrl-D to quit).")
    while True:
        try:
            line = input("? ")
        except (EOFError, KeyboardInterrupt):
            click.echo("")
            return
        if not line.strip():
            return
        try:
            _print(conversation.ask(line, k=k, doc=doc), as_json)
        except QuestionError as e:
            click.echo(f"Error: {e}", err=True)
        click.echo("")


@main.command(name="eval", short_help="Score a question set (default: the shipped test set).")
@click.argument("questions", required=False, default="eval/test.jsonl")
@_corpus_options
@click.option("--squad", type=click.Path(dir_okay=False), default=None,
              help="Evaluate on a SQuAD 2.0 JSON file instead: each article in a corpus of its own.")
@click.option("--title", default=None, help="With --squad: only this article.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False), default=None,
              help="Write report.md and plots comparing configurations into this folder.")
@click.option("--conversations", type=click.Path(dir_okay=False), default=None,
              help="Score a multi-turn conversation file (JSON Lines) instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--min-hit3", type=float, default=None, help="Fail unless hit@3 reaches this.")
@click.option("--min-answer-acc", type=float, default=None,
              help="Fail unless answer accuracy reaches this.")
@click.option("--min-abstention-recall", type=float, default=None,
              help="Fail unless abstention recall reaches this.")
def eval_command(questions: str, corpus: str | None, index: str | None, squad: str | None, title: str | None,
                 report_dir: str | None, conversations: str | None, as_json: bool,
                 min_hit3: float | None,
                 min_answer_acc: float | None, min_abstention_recall: float | None) -> None:
    """Score QUESTIONS (JSON Lines, default eval/test.jsonl) and list the misses.

    Exits non-zero when a --min-* threshold is not met, so CI can use it.
    """
    import tempfile

    from rag.eval import evaluate, load_questions
    from rag.eval_squad import squad_article, squad_command

    bars = _progress() is not None
    if conversations:
        from rag.eval_conversations import evaluate_conversations, load_conversations

        dialogues = load_conversations(Path(conversations))
        _print(evaluate_conversations(_ready_bot(_settings(corpus, index)), dialogues,
                                      bar="Conversations" if bars else None), as_json)
        return
    if squad and title is None and not report_dir:
        if squad_command(Path(squad), _settings(corpus, index), as_json, click.echo, bars):
            return
    with tempfile.TemporaryDirectory(prefix="rag-squad-") as scratch:
        if report_dir:  # fail now, not after the whole evaluation
            from rag.eval_report import check_folder

            check_folder(Path(report_dir))
        if squad:
            folder, items, source = squad_article(Path(squad), title, Path(scratch))
            settings = _settings(str(folder), str(folder.parent / "index"))
        else:
            items, source = load_questions(Path(questions)), questions
            settings = _settings(corpus, index)
        bot = _ready_bot(settings)
        if report_dir:
            from rag.eval_report import report_on

            report, path = report_on(bot, items, Path(report_dir), source,
                                     None if squad else Path(questions), bars, _say)
            click.echo(f"Report written to {path}", err=True)
        else:
            report, _ = evaluate(bot, items, bar="Answering" if bars else None)
    _print(report, as_json)
    failed = report.below(hit_at_3=min_hit3, answer_accuracy=min_answer_acc,
                          abstention_recall=min_abstention_recall)
    if failed:
        raise click.ClickException(f"Below the threshold: {', '.join(failed)}.")


def _ready_bot(settings: Settings):
    """A Chatbot for the eval commands: built first when needed, then warmed up."""
    _say("Loading the index and the model ...")
    bot = _load_bot(settings, load=False)
    bot.reload(progress=_progress())
    return bot


@main.command(short_help="Start the web chat.")
@_corpus_options
@click.option("--host", default=SERVE_HOST, show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=SERVE_PORT, show_default=True,
              help="Port to listen on.")
def serve(corpus: str | None, index: str | None, host: str, port: int) -> None:
    """Start the web chat and print its address (Ctrl-C stops it)."""
    from rag.web import launch

    bot = _load_bot(_settings(corpus, index))
    try:
        launch(bot, host=host, port=port)
    except OSError as e:
        reason = str(e.strerror or e).split(". You can")[0].rstrip(".")
        raise click.ClickException(f"Cannot listen on {host}:{port}: {reason}. "
                                   "Choose another with --port.") from None


if __name__ == "__main__":
    sys.exit(main())
