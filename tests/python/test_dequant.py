"""Dequantization against gguf-py's numpy reference (gguf.quants.dequantize), bit for bit:
random blocks (every bit pattern of the quant fields, sane f16 scales), blocks gguf-py itself
quantized from Gaussian and heavy-tailed data, tensors of GGUF files written by gguf-py's
GGUFWriter, plain dtypes against numpy, and the error cases.
"""

from __future__ import annotations

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
mwt = pytest.importorskip("mwt")

from gguf import GGML_QUANT_SIZES, GGMLQuantizationType as QT, GGUFWriter  # noqa: E402
from gguf.quants import dequantize as gguf_dequantize, quantize as gguf_quantize  # noqa: E402

# Byte offsets of the f16 scale fields in each implemented block type (ggml-common.h field
# order, docs/quant-blocks.md#conventions). Random bytes there would give NaN/Inf scales; they
# are replaced by random finite halves. MXFP4's scale is an E8M0 byte: every value is sane.
F16_FIELDS = {
    "Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0],
    "Q2_K": [80, 82], "Q3_K": [108], "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208],
    "IQ4_NL": [0], "IQ4_XS": [0], "TQ1_0": [52], "TQ2_0": [64], "MXFP4": [],
    "IQ2_XXS": [0], "IQ2_XS": [0], "IQ2_S": [0], "IQ3_XXS": [0], "IQ3_S": [0], "IQ1_S": [0],
    "IQ1_M": [],  # its f16 scale is spread over the top nibbles of 4 u16 words: _random_blocks
    "NVFP4": [],  # four unsigned-E4M3 scale bytes: every byte decodes to a finite value
}
IMPLEMENTED = list(F16_FIELDS)
# Types gguf-py can quantize (the others are dequantize-only there).
QUANTIZABLE = ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "TQ1_0", "TQ2_0", "MXFP4"]
NOT_IMPLEMENTED = ["Q8_1", "Q8_K", "Q1_0", "Q2_0"]

