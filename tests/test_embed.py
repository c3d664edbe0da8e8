import numpy as np

from rag.embed import OnnxEncoder


def test_onnx_query_vectors_match_sentence_transformers(encoder, bot):
    sentences = [s.text for s in bot.index.sentences[:40]] + [
        "Who is the senator from Florida?", "how much is qualcomm worth", "wat did rubio sayy",
        "x" * 3000]  # longer than 256 tokens: both truncate alike
    reference = encoder.encode(sentences)
    fast = OnnxEncoder().encode(sentences)
    assert fast.shape == reference.shape == (len(sentences), 384)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cosines = (reference * fast).sum(axis=1)
    assert cosines.min() >= 0.99


def test_empty_batch():
    assert OnnxEncoder().encode([]).shape == (0, 384)
