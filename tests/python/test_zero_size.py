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
