"""Writing: :func:`save_safetensors` and :func:`save_gguf` over libmwt's atomic, re-verified
writers, plus :class:`RawTensor` for dtypes numpy lacks. Tensor bytes are handed to the writer
without copies (contiguous arrays and open-file tensors are passed as they are).
"""

from __future__ import annotations

import math
import os
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._dtypes import FROM_NUMPY, dtype_info
from ._errors import _raise
from ._file import Tensor
from ._metadata import StringArray

__all__ = ["RawTensor", "save_safetensors", "save_gguf"]


class RawTensor:
    """A tensor given as raw bytes of any mwt dtype, e.g. BF16 from torch::

        RawTensor("BF16", t.shape, t.view(torch.uint16).numpy().tobytes())

    ``shape`` is in numpy order; ``data`` (bytes-like or uint8 array) must hold exactly the
    dtype's bytes for that shape. The data are referenced, not copied.
    """

    __slots__ = ("dtype", "shape", "data")

    def __init__(self, dtype: str, shape: Sequence[int], data: Any) -> None:
        info = dtype_info(dtype)
        self.dtype = info.name
        self.shape: Tuple[int, ...] = tuple(int(d) for d in shape)
        if any(d < 0 for d in self.shape):
            _raise("BAD_SHAPE", f"negative dimension in shape {self.shape}")
        view = memoryview(data)
        if not view.c_contiguous:
            raise ValueError("RawTensor data must be C-contiguous")
        self.data = view.cast("B") if view.ndim != 1 or view.format != "B" else view
        numel = math.prod(self.shape)
        if numel % info.block_size:
            _raise("BAD_SHAPE", f"{numel} elements is not a whole number of {info.name} blocks "
                   f"of {info.block_size}")
        want = numel // info.block_size * info.type_size
        if self.data.nbytes != want:
            _raise("SIZE_MISMATCH", f"{info.name} {self.shape} needs {want} bytes, "
                   f"data holds {self.data.nbytes}")

    @property
    def nbytes(self) -> int:
        return self.data.nbytes

    def __repr__(self) -> str:
        return f"RawTensor({self.dtype!r}, {self.shape}, <{self.nbytes} bytes>)"


TensorLike = Union[np.ndarray, Tensor, RawTensor, Any]


def _tensor_parts(name: str, value: TensorLike) -> Tuple[str, Tuple[int, ...], Any]:
    """(dtype name, numpy-order shape, C-contiguous buffer holding exactly the bytes)."""
    if isinstance(value, RawTensor):
        return value.dtype, value.shape, value.data
    if isinstance(value, Tensor):
        return value.dtype, value.shape, value.raw()  # zero-copy; the view pins the file
    arr = np.asarray(value)
    dtype = FROM_NUMPY.get((arr.dtype.kind, arr.dtype.itemsize))
    if dtype is None:
        raise TypeError(f"tensor {name!r}: numpy dtype {arr.dtype} has no mwt dtype; pass a "
                        "RawTensor for other types")
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))  # files are little-endian
    arr = np.ascontiguousarray(arr)  # a no-op (no copy) for contiguous input
    return dtype, arr.shape, arr


def _encode(text: Union[str, bytes]) -> bytes:
    # surrogateescape: names and strings read from files that were not UTF-8 write back as the
    # same bytes.
    return text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")


def _add_tensors(writer: _native.Writer, tensors: Mapping[str, TensorLike]) -> None:
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be str, not {type(name).__name__}")
        dtype, shape, data = _tensor_parts(name, value)
        writer.add_tensor(_encode(name), dtype, list(shape), data)


def save_safetensors(path: Union[str, os.PathLike[str]], tensors: Mapping[str, TensorLike],
                     metadata: Optional[Mapping[str, str]] = None) -> None:
    """Write a safetensors file atomically (temp file, fsync, rename; re-read and compared).

    ``tensors`` maps names to numpy arrays (any array-like; float32/float16/float64, int8..64,
    uint8..64, bool and complex64), :class:`Tensor` objects of an open file (any dtype, bytes
    kept as they are, BF16 stays BF16) or :class:`RawTensor`. Shapes are numpy order.
    ``metadata`` goes to ``__metadata__`` and must map str to str. The GIL is released while
    writing. On failure the destination is untouched.
    """
    writer = _native.Writer("safetensors")
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"safetensors metadata must map str to str; {key!r}: "
                            f"{type(value).__name__}")
        writer.add_string(_encode(key), _encode(value))
    _add_tensors(writer, tensors)
    writer.write(os.fsencode(os.fspath(path)))


