"""`rag eval --report DIR`: configurations side by side, as Markdown and PNG plots."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from rag.chatbot import Chatbot
from rag.corpus import ensure_folder
from rag.eval import Outcome, Question, Report, evaluate

# name -> Settings fields that make the configuration (the last one is the product).
CONFIGURATIONS = {
    "dense only": {"retrieval": "dense", "ranking": "cosine"},
    "BM25 only": {"retrieval": "bm25", "ranking": "cosine"},
    "hybrid (RRF)": {"retrieval": "hybrid", "ranking": "cosine"},
    "final pipeline": {"retrieval": "hybrid", "ranking": "full"},
}
METRICS = ("hit_at_1", "hit_at_3", "mrr", "answer_accuracy", "f1", "abstention_recall",
           "false_abstention")


def compare(bot: Chatbot, questions: list[Question], bars: bool = False
            ) -> dict[str, tuple[Report, list[Outcome]]]:
    """Evaluate every configuration on the same index and model (`bars`: a progress bar
    per configuration on stderr)."""
    results = {}
    for name, fields in CONFIGURATIONS.items():
        variant = Chatbot(dataclasses.replace(bot.settings, **fields), index=bot.index,
                          encoder=bot.encoder)
        results[name] = evaluate(variant, questions, bar=name if bars else None)
    return results


def check_folder(directory: Path) -> Path:
    """Create the report folder now, so a bad --report fails before the evaluation.

    Raises:
        ConfigError: the path or a parent of it is a file, or it cannot be created.
    """
    return ensure_folder(Path(directory), "--report")


def provenance(bot: Chatbot, questions_file: Path | None) -> list[str]:
    """What was measured, with what, when: lines for the top of a report."""
    import datetime
    import hashlib
    import subprocess

    import rag

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=5, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    params = bot.index.manifest["params"]
    lines = [f"- when: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
             f"- rag {rag.__version__}" + (f", commit {commit}" if commit else ""),
             f"- model: {params['model']} (articles embedded with {params.get('encoder', 'torch')},"
             f" questions with {bot.settings.query_encoder}); chunks of {params['chunk_tokens']}"
             f" tokens; cleaner v{params['cleaner_version']}",
             f"- articles: {', '.join(sorted(bot.documents))}"]
    if questions_file is not None and questions_file.is_file():
        digest = hashlib.sha256(questions_file.read_bytes()).hexdigest()[:12]
        lines.append(f"- questions: {questions_file} (sha256 {digest})")
    return lines


def report_on(bot: Chatbot, questions: list[Question], directory: Path, source: str,
              questions_file: Path | None, bars: bool = False,
              say: Callable[[str], None] = print) -> tuple[Report, Path]:
    """`rag eval --report`: compare the configurations and write the report; returns the
    final pipeline's figures and report.md. `say` gets progress for a person."""
    results = compare(bot, questions, bars=bars)
    say("Writing the report and its plots ...")
    path = write_report(directory, source, results, bot.settings.min_confidence,
                        provenance(bot, questions_file))
    return results["final pipeline"][0], path


def write_report(directory: Path, source: str, results: dict[str, tuple[Report, list[Outcome]]],
                 min_confidence: float | None, about: list[str] = ()) -> Path:
    """Write report.md, metrics.png and confidence.png into directory; return report.md.
    `about` is the provenance lines (see provenance())."""
    import matplotlib

    from rag.rank import shipped_params

    if min_confidence is None:
        min_confidence = shipped_params().threshold

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    directory.mkdir(parents=True, exist_ok=True)
    names = list(results)
    fig, ax = plt.subplots(figsize=(11, 4.5))
    width = 0.8 / len(names)
    x = np.arange(len(METRICS))
    for i, name in enumerate(names):
        values = [getattr(results[name][0], m) for m in METRICS]
        ax.bar(x + i * width, values, width, label=name)
    ax.set_xticks(x + width * (len(names) - 1) / 2, [m.replace("_", " ") for m in METRICS])
    ax.set_ylim(0, 1.05)
    ax.set_title(f"Configurations side by side on {source} (higher is better, except "
                 "false abstention)", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)  # beside the bars
    fig.tight_layout()
    fig.savefig(directory / "metrics.png", dpi=110)
    plt.close(fig)

    final = results[names[-1]][1]
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.linspace(0, 1, 21)
    ax.hist([o.answer.confidence for o in final if o.question.answerable], bins, alpha=0.6,
            label="answerable")
    ax.hist([o.answer.confidence for o in final if not o.question.answerable], bins, alpha=0.6,
            label="unanswerable")
    ax.axvline(min_confidence, color="black", linestyle="--",
               label=f"abstain below {min_confidence}")
    ax.set_xlabel("confidence of the best sentence")
    ax.set_ylabel("questions")
    ax.legend()
    fig.tight_layout()
    fig.savefig(directory / "confidence.png", dpi=110)
    plt.close(fig)

    report = results[names[-1]][0]
    lines = [f"# Evaluation report: {source}", "",
             f"{report.n} questions: {report.answerable} answerable, "
             f"{report.unanswerable} unanswerable. Generated by `rag eval --report`.", "",
             *about, "",
             "How to read it: hit@k — the evidence is in one of the first k quotes; answer "
             "accuracy — an acceptable answer is inside the answer sentence; abstention recall"
             " — unanswerable questions the bot declined (higher is better); false abstention "
             "— answerable questions it declined (lower is better). The confidence plot shows "
             "how well the abstention model separates the two kinds of question: the dashed "
             "line is the threshold.", "",
             "| configuration | " + " | ".join(m.replace("_", " ") for m in METRICS)
             + " | p50 ms | p95 ms |",
             "|---|" + "---:|" * (len(METRICS) + 2)]
    for name in names:
        r = results[name][0]
        lines.append(f"| {name} | " + " | ".join(f"{getattr(r, m):.3f}" for m in METRICS)
                     + f" | {r.latency_p50_ms:.1f} | {r.latency_p95_ms:.1f} |")
    lines += ["", f"Groundedness (every quote equals the cleaned text at its offsets): "
              f"{report.grounded:.3f}. The short answer marked in the quote against the gold "
              f"answers: exact match {report.exact_match:.3f}, token F1 {report.f1:.3f} "
              "(answer accuracy counts a gold answer anywhere in the quoted sentence).", "",
              "![metrics](metrics.png)", "", "![confidence](confidence.png)", "",
              f"## Misses of the final pipeline ({len(report.misses)})", ""]
    for miss in report.misses:
        lines.append(f"- **{miss['id']}** {miss['question']} — expected: {miss['expected'][:100]}"
                     f" — got: {miss['got'][:100]} (confidence {miss['confidence']})")
    path = directory / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
