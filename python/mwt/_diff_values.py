"""Numeric comparison of two tensors for :func:`mwt.diff`: values read in chunks of rows,
dequantized to float32, accumulated in float64, so memory stays bounded by the chunk size
whatever the tensor size (docs/diff.md#numeric-deltas)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional, Tuple

import numpy as np

from ._dtypes import NUMPY_DTYPES
from ._quant import can_dequantize, dequantize

__all__ = ["Deltas", "compare", "comparable"]

# Values per chunk and side: 4 Mi float64 values are 32 MiB; two sides and their difference
# keep a comparison under ~150 MiB.
CHUNK_VALUES = 1 << 22

# A layout transform of the rows of one side, applied chunk by chunk: (rows of the side, start
# row) -> rows in the other side's layout.
RowFn = Callable[[np.ndarray, int], np.ndarray]


@dataclass
class Deltas:
    """Differences of two tensors' values (b against a), over all elements."""

    max_abs: float            # max |a - b|
    rel_l2: Optional[float]   # ||a - b|| / ||a||; None when ||a|| = 0 and a != b
    cosine: Optional[float]   # <a, b> / (||a|| ||b||); None when either norm is 0
    norm_a: float
    norm_b: float
    nonfinite_a: int          # NaN / inf elements (they make the metrics NaN)
    nonfinite_b: int
    norm_diff: float          # ||a - b||

    def swapped(self) -> Deltas:
        """The deltas of (b, a): only ``rel_l2`` is not symmetric."""
        return _deltas(self.max_abs, self.norm_diff, self.norm_b, self.norm_a, self.cosine,
                       self.nonfinite_b, self.nonfinite_a)


def _deltas(max_abs: float, norm_diff: float, norm_a: float, norm_b: float,
            cosine: Optional[float], bad_a: int, bad_b: int) -> Deltas:
    if norm_a > 0 or math.isnan(norm_a):
        rel: Optional[float] = norm_diff / norm_a
    else:
        rel = 0.0 if norm_diff == 0 else None
    return Deltas(max_abs, rel, cosine, norm_a, norm_b, bad_a, bad_b, norm_diff)


def comparable(dtype: str) -> Optional[str]:
    """None when values of ``dtype`` can be read as float, else why not."""
    if dtype == "C64":
        return "complex values (C64) are not compared"
    if dtype in NUMPY_DTYPES:
        return None
    try:
        ok = can_dequantize(dtype)
    except Exception:  # noqa: BLE001 - an unknown dtype name: say so, do not fail the diff
        return f"mwt has no dtype {dtype}"
    return None if ok else f"mwt has no decoder for {dtype}"


def _grid(t: Any) -> Tuple[int, int]:
    """The tensor as a 2-D grid (rows, columns): columns are the innermost dimension."""
    shape = tuple(int(d) for d in t.shape)
    if not shape:
        return 1, 1
    return math.prod(shape[:-1]), shape[-1]


def _reader(t: Any) -> Callable[[int, int], np.ndarray]:
    """rows(r0, r1) -> float64 array (r1 - r0, columns) of tensor ``t``."""
    rows, cols = _grid(t)
    raw = t.raw()
    np_dtype = NUMPY_DTYPES.get(t.dtype)
    if rows and t.nbytes % rows == 0:
        row_bytes = t.nbytes // rows

        def read(r0: int, r1: int) -> np.ndarray:
            part = raw[r0 * row_bytes:r1 * row_bytes]
            if np_dtype is not None:
                return part.view(np_dtype).reshape(r1 - r0, cols).astype(np.float64)
            return dequantize(part, t.dtype, (r1 - r0, cols)).astype(np.float64)

        return read
    # Rows that are not whole bytes (sub-byte dtypes): decode the tensor once.
    whole = (t.numpy() if np_dtype is not None else t.dequantize()).reshape(rows, cols)
    return lambda r0, r1: whole[r0:r1].astype(np.float64)


def _chunks(rows: int, cols: int, step: int) -> Iterator[Tuple[int, int]]:
    per = max(1, CHUNK_VALUES // max(cols, 1))
    per = max(step, per - per % step)
    for r0 in range(0, rows, per):
        yield r0, min(rows, r0 + per)


def compare(a: Optional[Any], b: Any, *, b_rows: Optional[RowFn] = None, row_step: int = 1,
            a_whole: Optional[np.ndarray] = None) -> Deltas:
    """Deltas of tensors ``a`` and ``b`` whose grids (see :func:`_grid`) have the same shape.

    ``b_rows`` maps each chunk of b's rows into a's layout (a row permutation within groups of
    ``row_step`` rows, which chunks never split). ``a_whole``: a's values as b's grid, already
    decoded (for a transposed a, then ``a`` is not read and may be None); chunks of b's rows
    are then compared with its rows."""
    rows, cols = _grid(b)
    read_b = _reader(b)
    read_a = None if a_whole is not None or a is None else _reader(a)
    ssd = ssa = ssb = dot = 0.0
    max_abs = 0.0
    bad_a = bad_b = 0
    with np.errstate(invalid="ignore", over="ignore"):
        for r0, r1 in _chunks(rows, cols, row_step):
            vb = read_b(r0, r1)
            if b_rows is not None:
                vb = b_rows(vb, r0)
            va = (a_whole[r0:r1].astype(np.float64) if a_whole is not None
                  else read_a(r0, r1) if read_a is not None else vb)
            va, vb = va.ravel(), vb.ravel()
            d = va - vb
            ssd += float(np.dot(d, d))
            ssa += float(np.dot(va, va))
            ssb += float(np.dot(vb, vb))
            dot += float(np.dot(va, vb))
            if d.size:
                m = float(np.max(np.abs(d)))
                max_abs = m if math.isnan(m) else max(max_abs, m)
            bad_a += int(d.size - np.count_nonzero(np.isfinite(va)))
            bad_b += int(d.size - np.count_nonzero(np.isfinite(vb)))
    norm_a, norm_b = math.sqrt(ssa), math.sqrt(ssb)
    cos = dot / (norm_a * norm_b) if norm_a > 0 and norm_b > 0 else None
    if cos is not None and not math.isnan(cos):
        cos = max(-1.0, min(1.0, cos))  # rounding of the sums can step past +-1
    return _deltas(max_abs, math.sqrt(ssd), norm_a, norm_b, cos, bad_a, bad_b)
