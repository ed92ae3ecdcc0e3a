"""Dequantization: packed ggml block data and the plain dtypes to float32, through the library's
SIMD kernels (see :func:`active_isa`) or its scalar reference decoders, which all agree with
gguf-py's ``gguf.quants.dequantize`` bit for bit; large tensors split over threads, into a new
array or a caller's ``out=`` buffer.
Quantization: float32 to Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, TQ1_0, TQ2_0, MXFP4 (byte-identical to
gguf-py's
``gguf.quants.quantize``), to the K-quants Q2_K, Q3_K, Q4_K, Q5_K, Q6_K (mwt's own encoder,
optionally with importance weights) and to the float dtypes F32, F16, BF16.

Block types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ2_XXS, IQ2_XS, IQ2_S,
IQ3_XXS, IQ3_S, IQ1_S, IQ1_M, IQ4_NL, IQ4_XS, TQ1_0, TQ2_0, MXFP4, NVFP4. Not (yet): Q1_0, Q2_0
and the activation-only Q8_1 / Q8_K, which raise :class:`mwt.UnsupportedFeatureError`.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Optional, Sequence

import numpy as np

from . import _native
from ._dtypes import dtype_info
from ._errors import _raise

__all__ = ["dequantize", "can_dequantize", "active_isa", "quantize", "can_quantize"]


def active_isa() -> str:
    """The instruction set :func:`dequantize` uses for the block types that have SIMD kernels:
    ``"avx2"`` or ``"scalar"``. Results are bit-identical either way; only speed differs.

    Chosen once per process from the CPU (AVX2 + FMA + F16C) and the environment variable
    ``MWT_FORCE_ISA=scalar|avx2``, read when the library first dispatches. It can only narrow
    the choice: ``avx2`` on a CPU without it, or an unknown value, gives ``"scalar"``. To
    compare ISAs, run a process with ``MWT_FORCE_ISA=scalar`` set (tests/python/test_kernels.py
    and benchmarks/bench_dequant.py do); there is deliberately no per-call ISA argument.
    """
    return str(_native.active_isa())

# The most threads one call starts; larger requests count as this (mwt.h,
# mwt_dequantize_threads).
_MAX_THREADS = 256

# The types whose quantizer takes importance weights.
_WEIGHTED_TYPES = ("Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K")


def can_dequantize(dtype: str) -> bool:
    """Whether :func:`dequantize` handles ``dtype`` (a name such as "Q4_K").

    Raises :class:`mwt.BadDtypeError` for an unknown name.
    """
    return bool(_native.can_dequantize(dtype_info(dtype).name))


def _native_threads(threads: Optional[int]) -> int:
    """``threads`` as the native layer's count: None -> 0 (the library default)."""
    if threads is None:
        return 0
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral):
        _raise("ARGUMENT", f"threads must be None or a positive int, not {threads!r}")
    if threads < 1:
        _raise("ARGUMENT", f"threads is {threads}; it must be None (the default) or a positive "
               "int (1 = the calling thread only)")
    return min(int(threads), _MAX_THREADS)


def dequantize(raw: Any, dtype: str, shape: Sequence[int], *, out: Optional[np.ndarray] = None,
               threads: Optional[int] = None) -> np.ndarray:
    """Decode packed ``dtype`` data to float32 values of ``shape`` (numpy order): a new array of
    that shape, or ``out`` filled in place.

    ``raw`` is any C-contiguous buffer (bytes, a uint8 numpy array, a memoryview, …) holding
    exactly the tensor's bytes. For a block type the innermost dimension must be a multiple of
    the block size (GGUF rows are whole blocks). Plain dtypes are accepted too: floats convert
    exactly (F64 rounds to nearest), integers and BOOL become the nearest float32.

    ``out``: a writable, C-contiguous ``numpy.float32`` array with exactly as many elements as
    ``shape`` (any shape of that size: a flat buffer reused across tensors works). It is filled
    and returned as is, in its own shape, so a loop over tensors can decode into one buffer
    without allocating. It must not share memory with ``raw``.

    Without ``out``, an output of 32 MiB or more gets memory of its own (2 MiB-aligned, asked
    for transparent huge pages); once that array and every view of it are gone, its memory is
    kept for the next large output it fits (at most twice that output's size) instead of being
    returned to the system, so a loop that decodes one tensor after another and drops each
    writes into memory already faulted in, at the speed of ``out=``. Only the most recently
    dropped output's memory is kept. Such an array's ``base`` is the capsule that owns it.

    ``threads``: ``None`` (the default) splits large tensors over as many threads as the
    machine has CPUs (or the environment variable ``MWT_NUM_THREADS``, read once per process);
    ``1`` keeps the work on the calling thread; ``n`` uses at most ``n`` (at most 256). Each
    thread takes at least 2^19 values (2 MiB of output), so small tensors always run on one
    thread, and the result is bit-identical for every thread count. The GIL is released while
    decoding.

    Raises :class:`mwt.BadShapeError` when the innermost dimension is not whole blocks,
    :class:`mwt.SizeMismatchError` when ``raw`` has the wrong number of bytes or ``out`` the
    wrong number of elements, :class:`mwt.TypeMismatchError` when ``out`` is not float32,
    :class:`mwt.ArgumentError` when ``out`` is not a numpy array, is read-only, not
    C-contiguous or overlaps ``raw``, and for a ``threads`` that is not None or a positive int,
    :class:`mwt.UnsupportedFeatureError` for a dtype without a dequantizer (see
    :func:`can_dequantize`) and :class:`mwt.BadDtypeError` for an unknown name.
    """
    info = dtype_info(dtype)
    dims = tuple(int(d) for d in shape)
    if any(d < 0 for d in dims):
        _raise("BAD_SHAPE", f"shape {dims} has a negative dimension")
    if not _native.can_dequantize(info.name):
        _raise("UNSUPPORTED_FEATURE",
               f"mwt has no decoder for {info.name}, so it cannot dequantize it")
    inner = dims[-1] if dims else 1
    if inner % info.block_size != 0:
        _raise("BAD_SHAPE", f"innermost dimension {inner} of shape {dims} is not a multiple of "
               f"the {info.name} block size {info.block_size}")
    n_threads = _native_threads(threads)
    if isinstance(raw, np.ndarray):
        raw = np.ascontiguousarray(raw)
    n = math.prod(dims)
    if out is not None:
        return _native.dequantize(raw, info.name, n, out, n_threads)
    return _native.dequantize(raw, info.name, n, None, n_threads).reshape(dims)


