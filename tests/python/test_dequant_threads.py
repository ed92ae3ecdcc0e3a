"""mwt.dequantize and Tensor.dequantize with ``out=`` (decode into a caller's buffer) and
``threads=``: every thread count gives the same bits as one thread, ``out`` is filled and
returned as is, and every unfit ``out`` / ``threads`` raises its mwt error class without
writing anything. Sizes straddle the library's threading threshold (2^19 values per thread).
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

mwt = pytest.importorskip("mwt")

PER_THREAD = 1 << 19  # quant/dequantize.hpp kMinValuesPerThread, documented in mwt.h

# Offsets of the f16 scale fields (ggml-common.h): random bytes there could be NaN / Inf.
F16_FIELDS = {"Q8_0": [0], "Q4_0": [0], "Q4_K": [0, 2], "Q6_K": [208], "IQ2_XXS": [0],
              "IQ4_NL": [0], "TQ2_0": [64]}
PLAIN = ["F32", "F16", "BF16", "I8", "I32", "U16", "F8_E4M3"]


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.uint32)


def _random_raw(dtype: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Bytes of n random values of dtype: every bit pattern, sane f16 scales for block types."""
    info = mwt.dtype_info(dtype)
    n_blocks = n // info.block_size
    raw = rng.integers(0, 256, size=(n_blocks, info.type_size), dtype=np.uint8)
    for off in F16_FIELDS.get(dtype, []):
        halves = (rng.standard_normal(n_blocks) * 0.01).astype(np.float16)
        raw[:, off:off + 2] = halves.view(np.uint8).reshape(n_blocks, 2)
    return raw.reshape(-1)


def _sizes(dtype: str) -> list[int]:
    block = mwt.dtype_info(dtype).block_size
    per = PER_THREAD // block
    # one thread's worth minus a block, two exactly, and an odd block count over three threads
    return [(per - 1) * block, 2 * per * block, (3 * per + 7) * block]


# ------------------------------------------------------------------------- bit identity

@pytest.mark.parametrize("dtype", list(F16_FIELDS) + PLAIN)
def test_every_thread_count_gives_the_same_bits(dtype):
    rng = np.random.default_rng(sum(map(ord, dtype)))
    for n in _sizes(dtype):
        raw = _random_raw(dtype, n, rng)
        one = mwt.dequantize(raw, dtype, (n,), threads=1)
        assert one.dtype == np.float32 and one.shape == (n,)
        for threads in (None, 2, 3, 4, 1000):
            got = mwt.dequantize(raw, dtype, (n,), threads=threads)
            assert np.array_equal(_bits(got), _bits(one)), (dtype, n, threads)


def test_plain_dtypes_match_numpy_with_threads():
    rng = np.random.default_rng(5)
    n = 3 * PER_THREAD + 5
    for np_type in (np.float16, np.int32, np.uint8, np.int64, np.float64):
        if np.dtype(np_type).kind == "f":
            a = rng.standard_normal(n).astype(np_type)
        else:
            info = np.iinfo(np_type)
            a = rng.integers(info.min, info.max, size=n, dtype=np_type, endpoint=True)
        name = {np.float16: "F16", np.int32: "I32", np.uint8: "U8", np.int64: "I64",
                np.float64: "F64"}[np_type]
        got = mwt.dequantize(a.view(np.uint8), name, (n,), threads=4)
        assert np.array_equal(_bits(got), _bits(a.astype(np.float32))), name


# --------------------------------------------------------------------------------- out=

