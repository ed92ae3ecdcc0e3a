"""Element types: the native dtype table, numpy equivalents, and the float conversions."""

from __future__ import annotations

from typing import Dict, NamedTuple

import numpy as np

from . import _native

__all__ = ["DTypeInfo", "dtype_info", "convert_to_f32", "convert_from_f32"]


class DTypeInfo(NamedTuple):
    """A dtype's name, elements per block and bytes per block (1, 4 for F32; 256, 144 for Q4_K)."""

    name: str
    block_size: int
    type_size: int


_BY_ID: Dict[int, DTypeInfo] = {
    id_: DTypeInfo(name, block, size) for id_, name, block, size in _native.dtype_table()
}
_TABLE: Dict[str, DTypeInfo] = {info.name: info for info in _BY_ID.values()}

# dtypes whose bytes numpy reads as-is (little-endian explicitly, so views are right anywhere).
NUMPY_DTYPES: Dict[str, np.dtype] = {
    name: np.dtype(descr) for name, descr in {
        "F32": "<f4", "F16": "<f2", "F64": "<f8", "I8": "i1", "I16": "<i2", "I32": "<i4",
        "I64": "<i8", "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?",
        "C64": "<c8",
    }.items()
}
# Inverse, keyed by numpy's (kind, itemsize) so any byte order maps to the same mwt dtype.
FROM_NUMPY: Dict[tuple, str] = {(dt.kind, dt.itemsize): name for name, dt in NUMPY_DTYPES.items()}

# Floating-point dtypes mwt_convert_to_f32 / _from_f32 handle (the packed sub-byte F4 and F6
# types are not among them yet); every other ggml id except the plain integers is a
# block-quantized type.
FLOAT_DTYPES = frozenset({"F16", "BF16", "F32", "F64", "F8_E5M2", "F8_E4M3", "F8_E8M0",
                          "F8_E4M3FNUZ", "F8_E5M2FNUZ"})
_PLAIN_GGML = frozenset({"F32", "F16", "BF16", "F64", "I8", "I16", "I32", "I64"})
QUANTIZED_DTYPES = frozenset(
    info.name for id_, info in _BY_ID.items() if id_ < 100 and info.name not in _PLAIN_GGML)


def dtype_info(name: str) -> DTypeInfo:
    """Block size and byte size of a dtype by name ("F32", "Q4_K", "F8_E4M3", ...).

    Raises :class:`mwt.BadDtypeError` for an unknown name.
    """
    info = _TABLE.get(name)
    if info is None:
        # The library also knows other spellings; it raises BadDtypeError for unknown names.
        info = _BY_ID[_native.dtype_from_name(name)]
    return info


def convert_to_f32(raw: np.ndarray, dtype: str) -> np.ndarray:
    """Decode packed ``dtype`` values to a new float32 array.

    ``raw`` holds the encoded data: uint16 elements for F16/BF16, uint8 for F8_*, or the plain
    float32/float64 values for F32/F64 (any other buffer is taken as raw bytes). When each
    element of ``raw`` is one value the result has ``raw``'s shape; otherwise it is 1-D.
    Conversion is exact wherever float32 can hold the value (F64 rounds to nearest-even).
    Other dtypes raise :class:`mwt.BadDtypeError`.
    """
    info = dtype_info(dtype)
    arr = np.ascontiguousarray(raw)
    out = _native.convert_to_f32(arr, info.name)
    if info.block_size == 1 and arr.dtype.itemsize == info.type_size:
        return out.reshape(arr.shape)
    return out


def convert_from_f32(x: np.ndarray, dtype: str) -> np.ndarray:
    """Encode float32 values as ``dtype``, rounding to nearest-even (saturating or to NaN/Inf
    as the target format defines).

    Returns a new array with ``x``'s shape: uint16 for F16/BF16, uint8 for F8_*, float32/float64
    bit patterns as uint32/uint64 for F32/F64. ``x`` is converted to float32 first if it is
    not already. Other dtypes raise :class:`mwt.BadDtypeError`. Overflow (torch's rules): F16,
    BF16 and F8_E5M2 give +-inf; F8_E4M3 saturates to +-448 (infinities included); the FNUZ
    formats give their single NaN (0x80); F8_E8M0 (a power-of-two scale) rounds its exponent up
    when a normal input's mantissa is >= 1.5 and gives 0xFF for Inf and NaN. NaN inputs give the
    canonical NaN (as torch does).
    """
    info = dtype_info(dtype)
    src = np.ascontiguousarray(x, dtype=np.float32)
    packed = _native.convert_from_f32(src, info.name)
    if info.block_size == 1 and info.type_size in (1, 2, 4, 8):
        return packed.view(f"<u{info.type_size}").reshape(src.shape)
    return packed