# GGUF metadata value types by name (GGUF's numbering; names as mwt_value_type_name gives) and
# the numpy dtype of each scalar type, from the library's table.
_VALUE_TYPES: Dict[str, int] = {name: id_ for id_, name, _size, _descr in _native.value_types()}
_SCALAR_NUMPY: Dict[str, np.dtype] = {
    name: np.dtype(descr) for _id, name, _size, descr in _native.value_types() if descr
}
_TYPE_OF_NUMPY: Dict[tuple, str] = {(dt.kind, dt.itemsize): n for n, dt in _SCALAR_NUMPY.items()}


def _int_type(values: Sequence[int]) -> str:
    lo, hi = min(values), max(values)
    if -(2**31) <= lo and hi < 2**31:
        return "INT32"
    if -(2**63) <= lo and hi < 2**63:
        return "INT64"
    if lo >= 0 and hi < 2**64:
        return "UINT64"
    raise ValueError(f"integer {hi if hi >= 2**63 else lo} does not fit any GGUF integer type")


def _numpy_type(dtype: np.dtype, key: str) -> str:
    name = _TYPE_OF_NUMPY.get((dtype.kind, dtype.itemsize))
    if name is None:
        raise TypeError(f"metadata {key!r}: numpy {dtype} has no GGUF value type")
    return name


def _scalar_type(value: Any, key: str) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "BOOL"
    if isinstance(value, np.generic):
        return _numpy_type(value.dtype, key)
    if isinstance(value, int):
        return _int_type([value])
    if isinstance(value, float):
        return "FLOAT32"
    if isinstance(value, (str, bytes)):
        return "STRING"
    raise TypeError(f"metadata {key!r}: cannot infer a GGUF type for {type(value).__name__}; "
                    "pass metadata_types")


def _infer_type(value: Any, key: str) -> str:
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _scalar_type(value[()], key)
        if value.ndim != 1:
            raise ValueError(f"metadata {key!r}: arrays must be 1-D, got shape {value.shape}")
        if value.dtype.kind in "US":
            return "ARRAY[STRING]"
        return f"ARRAY[{_numpy_type(value.dtype, key)}]"
    if isinstance(value, StringArray):  # a string array read from a file (str or bytes items)
        return "ARRAY[STRING]"
    if isinstance(value, (list, tuple)):
        if not value:
            raise TypeError(f"metadata {key!r}: cannot infer the element type of an empty "
                            "list; pass metadata_types={key: 'ARRAY[...]'}")
        # Plain ints are kept apart so the width is chosen over all of them, not per item.
        kinds = {"int" if isinstance(v, int) and not isinstance(v, bool) else
                 _scalar_type(v, key) for v in value}
        if kinds == {"int"}:
            return f"ARRAY[{_int_type(value)}]"
        if len(kinds) != 1:
            raise TypeError(f"metadata {key!r}: list items have mixed types {sorted(kinds)}; "
                            "GGUF arrays are homogeneous")
        return f"ARRAY[{kinds.pop()}]"
    return _scalar_type(value, key)


def _parse_type(type_name: str, key: str) -> Tuple[str, Optional[str]]:
    """"UINT32" -> ("UINT32", None); "ARRAY[INT8]" -> ("ARRAY", "INT8")."""
    if type_name.startswith("ARRAY[") and type_name.endswith("]"):
        elem = type_name[6:-1]
        if elem in _VALUE_TYPES and elem != "ARRAY":
            return "ARRAY", elem
    elif type_name in _VALUE_TYPES and type_name != "ARRAY":
        return type_name, None
    raise ValueError(f"metadata {key!r}: unknown GGUF type {type_name!r} (use names like "
                     "'UINT32', 'STRING', 'ARRAY[INT8]', 'ARRAY[STRING]')")


def _as_numbers(value: Any, type_name: str, key: str) -> np.ndarray:
    """Values as an exact little-endian array of GGUF type ``type_name``; a value that does not
    fit (out of range, a float for an integer type, 2 for BOOL) raises instead of wrapping."""
    target = _SCALAR_NUMPY[type_name]
    src = np.asarray(value)
    if src.dtype == object:
        # Python ints beyond int64/uint64 land here; nothing else numeric does.
        items = src.ravel().tolist()
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
            raise TypeError(f"metadata {key!r}: values of type {type_name} must be numbers")
        kind, lo, hi = "i", min(items, default=0), max(items, default=0)
    else:
        kind = src.dtype.kind
        lo = hi = 0
        if kind in "iu" and src.size:
            lo, hi = int(src.min()), int(src.max())
    accepted = {"f": "iuf", "b": "biu"}.get(target.kind, "iu")
    if kind not in accepted:
        raise TypeError(f"metadata {key!r}: {src.dtype} values cannot be stored as {type_name}")
    if target.kind == "b":
        if kind != "b" and (lo < 0 or hi > 1):
            raise ValueError(f"metadata {key!r}: BOOL values must be True/False or 0/1")
    elif target.kind in "iu":
        info = np.iinfo(target)
        if lo < info.min or hi > info.max:
            raise ValueError(f"metadata {key!r}: value {lo if lo < info.min else hi} does not "
                             f"fit {type_name}")
    if src.dtype == object:
        return np.array(items, dtype=target).reshape(src.shape)
    return src.astype(target, order="C")  # (ascontiguousarray would turn a scalar into shape (1,))


