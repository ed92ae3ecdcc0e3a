"""Quantizing a whole model to a GGUF file type (``mwt quantize``): every tensor gets the type
llama.cpp's quantizer would give it for that file type (:meth:`WeightFile.plan_quantization`),
so a ``Q4_K_M`` output is a normal Q4_K_M file: Q6_K on the output head and on ``attn_v`` /
``ffn_down`` of the ``use_more_bits`` layers, Q4_K elsewhere, F32 norms and biases, and the
row-divisibility fallbacks (Q5_0 / Q5_1 / Q8_0 / F16) where a row is not whole 256-value blocks.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import string
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np

from . import _native
from ._errors import _raise

__all__ = ["quantize_file", "QuantizeResult", "QUANTIZE_FILE_TYPES"]

PathLike = Union[str, "os.PathLike[str]"]

# File types `quantize_file` can produce: every tensor type their rules can choose has an
# mwt quantizer (the IQ*, TQ* and MXFP4 mixes need quantizers mwt does not have).
QUANTIZE_FILE_TYPES = ("F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K",
                       "Q2_K_S", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S",
                       "Q5_K_M", "Q6_K")

# A tensor's rows are split over the threads in parts of at least this many values (fewer
# parts for smaller tensors: a part's thread hand-off costs more than encoding a few rows).
_MIN_PART_VALUES = 1 << 16

# Called after each tensor: (input bytes done, input bytes in all, name of the tensor just
# encoded). Bytes, not tensors: a model's few large matrices (token_embd, output) take most of
# the time, and a count of tensors would race through the norms and then stall on them.
ProgressFn = Callable[[int, int, str], None]


@dataclass
class QuantizeResult:
    """What :func:`quantize_file` wrote."""

    path: str
    file_type: str
    tensors: int
    quantized: int                       # tensors whose type changed
    bytes_in: int                        # tensor bytes of the (converted) input
    bytes_out: int                       # tensor bytes written
    params: int
    types: Dict[str, int] = field(default_factory=dict)   # output type -> tensor count
    warnings: List[str] = field(default_factory=list)     # what the output lacks, and why

    @property
    def bits_per_weight(self) -> float:
        return 8.0 * self.bytes_out / self.params if self.params else 0.0

    def as_dict(self) -> Dict[str, Any]:
        return {"path": self.path, "file_type": self.file_type, "tensors": self.tensors,
                "quantized": self.quantized, "bytes_in": self.bytes_in,
                "bytes_out": self.bytes_out, "params": self.params,
                "bits_per_weight": self.bits_per_weight, "types": dict(self.types),
                "warnings": list(self.warnings)}


def _hf_tokenizer(model_dir: Path, notes: List[str]) -> Tuple[Dict[str, Any], Dict[str, str]]:
    """The tokenizer.ggml.* keys (and their GGUF types) of the Hugging Face tokenizer in
    model_dir (:meth:`mwt.Tokenizer.to_gguf_metadata`); empty, with a note saying what the output
    lacks, when there is none or it cannot be written as GGUF keys."""
    from ._errors import MwtError
    from ._tokenizer import Tokenizer
    have = [n for n in ("tokenizer.json", "tokenizer.model") if (model_dir / n).is_file()]
    if not have:
        notes.append(f"the output has no tokenizer.ggml.* keys: {model_dir} has no "
                     "tokenizer.json or tokenizer.model, so runtimes that read the vocabulary "
                     "from the GGUF (llama.cpp) cannot run this file")
        return {}, {}
    try:
        tok = Tokenizer.from_file(model_dir)
        return tok.to_gguf_metadata(), tok.gguf_metadata_types()
    except MwtError as e:
        notes.append(f"the output has no tokenizer.ggml.* keys: the tokenizer in {model_dir} "
                     f"cannot be written as GGUF keys ({e})")
        return {}, {}


def _open_source(src: Path, dst: Path, notes: List[str],
                 extra: Tuple[Dict[str, Any], Dict[str, str]]) -> Any:
    """The opened source: src itself when it is a GGUF file; a Hugging Face LLaMA checkpoint
    directory (or a safetensors file with config.json beside it) converted to an F32 GGUF.

    The conversion is written (atomically, by the native writer) under a temp name marked like
    the writer's own temps, `.NAME.mwt-tmp-XXXXXX` beside dst's target, then opened and unlinked
    at once: the open file stays mapped, no directory is made, and a crash in the instant
    between write and unlink leaves a marked file the next write to that directory removes.
    Warnings about what the output will lack are appended to ``notes``; the tokenizer.ggml.*
    keys of a checkpoint's tokenizer (values, GGUF types) go into ``extra``."""
    from ._file import detect_format, open as open_file
    from .convert_hf import hf_llama_to_gguf

    fmt = detect_format(src)
    if fmt == "gguf":
        return open_file(src)
    model_dir = src if src.is_dir() else src.parent
    if fmt.startswith("safetensors") and (model_dir / "config.json").is_file():
        target = Path(os.path.realpath(dst))
        suffix = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(6))
        tmp = target.parent / f".{target.name}.mwt-tmp-{suffix}"
        try:
            hf_llama_to_gguf(model_dir, tmp, dtype="F32")
            md, md_types = _hf_tokenizer(model_dir, notes)
            extra[0].update(md)
            extra[1].update(md_types)
            return open_file(tmp)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    _raise("UNSUPPORTED_FORMAT",
           f"{src}: mwt quantize reads GGUF files and Hugging Face LLaMA checkpoints "
           f"(safetensors with config.json); this is {fmt}")
    raise AssertionError("unreachable")


