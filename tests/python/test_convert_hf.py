"""hf_llama_to_gguf: a tiny random LLaMA converted to GGUF, checked with gguf-py (names, keys,
types), torch (rounding), and transformers' own rotary code (the Q/K permutation)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
gguf = pytest.importorskip("gguf")
mwt = pytest.importorskip("mwt")

from mwt.convert_hf import f32_to_bf16_bits, hf_llama_to_gguf, permute_qk, unpermute_qk  # noqa
from transformers.models.llama.modeling_llama import apply_rotary_pos_emb  # noqa: E402

N_HEAD, N_KV, HIDDEN, LAYERS = 4, 2, 64, 2
FILE_TYPE = {"F32": gguf.LlamaFileType.ALL_F32, "F16": gguf.LlamaFileType.MOSTLY_F16,
             "BF16": gguf.LlamaFileType.MOSTLY_BF16}


def _config(**overrides):
    kw = dict(vocab_size=128, hidden_size=HIDDEN, intermediate_size=96,
              num_hidden_layers=LAYERS, num_attention_heads=N_HEAD, num_key_value_heads=N_KV,
              max_position_embeddings=96, rms_norm_eps=1e-5, rope_theta=500000.0)
    kw.update(overrides)
    return transformers.LlamaConfig(**kw)


@pytest.fixture(scope="module")
def hf_model(tmp_path_factory):
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(_config())
    with torch.no_grad():  # random norms so a misplaced norm tensor cannot pass as all-ones
        for _name, p in model.named_parameters():
            if p.ndim == 1:
                p.copy_(torch.randn_like(p))
    root = tmp_path_factory.mktemp("hf")
    single, sharded = root / "single", root / "sharded"
    model.save_pretrained(str(single), safe_serialization=True)
    model.save_pretrained(str(sharded), safe_serialization=True, max_shard_size="100KB")
    state = {k: v.detach().to(torch.float32).numpy().copy() for k, v in model.state_dict().items()}
    return model.config, str(single), str(sharded), state


def _tensor_f32(rt) -> np.ndarray:
    """A gguf-py ReaderTensor as float32 in numpy order, decoding BF16 from its raw bits."""
    shape = tuple(reversed([int(d) for d in rt.shape]))
    if rt.tensor_type == gguf.GGMLQuantizationType.BF16:
        bits = rt.data.view(np.uint16).reshape(shape)
        return (bits.astype(np.uint32) << 16).view(np.float32)
    return rt.data.reshape(shape).astype(np.float32)


def _encoded(a: np.ndarray, dtype: str) -> np.ndarray:
    """What the converter must store, per torch's rounding (the oracle), decoded to float32."""
    t = torch.from_numpy(a)
    if a.ndim < 2 or dtype == "F32":
        return a
    target = torch.float16 if dtype == "F16" else torch.bfloat16
    return t.to(target).to(torch.float32).numpy()


