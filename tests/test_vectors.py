"""A build's vectors: unchanged documents keep theirs and their token vectors (never
re-embedded), a text that occurs twice is embedded once, and every document's rows go into
a new build that becomes live."""

import dataclasses
import time

import numpy as np
import pytest

from rag.embed import TokenVectors
from rag.index import load_index
from rag.store import query_sparse
from rag.vectors import EmbeddingAhead, fill_vectors, pool_chunk_vectors, positions_by_doc, store_and_switch


class Recording:
    """The real encoder, noting every batch of texts it is given."""

    def __init__(self, encoder):
        self.encoder, self.batches = encoder, []

    def encode_with_tokens(self, texts, **options):
        self.batches.append(list(texts))
        return self.encoder.encode_with_tokens(texts, **options)

    @property
    def dimension(self):
        return self.encoder.dimension


def joined_parts(parts):
    return TokenVectors.from_parts([p.part(i) for p in parts for i in range(len(p))], 384)


def test_positions_are_grouped_by_document_in_order(bot):
    chunks = bot.index.chunks
    groups = positions_by_doc(chunks)
    assert set(groups) == set(bot.index.documents)
    assert sorted(p for positions in groups.values() for p in positions) == list(range(len(chunks)))
    for doc, positions in groups.items():
        assert positions == sorted(positions) and all(chunks[p].doc == doc for p in positions)


def test_reused_vectors_are_not_re_embedded(bot, encoder):
    index = bot.index
    sentences, documents = list(index.sentences), index.documents
    groups = positions_by_doc(sentences)
    kept, fresh = list(documents)[0], list(documents)[1:]
    reused = [index.sentence_vectors[groups[kept]] if doc == kept else None for doc in documents]
    reused_tokens = [index.sentence_tokens.take(groups[kept]) if doc == kept else None
                     for doc in documents]
    recording = Recording(encoder)
    matrix, tokens, embedded = fill_vectors(recording, documents, sentences, reused, reused_tokens)
    assert matrix.dtype == np.float32 and matrix.shape == (len(sentences), 384)
    assert len(joined_parts(tokens)) == len(sentences)
    assert embedded == sum(len(groups[doc]) for doc in fresh)
    assert [text for batch in recording.batches for text in batch] == [
        sentences[p].text for doc in fresh for p in groups[doc]]
    assert np.array_equal(matrix[groups[kept]], reused[0])  # as stored, row for row
    assert tokens[0] is reused_tokens[0]  # a view of the live index's file, not a copy
    assert all(part.values.base is not None for part in tokens[1:])  # views of the batch
    again, again_tokens = encoder.encode_with_tokens([sentences[p].text for p in groups[fresh[0]]])
    assert np.allclose(matrix[groups[fresh[0]]], again, atol=1e-6)
    assert np.allclose(tokens[1].of(0), again_tokens.of(0), atol=0.01)


def test_identical_texts_are_embedded_once(bot, encoder):
    first = bot.index.sentences[0]
    twin = dataclasses.replace(first, start=first.start + 1)  # same text, another place
    recording = Recording(encoder)
    matrix, tokens, embedded = fill_vectors(recording, {first.doc: None}, [first, twin], [None],
                                            [None])
    assert recording.batches == [[first.text]] and embedded == 2
    assert np.array_equal(matrix[0], matrix[1])
    joined = joined_parts(tokens)
    assert len(joined) == 2 and np.array_equal(joined.of(0), joined.of(1))


def test_texts_embedded_while_parsing_are_not_embedded_again(bot, encoder):
    index = bot.index
    documents, sentences = index.documents, list(index.sentences)
    recording = Recording(encoder)
    texts = list(dict.fromkeys(s.text for s in sentences))
    with EmbeddingAhead(recording, batch=7) as ahead:
        for start in range(0, len(texts) - 3, 5):  # as a parser finds them, the last 3 not
            ahead.add(texts[start:min(start + 5, len(texts) - 3)])
            if start == 5:
                time.sleep(1)  # the first batch (texts 0-9) is embedded meanwhile
        none = [None] * len(documents)
        matrix, tokens, embedded = fill_vectors(recording, documents, sentences, none, none,
                                                ahead=ahead)
    seen = [text for batch in recording.batches for text in batch]
    assert sorted(seen) == sorted(texts)  # each text once
    assert recording.batches[0] == texts[:10]
    # the batches not started when "parsing" ended, and the last 3, in one go at the end
    assert len(recording.batches) >= 2 and recording.batches[-1][-3:] == texts[-3:]
    direct, direct_tokens = encoder.encode_with_tokens([s.text for s in sentences])
    assert embedded == len(sentences) and np.allclose(matrix, direct, atol=1e-5)
    joined = joined_parts(tokens)
    assert len(joined) == len(sentences)
    assert all(np.allclose(joined.of(i), direct_tokens.of(i), atol=0.02)
               for i in range(len(sentences)))


