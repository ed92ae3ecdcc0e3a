"""`mwt diff A B`: structural, numeric, metadata and architecture differences of two weight
files (mwt.diff); the --json schema is in docs/diff.md."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any, List, Optional

from . import _format as fmt
from .quantize import ProgressBar

HELP = ("compare two weight files (any formats mwt reads): missing, extra and reshaped tensors, "
        "dtype changes, numeric deltas, metadata and architecture differences")

# Exit status with --fail-on-structural when a tensor is missing, extra or reshaped (0: the
# diff ran, 1: a file could not be read, 2: usage).
EXIT_STRUCTURAL = 3

# Rows of the numeric table in text output, worst relative L2 first (JSON has every tensor).
_TEXT_ROWS = 20


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "diff", help=HELP, description=HELP + ". A is the reference: 'missing' tensors are in "
        "A only, 'extra' in B only, and relative L2 is ||A - B|| / ||A||.",
        epilog="Exit status: 0 when the comparison ran (the differences are the output), 1 when "
               "a file cannot be read, 2 on a usage error, 3 with --fail-on-structural when a "
               "tensor is missing, extra or reshaped.")
    p.add_argument("a", metavar="A", help="reference: file, directory, index or HF cache name")
    p.add_argument("b", metavar="B", help="file compared with A")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--exact-names", action="store_true",
                   help="match tensors by exact name (default: canonical names, so HF and GGUF "
                        "names of one tensor match)")
    p.add_argument("--no-values", action="store_true",
                   help="skip the numeric comparison (structure, metadata, architecture only)")
    p.add_argument("--fail-on-structural", action="store_true",
                   help=f"exit {EXIT_STRUCTURAL} when a tensor is missing, extra or reshaped")
    p.add_argument("--all", action="store_true",
                   help="text output: list every tensor in the tables (default: at most "
                        f"{_TEXT_ROWS} rows each)")
    fmt.add_progress_flags(p)
    p.set_defaults(func=run)


def _finite(value: Any) -> Any:
    """JSON has no NaN / Infinity: spelled as strings, as `mwt inspect --json` does."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _num(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        if x == 0.0:
            return "0"
        return f"{x:.6g}" if math.isfinite(x) else str(x)
    return str(x)


def _shape(s: List[int]) -> str:
    return "[" + ", ".join(map(str, s)) + "]"


def _names(e: dict, side_keys: tuple = ("a_name", "b_name")) -> str:
    """The tensor's name in the files: one name when both files use it, else "A name -> B
    name" (the canonical match key is in --json)."""
    names = [e[k] for k in side_keys if k in e]
    shown = names[0] if len(set(names)) == 1 else " -> ".join(names)
    return fmt.text_safe(shown)


def _cut(rows: List[List[str]], show_all: bool) -> tuple:
    if show_all or len(rows) <= _TEXT_ROWS:
        return rows, ""
    return rows[:_TEXT_ROWS], f"  … {len(rows) - _TEXT_ROWS} more (--all or --json for all)"


def _table(title: str, headers: List[str], rows: List[List[str]], show_all: bool,
           right: Optional[List[bool]] = None) -> List[str]:
    if not rows:
        return []
    shown, more = _cut(rows, show_all)
    out = [f"{title}: {len(rows)}", fmt.render_table(headers, shown, right)]
    return out + ([more] if more else [])


def _summary_line(d: dict) -> str:
    s = d["summary"]
    worst = s["worst_rel_l2"]
    parts = [f"{s['matched']} tensors matched ({d['matched_by']} names)",
             f"{s['missing']} missing", f"{s['extra']} extra", f"{s['reshaped']} reshaped",
             f"{s['dtype_changed']} dtype changes"]
    if s["layout"]:
        parts.append(f"{s['layout']} layout notes")
    if worst is not None:
        parts.append(f"worst rel L2 {_num(worst['rel_l2'])} ({_names(worst)})")
    parts.append(f"metadata {s['metadata_only_a']} only in A / {s['metadata_only_b']} only in "
                 f"B / {s['metadata_changed']} changed")
    if d["architecture"].get("compared"):
        parts.append(f"architecture {s['architecture_changed']} fields differ")
    return ("structurally different: " if s["structural"] else "same structure: ") + \
        ", ".join(parts)


