"""Score multi-turn conversations: are follow-ups answered right, and are questions that
stand alone left alone?

A conversation file is JSON Lines: {"id", "turns": [{"question", "evidence" | "answerable":
false, "follow_up": bool}]}. A turn is right when the best quote overlaps at least half of
its evidence (or, for an unanswerable turn, when the bot abstains). Each turn is also
asked alone, so the report shows what the conversation adds.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from rag.answer import Answer
from rag.chatbot import Chatbot
from rag.errors import RagError
from rag.eval import json_lines


@dataclass(frozen=True)
class TurnOutcome:
    conversation: str
    question: str
    follow_up: bool
    interpreted_as: str | None
    right: bool  # in the conversation
    right_alone: bool  # the same question without the turns before it
    answerable: bool = True


@dataclass(frozen=True)
class ConversationReport:
    conversations: int
    follow_ups: int
    follow_ups_right: float  # share answered right in the conversation
    follow_ups_right_alone: float  # share answered right when asked alone
    standalone_turns: int  # later turns that name their own subject
    standalone_right: float
    hijacked: int  # standalone turns right alone but wrong in the conversation
    misses: tuple[TurnOutcome, ...]
    unanswerable_follow_ups: int = 0  # follow-ups the article does not answer (in follow_ups)
    unanswerable_abstained: float = 0.0  # share of those the bot abstained on

    def to_dict(self) -> dict:
        return asdict(self)

    def as_text(self) -> str:
        """The report as `rag eval --conversations` prints it."""
        lines = [f"{self.conversations} conversations, {self.follow_ups} follow-up turns",
                 f"  follow-ups answered right        {self.follow_ups_right:6.3f}",
                 f"  the same asked alone             {self.follow_ups_right_alone:6.3f}",
                 f"  later standalone turns right     {self.standalone_right:6.3f} "
                 f"({self.standalone_turns} turns, {self.hijacked} hijacked by earlier turns)"]
        if self.unanswerable_follow_ups:
            lines.insert(3, f"  unanswerable follow-ups abstained"
                            f"{self.unanswerable_abstained:6.3f} "
                            f"({self.unanswerable_follow_ups} of the follow-ups)")
        lines += [f"  miss {m.conversation}: {m.question}"
                  + (f"  (as: {m.interpreted_as})" if m.interpreted_as else "")
                  for m in self.misses]
        return "\n".join(lines)


def load_conversations(path: Path) -> list[dict]:
    """Read a conversation file. Raises RagError naming the bad line."""
    conversations = []
    for number, line in json_lines(path, "conversation"):
        try:
            row = json.loads(line)
            turns = row["turns"]
            if not turns or not all(isinstance(t, dict) and isinstance(t["question"], str)
                                    and (isinstance(t.get("evidence"), str)
                                         or t.get("answerable") is False) for t in turns):
                raise ValueError("each turn needs a question and evidence (or answerable: false)")
        except (ValueError, KeyError, TypeError) as e:
            raise RagError(f"{path} line {number} is not a valid conversation ({e}).") from None
        conversations.append({"id": str(row.get("id", number)), "turns": turns})
    if not conversations:
        raise RagError(f"{path} holds no conversations.")
    return conversations


def answered_right(bot: Chatbot, answer: Answer, turn: dict) -> bool:
    """Whether `answer` is right for a conversation turn: its best quote covers at least
    half of the evidence, or, for an unanswerable turn, the bot abstained."""
    if turn.get("answerable") is False:
        return answer.abstained
    if answer.abstained or not answer.quotes:
        return False
    best = answer.quotes[0]
    evidence = " ".join(turn["evidence"].split())
    text = bot.documents[best.doc].text
    at = text.find(evidence)
    if at < 0:
        return evidence in best.text
    return min(best.end, at + len(evidence)) - max(best.start, at) >= len(evidence) / 2


def evaluate_conversations(bot: Chatbot, conversations: list[dict], bar: str | None = None
                           ) -> ConversationReport:
    """Ask every conversation turn by turn, and every turn alone; `bar`: show a progress
    bar with that label on stderr."""
    import sys

    from tqdm import tqdm

    outcomes = []
    for conversation in tqdm(conversations, desc=bar, unit="conversation", disable=bar is None,
                             file=sys.stderr, leave=False):
        chat = bot.conversation()
        for position, turn in enumerate(conversation["turns"]):
            answer = chat.ask(turn["question"])
            alone = bot.ask(turn["question"])
            outcomes.append(TurnOutcome(conversation["id"], turn["question"],
                                        bool(turn.get("follow_up")) and position > 0,
                                        answer.interpreted_as, answered_right(bot, answer, turn),
                                        answered_right(bot, alone, turn),
                                        turn.get("answerable") is not False))
    follow = [o for o in outcomes if o.follow_up]
    unanswerable = [o for o in follow if not o.answerable]
    later = [o for o in outcomes if not o.follow_up and o.conversation and
             any(p.conversation == o.conversation for p in outcomes[:outcomes.index(o)])]

    def share(items, test) -> float:
        return round(sum(map(test, items)) / len(items), 3) if items else 0.0

    return ConversationReport(
        len(conversations), len(follow), share(follow, lambda o: o.right),
        share(follow, lambda o: o.right_alone), len(later), share(later, lambda o: o.right),
        sum(o.right_alone and not o.right for o in later),
        tuple(o for o in outcomes if not o.right),
        len(unanswerable), share(unanswerable, lambda o: o.right))
