"""Zero-element tensors of every shape (the zero in any dimension, not only the first) read back
as empty arrays of their shape, in both formats and through every read path."""

import numpy as np
import pytest

import mwt

SHAPES = [(0,), (0, 4), (2, 0), (4, 0), (1, 0, 4), (3, 5, 0)]
SAVERS = {"gguf": mwt.save_gguf, "safetensors": mwt.save_safetensors}


@pytest.mark.parametrize("fmt", sorted(SAVERS))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32])
def test_empty_tensor_reads_back_in_its_shape(tmp_path, fmt, shape, dtype):
    path = tmp_path / f"empty.{fmt}"
    SAVERS[fmt](path, {"t": np.zeros(shape, dtype)})
    with mwt.open(path) as wf:
        t = wf.tensors["t"]
        assert t.shape == shape and t.numel == 0
        for got, want_dtype in [(np.asarray(t), dtype), (t.numpy(), dtype),
                                (t.to_numpy(), dtype), (t.to_numpy(np.float32), np.float32),
                                (t.dequantize(), np.float32),
                                (np.asarray(t, dtype=np.float64), np.float64)]:
            assert isinstance(got, np.ndarray)
            assert got.shape == shape and got.dtype == want_dtype and got.size == 0
        assert t.raw().shape == (0,)


def _gguf_with_one_f32(dims_innermost_first):
    """A GGUF v3 with no metadata and one F32 tensor "t" of the given GGUF dims at offset 0."""
    import struct

    name = b"t"
    head = b"GGUF" + struct.pack("<IQQ", 3, 1, 0)
    info = struct.pack("<Q", len(name)) + name + struct.pack("<I", len(dims_innermost_first))
    info += b"".join(struct.pack("<Q", d) for d in dims_innermost_first)
    info += struct.pack("<IQ", 0, 0)  # F32, offset 0
    body = head + info
    return body + b"\0" * (-len(body) % 32)


def test_empty_tensor_numpy_cannot_shape_is_an_mwt_error(tmp_path):
    """numpy refuses a shape whose non-zero dimensions exceed its size limit even with no
    elements; mwt reports that as SizeOverflowError naming the tensor (not numpy's ValueError),
    and raw() still gives the empty bytes."""
    path = tmp_path / "huge_empty.gguf"
    path.write_bytes(_gguf_with_one_f32([0, 2**63 - 1]))
    with mwt.open(path) as wf:
        t = wf.tensors["t"]
        assert t.shape == (2**63 - 1, 0) and t.nbytes == 0
        for read in (np.asarray, lambda x: x.numpy(), lambda x: x.dequantize()):
            with pytest.raises(mwt.SizeOverflowError, match="numpy cannot make an array"):
                read(t)
        assert t.raw().shape == (0,)
