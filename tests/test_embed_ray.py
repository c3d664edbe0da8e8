"""The Ray engine embeds like the local build encoder and builds an index with the same answers."""

import dataclasses

import numpy as np
import pytest
from click.testing import CliRunner

from rag import Chatbot, ConfigError
from rag.cli import main
from rag.embed import make_encoder

QUESTIONS = ["Who is Betsy Cooper?", "Who banned ZTE?", "What did the Commerce Department decide?"]


def test_bad_engine_arguments_are_one_line_errors(tmp_path):
    pytest.importorskip("ray")
    from rag.embed_ray import RayEncoder

    with pytest.raises(ConfigError, match="must be > 0"):
        RayEncoder("all-MiniLM-L6-v2", "onnx", workers=0)
    result = CliRunner().invoke(main, ["build", "--ray-address", "auto", "--index",
                                       str(tmp_path / "index")])
    assert result.exit_code == 2 and "--ray-address needs --engine ray" in result.output
    result = CliRunner().invoke(main, ["build", "--engine", "spark"])
    assert result.exit_code == 2 and "'spark' is not one of 'local', 'ray'" in result.output


@pytest.mark.slow
def test_ray_vectors_match_local_ones(bot):
    pytest.importorskip("ray")
    from rag.embed_ray import RayEncoder

    texts = [c.text for c in bot.index.chunks] + [s.text for s in bot.index.sentences[:60]]
    local, local_tokens = make_encoder(bot.settings.model, "onnx",
                                       for_builds=True).encode_with_tokens(texts)
    encoder = RayEncoder(bot.settings.model, "onnx", workers=2, batch_size=16)
    try:
        remote, remote_tokens = encoder.encode_with_tokens(texts)
    finally:
        encoder.shutdown()
    assert remote.shape == local.shape
    assert float(np.min(np.sum(remote * local, axis=1))) >= 0.9999
    assert np.array_equal(remote_tokens.offsets, local_tokens.offsets)  # each text's own tokens
    for i in (0, len(texts) // 2, len(texts) - 1):
        assert (remote_tokens.of(i) * local_tokens.of(i)).sum(axis=1).min() >= 0.99


@pytest.mark.slow
def test_rag_build_on_ray_gives_the_same_answers(fresh_corpus):
    pytest.importorskip("ray")
    local = dataclasses.replace(fresh_corpus, index_dir=fresh_corpus.index_dir.parent / "local")
    runner = CliRunner()
    for settings, engine in ((fresh_corpus, ["--engine", "ray"]), (local, [])):
        result = runner.invoke(main, ["-q", "build", "--corpus", str(settings.corpus_dir),
                                      "--index", str(settings.index_dir), *engine])
        assert result.exit_code == 0, result.output
    on_ray, here = Chatbot(fresh_corpus), Chatbot(local)
    for question in QUESTIONS:
        assert on_ray.ask(question).answer == here.ask(question).answer
    assert len(on_ray.index.chunks) == len(here.index.chunks)
