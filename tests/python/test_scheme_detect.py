"""Quantization scheme detection of safetensors checkpoints through ``mwt.open(path).quantization``:
real files written with safetensors.numpy / safetensors.torch in each library's documented layout
(AutoGPTQ/GPTQModel, AutoAWQ GEMM, bitsandbytes as transformers serializes it, FP8 with three
scale layouts, compressed-tensors pack-quantized, MLX ``mx.quantize``) under transformers-style
names, fake-quantized float weights, plain float models (no false positives) and hostile config
files beside the weights."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

st_numpy = pytest.importorskip("safetensors.numpy")
mwt = pytest.importorskip("mwt")

HIDDEN, INTER, KV, VOCAB, LAYERS = 256, 512, 128, 320, 2
# (module suffix, in_features, out_features) of one decoder layer's linear layers.
LINEARS = [
    ("self_attn.q_proj", HIDDEN, HIDDEN), ("self_attn.k_proj", HIDDEN, KV),
    ("self_attn.v_proj", HIDDEN, KV), ("self_attn.o_proj", HIDDEN, HIDDEN),
    ("mlp.gate_proj", HIDDEN, INTER), ("mlp.up_proj", HIDDEN, INTER),
    ("mlp.down_proj", INTER, HIDDEN),
]
N_MODULES = LAYERS * len(LINEARS)
MODULE_NAMES = {f"model.layers.{i}.{name}" for i in range(LAYERS) for name, _, _ in LINEARS}
AWQ_ORDER = [0, 2, 4, 6, 1, 3, 5, 7]
NF4_MAP = [-1.0, -0.6961928, -0.5250731, -0.3949175, -0.2844414, -0.1848449, -0.0910500, 0.0,
           0.0795803, 0.1609302, 0.2461123, 0.3379152, 0.4407098, 0.5626170, 0.7229568, 1.0]
FP4_MAP = [0.0, 0.0052083, 0.6666667, 1.0, 0.3333333, 0.5, 0.1666667, 0.25,
           -0.0, -0.0052083, -0.6666667, -1.0, -0.3333333, -0.5, -0.1666667, -0.25]


# ------------------------------------------------------------------------------ layouts

def pack_stream(vals: np.ndarray, bits: int) -> np.ndarray:
    """Pack the last axis of unsigned `vals` as a little-endian bit stream of `bits`-bit fields
    in 32-bit words (fields may cross words), low bits first; returns int32."""
    vals = np.asarray(vals, dtype=np.uint64)
    n = vals.shape[-1]
    stream = ((vals[..., None] >> np.arange(bits, dtype=np.uint64)) & 1)
    stream = stream.reshape(*vals.shape[:-1], n * bits)
    pad = (-stream.shape[-1]) % 32
    if pad:
        stream = np.concatenate([stream, np.zeros((*stream.shape[:-1], pad), np.uint64)], axis=-1)
    words = stream.reshape(*stream.shape[:-1], -1, 32)
    packed = (words << np.arange(32, dtype=np.uint64)).sum(axis=-1, dtype=np.uint64)
    return packed.astype(np.uint32).view(np.int32)


def unpack_stream(words: np.ndarray, bits: int, n: int) -> np.ndarray:
    w = np.asarray(words).view(np.uint32).astype(np.uint64)
    stream = ((w[..., None] >> np.arange(32, dtype=np.uint64)) & 1).reshape(*w.shape[:-1], -1)
    fields = stream[..., : n * bits].reshape(*w.shape[:-1], n, bits)
    return (fields << np.arange(bits, dtype=np.uint64)).sum(axis=-1)


def gptq_module(rng, prefix, in_f, out_f, bits, group_size, desc_act, sym, zero_offset=1):
    """AutoGPTQ / GPTQModel QuantLinear: qweight int32 [in/32*bits, out] packed along the input
    dim, qzeros int32 [groups, out/32*bits] along the output dim (stored zero - 1 in the original
    'gptq' format), scales f16 [groups, out], g_idx int32 [in]."""
    g = in_f if group_size == -1 else group_size
    groups = math.ceil(in_f / g)
    q = rng.integers(0, 2 ** bits, size=(in_f, out_f))
    qweight = pack_stream(q.T, bits).T.copy()
    assert qweight.shape == (in_f // 32 * bits, out_f)
    if sym:
        zeros = np.full((groups, out_f), 2 ** (bits - 1))
    else:
        zeros = rng.integers(1, 2 ** bits, size=(groups, out_f))
    qzeros = pack_stream(zeros - zero_offset, bits)
    assert qzeros.shape == (groups, out_f // 32 * bits)
    if desc_act:
        perm = rng.permutation(in_f)
        g_idx = np.empty(in_f, np.int32)
        g_idx[perm] = np.arange(in_f) // g
    else:
        g_idx = (np.arange(in_f) // g).astype(np.int32)
    return {
        f"{prefix}.qweight": qweight,
        f"{prefix}.qzeros": qzeros,
        f"{prefix}.scales": (rng.random((groups, out_f)) * 0.01).astype(np.float16),
        f"{prefix}.g_idx": g_idx,
        f"{prefix}.bias": np.zeros(out_f, np.float16),
    }


def awq_pack(q: np.ndarray) -> np.ndarray:
    """AutoAWQ GEMM: 8 4-bit values per int32 along the output dim, nibble i holding column
    8*word + AWQ_ORDER[i]."""
    rows, cols = q.shape
    out = np.zeros((rows, cols // 8), np.uint32)
    for i, col in enumerate(AWQ_ORDER):
        out |= (q[:, col::8].astype(np.uint32) & 0xF) << np.uint32(4 * i)
    return out.view(np.int32)


def awq_module(rng, prefix, in_f, out_f, group_size):
    groups = in_f // group_size
    return {
        f"{prefix}.qweight": awq_pack(rng.integers(0, 16, size=(in_f, out_f))),
        f"{prefix}.qzeros": awq_pack(rng.integers(0, 16, size=(groups, out_f))),
        f"{prefix}.scales": (rng.random((groups, out_f)) * 0.01).astype(np.float16),
    }


def bnb4_module(rng, prefix, in_f, out_f, quant_type, blocksize=64, double_quant=False):
    """transformers' serialization of a bitsandbytes Params4bit: packed uint8 [n/2, 1] plus the
    quant_state's tensors and its JSON as a uint8 tensor."""
    n = in_f * out_f
    nblocks = math.ceil(n / blocksize)
    state = {"quant_type": quant_type, "blocksize": blocksize, "dtype": "bfloat16",
             "shape": [out_f, in_f]}
    t = {
        f"{prefix}.weight": rng.integers(0, 256, size=(n // 2, 1)).astype(np.uint8),
        f"{prefix}.weight.quant_map": np.array(NF4_MAP if quant_type == "nf4" else FP4_MAP,
                                                 np.float32),
    }
    if double_quant:
        t[f"{prefix}.weight.absmax"] = rng.integers(0, 256, size=nblocks).astype(np.uint8)
        t[f"{prefix}.weight.nested_absmax"] = (
            rng.random(math.ceil(nblocks / 256)).astype(np.float32))
        t[f"{prefix}.weight.nested_quant_map"] = np.linspace(-1, 1, 256).astype(np.float32)
        state.update({"nested_blocksize": 256, "nested_dtype": "float32", "nested_offset": 0.0123})
    else:
        t[f"{prefix}.weight.absmax"] = rng.random(nblocks).astype(np.float32)
    blob = json.dumps(state).encode()
    t[f"{prefix}.weight.quant_state.bitsandbytes__{quant_type}"] = (
        np.frombuffer(blob, np.uint8).copy())
    return t


def bnb8_module(rng, prefix, in_f, out_f):
    return {
        f"{prefix}.weight": rng.integers(-127, 128, size=(out_f, in_f)).astype(np.int8),
        f"{prefix}.SCB": rng.random(out_f).astype(np.float32),
        f"{prefix}.weight_format": np.array(0, np.uint8),
    }


def ct_module(rng, prefix, in_f, out_f, bits, group_size, sym):
    """compressed-tensors pack-quantized: signed values offset by 2^(bits-1), packed 32/bits per
    int32 along the input dim, low bits first; scales [out, in/group]; weight_shape [out, in]."""
    q = rng.integers(0, 2 ** bits, size=(out_f, in_f))
    groups = 1 if group_size == -1 else in_f // group_size
    t = {
        f"{prefix}.weight_packed": pack_stream(q, bits),
        f"{prefix}.weight_scale": (rng.random((out_f, groups)) * 0.01).astype(np.float16),
        f"{prefix}.weight_shape": np.array([out_f, in_f], np.int64),
    }
    if not sym:
        t[f"{prefix}.weight_zero_point"] = rng.integers(-8, 8, size=(out_f, groups)).astype(np.int8)
    return t


def mlx_module(rng, prefix, in_f, out_f, bits, group_size):
    """mx.quantize: uint32 [out, in*bits/32] packed along the last dim low bits first; scales and
    biases [out, in/group_size]."""
    q = rng.integers(0, 2 ** bits, size=(out_f, in_f))
    groups = in_f // group_size
    return {
        f"{prefix}.weight": pack_stream(q, bits).view(np.uint32),
        f"{prefix}.scales": (rng.random((out_f, groups)) * 0.01).astype(np.float16),
        f"{prefix}.biases": (rng.random((out_f, groups)) * -0.05).astype(np.float16),
    }


def float_skeleton(rng, dtype=np.float16):
    """The unquantized rest of a decoder: embeddings, norms, lm_head (random normal)."""
    t = {
        "model.embed_tokens.weight": (rng.standard_normal((VOCAB, HIDDEN)) * 0.02).astype(dtype),
        "model.norm.weight": np.ones(HIDDEN, dtype),
        "lm_head.weight": (rng.standard_normal((VOCAB, HIDDEN)) * 0.02).astype(dtype),
    }
    for i in range(LAYERS):
        t[f"model.layers.{i}.input_layernorm.weight"] = np.ones(HIDDEN, dtype)
        t[f"model.layers.{i}.post_attention_layernorm.weight"] = np.ones(HIDDEN, dtype)
    return t


def model(rng, module_fn, skeleton=True):
    t = float_skeleton(rng) if skeleton else {}
    for i in range(LAYERS):
        for name, in_f, out_f in LINEARS:
            t.update(module_fn(f"model.layers.{i}.{name}", in_f, out_f))
    return t


def save(tmp_path, tensors, config=None, quantize_config=None, name="model.safetensors"):
    path = tmp_path / name
    st_numpy.save_file(tensors, str(path))
    if config is not None:
        (tmp_path / "config.json").write_text(json.dumps(config))
    if quantize_config is not None:
        (tmp_path / "quantize_config.json").write_text(json.dumps(quantize_config))
    return str(path)


def report(path):
    q = mwt.open(path).quantization
    assert q["format"] == "safetensors"
    return q


def no_false_fake_quant(q):
    assert q["fake_quant"] == [], q["fake_quant"]


# ------------------------------------------------------------------------------ tests

def test_pack_stream_roundtrip():
    rng = np.random.default_rng(0)
    for bits in (2, 3, 4, 5, 6, 8):
        v = rng.integers(0, 2 ** bits, size=(3, 96))
        assert (unpack_stream(pack_stream(v, bits), bits, 96) == v).all()
    # AutoGPTQ's hand-written 3-bit layout: value 10 straddles words 0 and 1.
    v = np.zeros(32, np.int64)
    v[10] = 0b101
    w = pack_stream(v, 3).view(np.uint32)
    assert w[0] == 1 << 30 and w[1] == 1


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
@pytest.mark.parametrize("group_size", [32, 64, 128, -1])
def test_gptq_bits_and_group_size(tmp_path, bits, group_size):
    rng = np.random.default_rng(bits * 1000 + group_size)
    t = model(rng, lambda p, i, o: gptq_module(rng, p, i, o, bits, group_size, False, True))
    q = report(save(tmp_path, t))
    assert q["scheme"] == "GPTQ"
    (m,) = q["methods"]
    assert m["method"] == "gptq"
    assert m["bits"] == bits
    assert m["group_size"] == group_size
    assert m["modules"] == N_MODULES
    assert "variants" not in m
    assert m["g_idx"] is True
    assert m["desc_act"] is False
    assert m["sym"] is True
    assert m["zeros_stored"] == "zero-1"
    p = m["packing"]
    assert (p["container"], p["axis"], p["order"], p["low_bits_first"], p["zeros_axis"]) == \
        ("int32", "input", "sequential", True, "output")
    assert p["bits_per_value"] == bits
    assert p["spans_words"] == (32 % bits != 0)
    if 32 % bits == 0:
        assert p["values_per_word"] == 32 // bits
    else:
        assert "values_per_word" not in p
    assert m["example"] in MODULE_NAMES
    no_false_fake_quant(q)
    assert q["float_weights"] == 2  # embed_tokens, lm_head
    assert "config" not in q and "unrecognized" not in q


@pytest.mark.parametrize("group_size", [32, 128])
def test_gptq_desc_act_from_permuted_g_idx(tmp_path, group_size):
    rng = np.random.default_rng(7)
    t = model(rng, lambda p, i, o: gptq_module(rng, p, i, o, 4, group_size, True, False))
    q = report(save(tmp_path, t))
    (m,) = q["methods"]
    assert m["desc_act"] is True
    assert m["group_size"] == group_size  # recovered from the permuted g_idx
    assert m["sym"] is False


def test_gptq_quantize_config_agrees_and_disagrees(tmp_path):
    rng = np.random.default_rng(8)
    t = model(rng, lambda p, i, o: gptq_module(rng, p, i, o, 4, 128, True, True))
    qc = {"bits": 4, "group_size": 128, "desc_act": True, "sym": True, "damp_percent": 0.01,
          "static_groups": False, "true_sequential": True, "quant_method": "gptq",
          "checkpoint_format": "gptq"}
    q = report(save(tmp_path, t, quantize_config=qc))
    c = q["config"]
    assert c["sources"] == ["quantize_config.json"]
    assert (c["quant_method"], c["bits"], c["group_size"], c["desc_act"], c["sym"]) == (
        "gptq", 4, 128, True, True)
    assert c["checkpoint_format"] == "gptq"
    assert c["disagreements"] == []

    qc.update({"bits": 8, "desc_act": False, "checkpoint_format": "gptq_v2"})
    (tmp_path / "quantize_config.json").write_text(json.dumps(qc))
    q = report(str(tmp_path / "model.safetensors"))
    got = {d["field"]: (d["config"], d["tensors"]) for d in q["config"]["disagreements"]}
    assert got == {"bits": (8, 4), "desc_act": (False, True),
                   "checkpoint_format": ("gptq_v2", "gptq")}
    assert all(d["method"] == "gptq" for d in q["config"]["disagreements"])
    assert q["methods"][0]["bits"] == 4  # the tensors win


def test_gptq_config_json_quantization_config(tmp_path):
    rng = np.random.default_rng(9)
    t = model(rng, lambda p, i, o: gptq_module(rng, p, i, o, 3, 64, False, False))
    cfg = {"model_type": "llama", "quantization_config": {"quant_method": "gptq", "bits": 3,
           "group_size": 64, "desc_act": False, "sym": False}}
    q = report(save(tmp_path, t, config=cfg))
    assert q["scheme"] == "GPTQ"
    assert q["methods"][0]["bits"] == 3
    assert q["config"]["sources"] == ["config.json:quantization_config"]
    assert q["config"]["disagreements"] == []


@pytest.mark.parametrize("group_size", [64, 128])
def test_awq(tmp_path, group_size):
    rng = np.random.default_rng(group_size)
    t = model(rng, lambda p, i, o: awq_module(rng, p, i, o, group_size))
    cfg = {"quantization_config": {"quant_method": "awq", "bits": 4, "group_size": group_size,
                                   "zero_point": True, "version": "gemm"}}
    q = report(save(tmp_path, t, config=cfg))
    assert q["scheme"] == "AWQ"
    (m,) = q["methods"]
    assert (m["method"], m["bits"], m["group_size"], m["modules"]) == (
        "awq", 4, group_size, N_MODULES)
    assert m["zero_point"] is True
    assert m["version"] == "gemm"
    p = m["packing"]
    assert (p["container"], p["axis"], p["order"], p["values_per_word"]) == (
        "int32", "output", "awq", 8)
    assert p["interleave"] == AWQ_ORDER
    assert q["config"]["disagreements"] == []
    no_false_fake_quant(q)


@pytest.mark.parametrize("quant_type", ["nf4", "fp4"])
@pytest.mark.parametrize("double_quant", [False, True])
def test_bitsandbytes_4bit(tmp_path, quant_type, double_quant):
    rng = np.random.default_rng(3)
    t = model(rng, lambda p, i, o: bnb4_module(rng, p, i, o, quant_type, 64, double_quant))
    cfg = {"quantization_config": {"quant_method": "bitsandbytes", "load_in_4bit": True,
           "bnb_4bit_quant_type": quant_type, "bnb_4bit_use_double_quant": double_quant,
           "bnb_4bit_compute_dtype": "bfloat16"}}
    q = report(save(tmp_path, t, config=cfg))
    assert q["scheme"] == f"bitsandbytes-{quant_type}"
    (m,) = q["methods"]
    assert (m["method"], m["quant_type"], m["bits"], m["modules"]) == (
        "bitsandbytes", quant_type, 4, N_MODULES)
    assert m["blocksize"] == 64 and m["group_size"] == 64
    assert m["double_quant"] is double_quant
    if double_quant:
        assert m["nested_blocksize"] == 256
    assert m["dtype"] == "bfloat16"
    assert (m["packing"]["container"], m["packing"]["values_per_word"]) == ("uint8", 2)
    assert q["config"]["disagreements"] == []
    no_false_fake_quant(q)


def test_bitsandbytes_4bit_blocksize_from_absmax_without_state(tmp_path):
    rng = np.random.default_rng(4)

    def mod(p, i, o):
        d = bnb4_module(rng, p, i, o, "fp4", 128)
        del d[f"{p}.weight.quant_state.bitsandbytes__fp4"]
        return d

    q = report(save(tmp_path, model(rng, mod)))
    (m,) = q["methods"]
    assert (m["quant_type"], m["blocksize"]) == ("fp4", 128)  # the code book starts at 0: fp4


def test_bitsandbytes_int8(tmp_path):
    rng = np.random.default_rng(5)
    t = model(rng, lambda p, i, o: bnb8_module(rng, p, i, o))
    q = report(save(tmp_path, t, config={"quantization_config": {"quant_method": "bitsandbytes",
                                                                 "load_in_8bit": True}}))
    assert q["scheme"] == "bitsandbytes-int8"
    (m,) = q["methods"]
    assert (m["method"], m["quant_type"], m["bits"], m["group_size"]) == (
        "bitsandbytes", "int8", 8, -1)
    assert m["SCB"] is True and m["weight_format"] == "row"
    assert m["modules"] == N_MODULES
    assert q["config"]["disagreements"] == []

    # The config says 4-bit: reported, detection unchanged.
    (tmp_path / "config.json").write_text(json.dumps(
        {"quantization_config": {"quant_method": "bitsandbytes", "load_in_4bit": True}}))
    q = report(str(tmp_path / "model.safetensors"))
    assert q["scheme"] == "bitsandbytes-int8"
    assert [(d["field"], d["config"], d["tensors"]) for d in q["config"]["disagreements"]] == \
        [("load_in_4bit", True, False)]


def test_mixed_methods(tmp_path):
    rng = np.random.default_rng(6)
    t = float_skeleton(rng)
    t.update(bnb4_module(rng, "model.layers.0.self_attn.q_proj", HIDDEN, HIDDEN, "nf4"))
    t.update(bnb8_module(rng, "model.layers.0.self_attn.k_proj", HIDDEN, KV))
    q = report(save(tmp_path, t))
    assert q["scheme"] == "mixed"
    assert sorted(m["quant_type"] for m in q["methods"]) == ["int8", "nf4"]


# ---------------------------------------------------------------- FP8 (torch: float8 dtypes)

def fp8_model(torch, layout, fmt="e4m3"):
    dt = torch.float8_e4m3fn if fmt == "e4m3" else torch.float8_e5m2
    g = torch.Generator().manual_seed(0)
    t = {k: torch.from_numpy(v) for k, v in float_skeleton(np.random.default_rng(0)).items()}
    # DeepSeek-V3 style MLA projection whose rows (576) are not a multiple of 128.
    linears = LINEARS + [("self_attn.kv_a_proj_with_mqa", HIDDEN, 576)]
    for i in range(LAYERS):
        for name, in_f, out_f in linears:
            p = f"model.layers.{i}.{name}"
            t[f"{p}.weight"] = (torch.randn(out_f, in_f, generator=g) * 0.1).to(dt)
            if layout == "per-tensor":
                t[f"{p}.weight_scale"] = torch.tensor(0.01, dtype=torch.float32)
                t[f"{p}.input_scale"] = torch.tensor(0.02, dtype=torch.float32)
            elif layout == "per-channel":
                t[f"{p}.weight_scale"] = torch.rand(out_f, 1, generator=g, dtype=torch.float32)
            else:
                t[f"{p}.weight_scale_inv"] = torch.rand(
                    math.ceil(out_f / 128), math.ceil(in_f / 128), generator=g, dtype=torch.float32)
    return t, LAYERS * len(linears)


@pytest.mark.parametrize("layout,fmt", [("per-tensor", "e4m3"), ("per-channel", "e4m3"),
                                        ("block", "e4m3"), ("per-channel", "e5m2")])
def test_fp8_scale_layouts(tmp_path, layout, fmt):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    if not hasattr(torch, "float8_e4m3fn"):
        pytest.skip("torch without float8")
    t, n = fp8_model(torch, layout, fmt)
    path = str(tmp_path / "model.safetensors")
    st_torch.save_file(t, path)
    if layout == "block":
        (tmp_path / "config.json").write_text(json.dumps({"quantization_config": {
            "quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
            "weight_block_size": [128, 128]}}))
    q = report(path)
    assert q["scheme"] == "FP8"
    (m,) = q["methods"]
    assert (m["method"], m["bits"], m["format"], m["modules"]) == ("fp8", 8, fmt, n)
    assert m["scale_layout"] == layout
    assert m["scale_name"] == ("weight_scale_inv" if layout == "block" else "weight_scale")
    assert m["scale_dtype"] == "F32"
    assert m["activation_scale"] is (layout == "per-tensor")
    if layout == "block":
        assert m["block_size"] == [128, 128]
        assert m["group_size"] == 128
        assert q["config"]["weight_block_size"] == [128, 128]
        assert q["config"]["disagreements"] == []
    else:
        assert "block_size" not in m
        assert m["group_size"] == -1
    assert m["packing"]["container"] == ("F8_E4M3" if fmt == "e4m3" else "F8_E5M2")
    no_false_fake_quant(q)


def test_fp8_block_size_config_disagreement(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    if not hasattr(torch, "float8_e4m3fn"):
        pytest.skip("torch without float8")
    t, _ = fp8_model(torch, "block")
    st_torch.save_file(t, str(tmp_path / "model.safetensors"))
    (tmp_path / "config.json").write_text(json.dumps({"quantization_config": {
        "quant_method": "fp8", "fmt": "e5m2", "weight_block_size": [64, 64]}}))
    q = report(str(tmp_path / "model.safetensors"))
    got = {d["field"]: (d["config"], d["tensors"]) for d in q["config"]["disagreements"]}
    assert got == {"fmt": ("e5m2", "e4m3"), "weight_block_size": ([64, 64], [128, 128])}


# ---------------------------------------------------------------- compressed-tensors

@pytest.mark.parametrize("bits,group_size,sym", [(4, 128, True), (4, 32, False), (8, -1, True),
                                                 (8, 64, False)])
def test_compressed_tensors_pack_quantized(tmp_path, bits, group_size, sym):
    rng = np.random.default_rng(bits + group_size)
    t = model(rng, lambda p, i, o: ct_module(rng, p, i, o, bits, group_size, sym))
    weights = {"num_bits": bits, "type": "int", "symmetric": sym,
               "strategy": "channel" if group_size == -1 else "group", "actorder": None}
    if group_size != -1:
        weights["group_size"] = group_size
    cfg = {"quantization_config": {"quant_method": "compressed-tensors", "format": "pack-quantized",
           "quantization_status": "compressed",
           "config_groups": {"group_0": {"targets": ["Linear"], "weights": weights}},
           "ignore": ["lm_head"]}}
    q = report(save(tmp_path, t, config=cfg))
    assert q["scheme"] == "compressed-tensors"
    (m,) = q["methods"]
    assert (m["method"], m["format"], m["bits"], m["group_size"], m["modules"]) == \
        ("compressed-tensors", "pack-quantized", bits, group_size, N_MODULES)
    assert m["strategy"] == ("channel" if group_size == -1 else "group")
    assert m["sym"] is sym
    assert m["actorder"] is False
    p = m["packing"]
    assert (p["container"], p["axis"], p["values_per_word"], p["offset"]) == \
        ("int32", "input", 32 // bits, 2 ** (bits - 1))
    c = q["config"]
    assert (c["quant_method"], c["format"], c["bits"], c["sym"]) == (
        "compressed-tensors", "pack-quantized", bits, sym)
    assert c["disagreements"] == []
    no_false_fake_quant(q)


# ---------------------------------------------------------------- MLX

@pytest.mark.parametrize("bits,group_size", [(2, 64), (3, 64), (4, 32), (4, 64), (4, 128),
                                             (6, 64), (8, 64), (8, 128)])
def test_mlx_with_config(tmp_path, bits, group_size):
    rng = np.random.default_rng(bits * 7 + group_size)
    t = model(rng, lambda p, i, o: mlx_module(rng, p, i, o, bits, group_size), skeleton=False)
    t.update(mlx_module(rng, "model.embed_tokens", HIDDEN, VOCAB, bits, group_size))
    t["model.norm.weight"] = np.ones(HIDDEN, np.float16)
    quant = {"group_size": group_size, "bits": bits}
    q = report(save(tmp_path, t, config={"model_type": "llama", "quantization": quant,
                                         "quantization_config": quant}))
    assert q["scheme"] == "MLX"
    (m,) = q["methods"]
    assert (m["method"], m["bits"], m["group_size"], m["modules"]) == (
        "mlx", bits, group_size, N_MODULES + 1)
    assert m["mode"] == "affine"
    assert m["bits_source"] in ("shapes", "config")
    p = m["packing"]
    assert (p["container"], p["axis"], p["low_bits_first"]) == ("uint32", "input", True)
    assert p["spans_words"] == (32 % bits != 0)
    c = q["config"]
    assert c["quant_method"] == "mlx"
    assert c["sources"] == ["config.json:quantization_config", "config.json:quantization"]
    assert c["disagreements"] == []


def test_mlx_without_config_resolved_by_model_dims(tmp_path):
    # bits * group_size = 256 from the shapes: 4/64 unpacks to 256 (the norm's length), while
    # 2/128 (512) and 8/32 (128) are widths this model has nowhere else.
    rng = np.random.default_rng(11)
    t = {"model.norm.weight": np.ones(HIDDEN, np.float16)}
    t.update(mlx_module(rng, "model.layers.0.self_attn.o_proj", HIDDEN, 384, 4, 64))
    q = report(save(tmp_path, t))
    (m,) = q["methods"]
    assert (m["bits"], m["group_size"], m["bits_source"]) == (4, 64, "shapes")
    assert "config" not in q


def test_mlx_per_module_override_and_disagreement(tmp_path):
    rng = np.random.default_rng(12)
    t = {"model.norm.weight": np.ones(HIDDEN, np.float16)}
    t.update(mlx_module(rng, "model.layers.0.mlp.down_proj", INTER, HIDDEN, 6, 64))
    t.update(mlx_module(rng, "model.layers.0.mlp.up_proj", HIDDEN, INTER, 4, 64))
    cfg = {"quantization": {"group_size": 64, "bits": 4,
                            "model.layers.0.mlp.down_proj": {"group_size": 64, "bits": 6}}}
    q = report(save(tmp_path, t, config=cfg))
    (m,) = q["methods"]
    assert sorted((v["bits"], v["group_size"]) for v in m["variants"]) == [(4, 64), (6, 64)]
    assert q["config"]["module_overrides"] == 1
    assert q["config"]["disagreements"] == []


# ---------------------------------------------------------------- fake quant and plain floats

def fake_quant(rng, rows, cols, bits, group_size, sym=False):
    g = cols if group_size == -1 else group_size
    q = rng.integers(0, 2 ** bits, size=(rows, cols // g, g)).astype(np.float32)
    scale = (rng.random((rows, cols // g, 1)) * 0.01 + 0.001).astype(np.float32)
    zero = (np.float32(2 ** (bits - 1)) if sym else
            rng.integers(0, 2 ** bits, size=(rows, cols // g, 1)).astype(np.float32))
    return (scale * (q - zero)).reshape(rows, cols)


@pytest.mark.parametrize("dtype,bits,group_size", [
    ("F32", 4, 32), ("F32", 2, 64), ("F32", 8, 128), ("F32", 3, -1), ("F16", 4, 128),
    ("F16", 8, -1), ("BF16", 4, 64), ("BF16", 4, -1)])
def test_fake_quant(tmp_path, dtype, bits, group_size):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    rng = np.random.default_rng(bits * 100 + group_size)
    tdt = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}[dtype]
    t = {k: torch.from_numpy(v.astype(np.float32)).to(tdt) for k, v in float_skeleton(rng).items()}
    names = []
    for i in range(LAYERS):
        for name, in_f, out_f in LINEARS:
            p = f"model.layers.{i}.{name}.weight"
            t[p] = torch.from_numpy(fake_quant(rng, out_f, in_f, bits, group_size)).to(tdt)
            names.append(p)
    path = str(tmp_path / "model.safetensors")
    st_torch.save_file(t, path)
    q = report(path)
    assert q["scheme"] == "fake-quant"
    assert q["methods"] == []
    found = {f["tensor"]: f for f in q["fake_quant"]}
    assert sorted(found) == sorted(names)  # embed_tokens / lm_head (random) are not listed
    for f in found.values():
        assert f["bits"] == bits
        assert f["group_size"] == group_size
        assert 3 <= f["levels"] <= 2 ** bits
    assert q["float_weights"] == len(names) + 2
    assert q["fake_quant_checked"] == len(names) + 2


@pytest.mark.parametrize("dtype", ["F32", "F16", "BF16"])
def test_plain_float_model_is_none(tmp_path, dtype):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    tdt = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}[dtype]
    g = torch.Generator().manual_seed(1)
    t = {}
    for i in range(LAYERS):
        for name, in_f, out_f in LINEARS:
            w = torch.randn(out_f, in_f, generator=g) * 0.02
            t[f"model.layers.{i}.{name}.weight"] = w.to(tdt)
            t[f"model.layers.{i}.{name}.bias"] = torch.zeros(out_f, dtype=tdt)
    # Wide rows: 4096 bf16 values from N(0, 0.02) hold many distinct values.
    t["model.embed_tokens.weight"] = (torch.randn(64, 4096, generator=g) * 0.02).to(tdt)
    t["lm_head.weight"] = torch.randn(64, 4096, generator=g).to(tdt)
    t["model.norm.weight"] = torch.ones(HIDDEN, dtype=tdt)
    path = str(tmp_path / "model.safetensors")
    st_torch.save_file(t, path)
    q = report(path)
    assert q["scheme"] == "none"
    assert q["methods"] == [] and q["fake_quant"] == []
    assert q["float_weights"] == N_MODULES + 2
    assert "unrecognized" not in q and "config" not in q


# ---------------------------------------------------------------- sharded and hostile configs

def test_sharded_checkpoint_reads_config_beside_shards(tmp_path):
    rng = np.random.default_rng(13)
    t = model(rng, lambda p, i, o: gptq_module(rng, p, i, o, 4, 128, False, True))
    names = sorted(t)
    half = len(names) // 2
    shards = {"model-00001-of-00002.safetensors": names[:half],
              "model-00002-of-00002.safetensors": names[half:]}
    weight_map = {}
    for fname, keys in shards.items():
        st_numpy.save_file({k: t[k] for k in keys}, str(tmp_path / fname))
        weight_map.update({k: fname for k in keys})
    (tmp_path / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {}, "weight_map": weight_map}))
    (tmp_path / "quantize_config.json").write_text(json.dumps({"bits": 4, "group_size": 128}))
    f = mwt.open(str(tmp_path / "model.safetensors.index.json"))
    q = f.quantization
    assert q["scheme"] == "GPTQ"
    assert q["methods"][0]["modules"] == N_MODULES
    assert q["config"]["bits"] == 4 and q["config"]["disagreements"] == []


@pytest.mark.parametrize("case", ["invalid", "not-object", "wrong-types", "huge", "fifo",
                                  "directory", "deep", "unknown-method"])
def test_hostile_config_is_a_warning(tmp_path, case):
    rng = np.random.default_rng(14)
    t = model(rng, lambda p, i, o: gptq_module(rng, p, i, o, 4, 64, False, True), skeleton=False)
    path = save(tmp_path, t)
    cfg = tmp_path / "config.json"
    if case == "invalid":
        cfg.write_bytes(b'{"quantization_config": {"bits": 4,,}')
    elif case == "not-object":
        cfg.write_text('{"quantization_config": [4, 128]}')
    elif case == "wrong-types":
        cfg.write_text('{"quantization_config": '
                       '{"quant_method": 4, "bits": "4", "desc_act": "yes"}}')
    elif case == "huge":
        with open(cfg, "wb") as f:
            f.truncate(17 << 20)
    elif case == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        os.mkfifo(cfg)
    elif case == "directory":
        cfg.mkdir()
    elif case == "deep":
        cfg.write_text('{"quantization_config": ' + "[" * 10000 + "]" * 10000 + "}")
    else:
        cfg.write_text('{"quantization_config": {"quant_method": "hqq", "nbits": 4}}')
    q = report(path)
    assert q["scheme"] == "GPTQ"
    assert q["methods"][0]["bits"] == 4 and q["methods"][0]["group_size"] == 64
    assert q["config"]["warnings"], q["config"]
    assert q["config"]["disagreements"] == []


def test_config_method_disagreement(tmp_path):
    rng = np.random.default_rng(15)
    t = model(rng, lambda p, i, o: awq_module(rng, p, i, o, 128), skeleton=False)
    q = report(save(tmp_path, t,
                    config={"quantization_config": {"quant_method": "gptq", "bits": 4}}))
    assert q["scheme"] == "AWQ"
    assert q["config"]["disagreements"] == [
        {"method": "", "field": "quant_method", "config": "gptq", "tensors": "awq"}]


def test_unrecognized_quant_tensors_are_listed(tmp_path):
    t = {"model.layers.0.q_proj.qweight": np.zeros((4, 4), np.float32),
         "model.layers.0.k_proj.weight": np.zeros((16, 16), np.uint8),
         "model.norm.weight": np.ones(16, np.float32)}
    q = report(save(tmp_path, t))
    assert q["scheme"] == "none"
    assert q["unrecognized"]["modules"] == 2
    assert len(q["unrecognized"]["examples"]) == 2
