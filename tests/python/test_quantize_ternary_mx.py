"""TQ1_0, TQ2_0 and MXFP4 quantizers: byte-identical to gguf-py's ``gguf.quants.quantize`` (the
issue's rule for every type gguf-py can quantize), and decoded identically by both libraries.

Data kinds: Gaussian, heavy-tailed (Student t, 2 dof), tiny (1e-30: normal float32 but d far
below f16's range), subnormal (1e-41: 1 / d overflows), block maxima on and one or two ulps
below a power of two (MXFP4's floor(log2(max)) is decided by numpy's float32 log2 there), and
sparse small-integer blocks (exact ties between table entries and zeros of both signs).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mwt

gguf = pytest.importorskip("gguf")
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType as QT  # noqa: E402
from gguf.quants import dequantize as gguf_dequantize, quantize as gguf_quantize  # noqa: E402

TYPES = ["TQ1_0", "TQ2_0", "MXFP4"]
KINDS = ["gaussian", "heavy", "tiny", "subnormal", "pow2", "sparse"]
N_BLOCKS = 2048  # per kind: 6 kinds -> 12 288 blocks per type


def _blocks(kind: str, block: int, rng: np.random.Generator) -> np.ndarray:
    shape = (N_BLOCKS, block)
    if kind == "gaussian":
        x = rng.standard_normal(shape) * np.exp2(rng.integers(-20, 10, size=(N_BLOCKS, 1)))
    elif kind == "heavy":
        x = rng.standard_t(2, shape)
    elif kind == "tiny":
        x = rng.standard_normal(shape) * 1e-30
    elif kind == "subnormal":
        x = rng.standard_normal(shape) * 1e-41
    elif kind == "pow2":
        x = rng.standard_normal(shape)
        m = np.abs(x).max(axis=1, keepdims=True)
        x = x / m * np.exp2(np.round(np.log2(m)) + rng.integers(-8, 8, size=(N_BLOCKS, 1)))
        x = x.astype(np.float32)
        # Move each block's maximum 0, 1 or 2 ulps below its power of two.
        steps = rng.integers(0, 3, size=N_BLOCKS)
        rows = np.arange(N_BLOCKS)
        at = np.abs(x).argmax(axis=1)
        mag = np.abs(x[rows, at]).view(np.uint32) - steps.astype(np.uint32)
        x[rows, at] = np.copysign(mag.view(np.float32), x[rows, at])
    else:  # sparse small integers and signed zeros, scaled by powers of two
        x = np.where(rng.random(shape) < 0.3, rng.integers(-12, 13, size=shape), 0.0)
        x = np.where(rng.random(shape) < 0.2, -0.0, x) * np.exp2(rng.integers(-4, 4, (N_BLOCKS, 1)))
    return np.asarray(x, dtype=np.float32)


def _reference(x: np.ndarray, name: str) -> np.ndarray:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return gguf_quantize(x, QT[name])


@pytest.mark.parametrize("name", TYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_bytes_match_gguf(name, kind):
    block, type_size = GGML_QUANT_SIZES[QT[name]]
    rng = np.random.default_rng([KINDS.index(kind), TYPES.index(name)])
    x = _blocks(kind, block, rng)
    assert np.isfinite(x).all()
    want = _reference(x, name)
    got = mwt.quantize(x, name)
    assert got.shape == want.shape == (N_BLOCKS, type_size)
    bad = np.flatnonzero((got != want).any(axis=1))
    assert bad.size == 0, (f"{name}/{kind}: {bad.size} blocks differ; first {bad[0]}: "
                           f"{got[bad[0]].tobytes().hex()} != {want[bad[0]].tobytes().hex()}")
    with np.errstate(all="ignore"):
        ref = gguf_dequantize(want, QT[name]).astype(np.float32)
    assert np.array_equal(mwt.dequantize(got, name, x.shape), ref, equal_nan=True)


@pytest.mark.parametrize("name", TYPES)
def test_shapes_and_refusals(name):
    block, type_size = GGML_QUANT_SIZES[QT[name]]
    rng = np.random.default_rng(5)
    assert mwt.can_quantize(name)
    for shape in [(block,), (3, 2 * block), (2, 1, block)]:
        x = rng.standard_normal(shape).astype(np.float32)
        assert np.array_equal(mwt.quantize(x, name), _reference(x, name))
    with pytest.raises(mwt.BadShapeError):
        mwt.quantize(np.zeros(block + 16, np.float32), name)
    x = np.zeros(block, np.float32)
    x[3] = np.nan
    with pytest.raises(mwt.ArgumentError, match="NaN"):
        mwt.quantize(x, name)
    with pytest.raises(mwt.ArgumentError):
        mwt.quantize(np.ones(block, np.float32), name, importance=np.ones(block))
