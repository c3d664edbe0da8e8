"""Copying articles into the corpus (`add_files`, no index build): does it stay linear, and
does it keep away from oversized files?

    python bench/adds.py [--sizes 200,600] [--huge-mb 200]

Prints, per batch size, the seconds to add that many small files (as `rag add folder/`
does: one call) into an empty corpus, and the peak memory of a fresh process that adds one note beside a sparse
over-limit file of --huge-mb megabytes.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.corpus import add_files  # noqa: E402


def time_adds(count: int) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        sources = []
        for n in range(count):
            source = root / "in" / f"note-{n}.txt"
            source.parent.mkdir(exist_ok=True)
            source.write_text(f"Note {n}\n\nThe council met on day {n} and agreed to item {n}.\n",
                              encoding="utf-8")
            sources.append(source)
        started = time.perf_counter()
        add_files([root / "in"], root / "corpus" / "raw", 2_000_000)
        return time.perf_counter() - started


def peak_beside_huge_file(megabytes: int) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "raw"
        raw.mkdir()
        with open(raw / "huge.txt", "wb") as handle:
            handle.truncate(megabytes * 1_000_000)
        note = Path(scratch) / "note.txt"
        note.write_text("A Note\n\nThe pier opens on Monday, the harbor master said.\n")
        code = ("import re, sys; from pathlib import Path; from rag.corpus import add_files; "
                "add_files([Path(sys.argv[1])], Path(sys.argv[2]), 2_000_000); "
                "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))")
        out = subprocess.run([sys.executable, "-c", code, str(note), str(raw)], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        return int(re.findall(r"\d+", out)[-1]) // 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="200,600")
    parser.add_argument("--huge-mb", type=int, default=200)
    args = parser.parse_args()
    times = {}
    for count in map(int, args.sizes.split(",")):
        times[count] = time_adds(count)
        print(f"add a folder of {count:>5} files: {times[count]:6.2f} s "
              f"({times[count] / count * 1000:.2f} ms per file)")
    small, large = min(times), max(times)
    print(f"ratio {large}/{small} files: time x{times[large] / times[small]:.2f} "
          f"(linear would be x{large / small:.2f})")
    print(f"peak RSS adding a note beside a {args.huge_mb} MB over-limit file: "
          f"{peak_beside_huge_file(args.huge_mb)} MB")


if __name__ == "__main__":
    main()