def test_an_encoder_failing_while_parsing_fails_the_build_step(bot):
    class Failing:
        dimension = 384

        def encode_with_tokens(self, texts, **_):
            raise RuntimeError("out of memory")

    sentences = list(bot.index.sentences)
    with pytest.raises(RuntimeError, match="out of memory"):
        with EmbeddingAhead(Failing(), batch=2) as ahead:
            ahead.add([s.text for s in sentences[:4]])
            none = [None] * len(bot.index.documents)
            fill_vectors(Failing(), bot.index.documents, sentences, none, none, ahead=ahead)


def test_a_document_without_sentences_adds_no_rows(bot, encoder):
    first = bot.index.sentences[0]
    documents = {first.doc: None, "empty": None}
    with EmbeddingAhead(Recording(encoder), batch=1) as ahead:
        ahead.add([first.text])
        matrix, tokens, embedded = fill_vectors(encoder, documents, [first], [None, None],
                                                [None, None], ahead=ahead)
    assert matrix.shape == (1, 384) and embedded == 1 and len(joined_parts(tokens)) == 1


def test_nothing_to_embed_calls_no_model(bot):
    class Refusing:
        dimension = 384

        def encode_with_tokens(self, texts, **_):
            raise AssertionError(f"embedded {len(texts)} texts")

    index = bot.index
    groups = positions_by_doc(index.sentences)
    reused = [index.sentence_vectors[groups[doc]] for doc in index.documents]
    tokens = [index.sentence_tokens.take(groups[doc]) for doc in index.documents]
    matrix, _, embedded = fill_vectors(Refusing(), index.documents, list(index.sentences),
                                       reused, tokens)
    assert embedded == 0 and len(matrix) == len(index.sentences)


def test_every_documents_rows_go_into_a_new_live_build(bot, tmp_path):
    index = bot.index
    settings = dataclasses.replace(bot.settings, index_dir=tmp_path / "index")
    settings.index_dir.mkdir()
    manifest = {key: value for key, value in index.manifest.items() if key not in ("files", "store")}
    chunk_matrix = index.store.chunk_vectors(list(range(len(index.chunks))))
    groups = positions_by_doc(index.sentences)
    token_parts = [index.sentence_tokens.take(groups[doc]) for doc in index.documents]
    store_and_switch(settings, manifest, index.documents, list(index.chunks), list(index.sentences),
                     chunk_matrix, index.sentence_vectors, token_parts, time.perf_counter())
    copy = load_index(settings.index_dir, settings)
    assert copy.path.parent == settings.index_dir and copy.chunks == index.chunks
    assert copy.manifest["build_seconds"] >= 0
    assert np.array_equal(copy.store.chunk_vectors(list(range(len(index.chunks)))), chunk_matrix)
    assert np.array_equal(copy.sentence_vectors, index.sentence_vectors)
    assert all(np.array_equal(getattr(copy.sentence_tokens, f), getattr(index.sentence_tokens, f))
               for f in ("values", "scales", "offsets"))
    terms = bot.retriever.question_terms("Who is Betsy Cooper?")
    vector = bot.encoder.encode(["Who is Betsy Cooper?"])[0]
    assert copy.store.search(vector, query_sparse(terms), 5) == index.store.search(
        vector, query_sparse(terms), 5)


def test_a_failure_while_writing_rows_leaves_no_build(bot, tmp_path):
    index = bot.index
    settings = dataclasses.replace(bot.settings, index_dir=tmp_path / "index")
    settings.index_dir.mkdir()
    too_few = index.store.chunk_vectors([0])  # one row for every chunk: cannot be stored
    with pytest.raises(IndexError):
        store_and_switch(settings, {}, index.documents, list(index.chunks), list(index.sentences),
                         too_few, index.sentence_vectors, [index.sentence_tokens],
                         time.perf_counter())
    assert list(settings.index_dir.iterdir()) == []


def test_chunk_vectors_are_pooled_from_their_sentences(bot, encoder):
    index = bot.index
    documents, chunks, sentences = index.documents, list(index.chunks), list(index.sentences)
    groups = positions_by_doc(chunks)
    kept = list(documents)[0]
    reused = [index.store.chunk_vectors(groups[kept]) if doc == kept else None
              for doc in documents]
    matrix, pooled = pool_chunk_vectors(documents, chunks, sentences, index.sentence_vectors,
                                        reused)
    assert matrix.shape == (len(chunks), 384) and pooled == len(chunks) - len(groups[kept])
    assert np.array_equal(matrix[groups[kept]], reused[0])
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    chunk = chunks[groups[list(documents)[1]][0]]
    inside = [i for i, s in enumerate(sentences)
              if s.doc == chunk.doc and chunk.start <= s.start and s.end <= chunk.end]
    assert inside  # a chunk is a run of whole sentences
    weighted = sum(len(sentences[i].text) * index.sentence_vectors[i] for i in inside)
    assert np.allclose(matrix[chunks.index(chunk)], weighted / np.linalg.norm(weighted), atol=1e-5)
    # close to embedding the chunk itself, which the build no longer does
    fresh = [i for i, c in enumerate(chunks) if c.doc != kept]
    direct = encoder.encode([chunks[i].text for i in fresh])
    assert (matrix[fresh] * direct).sum(axis=1).mean() > 0.85
