"""Quantization against gguf-py's numpy reference (gguf.quants.quantize), byte for byte: for
Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 over Gaussian, heavy-tailed, uniform, tiny, zero, single-nonzero,
constant, exact-tie and large (+-65504) blocks plus the float32 edge cases (subnormal scales,
overflowing ranges); the round trip through mwt.dequantize; the float targets against numpy and
torch; shapes and the error cases.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
mwt = pytest.importorskip("mwt")

from gguf import GGML_QUANT_SIZES, GGMLQuantizationType as QT  # noqa: E402
from gguf.quants import dequantize as gguf_dequantize, quantize as gguf_quantize  # noqa: E402

TYPES = ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"]
BLOCK = 32
N_PER_KIND = 1536  # blocks per kind of data; 9 kinds -> 13824 blocks per type

# Largest |q| of the symmetric types relative to d (the anchor of the exact-tie blocks) and the
# number of steps of the types with a minimum.
SYMMETRIC_SPAN = {"Q8_0": 127, "Q4_0": 8, "Q5_0": 16}
AFFINE_STEPS = {"Q4_1": 15, "Q5_1": 31}


def _reference(x: np.ndarray, name: str) -> np.ndarray:
    # Edge blocks (1 / d overflowing, max - min overflowing) make numpy warn about its casts;
    # the values it produces are what mwt reproduces.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return gguf_quantize(x, QT[name])


def _assert_bytes_equal(got: np.ndarray, want: np.ndarray, name: str) -> None:
    assert got.dtype == np.uint8 and want.dtype == np.uint8
    assert got.shape == want.shape, (got.shape, want.shape)
    if not np.array_equal(got, want):
        _, type_size = GGML_QUANT_SIZES[QT[name]]
        g, w = got.reshape(-1, type_size), want.reshape(-1, type_size)
        bad = np.flatnonzero((g != w).any(axis=1))
        i = int(bad[0])
        raise AssertionError(f"{name}: {bad.size} blocks differ; first block {i}: "
                             f"{g[i].tobytes().hex()} != {w[i].tobytes().hex()}")


def _scales(rng: np.random.Generator, n: int, lo: int = -20, hi: int = 10) -> np.ndarray:
    return np.exp2(rng.integers(lo, hi, size=(n, 1))).astype(np.float32)


def _ties(name: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """Blocks whose scale is an exact power of two, so every x / d (and x / d + bias) is exact,
    with values on half-integers: x * id lands on .5 and the rounding rule decides."""
    d = _scales(rng, n, -10, 6).astype(np.float64)
    halves = rng.integers(-1000, 1000, size=(n, BLOCK)) / 2.0
    if name in SYMMETRIC_SPAN:
        span = SYMMETRIC_SPAN[name]
        q = np.clip(halves, -span + 0.5, span - 0.5)
        # The anchor (largest magnitude) fixes d = +-2^k; a second value of equal magnitude and
        # the other sign sometimes precedes it, testing argmax's first-occurrence rule.
        at = rng.integers(1, BLOCK, size=n)
        sign = rng.choice([-1.0, 1.0], size=n)
        q[np.arange(n), at] = sign * span
        twin = rng.random(n) < 0.25
        q[np.flatnonzero(twin), 0] = -sign[twin] * span
        x = q * d
    else:
        steps = AFFINE_STEPS[name]
        q = np.clip(np.abs(halves) % (steps + 1), 0, steps)
        q[:, 0], q[:, 1] = 0, steps
        mn = rng.integers(-64, 64, size=(n, 1)) / 2.0
        x = (mn + q) * d
    return x.astype(np.float32)


def _blocks(kind: str, name: str, rng: np.random.Generator, n: int = N_PER_KIND) -> np.ndarray:
    shape = (n, BLOCK)
    if kind == "gaussian":
        x = rng.standard_normal(shape) * _scales(rng, n)
    elif kind == "student_t2":
        x = rng.standard_t(2, size=shape)
    elif kind == "uniform":
        lo = rng.uniform(-4, 4, size=(n, 1))
        x = rng.uniform(0, 1, size=shape) * rng.uniform(0.01, 8, size=(n, 1)) + lo
    elif kind == "tiny":
        x = rng.standard_normal(shape) * 1e-30
    elif kind == "zero":
        x = np.zeros(shape)
    elif kind == "single":
        x = np.zeros(shape)
        x[np.arange(n), rng.integers(0, BLOCK, size=n)] = rng.standard_normal(n) * 100
    elif kind == "constant":
        x = np.repeat(rng.standard_normal((n, 1)) * _scales(rng, n), BLOCK, axis=1)
    elif kind == "ties":
        return _ties(name, rng, n)
    elif kind == "f16_range":
        x = rng.uniform(-65504, 65504, size=shape)
        x[rng.random(shape) < 0.05] = 65504
        x[rng.random(shape) < 0.05] = -65504
    else:
        raise ValueError(kind)
    return x.astype(np.float32)


KINDS = ["gaussian", "student_t2", "uniform", "tiny", "zero", "single", "constant", "ties",
         "f16_range"]


@pytest.mark.parametrize("name", TYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_bytes_match_gguf(name, kind):
    rng = np.random.default_rng([KINDS.index(kind), TYPES.index(name)])
    x = _blocks(kind, name, rng)
    want = _reference(x, name)
    got = mwt.quantize(x, name)
    _assert_bytes_equal(got, want, name)
    # Decoding the same bytes: mwt's decoder agrees with gguf-py's bit for bit.
    deq = mwt.dequantize(got, name, x.shape)
    ref = gguf_dequantize(want, QT[name])
    assert np.array_equal(deq.view(np.uint32), ref.astype(np.float32).view(np.uint32))


def test_block_count():
    assert len(KINDS) * N_PER_KIND >= 10_000


@pytest.mark.parametrize("name", TYPES)
def test_float32_edges_match_gguf(name):
    """Finite inputs where numpy's float32 steps leave the normal range: subnormal blocks (1 / d
    overflows to Inf, the casts then give 0), scales above the f16 range (d encodes as Inf),
    ranges max - min above FLT_MAX (Q4_1 / Q5_1), and signed zeros."""
    rng = np.random.default_rng(11)
    n = 512
    sub = rng.standard_normal((n, BLOCK)) * 1e-40
    sub[rng.random((n, BLOCK)) < 0.3] = 0
    huge = rng.standard_normal((n, BLOCK)) * np.exp2(rng.integers(60, 127, size=(n, 1)))
    wide = rng.uniform(-3.4e38, 3.4e38, size=(n, BLOCK))
    zeros = np.where(rng.random((n, BLOCK)) < 0.5, -0.0, 0.0)
    zeros[: n // 2, 5] = rng.standard_normal(n // 2)
    x = np.concatenate([sub, huge, wide, zeros]).astype(np.float32)
    assert np.isfinite(x).all()
    got, want = mwt.quantize(x, name), _reference(x, name)
    if name in AFFINE_STEPS:
        # A zero minimum / maximum present as both +0 and -0: numpy's reduction returns either
        # (by position and SIMD path); mwt orders -0 below +0. Only the sign bits of d (byte 1)
        # and m (byte 3) may differ there, and the decoded values are equal.
        amb = _ambiguous_zero_extremum(x)
        assert amb.sum() > 100
        g, w = got.copy(), want.copy()
        for blk in (g, w):
            blk[amb, 1] &= 0x7F
            blk[amb, 3] &= 0x7F
        _assert_bytes_equal(g, w, name)
        with np.errstate(invalid="ignore"):  # d = Inf (max - min overflowed): Inf * 0 = NaN
            ref = gguf_dequantize(want, QT[name])
        assert np.array_equal(mwt.dequantize(got, name, x.shape), ref, equal_nan=True)
        mins, maxs = got[amb, 2:4].copy().view(np.float16), got[amb, 0:2].copy().view(np.float16)
        x_amb = x[amb]
        lo = x_amb.min(axis=1)
        want_min_neg = (lo < 0) | ((lo == 0) & (np.signbit(x_amb) & (x_amb == 0)).any(axis=1))
        assert np.array_equal(np.signbit(mins[:, 0]), want_min_neg)
        assert not np.signbit(maxs[:, 0]).any()
    else:
        _assert_bytes_equal(got, want, name)


def _ambiguous_zero_extremum(x: np.ndarray) -> np.ndarray:
    zero = x == 0
    both = (zero & np.signbit(x)).any(axis=1) & (zero & ~np.signbit(x)).any(axis=1)
    return both & ((x.min(axis=1) == 0) | (x.max(axis=1) == 0))


@pytest.mark.parametrize("name", TYPES)
def test_shapes_match_gguf(name):
    rng = np.random.default_rng(3)
    _, type_size = GGML_QUANT_SIZES[QT[name]]
    assert mwt.quantize(np.zeros((0, 32)), name).shape == (0, type_size)  # gguf-py cannot
    assert mwt.quantize(np.zeros((4, 0)), name).shape == (4, 0)
    for shape in [(32,), (3, 64), (2, 3, 96), (1, 1, 1, 32)]:
        x = rng.standard_normal(shape)  # float64 in: converted to float32 as gguf-py does
        want = _reference(x.astype(np.float32), name)
        got = mwt.quantize(x, name)
        _assert_bytes_equal(got, want, name)
    # Non-contiguous input.
    x = rng.standard_normal((64, 64)).astype(np.float32).T
    _assert_bytes_equal(mwt.quantize(x, name), _reference(np.ascontiguousarray(x), name), name)


def test_q8_0_hand_block():
    x = np.arange(32, dtype=np.float32) - 16  # amax 16: d = 16 / 127, q = round(x * 127 / 16)
    got = mwt.quantize(x, "Q8_0")
    d = np.float32(16) / np.float32(127)
    assert got[:2].view(np.float16)[0] == np.float16(d)
    q = got[2:].view(np.int8).astype(np.int64)
    assert q[0] == -127 and q[16] == 0 and q[31] == round(15 * 127 / 16)


def test_float_targets():
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(4096) * np.exp2(rng.integers(-30, 30, size=4096))).astype(np.float32)
    x[:8] = [np.inf, -np.inf, np.nan, -np.nan, 65504, 65520, -0.0, 1e-45]
    x[8:12] = np.array([0x3F808000, 0x3F818000, 0x7F7FFFFF, 0x00000001], np.uint32).view(np.float32)
    x = x.reshape(64, 64)
    f16 = mwt.quantize(x, "F16")
    assert f16.shape == (64, 128)
    with np.errstate(over="ignore"):
        want16 = x.astype(np.float16)
    assert np.array_equal(f16.view(np.uint16), want16.view(np.uint16))
    f32 = mwt.quantize(x, "F32")
    assert f32.shape == (64, 256) and np.array_equal(f32.view(np.uint32), x.view(np.uint32))
    torch = pytest.importorskip("torch")
    bf = mwt.quantize(x, "BF16")
    want_bf = torch.from_numpy(x.copy()).to(torch.bfloat16).view(torch.int16).numpy()
    assert bf.shape == (64, 128)
    # NaN: mwt writes the canonical quiet NaN 0x7FC0 for every NaN; torch's vectorized CPU path
    # may write another NaN pattern (0xFFFF here), so NaNs are checked separately.
    nan = np.isnan(x)
    assert np.array_equal(bf.view(np.uint16)[~nan], want_bf.view(np.uint16)[~nan])
    assert (bf.view(np.uint16)[nan] == 0x7FC0).all()
    finite = x[np.isfinite(x).all(axis=1)]  # gguf-py's BF16 agrees on non-NaN inputs too
    gb = gguf_quantize(finite, QT.BF16) if hasattr(gguf.quants, "BF16") else None
    if gb is not None:
        assert np.array_equal(mwt.quantize(finite, "BF16").reshape(-1), gb.reshape(-1))
    assert mwt.quantize(np.float32(1.5), "F16").view(np.float16).tolist() == [1.5]  # 0-d


def test_can_quantize():
    for name in TYPES + ["F32", "F16", "BF16"]:
        assert mwt.can_quantize(name), name
    for name in ["IQ2_XXS", "IQ3_S", "IQ4_NL", "NVFP4", "Q8_1", "F64", "I8", "F8_E4M3"]:
        assert not mwt.can_quantize(name), name
    with pytest.raises(mwt.BadDtypeError):
        mwt.can_quantize("Q9_9")


def test_errors():
    x = np.zeros((2, 64), np.float32)
    with pytest.raises(mwt.BadShapeError, match="block size 32"):
        mwt.quantize(np.zeros((2, 33), np.float32), "Q8_0")
    with pytest.raises(mwt.BadShapeError):
        mwt._native.quantize(np.zeros(33, np.float32), "Q4_0")  # the library's own check
    with pytest.raises(mwt.UnsupportedFeatureError, match="mwt has no quantizer for IQ2_XXS"):
        mwt.quantize(np.zeros(256, np.float32), "IQ2_XXS")
    with pytest.raises(mwt.UnsupportedFeatureError, match="IQ4_NL"):
        mwt._native.quantize(np.zeros(256, np.float32), "IQ4_NL")
    with pytest.raises(mwt.BadDtypeError):
        mwt.quantize(x, "NOPE")
    for name in TYPES:
        for bad, word in [(np.nan, "NaN"), (np.inf, "infinite"), (-np.inf, "infinite")]:
            y = x.copy()
            y[1, 7] = bad
            y[1, 9] = np.nan
            with pytest.raises(mwt.ArgumentError, match=f"value 71 is {word}"):
                mwt.quantize(y, name)