@pytest.mark.parametrize("threads", [None, 1, 3])
def test_out_is_filled_and_returned_in_its_own_shape(threads):
    rng = np.random.default_rng(1)
    n = 2 * PER_THREAD + 512
    raw = _random_raw("Q4_K", n, rng)
    want = mwt.dequantize(raw, "Q4_K", (n // 256, 256))
    for shape in [(n // 256, 256), (n,), (256, n // 256), (2, n // 512, 256)]:
        out = np.full(shape, np.nan, dtype=np.float32)
        got = mwt.dequantize(raw, "Q4_K", (n // 256, 256), out=out, threads=threads)
        assert got is out
        assert got.shape == shape
        assert np.array_equal(_bits(out.reshape(-1)), _bits(want.reshape(-1)))


def test_one_out_buffer_reused_across_tensors_and_dtypes():
    rng = np.random.default_rng(2)
    n = 4096
    buf = np.empty(n, dtype=np.float32)
    for dtype in ["Q8_0", "Q6_K", "F16", "I8", "Q8_0"]:
        raw = _random_raw(dtype, n, rng)
        assert mwt.dequantize(raw, dtype, (n,), out=buf) is buf
        assert np.array_equal(_bits(buf), _bits(mwt.dequantize(raw, dtype, (n,))))


def test_out_accepts_views_that_are_c_contiguous():
    rng = np.random.default_rng(3)
    raw = _random_raw("Q8_0", 64, rng)
    big = np.zeros((4, 64), dtype=np.float32)
    row = big[2]  # a C-contiguous view into a larger array
    assert mwt.dequantize(raw, "Q8_0", (64,), out=row) is row
    assert np.array_equal(_bits(big[2]), _bits(mwt.dequantize(raw, "Q8_0", (64,))))
    assert not big[[0, 1, 3]].any()  # nothing written outside the view


def test_empty_tensor_with_out():
    out = np.empty((0, 32), dtype=np.float32)
    assert mwt.dequantize(b"", "Q8_0", (0, 32), out=out) is out


# ----------------------------------------------------------------------------- errors

def _unfit_outs(n: int):
    ro = np.zeros(n, dtype=np.float32)
    ro.flags.writeable = False
    return [
        (np.zeros(n, dtype=np.float64), mwt.TypeMismatchError),
        (np.zeros(n, dtype=np.float16), mwt.TypeMismatchError),
        (np.zeros(n, dtype=">f4" if np.little_endian else "<f4"), mwt.TypeMismatchError),
        (np.zeros(n - 1, dtype=np.float32), mwt.SizeMismatchError),
        (np.zeros(n + 32, dtype=np.float32), mwt.SizeMismatchError),
        (np.zeros(2 * n, dtype=np.float32)[::2], mwt.ArgumentError),        # strided
        (np.zeros((n // 32, 32), dtype=np.float32, order="F"), mwt.ArgumentError),
        (ro, mwt.ArgumentError),
        ([0.0] * n, mwt.ArgumentError),
        (bytearray(4 * n), mwt.ArgumentError),
    ]


def test_unfit_out_raises_its_error_class_and_writes_nothing():
    rng = np.random.default_rng(4)
    n = 64 * 32
    raw = _random_raw("Q8_0", n, rng)
    for out, cls in _unfit_outs(n):
        before = out.copy() if isinstance(out, np.ndarray) else None
        with pytest.raises(cls) as info:
            mwt.dequantize(raw, "Q8_0", (64, 32), out=out)
        assert isinstance(info.value, mwt.MwtError)
        assert "out" in str(info.value)
        if before is not None:
            assert np.array_equal(out, before)  # still all zeros


def test_library_errors_leave_out_untouched():
    raw = np.zeros(34 * 4, dtype=np.uint8)
    out = np.full(128, 7.0, dtype=np.float32)
    with pytest.raises(mwt.SizeMismatchError):
        mwt.dequantize(raw[:-1], "Q8_0", (128,), out=out)
    with pytest.raises(mwt.BadShapeError):
        mwt.dequantize(raw, "Q8_0", (4, 31), out=out[:124])
    with pytest.raises(mwt.UnsupportedFeatureError):
        mwt.dequantize(raw, "Q8_1", (128,), out=out)
    assert (out == 7.0).all()


def test_out_overlapping_raw_is_refused():
    buf = np.zeros(64, dtype=np.float32)
    with pytest.raises(mwt.ArgumentError, match="overlap"):
        mwt.dequantize(buf.view(np.uint8)[:64], "F32", (16,), out=buf[8:24])
    # Adjacent, not overlapping: fine.
    assert mwt.dequantize(buf.view(np.uint8)[:64], "F32", (16,), out=buf[16:32]) is not None


@pytest.mark.parametrize("threads", [0, -1, -(2 ** 40), True, False, 1.0, "2", 2.5])
def test_bad_threads_is_an_argument_error(threads):
    with pytest.raises(mwt.ArgumentError, match="threads"):
        mwt.dequantize(np.zeros(34, dtype=np.uint8), "Q8_0", (32,), threads=threads)


def test_threads_accepts_numpy_integers_and_huge_counts():
    raw = np.zeros(34, dtype=np.uint8)
    assert mwt.dequantize(raw, "Q8_0", (32,), threads=np.int64(2)).shape == (32,)
    assert mwt.dequantize(raw, "Q8_0", (32,), threads=2 ** 40).shape == (32,)


# ----------------------------------------------------------- concurrency from Python

def test_concurrent_calls_from_python_threads():
    rng = np.random.default_rng(6)
    n = 2 * PER_THREAD
    raws = [_random_raw("Q4_0", n, rng) for _ in range(4)]
    wants = [mwt.dequantize(r, "Q4_0", (n,), threads=1) for r in raws]
    outs = [np.empty(n, dtype=np.float32) for _ in raws]
    errors = []

    def work(i):
        try:
            for _ in range(3):
                mwt.dequantize(raws[i], "Q4_0", (n,), out=outs[i])
        except Exception as e:  # surfaced below; a thread's exception is otherwise lost
            errors.append(e)

    ts = [threading.Thread(target=work, args=(i,)) for i in range(len(raws))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    for got, want in zip(outs, wants):
        assert np.array_equal(_bits(got), _bits(want))


# ------------------------------------------------------------------ Tensor.dequantize

@pytest.fixture(scope="module")
def gguf_file(tmp_path_factory):
    rng = np.random.default_rng(7)
    path = tmp_path_factory.mktemp("dqt") / "t.gguf"
    rows = 2 * PER_THREAD // 256 + 3
    tensors = {
        "q4k": mwt.RawTensor("Q4_K", (rows, 256), _random_raw("Q4_K", rows * 256, rng)),
        "q8": mwt.RawTensor("Q8_0", (8, 64), _random_raw("Q8_0", 512, rng)),
        "f16": rng.standard_normal((rows, 256)).astype(np.float16),
        "bf16": mwt.RawTensor("BF16", (3, 5), _random_raw("BF16", 15, rng)),
        "i32": rng.integers(-2 ** 31, 2 ** 31, size=(7, 3), dtype=np.int32),
    }
    mwt.save_gguf(path, tensors)
    return path


def test_tensor_dequantize_out_and_threads(gguf_file):
    with mwt.open(gguf_file) as f:
        for name, t in f.tensors.items():
            want = t.dequantize()
            assert want.shape == t.shape and want.dtype == np.float32
            for threads in (None, 1, 2, 3):
                got = t.dequantize(threads=threads)
                assert np.array_equal(_bits(got), _bits(want)), (name, threads)
            flat = np.empty(t.numel, dtype=np.float32)
            assert t.dequantize(out=flat, threads=2) is flat
            assert np.array_equal(_bits(flat), _bits(want.reshape(-1))), name
            shaped = np.empty(t.shape, dtype=np.float32)
            assert t.dequantize(out=shaped) is shaped
            assert np.array_equal(_bits(shaped), _bits(want)), name


def test_tensor_dequantize_matches_numpy_for_plain_dtypes(gguf_file):
    with mwt.open(gguf_file) as f:
        for name in ("f16", "i32"):
            t = f.tensors[name]
            want = t.numpy().astype(np.float32)
            assert np.array_equal(_bits(t.dequantize()), _bits(want))
            assert np.array_equal(_bits(t.to_numpy(np.float32)), _bits(want))
            assert np.array_equal(t.to_numpy(np.float64), t.numpy().astype(np.float64))


def test_tensor_dequantize_unfit_out(gguf_file):
    with mwt.open(gguf_file) as f:
        t = f.tensors["q8"]
        with pytest.raises(mwt.SizeMismatchError):
            t.dequantize(out=np.empty(t.numel - 32, dtype=np.float32))
        with pytest.raises(mwt.TypeMismatchError):
            t.dequantize(out=np.empty(t.shape, dtype=np.float64))
        with pytest.raises(mwt.ArgumentError):
            t.dequantize(out=np.empty((t.shape[1], t.shape[0]), dtype=np.float32).T)
        with pytest.raises(mwt.ArgumentError):
            t.dequantize(threads=0)
