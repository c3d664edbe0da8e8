"""How search cost grows with the corpus: exact (flat) vs approximate (IVF) FAISS search.

    python bench/scaling.py [--max 1000000] [--queries 100]

Search uses synthetic unit vectors in clusters (like real embeddings, which are far from
uniform); embedding throughput is measured on real article text. Prints tables and writes
bench/results/scaling.json. The project's rule (rag/store_faiss.py): exact search below
Settings.ivf_from_chunks chunks, IVF with sqrt(n) lists and Settings.ivf_nprobe above.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from rag import Settings
from rag.store_faiss import make_faiss_index

ROOT = Path(__file__).resolve().parent.parent
DIM = 384


def clustered(n: int, rng: np.random.Generator, centers: np.ndarray) -> np.ndarray:
    labels = rng.integers(0, len(centers), n)
    x = centers[labels] + 0.35 * rng.standard_normal((n, DIM), dtype=np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def search_table(sizes: list[int], queries: int) -> list[dict]:
    import faiss

    rng = np.random.default_rng(0)
    centers = rng.standard_normal((256, DIM), dtype=np.float32)
    rows = []
    for n in sizes:
        data = clustered(n, rng, centers)
        q = clustered(queries, rng, centers)
        row = {"chunks": n}
        started = time.perf_counter()
        flat = faiss.IndexFlatIP(DIM)
        flat.add(data)
        row["flat_build_s"] = time.perf_counter() - started
        started = time.perf_counter()
        truth = [flat.search(q[i:i + 1], 10)[1][0] for i in range(queries)]
        row["flat_query_ms"] = (time.perf_counter() - started) / queries * 1000
        if n >= 10_000:
            started = time.perf_counter()
            ivf = make_faiss_index(data, ivf_from_chunks=0, ivf_nprobe=Settings().ivf_nprobe)
            row["ivf_build_s"] = time.perf_counter() - started
            started = time.perf_counter()
            found = [ivf.search(q[i:i + 1], 10)[1][0] for i in range(queries)]
            row["ivf_query_ms"] = (time.perf_counter() - started) / queries * 1000
            row["ivf_recall_at_10"] = float(np.mean([len(set(a) & set(b)) / 10
                                                     for a, b in zip(found, truth)]))
        row["used"] = "flat" if n < Settings().ivf_from_chunks else "ivf"
        rows.append(row)
        print(json.dumps(row), flush=True)
        del data
    return rows


def embedding_throughput(count: int) -> dict:
    """Chunks per second on real text (the seed article's sentences, regrouped)."""
    from rag.embed import Encoder, OnnxEncoder

    sentences = [s for s in (ROOT / "corpus" / "clean" / "zte-kerfuffle.txt").read_text(
        encoding="utf-8").replace("\n\n", " ").split(". ") if s]
    rng = np.random.default_rng(1)
    chunks = [". ".join(rng.choice(sentences, 6)) for _ in range(count)]
    out = {"chunks": count}
    for name, encoder in (("sentence_transformers", Encoder()), ("onnx_int8", OnnxEncoder())):
        encoder.encode(chunks[:8])
        started = time.perf_counter()
        encoder.encode(chunks, batch_size=64)
        out[f"{name}_chunks_per_s"] = count / (time.perf_counter() - started)
    print(json.dumps(out), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--embed", type=int, default=2000)
    args = parser.parse_args()
    sizes = [n for n in (1_000, 10_000, 100_000, 1_000_000) if n <= args.max]
    rows = search_table(sizes, args.queries)
    throughput = embedding_throughput(args.embed)
    print("\n| chunks | flat build s | flat query ms | IVF build s | IVF query ms | IVF recall@10 | used |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        ivf = (f"{r['ivf_build_s']:.2f} | {r['ivf_query_ms']:.2f} | {r['ivf_recall_at_10']:.3f}"
               if "ivf_build_s" in r else "— | — | —")
        print(f"| {r['chunks']:,} | {r['flat_build_s']:.3f} | {r['flat_query_ms']:.2f} | {ivf} | "
              f"{r['used']} |")
    print(f"\nEmbedding {throughput['chunks']} real chunks: sentence-transformers "
          f"{throughput['sentence_transformers_chunks_per_s']:.0f}/s, ONNX int8 "
          f"{throughput['onnx_int8_chunks_per_s']:.0f}/s")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "scaling.json").write_text(json.dumps({"search": rows, "embedding": throughput},
                                                 indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
