"""SQuAD 2.0 files as evaluations: each article becomes a corpus of its own (or all of
them one corpus), its questions are scored by eval.evaluate, and the figures come back per
article and pooled (`rag eval --squad`, bench/fit_ranking.py).

A question's evidence is its first answer's text, widened inside its paragraph until the
article holds it once; an unanswerable question ("is_impossible") expects an abstention.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from rag.chatbot import Chatbot
from rag.config import Settings
from rag.errors import RagError
from rag.eval import Question, Report, evaluate, question_problem, report_of
from rag.rank import Ranker


def load_squad(path: Path, title: str | None = None, allow_empty: bool = False
               ) -> tuple[str, str, list[Question]]:
    """One article of a SQuAD 2.0 file as (title, article text, questions).

    The evidence of a question is its first answer's text: a quote holding it is a hit.
    Raises RagError when the file is not SQuAD JSON or has no such title.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
        if not isinstance(data, list):
            raise TypeError("data is not a list")
        articles = [a for a in data if title is None or a.get("title") == title]
        if not articles:
            names = ", ".join(str(a.get("title")) for a in data[:10])
            raise RagError(f"No article titled {title!r} in {path}; it has: {names or 'none'}.")
        article = articles[0]
        name = str(article.get("title") or "squad-article").replace("_", " ")
        paragraphs, pending = [], []
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            paragraphs.append(" ".join(context.split()))
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa.get("answers", [])))
                impossible = bool(qa.get("is_impossible")) or not answers
                at = qa["answers"][0].get("answer_start", 0) if not impossible else 0
                pending.append((len(paragraphs) - 1,
                                len(" ".join((context[:at] + "x").split())) - 1, qa, answers,
                                impossible))
        text = name + "\n\n" + "\n\n".join(paragraphs) + "\n"
        starts = [len(name) + 2 + sum(len(p) + 2 for p in paragraphs[:i])
                  for i in range(len(paragraphs))]
        questions = []
        for number, at, qa, answers, impossible in pending:
            bounds = (starts[number], starts[number] + len(paragraphs[number]))
            evidence = "" if impossible else _unique_evidence(text, bounds, starts[number] + at,
                                                              " ".join(answers[0].split()))
            question = Question(str(qa["id"]), qa["question"], () if impossible else answers,
                                evidence, not impossible)
            if question_problem(question):
                raise ValueError(f"question {question.id}: {question_problem(question)}")
            questions.append(question)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as e:
        detail = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        raise RagError(f"{path} is not a SQuAD 2.0 JSON file ({detail[:100]}).") from None
    if not paragraphs or (not questions and not allow_empty):
        raise RagError(f"The article {name!r} in {path} has no paragraphs or no questions.")
    return name, text, questions


def _unique_evidence(text: str, paragraph: tuple[int, int], at: int, answer: str) -> str:
    """The answer at its own place, widened word by word inside its paragraph until the
    article holds it once.

    A short answer ("1960") may occur in several sentences; only the one it was written
    about is the evidence.
    """
    found = text.find(answer, max(paragraph[0], at - 20), paragraph[1])
    if found < 0 or abs(found - at) > 20:
        return answer
    a, b = found, found + len(answer)
    while text.count(text[a:b]) > 1 and (a > paragraph[0] or b < paragraph[1]):
        a = max(paragraph[0], text.rfind(" ", paragraph[0], max(a - 1, paragraph[0])) + 1)
        space = text.find(" ", b + 1, paragraph[1])
        b = space if space > 0 else paragraph[1]
    return text[a:b]


def squad_corpus(folder: Path, *texts: str) -> Path:
    """A corpus folder under `folder` holding SQuAD articles as raw/squad-article[-N].txt;
    returns it (its index goes beside it, in folder/index)."""
    raw = Path(folder) / "corpus" / "raw"
    raw.mkdir(parents=True)
    for number, text in enumerate(texts):
        name = f"squad-article-{number + 1}.txt" if number else "squad-article.txt"
        (raw / name).write_text(text, encoding="utf-8")
    return raw.parent


