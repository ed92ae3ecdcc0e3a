"""The README's Python example runs as written on a GGUF shaped like a real one: its
token_embd is Q8_0 (as in most published GGUFs), which np.asarray cannot view (the example
used to do exactly that and raised TypeError)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

import mwt

README = Path(__file__).resolve().parents[2] / "README.md"


def _python_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Python\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, "README's Python section has no python code block"
    return match.group(1)


def _realistic_gguf(path: Path) -> None:
    rng = np.random.default_rng(7)
    embd = rng.standard_normal((64, 256)).astype(np.float32)
    attn_q = rng.standard_normal((256, 256)).astype(np.float32)
    bf16 = (attn_q.view(np.uint32) >> 16).astype(np.uint16)  # truncation: exact BF16 values
    mwt.save_gguf(path, {
        "token_embd.weight": mwt.RawTensor("Q8_0", embd.shape, mwt.quantize(embd, "Q8_0")),
        "output_norm.weight": np.ones(256, np.float32),
        "blk.0.attn_q.weight": mwt.RawTensor("BF16", attn_q.shape, bf16.tobytes()),
    }, {"general.architecture": "llama"})


def test_readme_python_example_runs(tmp_path):
    _realistic_gguf(tmp_path / "model.gguf")
    scope: dict = {}
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(_python_example(), str(README), "exec"), scope)  # noqa: S102 - our README
    finally:
        os.chdir(cwd)
    # What the example computed is what the file holds.
    assert scope["w"].shape == (256,) and not scope["w"].flags.writeable
    assert scope["x"].shape == (64, 256) and scope["x"].dtype == np.float32
    assert scope["raw"].dtype == np.uint8 and scope["raw"].size == 64 * 256 // 32 * 34
    assert scope["b"].dtype == np.float32
    with mwt.open(tmp_path / "out.gguf") as wf:
        assert wf.metadata["llama.block_count"] == 2
