"""Reading: :func:`open` gives a :class:`WeightFile`; its :class:`Tensor` entries hand data to
numpy without copying, and every such array keeps the memory-mapped file alive on its own.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import os
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union

import numpy as np

from . import _hub, _native
from ._dtypes import FLOAT_DTYPES, NUMPY_DTYPES, QUANTIZED_DTYPES
from ._errors import ClosedFileError, _raise
from ._metadata import MetadataMap, MetadataTypes, StringArray
from ._quant import can_dequantize as _can_dequantize, dequantize as _dequantize
from ._stats import ProgressFn, ValidationReport, file_stats as _file_stats

if TYPE_CHECKING:
    from ._tokenizer import Tokenizer

__all__ = ["WeightFile", "Tensor", "open", "detect_format"]

PathLike = Union[str, "os.PathLike[str]"]

_HTML_ROWS = 40  # rows shown per table in notebooks; the rest are summarised


def _fmt_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _short(value: Any, limit: int = 60) -> str:
    if isinstance(value, np.ndarray):
        return f"[{value.dtype} × {value.size}]"
    if isinstance(value, (list, StringArray)):
        return f"[{len(value)} strings]"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_INTP_MAX = 2**63 - 1


def _check_numpy_shape(t: Tensor, itemsize: int) -> None:
    """OVERFLOW when numpy cannot make an array of ``t.shape``: numpy refuses a shape whose
    non-zero dimensions times the element size exceed 2^63 - 1 even when another dimension is
    0, and a file may declare such an empty tensor (the readers accept it: it holds no bytes)."""
    size = itemsize
    for d in t.shape:
        size *= d or 1
    if size > _INTP_MAX:
        _raise("OVERFLOW", f"tensor {t.name!r} has shape {t.shape}: numpy cannot make an array "
               f"of that shape (its non-zero dimensions times the {itemsize}-byte element "
               "exceed 2^63 - 1), though it holds no elements; use t.raw() for its (empty) bytes")


class Tensor(_native.TensorBase):
    """One tensor of an open :class:`WeightFile`.

    Read-only fields: ``file`` (the WeightFile), ``name``, ``dtype`` (mwt dtype name: "F32",
    "BF16", "Q4_K", ...), ``shape`` (numpy order: outermost dimension first; GGUF's
    innermost-first dims are reversed), ``nbytes``, ``offset`` (absolute byte offset of the data
    in shard ``shard``). The fields live in the C base class, so listing a large checkpoint
    builds its Tensor objects without running Python code per tensor.

    Data access never copies aligned data: :meth:`numpy` and ``np.asarray(t)`` return read-only
    views into the file's memory map, and :meth:`raw` the bytes as uint8. Each view keeps the
    mapping alive by itself, so it stays valid after the WeightFile is closed or deleted.
    """

    __slots__ = ()

    file: WeightFile  # narrows TensorBase's field (the other fields are typed in _native.pyi)

    @property
    def numel(self) -> int:
        """Number of elements (product of ``shape``; 1 for a rank-0 tensor)."""
        return math.prod(self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tensor):
            return NotImplemented
        return self.file is other.file and self._index == other._index

    def __hash__(self) -> int:
        return hash((id(self.file), self._index))

    def raw(self) -> np.ndarray:
        """The tensor's bytes as a read-only 1-D uint8 array, zero-copy, for any dtype."""
        return self.file._require_open().tensor_view(self._index, None)

    def numpy(self) -> np.ndarray:
        """A read-only, zero-copy numpy view with this tensor's shape and dtype.

        Only for dtypes numpy has (F32, F16, F64, I8..I64, U8..U64, BOOL, C64); data that are not
        aligned for the dtype (legacy safetensors) come back as an aligned read-only copy.
        Raises ``TypeError`` for other dtypes: use :meth:`to_numpy` or :meth:`raw`, and
        :class:`mwt.SizeOverflowError` for an empty tensor whose shape numpy cannot hold.
        """
        np_dtype = NUMPY_DTYPES.get(self.dtype)
        if np_dtype is None:
            hint = ("t.to_numpy(np.float32) to convert it, or t.raw() for its bytes"
                    if self.dtype in FLOAT_DTYPES else
                    "t.dequantize() for float32 values, or t.raw() for its bytes"
                    if self.dtype in QUANTIZED_DTYPES else "t.raw() for its bytes")
            raise TypeError(f"tensor {self.name!r} has dtype {self.dtype}, which numpy has no "
                            f"type for: use {hint}")
        _check_numpy_shape(self, np.dtype(np_dtype).itemsize)
        return self.file._require_open().tensor_view(self._index, np_dtype)

    def to_numpy(self, dtype: Any = None) -> np.ndarray:
        """Data as numpy. ``dtype=None`` is :meth:`numpy` (zero-copy view); otherwise a new,
        writable array of ``dtype`` in this tensor's shape.

        Float tensors (F16, BF16, the F8 formats) convert exactly to float32
        through the library, then to ``dtype`` with numpy; integer and bool tensors are cast
        with numpy. Quantized (ggml block) types are dequantized to float32 (as
        :meth:`dequantize`), then cast to ``dtype``; a block type without a dequantizer raises
        :class:`mwt.UnsupportedFeatureError` naming it.
        """
        if dtype is None:
            return self.numpy()
        target = np.dtype(dtype)
        if self.dtype in QUANTIZED_DTYPES or (target == np.float32
                                              and _can_dequantize(self.dtype)):
            # The library's (threaded) decoder; exactly what the numpy casts below give.
            values = self.dequantize()
            return values if target == np.float32 else values.astype(target)
        if self.dtype == "C64" and target.kind != "c":
            raise TypeError(f"tensor {self.name!r} is complex (C64); converting it to {target} "
                            "would drop the imaginary part")
        if self.dtype in NUMPY_DTYPES:
            with np.errstate(over="ignore"):  # F64 beyond F32's range becomes +-inf, as IEEE says
                return self.numpy().astype(target)
        if self.dtype not in FLOAT_DTYPES:
            raise TypeError(f"tensor {self.name!r} has dtype {self.dtype}, which has no "
                            "conversion to numpy")
        values = _native.convert_to_f32(self.raw(), self.dtype).reshape(self.shape)
        return values if target == np.float32 else values.astype(target)

    def dequantize(self, *, out: Optional[np.ndarray] = None,
                   threads: Optional[int] = None) -> np.ndarray:
        """The values as float32 in this tensor's shape, for any dtype: a new array, or ``out``
        filled and returned.

        Quantized (ggml block) types go through the library's dequantizer, which matches
        gguf-py's ``gguf.quants.dequantize`` bit for bit; float dtypes convert exactly (F64
        rounds to nearest); integer and bool tensors become the nearest float32. ``out`` and
        ``threads`` are those of :func:`mwt.dequantize`: ``out`` a writable C-contiguous float32
        array with :attr:`numel` elements (any shape; returned as is, so one buffer can serve
        many tensors), ``threads`` None for the default (large tensors split over the CPUs) or a
        positive count (1 = the calling thread). Raises :class:`mwt.UnsupportedFeatureError`
        naming the dtype for a block type that has no dequantizer (see
        :func:`mwt.can_dequantize`), ``TypeError`` for complex (C64) data, and the errors of
        :func:`mwt.dequantize` for an unfit ``out`` or ``threads``.
        """
        if self.dtype in QUANTIZED_DTYPES and not _can_dequantize(self.dtype):
            _raise("UNSUPPORTED_FEATURE", f"tensor {self.name!r} is {self.dtype}: "
                   f"mwt has no decoder for {self.dtype} "
                   "(use t.raw() for the bytes)")
        _check_numpy_shape(self, 4)
        if self.dtype in QUANTIZED_DTYPES or _can_dequantize(self.dtype):
            return _dequantize(self.raw(), self.dtype, self.shape, out=out, threads=threads)
        return self.to_numpy(np.float32)  # C64 and the sub-byte floats: refused there

    def __array__(self, dtype: Any = None, copy: Optional[bool] = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != NUMPY_DTYPES.get(self.dtype):
            if copy is False:
                raise ValueError(f"tensor {self.name!r} ({self.dtype}) cannot become {dtype} "
                                 "without a copy")
            return self.to_numpy(dtype)
        view = self.numpy()
        return view.copy() if copy else view

    def __repr__(self) -> str:
        return (f"<Tensor {self.name!r} {self.dtype} {self.shape} {_fmt_bytes(self.nbytes)} "
                f"at shard {self.shard} offset {self.offset}>")

    def _repr_html_(self) -> str:
        e = html.escape
        return ("<table><tr><th>name</th><th>dtype</th><th>shape</th><th>size</th>"
                "<th>offset</th></tr>"
                f"<tr><td><code>{e(self.name)}</code></td><td>{e(self.dtype)}</td>"
                f"<td>{e(str(self.shape))}</td><td>{_fmt_bytes(self.nbytes)}</td>"
                f"<td>{self.shard}:{self.offset}</td></tr></table>")


class _TensorMap(Mapping[str, Tensor]):
    """Read-only name -> Tensor mapping in file order. Tensors are built on access (in C) from
    the native table, so the WeightFile holds no Tensor (no reference cycle: deleting the last
    reference to a file unmaps it at once). The name table (for lookups and iteration) is built
    on first use and cached on the WeightFile; ``items()`` and ``values()`` do not need it."""

    __slots__ = ("_file",)

    def __init__(self, file: WeightFile) -> None:
        self._file = file

    def __getitem__(self, name: str) -> Tensor:
        names, index = self._file._name_table()
        i = index[name]
        native = self._file._require_open()
        return native.tensor_object(Tensor, self._file, i, names[i])

    def __contains__(self, name: object) -> bool:
        return name in self._file._name_table()[1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._file._name_table()[0])

    def __len__(self) -> int:
        return self._file._tensor_count

    def values(self) -> List[Tensor]:  # type: ignore[override]  # faster than Mapping's lookups
        native = self._file._require_open()
        return native.tensor_objects(Tensor, self._file, self._file._names, False)

    def items(self) -> List[Tuple[str, Tensor]]:  # type: ignore[override]
        native = self._file._require_open()
        return native.tensor_objects(Tensor, self._file, self._file._names, True)

    def __repr__(self) -> str:
        return f"<{len(self)} tensors of {self._file.path!r}>"


class WeightFile:
    """An open, fully validated weight file (GGUF, safetensors, or sharded safetensors).

    Attributes are plain values read at open: ``path``, ``format`` ("gguf", "safetensors",
    "safetensors-sharded"), ``version`` (GGUF version, else None), ``file_size`` (bytes over all
    shards), ``alignment`` (GGUF, else None), ``data_offset``, ``shards`` (paths), ``warnings``.

    ``metadata`` maps keys to values in file order: ints, floats, bools, str (bytes when not
    valid UTF-8), read-only numpy arrays of the exact element type for numeric arrays (zero-copy
    views of the memory map, which they keep alive), and for string arrays a lazy read-only
    sequence (:class:`mwt._metadata.StringArray`: ``len``, indexing, slicing, iteration;
    elements decoded when read). ``metadata_types`` gives each key's GGUF type name
    ("UINT32", "ARRAY[INT8]", ...). ``tensors`` maps names to :class:`Tensor` in file order.

    Both metadata mappings are views of the native table: a key is found through the library's
    index and its value converted when first read (then cached); ``len`` and ``in`` convert
    nothing, so a header with a million keys costs nothing until it is read. Reading a value not
    read before needs the file open. ``close()`` (or leaving a ``with`` block) drops this object's
    hold on the native file; the memory map itself is released once no tensor view references
    it either.
    """

    __slots__ = ("_native", "path", "format", "version", "file_size", "alignment",
                 "data_offset", "shards", "warnings", "_meta_cache", "_names",
                 "_tensor_index", "_tensor_count", "__weakref__")

    def __init__(self, native: _native.File, path: str) -> None:
        self._native: Optional[_native.File] = native
        self.path = path
        self.format: str = native.format
        self.version: Optional[int] = native.version or None
        self.file_size: int = native.size
        self.alignment: Optional[int] = native.alignment or None
        self.data_offset: int = native.data_offset
        self.shards: List[str] = native.shards
        self.warnings: List[str] = native.warnings
        self._meta_cache: Dict[str, Any] = {}  # metadata values read so far
        self._tensor_count: int = native.tensor_count
        self._names: Optional[List[str]] = None
        self._tensor_index: Optional[Dict[str, int]] = None

    @property
    def closed(self) -> bool:
        return self._native is None

    def _require_open(self) -> _native.File:
        """The native file; :class:`mwt.ClosedFileError` (a ``ValueError``) once closed."""
        if self._native is None:
            raise ClosedFileError(f"ARGUMENT: operation on a closed WeightFile ({self.path!r})")
        return self._native

    @property
    def metadata(self) -> Mapping[str, Any]:
        # A new view per call over one value cache (the WeightFile holds no view: no cycle).
        return MetadataMap(self, self._meta_cache)

    @property
    def metadata_types(self) -> Mapping[str, str]:
        return MetadataTypes(self)

    @property
    def tensors(self) -> Mapping[str, Tensor]:
        self._require_open()
        return _TensorMap(self)

    def _name_table(self) -> Tuple[List[str], Dict[str, int]]:
        if self._names is None or self._tensor_index is None:
            self._names, self._tensor_index = self._require_open().tensor_names()
        return self._names, self._tensor_index

    @property
    def quantization(self) -> Dict[str, Any]:
        """What the tensors say about how this file was quantized (a new dict per call).

        Always: ``"format"`` and ``"scheme"``, a short name of what was found.

        GGUF: ``"scheme"`` is the file type (``"Q4_K_M"``, ``"Q8_0"``, ``"F16"``, ...): the stated
        ``general.file_type`` when it is a known value, else the inferred one.
        ``"file_type"`` = ``{"stated": {"value", "name", "guessed"} or None, "inferred":
        {"value", "name", "method", "matched", "of", "mismatches"} or None, "agree": bool or
        None}``. Inference predicts every quantizable tensor's type with llama.cpp's per-tensor
        rules for each modelled file type and keeps the best (``method="rules"``;
        ``matched``/``of`` count agreeing tensors, ``mismatches`` lists up to 8 tensors whose type
        differs from the rule), or names the file type after the majority type
        (``method="majority"``) for mixes whose rules mwt does not model (IQ*, TQ*, MXFP4).
        ``"histogram"``: per type ``{"type", "tensors", "params", "bytes", "bits_per_weight"}``,
        most bytes first; ``"params"``, ``"bytes"``, ``"bits_per_weight"`` over all tensors;
        ``"quantizable_bits_per_weight"`` over the tensors llama.cpp quantizes; ``"groups"``:
        the same per tensor group (``"attn_v"``, ``"ffn_down"``, ``"token_embd"``, ...) with a
        ``"types"`` count.

        Other formats: ``"scheme"`` is ``"GPTQ"``, ``"AWQ"``, ``"bitsandbytes-nf4"``,
        ``"bitsandbytes-fp4"``, ``"bitsandbytes-int8"``, ``"FP8"``, ``"compressed-tensors"``,
        ``"MLX"``, ``"fake-quant"``, ``"mixed"`` or ``"none"``; ``"methods"`` lists each method
        found (``"method"``, ``"bits"``, ``"group_size"`` (-1: one group per row), ``"packing"``,
        ``"modules"``, ``"example"`` and method-specific fields such as GPTQ ``desc_act`` /
        ``sym``, bitsandbytes ``quant_type`` / ``blocksize`` / ``double_quant``, FP8 ``format`` /
        ``scale_layout`` / ``block_size``, MLX ``mode``); ``"fake_quant"`` lists float tensors
        whose values sit on a small affine grid (``"tensor"``, ``"bits"``, ``"group_size"``,
        ``"levels"``), with ``"fake_quant_checked"`` / ``"float_weights"`` counting the tensors
        sampled and present; ``"config"`` (when a ``quantize_config.json``,
        ``quant_config.json`` or ``config.json`` quantization section sits beside the file) holds
        the settings read, ``"warnings"`` and ``"disagreements"`` with the tensors;
        ``"unrecognized"`` counts modules whose names look quantized but fit no known layout.
        """
        return json.loads(self._require_open().quantization_json())

    def stats(self, threads: Optional[int] = None,
              progress: Optional[ProgressFn] = None) -> ValidationReport:
        """Per-tensor statistics and the integrity checks of :func:`mwt.validate`, in one read
        of every tensor (see mwt.ValidationReport and docs/validation.md)."""
        return _file_stats(self, threads, progress)

    def plan_quantization(self, file_type: str) -> Dict[str, str]:
        """The type llama.cpp's quantizer gives each tensor of this GGUF file for ``file_type``
        (``"Q4_K_M"``, ``"Q8_0"``, ...): name -> dtype name, in file order. Tensors it leaves
        alone (norms, biases, 1-D tensors, routers) keep their type."""
        native = self._require_open()
        value = _native.file_type_from_name(file_type)
        types = native.plan_quantization(value)
        return dict(zip(self.tensors, types))

    def tokenizer(self) -> Tokenizer:
        """The model's tokenizer: a GGUF's ``tokenizer.ggml.*`` keys, or for safetensors the
        ``tokenizer.json`` (+ config) beside the file (:class:`mwt.Tokenizer`)."""
        from ._tokenizer import Tokenizer
        return Tokenizer.from_weight_file(self)

    def close(self) -> None:
        """Release this object's reference to the native file (idempotent). Tensor arrays
        handed out earlier stay valid; Tensor objects of this file can no longer read data."""
        self._native = None

    def __enter__(self) -> WeightFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        version = f" v{self.version}" if self.version is not None else ""
        if self._native is None:
            return f"<WeightFile {self.path!r} {self.format}{version} (closed)>"
        return (f"<WeightFile {self.path!r} {self.format}{version}, {len(self.tensors)} tensors, "
                f"{len(self.metadata)} metadata, {_fmt_bytes(self.file_size)}>")

    def _repr_html_(self) -> str:
        e = html.escape
        head = (f"<p><b>{e(os.path.basename(self.path) or self.path)}</b> — {e(self.format)}"
                f"{f' v{self.version}' if self.version is not None else ''}, "
                f"{_fmt_bytes(self.file_size)}")
        if self._native is None:
            return head + " (closed)</p>"
        tensors, meta, mtypes = self.tensors, self.metadata, self.metadata_types
        parts = [head + f", {len(tensors)} tensors, {len(meta)} metadata entries</p>"]
        if meta:
            rows = [f"<tr><td><code>{e(k)}</code></td><td>{e(mtypes[k])}</td>"
                    f"<td>{e(_short(v))}</td></tr>"
                    for k, v in itertools.islice(meta.items(), _HTML_ROWS)]
            more = len(meta) - len(rows)
            if more > 0:
                rows.append(f"<tr><td colspan=3>… {more} more</td></tr>")
            parts.append("<table><tr><th>key</th><th>type</th><th>value</th></tr>"
                         + "".join(rows) + "</table>")
        rows = [f"<tr><td><code>{e(t.name)}</code></td><td>{e(t.dtype)}</td>"
                f"<td>{e(str(t.shape))}</td><td>{_fmt_bytes(t.nbytes)}</td></tr>"
                for t in (tensors[name] for name in list(tensors)[:_HTML_ROWS])]
        more = len(tensors) - len(rows)
        if more > 0:
            rows.append(f"<tr><td colspan=4>… {more} more</td></tr>")
        parts.append("<table><tr><th>tensor</th><th>dtype</th><th>shape</th><th>size</th></tr>"
                     + "".join(rows) + "</table>")
        return "".join(parts)


# open()'s keyword for each mwt.h option key: the key with its first dot written as "_"
# ("limits.max_tensors" -> limits_max_tensors=), from the library's option table.
_OPTION_KEYS: Dict[str, str] = {key.replace(".", "_", 1): key
                                for key, *_rest in _native.option_table()}


def _option_key(name: str) -> str:
    key = _OPTION_KEYS.get(name)
    if key is not None:
        return key
    group, sep, rest = name.partition("_")
    if not sep or not rest:
        raise TypeError(f"unknown option {name!r}: the options are "
                        + ", ".join(f"{n}=" for n in _OPTION_KEYS))
    return f"{group}.{rest}"  # not a key this library has: it raises ArgumentError naming it


def open(path: PathLike, *, mmap: bool = True,  # noqa: A001
         **options: Union[int, bool]) -> WeightFile:
    """Open and fully validate a weight file.

    ``path`` is a GGUF file, a safetensors file, a ``model.safetensors.index.json`` or a
    directory of safetensors shards; a string that is not an existing path but has the form
    ``org/name`` or ``org/name@revision`` names a model in the local Hugging Face cache (read
    offline; see :mod:`mwt._hub`), whose snapshot's weight file is opened.
    ``mmap=True`` (the default) memory-maps the files, as
    ``numpy.memmap`` does: :meth:`Tensor.numpy` and :meth:`Tensor.raw` are zero-copy views of
    the file itself, and if another process truncates or rewrites the file in place, reading
    such a view can kill the process with SIGBUS (mwt's own reads, such as
    :meth:`Tensor.dequantize`, raise :class:`mwt.IoError` "... changed while mapped" instead).
    ``mmap=False`` (option ``io.mmap`` 0) reads each file into private memory: views stay valid
    and keep the values read whatever happens to the file later, at the cost of that memory.
    ``options`` are mwt.h's option keys with the dot written
    as an underscore: ``limits_max_tensors=10``, ``safetensors_strict=False``,
    ``gguf_strict_bool=False``, ``gguf_contiguous=True``, ... (mwt.h lists them with their
    defaults and ranges). An unknown option or a value outside its range raises
    :class:`mwt.ArgumentError` (``TypeError`` for a name with no underscore, which no key has,
    or a value that is not an int or bool); any problem with the file raises the matching
    :class:`mwt.MwtError` subclass. The GIL is released while the file is parsed.
    """
    native_options: Dict[str, int] = {}
    for name, value in options.items():
        if not isinstance(value, (int, np.integer)):
            raise TypeError(f"option {name}= must be an int or bool, not {type(value).__name__}")
        if not -(2**63) <= int(value) < 2**63:
            _raise("ARGUMENT", f"option {name}={value} is out of range")
        native_options[_option_key(name)] = int(value)
    if not mmap:
        native_options["io.mmap"] = 0
    fspath = _hub.resolve_path(path)
    native = _native.open(os.fsencode(fspath), native_options)
    return WeightFile(native, os.fsdecode(fspath))


def detect_format(path: PathLike) -> str:
    """Sniff a file or directory by content: "gguf", "safetensors", "safetensors-sharded",
    "pytorch", "onnx", "npy", "npz", ... or "unknown". Raises :class:`mwt.IoError` if the
    path cannot be read."""
    return _native.detect_format(os.fsencode(os.fspath(path)))