def quantize_file(src: PathLike, dst: PathLike, file_type: str, *,
                  allow_requantize: bool = False, threads: Optional[int] = None,
                  progress: Optional[ProgressFn] = None) -> QuantizeResult:
    """Quantize the model at ``src`` to the GGUF file ``dst`` as ``file_type`` (one of
    :data:`QUANTIZE_FILE_TYPES`, e.g. ``"Q4_K_M"``) and return a summary.

    ``src``: a GGUF file (F32 / F16 / BF16 tensors, or quantized ones with
    ``allow_requantize=True``: they are dequantized first, which compounds the error, hence
    the opt-in), or a Hugging Face LLaMA checkpoint (directory with config.json and safetensors),
    which is first converted with :func:`mwt.convert_hf.hf_llama_to_gguf` at F32 into a
    temporary file next to ``dst`` (unlinked as soon as it is open), and the tokenizer beside it
    (tokenizer.json or tokenizer.model) is written as ``tokenizer.ggml.*`` keys
    (:meth:`mwt.Tokenizer.to_gguf_metadata`); without one, or when it cannot be written as GGUF
    keys, the result's ``warnings`` say the output has none. A file type whose rules
    fall back to a type mwt cannot encode for some tensor (Q2_K / Q3_K rows that are not whole
    256-value blocks get IQ4_NL) raises :class:`mwt.UnsupportedFeatureError` naming the tensor
    before anything is encoded.
    Metadata is copied with its types; ``general.file_type`` and
    ``general.quantization_version`` (2) are set. ``threads`` (default: the CPU count) is how
    many threads work on each tensor in turn, dequantizing it and then encoding parts of its
    rows in parallel; the bytes are the same for every count. The output is written
    atomically by the native writer (the only file made; see docs/readers.md#writers-nothing-lost):
    on any error ``dst`` is left as it was, and errors are :class:`mwt.MwtError` naming ``dst``.
    """
    from ._quant import can_quantize, quantize
    from ._save import RawTensor, save_gguf

    if file_type.upper() not in QUANTIZE_FILE_TYPES:
        _raise("ARGUMENT", f"file type {file_type!r} is not one mwt can produce; choose one of "
               + ", ".join(QUANTIZE_FILE_TYPES))
    file_type = file_type.upper()
    ft_value = _native.file_type_from_name(file_type)
    dst_path = Path(dst)
    workers = max(1, threads if threads is not None else (os.cpu_count() or 1))
    # Checked before any work so the error names the user's path, not an intermediate file.
    out_dir = Path(os.path.realpath(dst_path)).parent
    if not out_dir.is_dir():
        _raise("IO", f"cannot write '{dst_path}': directory '{out_dir}' does not exist")
    notes: List[str] = []
    extra: Tuple[Dict[str, Any], Dict[str, str]] = ({}, {})
    with _open_source(Path(src), dst_path, notes, extra) as wf:
        plan = wf.plan_quantization(file_type)
        names: List[str] = list(wf.tensors.keys())
        tensors = [wf.tensors[n] for n in names]
        for t in tensors:
            if plan[t.name] != t.dtype and not can_quantize(plan[t.name]):
                _raise("UNSUPPORTED_FEATURE",
                       f"{file_type} gives {t.name} (rows of {t.shape[-1]} values) the type "
                       f"{plan[t.name]}, which mwt cannot encode")
            if plan[t.name] != t.dtype and t.dtype not in ("F32", "F16", "BF16") \
                    and not allow_requantize:
                _raise("UNSUPPORTED_FEATURE",
                       f"{t.name} is already {t.dtype}; re-quantizing compounds the error "
                       f"(pass allow_requantize=True / --allow-requantize to do it anyway)")

        # One level of parallelism: the tensors one at a time, each one's dequantize on
        # `workers` threads (the library's) and then its rows split into `workers`
        # contiguous parts quantized side by side (the encoders are single-threaded; a row's
        # bytes do not depend on the other rows, so the output is the same for any split).
        # Measured no slower than a pool over the tensors, it holds one tensor's float32
        # copy at a time instead of `workers`, and the last big tensor does not leave the
        # other threads idle.
        def encode(t: Any, pool: ThreadPoolExecutor) -> Any:
            target = plan[t.name]
            if target == t.dtype:
                return RawTensor(t.dtype, t.shape, np.asarray(t.raw()))
            x = t.dequantize(threads=workers)
            rows = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)
            n_parts = min(workers, rows.shape[0], max(1, rows.size // _MIN_PART_VALUES))
            if n_parts == 1:
                return RawTensor(target, t.shape, quantize(x, target))
            parts = np.array_split(rows, n_parts, axis=0)
            coded = np.concatenate(list(pool.map(lambda p: quantize(p, target), parts)))
            return RawTensor(target, t.shape, coded.reshape(x.shape[:-1] + coded.shape[-1:]))

        out: Dict[str, Any] = {}
        total_bytes = sum(int(t.nbytes) for t in tensors)
        done_bytes = 0
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for name, t in zip(names, tensors):
                out[name] = encode(t, pool)
                done_bytes += int(t.nbytes)
                if progress is not None:
                    progress(done_bytes, total_bytes, name)

        metadata = dict(wf.metadata)
        types = dict(wf.metadata_types)
        metadata.update(extra[0])
        types.update(extra[1])
        metadata["general.file_type"] = ft_value
        types["general.file_type"] = "UINT32"
        metadata["general.quantization_version"] = 2
        types["general.quantization_version"] = "UINT32"
        save_gguf(dst_path, out, metadata, metadata_types=types)

        counts: Dict[str, int] = {}
        for enc in out.values():
            counts[enc.dtype] = counts.get(enc.dtype, 0) + 1
        return QuantizeResult(
            path=str(dst_path), file_type=file_type, tensors=len(names),
            quantized=sum(1 for t in tensors if plan[t.name] != t.dtype),
            bytes_in=sum(int(t.nbytes) for t in tensors),
            bytes_out=sum(memoryview(enc.data).nbytes for enc in out.values()),
            params=sum(int(t.numel) for t in tensors), types=counts, warnings=notes)