def can_quantize(dtype: str) -> bool:
    """Whether :func:`quantize` handles ``dtype`` (a name such as "Q8_0").

    Raises :class:`mwt.BadDtypeError` for an unknown name.
    """
    return bool(_native.can_quantize(dtype_info(dtype).name))


def quantize(array: Any, dtype: str, *, importance: Any = None) -> np.ndarray:
    """Encode ``array`` (converted to float32, C order) as ``dtype``; returns the packed bytes
    as a uint8 array of shape ``array.shape[:-1] + (row_bytes,)``, like gguf-py's
    ``gguf.quants.quantize`` (whose bytes the types it can quantize reproduce exactly).

    Block types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, MXFP4 (32-value blocks) and TQ1_0, TQ2_0
    (256-value blocks), byte-identical to gguf-py; the innermost dimension must be a multiple of
    the block size and every value finite. One documented difference: a Q4_1 / Q5_1 block whose
    minimum or maximum is a zero present with both signs stores it ordering -0 below +0, where
    numpy's reduction picks either sign (only that zero's sign bit can differ).
    K-quants: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, 256-value super-blocks (the innermost dimension a
    multiple of 256, every value finite). gguf-py has no quantizer for them; mwt searches the
    scales that minimize the squared reconstruction error (deterministic: the same input gives
    the same bytes), and ``gguf.quants.dequantize`` decodes the result exactly as
    :func:`dequantize` does. ``importance``: optional non-negative finite weights, a 1-D array of
    length ``array.shape[-1]`` applied to every row (an imatrix-style per-column importance);
    the scales then minimize the weighted squared error. Only the K-quants take it. Float targets:
    F32, F16, BF16, rounded to nearest-even (NaN and Inf allowed). A 0-d array counts as shape
    ``(1,)``.

    Raises :class:`mwt.BadShapeError` when the innermost dimension is not whole blocks,
    :class:`mwt.ArgumentError` for a NaN or Inf value with a block type (the message names
    the first one's flat index) and for ``importance`` with a type other than a K-quant, of the
    wrong shape, or holding a NaN, Inf or negative weight,
    :class:`mwt.UnsupportedFeatureError` for a dtype without a quantizer (see
    :func:`can_quantize`) and :class:`mwt.BadDtypeError` for an unknown name.
    """
    info = dtype_info(dtype)
    x = np.ascontiguousarray(array, dtype=np.float32)
    if x.ndim == 0:
        x = x.reshape(1)
    if not _native.can_quantize(info.name):
        _raise("UNSUPPORTED_FEATURE", f"mwt has no quantizer for {info.name}")
    inner = x.shape[-1]
    if inner % info.block_size != 0:
        _raise("BAD_SHAPE", f"innermost dimension {inner} of shape {x.shape} is not a multiple of "
               f"the {info.name} block size {info.block_size}")
    row_bytes = inner // info.block_size * info.type_size
    if importance is not None:
        if info.name not in _WEIGHTED_TYPES:
            _raise("ARGUMENT", f"importance weights apply only to the K-quants "
                   f"({', '.join(_WEIGHTED_TYPES)}), not to {info.name}")
        w = np.ascontiguousarray(importance, dtype=np.float32)
        if w.shape != (inner,):
            _raise("ARGUMENT", f"importance has shape {w.shape}; it must be 1-D with one weight "
                   f"per column ({inner},)")
        if inner > 0:  # no rows to weight otherwise
            return _native.quantize(x, info.name, w).reshape(x.shape[:-1] + (row_bytes,))
    return _native.quantize(x, info.name).reshape(x.shape[:-1] + (row_bytes,))
