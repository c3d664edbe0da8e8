import numpy as np
import pytest

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


@pytest.mark.parametrize("kind", ["onnx", "torch"])
def test_encoding_reports_progress_up_to_the_whole(kind, encoder):
    texts = [f"Sentence number {i} of a long article about the harbor." for i in range(300)]
    chosen = OnnxEncoder() if kind == "onnx" else encoder
    seen = []
    vectors = chosen.encode(texts, progress=lambda done, total: seen.append((done, total)))
    assert vectors.shape == (300, 384)
    assert len(seen) > 1 and seen[-1] == (300, 300)
    assert all(total == 300 for _, total in seen)
    assert [done for done, _ in seen] == sorted({done for done, _ in seen})  # rising
