"""F16 / BF16 / F8 <-> F32 conversions held bit for bit to torch's c10 conversions (the oracle).

Decoding is checked on every bit pattern of each format; encoding on every F16-exact value,
on the midpoints and neighbours of every representable value (where ties-to-even and the
overflow rules show), and on random F32 values over the whole exponent range.
"""
from __future__ import annotations

import numpy as np
import pytest

import mwt

torch = pytest.importorskip("torch")

F8 = {
    "F8_E4M3": torch.float8_e4m3fn,
    "F8_E5M2": torch.float8_e5m2,
    "F8_E4M3FNUZ": torch.float8_e4m3fnuz,
    "F8_E5M2FNUZ": torch.float8_e5m2fnuz,
    "F8_E8M0": torch.float8_e8m0fnu,
}
SIXTEEN = {"F16": torch.float16, "BF16": torch.bfloat16}


def _same_f32(a: np.ndarray, b: np.ndarray) -> None:
    """Equal as bit patterns, except that any NaN matches any NaN (payloads are not specified)."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    nan = np.isnan(a)
    np.testing.assert_array_equal(nan, np.isnan(b))
    np.testing.assert_array_equal(a[~nan].view(np.uint32), b[~nan].view(np.uint32))


def _torch_decode(bits: np.ndarray, tdtype) -> np.ndarray:
    t = torch.from_numpy(bits.copy())
    return t.view(tdtype).to(torch.float32).numpy()


def _torch_encode(x: np.ndarray, tdtype, width) -> np.ndarray:
    out = torch.from_numpy(x.copy()).to(tdtype).view(width)
    return out.numpy()


def _probe_values(decoded: np.ndarray) -> np.ndarray:
    """Every finite representable value, its neighbours in F32 and the midpoints between
    consecutive values (ties), both signs, plus specials and random F32 over all exponents."""
    v = np.unique(decoded[np.isfinite(decoded)].astype(np.float64))
    mids = (v[:-1] + v[1:]) / 2
    with np.errstate(over="ignore"):  # values past F32's range become inf, which is wanted
        base = np.concatenate([v, mids, v * 1.5, v * 2, v * 4]).astype(np.float32)
    up = np.nextafter(base, np.float32(np.inf))
    down = np.nextafter(base, np.float32(-np.inf))
    rng = np.random.default_rng(0)
    rand = rng.integers(0, 2**32, size=200_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3.4e38, -3.4e38], np.float32)
    allv = np.concatenate([base, up, down, rand, specials])
    return np.concatenate([allv, -allv]).astype(np.float32)


def _same_encoding(x, got, want, name) -> None:
    """Bit-identical encodings, except that a NaN input only has to give some NaN: torch's
    scalar and vectorised paths disagree on NaN payloads, mwt always gives the canonical NaN."""
    nan_in = np.isnan(x)
    assert np.isnan(mwt.convert_to_f32(got[nan_in], name)).all()
    bad = np.nonzero((got != want) & ~nan_in)[0]
    assert bad.size == 0, [(float(x[i]), int(got[i]), int(want[i])) for i in bad[:10]]


@pytest.mark.parametrize("name", list(SIXTEEN))
def test_decode_every_16_bit_pattern(name):
    bits = np.arange(2**16, dtype=np.uint32).astype(np.uint16)
    _same_f32(mwt.convert_to_f32(bits, name), _torch_decode(bits.view(np.int16), SIXTEEN[name]))


@pytest.mark.parametrize("name", list(F8))
def test_decode_every_8_bit_pattern(name):
    bits = np.arange(256, dtype=np.uint32).astype(np.uint8)
    _same_f32(mwt.convert_to_f32(bits, name), _torch_decode(bits, F8[name]))


@pytest.mark.parametrize("name", list(SIXTEEN))
def test_encode_16_bit_matches_torch(name):
    bits = np.arange(2**16, dtype=np.uint32).astype(np.uint16)
    x = _probe_values(mwt.convert_to_f32(bits, name))
    got = mwt.convert_from_f32(x, name)
    want = _torch_encode(x, SIXTEEN[name], torch.int16).view(np.uint16)
    _same_encoding(x, got, want, name)


@pytest.mark.parametrize("name", list(F8))
def test_encode_8_bit_matches_torch(name):
    bits = np.arange(256, dtype=np.uint32).astype(np.uint8)
    x = _probe_values(mwt.convert_to_f32(bits, name))
    got = mwt.convert_from_f32(x, name)
    want = _torch_encode(x, F8[name], torch.uint8)
    _same_encoding(x, got, want, name)


@pytest.mark.parametrize("name", list(SIXTEEN) + list(F8))
def test_decode_then_encode_is_identity_on_non_nan(name):
    width = np.uint16 if name in SIXTEEN else np.uint8
    bits = np.arange(np.iinfo(width).max + 1, dtype=np.uint32).astype(width)
    x = mwt.convert_to_f32(bits, name)
    keep = ~np.isnan(x)
    if name.endswith("FNUZ"):
        keep &= bits != 0x80  # no negative zero: 0x80 is the NaN
    np.testing.assert_array_equal(mwt.convert_from_f32(x[keep], name), bits[keep])


def test_f64_rounds_to_nearest_even():
    x = np.array([1 + 2**-24, 1 + 3 * 2**-24, 1e300, -1e300, 2**-150, 3 * 2**-150], np.float64)
    with np.errstate(over="ignore"):
        _same_f32(mwt.convert_to_f32(x, "F64"), x.astype(np.float32))


@pytest.mark.parametrize("name", ["Q4_K", "I32", "F4", "U8"])
def test_non_float_dtypes_are_refused(name):
    with pytest.raises(mwt.BadDtypeError):
        mwt.convert_from_f32(np.zeros(256, np.float32), name)
