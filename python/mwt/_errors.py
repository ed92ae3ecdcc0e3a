"""mwt's exceptions: one base, :class:`MwtError`, and one subclass per mwt.h error code.

The codes are written once, in mwt.h's ``MWT_ERROR_CODES`` (name, value, one-line description);
the bindings export that table (``_native.error_codes()``) and this module makes one class per
row at import: the class name is the code name in CamelCase plus ``Error`` (``TRUNCATED`` ->
``TruncatedError``, ``IO`` -> ``IoError``, ``NO_MEMORY`` -> ``NoMemoryError``), its ``code`` and
``code_name`` are the row's, and its docstring is the description (first letter capitalised, with
a full stop). Two exceptions: OVERFLOW's class is ``SizeOverflowError``, so that
``from mwt import *`` does not shadow the builtin ``OverflowError`` (``mwt.OverflowError`` stays
as an alias, outside ``__all__``); and ``IoError`` is also an ``OSError`` (``errno`` and
``strerror`` are ``None``: the library's message says what failed), so ``except OSError`` catches
it.

:class:`ClosedFileError` (an :class:`ArgumentError` and a ``ValueError``, so code written when
closed-file access raised a plain ``ValueError`` still catches it) is raised for any access to
a closed :class:`mwt.WeightFile`; it has no code of its own.

Type checkers cannot run the table, so the class names are also declared below under
``TYPE_CHECKING`` and listed in ``__all__``; tests/python/test_errors.py fails if either list
and the native table differ by a single code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, NoReturn, Optional, Tuple, Type, Union

from . import _native


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

    def __reduce__(self) -> Tuple[object, Tuple[object, ...]]:
        # keyword-only attributes would be lost by Exception's default
        return (_from_native, (self.code, self.message, self.offset, self.field))


if TYPE_CHECKING:  # the classes _bind_codes() makes, for type checkers and readers
    class InternalError(MwtError): ...
    class IoError(MwtError, OSError): ...
    class TruncatedError(MwtError): ...
    class BadMagicError(MwtError): ...
    class UnsupportedVersionError(MwtError): ...
    class UnsupportedFormatError(MwtError): ...
    class UnsupportedFeatureError(MwtError): ...
    class HeaderTooLargeError(MwtError): ...
    class BadEncodingError(MwtError): ...
    class BadSyntaxError(MwtError): ...
    class DepthLimitError(MwtError): ...
    class LimitExceededError(MwtError): ...
    class DuplicateError(MwtError): ...
    class BadDtypeError(MwtError): ...
    class BadShapeError(MwtError): ...
    class SizeOverflowError(MwtError): ...
    class BadOffsetsError(MwtError): ...
    class SizeMismatchError(MwtError): ...
    class OutOfBoundsError(MwtError): ...
    class TrailingDataError(MwtError): ...
    class BadAlignmentError(MwtError): ...
    class TypeMismatchError(MwtError): ...
    class ForbiddenGlobalError(MwtError): ...
    class UnsupportedOpcodeError(MwtError): ...
    class BadPickleError(MwtError): ...
    class BadStorageError(MwtError): ...
    class PickleDisallowedError(MwtError): ...
    class ArchiveInconsistentError(MwtError): ...
    class ArchiveOverlapError(MwtError): ...
    class CrcError(MwtError): ...
    class PathEscapeError(MwtError): ...
    class CycleError(MwtError): ...
    class ArgumentError(MwtError): ...
    class NoMemoryError(MwtError): ...

    OverflowError = SizeOverflowError  # deprecated alias; not in __all__ (shadows a builtin)

__all__ = [
    "MwtError", "error_class", "ClosedFileError",
    # one class per code, in the order of the codes
    "InternalError", "IoError",
    "TruncatedError", "BadMagicError", "UnsupportedVersionError", "UnsupportedFormatError",
    "UnsupportedFeatureError", "HeaderTooLargeError", "BadEncodingError", "BadSyntaxError",
    "DepthLimitError", "LimitExceededError", "DuplicateError", "BadDtypeError", "BadShapeError",
    "SizeOverflowError", "BadOffsetsError", "SizeMismatchError", "OutOfBoundsError",
    "TrailingDataError", "BadAlignmentError", "TypeMismatchError", "ForbiddenGlobalError",
    "UnsupportedOpcodeError", "BadPickleError", "BadStorageError", "PickleDisallowedError",
    "ArchiveInconsistentError", "ArchiveOverlapError", "CrcError", "PathEscapeError",
    "CycleError", "ArgumentError", "NoMemoryError",
]


# Codes whose CamelCase name would shadow a builtin exception under `from mwt import *`.
_RENAMED = {"OVERFLOW": "SizeOverflowError"}
# Extra bases: IO failures are OSErrors to Python code that catches those.
_EXTRA_BASES: Dict[str, Tuple[type, ...]] = {"IO": (OSError,)}


def _class_name(code_name: str) -> str:
    if code_name in _RENAMED:
        return _RENAMED[code_name]
    return "".join(part.capitalize() for part in code_name.split("_")) + "Error"


def _docstring(description: str) -> str:
    return description[:1].upper() + description[1:] + "."


def _bind_codes() -> Dict[int, Type[MwtError]]:
    """One MwtError subclass per row of the native table, bound as a module attribute."""
    by_code: Dict[int, Type[MwtError]] = {}
    namespace = globals()
    for name, code, description in _native.error_codes():
        cls_name = _class_name(name)
        if cls_name in namespace:  # a code whose class name is taken by something else here
            raise ImportError(f"mwt error code {name} clashes with {cls_name!r} in {__name__}")
        cls = type(cls_name, (MwtError, *_EXTRA_BASES.get(name, ())), {
            "__doc__": _docstring(description), "__module__": __name__,
            "__qualname__": cls_name, "code": code, "code_name": name,
        })
        namespace[cls_name] = cls
        by_code[code] = cls
    return by_code


_BY_CODE = _bind_codes()
_BY_NAME = {cls.code_name: cls for cls in _BY_CODE.values()}
if not TYPE_CHECKING:
    OverflowError = _BY_NAME["OVERFLOW"]  # noqa: A001 - deprecated alias of SizeOverflowError


class ClosedFileError(ArgumentError, ValueError):
    """An operation on a closed :class:`mwt.WeightFile` (or a tensor of one)."""

    def __reduce__(self) -> Tuple[object, Tuple[object, ...]]:
        # the class, not the code's class (ArgumentError), comes back from a pickle
        return (type(self), (self.message,))


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