N_RANDOM_BLOCKS = 10_000


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def _assert_bit_equal(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == np.float32 and got.shape == want.shape
    g, w = _bits(got), _bits(want)
    if not np.array_equal(g, w):
        bad = np.flatnonzero(g.reshape(-1) != w.reshape(-1))
        i = int(bad[0])
        raise AssertionError(f"{bad.size} values differ; first at {i}: "
                             f"{got.reshape(-1)[i]!r} != {want.reshape(-1)[i]!r}")


def _sane_halves(rng: np.random.Generator, n: int) -> np.ndarray:
    """Finite f16 values over a wide exponent range, zeros and subnormals included."""
    h = (rng.standard_normal(n) * np.exp2(rng.integers(-24, 6, size=n))).astype(np.float16)
    h[rng.random(n) < 0.01] = 0
    assert np.isfinite(h).all()
    return h


def _random_blocks(name: str, n_blocks: int, rng: np.random.Generator) -> np.ndarray:
    _, type_size = GGML_QUANT_SIZES[QT[name]]
    raw = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    for off in F16_FIELDS[name]:
        raw[:, off:off + 2] = _sane_halves(rng, n_blocks).view(np.uint8).reshape(n_blocks, 2)
    if name == "IQ1_M":
        _set_iq1m_scale(raw, _sane_halves(rng, n_blocks))
    return raw


def _set_iq1m_scale(raw: np.ndarray, d: np.ndarray) -> None:
    """IQ1_M: bits 4k..4k+3 of the f16 d are the top nibble of scale word k (bytes 48..55)."""
    words = raw[:, 48:56].copy().view(np.uint16)
    bits = d.astype(np.float16).view(np.uint16)
    for k in range(4):
        words[:, k] = (words[:, k] & 0x0FFF) | (((bits >> (4 * k)) & 0xF) << 12)
    raw[:, 48:56] = words.view(np.uint8)


def _reference(raw: np.ndarray, name: str) -> np.ndarray:
    with np.errstate(over="ignore"):  # MXFP4 with e near 255 overflows to inf (in mwt too)
        return gguf_dequantize(raw, QT[name])


def test_implemented_set():
    for name in IMPLEMENTED:
        assert mwt.can_dequantize(name), name
    for name in NOT_IMPLEMENTED:
        assert not mwt.can_dequantize(name), name
    for name in ("F32", "F16", "BF16", "F64", "I8", "I16", "I32", "I64"):
        assert mwt.can_dequantize(name), name


@pytest.mark.parametrize("name", IMPLEMENTED)
def test_random_blocks_bit_exact(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    block, _ = GGML_QUANT_SIZES[QT[name]]
    raw = _random_blocks(name, N_RANDOM_BLOCKS, rng)
    want = _reference(raw, name).reshape(-1)
    got = mwt.dequantize(raw, name, (N_RANDOM_BLOCKS * block,))
    _assert_bit_equal(got, want)


@pytest.mark.parametrize("name", QUANTIZABLE)
@pytest.mark.parametrize("dist", ["gaussian", "student_t2"])
def test_gguf_quantized_blocks_bit_exact(name, dist):
    rng = np.random.default_rng(7)
    block, _ = GGML_QUANT_SIZES[QT[name]]
    shape = (64, 4 * max(block, 256))
    x = rng.standard_normal(shape) if dist == "gaussian" else rng.standard_t(2, size=shape)
    packed = gguf_quantize(x.astype(np.float32), QT[name])
    want = _reference(packed, name)
    got = mwt.dequantize(packed, name, shape)
    _assert_bit_equal(got, want)
    # The round trip is lossy but close: a sanity check that the data were real.
    assert np.abs(got - x).mean() < np.abs(x).mean()


# The IQ grid types: blocks that name every codebook entry once (d = 1, small scale, no sign
# flips), so each entry of mwt's tables is compared with gguf-py's (decoded from its compressed
# constants at test time): first as whole blocks bit for bit, then entry by entry.
_ONE = np.float16(1.0).view(np.uint16)


def _grid_blocks(name: str, n_entries: int):
    """(raw blocks, grid index of each value group, group width, value scale, delta)."""
    idx = np.arange(n_entries)
    _, type_size = GGML_QUANT_SIZES[QT[name]]
    per_block = {"IQ2_XXS": 32, "IQ2_XS": 32, "IQ2_S": 32, "IQ3_XXS": 64, "IQ3_S": 64,
                 "IQ1_S": 32, "IQ1_M": 32}[name]
    nb = n_entries // per_block
    raw = np.zeros((nb, type_size), np.uint8)
    ix = idx.reshape(nb, per_block)
    if name != "IQ1_M":
        raw[:, 0:2] = np.full((nb, 1), _ONE, np.uint16).view(np.uint8)
    if name == "IQ2_XXS":  # u32 pairs: 4 index bytes, then signs 0 and scale 1 in the top bits
        words = np.zeros((nb, 8, 2), np.uint32)
        words[..., 0] = (ix.reshape(nb, 8, 4) << np.array([0, 8, 16, 24])).sum(-1)
        words[..., 1] = 1 << 28
        raw[:, 2:66] = words.reshape(nb, 16).view(np.uint8)
        return raw, 8, 0.375, 0.0
    if name == "IQ2_XS":  # u16: 9-bit index, sign index 0; scales 1
        raw[:, 2:66] = ix.astype(np.uint16).view(np.uint8)
        raw[:, 66:74] = 0x11
        return raw, 8, 0.375, 0.0
    if name == "IQ2_S":  # qs low 8 bits, qh 2 bits per index, signs 0, scales 1
        raw[:, 2:34] = ix & 0xFF
        raw[:, 66:74] = ((ix >> 8).reshape(nb, 8, 4) << np.array([0, 2, 4, 6])).sum(-1)
        raw[:, 74:82] = 0x11
        return raw, 8, 0.375, 0.0
    if name == "IQ3_XXS":  # 64 index bytes; u32 per 32 values: signs 0, scale 1
        raw[:, 2:66] = ix
        raw[:, 66:98] = np.full((nb, 8), 1 << 28, np.uint32).view(np.uint8)
        return raw, 4, 0.75, 0.0
    if name == "IQ3_S":  # qs low 8 bits, qh 9th bits, signs 0, scales 1 -> d * 3
        raw[:, 2:66] = ix & 0xFF
        raw[:, 66:74] = ((ix >> 8).reshape(nb, 8, 8) << np.arange(8)).sum(-1)
        raw[:, 106:110] = 0x11
        return raw, 4, 3.0, 0.0
    if name == "IQ1_S":  # qs low 8 bits; u16 per 32 values: 3 high bits x4, scale 1, delta +
        raw[:, 2:34] = ix & 0xFF
        qh = ((ix >> 8).reshape(nb, 8, 4) << np.array([0, 3, 6, 9])).sum(-1) | (1 << 12)
        raw[:, 34:50] = qh.astype(np.uint16).view(np.uint8)
        return raw, 8, 3.0, 0.125
    # IQ1_M: qs low 8 bits; qh nibble per index (3 high bits, delta +); scales 1, d = 1
    raw[:, 0:32] = ix & 0xFF
    nib = (ix >> 8).reshape(nb, 16, 2)
    raw[:, 32:48] = nib[..., 0] | (nib[..., 1] << 4)
    raw[:, 48:56] = np.full((nb, 4), 0o1111, np.uint16).view(np.uint8)
    _set_iq1m_scale(raw, np.ones(nb, np.float16))
    return raw, 8, 3.0, 0.125


GRID_CLASSES = {"IQ2_XXS": "IQ2_XXS", "IQ2_XS": "IQ2_XS", "IQ2_S": "IQ2_S",
                "IQ3_XXS": "IQ3_XXS", "IQ3_S": "IQ3_S", "IQ1_S": "IQ1_S", "IQ1_M": "IQ1_S"}


@pytest.mark.parametrize("name", list(GRID_CLASSES))
def test_every_grid_entry(name):
    cls = getattr(gguf.quants, GRID_CLASSES[name])
    cls.init_grid()
    want_grid = np.asarray(cls.grid, np.float64).reshape(cls.grid_shape)
    raw, width, scale, delta = _grid_blocks(name, want_grid.shape[0])
    block, _ = GGML_QUANT_SIZES[QT[name]]
    got = mwt.dequantize(raw, name, (raw.shape[0] * block,))
    _assert_bit_equal(got, _reference(raw, name).reshape(-1))
    got_grid = (got.astype(np.float64) / scale - delta).reshape(-1, width)
    np.testing.assert_array_equal(got_grid, want_grid[:, :width])


def test_shapes_and_buffers():
    rng = np.random.default_rng(1)
    raw = _random_blocks("Q4_K", 12, rng)
    want = _reference(raw, "Q4_K").reshape(-1)
    for shape in [(3072,), (2, 3, 512), (12, 256)]:
        _assert_bit_equal(mwt.dequantize(raw, "Q4_K", shape), want.reshape(shape))
    _assert_bit_equal(mwt.dequantize(raw.tobytes(), "Q4_K", (3072,)), want)
    _assert_bit_equal(mwt.dequantize(memoryview(raw.tobytes()), "Q4_K", (3072,)), want)
    # A non-contiguous array is taken by value (its bytes in C order).
    wide = np.zeros((12, 2 * raw.shape[1]), np.uint8)
    wide[:, ::2] = raw
    _assert_bit_equal(mwt.dequantize(wide[:, ::2], "Q4_K", (3072,)), want)
    assert mwt.dequantize(b"", "Q8_0", (0, 32)).shape == (0, 32)


def test_plain_dtypes_match_numpy():
    rng = np.random.default_rng(2)
    for np_type, name in [(np.int8, "I8"), (np.int16, "I16"), (np.int32, "I32"),
                          (np.int64, "I64"), (np.uint8, "U8"), (np.uint64, "U64")]:
        info = np.iinfo(np_type)
        a = rng.integers(info.min, info.max, size=(5, 7), dtype=np_type, endpoint=True)
        a.reshape(-1)[:2] = [info.min, info.max]
        _assert_bit_equal(mwt.dequantize(a, name, a.shape), a.astype(np.float32))
    f64 = rng.standard_normal(100) * np.exp2(rng.integers(-160, 160, size=100))
    with np.errstate(over="ignore"):
        _assert_bit_equal(mwt.dequantize(f64, "F64", f64.shape), f64.astype(np.float32))
    f16 = rng.integers(0, 2**16, size=50, dtype=np.uint16)
    _assert_bit_equal(mwt.dequantize(f16, "F16", (50,)),
                      gguf_dequantize(f16.view(np.uint8), QT.F16))
    bf16 = rng.integers(0, 2**16, size=50, dtype=np.uint16)
    _assert_bit_equal(mwt.dequantize(bf16, "BF16", (5, 10)),
                      (bf16.astype(np.uint32) << 16).view(np.float32).reshape(5, 10))


def test_errors():
    rng = np.random.default_rng(3)
    raw = _random_blocks("Q8_0", 4, rng)
    with pytest.raises(mwt.SizeMismatchError):
        mwt.dequantize(raw[:3], "Q8_0", (128,))  # 3 blocks of bytes for 4 blocks of values
    with pytest.raises(mwt.SizeMismatchError):
        mwt.dequantize(raw.tobytes() + b"\0", "Q8_0", (128,))
    with pytest.raises(mwt.SizeMismatchError):
        mwt.dequantize(np.zeros(7, np.float32), "F32", (8,))
    with pytest.raises(mwt.BadShapeError, match="block size 32"):
        mwt.dequantize(raw, "Q8_0", (4, 32 + 1))
    with pytest.raises(mwt.BadShapeError):
        mwt.dequantize(raw, "Q8_0", (2, 64, 1))  # innermost dim 1, although 128 values in all
    with pytest.raises(mwt.BadShapeError):
        mwt.dequantize(raw, "Q8_0", ())
    for name in NOT_IMPLEMENTED:
        info = mwt.dtype_info(name)  # gguf-py lacks Q2_0 and has Q8_1's old size
        block, size = info.block_size, info.type_size
        with pytest.raises(mwt.UnsupportedFeatureError, match=name):
            mwt.dequantize(bytes(size), name, (block,))
        assert not mwt.can_dequantize(name)
    with pytest.raises(mwt.BadDtypeError):
        mwt.dequantize(raw, "Q9_9", (128,))
    with pytest.raises(mwt.BadDtypeError):
        mwt.can_dequantize("Q4_2")


def _write_gguf(path, rng):
    w = GGUFWriter(str(path), arch="llama")
    raws = {}
    for name in IMPLEMENTED + ["Q1_0"]:
        # Three rows of two blocks; GGUFWriter derives the element shape from the byte shape.
        raw = _random_blocks(name, 6, rng) if name in F16_FIELDS else \
            rng.integers(0, 256, size=(6, GGML_QUANT_SIZES[QT[name]][1]), dtype=np.uint8)
        raw = raw.reshape(3, -1)
        raws[name] = raw
        w.add_tensor(f"q.{name.lower()}", raw, raw_dtype=QT[name])
    plain = {
        "f32": rng.standard_normal((4, 6)).astype(np.float32),
        "f16": rng.standard_normal((4, 6)).astype(np.float16),
        "i32": rng.integers(-2**31, 2**31, size=(4, 6), dtype=np.int32),
    }
    for key, a in plain.items():
        w.add_tensor(f"t.{key}", a)
    bf16 = rng.integers(0, 2**16, size=(4, 6), dtype=np.uint16)
    w.add_tensor("t.bf16", bf16, raw_dtype=QT.BF16)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return raws, plain, bf16


def test_tensor_dequantize_gguf(tmp_path):
    rng = np.random.default_rng(4)
    path = tmp_path / "q.gguf"
    raws, plain, bf16 = _write_gguf(path, rng)
    with mwt.open(path) as wf:
        for name in IMPLEMENTED:
            t = wf.tensors[f"q.{name.lower()}"]
            assert t.dtype == name
            block, _ = GGML_QUANT_SIZES[QT[name]]
            assert t.shape == (3, 2 * block)
            want = _reference(raws[name], name)
            got = t.dequantize()
            _assert_bit_equal(got, want)
            assert got.flags.writeable and not np.shares_memory(got, t.raw())
            _assert_bit_equal(t.to_numpy(np.float32), want)
            _assert_bit_equal(np.asarray(t, dtype=np.float32), want)
            with np.errstate(over="ignore", invalid="ignore"):
                np.testing.assert_array_equal(t.to_numpy(np.float64), want.astype(np.float64))
        t = wf.tensors["q.q1_0"]
        with pytest.raises(mwt.UnsupportedFeatureError, match="Q1_0"):
            t.dequantize()
        with pytest.raises(mwt.UnsupportedFeatureError, match="Q1_0"):
            t.to_numpy(np.float32)
        for key, a in plain.items():
            _assert_bit_equal(wf.tensors[f"t.{key}"].dequantize(), a.astype(np.float32))
        _assert_bit_equal(wf.tensors["t.bf16"].dequantize(),
                          (bf16.astype(np.uint32) << 16).view(np.float32))


def test_tensor_dequantize_safetensors(tmp_path):
    rng = np.random.default_rng(5)
    bf16 = rng.integers(0, 2**16, size=(3, 4), dtype=np.uint16)
    i64 = rng.integers(-2**63, 2**63, size=(2, 5), dtype=np.int64)
    f64 = rng.standard_normal((2, 2))
    path = tmp_path / "t.safetensors"
    mwt.save_safetensors(path, {"b": mwt.RawTensor("BF16", bf16.shape, bf16.tobytes()),
                                "i": i64, "d": f64})
    with mwt.open(path) as wf:
        _assert_bit_equal(wf.tensors["b"].dequantize(),
                          (bf16.astype(np.uint32) << 16).view(np.float32))
        _assert_bit_equal(wf.tensors["i"].dequantize(), i64.astype(np.float32))
        _assert_bit_equal(wf.tensors["d"].dequantize(), f64.astype(np.float32))
