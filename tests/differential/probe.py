"""What each reader makes of one file, as a plain JSON-able outcome:

``{"ok": True, "tensors": [[name, dtype, shape, sha256], ...], "metadata": [[key, type, value],
...]}`` or ``{"ok": False, "error": class name, "code": mwt code name or None, "msg": ...}``.

Names are compared as their UTF-8 bytes (hex) so non-UTF-8 names (surrogate-escaped in mwt)
compare exactly; values are normalized to bytes-exact forms (float bits, array bytes).
These functions run inside a limited child process (pool.py), never in the test process.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any, Dict, List

GGUF_TYPE_NAMES = {0: "UINT8", 1: "INT8", 2: "UINT16", 3: "INT16", 4: "UINT32", 5: "INT32",
                   6: "FLOAT32", 7: "BOOL", 8: "STRING", 9: "ARRAY", 10: "UINT64", 11: "INT64",
                   12: "FLOAT64"}
_FLOAT_FMT = {"FLOAT32": "<f", "FLOAT64": "<d"}


def _h(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()[:24]


def _sb(s: Any) -> str:
    """A name or string as hex of its bytes (mwt: surrogate-escaped str; oracle: bytes)."""
    if isinstance(s, str):
        s = s.encode("utf-8", "surrogateescape")
    return bytes(s).hex()


def _mwt_value(tname: str, v: Any) -> Any:
    import numpy as np

    if tname.startswith("ARRAY["):
        if isinstance(v, np.ndarray):
            if v.dtype == np.bool_:
                return ["bools", [bool(x) for x in v]]
            return ["array", str(v.dtype), _h(np.ascontiguousarray(v).tobytes()), int(v.size)]
        return ["strings", [_sb(x) for x in v]]
    if tname == "STRING":
        return ["str", _sb(v)]
    if tname == "BOOL":
        return ["bool", bool(v)]
    if tname in _FLOAT_FMT:
        return ["float", struct.pack(_FLOAT_FMT[tname], v).hex()]
    return ["int", int(v)]


def mwt_outcome(path: str, **options: int) -> Dict[str, Any]:
    import numpy as np

    import mwt

    try:
        with mwt.open(path, **options) as wf:
            tensors, view_errors = [], []
            for name, t in wf.tensors.items():
                raw = t.raw().tobytes()
                tensors.append([_sb(name), t.dtype, list(t.shape), _h(raw)])
                if t.dtype in ("F32", "F16", "F64", "I8", "I16", "I32", "I64"):
                    try:
                        # The typed view (aligned, or an aligned copy) holds the same bytes.
                        if np.asarray(t).tobytes() != raw:
                            raise AssertionError(f"typed view of {t.name!r} differs from raw()")
                    except mwt.SizeOverflowError as e:
                        # numpy cannot make an array of this shape even with no elements
                        # (its non-zero dimensions above numpy's maximum size): mwt says so
                        # (docs/readers.md#empty-tensors).
                        if t.nbytes != 0:
                            raise
                        view_errors.append(f"{t.name!r} {t.shape}: {e}")
            meta = [[_sb(k), wf.metadata_types[k], _mwt_value(wf.metadata_types[k], v)]
                    for k, v in wf.metadata.items()]
            return {"ok": True, "tensors": tensors, "metadata": meta,
                    "warnings": list(wf.warnings), "format": wf.format,
                    "view_errors": view_errors}
    except mwt.MwtError as e:
        return {"ok": False, "error": type(e).__name__, "code": e.code_name,
                "msg": str(e)[:300], "field": getattr(e, "field", "")}


# ---- gguf-py ---------------------------------------------------------------------------------

class ShortReads:
    """Counts gguf-py's reads past the end of the file. ``GGUFReader._get`` slices its memmap,
    so a read past the end silently returns fewer elements; an array count of 2^60 over
    nothing then loops (and grows a list) for hours. The count is recorded for the rules, and
    after ``LIMIT`` such reads the oracle is stopped (recorded as ``oracle_runaway``, an oracle
    refusal), instead of waiting for the watchdog: a deterministic stand-in for its hang."""

    LIMIT = 20000


def _install_gguf_guard(counter: Dict[str, int]) -> None:
    import gguf.gguf_reader as gr
    import numpy as np

    if getattr(gr.GGUFReader, "_mwt_guarded", False):
        return
    original = gr.GGUFReader._get

    def _get(self: Any, offset: int, dtype: Any, count: int = 1, override_order: Any = None) -> Any:
        arr = original(self, offset, dtype, count, override_order)
        if len(arr) < int(count):
            counter["short"] += 1
            if counter["short"] > ShortReads.LIMIT:
                raise RuntimeError("oracle_runaway: reads past the end of the file")
        return arr

    setattr(gr.GGUFReader, "_get", _get)  # noqa: B010 - patched on the class, as the oracle runs
    setattr(gr.GGUFReader, "_mwt_guarded", True)  # noqa: B010
    _ = np  # numpy is imported by gguf anyway


_COUNTER: Dict[str, int] = {"short": 0}


def _gguf_value(field: Any) -> List[Any]:
    """(type name, normalized value) of a gguf-py ReaderField, read from its raw parts."""
    import numpy as np

    main = int(field.parts[2][0])  # parts: key len, key bytes, type, value parts...
    tname = GGUF_TYPE_NAMES.get(main, str(main))
    if main == 9:
        etype = int(field.parts[3][0])
        tname = f"ARRAY[{GGUF_TYPE_NAMES.get(etype, str(etype))}]"
        items = [field.parts[i] for i in field.data]
        if etype == 8:
            return [tname, ["strings", [bytes(x).hex() for x in items]]]
        if etype == 7:
            return [tname, ["bools", [bool(x.view(np.uint8)[0]) for x in items]]]
        if etype == 9:
            return [tname, ["nested"]]
        a = np.concatenate(items) if items else np.zeros(0, dtype=_np_of(etype))
        return [tname, ["array", str(a.dtype.newbyteorder("=")), _h(a.tobytes()), int(a.size)]]
    if main == 8:
        return [tname, ["str", bytes(field.parts[-1]).hex()]]
    raw = field.parts[-1]
    if main == 7:
        return [tname, ["bool", bool(raw.view(np.uint8)[0])]]
    if tname in _FLOAT_FMT:
        return [tname, ["float", raw.tobytes().hex()]]
    return [tname, ["int", int(raw[0])]]


def _np_of(etype: int) -> Any:
    import numpy as np

    return {0: np.uint8, 1: np.int8, 2: np.uint16, 3: np.int16, 4: np.uint32, 5: np.int32,
            6: np.float32, 10: np.uint64, 11: np.int64, 12: np.float64}.get(etype, np.uint8)


def gguf_py_outcome(path: str) -> Dict[str, Any]:
    from gguf import GGUFReader

    _install_gguf_guard(_COUNTER)
    _COUNTER["short"] = 0
    try:
        r = GGUFReader(path)
        version = int(r.fields["GGUF.version"].parts[0][0])
        meta = []
        for k, f in r.fields.items():
            if k.startswith("GGUF."):
                continue
            key = bytes(f.parts[1]).hex()
            meta.append([key, *_gguf_value(f)])
        tensors = []
        for t in r.tensors:
            name = bytes(t.field.parts[1]).hex()
            tensors.append([name, t.tensor_type.name, [int(d) for d in reversed(t.shape.tolist())],
                            _h(t.data.tobytes())])
        # Each tensor's data range relative to the data section, in file order (the layout
        # rules check what gguf-py itself read, not only mwt's message).
        layout = [[int(t.data_offset) - int(r.data_offset), int(t.n_bytes)] for t in r.tensors]
        return {"ok": True, "tensors": tensors, "metadata": meta, "short_reads": _COUNTER["short"],
                "byte_order": r.byte_order, "version": version, "alignment": int(r.alignment),
                "layout": layout}
    except Exception as e:  # the oracle's refusal, whatever form it takes
        return {"ok": False, "error": type(e).__name__, "code": None, "msg": str(e)[:300],
                "short_reads": _COUNTER["short"]}


# ---- safetensors -----------------------------------------------------------------------------

def safetensors_outcome(path: str) -> Dict[str, Any]:
    from safetensors import deserialize, safe_open

    try:
        with open(path, "rb") as f:
            data = f.read()
        # The Rust reader's validation, and the raw bytes of each tensor.
        entries = deserialize(data)  # type: ignore[no-untyped-call]
        with safe_open(path, "np") as sf:  # and its metadata
            meta_map = sf.metadata() or {}
            keys = list(sf.keys())
        tensors = sorted([_sb(name), d["dtype"], list(d["shape"]), _h(bytes(d["data"]))]
                         for name, d in entries)
        if sorted(_sb(k) for k in keys) != [t[0] for t in tensors]:
            return {"ok": False, "error": "OracleInconsistent", "code": None,
                    "msg": "deserialize and safe_open list different tensors"}
        meta = sorted([_sb(k), "STRING", ["str", _sb(v)]] for k, v in meta_map.items())
        return {"ok": True, "tensors": tensors, "metadata": meta}
    except Exception as e:
        return {"ok": False, "error": type(e).__name__, "code": None, "msg": str(e)[:300]}
