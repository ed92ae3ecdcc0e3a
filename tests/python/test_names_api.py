"""mwt.names: the library's name tables from Python (transformers <-> GGUF <-> canonical)."""

from __future__ import annotations

import pytest

import mwt
from mwt import names


def test_llama_names_round_trip() -> None:
    hf, gg = "model.layers.3.mlp.down_proj.weight", "blk.3.ffn_down.weight"
    assert names.to_gguf(hf, "llama") == gg
    assert names.to_hf(gg, "llama") == hf
    canon = names.to_canonical(hf, "llama")
    assert canon is not None and canon == names.to_canonical(gg, "llama")
    assert names.to_hf(canon, "llama") == hf and names.to_gguf(canon, "llama") == gg
    assert names.to_gguf("model.embed_tokens.weight", "llama") == "token_embd.weight"
    assert names.to_gguf("lm_head.weight", "llama") == "output.weight"
    assert names.to_hf("blk.0.attn_q.bias", "llama") == "model.layers.0.self_attn.q_proj.bias"
    assert names.convert(gg, "llama", "hf") == hf


def test_unknown_names_and_families() -> None:
    assert names.to_gguf("model.layers.0.something_else.weight", "llama") is None
    assert names.to_canonical("", "llama") is None
    with pytest.raises(mwt.MwtError):
        names.to_gguf("model.embed_tokens.weight", "no-such-family")
    with pytest.raises(ValueError):
        names.convert("x", "llama", "onnx")
    with pytest.raises(TypeError):
        names.to_hf(b"blk.0.attn_q.weight", "llama")  # type: ignore[arg-type]


def test_families() -> None:
    fams = names.families()
    assert isinstance(fams, list) and all(isinstance(f, str) for f in fams)
    assert fams == sorted(fams) and len(set(fams)) == len(fams)
    assert {"llama", "qwen2", "gpt2"} <= set(fams)
    for fam in fams:  # every family maps its own canonical embedding name (or has none)
        got = names.to_canonical("blocks.0.attn_norm.weight", fam)
        assert got is None or isinstance(got, str)
