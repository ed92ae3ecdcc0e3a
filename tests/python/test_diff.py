"""`mwt diff` / mwt.diff: a model against its quantizations (only dtype changes and numeric
deltas, the deltas checked against numpy over gguf-py's own reading and dequantization), two
different models (exact missing / extra / reshaped lists), a transformers checkpoint against its
GGUF conversion (canonical names, rope permutation undone), exit codes and text output."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Dict, Tuple

import numpy as np
import pytest

import mwt
from mwt import _diff_values
from mwt.cli import main

gguf = pytest.importorskip("gguf")

H, FF, VOCAB, HEADS, KV_HEADS = 256, 512, 320, 4, 2
HEAD_DIM = H // HEADS
_KV = KV_HEADS * HEAD_DIM
_BLOCK = [("attn_norm", (H,)), ("attn_q", (H, H)), ("attn_k", (_KV, H)), ("attn_v", (_KV, H)),
          ("attn_output", (H, H)), ("ffn_norm", (H,))]
_HF_BLOCK = {"attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj",
             "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
             "attn_output": "self_attn.o_proj", "ffn_norm": "post_attention_layernorm",
             "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}


def _llama_tensors(layers: int, ff: int, seed: int, head: bool = True) -> Dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = {"token_embd.weight": rng.standard_normal((VOCAB, H)).astype(np.float32)}
    for i in range(layers):
        for name, shape in _BLOCK:
            t[f"blk.{i}.{name}.weight"] = rng.standard_normal(shape).astype(np.float32)
        for name, shape2 in (("ffn_gate", (ff, H)), ("ffn_up", (ff, H)), ("ffn_down", (H, ff))):
            t[f"blk.{i}.{name}.weight"] = rng.standard_normal(shape2).astype(np.float32)
    t["output_norm.weight"] = (1 + 0.1 * rng.standard_normal(H)).astype(np.float32)
    if head:
        t["output.weight"] = rng.standard_normal((VOCAB, H)).astype(np.float32)
    return t


def _llama_metadata(layers: int, ff: int) -> Tuple[Dict[str, Any], Dict[str, str]]:
    meta: Dict[str, Any] = {
        "general.architecture": "llama", "general.name": "tiny",
        "llama.block_count": layers, "llama.context_length": 256, "llama.embedding_length": H,
        "llama.feed_forward_length": ff, "llama.attention.head_count": HEADS,
        "llama.attention.head_count_kv": KV_HEADS, "llama.rope.dimension_count": HEAD_DIM,
        "llama.attention.layer_norm_rms_epsilon": 1e-5, "general.file_type": 0}
    types = {k: "UINT32" for k, v in meta.items() if isinstance(v, int)}
    return meta, types


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    d = tmp_path_factory.mktemp("diff")
    out = {"f32": d / "f32.gguf", "other": d / "other.gguf"}
    meta, types = _llama_metadata(2, FF)
    mwt.save_gguf(out["f32"], _llama_tensors(2, FF, 1), meta, metadata_types=types)
    meta3, types3 = _llama_metadata(3, 384)
    mwt.save_gguf(out["other"], _llama_tensors(3, 384, 2, head=False), meta3,
                  metadata_types=types3)
    for ftype in ("Q8_0", "Q4_K_M"):
        out[ftype] = d / f"{ftype}.gguf"
        mwt.quantize_file(out["f32"], out[ftype], ftype)
    return out


def _run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Dict[str, Any]:
    assert main(["diff", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def _expected_deltas(a: np.ndarray, b: np.ndarray) -> Dict[str, float]:
    a64, b64 = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    na, nb = np.linalg.norm(a64), np.linalg.norm(b64)
    return {"max_abs": float(np.max(np.abs(a64 - b64))),
            "rel_l2": float(np.linalg.norm(a64 - b64) / na),
            "cosine": float(a64 @ b64 / (na * nb)), "norm_a": float(na), "norm_b": float(nb)}


def _gguf_values(path: Path) -> Dict[str, Tuple[str, np.ndarray]]:
    """name -> (type name, float32 values in numpy order), read and decoded by gguf-py."""
    reader = gguf.GGUFReader(str(path))
    return {t.name: (t.tensor_type.name,
                     np.asarray(gguf.quants.dequantize(t.data, t.tensor_type), np.float32))
            for t in reader.tensors}


def _check_deltas(entry: Dict[str, Any], want: Dict[str, float]) -> None:
    for key, value in want.items():
        assert entry[key] == pytest.approx(value, rel=1e-9, abs=1e-12), (entry["name"], key)


# llama.cpp's llama_ftype values for general.file_type.
_FTYPE = {"Q8_0": 7, "Q4_K_M": 15}


@pytest.mark.parametrize("ftype", ["Q8_0", "Q4_K_M"])
def test_quantized_model_shows_only_dtypes_and_deltas(models: Dict[str, Path], ftype: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    d = _run_json(capsys, str(models["f32"]), str(models[ftype]))
    assert d["schema"] == 1
    assert d["missing"] == [] and d["extra"] == [] and d["reshaped"] == [] and d["layout"] == []
    a, b = _gguf_values(models["f32"]), _gguf_values(models[ftype])
    assert list(a) == list(b)
    want_changed = [n for n in a if a[n][0] != b[n][0]]
    assert [e["a_name"] for e in d["dtype_changed"]] == want_changed
    assert all(e["b_name"] == e["a_name"] for e in d["dtype_changed"])
    assert {e["a_name"]: (e["a_dtype"], e["b_dtype"]) for e in d["dtype_changed"]} == \
        {n: (a[n][0], b[n][0]) for n in want_changed}
    assert ftype != "Q8_0" or {e["b_dtype"] for e in d["dtype_changed"]} == {"Q8_0"}
    assert [t["a_name"] for t in d["tensors"]] == list(a)
    for entry in d["tensors"]:
        assert entry["skipped"] is None and entry["layout"] is None
        assert entry["b_name"] == entry["a_name"]
        va, vb = a[entry["a_name"]][1], b[entry["a_name"]][1]
        assert entry["shape"] == list(va.shape)
        _check_deltas(entry, _expected_deltas(va, vb))
        assert entry["nonfinite_a"] == 0 and entry["nonfinite_b"] == 0
        if entry["a_name"].endswith("_norm.weight"):  # F32 in every llama.cpp file type
            assert entry["max_abs"] == 0.0 and entry["rel_l2"] == 0.0
            assert entry["cosine"] == pytest.approx(1.0, abs=1e-12)
    assert d["summary"]["structural"] is False
    assert d["summary"]["dtype_changed"] == len(want_changed)
    assert d["metadata"] == {
        "only_a": [], "only_b": ["general.quantization_version"],
        "changed": [{"key": "general.file_type", "a_type": "UINT32", "b_type": "UINT32",
                     "a": 0, "b": _FTYPE[ftype]}]}
    assert d["architecture"]["compared"] is True
    assert d["architecture"]["changed"] == []


def test_two_models_structural_lists(models: Dict[str, Path],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    d = _run_json(capsys, str(models["f32"]), str(models["other"]))
    assert [e["a_name"] for e in d["missing"]] == ["output.weight"]
    assert d["missing"][0]["shape"] == [VOCAB, H] and d["missing"][0]["dtype"] == "F32"
    blk2 = [f"blk.2.{n}.weight" for n, _ in _BLOCK] + \
        [f"blk.2.{n}.weight" for n in ("ffn_gate", "ffn_up", "ffn_down")]
    assert sorted(e["b_name"] for e in d["extra"]) == sorted(blk2)
    reshaped = {e["a_name"]: (e["a_shape"], e["b_shape"]) for e in d["reshaped"]}
    want = {}
    for i in (0, 1):
        want[f"blk.{i}.ffn_gate.weight"] = ([FF, H], [384, H])
        want[f"blk.{i}.ffn_up.weight"] = ([FF, H], [384, H])
        want[f"blk.{i}.ffn_down.weight"] = ([H, FF], [H, 384])
    assert reshaped == want
    assert d["dtype_changed"] == []
    # Reshaped pairs get no numeric entry; every other common tensor does.
    assert len(d["tensors"]) == d["summary"]["matched"] - len(want)
    assert d["summary"]["structural"] is True
    changed = {c["key"]: (c["a"], c["b"]) for c in d["metadata"]["changed"]}
    assert changed == {"llama.block_count": (2, 3), "llama.feed_forward_length": (FF, 384)}
    arch = {c["field"]: (c["a"], c["b"]) for c in d["architecture"]["changed"]}
    assert arch["num_layers"] == (2, 3)
    assert arch["intermediate_size"] == (FF, 384)
    assert main(["diff", "--fail-on-structural", str(models["f32"]), str(models["other"])]) == 3
    text = capsys.readouterr().out
    assert text.startswith("structurally different: ")
    assert "missing (in A only): 1" in text and "reshaped: 6" in text


def test_fail_on_structural_passes_for_quantization(models: Dict[str, Path],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--fail-on-structural", str(models["f32"]), str(models["Q8_0"])]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith("same structure: ") and "0 missing, 0 extra, 0 reshaped" in first
    assert "dtype changes: " in out and "numeric deltas (worst relative L2 first)" in out


def test_chunked_reading_matches_whole(models: Dict[str, Path],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    whole = mwt.diff(models["f32"], models["Q4_K_M"], architecture=False).tensors
    monkeypatch.setattr(_diff_values, "CHUNK_VALUES", 1000)  # several chunks per tensor
    chunked = mwt.diff(models["f32"], models["Q4_K_M"], architecture=False).tensors
    assert [t["name"] for t in chunked] == [t["name"] for t in whole]
    for x, y in zip(whole, chunked):
        for key in ("max_abs", "rel_l2", "cosine", "norm_a", "norm_b"):
            assert x[key] == pytest.approx(y[key], rel=1e-10), (x["name"], key)


def test_weightfile_inputs_stay_open(models: Dict[str, Path]) -> None:
    with mwt.open(models["f32"]) as wa, mwt.open(models["Q8_0"]) as wb:
        r = mwt.diff(wa, wb, values=False, architecture=False)
        assert r.tensors == [] and r.dtype_changed and not r.structural
        assert len(wa.tensors) == r.matched  # still open
    with pytest.raises(TypeError):
        mwt.diff(1, models["f32"])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        mwt.diff(models["f32"], models["f32"], names="fuzzy")


def test_same_file_is_identical(models: Dict[str, Path]) -> None:
    r = mwt.diff(models["Q4_K_M"], models["Q4_K_M"])
    assert not r.structural and r.dtype_changed == [] and r.architecture["changed"] == []
    assert all(t["max_abs"] == 0.0 and t["rel_l2"] == 0.0 for t in r.tensors)
    assert r.summary()["identical"] == len(r.tensors)


def test_zero_and_nonfinite_tensors(tmp_path: Path) -> None:
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    mwt.save_safetensors(a, {"z": np.zeros(4, np.float32), "n": np.array([1.0, 2.0], np.float32),
                             "i": np.array([1, 2, 3], np.int32)})
    mwt.save_safetensors(b, {"z": np.array([0, 0, 1, 0], np.float32),
                             "n": np.array([1.0, np.nan], np.float32),
                             "i": np.array([1, 2, 5], np.int64)})
    r = {t["name"]: t for t in mwt.diff(a, b).tensors}
    assert r["z"]["rel_l2"] is None and r["z"]["cosine"] is None and r["z"]["max_abs"] == 1.0
    assert r["n"]["nonfinite_b"] == 1 and math.isnan(r["n"]["max_abs"])
    assert r["i"]["max_abs"] == 2.0 and r["i"]["a_dtype"] == "I32"


def test_file_and_usage_errors(tmp_path: Path, models: Dict[str, Path],
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(tmp_path / "nope.gguf"), str(models["f32"])]) == 1
    assert "error" in capsys.readouterr().err
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00")
    assert main(["diff", "--json", str(models["f32"]), str(bad)]) == 1
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "TRUNCATED"
    with pytest.raises(SystemExit) as e:
        main(["diff", str(models["f32"])])
    assert e.value.code == 2


def _hf_rows_of_gguf(rows: int, heads: int) -> np.ndarray:
    """For each GGUF row of a llama q/k matrix, the transformers row it holds: within a head
    of size hd, GGUF row 2j + s is transformers row s * hd/2 + j."""
    hd = rows // heads
    return np.array([h * hd + s * (hd // 2) + j
                     for h in range(heads) for j in range(hd // 2) for s in (0, 1)])


@pytest.fixture(scope="module")
def hf_model(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, Path]:
    d = tmp_path_factory.mktemp("hf")
    g = _llama_tensors(2, FF, 3)
    hf: Dict[str, np.ndarray] = {"model.embed_tokens.weight": g["token_embd.weight"],
                                 "model.norm.weight": g["output_norm.weight"],
                                 "lm_head.weight": g["output.weight"]}
    for i in range(2):
        for gname, hname in _HF_BLOCK.items():
            hf[f"model.layers.{i}.{hname}.weight"] = g[f"blk.{i}.{gname}.weight"]
    model = d / "model"
    model.mkdir()
    mwt.save_safetensors(model / "model.safetensors", hf)
    (model / "config.json").write_text(json.dumps({
        "model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": H,
        "intermediate_size": FF, "num_hidden_layers": 2, "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS, "vocab_size": VOCAB, "max_position_embeddings": 256,
        "rms_norm_eps": 1e-5, "hidden_act": "silu", "tie_word_embeddings": False}))
    q8 = d / "q8.gguf"
    mwt.quantize_file(model, q8, "Q8_0")  # converts (permuting q/k rows), then quantizes
    return model / "model.safetensors", q8


@pytest.mark.parametrize("order", ["hf_first", "gguf_first"])
def test_hf_checkpoint_against_its_gguf(hf_model: Tuple[Path, Path], order: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    st, q8 = hf_model
    a, b = (st, q8) if order == "hf_first" else (q8, st)
    d = _run_json(capsys, str(a), str(b))
    assert d["matched_by"] == "canonical"
    assert (d["a"]["naming"], d["b"]["naming"]) == \
        (("hf", "gguf") if order == "hf_first" else ("gguf", "hf"))
    assert d["missing"] == [] and d["extra"] == [] and d["reshaped"] == []
    qk = [f"blk.{i}.attn_{x}.weight" for i in range(2) for x in ("q", "k")]
    gguf_side = "b_name" if order == "hf_first" else "a_name"
    assert sorted(e[gguf_side] for e in d["layout"]) == sorted(qk)
    assert {e["kind"] for e in d["layout"]} == {"rope_permutation"}
    gv = _gguf_values(q8)
    with mwt.open(st) as wf:
        hv = {n: np.asarray(t) for n, t in wf.tensors.items()}
    assert d["summary"]["matched"] == len(gv) == len(hv)
    for entry in d["tensors"]:
        hname, gname = (entry["a_name"], entry["b_name"]) if order == "hf_first" \
            else (entry["b_name"], entry["a_name"])
        gtype, g = gv[gname]
        if gname in qk:
            heads = HEADS if ".attn_q." in gname else KV_HEADS
            restored = np.empty_like(g)
            restored[_hf_rows_of_gguf(g.shape[0], heads)] = g
            g = restored
        want = _expected_deltas(hv[hname], g) if order == "hf_first" \
            else _expected_deltas(g, hv[hname])
        _check_deltas(entry, want)
        assert entry["rel_l2"] < 0.01  # Q8_0 error, not a permutation's ~1.4
        assert (entry["layout"] == "rope_permutation") == (gname in qk)
        assert gtype in ("Q8_0", "F32")
    arch = {c["field"] for c in d["architecture"]["changed"]}
    assert not arch & {"num_layers", "hidden_size", "num_heads", "num_kv_heads", "vocab_size",
                       "head_dim", "intermediate_size", "family"}


def test_exact_names_do_not_match_across_schemes(hf_model: Tuple[Path, Path],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    st, q8 = hf_model
    d = _run_json(capsys, "--exact-names", "--no-values", str(st), str(q8))
    assert d["matched_by"] == "exact" and d["summary"]["matched"] == 0
    assert len(d["missing"]) == len(d["extra"]) and d["tensors"] == []


def test_gpt2_conv1d_transpose_is_a_layout_note(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(7)
    h, v, p = 64, 40, 32
    hf: Dict[str, np.ndarray] = {"transformer.wte.weight": rng.standard_normal((v, h)),
                                 "transformer.wpe.weight": rng.standard_normal((p, h)),
                                 "transformer.ln_f.weight": rng.standard_normal(h),
                                 "transformer.ln_f.bias": rng.standard_normal(h)}
    gg: Dict[str, np.ndarray] = {"token_embd.weight": hf["transformer.wte.weight"],
                                 "position_embd.weight": hf["transformer.wpe.weight"],
                                 "output_norm.weight": hf["transformer.ln_f.weight"],
                                 "output_norm.bias": hf["transformer.ln_f.bias"]}
    conv = {"attn.c_attn": ("attn_qkv", (h, 3 * h)), "attn.c_proj": ("attn_output", (h, h)),
            "mlp.c_fc": ("ffn_up", (h, 4 * h)), "mlp.c_proj": ("ffn_down", (4 * h, h))}
    for i in range(2):
        for norm, gname in (("ln_1", "attn_norm"), ("ln_2", "ffn_norm")):
            for s in ("weight", "bias"):
                w = rng.standard_normal(h)
                hf[f"transformer.h.{i}.{norm}.{s}"] = w
                gg[f"blk.{i}.{gname}.{s}"] = w
        for hname, (gname, shape) in conv.items():
            w = rng.standard_normal(shape)
            b = rng.standard_normal(shape[1])
            hf[f"transformer.h.{i}.{hname}.weight"] = w  # Conv1D: (in, out)
            hf[f"transformer.h.{i}.{hname}.bias"] = b
            gg[f"blk.{i}.{gname}.weight"] = w.T.copy()  # GGUF: (out, in)
            gg[f"blk.{i}.{gname}.bias"] = b
    hf32 = {k: np.asarray(x, np.float32) for k, x in hf.items()}
    gg32 = {k: np.asarray(x, np.float32) for k, x in gg.items()}
    gg32["blk.1.ffn_down.weight"] = gg32["blk.1.ffn_down.weight"] * np.float32(2)
    mwt.save_safetensors(tmp_path / "model.safetensors", hf32)
    (tmp_path / "config.json").write_text(json.dumps({
        "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_embd": h, "n_layer": 2,
        "n_head": 4, "n_positions": p, "vocab_size": v}))
    mwt.save_gguf(tmp_path / "gpt2.gguf", gg32, {
        "general.architecture": "gpt2", "gpt2.block_count": 2, "gpt2.embedding_length": h,
        "gpt2.attention.head_count": 4, "gpt2.context_length": p},
        metadata_types={"gpt2.block_count": "UINT32", "gpt2.embedding_length": "UINT32",
                        "gpt2.attention.head_count": "UINT32", "gpt2.context_length": "UINT32"})
    for a, b in (("model.safetensors", "gpt2.gguf"), ("gpt2.gguf", "model.safetensors")):
        d = _run_json(capsys, str(tmp_path / a), str(tmp_path / b))
        assert d["matched_by"] == "canonical"
        assert d["missing"] == [] and d["extra"] == [] and d["reshaped"] == []
        side = "b_name" if a == "model.safetensors" else "a_name"
        assert sorted(e[side] for e in d["layout"]) == sorted(
            f"blk.{i}.{g}.weight" for i in range(2) for g, _ in conv.values())
        assert {e["kind"] for e in d["layout"]} == {"conv1d_transpose"}
        for t in d["tensors"]:
            gname = t[side]
            if gname == "blk.1.ffn_down.weight":  # b = 2a or a = 2b
                w = np.asarray(gg[gname], np.float32).astype(np.float64)
                want = _expected_deltas(w, 2 * w) if a == "model.safetensors" \
                    else _expected_deltas(2 * w, w)
                _check_deltas(t, want)
            else:
                assert t["max_abs"] == 0.0 and t["rel_l2"] == 0.0, gname


def test_progress_bar_on_request(models: Dict[str, Path],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--progress", str(models["f32"]), str(models["Q8_0"])]) == 0
    err = capsys.readouterr().err
    assert "\rdiff [" in err and err.endswith("\n")
    assert main(["diff", str(models["f32"]), str(models["Q8_0"])]) == 0  # not a terminal
    assert capsys.readouterr().err == ""
