"""The writers' destination rules and kill -9 safety (docs/readers.md#writers-nothing-lost):
non-regular destinations refused, symlinks written through, stale temps of killed writers
removed, and a short recorded run of tools/kill_trials.py (a few SIGKILLs per writer)."""

from __future__ import annotations

import importlib.util
import os
import random
import stat
from pathlib import Path

import numpy as np
import pytest

import mwt

_ROOT = Path(__file__).resolve().parents[2]
TENSORS = {"w": np.arange(64, dtype=np.float32).reshape(8, 8)}


def _save(kind: str, path: Path) -> None:
    if kind == "safetensors":
        mwt.save_safetensors(path, TENSORS)
    else:
        mwt.save_gguf(path, TENSORS)


@pytest.mark.parametrize("kind", ["safetensors", "gguf"])
def test_a_fifo_destination_is_refused_and_left_alone(tmp_path, kind):
    fifo = tmp_path / "out.bin"
    os.mkfifo(fifo)
    with pytest.raises(mwt.IoError, match="is a FIFO") as e:
        _save(kind, fifo)
    assert str(fifo) in str(e.value)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["out.bin"]


@pytest.mark.parametrize("kind", ["safetensors", "gguf"])
def test_a_directory_destination_is_refused(tmp_path, kind):
    (tmp_path / "d").mkdir()
    with pytest.raises(mwt.IoError, match="is a directory"):
        _save(kind, tmp_path / "d")
    assert os.listdir(tmp_path / "d") == []


@pytest.mark.parametrize("kind", ["safetensors", "gguf"])
def test_a_symlink_destination_is_written_through(tmp_path, kind):
    real = tmp_path / "real"
    real.mkdir()
    (real / "model").write_bytes(b"old")
    link = tmp_path / "link"
    link.symlink_to("real/model")
    _save(kind, link)
    assert link.is_symlink() and os.readlink(link) == "real/model"
    with mwt.open(real / "model") as wf:
        np.testing.assert_array_equal(wf.tensors["w"].numpy(), TENSORS["w"])
    assert sorted(os.listdir(tmp_path)) == ["link", "real"]
    assert os.listdir(real) == ["model"]
    # A dangling link gets its target created.
    dangling = tmp_path / "dangling"
    dangling.symlink_to("real/fresh")
    _save(kind, dangling)
    assert dangling.is_symlink() and (real / "fresh").is_file()


def test_stale_temps_of_killed_writers_are_removed_by_the_next_write(tmp_path):
    stale = tmp_path / ".out.safetensors.mwt-tmp-q1W2e3"
    stale.write_bytes(b"partial")
    os.utime(stale, (1_000_000_000, 1_000_000_000))
    keep = tmp_path / ".notes.txt"
    keep.write_bytes(b"mine")
    os.utime(keep, (1_000_000_000, 1_000_000_000))
    mwt.save_safetensors(tmp_path / "out.safetensors", TENSORS)
    assert sorted(os.listdir(tmp_path)) == [".notes.txt", "out.safetensors"]


def _kill_trials():
    spec = importlib.util.spec_from_file_location("kill_trials", _ROOT / "tools/kill_trials.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("writer", ["save_safetensors", "save_gguf", "quantize"])
def test_kill_9_leaves_old_or_new_and_nothing_else(tmp_path, writer):
    r = _kill_trials().run_trials(writer, 5, 2.0, tmp_path, random.Random(11))
    assert r["old"] + r["new"] == 5, r
    assert r["partial"] == 0 and r["leftover_files"] == 0, r
