"""mwt's exceptions: one base, :class:`MwtError`, and one subclass per mwt.h error code.

The classes are spelled out here (so tools and readers see them); the code -> class mapping is
built at import from the native library's ``mwt_code_name``, and a code this file does not know
(a newer library) still gets a class, created on the fly.
"""

from __future__ import annotations

from typing import Dict, NoReturn, Optional, Type, Union

from . import _native

__all__ = ["MwtError", "error_class"]


class MwtError(Exception):
    """Base of every error libmwt reports.

    Attributes:
        code: the pinned mwt.h error code (``MWT_E_TRUNCATED == 3``, ...).
        code_name: its name (``"TRUNCATED"``).
        offset: byte offset in the file the error refers to, or ``None``.
        field: field path such as ``kv["general.alignment"]``, or ``None``.

    ``str(err)`` is the library's full message, naming offset and field.
    """

    code: int = 0
    code_name: str = "UNKNOWN"

    def __init__(self, message: str, *, offset: Optional[int] = None,
                 field: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.field = field

    def __reduce__(self):  # keyword-only attributes would be lost by Exception's default
        return (_from_native, (self.code, self.message, self.offset, self.field))


class IoError(MwtError):
    """The file could not be opened, read, mapped or written."""


class TruncatedError(MwtError):
    """The data end before a structure does."""


class BadMagicError(MwtError):
    """The file does not start with a recognised signature."""


class UnsupportedVersionError(MwtError):
    """A format version mwt does not read (e.g. big-endian GGUF)."""


class UnsupportedFormatError(MwtError):
    """A format mwt recognises but does not read (yet)."""


class UnsupportedFeatureError(MwtError):
    """A feature of a known format that mwt does not implement."""


class HeaderTooLargeError(MwtError):
    """A header larger than the configured cap."""


class BadEncodingError(MwtError):
    """Text that is not valid in its declared encoding."""


class BadSyntaxError(MwtError):
    """Malformed JSON or header syntax."""


class DepthLimitError(MwtError):
    """Nesting deeper than the configured limit."""


class LimitExceededError(MwtError):
    """A count or size above a configured limit (``limits.*`` options)."""


class DuplicateError(MwtError):
    """A duplicated key or tensor name."""


class BadDtypeError(MwtError):
    """An unknown element type, or one the target format cannot hold."""


class BadShapeError(MwtError):
    """An invalid shape (e.g. not a whole number of quantization blocks)."""


class OverflowError(MwtError):  # noqa: A001 - shadows the builtin only inside the mwt namespace
    """Size arithmetic overflowed (e.g. a shape product)."""


SizeOverflowError = OverflowError


class BadOffsetsError(MwtError):
    """Tensor offsets that are unsorted, overlapping or leave gaps."""


class SizeMismatchError(MwtError):
    """A byte count that disagrees with the dtype and shape."""


class OutOfBoundsError(MwtError):
    """A byte range outside the file or record."""


class TrailingDataError(MwtError):
    """Bytes after the end of the data."""


class BadAlignmentError(MwtError):
    """An alignment that is not a power of two, or a misaligned offset."""


class TypeMismatchError(MwtError):
    """A value read or written as a type other than its own."""


class ForbiddenGlobalError(MwtError):
    """A pickle referencing a global outside the allowlist."""


class UnsupportedOpcodeError(MwtError):
    """A pickle opcode outside the allowlist."""


class BadPickleError(MwtError):
    """A malformed pickle stream."""


class BadStorageError(MwtError):
    """A torch storage record that is missing or inconsistent."""


class PickleDisallowedError(MwtError):
    """Data that would need unrestricted unpickling (e.g. numpy object arrays)."""


class ArchiveInconsistentError(MwtError):
    """Zip headers that disagree with each other."""


class ArchiveOverlapError(MwtError):
    """Zip entries that overlap."""


class CrcError(MwtError):
    """A CRC that does not match the data."""


class PathEscapeError(MwtError):
    """A referenced path that leaves the model directory."""


class CycleError(MwtError):
    """A reference cycle in the input."""


class ArgumentError(MwtError):
    """An invalid argument from the caller (unknown option key, bad index, ...)."""


class InternalError(MwtError):
    """A bug in mwt: please report it with the file that triggers it."""


class NoMemoryError(MwtError):
    """An allocation failed."""


def _class_name(code_name: str) -> str:
    return "".join(part.capitalize() for part in code_name.split("_")) + "Error"


def _bind_codes() -> Dict[int, Type[MwtError]]:
    """Map every code the native library names to its class; pinned codes are contiguous."""
    by_code: Dict[int, Type[MwtError]] = {}
    code = 1
    while True:
        name = _native.code_name(code)
        if name == "UNKNOWN":
            break
        cls_name = _class_name(name)
        cls = globals().get(cls_name)
        if cls is None:
            cls = type(cls_name, (MwtError,), {"__doc__": f"mwt error {name}.",
                                               "__module__": __name__})
            globals()[cls_name] = cls
        elif not (isinstance(cls, type) and issubclass(cls, MwtError)):
            raise ImportError(f"mwt error code {name} clashes with {cls_name!r} in {__name__}")
        cls.code = code
        cls.code_name = name
        by_code[code] = cls
        code += 1
    return by_code


_BY_CODE = _bind_codes()
_BY_NAME = {cls.code_name: cls for cls in _BY_CODE.values()}


def error_class(code: Union[int, str]) -> Type[MwtError]:
    """The exception class for an error code (``3``) or code name (``"TRUNCATED"``).

    Raises ``KeyError`` for a code or name the library does not define.
    """
    if isinstance(code, str):
        return _BY_NAME[code]
    return _BY_CODE[int(code)]


def _from_native(code: int, message: str, offset: Optional[int],
                 field: Optional[str]) -> MwtError:
    """Build the exception for a native status (called by the bindings' translator)."""
    cls = _BY_CODE.get(code)
    if cls is not None:
        return cls(message, offset=offset, field=field)
    err = MwtError(message, offset=offset, field=field)  # a code outside the library's enum
    err.code, err.code_name = code, _native.code_name(code)
    return err


def _raise(code_name: str, message: str) -> NoReturn:
    """Raise a library-style error from Python-side validation (message prefixed like mwt's)."""
    raise _BY_NAME[code_name](f"{code_name}: {message}")
