"""Side-by-side benchmark: this project vs plain LangChain and LlamaIndex pipelines.

    python bench/run.py [--runs N]      (make bench)

Prints a table and writes bench/results/latest.json. Every figure is the median of N runs
(default 5) measured in this one run, so the ratios hold on a noisy shared machine. A peer
that is not installed (pip install -e ".[bench]") is skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "eval" / "test.jsonl"
RAG = [sys.executable, "-m", "rag"]
sys.path.insert(0, str(ROOT))

from rag.eval import p95  # noqa: E402


# The child's peak memory is read in a small launcher: Linux counts the memory a process had
# before exec in its ru_maxrss, so a child forked straight from this (large) process would
# report this process's size. ru_maxrss of children is the largest single process, so the
# launcher also samples the summed RSS of the command and everything it starts (a parser
# child beside its parent) every 0.1 s, and reports the larger of the two.
_LAUNCHER = """
import os, resource, subprocess, sys, time

def tree_kb(root):
    parents = {}
    for name in os.listdir("/proc"):
        try:
            parents[int(name)] = int(open(f"/proc/{name}/stat").read().rsplit(")", 1)[1].split()[1])
        except (ValueError, OSError, IndexError):
            pass
    tree, grown = {root}, True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree, grown = tree | more, bool(more)
    total = 0
    for pid in tree:
        try:
            total += int(next(line for line in open(f"/proc/{pid}/status")
                              if line.startswith("VmRSS:")).split()[1])
        except (OSError, StopIteration):
            pass
    return total

started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
peak = 0
while child.poll() is None:
    peak = max(peak, tree_kb(child.pid))
    time.sleep(0.1)
seconds = time.perf_counter() - started
peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
open(sys.argv[1], "w").write(f"{seconds} {peak}")
sys.exit(child.returncode)
"""


def _run(command: list[str], **kwargs) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB of it and its children together, stdout) of one subprocess,
    which must succeed."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.NamedTemporaryFile("r") as figures:
        launched = [sys.executable, "-c", _LAUNCHER, figures.name, *command]
        process = subprocess.run(launched, stdout=out, stderr=err, text=True, **kwargs)
        out.seek(0)
        err.seek(0)
        if process.returncode:
            raise subprocess.CalledProcessError(process.returncode, command, out.read(), err.read())
        seconds, peak_kb = figures.read().split()
        return float(seconds), int(peak_kb) / 1024, out.read()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ours(work: Path, runs: int) -> dict:
    corpus = work / "corpus"
    shutil.copytree(ROOT / "corpus" / "raw", corpus / "raw")
    paths = ["--corpus", str(corpus), "--index", str(work / "index")]
    builds = [_run(RAG + ["build", "--force", *paths]) for _ in range(runs)]
    question = json.loads(QUESTIONS.read_text(encoding="utf-8").splitlines()[0])["question"]
    asks = [_run(RAG + ["ask", question, *paths]) for _ in range(runs)]
    warm = json.loads(_run(RAG + ["eval", str(QUESTIONS), "--json", *paths])[2])
    serve_starts, serve_rss = [], 0.0
    for _ in range(max(2, runs // 2)):
        seconds, rss = _serve_start(paths)
        serve_starts.append(seconds)
        serve_rss = max(serve_rss, rss)
    return {"build_s": statistics.median(b[0] for b in builds),
            "build_rss_mb": max(b[1] for b in builds),
            "cold_ask_s": statistics.median(a[0] for a in asks), "ask_rss_mb": max(a[1] for a in asks),
            "warm_p50_ms": warm["latency_p50_ms"], "warm_p95_ms": warm["latency_p95_ms"],
            "serve_start_s": statistics.median(serve_starts), "serve_rss_mb": serve_rss,
            "hit_at_3": warm["hit_at_3"]}


def _serve_start(paths: list[str]) -> tuple[float, float]:
    """Seconds from launching `rag serve` until its page answers, and its RSS then."""
    port = _free_port()
    started = time.perf_counter()
    process = subprocess.Popen(RAG + ["serve", "--port", str(port), *paths],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except OSError:
                if time.perf_counter() - started > 120:
                    raise TimeoutError("rag serve did not start in 120 s") from None
                time.sleep(0.05)
        seconds = time.perf_counter() - started
        rss = int(Path(f"/proc/{process.pid}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024
        return seconds, rss
    finally:
        process.terminate()
        process.wait(timeout=30)


def peer(name: str, work: Path, runs: int) -> dict | str:
    script = str(ROOT / "bench" / "peers.py")
    clean = ROOT / "corpus" / "clean" / "zte-kerfuffle.txt"
    index = work / f"{name}-index"
    try:
        builds = [_run([sys.executable, script, "build", name, str(clean), str(index)])
                  for _ in range(runs)]
    except subprocess.CalledProcessError as e:
        return f"skipped: {name} is not installed or failed ({e.stderr.strip().splitlines()[-1]})"
    colds, answers, ask_rss = [], [], 0.0
    for _ in range(runs):
        env = {**os.environ, "BENCH_T0": str(time.time())}
        _, _, out = _run([sys.executable, script, "ask", name, str(index), str(QUESTIONS)], env=env)
        result = json.loads(out)
        colds.append(result["cold_s"])
        answers.extend(result["answer_ms"])
        ask_rss = max(ask_rss, result["peak_rss_mb"])
    return {"build_s": statistics.median(s for s, _, _ in builds),
            "build_rss_mb": max(rss for _, rss, _ in builds),
            "cold_ask_s": statistics.median(colds), "ask_rss_mb": ask_rss,
            "warm_p50_ms": statistics.median(answers), "warm_p95_ms": p95(answers)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, dict | str] = {}
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as scratch:
        work = Path(scratch)
        results["rag (this project)"] = ours(work, args.runs)
        for name in ("langchain", "llamaindex"):
            results[name] = peer(name, work, args.runs)
    rows = [("build from raw (s)", "build_s", "{:.2f}"), ("build peak RSS (MB)", "build_rss_mb", "{:.0f}"),
            ("cold ask: start + 1 answer (s)", "cold_ask_s", "{:.2f}"),
            ("ask peak RSS (MB)", "ask_rss_mb", "{:.0f}"),
            ("warm answer p50 (ms)", "warm_p50_ms", "{:.1f}"),
            ("warm answer p95 (ms)", "warm_p95_ms", "{:.1f}"),
            ("web app start to first page (s)", "serve_start_s", "{:.2f}"),
            ("web app RSS (MB)", "serve_rss_mb", "{:.0f}")]
    measured = {k: v for k, v in results.items() if isinstance(v, dict)}
    print(f"Median of {args.runs} runs, one machine, one run of this script.\n")
    print("| figure | " + " | ".join(measured) + " |")
    print("|---|" + "---:|" * len(measured))
    for label, key, fmt in rows:
        cells = [fmt.format(v[key]) if key in v else "—" for v in measured.values()]
        print(f"| {label} | " + " | ".join(cells) + " |")
    base = measured["rag (this project)"]
    for name, value in results.items():
        if isinstance(value, str):
            print(f"\n{name}: {value}")
        elif name != "rag (this project)":
            print(f"\n{name}: cold ask {value['cold_ask_s'] / base['cold_ask_s']:.1f}x slower, "
                  f"warm p50 {value['warm_p50_ms'] / base['warm_p50_ms']:.1f}x, build "
                  f"{value['build_s'] / base['build_s']:.1f}x, ask RSS "
                  f"{value['ask_rss_mb'] / base['ask_rss_mb']:.1f}x")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
