"""Fresh-array dequantize (no ``out=``): outputs of 32 MiB and more live in mappings of their
own and the memory of the last one dropped is reused for the next (register_quant.cpp,
OutputPool). These check what a caller sees, not timing: the same bits as the ``out=`` path,
2 MiB alignment, a writable float32 C-contiguous array of the asked shape that shares memory
with nothing else alive, recycling only once an array and all its views are gone, and the same
below the pool's size (numpy's allocation there).
"""

from __future__ import annotations

import gc
import threading

import numpy as np
import pytest

mwt = pytest.importorskip("mwt")

POOL_MIN_VALUES = (32 << 20) // 4  # OutputPool::kMinBytes, in float32 values
HUGE = 2 << 20
F16_FIELDS = {"Q8_0": [0], "Q4_K": [0, 2], "Q6_K": [208], "IQ4_XS": [0]}


def _random_raw(dtype: str, n: int, seed: int) -> np.ndarray:
    """Bytes of n random values of dtype, with finite f16 scales."""
    rng = np.random.default_rng(seed)
    info = mwt.dtype_info(dtype)
    n_blocks = n // info.block_size
    raw = rng.integers(0, 256, size=(n_blocks, info.type_size), dtype=np.uint8)
    for off in F16_FIELDS.get(dtype, []):
        halves = (rng.standard_normal(n_blocks) * 0.01).astype(np.float16)
        raw[:, off:off + 2] = halves.view(np.uint8).reshape(n_blocks, 2)
    return raw.reshape(-1)


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.uint32)


def _check_array(a: np.ndarray, shape: tuple, raw: np.ndarray) -> None:
    assert a.dtype == np.float32 and a.shape == shape
    assert a.flags.c_contiguous and a.flags.writeable and a.flags.aligned
    assert not np.shares_memory(a, raw)


@pytest.mark.parametrize("dtype", list(F16_FIELDS))
@pytest.mark.parametrize("n", [POOL_MIN_VALUES - 256, POOL_MIN_VALUES + 4096])
def test_fresh_equals_out_bit_for_bit(dtype, n):
    raw = _random_raw(dtype, n, seed=n % 97)
    out = np.full(n, np.nan, dtype=np.float32)
    mwt.dequantize(raw, dtype, (n,), out=out, threads=1)
    shape = (n // 256, 256)
    for threads in (1, 2, None):
        a = mwt.dequantize(raw, dtype, shape, threads=threads)
        _check_array(a, shape, raw)
        assert np.array_equal(_bits(a).reshape(-1), _bits(out)), (dtype, n, threads)
        if n >= POOL_MIN_VALUES:  # a mapping of its own, on a huge-page boundary
            assert a.ctypes.data % HUGE == 0
        else:
            assert a.ctypes.data % 16 == 0
        del a


def test_live_outputs_never_share_memory_and_views_keep_theirs():
    n = POOL_MIN_VALUES
    raws = [_random_raw("Q8_0", n, seed=s) for s in range(3)]
    want = [mwt.dequantize(r, "Q8_0", (n,), threads=1).copy() for r in raws]
    gc.collect()
    a = mwt.dequantize(raws[0], "Q8_0", (n,))
    b = mwt.dequantize(raws[1], "Q8_0", (n,))
    assert not np.shares_memory(a, b)
    view = a[1000:]  # keeps a's memory alive after a is gone
    a_addr = a.ctypes.data
    del a
    c = mwt.dequantize(raws[2], "Q8_0", (n,))
    assert not np.shares_memory(c, view) and not np.shares_memory(c, b)
    assert np.array_equal(_bits(view), _bits(want[0][1000:]))
    assert np.array_equal(_bits(b), _bits(want[1]))
    assert np.array_equal(_bits(c), _bits(want[2]))
    # Once the last view is gone the memory is the one reused next (the most recently dropped
    # is kept: c first, then a), and decoded over fully.
    del c
    del view
    gc.collect()
    d = mwt.dequantize(raws[1], "Q8_0", (n,))
    assert d.ctypes.data == a_addr
    assert np.array_equal(_bits(d), _bits(want[1]))
    d[:] = 0  # ours to write; b is another array
    assert np.array_equal(_bits(b), _bits(want[1]))


def test_reused_memory_fits_the_new_shape_or_is_not_used():
    big, small = 2 * POOL_MIN_VALUES + 512, POOL_MIN_VALUES
    raw_big, raw_small = _random_raw("Q4_K", big, 1), _random_raw("Q4_K", small, 2)
    a = mwt.dequantize(raw_big, "Q4_K", (big,))
    addr = a.ctypes.data
    del a
    gc.collect()
    # More than twice the size asked for: not used for it, kept for a bigger one.
    b = mwt.dequantize(raw_small, "Q4_K", (small,))
    assert b.ctypes.data != addr
    want_small = np.empty(small, np.float32)
    mwt.dequantize(raw_small, "Q4_K", (small,), out=want_small)
    assert np.array_equal(_bits(b), _bits(want_small))
    c = mwt.dequantize(raw_big, "Q4_K", (big,))
    assert c.ctypes.data == addr
    want_big = np.empty(big, np.float32)
    mwt.dequantize(raw_big, "Q4_K", (big,), out=want_big)
    assert np.array_equal(_bits(c), _bits(want_big))


def test_a_failed_call_leaves_the_pool_usable():
    n = POOL_MIN_VALUES
    raw = _random_raw("Q6_K", n, 5)
    with pytest.raises(mwt.SizeMismatchError):
        mwt.dequantize(raw[:-1], "Q6_K", (n,))
    a = mwt.dequantize(raw, "Q6_K", (n,))
    want = np.empty(n, np.float32)
    mwt.dequantize(raw, "Q6_K", (n,), out=want)
    assert np.array_equal(_bits(a), _bits(want))


def test_concurrent_fresh_outputs_from_python_threads():
    n = POOL_MIN_VALUES
    raws = [_random_raw("IQ4_XS", n, 10 + i) for i in range(3)]
    want = []
    for r in raws:
        w = np.empty(n, np.float32)
        mwt.dequantize(r, "IQ4_XS", (n,), out=w)
        want.append(w)
    errors = []

    def work(i: int) -> None:
        try:
            kept = []
            for k in range(4):
                j = (i + k) % 3
                a = mwt.dequantize(raws[j], "IQ4_XS", (n,), threads=1)
                if not np.array_equal(_bits(a), _bits(want[j])):
                    errors.append((i, k))
                if k % 2 == 0:
                    kept.append((j, a))  # some stay alive while others are recycled
            for j, a in kept:
                if not np.array_equal(_bits(a), _bits(want[j])):
                    errors.append((i, "kept", j))
        except Exception as e:  # reported below: an exception in a thread is otherwise lost
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_tensor_dequantize_and_to_numpy_fresh(tmp_path):
    n = POOL_MIN_VALUES + 1024
    x = np.random.default_rng(3).standard_normal((n // 1024, 1024)).astype(np.float16)
    path = tmp_path / "big.gguf"
    mwt.save_gguf(path, {"w": x})
    with mwt.open(path) as f:
        t = f.tensors["w"]
        for a in (t.dequantize(), t.to_numpy(np.float32)):
            _check_array(a, x.shape, np.asarray(t.raw()))
            assert np.array_equal(a, x.astype(np.float32))
            assert a.ctypes.data % HUGE == 0
            del a
    # The arrays outlive the file they came from.
    with mwt.open(path) as f:
        a = f.tensors["w"].dequantize()
    assert np.array_equal(a, x.astype(np.float32))