@pytest.mark.parametrize("dtype", ["F32", "F16", "BF16"])
def test_convert_reads_back_in_gguf_py(hf_model, tmp_path, dtype):
    cfg, single, _, state = hf_model
    out = hf_llama_to_gguf(single, tmp_path / "m.gguf", dtype=dtype, name="tiny")
    reader = gguf.GGUFReader(str(out))
    f = reader.fields
    arch = "llama"
    K = gguf.Keys
    expected = {
        K.General.ARCHITECTURE: ("STRING", "llama"),
        K.General.NAME: ("STRING", "tiny"),
        K.General.FILE_TYPE: ("UINT32", int(FILE_TYPE[dtype])),
        K.LLM.CONTEXT_LENGTH.format(arch=arch): ("UINT32", cfg.max_position_embeddings),
        K.LLM.EMBEDDING_LENGTH.format(arch=arch): ("UINT32", cfg.hidden_size),
        K.LLM.BLOCK_COUNT.format(arch=arch): ("UINT32", cfg.num_hidden_layers),
        K.LLM.FEED_FORWARD_LENGTH.format(arch=arch): ("UINT32", cfg.intermediate_size),
        K.LLM.VOCAB_SIZE.format(arch=arch): ("UINT32", cfg.vocab_size),
        K.Attention.HEAD_COUNT.format(arch=arch): ("UINT32", cfg.num_attention_heads),
        K.Attention.HEAD_COUNT_KV.format(arch=arch): ("UINT32", cfg.num_key_value_heads),
        K.Rope.DIMENSION_COUNT.format(arch=arch): ("UINT32", cfg.head_dim),
    }
    for key, (tname, value) in expected.items():
        assert f[key].types[0].name == tname, key
        assert f[key].contents() == value, key
    # FLOAT32 keys hold the config value rounded to f32.
    for key, value in ((K.Attention.LAYERNORM_RMS_EPS.format(arch=arch), cfg.rms_norm_eps),
                       (K.Rope.FREQ_BASE.format(arch=arch), cfg.rope_parameters["rope_theta"])):
        assert f[key].types[0].name == "FLOAT32", key
        assert f[key].contents() == float(np.float32(value)), key

    # Tensor names: gguf-py's own HF -> GGUF name map is the oracle.
    tmap = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, cfg.num_hidden_layers)
    by_name = {t.name: t for t in reader.tensors}
    expected_names = {tmap.get_name(n, try_suffixes=(".weight", ".bias")): n for n in state}
    assert set(by_name) == set(expected_names)
    head_dim = cfg.head_dim
    for gname, hf_name in expected_names.items():
        rt, hf = by_name[gname], state[hf_name]
        want_type = "F32" if hf.ndim < 2 or dtype == "F32" else dtype
        assert rt.tensor_type.name == want_type, gname
        got = _tensor_f32(rt)
        assert got.shape == hf.shape, gname
        if ".attn_q." in gname or ".attn_k." in gname:
            heads = N_HEAD if ".attn_q." in gname else N_KV
            # Index form of the permutation (independent of the reshape in the converter):
            # GGUF row 2i of a head is HF row i, row 2i+1 is HF row i + head_dim/2.
            src = np.empty_like(hf)
            half = head_dim // 2
            for h in range(heads):
                for i in range(half):
                    src[h * head_dim + 2 * i] = hf[h * head_dim + i]
                    src[h * head_dim + 2 * i + 1] = hf[h * head_dim + i + half]
            hf = src
        np.testing.assert_array_equal(got, _encoded(hf, dtype), err_msg=gname)


def _rope_interleaved(x: np.ndarray, pos: int, base: float) -> np.ndarray:
    """llama.cpp's normal-mode rope: rotates pairs (2i, 2i+1) by pos * base^(-2i/d)."""
    d = x.shape[-1]
    theta = pos * base ** (-np.arange(0, d, 2, dtype=np.float64) / d)
    c, s = np.cos(theta), np.sin(theta)
    out = np.empty_like(x)
    out[..., 0::2] = x[..., 0::2] * c - x[..., 1::2] * s
    out[..., 1::2] = x[..., 0::2] * s + x[..., 1::2] * c
    return out


