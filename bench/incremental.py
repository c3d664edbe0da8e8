"""Adding one article to a corpus of 50: incremental rebuild vs full rebuild.

    python bench/incremental.py [--articles 50] [--runs 3]

The 50 articles are made from the bundled one (its paragraphs drawn at random under new
titles), so every one is distinct text of realistic length. Prints medians.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import Settings  # noqa: E402
from rag.embed import TorchEncoder  # noqa: E402
from rag.build import build_index  # noqa: E402


def make_articles(raw: Path, count: int, seed: int) -> None:
    paragraphs = (ROOT / "corpus" / "clean" / "zte-kerfuffle.txt").read_text(
        encoding="utf-8").split("\n\n")[1:]
    rng = random.Random(seed)
    for i in range(count):
        body = rng.sample(paragraphs, 20)
        (raw / f"article-{seed}-{i:03}.txt").write_text(
            f"Synthetic Article Number {seed}-{i}\n\n" + "\n\n".join(body) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    encoder = TorchEncoder()
    encoder.encode(["warm up"])  # both timings below exclude loading the model
    full, incremental, embedded = [], [], []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="rag-incr-") as scratch:
            settings = Settings(corpus_dir=Path(scratch) / "corpus", index_dir=Path(scratch) / "index")
            settings.raw_dir.mkdir(parents=True)
            make_articles(settings.raw_dir, args.articles, seed=run)
            started = time.perf_counter()
            report = build_index(settings, force=True, encoder=encoder)
            full.append(time.perf_counter() - started)
            make_articles(settings.raw_dir, 1, seed=1000 + run)
            started = time.perf_counter()
            added = build_index(settings, encoder=encoder)
            incremental.append(time.perf_counter() - started)
            embedded.append(added.embedded_chunks)
    result = {"articles": args.articles, "chunks": report.chunks,
              "full_rebuild_s": statistics.median(full),
              "add_one_incremental_s": statistics.median(incremental),
              "chunks_embedded_when_adding_one": statistics.median(embedded)}
    print(json.dumps(result, indent=2))
    print(f"\nAdding one article to {args.articles}: {result['add_one_incremental_s']:.2f} s "
          f"incremental vs {result['full_rebuild_s']:.2f} s full rebuild "
          f"({result['full_rebuild_s'] / result['add_one_incremental_s']:.1f}x faster); "
          f"{result['chunks_embedded_when_adding_one']:.0f} of {report.chunks + result['chunks_embedded_when_adding_one']:.0f} chunks embedded.")


if __name__ == "__main__":
    main()
