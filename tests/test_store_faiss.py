"""The default store: files in the build folder, CURRENT naming the live build, IVF from
ivf_from_chunks chunks, and old builds (with their files) removed after each switch."""

import dataclasses


from rag import Chatbot
from rag.build import build_index


def test_large_corpora_use_ivf_with_the_same_answers(fresh_corpus, encoder):

    import faiss

    approximate = dataclasses.replace(fresh_corpus, ivf_from_chunks=1, store="faiss")
    build_index(approximate, encoder=encoder)
    bot = Chatbot(approximate)
    assert isinstance(bot.index.store.faiss_index, faiss.IndexIVF)
    assert bot.index.manifest["params"]["ivf_nprobe"] == 16
    assert "Betsy Cooper, a cybersecurity researcher" in bot.ask("Who is Betsy Cooper?").answer