def test_attention_scores_survive_the_permutation(hf_model, tmp_path):
    # Semantic oracle: q·k after HF rope on HF weights equals q·k after interleaved rope on the
    # GGUF weights, for every head pair and position pair. A wrong permutation breaks this.
    cfg, single, _, state = hf_model
    out = hf_llama_to_gguf(single, tmp_path / "m.gguf", dtype="F32")
    by_name = {t.name: t for t in gguf.GGUFReader(str(out)).tensors}
    base, d = cfg.rope_parameters["rope_theta"], cfg.head_dim
    x = np.random.default_rng(0).standard_normal(HIDDEN)
    inv = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    for layer in range(LAYERS):
        wq_hf = state[f"model.layers.{layer}.self_attn.q_proj.weight"].astype(np.float64)
        wk_hf = state[f"model.layers.{layer}.self_attn.k_proj.weight"].astype(np.float64)
        wq_g = _tensor_f32(by_name[f"blk.{layer}.attn_q.weight"]).astype(np.float64)
        wk_g = _tensor_f32(by_name[f"blk.{layer}.attn_k.weight"]).astype(np.float64)
        for pq, pk in ((0, 0), (5, 2), (37, 11)):
            q_hf = torch.from_numpy((wq_hf @ x).reshape(1, N_HEAD, 1, d))
            k_hf = torch.from_numpy((wk_hf @ x).reshape(1, N_KV, 1, d))
            cq = torch.cat([pq * inv, pq * inv])[None, None]
            ck = torch.cat([pk * inv, pk * inv])[None, None]
            q_r, _ = apply_rotary_pos_emb(q_hf, q_hf, cq.cos(), cq.sin(), unsqueeze_dim=1)
            _, k_r = apply_rotary_pos_emb(k_hf, k_hf, ck.cos(), ck.sin(), unsqueeze_dim=1)
            q_g = _rope_interleaved((wq_g @ x).reshape(N_HEAD, d), pq, base)
            k_g = _rope_interleaved((wk_g @ x).reshape(N_KV, d), pk, base)
            group = N_HEAD // N_KV
            for h in range(N_HEAD):
                s_hf = float(q_r[0, h, 0] @ k_r[0, h // group, 0])
                s_g = float(q_g[h] @ k_g[h // group])
                assert s_g == pytest.approx(s_hf, rel=1e-9, abs=1e-12), (layer, h, pq, pk)


def test_sharded_source_gives_identical_file(hf_model, tmp_path):
    _, single, sharded, _ = hf_model
    index = json.load(open(os.path.join(sharded, "model.safetensors.index.json")))
    assert len(set(index["weight_map"].values())) > 1  # the source really is sharded
    a = hf_llama_to_gguf(single, tmp_path / "a.gguf", name="same")
    b = hf_llama_to_gguf(sharded, tmp_path / "b.gguf", name="same")
    assert open(a, "rb").read() == open(b, "rb").read()


def test_output_reads_back_through_mwt(hf_model, tmp_path):
    _, single, _, state = hf_model
    out = hf_llama_to_gguf(single, tmp_path / "m.gguf", dtype="F16")
    with mwt.open(str(out)) as wf:
        assert wf.format == "gguf" and wf.metadata["general.architecture"] == "llama"
        assert wf.metadata["general.file_type"] == int(gguf.LlamaFileType.MOSTLY_F16)
        assert wf.tensors["token_embd.weight"].dtype == "F16"
        assert wf.tensors["output_norm.weight"].dtype == "F32"
        emb = wf.tensors["token_embd.weight"].to_numpy(np.float32)
        np.testing.assert_array_equal(emb, _encoded(state["model.embed_tokens.weight"], "F16"))


def test_bf16_rounding_matches_torch():
    rng = np.random.default_rng(3)
    x = np.concatenate([
        rng.standard_normal(4096).astype(np.float32),
        rng.integers(0, 2**32, size=4096, dtype=np.uint32).view(np.float32),  # every bit pattern
        np.array([0.0, -0.0, np.inf, -np.inf, np.finfo(np.float32).max, 1e-45,
                  np.float32(1.00390625)], dtype=np.float32),  # ties and overflow to inf
    ])
    want = torch.from_numpy(x).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    got = f32_to_bf16_bits(x)
    nan = np.isnan(x)
    np.testing.assert_array_equal(got[~nan], want[~nan])
    # torch's NaN payload differs by version; any NaN must stay a NaN.
    assert np.all((got[nan] & 0x7F80) == 0x7F80) and np.all((got[nan] & 0x007F) != 0)


def test_permutation_round_trip():
    rng = np.random.default_rng(4)
    for heads, rows, cols in ((4, 64, 64), (2, 32, 64), (8, 128, 3), (4, 64, 0)):
        w = rng.standard_normal((rows, cols)) if cols else rng.standard_normal(rows)
        p = permute_qk(w, heads)
        assert not np.array_equal(p, w) or w.size == 0
        np.testing.assert_array_equal(unpermute_qk(p, heads), w)


def test_rejects_what_it_cannot_convert(hf_model, tmp_path):
    _, single, _, _ = hf_model
    with pytest.raises(ValueError, match="dtype"):
        hf_llama_to_gguf(single, tmp_path / "x.gguf", dtype="Q4_K")
    cfg = json.load(open(os.path.join(single, "config.json")))
    bad = tmp_path / "notllama"
    bad.mkdir()
    (bad / "config.json").write_text(json.dumps(dict(cfg, model_type="gpt2")))
    # An unsupported family is a clean mwt error naming it and the supported ones.
    with pytest.raises(mwt.UnsupportedFeatureError, match="'gpt2'.*supported; mwt converts llama"):
        hf_llama_to_gguf(bad, tmp_path / "y.gguf")
    assert not (tmp_path / "y.gguf").exists()
