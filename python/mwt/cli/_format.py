"""Rendering helpers for the mwt CLI: human sizes, aligned tables, value summaries, JSON values."""

from __future__ import annotations

import argparse
import math
import re
from typing import Any, Iterable, Sequence

import numpy as np

from .._metadata import StringArray


def add_progress_flags(p: argparse.ArgumentParser) -> None:
    """--progress / --no-progress (dest ``progress``: True, False, or None = only when stderr is
    a terminal), the same on every long-running command."""
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="always draw the progress bar on stderr")
    bar.add_argument("--no-progress", dest="progress", action="store_false",
                     help="never draw it (default: only when stderr is a terminal)")


# Arrays longer than this are summarized in text output (JSON output is always complete).
ARRAY_PREVIEW = 8
# Strings longer than this are cut in text output; chat templates run to kilobytes.
STRING_PREVIEW = 96


def human_bytes(n: int) -> str:
    """IEC size with one decimal ("1.5 GiB"); exact count below 1 KiB."""
    if n < 1024:
        return f"{n} B"
    value = float(n)
    units = ("KiB", "MiB", "GiB", "TiB", "PiB")
    for unit in units:
        value /= 1024.0
        if value < 1024.0 or unit == units[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def human_count(n: int) -> str:
    """Parameter counts the way model cards print them: 7.24 B, 135.0 M, 12.3 K."""
    for scale, suffix in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if n >= scale:
            return f"{n / scale:.2f} {suffix}"
    return str(n)


def render_table(headers: Sequence[str], rows: Iterable[Sequence[str]],
                 right: Sequence[bool] | None = None, indent: str = "  ") -> str:
    """Column-aligned table; `right[i]` right-aligns column i (numbers)."""
    rows = [list(r) for r in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    right = list(right) if right is not None else [False] * len(headers)

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)]
        return (indent + "  ".join(parts)).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(row) for row in rows)
    return "\n".join(out)


def _quote(s: str, limit: int = STRING_PREVIEW) -> str:
    # Escape control and non-printable characters so one metadata value never breaks the table
    # into many lines; printable non-ASCII (token pieces, CJK) stays readable.
    body = s if len(s) <= limit else s[:limit]
    escaped = "".join(
        "\\" + ch if ch in '"\\' else ch if ch.isprintable()
        else ch.encode("unicode_escape", "backslashreplace").decode("ascii")
        for ch in body)
    if len(s) > limit:
        return f'"{escaped}"… ({len(s)} chars)'
    return f'"{escaped}"'


def _scalar_text(value: Any) -> str:
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        head = raw[:32].hex()
        return f"<{len(raw)} bytes> {head}{'…' if len(raw) > 32 else ''}"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def element_type(type_name: str) -> str:
    """"ARRAY[INT8]" -> "INT8"; scalar type names come back unchanged."""
    if type_name.startswith("ARRAY[") and type_name.endswith("]"):
        return type_name[len("ARRAY["):-1]
    return type_name


def _typed_scalar_text(value: Any, elem: str) -> str:
    # A FLOAT32 is shown as the shortest decimal that reads back as the same float32 (1e-05,
    # not the 9.999999747378752e-06 of its exact double); JSON keeps the exact value.
    if elem == "FLOAT32" and isinstance(value, (float, np.floating)) and math.isfinite(value):
        return str(np.float32(value))
    return _scalar_text(value)


def value_text(value: Any, type_name: str) -> str:
    """One-line text for a metadata value; arrays longer than ARRAY_PREVIEW are summarized."""
    elem = element_type(type_name)
    if isinstance(value, (np.ndarray, list, tuple, StringArray)):
        items = value.tolist() if isinstance(value, np.ndarray) else list(value)
        shown = ", ".join(_typed_scalar_text(v, elem) for v in items[:ARRAY_PREVIEW])
        if len(items) > ARRAY_PREVIEW:
            return f"[{len(items)} × {elem}] {shown}, …"
        return f"[{shown}]"
    return _typed_scalar_text(value, elem)


def _json_float(x: float) -> Any:
    # JSON has no NaN/Infinity; spell them as strings so the output stays parseable by any reader.
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def json_value(value: Any) -> Any:
    """Convert a metadata value to plain JSON: arrays to lists, bytes to {"hex": ...}."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            return [_json_float(v) for v in value.tolist()]
        return value.tolist()
    if isinstance(value, (list, tuple, StringArray)):
        return [json_value(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"hex": bytes(value).hex()}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        return _json_float(float(value))
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (int, str)) or value is None:
        return value
    raise TypeError(f"metadata value of unexpected Python type {type(value).__name__}")


# Names and strings of a file that were not UTF-8 reach Python as lone surrogates (one per bad
# byte, the "surrogateescape" decoding). Printed, each shows as its byte (\xff); in JSON each
# becomes U+FFFD, as the library's own JSON reports write them (docs/gguf.md#strings), so --json
# output is always valid UTF-8.
_SURROGATES = re.compile("[\ud800-\udfff]")


def text_safe(s: str) -> str:
    """`s` with each lone surrogate written as the byte it stands for ("w\\xff")."""
    def esc(m: re.Match[str]) -> str:
        cp = ord(m.group())
        return f"\\x{cp - 0xDC00:02x}" if 0xDC80 <= cp <= 0xDCFF else f"\\u{cp:04x}"
    return _SURROGATES.sub(esc, s)


def json_safe(value: Any) -> Any:
    """`value` (JSON-ready data) with every lone surrogate in its strings replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, dict):
        return {json_safe(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
