"""K-quant quantization (Q4_K, Q5_K, Q6_K, Q3_K, Q2_K): gguf-py has no quantizer for them, so
these tests check what can be checked: gguf-py's ``gguf.quants.dequantize`` decodes mwt's blocks
to exactly what ``mwt.dequantize`` gives; the reconstruction error on Gaussian and heavy-tailed
data is within llama.cpp's thresholds for sqrt(sum d^2) / n (and within bounds on the relative
RMSE); importance weights lower the weighted error; the output is deterministic; the argument
errors.
"""

from __future__ import annotations

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
mwt = pytest.importorskip("mwt")

from gguf import GGMLQuantizationType as QT  # noqa: E402
from gguf.quants import dequantize as gguf_dequantize  # noqa: E402

TYPES = ["Q4_K", "Q5_K", "Q6_K", "Q3_K", "Q2_K"]
# sqrt(sum d^2) / n bounds (llama.cpp's test-quantize-fns) and relative-RMSE bounds (generous:
# the measured values are about 2/3 of these).
LLAMA_BOUND = {"Q4_K": 0.0075, "Q5_K": 0.004, "Q6_K": 0.004, "Q3_K": 0.0075, "Q2_K": 0.01}
REL_BOUND = {"Q4_K": 0.10, "Q5_K": 0.055, "Q6_K": 0.03, "Q3_K": 0.20, "Q2_K": 0.32}
N = 1 << 16


def _data(kind: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "gaussian":
        x = rng.standard_normal(n)
    elif kind == "student_t2":
        x = rng.standard_t(2.0, n)
    elif kind == "lognormal":
        x = np.exp(0.75 * rng.standard_normal(n)) * rng.choice([-1.0, 1.0], n)
    elif kind == "scaled_rows":  # rows of very different magnitudes, some offset
        x = (rng.standard_normal((n // 256, 256)) * np.exp2(rng.integers(-12, 12, (n // 256, 1)))
             + rng.standard_normal((n // 256, 1)) * 0.5).reshape(-1)
    else:
        raise AssertionError(kind)
    return x.astype(np.float32)


KINDS = ["gaussian", "student_t2", "lognormal"]


@pytest.mark.parametrize("name", TYPES)
def test_can_quantize(name: str) -> None:
    assert mwt.can_quantize(name)


@pytest.mark.parametrize("name", TYPES)
@pytest.mark.parametrize("kind", KINDS + ["scaled_rows"])
def test_gguf_decodes_mwt_blocks_identically(name: str, kind: str) -> None:
    x = _data(kind, 64 * 256, 11).reshape(16, 1024)
    q = mwt.quantize(x, name)
    assert q.dtype == np.uint8
    assert q.shape == (16, 1024 // 256 * gguf.GGML_QUANT_SIZES[QT[name]][1])
    ours = mwt.dequantize(q, name, x.shape)
    theirs = gguf_dequantize(q, QT[name])
    assert theirs.shape == x.shape
    np.testing.assert_array_equal(ours.view(np.uint32), theirs.astype(np.float32).view(np.uint32))
    assert np.isfinite(ours).all()


@pytest.mark.parametrize("name", TYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_reconstruction_error(name: str, kind: str) -> None:
    x = _data(kind, N, 1234)
    y = mwt.dequantize(mwt.quantize(x, name), name, x.shape).astype(np.float64)
    d = x.astype(np.float64) - y
    llama = np.sqrt(np.sum(d * d)) / x.size
    rel = np.sqrt(np.mean(d * d)) / np.sqrt(np.mean(x.astype(np.float64) ** 2))
    assert llama <= LLAMA_BOUND[name], (name, kind, llama, rel)
    assert rel <= REL_BOUND[name], (name, kind, llama, rel)


@pytest.mark.parametrize("name", TYPES)
def test_importance_lowers_weighted_error(name: str) -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((32, 512)).astype(np.float32)
    w = np.full(512, 0.01, np.float32)
    w[rng.choice(512, 24, replace=False)] = 100.0

    def werr(q: np.ndarray) -> float:
        d = x.astype(np.float64) - mwt.dequantize(q, name, x.shape)
        return float(np.sum(w * d * d))

    plain = werr(mwt.quantize(x, name))
    weighted = werr(mwt.quantize(x, name, importance=w))
    assert weighted <= plain
    assert weighted < 0.8 * plain, (plain, weighted)


@pytest.mark.parametrize("name", TYPES)
def test_importance_rows_and_uniform_weights(name: str) -> None:
    x = _data("student_t2", 4 * 512, 8).reshape(4, 512)
    w = np.random.default_rng(9).uniform(0.0, 3.0, 512).astype(np.float32)
    whole = mwt.quantize(x, name, importance=w)
    # The weights apply to every row: quantizing row by row gives the same bytes.
    for r in range(4):
        np.testing.assert_array_equal(whole[r], mwt.quantize(x[r], name, importance=w))
    # Uniform power-of-two weights are the unweighted quantization.
    np.testing.assert_array_equal(mwt.quantize(x, name, importance=np.full(512, 4.0)),
                                  mwt.quantize(x, name))
    # A list is accepted (converted to float32); zero weights too.
    mwt.quantize(x, name, importance=[0.0] * 512)


@pytest.mark.parametrize("name", TYPES)
def test_deterministic(name: str) -> None:
    x = _data("lognormal", 8 * 256, 3)
    a = mwt.quantize(x, name)
    b = mwt.quantize(x.copy(), name)
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("name", TYPES)
def test_special_blocks(name: str) -> None:
    zeros = np.zeros(256, np.float32)
    assert not mwt.dequantize(mwt.quantize(zeros, name), name, (256,)).any()
    const = np.full(256, -1.5, np.float32)
    np.testing.assert_allclose(mwt.dequantize(mwt.quantize(const, name), name, (256,)), -1.5,
                               atol=0.01)
    huge = _data("gaussian", 256, 4)
    huge[17], huge[200] = np.finfo(np.float32).max, -np.finfo(np.float32).max
    q = mwt.quantize(huge, name)
    assert np.isfinite(gguf_dequantize(q, QT[name])).all()
    np.testing.assert_array_equal(mwt.dequantize(q, name, (256,)), gguf_dequantize(q, QT[name]))


def test_errors() -> None:
    x = _data("gaussian", 512, 1)
    with pytest.raises(mwt.BadShapeError):
        mwt.quantize(x[:384], "Q4_K")
    bad = x.copy()
    bad[300] = np.nan
    with pytest.raises(mwt.ArgumentError, match="300"):
        mwt.quantize(bad, "Q6_K")
    with pytest.raises(mwt.ArgumentError, match="K-quants"):
        mwt.quantize(x, "Q8_0", importance=np.ones(512))
    with pytest.raises(mwt.ArgumentError, match="K-quants"):
        mwt.quantize(x, "F16", importance=np.ones(512))
    with pytest.raises(mwt.ArgumentError, match="shape"):
        mwt.quantize(x, "Q4_K", importance=np.ones(256))
    with pytest.raises(mwt.ArgumentError, match="shape"):
        mwt.quantize(x.reshape(2, 256), "Q4_K", importance=np.ones((2, 256)))
    for v in (-1.0, np.nan, np.inf):
        w = np.ones(512, np.float32)
        w[7] = v
        with pytest.raises(mwt.ArgumentError, match="weight 7"):
            mwt.quantize(x, "Q5_K", importance=w)
