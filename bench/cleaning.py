"""HTML cleaning on real web pages: how much of the main text is kept, how much of the site
around it is removed, by the project's cleaner and by trafilatura.extract alone.

    python bench/cleaning.py [--pages DIR] [--show N]

The pages are ../shared/data/cleaning-pages/ (100 pages with snippets.json: per page, `keep`
snippets of main text the cleaned text must contain and `remove` snippets of boilerplate it
must not). Matching normalizes whitespace and straight/curly quotes. Prints, per extraction,
the share of `keep` snippets found, the share of `remove` snippets absent and the pages left
without text, on all pages and on each half (a: pages at even positions of snippets.json,
b: odd), so a rule tuned on one half can be checked on the other. --show N prints, for the
project's cleaner, up to N missed snippets of each kind.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.clean import CLEANER_VERSION, PARAGRAPH  # noqa: E402
from rag.clean_html import clean_html  # noqa: E402

PAGES = ROOT.parent / "shared" / "data" / "cleaning-pages"
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "′": "'", "“": '"', "”": '"',
                         "„": '"', "″": '"', "«": '"', "»": '"', "\u00a0": " "})


def normalize(text: str) -> str:
    return " ".join(text.translate(_QUOTES).split())


def load_pages(folder: Path, half: str = "all") -> list[dict]:
    pages = json.loads((folder / "snippets.json").read_text(encoding="utf-8"))
    for n, page in enumerate(pages):
        page["half"] = "ab"[n % 2]
    pages = [p for p in pages if half in ("all", p["half"])]
    for page in pages:
        page["html"] = (folder / page["file"]).read_text(encoding="utf-8", errors="replace")
    return pages


def project(html: str) -> str:
    cleaned = clean_html(html)
    return cleaned.text if any(b.kind == PARAGRAPH for b in cleaned.blocks) else ""


def trafilatura_default(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html) or ""


def trafilatura_precision(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, favor_precision=True, include_comments=False) or ""


def score(pages: list[dict], extract, texts: dict[str, str] | None = None) -> dict:
    kept = keep_total = removed = remove_total = empty = 0
    missed: list[tuple[str, str, str]] = []
    texts = {} if texts is None else texts  # file -> normalized text, reused across halves
    started = time.perf_counter()
    for page in pages:
        if page["file"] not in texts:
            texts[page["file"]] = normalize(extract(page["html"]))
        text = texts[page["file"]]
        empty += not text
        for snippet in page["keep"]:
            keep_total += 1
            if normalize(snippet) in text:
                kept += 1
            else:
                missed.append(("lost", page["file"], snippet))
        for snippet in page["remove"]:
            remove_total += 1
            if normalize(snippet) not in text:
                removed += 1
            else:
                missed.append(("left", page["file"], snippet))
    return {"kept": kept / max(keep_total, 1), "removed": removed / max(remove_total, 1),
            "empty": empty, "pages": len(pages), "seconds": time.perf_counter() - started,
            "missed": missed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=PAGES)
    parser.add_argument("--show", type=int, default=0)
    args = parser.parse_args()
    pages = load_pages(args.pages)
    halves = {h: [p for p in pages if p["half"] == h] for h in "ab"}
    print(f"{len(pages)} pages, {sum(len(p['keep']) for p in pages)} keep and "
          f"{sum(len(p['remove']) for p in pages)} remove snippets; cleaner v{CLEANER_VERSION}")
    print(f"{'extraction':<38} {'kept':>6} {'removed':>8} {'no text':>8} {'s/page':>7}"
          f"   {'half a: kept removed':>21}   {'half b: kept removed':>21}")
    results = {}
    for name, extract in (("project clean_html", project),
                          ("trafilatura.extract defaults", trafilatura_default),
                          ("trafilatura.extract favor_precision", trafilatura_precision)):
        texts: dict[str, str] = {}
        r = results[name] = score(pages, extract, texts)
        a, b = (score(halves[h], extract, texts) for h in "ab")
        print(f"{name:<38} {r['kept']:>6.3f} {r['removed']:>8.3f} {r['empty']:>8d} "
              f"{r['seconds'] / max(r['pages'], 1):>7.3f}   {a['kept']:>13.3f} {a['removed']:>7.3f}"
              f"   {b['kept']:>13.3f} {b['removed']:>7.3f}")
    if args.show:
        missed = results["project clean_html"]["missed"]
        for kind in ("lost", "left"):
            rows = [m for m in missed if m[0] == kind][:args.show]
            print(f"\nproject: main text {kind}" if kind == "lost" else
                  "\nproject: boilerplate left")
            for _, file, snippet in rows:
                print(f"  {file}: {snippet[:90]!r}")


if __name__ == "__main__":
    main()
