"""Convert a Hugging Face LLaMA checkpoint (safetensors + config.json) to a llama.cpp-style GGUF.

Tensor names, metadata keys and the Q/K row permutation follow what llama.cpp's converter
produces, so llama.cpp-family runtimes can load the output. Reading and writing go through mwt.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Mapping

import numpy as np

__all__ = ["hf_llama_to_gguf", "permute_qk", "unpermute_qk", "f32_to_bf16_bits", "FILE_TYPES",
           "SUPPORTED_MODEL_TYPES"]

# config.json model_type values this converter maps to GGUF (tensor names and metadata keys).
SUPPORTED_MODEL_TYPES = ("llama",)

# general.file_type values (llama_ftype) for the output dtypes this converter writes.
FILE_TYPES = {"F32": 0, "F16": 1, "BF16": 32}

_LAYER_MAP = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
    "input_layernorm": "attn_norm",
    "post_attention_layernorm": "ffn_norm",
}
_TOP_MAP = {
    "model.embed_tokens": "token_embd",
    "model.norm": "output_norm",
    "lm_head": "output",
}
_LAYER_RE = re.compile(r"^model\.layers\.(\d+)\.(.+)\.(weight|bias)$")
_TOP_RE = re.compile(r"^(.+)\.(weight|bias)$")
# Output order: embeddings, then each block in this order, then the final norm and head.
_BLOCK_ORDER = ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"]


def permute_qk(w: np.ndarray, n_head: int) -> np.ndarray:
    """HF rotary layout (each head's rows: first half, second half) -> GGUF interleaved pairs.

    HF's rotate_half pairs row i with row i + head_dim/2; llama.cpp's rope pairs rows 2i, 2i+1.
    """
    rows = w.shape[0]
    if rows % (2 * n_head):
        raise ValueError(f"{rows} rows do not split into {n_head} heads of even size")
    return (w.reshape(n_head, 2, rows // n_head // 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def unpermute_qk(w: np.ndarray, n_head: int) -> np.ndarray:
    """Inverse of permute_qk: GGUF interleaved rows back to HF's half-split order."""
    rows = w.shape[0]
    if rows % (2 * n_head):
        raise ValueError(f"{rows} rows do not split into {n_head} heads of even size")
    return (w.reshape(n_head, rows // n_head // 2, 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def f32_to_bf16_bits(x: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bit patterns (uint16), rounding to nearest-even; NaN stays quiet."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    rounded = ((u + (np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1)))) >> np.uint32(16))
    quiet_nan = (u >> np.uint32(16)) | np.uint32(0x0040)
    return np.where(np.isnan(x), quiet_nan, rounded).astype(np.uint16)


def _config_value(cfg: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    for k in keys:
        if cfg.get(k) is not None:
            return cfg[k]
    if default is None:
        raise ValueError(f"config.json lacks {' / '.join(keys)}")
    return default


def _rope_theta(cfg: Mapping[str, Any]) -> float:
    # transformers 5 moved rope_theta into rope_parameters; older configs keep it top level.
    params = cfg.get("rope_parameters") or cfg.get("rope_scaling") or {}
    rope_type = params.get("rope_type", params.get("type", "default"))
    if rope_type not in ("default", None):
        raise ValueError(f"rope scaling {rope_type!r} is not supported by this converter")
    return float(params.get("rope_theta", cfg.get("rope_theta", 10000.0)))


def _source_path(src: Path) -> Path:
    for name in ("model.safetensors.index.json", "model.safetensors"):
        if (src / name).is_file():
            return src / name
    return src


def _gguf_name(hf_name: str) -> tuple[str, int, int]:
    """GGUF name plus a sort key (block, position in block) for a deterministic tensor order."""
    m = _LAYER_RE.match(hf_name)
    if m and m.group(2) in _LAYER_MAP:
        base = _LAYER_MAP[m.group(2)]
        return f"blk.{m.group(1)}.{base}.{m.group(3)}", int(m.group(1)), _BLOCK_ORDER.index(base)
    m = _TOP_RE.match(hf_name)
    if m and m.group(1) in _TOP_MAP:
        base = _TOP_MAP[m.group(1)]
        block = -1 if base == "token_embd" else 1 << 30
        return f"{base}.{m.group(2)}", block, 0 if base != "output" else 1
    raise ValueError(f"tensor {hf_name!r} has no LLaMA GGUF name; refusing to drop it")


def _read_f32(t: Any) -> np.ndarray:
    if t.dtype == "F32":
        return np.array(np.asarray(t), dtype=np.float32, copy=True)
    return np.asarray(t.to_numpy(np.float32), dtype=np.float32)


def _encode(w: np.ndarray, dtype: str) -> Any:
    import mwt

    # llama.cpp keeps 1-D tensors (norms, biases) in F32 whatever the file type.
    if w.ndim < 2 or dtype == "F32":
        return np.ascontiguousarray(w, dtype=np.float32)
    if dtype == "F16":
        return np.ascontiguousarray(w.astype(np.float16))
    return mwt.RawTensor("BF16", w.shape, f32_to_bf16_bits(w).tobytes())


def _model_name(cfg: dict[str, Any], src: Path) -> str:
    """general.name: the last part of the config's ``_name_or_path`` (the hub id it was saved
    from, e.g. ``HuggingFaceTB/SmolLM2-135M``), else the checkpoint directory's name."""
    saved = cfg.get("_name_or_path")
    if isinstance(saved, str) and saved.strip("/ "):
        return saved.strip("/ ").replace("\\", "/").rsplit("/", 1)[-1]
    return src.resolve().name


def hf_llama_to_gguf(src_dir: str | os.PathLike[str], dst_path: str | os.PathLike[str],
                     dtype: str = "F16", name: str | None = None) -> Path:
    """Convert the LLaMA checkpoint in src_dir to a GGUF file at dst_path; returns dst_path.

    dtype ("F32", "F16", "BF16") applies to matrices; 1-D tensors stay F32 as in llama.cpp.
    """
    import mwt

    if dtype not in FILE_TYPES:
        raise ValueError(f"dtype must be one of {sorted(FILE_TYPES)}, not {dtype!r}")
    src, dst = Path(src_dir), Path(dst_path)
    cfg = json.loads((src / "config.json").read_text(encoding="utf-8"))
    if cfg.get("model_type") not in SUPPORTED_MODEL_TYPES:
        from ._errors import _raise

        _raise("UNSUPPORTED_FEATURE",
               f"{src / 'config.json'}: model family (model_type) {cfg.get('model_type')!r} is "
               f"not supported; mwt converts " + ", ".join(SUPPORTED_MODEL_TYPES))

    hidden = int(_config_value(cfg, "hidden_size"))
    n_head = int(_config_value(cfg, "num_attention_heads"))
    n_head_kv = int(_config_value(cfg, "num_key_value_heads", default=n_head))
    head_dim = int(_config_value(cfg, "head_dim", default=hidden // n_head))

    metadata: dict[str, Any] = {
        "general.architecture": "llama",
        "general.name": name if name is not None else _model_name(cfg, src),
        "llama.vocab_size": int(_config_value(cfg, "vocab_size")),
        "llama.context_length": int(_config_value(cfg, "max_position_embeddings")),
        "llama.embedding_length": hidden,
        "llama.block_count": int(_config_value(cfg, "num_hidden_layers")),
        "llama.feed_forward_length": int(_config_value(cfg, "intermediate_size")),
        "llama.rope.dimension_count": head_dim,
        "llama.attention.head_count": n_head,
        "llama.attention.head_count_kv": n_head_kv,
        "llama.attention.layer_norm_rms_epsilon": float(_config_value(cfg, "rms_norm_eps")),
        "llama.rope.freq_base": _rope_theta(cfg),
        "general.file_type": FILE_TYPES[dtype],
    }
    types = {k: "UINT32" for k, v in metadata.items() if isinstance(v, int)}
    types.update({k: "STRING" for k, v in metadata.items() if isinstance(v, str)})
    types.update({k: "FLOAT32" for k, v in metadata.items() if isinstance(v, float)})
    if head_dim * n_head != hidden:
        # Runtimes derive head size from embedding_length / head_count unless told otherwise.
        for key in ("llama.attention.key_length", "llama.attention.value_length"):
            metadata[key], types[key] = head_dim, "UINT32"

    out: list[tuple[tuple[int, int], str, Any]] = []
    with mwt.open(_source_path(src)) as wf:
        for hf_name, t in wf.tensors.items():
            if hf_name.endswith("rotary_emb.inv_freq"):
                continue  # recomputed from rope.freq_base by every runtime; not a weight
            gguf_name, block, pos = _gguf_name(hf_name)
            w = _read_f32(t)
            if ".attn_q." in gguf_name:
                w = permute_qk(w, n_head)
            elif ".attn_k." in gguf_name:
                w = permute_qk(w, n_head_kv)
            out.append(((block, pos), gguf_name, _encode(w, dtype)))
    out.sort(key=lambda item: (item[0], item[1]))
    tensors = {gguf_name: value for _, gguf_name, value in out}
    mwt.save_gguf(dst, tensors, metadata, metadata_types=types)
    return dst
