"""mwt.analyze / mwt.Architecture: the Python side of the library's architecture JSON (attribute
and item access, to_dict round trip, repr and HTML, WeightFile input, config.json, errors)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import numpy as np
import pytest

import mwt

H, FF, LAYERS, HEADS, KV = 128, 384, 3, 4, 2


def _llama_gguf(path: Path) -> None:
    rng = np.random.default_rng(5)
    kv = KV * (H // HEADS)
    t = {"token_embd.weight": rng.standard_normal((96, H)).astype(np.float32)}
    for i in range(LAYERS):
        for name, shape in (("attn_norm", (H,)), ("attn_q", (H, H)), ("attn_k", (kv, H)),
                            ("attn_v", (kv, H)), ("attn_output", (H, H)), ("ffn_norm", (H,)),
                            ("ffn_gate", (FF, H)), ("ffn_up", (FF, H)), ("ffn_down", (H, FF))):
            t[f"blk.{i}.{name}.weight"] = rng.standard_normal(shape).astype(np.float32)
    t["output_norm.weight"] = np.ones(H, np.float32)
    meta = {"general.architecture": "llama", "llama.block_count": LAYERS,
            "llama.context_length": 512, "llama.embedding_length": H,
            "llama.feed_forward_length": FF, "llama.attention.head_count": HEADS,
            "llama.attention.head_count_kv": KV, "llama.rope.dimension_count": H // HEADS}
    mwt.save_gguf(path, t, meta, metadata_types={k: "UINT32" for k in meta
                                                 if k != "general.architecture"})


@pytest.fixture(scope="module")
def gguf_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("analyze") / "tiny.gguf"
    _llama_gguf(path)
    return path


def test_attribute_and_item_access(gguf_path: Path) -> None:
    arch = mwt.analyze(gguf_path)
    assert isinstance(arch, mwt.Architecture) and arch.path == str(gguf_path)
    assert arch.naming == "gguf" and arch.model_type == "decoder"
    assert arch.family == "llama"
    assert (arch.num_layers, arch.hidden_size, arch.num_heads, arch.num_kv_heads) == \
        (LAYERS, H, HEADS, KV)
    assert arch.intermediate_size == FF and arch.vocab_size == 96
    assert arch.tied_embeddings is True  # no output.weight: the head is the embedding
    v = arch["num_layers"]
    assert v["value"] == LAYERS and v["source"] == "shapes" and isinstance(v["how"], str)
    assert arch.source("num_layers") == "shapes" and arch.source("naming") is None
    assert arch["max_position_embeddings"]["value"] == 512
    assert arch["max_position_embeddings"]["source"] == "metadata"
    assert arch.moe is None and arch.mla is None
    assert arch.disagreements == []
    pc = arch.parameter_count
    with mwt.open(gguf_path) as wf:
        assert pc["total"] == sum(t.numel for t in wf.tensors.values())
    with pytest.raises(AttributeError):
        arch.no_such_field  # noqa: B018
    with pytest.raises(KeyError):
        arch["no_such_field"]
    assert "num_layers" in arch and "num_layers" in dir(arch) and "schema" in arch.keys()


def test_to_dict_round_trip(gguf_path: Path) -> None:
    arch = mwt.analyze(gguf_path)
    d = arch.to_dict()
    assert d["schema"] == 1 and json.loads(json.dumps(d)) == d
    assert mwt.Architecture(d) == arch
    assert mwt.Architecture.from_json(arch.to_json()) == arch
    d["num_layers"]["value"] = 99  # a copy: the Architecture is unchanged
    arch["num_layers"]["value"] = 98
    assert arch.num_layers == LAYERS
    assert mwt.Architecture(d) != arch


def test_weightfile_input_is_not_reopened(gguf_path: Path) -> None:
    with mwt.open(gguf_path) as wf:
        a = mwt.analyze(wf)
        assert len(wf.tensors) > 0  # still open
    assert a == mwt.analyze(gguf_path)
    with pytest.raises(mwt.ClosedFileError):
        mwt.analyze(wf)


def test_repr_one_line_per_field_with_sources(gguf_path: Path) -> None:
    text = repr(mwt.analyze(gguf_path))
    lines = text.splitlines()
    assert lines[0].startswith("<Architecture llama decoder (gguf names)")
    by_field = {ln.split()[0]: ln.split()[1:] for ln in lines[1:]}
    assert by_field["num_layers"] == [str(LAYERS), "shapes"]
    assert by_field["hidden_size"] == [str(H), "shapes"]
    assert by_field["max_position_embeddings"][:2] == ["512", "metadata"]
    assert by_field["parameters"][0].replace(",", "").isdigit()
    assert text.endswith(">")


def _handmade() -> Dict[str, Any]:
    def v(value: Any, source: str, how: str = "test") -> Dict[str, Any]:
        return {"value": value, "source": source, "how": how}
    return {"schema": 1, "naming": "hf", "family": v("llama", "config.json"),
            "model_type": "decoder", "num_layers": v(30, "shapes", "<b>counted</b> & more"),
            "hidden_size": v(None, "undetermined"),
            "head_dim": {**v(64, "inferred"), "candidates": [64, 128]},
            "moe": {"num_experts": v(8, "shapes")}, "mla": None,
            "parameter_count": {"total": 123, "how": "sum"},
            "disagreements": [{"field": "num_layers", "weights": 30, "stated": 32,
                               "source": "config.json", "key": "num_hidden_layers"}],
            "notes": ["a <note>"]}


def test_html_escapes_and_highlights() -> None:
    arch = mwt.Architecture(_handmade())
    page = arch._repr_html_()
    assert "<b>counted</b>" not in page and "&lt;b&gt;counted&lt;/b&gt; &amp; more" in page
    assert "a &lt;note&gt;" in page
    row = next(r for r in page.split("<tr") if "<code>num_layers</code>" in r)
    assert "background-color" in row and "num_hidden_layers = 32" in row
    other = next(r for r in page.split("<tr") if "<code>head_dim</code>" in r)
    assert "background-color" not in other and "candidates: 64, 128" in other
    assert "<code>moe.num_experts</code>" in page
    assert [r.count("<td") for r in page.split("<tr")[2:]] == [4] * (len(page.split("<tr")) - 2)
    text = repr(arch)
    assert "disagreement: num_layers: weights 30, config.json num_hidden_layers = 32" in text
    assert arch.moe == {"num_experts": 8} and arch.hidden_size is None
    assert arch.head_dim == 64 and arch["head_dim"]["candidates"] == [64, 128]


def test_config_json_beside_the_weights(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    t = {"model.embed_tokens.weight": rng.standard_normal((50, 64)).astype(np.float32),
         "model.norm.weight": np.ones(64, np.float32)}
    for i in range(2):
        p = f"model.layers.{i}."
        for name, shape in (("input_layernorm", (64,)), ("post_attention_layernorm", (64,)),
                            ("self_attn.q_proj", (64, 64)), ("self_attn.k_proj", (32, 64)),
                            ("self_attn.v_proj", (32, 64)), ("self_attn.o_proj", (64, 64)),
                            ("mlp.gate_proj", (96, 64)), ("mlp.up_proj", (96, 64)),
                            ("mlp.down_proj", (64, 96))):
            t[p + name + ".weight"] = rng.standard_normal(shape).astype(np.float32)
    mwt.save_safetensors(tmp_path / "model.safetensors", t)
    (tmp_path / "config.json").write_text(json.dumps({
        "model_type": "llama", "num_hidden_layers": 3, "hidden_size": 64,
        "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 96,
        "max_position_embeddings": 777, "vocab_size": 50}))
    with_cfg = mwt.analyze(tmp_path / "model.safetensors")
    assert with_cfg.naming == "hf" and with_cfg.num_layers == 2  # the weights win
    assert with_cfg.max_position_embeddings == 777
    assert with_cfg["max_position_embeddings"]["source"] == "config.json"
    assert [d["field"] for d in with_cfg.disagreements] == ["num_layers"]
    assert with_cfg.disagreements[0]["stated"] == 3
    without = mwt.analyze(tmp_path / "model.safetensors", config=False)
    assert without.num_layers == 2 and without.disagreements == []
    assert without.max_position_embeddings is None
    assert mwt.analyze(tmp_path) == with_cfg  # the directory: same weights, same config.json


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(mwt.IoError):
        mwt.analyze(tmp_path / "missing.gguf")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a weight file at all")
    with pytest.raises(mwt.MwtError):
        mwt.analyze(junk)
    with pytest.raises(TypeError):
        mwt.analyze(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        mwt.Architecture([1, 2])  # type: ignore[arg-type]


def test_inspect_architecture_block(gguf_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mwt.cli import main

    assert main(["inspect", "--json", str(gguf_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["architecture"] == mwt.analyze(gguf_path).to_dict()
    assert main(["inspect", "--json", "--tensors", str(gguf_path)]) == 0
    assert "architecture" not in json.loads(capsys.readouterr().out)
    assert main(["inspect", "--architecture", str(gguf_path)]) == 0
    text = capsys.readouterr().out
    assert "architecture: llama, decoder, gguf tensor names" in text
    rows = {ln.split()[0]: ln.split()[1:] for ln in text.splitlines() if ln.startswith("  ")}
    assert rows["num_layers"] == [str(LAYERS), "shapes"]
    assert rows["max_position_embeddings"] == ["512", "metadata"]
    assert "metadata:" not in text and "tensors:" not in text  # only the chosen section
    assert main(["inspect", str(gguf_path)]) == 0
    assert "architecture: llama" in capsys.readouterr().out
