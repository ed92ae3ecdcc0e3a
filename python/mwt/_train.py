"""Training a byte-level BPE tokenizer (``mwt tokenizer train``): the same vocabulary and merges
as Hugging Face's ``BpeTrainer`` with the ``ByteLevelBPETokenizer`` setup, in C++ with
multi-threaded word counting, written as a ``tokenizer.json`` that ``tokenizers`` loads.

Semantics and the few places mwt differs from HF by design: docs/tokenizers-train.md.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Optional, Sequence, Union

from . import _native

__all__ = ["train_tokenizer", "train_tokenizer_from_texts", "TrainProgressFn", "TrainSummary"]

#: ``progress(stage, done, total)``: ``stage`` is ``"count"`` (``done`` / ``total`` corpus
#: bytes) then ``"merge"`` (new tokens made / to make). Called on the calling thread, at most
#: every ~50 ms and at each stage's start and end. Raising (KeyboardInterrupt included) stops
#: the training and the exception propagates.
TrainProgressFn = Callable[[str, int, int], Any]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class TrainSummary:
    """What a training run did (``mwt tokenizer train --json`` prints it).

    ``merge_steps`` counts every merge the loop made; it exceeds ``merges`` when HF's loop
    merges a pair twice (the pair is then listed once, docs/tokenizers-train.md). ``stopped_by``
    is ``"vocab_size"``, ``"min_frequency"`` or ``"no_pairs"``."""

    vocab_size: int
    merges: int
    merge_steps: int
    special_tokens: int
    alphabet_size: int
    last_merge_count: int
    stopped_by: str
    corpus_bytes: int
    sequences: int
    words: int
    unique_words: int
    seconds: float


def _settings(vocab_size: int, min_frequency: int, threads: Optional[int],
              byte_level_alphabet: bool, limit_alphabet: Optional[int],
              max_token_length: Optional[int]) -> Dict[str, int]:
    for name, value in (("vocab_size", vocab_size), ("min_frequency", min_frequency)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if threads is not None and threads < 1:
        raise ValueError("threads must be at least 1 (None: MWT_NUM_THREADS or the CPU count)")
    return {
        "train.vocab_size": vocab_size,
        "train.min_frequency": min_frequency,
        "train.threads": threads or 0,
        "train.byte_level_alphabet": 1 if byte_level_alphabet else 0,
        "train.limit_alphabet": -1 if limit_alphabet is None else limit_alphabet,
        "train.max_token_length": -1 if max_token_length is None else max_token_length,
    }


def _write_atomic(path: PathLike, text: str) -> None:
    """`text` to `path` through a temp file in its directory and a rename: no partial file."""
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(prefix=".tokenizer-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _finish(out: Optional[tuple[str, str]], output: Optional[PathLike]) -> tuple[str, TrainSummary]:
    if out is None:  # the native call only cancels through the callback, which raised
        raise KeyboardInterrupt("tokenizer training cancelled")
    text, summary = out
    if output is not None:
        _write_atomic(output, text)
    return text, TrainSummary(**json.loads(summary))


def train_with_summary(files: Union[PathLike, Sequence[PathLike]], vocab_size: int,
                       special_tokens: Iterable[str] = (), min_frequency: int = 2,
                       threads: Optional[int] = None, output: Optional[PathLike] = None, *,
                       byte_level_alphabet: bool = True, limit_alphabet: Optional[int] = None,
                       max_token_length: Optional[int] = None,
                       progress: Optional[TrainProgressFn] = None) -> tuple[str, TrainSummary]:
    """:func:`train_tokenizer`, also returning the :class:`TrainSummary`."""
    if isinstance(files, (str, os.PathLike)):
        files = [files]
    paths = [os.fsencode(f) for f in files]
    settings = _settings(vocab_size, min_frequency, threads, byte_level_alphabet,
                         limit_alphabet, max_token_length)
    out = _native.train_tokenizer_files(paths, settings, list(special_tokens), progress)
    return _finish(out, output)


def train_tokenizer(files: Union[PathLike, Sequence[PathLike]], vocab_size: int,
                    special_tokens: Iterable[str] = (), min_frequency: int = 2,
                    threads: Optional[int] = None, output: Optional[PathLike] = None, *,
                    byte_level_alphabet: bool = True, limit_alphabet: Optional[int] = None,
                    max_token_length: Optional[int] = None,
                    progress: Optional[TrainProgressFn] = None) -> str:
    """Train a byte-level BPE tokenizer on text files; returns the tokenizer.json text (also
    written to ``output`` when given, atomically).

    Equal to ``tokenizers``' ``ByteLevelBPETokenizer().train(files, vocab_size, min_frequency,
    special_tokens=...)``: every line of every file is a sequence, split as GPT-2 does, its
    bytes mapped to GPT-2's printable alphabet; special tokens take ids 0, 1, ... in order, then
    the 256 byte characters (``byte_level_alphabet``; False keeps only those the corpus has),
    then one token per merge until ``vocab_size`` tokens or no pair occurs ``min_frequency``
    times (2, as ByteLevelBPETokenizer; HF's BpeTrainer itself defaults to 0).
    ``limit_alphabet`` and ``max_token_length`` are BpeTrainer's. ``threads`` (None: the
    ``MWT_NUM_THREADS`` or CPU count) changes the speed, never the result. Files must be UTF-8
    (:class:`mwt.BadEncodingError` names the file and offset otherwise)."""
    return train_with_summary(files, vocab_size, special_tokens, min_frequency, threads, output,
                              byte_level_alphabet=byte_level_alphabet,
                              limit_alphabet=limit_alphabet, max_token_length=max_token_length,
                              progress=progress)[0]


def train_tokenizer_from_texts(texts: Iterable[str], vocab_size: int,
                               special_tokens: Iterable[str] = (), min_frequency: int = 2,
                               threads: Optional[int] = None, output: Optional[PathLike] = None,
                               *, byte_level_alphabet: bool = True,
                               limit_alphabet: Optional[int] = None,
                               max_token_length: Optional[int] = None,
                               progress: Optional[TrainProgressFn] = None) -> str:
    """:func:`train_tokenizer` over strings in memory, each one sequence (not split into lines),
    as HF's ``train_from_iterator`` takes its items."""
    settings = _settings(vocab_size, min_frequency, threads, byte_level_alphabet,
                         limit_alphabet, max_token_length)
    out = _native.train_tokenizer_texts(list(texts), settings, list(special_tokens), progress)
    return _finish(out, output)[0]
