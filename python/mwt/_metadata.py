"""Lazy views of a file's metadata table: :attr:`WeightFile.metadata`,
:attr:`WeightFile.metadata_types` and the string arrays they hold.

Nothing is converted up front: a key is looked up in the library's own index
(``mwt_file_metadata_find``), a value becomes a Python object when it is read, a numeric array
is a read-only numpy view over the memory map, and a string array decodes an element when it
is indexed. A header with a million keys therefore opens, and answers one key, in the time
and memory of that one key.
"""

from __future__ import annotations

from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Union,
    overload,
)

from . import _native

if TYPE_CHECKING:
    from ._file import WeightFile

__all__ = ["MetadataMap", "MetadataTypes", "StringArray"]

_CHUNK = 4096  # keys (or strings) fetched per native call while iterating


class StringArray(Sequence[Union[str, bytes]]):
    """A GGUF string array, read on access: ``len``, indexing (negative too), slicing (a list),
    iteration, ``in`` and ``==`` with any sequence. Elements are str, or bytes when not valid
    UTF-8. It holds the native file, so it stays readable after the WeightFile is closed.
    ``list(a)`` converts all elements at once."""

    __slots__ = ("_native", "_index", "_len")

    def __init__(self, native: _native.File, index: int, count: int) -> None:
        self._native = native
        self._index = index
        self._len = count

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, j: int) -> Union[str, bytes]: ...

    @overload
    def __getitem__(self, j: slice) -> List[Union[str, bytes]]: ...

    def __getitem__(self, j: Union[int, slice]) -> Any:
        if isinstance(j, slice):
            start, stop, step = j.indices(self._len)
            return _native.metadata_strings(self._native, self._index, start, stop, step)
        try:
            k = j.__index__()
        except AttributeError:
            raise TypeError(f"string array indices must be integers or slices, not "
                            f"{type(j).__name__}") from None
        if k < 0:
            k += self._len
        if not 0 <= k < self._len:
            raise IndexError("string array index out of range")
        return _native.metadata_string(self._native, self._index, k)

    def __iter__(self) -> Iterator[Union[str, bytes]]:
        for start in range(0, self._len, _CHUNK):
            stop = min(start + _CHUNK, self._len)
            yield from _native.metadata_strings(self._native, self._index, start, stop, 1)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (StringArray, list, tuple)):
            return NotImplemented
        if isinstance(other, StringArray) and other._native is self._native \
                and other._index == self._index:
            return True
        return len(other) == self._len and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]  # compares by content, like a list

    def tolist(self) -> List[Union[str, bytes]]:
        """Every element, converted now (as numpy's ``tolist``)."""
        return self[:]

    def __repr__(self) -> str:
        head = ", ".join(repr(s) for s in self[:3])
        more = f", … ({self._len} strings)" if self._len > 3 else ""
        return f"StringArray([{head}{more}])"


class _LazyTable:
    """Shared lookup of the two mappings: key -> entry index through the library's index."""

    __slots__ = ("_file", "_len")

    def __init__(self, file: WeightFile) -> None:
        self._file = file
        self._len: int = _native.metadata_count(file._require_open())

    def _find(self, key: object) -> int:
        """Entry index of key; KeyError when absent (as a dict raises)."""
        i = _native.metadata_find(self._file._require_open(), key)
        if i < 0:
            raise KeyError(key)
        return i

    def __contains__(self, key: object) -> bool:
        return _native.metadata_find(self._file._require_open(), key) >= 0

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[str]:
        # Keys in file order, fetched a chunk at a time; needs the file open while iterating.
        for start in range(0, self._len, _CHUNK):
            native = self._file._require_open()
            yield from _native.metadata_keys(native, start, start + _CHUNK)


class MetadataMap(_LazyTable, Mapping[str, Any]):
    """Read-only key -> value mapping in file order (:attr:`WeightFile.metadata`). A value is
    converted when first read and cached; ``len`` and ``in`` build no keys, iteration builds
    them one chunk at a time. Reading a value not read before needs the file open."""

    __slots__ = ("_cache",)

    def __init__(self, file: WeightFile, cache: Dict[str, Any]) -> None:
        super().__init__(file)
        self._cache = cache  # the WeightFile's: values read through any view of it

    def __getitem__(self, key: str) -> Any:
        try:
            return self._cache[key]
        except (KeyError, TypeError):  # TypeError: an unhashable key, refused below as absent
            pass
        i = self._find(key)
        value = _native.metadata_value(self._file._require_open(), i, StringArray)
        self._cache[key] = value
        return value

    def get(self, key: str, default: Optional[Any] = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __repr__(self) -> str:
        from ._file import _short

        return "{" + ", ".join(f"{k!r}: {_short(v)}" for k, v in self.items()) + "}"


class MetadataTypes(_LazyTable, Mapping[str, str]):
    """Read-only key -> GGUF type name ("UINT32", "ARRAY[INT8]", ...) in file order
    (:attr:`WeightFile.metadata_types`), looked up on access."""

    __slots__ = ()

    def __getitem__(self, key: str) -> str:
        return _native.metadata_type(self._file._require_open(), self._find(key))

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k!r}: {v!r}" for k, v in self.items()) + "}"