def _text(d: dict, show_all: bool) -> str:
    blocks: List[List[str]] = []
    head = [_summary_line(d)]
    for side in ("a", "b"):
        x = d[side]
        fam = f", family {x['family']}" if x.get("family") else ""
        head.append(f"  {side.upper()}: {x['path']} ({x['format']}, {x['tensors']} tensors, "
                    f"{x['naming']} names{fam})")
    blocks.append(head)
    blocks.append(_table("missing (in A only)", ["name", "dtype", "shape"],
                         [[_names(e, ("a_name",)), e["dtype"], _shape(e["shape"])]
                          for e in d["missing"]], show_all))
    blocks.append(_table("extra (in B only)", ["name", "dtype", "shape"],
                         [[_names(e, ("b_name",)), e["dtype"], _shape(e["shape"])]
                          for e in d["extra"]], show_all))
    blocks.append(_table("reshaped", ["name", "A shape", "B shape"],
                         [[_names(e), _shape(e["a_shape"]), _shape(e["b_shape"])]
                          for e in d["reshaped"]], show_all))
    blocks.append(_table("dtype changes", ["name", "A", "B", "shape"],
                         [[_names(e), e["a_dtype"], e["b_dtype"], _shape(e["shape"])]
                          for e in d["dtype_changed"]], show_all))
    blocks.append(_table("layout", ["name", "kind", "note"],
                         [[_names(e), e["kind"], e["note"]] for e in d["layout"]], show_all))
    compared = [t for t in d["tensors"] if t["skipped"] is None]
    compared.sort(key=lambda t: -(t["rel_l2"] if isinstance(t["rel_l2"], float)
                                  and not math.isnan(t["rel_l2"]) else math.inf))
    blocks.append(_table("numeric deltas (worst relative L2 first)",
                         ["name", "A", "B", "max abs", "rel L2", "cosine"],
                         [[_names(t), t["a_dtype"], t["b_dtype"], _num(t["max_abs"]),
                           _num(t["rel_l2"]), _num(t["cosine"])] for t in compared], show_all,
                         [False, False, False, True, True, True]))
    skipped = [t for t in d["tensors"] if t["skipped"] is not None]
    blocks.append(_table("not compared", ["name", "why"],
                         [[_names(t), t["skipped"]] for t in skipped], show_all))
    meta = d["metadata"]
    blocks.append(_table("metadata only in A", ["key"], [[fmt.text_safe(k)] for k in
                                                        meta["only_a"]], show_all))
    blocks.append(_table("metadata only in B", ["key"], [[fmt.text_safe(k)] for k in
                                                        meta["only_b"]], show_all))
    blocks.append(_table("metadata changed", ["key", "A", "B"],
                         [[fmt.text_safe(c["key"]), _meta(c["a"], c["a_type"]),
                           _meta(c["b"], c["b_type"])] for c in meta["changed"]], show_all))
    blocks.append(_table("architecture differences", ["field", "A", "B"],
                         [[c["field"], _arch(c["a"], c["a_source"]),
                           _arch(c["b"], c["b_source"])]
                          for c in d["architecture"].get("changed", [])], show_all))
    if d["notes"]:
        blocks.append(["notes"] + [f"  - {n}" for n in d["notes"]])
    return fmt.text_safe("\n\n".join("\n".join(b) for b in blocks if b)) + "\n"


def _meta(value: Any, type_name: str) -> str:
    if isinstance(value, dict) and "length" in value:
        return f"[{value['length']} × {fmt.element_type(type_name)}] " + \
            fmt.value_text(value["head"], type_name) + " …"
    return fmt.value_text(value, type_name) + f" ({type_name})"


def _arch(value: Any, source: Optional[str]) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text + (f" ({source})" if source else "")


def run(args: argparse.Namespace) -> int:
    import mwt

    show = args.progress if args.progress is not None else sys.stderr.isatty()
    bar: Optional[ProgressBar] = ProgressBar(sys.stderr, "diff") if show and not args.no_values \
        else None
    result = mwt.diff(args.a, args.b, names="exact" if args.exact_names else "canonical",
                      values=not args.no_values, progress=bar)
    d = result.to_dict()
    if args.json:
        sys.stdout.write(json.dumps(fmt.json_safe(_finite(d)), indent=2, allow_nan=False) + "\n")
    else:
        sys.stdout.write(_text(d, args.all))
    if args.fail_on_structural and result.structural:
        return EXIT_STRUCTURAL
    return 0
