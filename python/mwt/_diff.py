"""Comparing two weight files: :func:`diff` and its :class:`DiffResult` (``mwt diff``).

Tensors are matched by mwt's canonical names (:mod:`mwt.names`, with each side's family from
:func:`mwt.analyze`), so a Hugging Face checkpoint and its GGUF conversion line up; names the
tables do not know are matched exactly. Then: tensors only in one file, tensors whose logical
shape differs, dtype-only differences, layout differences the converters are known to make
(docs/diff.md#layouts), numeric deltas of every matched pair, metadata and architecture
differences. docs/diff.md describes every field of :meth:`DiffResult.to_dict`.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np

from . import _native
from ._diff_values import Deltas, comparable, compare
from ._errors import MwtError
from ._file import Tensor, WeightFile, open as _open
from ._metadata import StringArray
from .convert_hf import unpermute_qk

__all__ = ["diff", "DiffResult"]

PathLike = Union[str, "os.PathLike[str]"]
Source = Union[PathLike, WeightFile]
# (bytes of tensor data compared so far, bytes in all, name of the tensor just compared)
ProgressFn = Callable[[int, int, str], None]

SCHEMA = 1
# Metadata arrays longer than this are summarized in the result (length and first elements).
_ARRAY_SHOWN = 16

# GPT-2's Conv1D weights: stored (in, out) by transformers, (out, in) in GGUF (docs/diff.md).
_CONV1D = re.compile(r"\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$")
_ROPE_Q = re.compile(r"(^|\.)attn_q\.(weight|bias)$")
_ROPE_K = re.compile(r"(^|\.)attn_k\.(weight|bias)$")
# Architectures whose GGUF q/k rows llama.cpp's converter permutes (docs/diff.md#layouts).
_ROPE_PERMUTED_ARCHS = ("llama",)


@dataclass
class _Side:
    wf: WeightFile
    arch: Optional[Dict[str, Any]] = None
    arch_error: Optional[str] = None
    keys: Dict[str, str] = field(default_factory=dict)   # match key -> tensor name
    mapped: int = 0                                      # names the name table knew

    @property
    def naming(self) -> str:
        return str((self.arch or {}).get("naming", "unknown"))

    def value(self, name: str) -> Any:
        item = (self.arch or {}).get(name)
        return item.get("value") if isinstance(item, dict) else None

    @property
    def family(self) -> Optional[str]:
        item = (self.arch or {}).get("family")
        if not isinstance(item, dict):
            return None
        if isinstance(item.get("value"), str):
            return str(item["value"])
        cands = [c for c in item.get("candidates") or [] if isinstance(c, str)]
        return cands[0] if cands else None  # candidates share one name table in practice

    def describe(self) -> Dict[str, Any]:
        return {"path": self.wf.path, "format": self.wf.format, "tensors": len(self.wf.tensors),
                "naming": self.naming, "family": self.family, "analysis_error": self.arch_error}


@dataclass
class DiffResult:
    """What :func:`diff` found. Lists hold plain dicts (the ``--json`` schema, docs/diff.md):

    - ``missing``: tensors of ``a`` with no match in ``b``; ``extra``: of ``b`` not in ``a``;
    - ``reshaped``: matched pairs whose logical shapes differ (no numeric deltas);
    - ``dtype_changed``: matched pairs of the same shape and different dtype;
    - ``layout``: matched pairs stored in a known different layout (compared after undoing it);
    - ``tensors``: numeric deltas of every matched pair of equal shape;
    - ``metadata``: ``{"only_a", "only_b", "changed"}``; ``architecture``: ``{"changed"}``.
    """

    a: Dict[str, Any]
    b: Dict[str, Any]
    matched_by: str
    matched: int
    missing: List[Dict[str, Any]] = field(default_factory=list)
    extra: List[Dict[str, Any]] = field(default_factory=list)
    reshaped: List[Dict[str, Any]] = field(default_factory=list)
    dtype_changed: List[Dict[str, Any]] = field(default_factory=list)
    layout: List[Dict[str, Any]] = field(default_factory=list)
    tensors: List[Dict[str, Any]] = field(default_factory=list)
    metadata: Dict[str, Any] = field(default_factory=dict)
    architecture: Dict[str, Any] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)

    @property
    def structural(self) -> bool:
        """Whether the files differ in structure: a tensor missing, extra or reshaped."""
        return bool(self.missing or self.extra or self.reshaped)

    def worst(self) -> Optional[Dict[str, Any]]:
        """The compared tensor with the largest relative L2 difference, or None."""
        scored = [t for t in self.tensors if isinstance(t.get("rel_l2"), float)
                  and not math.isnan(t["rel_l2"])]
        return max(scored, key=lambda t: t["rel_l2"]) if scored else None

    def summary(self) -> Dict[str, Any]:
        worst = self.worst()
        return {"matched": self.matched, "missing": len(self.missing), "extra": len(self.extra),
                "reshaped": len(self.reshaped), "dtype_changed": len(self.dtype_changed),
                "layout": len(self.layout), "compared": sum(
                    1 for t in self.tensors if t.get("skipped") is None),
                "identical": sum(1 for t in self.tensors if t.get("max_abs") == 0.0),
                "structural": self.structural,
                "metadata_only_a": len(self.metadata.get("only_a", [])),
                "metadata_only_b": len(self.metadata.get("only_b", [])),
                "metadata_changed": len(self.metadata.get("changed", [])),
                "architecture_changed": len(self.architecture.get("changed", [])),
                "worst_rel_l2": None if worst is None else
                {"name": worst["name"], "a_name": worst["a_name"], "b_name": worst["b_name"],
                 "rel_l2": worst["rel_l2"]}}

    def to_dict(self) -> Dict[str, Any]:
        """The result as JSON-ready data (``mwt diff --json``; NaN and inf stay floats)."""
        return {"schema": SCHEMA, "a": dict(self.a), "b": dict(self.b),
                "matched_by": self.matched_by, "summary": self.summary(),
                "missing": list(self.missing), "extra": list(self.extra),
                "reshaped": list(self.reshaped), "dtype_changed": list(self.dtype_changed),
                "layout": list(self.layout), "tensors": list(self.tensors),
                "metadata": dict(self.metadata), "architecture": dict(self.architecture),
                "notes": list(self.notes)}


# ---------------------------------------------------------------- matching


def _analyze(side: _Side) -> None:
    from ._architecture import analyze

    try:
        side.arch = analyze(side.wf).to_dict()
    except MwtError as e:  # an architecture the library cannot read: match names exactly
        side.arch_error = str(e)


def _keys(side: _Side, canonical: bool, notes: List[str]) -> None:
    names = list(side.wf.tensors)
    family = side.family if canonical else None
    keys: Dict[str, str] = {}
    mapped: Dict[str, str] = {}
    if family is not None:
        try:
            for name in names:
                key = _native.name_map(name, family, "canonical")
                if key is not None:
                    mapped[name] = key
        except MwtError as e:  # a family the name tables do not cover
            notes.append(f"{side.wf.path}: no name table for family {family!r} ({e}); its "
                         "tensors are matched by their exact names")
            mapped.clear()
    taken: Dict[str, str] = {}
    for name in names:
        key = mapped.get(name)
        if key is not None and key in taken:
            notes.append(f"{side.wf.path}: {taken[key]!r} and {name!r} map to the same "
                         f"canonical name {key!r}; both are matched by their own names")
            mapped.pop(taken[key], None)
            mapped.pop(name, None)
        elif key is not None:
            taken[key] = name
    for name in names:
        keys[mapped.get(name, name)] = name
    side.keys = keys
    side.mapped = len(mapped)


def _tensor_ref(t: Tensor) -> Dict[str, Any]:
    return {"dtype": t.dtype, "shape": [int(d) for d in t.shape]}


def _other_naming(a: _Side, b: _Side) -> Optional[Tuple[_Side, _Side]]:
    """(hf side, gguf side) when one file has each naming, else None."""
    if a.naming == "hf" and b.naming == "gguf":
        return a, b
    if a.naming == "gguf" and b.naming == "hf":
        return b, a
    return None


def _rope_heads(gguf_name: str, hf: _Side, gg: _Side) -> Optional[int]:
    """The head count to undo llama.cpp's q/k row permutation with, or None when the pair is
    not one it permutes (or the count is unknown)."""
    if gg.wf.metadata.get("general.architecture") not in _ROPE_PERMUTED_ARCHS:
        return None
    fields: Tuple[str, ...]
    if _ROPE_Q.search(gguf_name):
        fields = ("num_heads",)
    elif _ROPE_K.search(gguf_name):
        fields = ("num_kv_heads", "num_heads")
    else:
        return None
    for f in fields:  # num_kv_heads from either file before falling back to num_heads
        for side in (gg, hf):
            v = side.value(f)
            if isinstance(v, int) and not isinstance(v, bool) and v > 0:
                return v
    return None


# ---------------------------------------------------------------- metadata


def _json_value(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple, StringArray)):
        return [_json_value(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"hex": bytes(value).hex()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _meta_json(value: Any) -> Any:
    """A metadata value for the result: arrays past _ARRAY_SHOWN elements as their length and
    first 8 elements."""
    if isinstance(value, (np.ndarray, list, tuple, StringArray)) and len(value) > _ARRAY_SHOWN:
        return {"length": len(value), "head": _json_value(value[:8])}
    return _json_value(value)


def _same_value(x: Any, y: Any) -> bool:
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        xa, ya = np.asarray(x), np.asarray(y)
        return xa.shape == ya.shape and bool(np.array_equal(xa, ya, equal_nan=xa.dtype.kind
                                                            == "f" and ya.dtype.kind == "f"))
    if isinstance(x, StringArray) or isinstance(y, StringArray):
        return isinstance(x, (StringArray, list)) and isinstance(y, (StringArray, list)) \
            and len(x) == len(y) and list(x) == list(y)
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    return bool(type(x) is type(y) and x == y) or (
        isinstance(x, (int, float)) and isinstance(y, (int, float))
        and not isinstance(x, bool) and not isinstance(y, bool) and x == y)


def _metadata_diff(a: WeightFile, b: WeightFile) -> Dict[str, Any]:
    ma, mb, ta, tb = a.metadata, b.metadata, a.metadata_types, b.metadata_types
    only_a = [k for k in ma if k not in mb]
    only_b = [k for k in mb if k not in ma]
    changed = []
    for key in ma:
        if key not in mb:
            continue
        va, vb = ma[key], mb[key]
        if ta[key] != tb[key] or not _same_value(va, vb):
            changed.append({"key": key, "a_type": ta[key], "b_type": tb[key],
                            "a": _meta_json(va), "b": _meta_json(vb)})
    return {"only_a": only_a, "only_b": only_b, "changed": changed}


# ---------------------------------------------------------------- architecture


def _flat_values(arch: Dict[str, Any]) -> Dict[str, Any]:
    """field -> value over the architecture's Values (moe.* / mla.* included), the kind
    fields, and the parameter counts that do not depend on the storage dtype."""
    out: Dict[str, Any] = {}
    for key, item in arch.items():
        if isinstance(item, dict) and "value" in item and "source" in item:
            out[key] = (item["value"], item["source"])
        elif key in ("moe", "mla"):
            if item is None:
                out[key] = (None, None)
            elif isinstance(item, dict):
                for k, v in item.items():
                    if isinstance(v, dict) and "value" in v:
                        out[f"{key}.{k}"] = (v["value"], v.get("source"))
        elif key == "model_type":
            out[key] = (item, None)
    pc = arch.get("parameter_count")
    if isinstance(pc, dict):
        for k in ("total", "embedding", "non_embedding"):
            if k in pc:
                out[f"parameter_count.{k}"] = (pc[k], None)
    for comp in arch.get("components") or []:
        if isinstance(comp, dict) and "name" in comp:
            for k in ("num_layers", "hidden_size", "parameters"):
                if k in comp:
                    out[f"components.{comp['name']}.{k}"] = (comp[k], None)
    return out


def _architecture_diff(a: _Side, b: _Side) -> Dict[str, Any]:
    if a.arch is None or b.arch is None:
        return {"changed": [], "compared": False}
    fa, fb = _flat_values(a.arch), _flat_values(b.arch)
    changed = []
    for key in list(fa) + [k for k in fb if k not in fa]:
        (va, sa), (vb, sb) = fa.get(key, (None, None)), fb.get(key, (None, None))
        if va != vb:
            changed.append({"field": key, "a": va, "b": vb, "a_source": sa, "b_source": sb})
    return {"changed": changed, "compared": True}


# ---------------------------------------------------------------- tensors


def _pair_entry(key: str, ta: Tensor, tb: Tensor) -> Dict[str, Any]:
    return {"name": key, "a_name": ta.name, "b_name": tb.name, "a_dtype": ta.dtype,
            "b_dtype": tb.dtype}


def _deltas_entry(d: Deltas) -> Dict[str, Any]:
    return {"max_abs": d.max_abs, "rel_l2": d.rel_l2, "cosine": d.cosine, "norm_a": d.norm_a,
            "norm_b": d.norm_b, "nonfinite_a": d.nonfinite_a, "nonfinite_b": d.nonfinite_b}


def _compare_pair(ta: Tensor, tb: Tensor, layout: Optional[Dict[str, Any]],
                  hf_is_a: bool) -> Dict[str, Any]:
    """Numeric deltas of a matched pair; with a layout, computed with the transformers side
    as reference in the GGUF side's row layout, then turned around when that side is b."""
    if layout is None:
        return _deltas_entry(compare(ta, tb))
    hf, gg = (ta, tb) if hf_is_a else (tb, ta)
    if layout["kind"] == "conv1d_transpose":
        # The transformers side decoded whole and transposed (GPT-2's matrices are small),
        # the GGUF side read in chunks of rows.
        whole = np.ascontiguousarray(hf.to_numpy(np.float32).T)
        d = compare(None, gg, a_whole=whole)
    else:  # rope_permutation
        heads = int(layout["heads"])
        if len(gg.shape) == 2:
            step = int(gg.shape[0]) // heads

            def rows(block: np.ndarray, r0: int) -> np.ndarray:
                return unpermute_qk(block, block.shape[0] // step)
        else:  # a bias: one grid row
            step = 1

            def rows(block: np.ndarray, r0: int) -> np.ndarray:
                return unpermute_qk(block.reshape(-1), heads).reshape(block.shape)
        d = compare(hf, gg, b_rows=rows, row_step=step)
    return _deltas_entry(d if hf_is_a else d.swapped())


def _layout(ta: Tensor, tb: Tensor, a: _Side, b: _Side,
            notes: List[str]) -> Optional[Dict[str, Any]]:
    """The known layout difference of a matched pair (docs/diff.md#layouts), or None."""
    pair = _other_naming(a, b)
    if pair is None:
        return None
    hf, gg = pair
    hf_t, gg_t = (ta, tb) if hf is a else (tb, ta)
    arch = gg.wf.metadata.get("general.architecture")
    if arch == "gpt2" and _CONV1D.search(hf_t.name) and len(hf_t.shape) == 2 \
            and tuple(gg_t.shape) == tuple(reversed(hf_t.shape)):
        return {"kind": "conv1d_transpose",
                "note": "transformers' GPT-2 Conv1D stores (in, out); GGUF stores (out, in)"}
    if tuple(ta.shape) != tuple(tb.shape) or len(gg_t.shape) not in (1, 2) \
            or not (_ROPE_Q.search(gg_t.name) or _ROPE_K.search(gg_t.name)) \
            or arch not in _ROPE_PERMUTED_ARCHS:
        return None
    heads = _rope_heads(gg_t.name, hf, gg)
    rows = int(gg_t.shape[0])
    if heads is None or rows % (2 * heads):
        notes.append(f"{gg_t.name}: GGUF {arch} q/k rows are stored permuted for rotary "
                     "embedding, but the head count is unknown or does not divide the rows; "
                     "compared as stored")
        return None
    return {"kind": "rope_permutation", "heads": heads,
            "note": f"GGUF {arch} stores q/k rows interleaved per head for rotary embedding "
                    f"({heads} heads); compared after undoing it"}


def _use(src: Source, opened: List[WeightFile]) -> WeightFile:
    if isinstance(src, WeightFile):
        src._require_open()
        return src
    if not isinstance(src, (str, os.PathLike)):
        raise TypeError(f"diff() takes paths or WeightFiles, not {type(src).__name__}")
    wf = _open(src)
    opened.append(wf)
    return wf


def diff(a: Source, b: Source, *, names: str = "canonical", values: bool = True,
         architecture: bool = True, progress: Optional[ProgressFn] = None) -> DiffResult:
    """Compare two weight files (paths as :func:`mwt.open` takes them, or open WeightFiles,
    which are used as they are and left open), ``a`` being the reference.

    ``names="canonical"`` matches tensors by :func:`mwt.names.to_canonical` with each file's
    family (from :func:`mwt.analyze`), falling back to the exact name for names the family's
    table does not know (or for a file whose family cannot be told); ``names="exact"`` matches
    exact names only. ``values=False`` skips the numeric comparison (structure and metadata
    only). ``architecture=False`` skips comparing the two :func:`mwt.analyze` results.
    ``progress(done_bytes, total_bytes, name)`` is called after each tensor pair compared.

    Numeric deltas (b against a, values dequantized to float32, sums in float64, read in
    chunks of rows so memory stays bounded): ``max_abs`` = max |a - b|, ``rel_l2`` =
    ||a - b|| / ||a|| (None when ||a|| = 0 and b differs), ``cosine`` (None when a norm is 0).
    Raises what :func:`mwt.open` raises for a file that cannot be read.
    """
    if names not in ("canonical", "exact"):
        raise ValueError(f"names must be 'canonical' or 'exact', not {names!r}")
    opened: List[WeightFile] = []
    try:
        wa, wb = _use(a, opened), _use(b, opened)
        return _diff(_Side(wa), _Side(wb), names == "canonical", values, architecture,
                     progress)
    finally:
        for wf in opened:
            wf.close()


def _diff(sa: _Side, sb: _Side, canonical: bool, values: bool, architecture: bool,
          progress: Optional[ProgressFn]) -> DiffResult:
    notes: List[str] = []
    if canonical or architecture:
        _analyze(sa)
        _analyze(sb)
    for side in (sa, sb):
        if side.arch_error is not None:
            notes.append(f"{side.wf.path}: architecture not analyzed ({side.arch_error}); its "
                         "tensors are matched by their exact names")
    _keys(sa, canonical, notes)
    _keys(sb, canonical, notes)
    matched_by = "canonical" if canonical and (sa.mapped or sb.mapped) else "exact"
    ta_of = {k: sa.wf.tensors[n] for k, n in sa.keys.items()}
    tb_of = {k: sb.wf.tensors[n] for k, n in sb.keys.items()}
    common = [k for k in ta_of if k in tb_of]
    result = DiffResult(a=sa.describe(), b=sb.describe(), matched_by=matched_by,
                        matched=len(common))
    result.missing = [{"name": k, "a_name": t.name, **_tensor_ref(t)}
                      for k, t in ta_of.items() if k not in tb_of]
    result.extra = [{"name": k, "b_name": t.name, **_tensor_ref(t)}
                    for k, t in tb_of.items() if k not in ta_of]
    pairs: List[Tuple[str, Tensor, Tensor, Optional[Dict[str, Any]]]] = []
    for key in common:
        ta, tb = ta_of[key], tb_of[key]
        layout = _layout(ta, tb, sa, sb, notes)
        entry = _pair_entry(key, ta, tb)
        if layout is not None:
            result.layout.append({**entry, "kind": layout["kind"], "note": layout["note"],
                                  "a_shape": list(ta.shape), "b_shape": list(tb.shape)})
        elif tuple(ta.shape) != tuple(tb.shape):
            result.reshaped.append({**entry, "a_shape": [int(d) for d in ta.shape],
                                    "b_shape": [int(d) for d in tb.shape]})
            continue
        if ta.dtype != tb.dtype:
            result.dtype_changed.append({**entry, "shape": [int(d) for d in ta.shape]})
        pairs.append((key, ta, tb, layout))
    if values:
        hf_is_a = sa.naming == "hf"
        total = sum(int(ta.nbytes) + int(tb.nbytes) for _, ta, tb, _ in pairs)
        done = 0
        for key, ta, tb, layout in pairs:
            entry = {**_pair_entry(key, ta, tb), "shape": [int(d) for d in ta.shape],
                     "layout": None if layout is None else layout["kind"], "skipped": None}
            reason = comparable(ta.dtype) or comparable(tb.dtype)
            if reason is not None:
                entry["skipped"] = reason
            else:
                entry.update(_compare_pair(ta, tb, layout, hf_is_a))
            result.tensors.append(entry)
            done += int(ta.nbytes) + int(tb.nbytes)
            if progress is not None:
                progress(done, total, key)
    result.metadata = _metadata_diff(sa.wf, sb.wf)
    result.architecture = _architecture_diff(sa, sb) if architecture else \
        {"changed": [], "compared": False}
    result.notes = notes
    return result