def squad_titles(path: Path) -> list[str]:
    """Titles of the articles of a SQuAD 2.0 file, in file order."""
    try:
        return [str(a["title"]) for a in json.loads(Path(path).read_text(encoding="utf-8"))["data"]]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
        raise RagError(f"{path} is not a SQuAD 2.0 JSON file ({type(e).__name__}).") from None


def evaluate_squad(path: Path, scratch: Path, settings: Settings | None = None,
                   ranker_for: Callable[[str], Ranker] | None = None, bars: bool = False,
                   one_corpus: bool = False) -> tuple[dict[str, Report], Report]:
    """Each article of a SQuAD file in a corpus of its own (built under scratch), or all in
    one with `one_corpus`: a report per article and one over all their questions.
    `ranker_for(title)` replaces the shipped ranker, e.g. by one fitted without that article
    (bench/fit_ranking.py --end-to-end). `bars`: a progress bar over the articles, and one
    over each article's questions, on stderr."""
    from tqdm import tqdm

    reports, pooled = {}, []
    titles = squad_titles(path)
    shared = squad_corpus(Path(scratch) / "all", *(load_squad(path, t, allow_empty=True)[1]
                                                  for t in titles)) if one_corpus else None
    for number, title in enumerate(tqdm(titles, desc="Articles", unit="article",
                                        disable=not bars, file=sys.stderr)):
        _, text, questions = load_squad(path, title, allow_empty=True)
        if not questions:  # nothing to score in this article
            continue
        corpus = shared or squad_corpus(Path(scratch) / str(number), text)
        bot = Chatbot.load(corpus, corpus.parent / "index", settings)
        if ranker_for is not None:
            bot.ranker = ranker_for(title)
        bot.warm_up()
        reports[title], outcomes = evaluate(bot, questions, bar=title[:30] if bars else None)
        pooled += outcomes
    return reports, report_of(pooled)


def squad_table(reports: dict[str, Report], pooled: Report) -> str:
    """Per-article figures and the pooled ones, as a Markdown table."""
    lines = [("| article | questions | hit@1 | hit@3 | answer acc. | span EM | span F1 | AUROC "
              "| false abstention | abstention recall | p50 ms |"),
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in [*reports.items(), ("**pooled**", pooled)]:
        lines.append(f"| {name} | {r.n} | {r.hit_at_1:.3f} | {r.hit_at_3:.3f} | "
                     f"{r.answer_accuracy:.3f} | {r.exact_match:.3f} | {r.f1:.3f} | "
                     f"{r.auroc:.3f} | {r.false_abstention:.3f} | "
                     f"{r.abstention_recall:.3f} | {r.latency_p50_ms:.1f} |")
    return "\n".join(lines)


def squad_command(path: Path, settings: Settings, as_json: bool, echo,
                  bars: bool = False) -> bool:
    """`rag eval --squad FILE` without --title: the per-article table, when the file holds
    more than one article (False: let the caller evaluate its only article). `bars`:
    progress on stderr."""
    if len(squad_titles(path)) < 2:
        return False
    with tempfile.TemporaryDirectory(prefix="rag-squad-") as scratch:
        reports, pooled = evaluate_squad(path, Path(scratch), settings, bars=bars)
    echo(json.dumps({t: r.to_dict() for t, r in reports.items()} | {"pooled": pooled.to_dict()},
                    ensure_ascii=False, indent=2) if as_json else squad_table(reports, pooled))
    return True


def squad_article(path: Path, title: str | None, scratch: Path
                  ) -> tuple[Path, list[Question], str]:
    """One article of a SQuAD file as a corpus under `scratch`: (corpus folder, questions,
    the source line for a report). Raises RagError as load_squad."""
    name, text, questions = load_squad(path, title)
    return squad_corpus(scratch, text), questions, f"SQuAD article “{name}”"
