import numpy as np
import pytest

from rag.embed import OnnxEncoder, TokenVectors


def test_onnx_vectors_are_close_to_sentence_transformers_and_rank_alike(encoder, bot):
    sentences = [s.text for s in bot.index.sentences[:40]] + [
        "Who is the senator from Florida?", "how much is qualcomm worth", "wat did rubio sayy",
        "x" * 3000]  # longer than 256 tokens: both truncate alike
    reference = encoder.encode(sentences)
    fast = OnnxEncoder().encode(sentences)
    assert fast.shape == reference.shape == (len(sentences), 384)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cosines = (reference * fast).sum(axis=1)
    assert cosines.mean() >= 0.985 and cosines.min() >= 0.95  # int8 arithmetic (rag/int8.py)
    questions = ["Who is the senator from Florida?", "What did Trump tweet about ZTE?",
                 "Which company makes phones?", "What did the Commerce Department do?"]
    by_reference = encoder.encode(questions) @ reference[:40].T
    by_fast = OnnxEncoder().encode(questions) @ fast[:40].T
    for best, scores in zip(by_reference.argmax(axis=1), by_fast):
        assert best in np.argsort(-scores)[:2]


def test_a_text_gets_the_same_vector_alone_or_among_others():
    texts = ["The council bought a backup battery.", "Who was the lead researcher?",
             "A much longer sentence about the harbor, the ferry schedule and the new toll."]
    onnx = OnnxEncoder(threads=2)
    together = onnx.encode(texts * 30)
    assert all(np.array_equal(together[i], onnx.encode([texts[i % 3]])[0]) for i in range(90))


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


def test_token_vectors_come_from_the_same_run_as_the_sentence_vectors(encoder):
    texts = ["The council bought a backup battery.", "Who was the lead researcher?", "x", ""]
    onnx = OnnxEncoder(threads=2)
    vectors, tokens = onnx.encode_with_tokens(texts)
    assert np.array_equal(vectors, onnx.encode(texts))
    tokenizer = onnx._tokenizer
    assert [len(tokens.of(i)) for i in range(len(texts))] == [
        len(tokenizer.encode(t).ids) - 2 for t in texts]  # [CLS] and [SEP] left out
    assert np.allclose(np.linalg.norm(tokens.of(0), axis=1), 1.0, atol=0.01)
    _, reference = encoder.encode_with_tokens(texts)
    for i in range(3):
        assert (tokens.of(i) * reference.of(i)).sum(axis=1).min() > 0.97


@pytest.mark.parametrize("kind", ["onnx", "torch"])
def test_a_question_marks_its_content_words(kind, encoder):
    chosen = OnnxEncoder() if kind == "onnx" else encoder
    question = chosen.encode_question("Who was the lead researcher?")
    assert question.tokens.shape == (6, 384)  # who was the lead researcher ?
    assert question.content.tolist() == [False, False, False, True, True, False]
    assert np.allclose(question.vector, chosen.encode(["Who was the lead researcher?"])[0],
                       atol=1e-4)



@pytest.mark.parametrize("kind", ["onnx", "torch"])
@pytest.mark.parametrize("text", ["what does [SEP] mean in BERT", "is [PAD] a token",
                                  "[CLS] [SEP] [PAD] [UNK] [MASK]", "", "word " * 400])
def test_a_question_with_special_tokens_in_it_keeps_one_mark_per_token_vector(
        kind, text, encoder, bot):
    chosen = OnnxEncoder() if kind == "onnx" else encoder
    question = chosen.encode_question(text)
    assert len(question.content) == len(question.tokens) <= 254
    assert not question.content[:1].any() or text == "word " * 400  # "what", "is", "[CLS]"
    if text and len(text) < 1000:  # the chatbot's limit
        assert bot.ask(text).question == text  # ranks without an error

def test_token_vectors_keep_each_text_apart():
    rng = np.random.default_rng(0)
    texts = [rng.normal(size=(n, 384)) for n in (3, 0, 5)]
    texts = [t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-9) for t in texts]
    stored = TokenVectors.quantized(texts, 384)
    assert len(stored) == 3 and stored.values.dtype == np.int8
    for i, t in enumerate(texts):
        assert np.allclose(stored.of(i), t, atol=0.02)
    stacked, firsts = stored.rows([2, 1, 0])
    assert firsts.tolist() == [0, 5, 5] and len(stacked) == 8
    assert np.array_equal(stacked[:5], stored.of(2)) and np.array_equal(stacked[5:], stored.of(0))
    again = stored.take([2, 0])
    assert np.array_equal(again.of(0), stored.of(2)) and np.array_equal(again.of(1), stored.of(0))


def test_one_documents_token_vectors_are_a_view():
    rng = np.random.default_rng(1)
    stored = TokenVectors.quantized([rng.normal(size=(n, 8)) for n in (2, 3, 0, 4)], 8)
    run = stored.take([1, 2, 3])
    assert np.shares_memory(run.values, stored.values)
    assert [len(run.of(i)) for i in range(3)] == [3, 0, 4]
    assert np.array_equal(run.of(2), stored.of(3))
    scattered = stored.take([3, 0])
    assert not np.shares_memory(scattered.values, stored.values)
    assert np.array_equal(scattered.of(0), stored.of(3)) and np.array_equal(scattered.of(1), stored.of(0))
