"""Bounded load test of the web chat on loopback: N concurrent gradio_client users.

    python bench/load.py [--clients 20] [--requests 200]

Starts `rag serve` on a free 127.0.0.1 port, sends a fixed number of questions from
eval/test.jsonl through the /ask endpoint, checks every reply is grounded (each quote
equals corpus/clean/<doc>.txt at its offsets), stops the server and prints the figures.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.eval import p95  # noqa: E402


def run_load(url: str, clean_dir: Path, clients: int, requests: int, deadline_s: float = 300
             ) -> dict:
    from gradio_client import Client

    questions = [json.loads(line)["question"] for line in
                 (ROOT / "eval" / "test.jsonl").read_text(encoding="utf-8").splitlines() if line]
    texts = {p.stem: p.read_text(encoding="utf-8") for p in clean_dir.glob("*.txt")}
    pool = [Client(url, verbose=False) for _ in range(clients)]
    stop_at = time.monotonic() + deadline_s

    retried = []

    def one(i: int) -> tuple[float, str | None]:
        if time.monotonic() > stop_at:
            return 0.0, "not sent: deadline"
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                result = pool[i % clients].predict(questions[i % len(questions)], "",
                                                   api_name="/ask")
                break
            except Exception as e:  # noqa: BLE001 - every failure counts here
                # A dropped stream on the client side is retried once, as a browser would;
                # it is counted in "retried", and a second failure is an error.
                if attempt == 2:
                    return time.perf_counter() - started, f"{type(e).__name__}: {e}"
                retried.append(f"{type(e).__name__}: {e}")
        ms = (time.perf_counter() - started) * 1000
        if "error" in result:
            return ms, result["error"]
        for quote in result["quotes"]:
            if texts[quote["doc"]][quote["start"]:quote["end"]] != quote["text"]:
                return ms, "ungrounded quote"
        return ms, None

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as executor:
        outcomes = list(executor.map(one, range(requests)))
    wall = time.perf_counter() - started
    latencies = sorted(ms for ms, error in outcomes if error is None)
    errors = [error for _, error in outcomes if error is not None]
    return {"clients": clients, "requests": requests, "errors": len(errors),
            "error_examples": errors[:3], "retried": len(retried), "retry_examples": retried[:3], "wall_s": wall, "throughput_rps": requests / wall,
            "p50_ms": statistics.median(latencies) if latencies else None,
            "p95_ms": p95(latencies) if latencies else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "rag", "serve", "--port", str(port)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(600):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        result = run_load(url, ROOT / "corpus" / "clean", args.clients, args.requests)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
