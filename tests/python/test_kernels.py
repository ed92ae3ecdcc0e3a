"""The SIMD kernel layer through Python: which ISA is active (mwt.active_isa, the CPU and
MWT_FORCE_ISA) and, for every type with an AVX2 kernel, mwt.dequantize under both ISAs equal to
gguf-py's numpy gguf.quants.dequantize bit for bit on random blocks.

The ISA is chosen once per process, so the scalar run happens in a child process started with
MWT_FORCE_ISA=scalar (there is deliberately no per-call ISA argument in the API). The child
writes its outputs to .npy files; this process compares them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
mwt = pytest.importorskip("mwt")

from gguf import GGML_QUANT_SIZES, GGMLQuantizationType as QT  # noqa: E402
from gguf.quants import dequantize as gguf_dequantize  # noqa: E402

# The types with AVX2 kernels (libmwt/src/quant/x86_avx2/dequant_avx2*.cpp) and the byte
# offsets of their f16 scale fields (ggml-common.h field order). MXFP4's scale is an E8M0 byte
# and NVFP4's are unsigned E4M3 bytes (random bytes give every scale); IQ1_M's f16 scale is
# spread over the top nibbles of its four u16 scale words (_set_iq1m_scale).
KERNEL_TYPES = {
    "Q8_0": [0], "Q4_0": [0], "Q4_K": [0, 2], "Q6_K": [208], "Q5_K": [0, 2],
    "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q2_K": [80, 82], "Q3_K": [108],
    "IQ4_NL": [0], "IQ4_XS": [0], "TQ1_0": [52], "TQ2_0": [64], "MXFP4": [],
    "IQ2_XXS": [0], "IQ2_XS": [0], "IQ2_S": [0], "IQ3_XXS": [0], "IQ3_S": [0], "IQ1_S": [0],
    "IQ1_M": [], "NVFP4": [],
}
N_BLOCKS = 10_001  # odd: no type's block count is a multiple of any vector width


def _cpu_has_avx2() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return {"avx2", "fma", "f16c"} <= flags
    except OSError:
        pass
    return False


def _child_env(force: str | None) -> dict:
    env = dict(os.environ)
    env.pop("MWT_FORCE_ISA", None)
    if force is not None:
        env["MWT_FORCE_ISA"] = force
    return env


def _isa_in_child(force: str | None) -> str:
    out = subprocess.run([sys.executable, "-c", "import mwt; print(mwt.active_isa())"],
                         env=_child_env(force), capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _random_halves(rng: np.random.Generator) -> np.ndarray:
    """Finite f16 scales: wide exponent range, negatives, subnormals, zeros."""
    h = (rng.standard_normal(N_BLOCKS) * np.exp2(rng.integers(-26, 8, size=N_BLOCKS)))
    h = h.astype(np.float16)
    h[rng.random(N_BLOCKS) < 0.02] = 0
    h[rng.random(N_BLOCKS) < 0.01] = -0.0
    assert np.isfinite(h).all()
    return h


def _set_iq1m_scale(raw: np.ndarray, d: np.ndarray) -> None:
    """IQ1_M: bits 4k..4k+3 of the f16 d are the top nibble of scale word k (bytes 48..55)."""
    words = raw[:, 48:56].copy().view(np.uint16)
    bits = d.view(np.uint16)
    for k in range(4):
        words[:, k] = (words[:, k] & 0x0FFF) | (((bits >> (4 * k)) & 0xF) << 12)
    raw[:, 48:56] = words.view(np.uint8)


def _random_blocks(name: str, rng: np.random.Generator) -> np.ndarray:
    """Random bytes with finite scales (_random_halves in every f16 scale field)."""
    _, type_size = GGML_QUANT_SIZES[QT[name]]
    raw = rng.integers(0, 256, size=(N_BLOCKS, type_size), dtype=np.uint8)
    for at in KERNEL_TYPES[name]:
        raw[:, at:at + 2] = _random_halves(rng).view(np.uint8).reshape(N_BLOCKS, 2)
    if name == "IQ1_M":
        _set_iq1m_scale(raw, _random_halves(rng))
    return raw


def _assert_bit_equal(name: str, isa: str, got: np.ndarray, want: np.ndarray) -> None:
    g = np.ascontiguousarray(got, dtype=np.float32).reshape(-1).view(np.uint32)
    w = np.ascontiguousarray(want, dtype=np.float32).reshape(-1).view(np.uint32)
    assert g.shape == w.shape
    if not np.array_equal(g, w):
        bad = np.flatnonzero(g != w)
        i = int(bad[0])
        raise AssertionError(f"{name} under {isa}: {bad.size} values differ from gguf-py; first "
                             f"at {i}: {g[i]:#010x} != {w[i]:#010x}")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Per type: the raw blocks (also saved as .npy for the child) and gguf-py's output."""
    d = tmp_path_factory.mktemp("kernels")
    rng = np.random.default_rng(20261123)
    out = {}
    for name in KERNEL_TYPES:
        raw = _random_blocks(name, rng)
        np.save(d / f"{name}.raw.npy", raw)
        with np.errstate(over="ignore"):  # MXFP4 with e near 255 overflows to inf (mwt too)
            out[name] = (raw, gguf_dequantize(raw, QT[name]).reshape(-1))
    return d, out


def test_active_isa_default_is_the_cpus_best():
    want = "avx2" if _cpu_has_avx2() else "scalar"
    assert _isa_in_child(None) == want
    if os.environ.get("MWT_FORCE_ISA") is None:
        assert mwt.active_isa() == want


@pytest.mark.parametrize("value,want", [
    ("scalar", "scalar"), ("SCALAR", "scalar"), ("avx2", None), ("avx512", "scalar"),
    ("bogus", "scalar"), ("", None),
])
def test_force_isa(value, want):
    if want is None:  # avx2 or unset: whatever the CPU supports
        want = "avx2" if _cpu_has_avx2() else "scalar"
    assert _isa_in_child(value) == want


def test_active_isa_is_exported():
    assert "active_isa" in mwt.__all__
    assert mwt.active_isa() in ("scalar", "avx2")


@pytest.mark.parametrize("name", list(KERNEL_TYPES))
def test_active_isa_matches_gguf(inputs, name):
    _, data = inputs
    raw, want = data[name]
    block = GGML_QUANT_SIZES[QT[name]][0]
    got = mwt.dequantize(raw, name, (N_BLOCKS * block,))
    _assert_bit_equal(name, mwt.active_isa(), got, want)
    # Tails: the first 1, 3 and 7 blocks alone.
    for nb in (1, 3, 7):
        got = mwt.dequantize(raw[:nb], name, (nb * block,))
        _assert_bit_equal(name, mwt.active_isa(), got, want[: nb * block])


def test_forced_scalar_matches_gguf(inputs):
    d, data = inputs
    script = textwrap.dedent(f"""
        import sys, numpy as np, mwt
        assert mwt.active_isa() == "scalar", mwt.active_isa()
        from gguf import GGML_QUANT_SIZES, GGMLQuantizationType as QT
        for name in {list(KERNEL_TYPES)!r}:
            raw = np.load(r"{d}/" + name + ".raw.npy")
            n = raw.shape[0] * GGML_QUANT_SIZES[QT[name]][0]
            np.save(r"{d}/" + name + ".scalar.npy", mwt.dequantize(raw, name, (n,)))
    """)
    subprocess.run([sys.executable, "-c", script], env=_child_env("scalar"), check=True)
    for name, (_, want) in data.items():
        _assert_bit_equal(name, "scalar", np.load(d / f"{name}.scalar.npy"), want)
