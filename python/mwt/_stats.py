"""The integrity pass: per-tensor statistics, NaN / Inf / all-zero / block-scale checks and
duplicated tensors, in one read of every tensor (``mwt validate``, ``mwt inspect --stats``).

The rules, severities and fields are documented in docs/validation.md.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, Union

from . import _native

if TYPE_CHECKING:
    from ._file import WeightFile

__all__ = ["ValidationReport", "TensorStats", "ScaleCheck", "Issue", "ProgressFn", "validate"]

#: ``progress(done_bytes, total_bytes)``: called on the calling thread, at most every ~50 ms,
#: with 0 first and ``total_bytes`` last. Raising (KeyboardInterrupt included) cancels the pass
#: and the exception propagates.
ProgressFn = Callable[[int, int], Any]


@dataclass(frozen=True)
class ScaleCheck:
    """What the block-scale rules found in one block-quantized tensor (per block counts)."""

    blocks: int
    nonfinite: int
    negative: int
    negative_min: int


@dataclass(frozen=True)
class TensorStats:
    """Statistics of one tensor's values as mwt dequantizes them (float32).

    ``min``, ``max``, ``absmax``, ``mean`` and ``std`` (population, ddof=0) cover the finite
    values; they are None when there is none, or when ``decoded`` is False (a dtype mwt cannot
    dequantize: only its hash was taken). ``hash`` is a 64-bit non-cryptographic hash of the
    raw bytes, as 16 hex digits."""

    name: str
    dtype: str
    shape: Tuple[int, ...]
    nbytes: int
    hash: str
    decoded: bool
    count: int = 0
    finite: int = 0
    nan: int = 0
    inf: int = 0
    zero: int = 0
    min: Optional[float] = None
    max: Optional[float] = None
    absmax: Optional[float] = None
    mean: Optional[float] = None
    std: Optional[float] = None
    scales: Optional[ScaleCheck] = None

    @classmethod
    def _from_json(cls, t: Dict[str, Any]) -> TensorStats:
        s = t["stats"]
        sc = t["scales"]
        values: Dict[str, Any] = {}
        if s is not None:
            values = {k: s[k] for k in ("count", "finite", "nan", "inf", "zero", "min", "max",
                                        "absmax", "mean", "std")}
        return cls(name=t["name"], dtype=t["dtype"], shape=tuple(t["shape"]),
                   nbytes=t["nbytes"], hash=t["hash"], decoded=s is not None,
                   scales=ScaleCheck(**sc) if sc is not None else None, **values)


@dataclass(frozen=True)
class Issue:
    """One finding. ``severity``: ``"error"`` (fails validation), ``"warning"`` (fails only
    under ``strict``) or ``"info"``; ``check``: ``"nan"``, ``"inf"``, ``"all_zero"``,
    ``"scale_nonfinite"``, ``"scale_negative"``, ``"min_negative"``, ``"duplicate"`` or
    ``"not_decoded"``; ``count``: values, blocks or group size it concerns."""

    severity: str
    check: str
    tensor: str
    count: int
    message: str


@dataclass(frozen=True)
class ValidationReport:
    """The result of one integrity pass over a file (see docs/validation.md).

    ``ok`` is True when no error was found (warnings allowed); :meth:`passed` with
    ``strict=True`` also refuses warnings. ``tensors`` maps names to :class:`TensorStats` in
    file order; ``duplicates`` lists groups of tensor names with identical bytes. ``raw`` is the
    report as the library returned it (the JSON of ``mwt validate --json``)."""

    path: str
    format: str
    ok: bool
    errors: int
    warnings: int
    tensors: Dict[str, TensorStats]
    issues: List[Issue]
    duplicates: List[List[str]]
    isa: str
    threads: int
    bytes: int
    raw: Dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def _from_json(cls, path: str, text: str) -> ValidationReport:
        r = json.loads(text)
        return cls(path=path, format=r["format"], ok=bool(r["ok"]), errors=r["errors"],
                   warnings=r["warnings"],
                   tensors={t["name"]: TensorStats._from_json(t) for t in r["tensors"]},
                   issues=[Issue(**i) for i in r["issues"]],
                   duplicates=[list(d["tensors"]) for d in r["duplicates"]], isa=r["isa"],
                   threads=r["threads"], bytes=r["bytes"], raw=dict(r, path=path))

    def passed(self, strict: bool = False) -> bool:
        """No error (and with ``strict``, no warning either)."""
        return self.ok and not (strict and self.warnings)

    def _summary(self) -> str:
        state = "ok" if self.ok else "FAILED"
        return (f"{state}: {len(self.tensors)} tensors, {self.errors} errors, "
                f"{self.warnings} warnings")

    def __repr__(self) -> str:
        return f"<ValidationReport {os.path.basename(self.path)!r} {self._summary()}>"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(i.severity)}</td><td>{html.escape(i.check)}</td>"
            f"<td><code>{html.escape(i.tensor)}</code></td><td>{html.escape(i.message)}</td></tr>"
            for i in self.issues)
        table = (f"<table><tr><th>severity</th><th>check</th><th>tensor</th><th>message</th>"
                 f"</tr>{rows}</table>") if rows else ""
        return (f"<div><b>{html.escape(os.path.basename(self.path))}</b> "
                f"({html.escape(self.format)}): {html.escape(self._summary())}{table}</div>")


def _threads_arg(threads: Optional[int]) -> int:
    if threads is None:
        return 0
    if int(threads) < 1:
        raise ValueError("threads must be at least 1 (or None for the default)")
    return int(threads)


def file_stats(wf: WeightFile, threads: Optional[int] = None,
               progress: Optional[ProgressFn] = None) -> ValidationReport:
    """The pass over an open file (WeightFile.stats)."""
    text = _native.file_stats(wf._require_open(), _threads_arg(threads), progress)
    return ValidationReport._from_json(str(wf.path), text)


def validate(path_or_file: Union[str, os.PathLike[str], WeightFile], *,
             threads: Optional[int] = None,
             progress: Optional[ProgressFn] = None) -> ValidationReport:
    """Check every tensor of a weight file: NaN / Inf values, all-zero tensors, block scales
    (finite; non-negative where the type needs it) and duplicated tensors, with per-tensor
    statistics, in one multi-threaded read. ``path_or_file`` is a path (opened and closed here)
    or an open :class:`WeightFile`. ``threads``: None for the default (MWT_NUM_THREADS or the
    CPU count); the numbers do not depend on it. Raises :class:`mwt.MwtError` when the file
    cannot be read at all; findings are in the report, not raised."""
    from ._file import WeightFile, open as open_file

    if isinstance(path_or_file, WeightFile):
        return file_stats(path_or_file, threads, progress)
    with open_file(path_or_file) as wf:
        return file_stats(wf, threads, progress)
