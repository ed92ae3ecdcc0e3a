"""RoPE inverse frequencies and attention factors (libmwt/src/kernels/rope.cpp,
docs/kernels.md#rope-scaling) against transformers' ROPE_INIT_FUNCTIONS as the oracle, for the
scalings the runtime supports: none ("default"), linear, llama3 and YaRN, on the parameters of
real model families (Llama 3.1 / 3.2, Qwen2.5's YaRN, DeepSeek-style mscale) and on edge
settings (no truncation, partial rotary dimensions, an explicit attention factor).

The native side runs through tests/cpp/tools/rope_freq_tool (built with the C++ tests; found
under $MWT_BUILD_DIR, default build/release), so nothing new is exposed to Python.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path
from typing import Any, Dict

import pytest

pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from transformers import LlamaConfig  # noqa: E402
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

# transformers evaluates the frequencies in float32 (theta ** (2i / d) by torch's float pow,
# then each scaling's divisions and blends, a few roundings of u = 2^-24 each); mwt evaluates
# them in double and rounds once. The llama3 and YaRN blends (1 - g) b / s + g b carry the
# float error of the b term (about 4 u of b) into a result as small as b / s, so the relative
# bound grows with the factor s: (8 + 4 s) u.
U = 2.0**-24


def _tool() -> Path:
    build = Path(os.environ.get("MWT_BUILD_DIR", str(ROOT / "build" / "release")))
    exe = build / "tests" / "rope_freq_tool"
    if not exe.is_file():
        pytest.skip(f"{exe} is not built (cmake --build {build} --target rope_freq_tool)")
    return exe


def _native(scaling: str, **kw: float) -> Dict[str, Any]:
    args = [str(_tool()), scaling] + [f"{k}={v!r}" for k, v in kw.items()]
    out = subprocess.run(args, check=False, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    result: Dict[str, Any] = json.loads(out.stdout)
    return result


# (name, HF rope_parameters, head_dim, native scaling, native keys beyond head/rot/theta)
CASES = [
    ("default", {"rope_type": "default", "rope_theta": 10000.0}, 64, "none", {}),
    ("linear", {"rope_type": "linear", "rope_theta": 10000.0, "factor": 4.0}, 64, "linear",
     {"factor": 4.0}),
    ("llama3.1", {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                  "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                  "original_max_position_embeddings": 8192}, 128, "llama3",
     {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
      "original_max_positions": 8192}),
    ("llama3.2", {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0,
                  "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                  "original_max_position_embeddings": 8192}, 64, "llama3",
     {"factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
      "original_max_positions": 8192}),
    ("yarn-qwen2.5", {"rope_type": "yarn", "rope_theta": 1000000.0, "factor": 4.0,
                      "original_max_position_embeddings": 32768}, 128, "yarn",
     {"factor": 4.0, "original_max_positions": 32768}),
    ("yarn-no-truncate", {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 8.0,
                          "original_max_position_embeddings": 4096, "truncate": False,
                          "beta_fast": 16.0, "beta_slow": 2.0}, 64, "yarn",
     {"factor": 8.0, "original_max_positions": 4096, "truncate": 0, "beta_fast": 16.0,
      "beta_slow": 2.0}),
    ("yarn-mscale", {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 40.0,
                     "original_max_position_embeddings": 4096, "mscale": 1.0,
                     "mscale_all_dim": 0.707}, 64, "yarn",
     {"factor": 40.0, "original_max_positions": 4096, "mscale": 1.0, "mscale_all_dim": 0.707}),
    ("yarn-attention-factor", {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 2.0,
                               "original_max_position_embeddings": 2048,
                               "attention_factor": 0.8}, 64, "yarn",
     {"factor": 2.0, "original_max_positions": 2048, "attention_factor": 0.8}),
    ("yarn-partial", {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0,
                      "original_max_position_embeddings": 2048, "partial_rotary_factor": 0.5},
     96, "yarn", {"factor": 4.0, "original_max_positions": 2048}),
]


@pytest.mark.parametrize("name,params,head_dim,scaling,keys", CASES, ids=[c[0] for c in CASES])
def test_inverse_frequencies_match_transformers(
    name: str, params: Dict[str, Any], head_dim: int, scaling: str, keys: Dict[str, float]
) -> None:
    config = LlamaConfig(hidden_size=2 * head_dim, num_attention_heads=2, head_dim=head_dim,
                         max_position_embeddings=131072, rope_parameters=dict(params))
    if params["rope_type"] == "default":  # not in ROPE_INIT_FUNCTIONS in transformers 5
        inv, attention = _default(config)
    else:
        inv, attention = ROPE_INIT_FUNCTIONS[params["rope_type"]](config, "cpu")
    rot = int(head_dim * params.get("partial_rotary_factor", 1.0))
    got = _native(scaling, head_dim=head_dim, rot_dims=rot, theta=params["rope_theta"], **keys)
    want = [float(v) for v in inv]
    assert len(got["inv_freq"]) == len(want) == rot // 2
    rtol = (8 + 4 * float(keys.get("factor", 1.0))) * U
    worst = max(abs(g - w) / w for g, w in zip(got["inv_freq"], want))
    assert worst <= rtol, f"{name}: worst relative difference {worst:.3g} > {rtol:.3g}"
    # The attention factor is a Python float in HF (double); mwt stores it as float32.
    assert math.isclose(got["attention_factor"], float(attention), rel_tol=U), name
    if scaling in ("llama3", "yarn"):  # the scaling did something (the check is not vacuous)
        base = [1.0 / params["rope_theta"] ** (2 * i / rot) for i in range(rot // 2)]
        assert any(abs(w - b) > 1e-3 * b for w, b in zip(want, base)), name


def _default(config: LlamaConfig) -> Any:
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

    return LlamaRotaryEmbedding.compute_default_rope_parameters(config)


def test_refused_configuration_is_an_argument_error() -> None:
    out = subprocess.run([str(_tool()), "llama3", "head_dim=64", "rot_dims=64",
                          "theta=500000", "factor=8", "original_max_positions=8192",
                          "low_freq_factor=4", "high_freq_factor=4"],
                         check=False, capture_output=True, text=True)
    assert out.returncode == 2
    assert json.loads(out.stdout)["error"] == "ARGUMENT"
