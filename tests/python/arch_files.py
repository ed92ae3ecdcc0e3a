"""File writers for arch_models.py's models: a GGUF as llama.cpp's converter would write it
(gguf-py's GGUFWriter and TensorNameMap, the converter's shape changes and hparam keys), and
GPTQ / AWQ packings of a float llama. Not a test module."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Tuple

import numpy as np


def _converter_tensors(name: str, tensors: Dict[str, np.ndarray],
                       cfg: Any) -> Iterator[Tuple[str, np.ndarray]]:
    """(HF-side name fed to TensorNameMap, array) pairs after llama.cpp's converter's shape
    changes; the names are those the converter maps (merged experts get its merged names)."""
    expert = re.compile(r"^(.*)\.experts\.(\d+)\.(\w+)\.weight$")
    groups: Dict[tuple, Dict[int, np.ndarray]] = {}
    for hf, arr in tensors.items():
        if name == "bloom":
            # The converter maps BLOOM's names with their "transformer." prefix removed.
            hf = hf.removeprefix("transformer.")
        m = expert.match(hf)
        if m:
            # MoE experts: one [n_expert, rows, cols] tensor per projection.
            groups.setdefault((m.group(1), m.group(3)), {})[int(m.group(2))] = arr
            continue
        if name == "gpt2" and hf.endswith((".c_attn.weight", ".c_proj.weight", ".c_fc.weight")):
            # GPT-2's Conv1D stores [in, out]; the converter writes the Linear layout [out, in].
            yield hf, np.ascontiguousarray(arr.T)
        elif name == "deepseek_v2" and hf.endswith("kv_b_proj.weight"):
            # MLA absorption: kv_b viewed [heads, nope + v, kv_lora] and split; k_b transposed.
            h, nope, v = cfg.num_attention_heads, cfg.qk_nope_head_dim, cfg.v_head_dim
            kv_b = arr.reshape(h, nope + v, arr.shape[-1])
            yield hf.replace("kv_b_proj", "k_b_proj"), np.ascontiguousarray(
                kv_b[:, :nope, :].transpose(0, 2, 1))
            yield hf.replace("kv_b_proj", "v_b_proj"), np.ascontiguousarray(kv_b[:, nope:, :])
        elif name == "roberta" and hf.endswith("embeddings.position_embeddings.weight"):
            # RoBERTa positions start at padding_idx + 1: the converter drops those rows.
            yield hf, np.ascontiguousarray(arr[cfg.pad_token_id + 1:])
        else:
            yield hf, arr
    for (prefix, proj), by_id in sorted(groups.items()):
        stacked = np.stack([by_id[i] for i in sorted(by_id)], axis=0)
        yield f"{prefix}.experts.{proj}.weight", stacked


def _hparams(name: str, cfg: Any, exp: Dict[str, Any]) -> Dict[str, Any]:
    """field -> (key suffix, value): the hparams the converter writes, and what they state."""
    h: Dict[str, Any] = {}
    comps = exp.get("components", {})
    h["num_layers"] = ("block_count", exp.get("num_layers", comps.get("encoder")))
    h["hidden_size"] = ("embedding_length", exp["hidden_size"])
    h["num_heads"] = ("attention.head_count", exp["num_heads"])
    h["num_kv_heads"] = ("attention.head_count_kv", exp.get("num_kv_heads"))
    if "intermediate_size" in exp:
        h["intermediate_size"] = ("feed_forward_length", exp["intermediate_size"])
    elif name == "deepseek_v2":
        h["intermediate_size"] = ("feed_forward_length", cfg.intermediate_size)
    h["vocab_size"] = ("vocab_size", exp["vocab_size"])
    ctx = getattr(cfg, "max_position_embeddings", None) or getattr(cfg, "n_positions", None)
    if name == "roberta":
        ctx -= cfg.pad_token_id + 1   # the converter lowers it with the rows it drops
    if ctx and name not in ("bloom", "t5"):
        h["max_position_embeddings"] = ("context_length", ctx)
    hd = exp.get("head_dim")
    if hd is not None and hd != exp["hidden_size"] // exp["num_heads"]:
        h["head_dim"] = ("attention.key_length", hd)
        h["head_dim_v"] = ("attention.value_length", hd)
    if "rotary_dim" in exp:
        h["rotary_dim"] = ("rope.dimension_count", exp["rotary_dim"])
    if "moe" in exp:
        moe = exp["moe"]
        h["moe.num_experts"] = ("expert_count", moe["num_experts"])
        h["moe.experts_per_token"] = ("expert_used_count", moe["experts_per_token"])
        h["moe.moe_intermediate_size"] = ("expert_feed_forward_length",
                                          moe["moe_intermediate_size"])
        if moe["num_shared_experts"] or name == "deepseek_v2":
            h["moe.num_shared_experts"] = ("expert_shared_count", moe["num_shared_experts"])
    if name == "qwen2_moe":
        h["shared_intermediate_size"] = ("expert_shared_feed_forward_length",
                                         exp["shared_intermediate_size"])
    if name == "deepseek_v2":
        mla = exp["mla"]
        # The converter writes MLA as MQA over the compressed KV: one kv head whose key is
        # kv_lora + rope wide and value kv_lora wide; the per-head sizes go in the *_mla keys.
        h["num_kv_heads"] = ("attention.head_count_kv", 1)
        h["mla.q_lora_rank"] = ("attention.q_lora_rank", mla["q_lora_rank"])
        h["mla.kv_lora_rank"] = ("attention.kv_lora_rank", mla["kv_lora_rank"])
        h["mla.key_length"] = ("attention.key_length",
                               mla["kv_lora_rank"] + mla["qk_rope_head_dim"])
        h["mla.value_length"] = ("attention.value_length", mla["kv_lora_rank"])
        h["mla.key_length_mla"] = ("attention.key_length_mla",
                                   mla["qk_nope_head_dim"] + mla["qk_rope_head_dim"])
        h["mla.value_length_mla"] = ("attention.value_length_mla", mla["v_head_dim"])
        h["leading_dense"] = ("leading_dense_block_count", cfg.first_k_dense_replace)
    if name == "t5":
        h["decoder_layers"] = ("decoder_block_count", comps["decoder"])
        h["relative_buckets"] = ("attention.relative_buckets_count",
                                 cfg.relative_attention_num_buckets)
    return h


def write_gguf(b: Any, cfg: Any, path: Path, overrides: Optional[Dict[str, int]] = None) -> None:
    """b's model as a GGUF at path; `overrides` (field -> value) states other values for some
    hparam keys than the model's (a file whose metadata contradicts its tensors)."""
    import gguf
    from safetensors.numpy import load_file

    arch = gguf.MODEL_ARCH[b.spec.gguf_arch]
    arch_name = gguf.MODEL_ARCH_NAMES[arch]
    comps = b.expected.get("components", {})
    n_blocks = max([b.expected.get("num_layers", 0), *comps.values()])
    tmap = gguf.TensorNameMap(arch, n_blocks)
    tensors: Dict[str, np.ndarray] = {}
    for f in sorted(b.st_dir.glob("*.safetensors")):
        tensors.update(load_file(str(f)))
    w = gguf.GGUFWriter(str(path), arch_name)
    stated = _hparams(b.name, cfg, b.expected)
    for fname, value in (overrides or {}).items():
        stated[fname] = (stated[fname][0], value)
    for _field, (key, value) in stated.items():
        w.add_uint32(f"{arch_name}.{key}", int(value))
    norm_eps = getattr(cfg, "rms_norm_eps", None) or getattr(cfg, "layer_norm_eps", None)
    if b.expected.get("norm") == "rmsnorm":
        w.add_layer_norm_rms_eps(float(norm_eps or 1e-6))
    else:
        w.add_layer_norm_eps(float(norm_eps or getattr(cfg, "layer_norm_epsilon", 1e-5)))
    unmapped, params = [], 0
    for hf, arr in _converter_tensors(b.name, tensors, cfg):
        g = tmap.get_name(hf, try_suffixes=(".weight", ".bias"))
        if g is None:
            unmapped.append(hf)
            continue
        on_disk = "transformer." + hf if b.name == "bloom" else hf
        if on_disk in tensors:
            b.gguf_names[on_disk] = g
        w.add_tensor(g, np.ascontiguousarray(arr, dtype=np.float32))
        params += arr.size
    # The converter stops at a tensor it cannot map; so does the fixture (a test bug).
    assert not unmapped, f"{b.name}: gguf-py maps no GGUF name for {unmapped}"
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    b.gguf = path
    b.params_gguf = params
    b.stated_gguf = {k: (f"{arch_name}.{key}", v) for k, (key, v) in stated.items()}
    exp = dict(b.expected)
    if "max_position_embeddings" in stated:
        exp["max_position_embeddings"] = stated["max_position_embeddings"][1]
    b.expected_gguf = exp



