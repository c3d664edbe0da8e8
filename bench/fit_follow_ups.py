"""Fit the abstention threshold of rewritten follow-ups (Settings.follow_up_min_confidence).

Usage: python bench/fit_follow_ups.py

Asks the development conversation sets (eval/conversations.jsonl and
eval/conversations-zte.jsonl on corpus/, eval/conversations-articles.jsonl on
eval/articles, eval/conversations-more.jsonl on eval/articles-more,
eval/conversations-fresh.jsonl on eval/articles-fresh, eval/conversations-blind.jsonl on
eval/articles-blind, eval/conversations-zte-blind.jsonl on corpus/,
eval/conversations-blind2.jsonl on eval/articles-blind2; never
eval/conversations-test.jsonl) turn by turn, and keeps, for every follow-up that was
rewritten, its confidence and whether its best quote is right (an unanswerable turn: never).
Each threshold of a grid is scored by the follow-ups answered right (above it) plus the
unanswerable ones abstained on (below it). Prints each set scored with the threshold that
does best on the other sets (leave one set out), then the best threshold on all of them.
The chain of turns is as a threshold of 0 makes it (every rewritten follow-up answered
unless a rule abstains); the later turns' rewriting hardly depends on it.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import Chatbot  # noqa: E402
from rag.eval_conversations import answered_right, load_conversations  # noqa: E402

SETS = (("eval/conversations.jsonl", "corpus"), ("eval/conversations-zte.jsonl", "corpus"),
        ("eval/conversations-articles.jsonl", "eval/articles"),
        ("eval/conversations-more.jsonl", "eval/articles-more"),
        ("eval/conversations-fresh.jsonl", "eval/articles-fresh"),
        ("eval/conversations-blind.jsonl", "eval/articles-blind"),
        ("eval/conversations-zte-blind.jsonl", "corpus"),
        ("eval/conversations-blind2.jsonl", "eval/articles-blind2"))
GRID = (0.05, 0.1, 0.15, 0.2, 0.25, 0.31)


def follow_ups(path: str, corpus: str, index: Path) -> list[tuple[float, bool, bool, bool]]:
    """(confidence, answerable, best quote right, abstained whatever the threshold) of each
    rewritten follow-up of a set; the last for one a rule abstains on ("When did it open?"
    answered by a sentence without a date)."""
    # no threshold: every abstention left is a rule's
    bot = Chatbot.load(corpus_dir=ROOT / corpus, index_dir=index, follow_up_min_confidence=0.0)
    found = []
    for conversation in load_conversations(ROOT / path):
        chat = bot.conversation()
        for position, turn in enumerate(conversation["turns"]):
            answer = chat.ask(turn["question"])
            if position == 0 or answer.interpreted_as is None or not turn.get("follow_up"):
                continue
            answerable = turn.get("answerable") is not False
            shown = dataclasses.replace(answer, abstained=False)
            found.append((answer.confidence, answerable,
                          answerable and answered_right(bot, shown, turn),
                          answer.abstained))
    return found


def score(turns: list[tuple[float, bool, bool, bool]], threshold: float) -> int:
    return sum((right and not forced and confidence >= threshold) if answerable
               else (forced or confidence < threshold)
               for confidence, answerable, right, forced in turns)


def best_threshold(turns: list[tuple[float, bool, bool, bool]]) -> float:
    """The threshold of GRID that scores best; of several that tie, the highest: as many
    answered right, and fewer wrong answers shown."""
    top = max(score(turns, t) for t in GRID)
    return max(t for t in GRID if score(turns, t) == top)


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        data = {path: follow_ups(path, corpus, Path(scratch) / str(number))
                for number, (path, corpus) in enumerate(SETS)}
    print(f"{'left out':40s} {'turns':>5s} {'threshold':>9s} {'right':>6s} {'at .31':>6s}")
    for path, turns in data.items():
        rest = [t for other, ts in data.items() if other != path for t in ts]
        best = best_threshold(rest)
        print(f"{path:40s} {len(turns):5d} {best:9.2f} {score(turns, best):6d} "
              f"{score(turns, 0.31):6d}")
    every = [t for ts in data.values() for t in ts]
    best = best_threshold(every)
    print(f"all sets: best threshold {best} ({score(every, best)} of {len(every)} right; "
          + ", ".join(f"{t}: {score(every, t)}" for t in GRID) + ")")


if __name__ == "__main__":
    main()
