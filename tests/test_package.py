"""The package surface (rag/__init__.py, rag/__main__.py): the public names, imports that
load no model and fetch nothing, and `python -m rag` as the `rag` command."""

import subprocess
import sys
from pathlib import Path

import rag

ROOT = Path(__file__).parent.parent


def test_the_public_names_are_exported():
    assert set(rag.__all__) >= {"Chatbot", "Settings", "Answer", "Quote", "Hit", "Chunk",
                                "RagError"}
    assert all(getattr(rag, name) is not None for name in rag.__all__)
    assert rag.__version__


def test_importing_rag_loads_no_model_and_python_m_rag_is_the_command():
    code = ("import sys, rag; print(sorted(m for m in ('torch', 'sentence_transformers', "
            "'onnxruntime', 'gradio') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
    command = subprocess.run([sys.executable, "-m", "rag", "--help"], capture_output=True,
                             text=True, cwd=ROOT)
    assert command.returncode == 0 and command.stdout.startswith("Usage: rag [OPTIONS] COMMAND")
