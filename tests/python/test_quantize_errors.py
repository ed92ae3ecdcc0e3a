"""`mwt quantize` errors: MwtErrors naming the user's output path (JSON under --json, exit 1),
unsupported model families named with the supported ones, and no file or directory made."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mwt


def _gguf_source(path: Path) -> Path:
    tensors = {"blk.0.ffn_up.weight": np.ones((4, 256), dtype=np.float32)}
    mwt.save_gguf(path, tensors, {"general.architecture": "llama"})
    return path


def _bert_dir(path: Path) -> Path:
    path.mkdir()
    (path / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": 8}))
    mwt.save_safetensors(path / "model.safetensors",
                         {"embeddings.word_embeddings.weight": np.ones((4, 8), np.float32)})
    return path


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mwt.cli", "quantize", *args],
                          capture_output=True, text=True)


def test_missing_output_directory_names_the_users_path(tmp_path):
    src = _gguf_source(tmp_path / "src.gguf")
    dst = tmp_path / "missing" / "out.gguf"
    with pytest.raises(mwt.IoError) as e:
        mwt.quantize_file(src, dst, "Q8_0")
    assert str(dst) in str(e.value) and "mwt-quantize" not in str(e.value)
    r = _cli(str(src), str(dst), "--type", "Q8_0", "--json")
    assert r.returncode == 1, r
    err = json.loads(r.stdout)["error"]
    assert err["code"] == "IO" and str(dst) in err["message"]
    assert "Traceback" not in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["src.gguf"]


def test_unsupported_model_family_is_a_clean_error(tmp_path):
    bert = _bert_dir(tmp_path / "bert")
    dst = tmp_path / "out.gguf"
    with pytest.raises(mwt.UnsupportedFeatureError, match=r"'bert'.*supported; mwt converts llama"):
        mwt.quantize_file(bert, dst, "Q8_0")
    r = _cli(str(bert), str(dst))
    assert r.returncode == 2  # --type is required: a usage error, not a traceback
    r = _cli(str(bert), str(dst), "--type", "Q8_0")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "'bert'" in r.stderr and "llama" in r.stderr
    r = _cli(str(bert), str(dst), "--type", "Q8_0", "--json")
    assert r.returncode == 1
    assert json.loads(r.stdout)["error"]["code"] == "UNSUPPORTED_FEATURE"
    assert sorted(os.listdir(tmp_path)) == ["bert"]  # no output, no temp file or directory


def test_refused_destination_is_an_error_naming_it(tmp_path):
    src = _gguf_source(tmp_path / "src.gguf")
    fifo = tmp_path / "pipe.gguf"
    os.mkfifo(fifo)
    r = _cli(str(src), str(fifo), "--type", "Q8_0", "--json")
    assert r.returncode == 1
    err = json.loads(r.stdout)["error"]
    assert err["code"] == "IO" and "is a FIFO" in err["message"] and str(fifo) in err["message"]
    assert sorted(os.listdir(tmp_path)) == ["pipe.gguf", "src.gguf"]
