"""Hugging Face cache names (mwt._hub): a fake cache laid out as huggingface_hub lays it out
(snapshots/<commit>/<file> are symbolic links into blobs/), resolved offline."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import mwt
from mwt import _hub
from mwt.cli import main

COMMIT_MAIN = "a" * 40
COMMIT_OLD = "0123456789abcdef0123456789abcdef01234567"


def _add_file(repo: Path, commit: str, name: str, data: bytes) -> None:
    blob = repo / "blobs" / f"blob-{commit[:6]}-{name.replace('/', '_')}"
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(data)
    link = repo / "snapshots" / commit / name
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(blob, link.parent), link)


def _safetensors_bytes(tmp: Path, tensors: dict) -> bytes:
    path = tmp / "scratch.safetensors"
    mwt.save_safetensors(path, tensors)
    data = path.read_bytes()
    path.unlink()
    return data


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "hub"
    repo = root / "models--TestOrg--tiny-model"
    new = {"model.embed_tokens.weight": np.arange(12, dtype=np.float32).reshape(3, 4)}
    old = {"model.embed_tokens.weight": np.zeros((2, 4), np.float32)}
    _add_file(repo, COMMIT_MAIN, "model.safetensors", _safetensors_bytes(tmp_path, new))
    config = {"model_type": "llama", "max_position_embeddings": 4096}
    _add_file(repo, COMMIT_MAIN, "config.json", json.dumps(config).encode())
    _add_file(repo, COMMIT_OLD, "model.safetensors", _safetensors_bytes(tmp_path, old))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT_MAIN)  # no newline, as the hub writes it
    (repo / "refs" / "v1").write_text(COMMIT_OLD + "\n")
    monkeypatch.setenv("HF_HUB_CACHE", str(root))
    monkeypatch.chdir(tmp_path)
    return root


def test_cache_dir_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _hub.cache_dir() == tmp_path / ".cache" / "huggingface" / "hub"
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    assert _hub.cache_dir() == tmp_path / "home" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "c"))
    assert _hub.cache_dir() == tmp_path / "c"


def test_open_main_and_revisions(cache: Path) -> None:
    with mwt.open("TestOrg/tiny-model") as wf:
        snap = cache / "models--TestOrg--tiny-model" / "snapshots" / COMMIT_MAIN
        assert wf.path == str(snap / "model.safetensors")  # the snapshot path, not the blob
        assert np.asarray(wf.tensors["model.embed_tokens.weight"]).tolist() == \
            np.arange(12, dtype=np.float32).reshape(3, 4).tolist()
    for rev in ("v1", COMMIT_OLD):
        with mwt.open(f"TestOrg/tiny-model@{rev}") as wf:
            assert wf.tensors["model.embed_tokens.weight"].shape == (2, 4)
    found = _hub.resolve("TestOrg/tiny-model@v1")
    assert (found.commit, found.revision, found.repo_id) == (COMMIT_OLD, "v1",
                                                             "TestOrg/tiny-model")


def test_existing_path_wins(cache: Path, tmp_path: Path) -> None:
    local = tmp_path / "TestOrg" / "tiny-model"
    local.mkdir(parents=True)
    mwt.save_safetensors(local / "model.safetensors", {"x": np.ones(5, np.float32)})
    with mwt.open("TestOrg/tiny-model") as wf:  # relative to the cwd (tmp_path)
        assert list(wf.tensors) == ["x"]


def test_errors_name_the_cache_and_revisions(cache: Path) -> None:
    with pytest.raises(mwt.IoError) as e:
        mwt.open("TestOrg/other-model")
    assert str(cache) in str(e.value) and "TestOrg/tiny-model" in str(e.value)
    with pytest.raises(mwt.IoError) as e:
        mwt.open("TestOrg/tiny-model@dev")
    msg = str(e.value)
    assert "'dev'" in msg and "refs main, v1" in msg and COMMIT_OLD in msg
    with pytest.raises(mwt.IoError):
        mwt.open("TestOrg/tiny-model@../../x")
    with pytest.raises(mwt.IoError):  # not a hub name: the library's own error
        mwt.open("no-such-file.gguf")


def test_snapshot_without_weights_or_with_several(cache: Path) -> None:
    repo = cache / "models--TestOrg--tiny-model"
    commit = "b" * 40
    _add_file(repo, commit, "config.json", b"{}")
    (repo / "refs" / "cfg").write_text(commit)
    with pytest.raises(mwt.UnsupportedFormatError, match="config.json"):
        mwt.open("TestOrg/tiny-model@cfg")
    _add_file(repo, commit, "a.gguf", b"x")
    _add_file(repo, commit, "b.gguf", b"y")
    with pytest.raises(mwt.UnsupportedFormatError, match="a.gguf, b.gguf"):
        mwt.open("TestOrg/tiny-model@cfg")


def test_broken_blob_link(cache: Path) -> None:
    repo = cache / "models--TestOrg--tiny-model"
    for blob in (repo / "blobs").iterdir():
        if COMMIT_MAIN[:6] in blob.name and "model" in blob.name:
            blob.unlink()
    with pytest.raises(mwt.IoError, match="incomplete download"):
        mwt.open("TestOrg/tiny-model")


def test_cli_inspect_hub_name(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "--json", "--tensors", "TestOrg/tiny-model"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in report["tensors"]] == ["model.embed_tokens.weight"]
    assert main(["inspect", "TestOrg/missing"]) == 1
    assert "Hugging Face cache" in capsys.readouterr().err


def test_analyze_and_diff_read_the_snapshot(cache: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    arch = mwt.analyze("TestOrg/tiny-model")
    # config.json is found beside the weights in the snapshot (a link into blobs/ too)
    assert arch["max_position_embeddings"]["value"] == 4096
    assert arch["max_position_embeddings"]["source"] == "config.json"
    assert mwt.analyze("TestOrg/tiny-model", config=False).max_position_embeddings is None
    assert main(["diff", "--json", "TestOrg/tiny-model@v1", "TestOrg/tiny-model"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["b"]["path"].endswith(f"snapshots/{COMMIT_MAIN}/model.safetensors")
    assert [(e["a_shape"], e["b_shape"]) for e in d["reshaped"]] == [([2, 4], [3, 4])]