def _add_gguf_metadata(writer: _native.Writer, key: str, value: Any, type_name: str) -> None:
    kind, elem = _parse_type(type_name, key)
    k = _encode(key)
    if kind == "STRING":
        if not isinstance(value, (str, bytes)):
            raise TypeError(f"metadata {key!r}: STRING needs str or bytes, not "
                            f"{type(value).__name__}")
        writer.add_string(k, _encode(value))
    elif kind == "ARRAY" and elem == "STRING":
        items = list(value)
        if not all(isinstance(s, (str, bytes)) for s in items):
            raise TypeError(f"metadata {key!r}: ARRAY[STRING] needs str or bytes items")
        writer.add_string_array(k, [_encode(s) for s in items])
    elif kind == "ARRAY":
        arr = _as_numbers(value, elem, key)  # type: ignore[arg-type]
        if arr.ndim != 1:
            raise ValueError(f"metadata {key!r}: arrays must be 1-D, got shape {arr.shape}")
        writer.add_array(k, _VALUE_TYPES[elem], arr)  # type: ignore[index]
    else:
        arr = _as_numbers(value, kind, key)
        if arr.ndim != 0:
            raise TypeError(f"metadata {key!r}: {kind} needs a scalar, got shape {arr.shape}")
        writer.add_scalar(k, _VALUE_TYPES[kind], arr.tobytes())


def save_gguf(path: Union[str, os.PathLike[str]], tensors: Mapping[str, TensorLike],
              metadata: Optional[Mapping[str, Any]] = None, *,
              metadata_types: Optional[Mapping[str, str]] = None, alignment: int = 32) -> None:
    """Write a GGUF v3 file atomically (temp file, fsync, rename; re-read and compared), in
    gguf-py's layout. Tensors and metadata are written in the given order.

    ``tensors``: as for :func:`save_safetensors`, but only ggml dtypes (F32, F16, BF16, F64,
    I8..I64, quantized types); others raise :class:`mwt.BadDtypeError`. Shapes are numpy order
    (GGUF stores them reversed).

    ``metadata`` values get a GGUF type from ``metadata_types`` ("UINT32", "ARRAY[INT8]", ...)
    when it names the key, else by inference: bool -> BOOL, int -> INT32 if it fits, else INT64
    (UINT64 from 2**63), float -> FLOAT32, str/bytes -> STRING, numpy scalar -> its type, 1-D
    numpy array -> ARRAY of its dtype, list of str -> ARRAY[STRING], list of bool/int/float ->
    ARRAY of the type inferred for the items (which must agree). A value that does not fit its
    type raises instead of wrapping. ``metadata_types`` entries for absent keys are ignored, so
    ``save_gguf(p, wf.tensors, wf.metadata, metadata_types=wf.metadata_types)`` re-creates a
    GGUF file.

    ``alignment`` (a power of two) is written as ``general.alignment`` (UINT32) when it is not
    32. A ``general.alignment`` entry in ``metadata`` is kept where it is and, when
    ``alignment`` is left at 32, sets the alignment; otherwise the two must agree.
    """
    metadata = metadata or {}
    types_ = dict(metadata_types or {})
    if "general.alignment" in metadata:
        # GGUF defines this key as UINT32 and the writer checks it against the layout it
        # produces; keeping it as an entry preserves its position in the file.
        types_.setdefault("general.alignment", "UINT32")
        meta_align = metadata["general.alignment"]
        if alignment == 32 and isinstance(meta_align, (int, np.integer)) \
                and not isinstance(meta_align, (bool, np.bool_)):
            alignment = int(meta_align)
    writer = _native.Writer("gguf")
    writer.set_alignment(alignment)
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise TypeError(f"metadata keys must be str, not {type(key).__name__}")
        type_name = types_.get(key) or _infer_type(value, key)
        _add_gguf_metadata(writer, key, value, type_name)
    _add_tensors(writer, tensors)
    writer.write(os.fsencode(os.fspath(path)))
