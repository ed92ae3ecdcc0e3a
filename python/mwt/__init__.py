"""mwt — model weight tools: read, inspect and write ML weight files (GGUF, safetensors).

    >>> import mwt, numpy as np
    >>> with mwt.open("model.gguf") as wf:
    ...     w = np.asarray(wf.tensors["token_embd.weight"])   # zero-copy, read-only
    ...     print(wf.metadata["general.architecture"])

Shapes are numpy order everywhere. Errors are :class:`MwtError` subclasses, one per error code.
The compiled module ``mwt._native`` is private.
"""

from . import _errors, _native, names
from ._architecture import Architecture, analyze
from ._diff import DiffResult, diff
from ._dtypes import DTypeInfo, convert_from_f32, convert_to_f32, dtype_info
from ._errors import *  # noqa: F403 - MwtError, error_class and one class per error code
from ._errors import OverflowError as OverflowError  # noqa: A004 - old SizeOverflowError
from ._file import Tensor, WeightFile, detect_format, open  # noqa: A004 - mwt.open is the API
from ._quant import active_isa, can_dequantize, can_quantize, dequantize, quantize
from ._quantize_file import QUANTIZE_FILE_TYPES, QuantizeResult, quantize_file
from ._save import RawTensor, save_gguf, save_safetensors
from ._stats import Issue, ScaleCheck, TensorStats, ValidationReport, validate
from ._tokenizer import Tokenizer
from ._train import TrainSummary, train_tokenizer, train_tokenizer_from_texts

__version__: str = _native.version_string()


def abi_version() -> int:
    """MWT_ABI_VERSION of the loaded native library (the shared library's SOVERSION)."""
    return int(_native.abi_version())


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
    "analyze",
    "Architecture",
    "names",
    "diff",
    "DiffResult",
    "validate",
    "ValidationReport",
    "TensorStats",
    "ScaleCheck",
    "Issue",
    "Tokenizer",
    "train_tokenizer",
    "train_tokenizer_from_texts",
    "TrainSummary",
]
__all__ += _errors.__all__