LINEARS = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
           "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")


def _asym_4bit(w_in_out: np.ndarray, group: int):
    """Asymmetric 4-bit min/max quantization of a [in, out] weight in groups of `group` input
    rows: (q [in, out] in 0..15, zeros [groups, out] in 0..15, scales [groups, out] f16)."""
    n_in, n_out = w_in_out.shape
    g = w_in_out.reshape(n_in // group, group, n_out)
    lo, hi = g.min(axis=1), g.max(axis=1)
    scales = np.maximum(hi - lo, 1e-8) / 15.0
    zeros = np.clip(np.round(-lo / scales), 0, 15)
    q = np.clip(np.round(g / scales[:, None, :]) + zeros[:, None, :], 0, 15)
    return (q.reshape(n_in, n_out).astype(np.int64), zeros.astype(np.int64),
            scales.astype(np.float16))


def write_gptq_awq(b: Any, method: str, out: Path, group: int = 128) -> Path:
    """The float model of `b` with every decoder linear packed as GPTQ (AutoGPTQ/GPTQModel
    'gptq' checkpoint format: qweight int32 [in/8, out] packed along the input dim, qzeros int32
    [groups, out/8] holding zero - 1, scales f16 [groups, out], g_idx int32 [in]) or AWQ (GEMM:
    qweight int32 [in, out/8] in AWQ's nibble order, qzeros likewise, scales [groups, out]);
    the rest stays float16. GPTQ gets quantize_config.json; AWQ a config.json with the model's
    config and its quantization_config, as AutoAWQ saves it."""
    from safetensors.numpy import load_file, save_file
    from test_scheme_detect import awq_pack, pack_stream  # the layouts, tested there

    tensors: Dict[str, np.ndarray] = {}
    for f in sorted(b.st_dir.glob("*.safetensors")):
        tensors.update(load_file(str(f)))
    res: Dict[str, np.ndarray] = {}
    for name, arr in tensors.items():
        prefix = name[: -len(".weight")]
        if not (name.endswith(".weight") and prefix.split(".", 3)[-1] in LINEARS):
            res[name] = arr.astype(np.float16)
            continue
        q, zeros, scales = _asym_4bit(arr.T.astype(np.float32), group)
        if method == "gptq":
            # Stored as zero - 1 in 4 bits, so a zero of 0 cannot be stored: 1 is the least.
            zeros = np.maximum(zeros, 1)
            res[f"{prefix}.qweight"] = pack_stream(q.T, 4).T.copy()
            res[f"{prefix}.qzeros"] = pack_stream(zeros - 1, 4)
            res[f"{prefix}.g_idx"] = (np.arange(q.shape[0]) // group).astype(np.int32)
        else:
            res[f"{prefix}.qweight"] = awq_pack(q)
            res[f"{prefix}.qzeros"] = awq_pack(zeros)
        res[f"{prefix}.scales"] = scales
    out.mkdir(parents=True)
    save_file(res, str(out / "model.safetensors"), metadata={"format": "pt"})
    if method == "gptq":
        (out / "quantize_config.json").write_text(json.dumps(
            {"bits": 4, "group_size": group, "desc_act": False, "sym": False,
             "damp_percent": 0.01, "true_sequential": True, "static_groups": False,
             "quant_method": "gptq", "checkpoint_format": "gptq"}))
    else:
        cfg = dict(b.config, quantization_config={"quant_method": "awq", "bits": 4,
                                                  "group_size": group, "zero_point": True,
                                                  "version": "gemm"})
        (out / "config.json").write_text(json.dumps(cfg))
    return out
