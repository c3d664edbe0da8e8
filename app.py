"""The web chat on the bundled article: python app.py (or: rag serve)."""

import os

from rag import Chatbot
from rag.web import launch

if __name__ == "__main__":
    launch(Chatbot.load(corpus_dir="corpus", index_dir="index"),
           host=os.environ.get("RAG_HOST", "127.0.0.1"),
           port=int(os.environ.get("RAG_PORT", "7860")))
