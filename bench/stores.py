"""FAISS vs Qdrant side by side: writing a build, query latency, memory; embedding throughput.

    python bench/stores.py [--sizes 1000 10000] [--stores faiss qdrant://:memory:] [--queries 50]
                           [--ray-workers 2]

Each (store, size) runs in a fresh Python process. A build holds `size` chunks and four
sentences per chunk (the test corpus has 3.7), as synthetic clustered unit vectors and
BM25 sparse vectors over a Zipf-distributed vocabulary of 50,000 terms, 60 terms a chunk.
"build s" is the store's part of a build (create, upsert every document, seal, switch);
embedding is measured apart, on real article text, per one-thread worker. "query p50 ms" is
one dense + sparse search, as a question makes (a fifth of them limited to one document).
"memory MB" is how much the process's resident memory grew from just before the build to
after the queries: what the store holds (for embedded Qdrant, its copy of every point).
Every case runs with OMP_NUM_THREADS=1: on a shared, busy machine FAISS's OpenMP threads
spin (10k-chunk exact search: 24 ms with 2 threads under load vs 0.9 ms with one).
Prints a table and writes bench/results/stores.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DIM, VOCAB, TERMS, PER_DOC, SENTENCES = 384, 50_000, 60, 20, 4


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def case(store_uri: str, size: int, queries: int) -> dict:
    from rag import Settings
    from rag.index import new_build_name
    from rag.store import DocumentRows, bm25_sparse, open_store, query_sparse

    rng = np.random.default_rng(0)
    centers = rng.standard_normal((64, DIM)).astype(np.float32)

    def unit(n: int) -> np.ndarray:
        x = centers[rng.integers(0, 64, n)] + 0.35 * rng.standard_normal((n, DIM)).astype(np.float32)
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)

    words = [f"t{i}" for i in range(VOCAB)]
    zipf = 1 / np.arange(1, VOCAB + 1)
    zipf /= zipf.sum()
    term_lists = [[words[i] for i in rng.choice(VOCAB, TERMS, p=zipf)] for _ in range(size)]
    sparse, chunk_vectors = bm25_sparse(term_lists), unit(size)
    sentence_vectors = unit(size * SENTENCES)
    with tempfile.TemporaryDirectory() as tmp:
        base = rss_mb()
        settings = Settings(index_dir=Path(tmp), store=store_uri)
        store = open_store(settings)
        started = time.perf_counter()
        name = new_build_name()
        build = store.create(name, DIM)
        for d, start in enumerate(range(0, size, PER_DOC)):
            c = list(range(start, min(size, start + PER_DOC)))
            s = list(range(start * SENTENCES, min(size, start + PER_DOC) * SENTENCES))
            build.upsert(DocumentRows(f"doc{d}", tuple(c), chunk_vectors[c],
                                      tuple(sparse[i] for i in c), tuple(s), sentence_vectors[s]))
        (Path(tmp) / name).mkdir()
        build.seal(Path(tmp) / name)
        store.switch(name)
        built = time.perf_counter() - started
        latencies = []
        for q in range(queries):
            terms = [words[i] for i in rng.choice(VOCAB, 6, p=zipf)]
            vector = unit(1)[0]
            t = time.perf_counter()
            build.search(vector, query_sparse(terms), 8, doc="doc3" if q % 5 == 0 else None)
            latencies.append((time.perf_counter() - t) * 1000)
        memory = rss_mb() - base
        store.drop(name)
    return {"store": store_uri, "chunks": size, "build_s": round(built, 2),
            "query_p50_ms": round(statistics.median(latencies), 2),
            "memory_mb": round(memory, 1)}


def sample_chunks(n: int) -> list[str]:
    """n chunks of ~150 words of real article text."""
    text = (ROOT / "tests" / "data" / "corpus" / "raw" / "zte-kerfuffle.txt").read_text(
        encoding="utf-8").split()
    chunks = [" ".join(text[i:i + 150]) for i in range(0, len(text) - 150, 15)]
    return (chunks * (n // len(chunks) + 1))[:n]


def embedding_rate() -> float:
    """Chunks per second on one one-thread ONNX worker."""
    from rag.embed import OnnxEncoder

    chunks = sample_chunks(96)
    encoder = OnnxEncoder(threads=1)
    encoder.encode(chunks[:4])
    started = time.perf_counter()
    encoder.encode(chunks)
    return len(chunks) / (time.perf_counter() - started)


def ray_rate(workers: int) -> float:
    """Chunks per second through RayEncoder with `workers` one-thread actors on a local Ray,
    actor start-up included (Ray itself already running)."""
    from rag.embed_ray import RayEncoder

    chunks = sample_chunks(96 * workers)
    encoder = RayEncoder("all-MiniLM-L6-v2", "onnx", workers=workers, batch_size=16)
    try:
        encoder.encode(chunks[:workers])  # starts Ray
        started = time.perf_counter()
        encoder.encode(chunks)
        return len(chunks) / (time.perf_counter() - started)
    finally:
        encoder.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--stores", nargs="+", default=["faiss", "qdrant://:memory:"])
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--ray-workers", type=int, default=0,
                        help="also time embedding through Ray with this many actors")
    parser.add_argument("--case", nargs=2, metavar=("STORE", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(case(args.case[0], int(args.case[1]), args.queries)))
        return
    rows = []
    for store in args.stores:
        for size in args.sizes:
            out = subprocess.run([sys.executable, __file__, "--case", store, str(size),
                                  "--queries", str(args.queries)], capture_output=True,
                                 text=True, check=True, cwd=ROOT,
                                 env={**os.environ, "OMP_NUM_THREADS": "1"})
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(rows[-1], file=sys.stderr)
    rate = embedding_rate()
    print(f"{'store':<20} {'chunks':>7} {'build s':>8} {'query p50 ms':>13} {'memory MB':>10}")
    for r in rows:
        print(f"{r['store']:<20} {r['chunks']:>7} {r['build_s']:>8} {r['query_p50_ms']:>13} "
              f"{r['memory_mb']:>10}")
    print(f"embedding: {rate:.1f} chunks/s per one-thread ONNX worker (build time is this, not "
          "the store, at every size)")
    ray = ray_rate(args.ray_workers) if args.ray_workers else None
    if ray:
        print(f"embedding on Ray, {args.ray_workers} one-thread actors: {ray:.1f} chunks/s "
              "(actor start-up included)")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "stores.json").write_text(json.dumps(
        {"rows": rows, "embedding_chunks_per_s": round(rate, 1),
         "ray_chunks_per_s": ray and round(ray, 1), "ray_workers": args.ray_workers,
         "measured": time.strftime("%Y-%m-%d")}, indent=2) + "\n")


if __name__ == "__main__":
    main()
