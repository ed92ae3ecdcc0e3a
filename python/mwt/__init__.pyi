# Public API of mwt: re-exports of the typed modules (implementation in __init__.py).
from ._dtypes import DTypeInfo as DTypeInfo
from ._dtypes import convert_from_f32 as convert_from_f32
from ._dtypes import convert_to_f32 as convert_to_f32
from ._dtypes import dtype_info as dtype_info
from ._errors import MwtError as MwtError
from ._errors import IoError as IoError
from ._errors import TruncatedError as TruncatedError
from ._errors import BadMagicError as BadMagicError
from ._errors import UnsupportedVersionError as UnsupportedVersionError
from ._errors import UnsupportedFormatError as UnsupportedFormatError
from ._errors import UnsupportedFeatureError as UnsupportedFeatureError
from ._errors import HeaderTooLargeError as HeaderTooLargeError
from ._errors import BadEncodingError as BadEncodingError
from ._errors import BadSyntaxError as BadSyntaxError
from ._errors import DepthLimitError as DepthLimitError
from ._errors import LimitExceededError as LimitExceededError
from ._errors import DuplicateError as DuplicateError
from ._errors import BadDtypeError as BadDtypeError
from ._errors import BadShapeError as BadShapeError
from ._errors import OverflowError as OverflowError
from ._errors import BadOffsetsError as BadOffsetsError
from ._errors import SizeMismatchError as SizeMismatchError
from ._errors import OutOfBoundsError as OutOfBoundsError
from ._errors import TrailingDataError as TrailingDataError
from ._errors import BadAlignmentError as BadAlignmentError
from ._errors import TypeMismatchError as TypeMismatchError
from ._errors import ForbiddenGlobalError as ForbiddenGlobalError
from ._errors import UnsupportedOpcodeError as UnsupportedOpcodeError
from ._errors import BadPickleError as BadPickleError
from ._errors import BadStorageError as BadStorageError
from ._errors import PickleDisallowedError as PickleDisallowedError
from ._errors import ArchiveInconsistentError as ArchiveInconsistentError
from ._errors import ArchiveOverlapError as ArchiveOverlapError
from ._errors import CrcError as CrcError
from ._errors import PathEscapeError as PathEscapeError
from ._errors import CycleError as CycleError
from ._errors import ArgumentError as ArgumentError
from ._errors import InternalError as InternalError
from ._errors import NoMemoryError as NoMemoryError
from ._errors import SizeOverflowError as SizeOverflowError
from ._errors import error_class as error_class
from ._file import Tensor as Tensor
from ._file import WeightFile as WeightFile
from ._file import detect_format as detect_format
from ._file import open as open
from ._quant import can_dequantize as can_dequantize
from ._quant import active_isa as active_isa
from ._quant import dequantize as dequantize
from ._quant import can_quantize as can_quantize
from ._quant import quantize as quantize
from ._quantize_file import QUANTIZE_FILE_TYPES as QUANTIZE_FILE_TYPES
from ._quantize_file import QuantizeResult as QuantizeResult
from ._quantize_file import quantize_file as quantize_file
from ._save import RawTensor as RawTensor
from ._save import save_gguf as save_gguf
from ._save import save_safetensors as save_safetensors

__version__: str
__all__ = [
    "__version__",
    "abi_version",
    "open",
    "detect_format",
    "WeightFile",
    "Tensor",
    "RawTensor",
    "save_safetensors",
    "save_gguf",
    "DTypeInfo",
    "dtype_info",
    "convert_to_f32",
    "convert_from_f32",
    "dequantize",
    "can_dequantize",
    "active_isa",
    "quantize",
    "can_quantize",
    "quantize_file",
    "QuantizeResult",
    "QUANTIZE_FILE_TYPES",
    "MwtError",
    "IoError",
    "TruncatedError",
    "BadMagicError",
    "UnsupportedVersionError",
    "UnsupportedFormatError",
    "UnsupportedFeatureError",
    "HeaderTooLargeError",
    "BadEncodingError",
    "BadSyntaxError",
    "DepthLimitError",
    "LimitExceededError",
    "DuplicateError",
    "BadDtypeError",
    "BadShapeError",
    "OverflowError",
    "BadOffsetsError",
    "SizeMismatchError",
    "OutOfBoundsError",
    "TrailingDataError",
    "BadAlignmentError",
    "TypeMismatchError",
    "ForbiddenGlobalError",
    "UnsupportedOpcodeError",
    "BadPickleError",
    "BadStorageError",
    "PickleDisallowedError",
    "ArchiveInconsistentError",
    "ArchiveOverlapError",
    "CrcError",
    "PathEscapeError",
    "CycleError",
    "ArgumentError",
    "InternalError",
    "NoMemoryError",
    "SizeOverflowError",
    "error_class",
]

def abi_version() -> int: ...
