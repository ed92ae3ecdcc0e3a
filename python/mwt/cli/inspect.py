"""`mwt inspect`: format, sizes, metadata, tensor table, totals and the quantization scheme of a
weight file or directory."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any

from . import _format as fmt
from ._quant_text import quantization_lines
from .tokenize import tokenizer_lines, tokenizer_report

HELP = ("show format, metadata, tensors, totals and quantization scheme of a weight file or "
        "directory")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "inspect", help=HELP, description=HELP + ". Shapes are in numpy order (outermost first).",
        epilog="Without --metadata/--tensors/--quantization every section is shown; with any of "
               "them only the chosen sections are (the file summary and totals always are).")
    p.add_argument("path", metavar="FILE|DIR",
                   help="GGUF or safetensors file, model.safetensors.index.json, a shard "
                        "directory, or a Hugging Face cache name (org/name[@revision])")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object on stdout (complete arrays, no summarizing)")
    p.add_argument("--metadata", action="store_true", help="show the metadata section")
    p.add_argument("--tensors", action="store_true", help="show the tensor table")
    p.add_argument("--quantization", action="store_true",
                   help="show the quantization scheme (GGUF file type, methods, bits per weight)")
    p.add_argument("--architecture", action="store_true",
                   help="show the model architecture (mwt.analyze: layers, widths, heads, ... "
                        "with the source of each value)")
    p.add_argument("--tokenizer", action="store_true",
                   help="show the tokenizer (model type, vocabulary size, special tokens, "
                        "pre-tokenizer, chat template) when the file has one")
    p.add_argument("--stats", action="store_true",
                   help="read every tensor: min/max/mean/std/absmax, NaN/Inf/zero counts and the "
                        "checks of `mwt validate` (adds a section; reads the whole file)")
    p.set_defaults(func=run)


def _shard_name(wf: Any, shard: Any) -> str:
    # Tensor.shard may be an index into WeightFile.shards or a path; show the file name either way.
    if isinstance(shard, int) and 0 <= shard < len(wf.shards):
        return os.path.basename(wf.shards[shard])
    return os.path.basename(str(shard))


def _json_shard(shard: Any) -> Any:
    return shard if shard is None or isinstance(shard, int) else str(shard)


def _numel(t: Any) -> int:
    return int(t.numel) if getattr(t, "numel", None) is not None else math.prod(t.shape)


def collect(wf: Any, metadata: bool = True, tensors: bool = True,
            quantization: bool = True, architecture: bool = True,
            tokenizer: bool = True) -> dict[str, Any]:
    """The inspect report as plain JSON-ready data (the schema of `mwt inspect --json`)."""
    report: dict[str, Any] = {
        "path": str(wf.path),
        "format": wf.format,
        "version": wf.version,
        "file_size": int(wf.file_size),
        "alignment": wf.alignment,
        "data_offset": int(wf.data_offset),
        "shards": [str(s) for s in wf.shards],
        "warnings": [str(w) for w in wf.warnings],
    }
    if metadata:
        types = wf.metadata_types
        report["metadata"] = {
            key: {"type": types[key], "value": fmt.json_value(value)}
            for key, value in wf.metadata.items()
        }
    rows = []
    bytes_by: dict[str, int] = {}
    params_by: dict[str, int] = {}
    for name, t in wf.tensors.items():
        numel, nbytes = _numel(t), int(t.nbytes)
        bytes_by[t.dtype] = bytes_by.get(t.dtype, 0) + nbytes
        params_by[t.dtype] = params_by.get(t.dtype, 0) + numel
        if tensors:
            rows.append({"name": name, "dtype": t.dtype, "shape": [int(d) for d in t.shape],
                         "nbytes": nbytes, "offset": int(t.offset), "shard": _json_shard(t.shard)})
    if tensors:
        report["tensors"] = rows
    report["totals"] = {
        "tensors": len(wf.tensors),
        "parameters": sum(params_by.values()),
        "bytes": sum(bytes_by.values()),
        "bytes_by_dtype": dict(sorted(bytes_by.items())),
        "parameters_by_dtype": dict(sorted(params_by.items())),
    }
    if quantization:
        report["quantization"] = wf.quantization
    if architecture:
        report["architecture"] = _architecture_report(wf)
    if tokenizer:
        tok = tokenizer_report(wf)
        if tok is not None:
            report["tokenizer"] = tok
    return report


# ---- architecture section (mwt.analyze)

def _architecture_report(wf: Any) -> dict[str, Any]:
    """mwt.analyze's JSON (docs/analysis.md), or {"error": {...}} when the library cannot
    analyze this file: the other sections are still worth showing."""
    import mwt

    try:
        return mwt.analyze(wf).to_dict()
    except mwt.MwtError as e:
        return {"error": {"code": e.code_name, "message": str(e)}}


def _architecture_text(arch: dict[str, Any]) -> list[str]:
    import mwt

    if "error" in arch:
        return [f"architecture: not determined ({arch['error']['message']})"]
    a = mwt.Architecture(arch)
    lines = [f"architecture: {a.family or 'unknown family'}, {a.model_type or '?'}, "
             f"{a.naming} tensor names"]
    shown = {"family", "num_layers", "hidden_size", "num_heads", "num_kv_heads", "head_dim",
             "intermediate_size", "vocab_size", "max_position_embeddings", "activation",
             "gated_mlp", "norm", "position", "rotary_dim", "tied_embeddings"}
    rows = []
    for field, v in a.value_fields():
        if field in shown or (field.split(".")[0] in ("moe", "mla")):
            value = v.get("value")
            text = ("-" if value is None else json.dumps(value) if not isinstance(value, str)
                    else value)
            if len(text) > 60:
                text = text[:59] + "…"
            rows.append((field, text, str(v.get("source"))))
    if rows:
        lines.append(fmt.render_table(("field", "value", "source"), rows))
    pc = a.parameter_count
    if isinstance(pc.get("total"), int):
        lines.append(f"  parameters  {pc['total']:,} ({fmt.human_count(pc['total'])})")
    for d in a.disagreements:
        lines.append(f"  disagreement: {d.get('field')}: the weights say {d.get('weights')}, "
                     f"{d.get('source')} {d.get('key')} says {d.get('stated')}")
    lines.extend(f"  note: {n}" for n in a.notes)
    return lines


def _summary_text(r: dict[str, Any]) -> list[str]:
    fmt_name = r["format"] + (f" v{r['version']}" if r["version"] is not None else "")
    lines = [
        f"path         {r['path']}",
        f"format       {fmt_name}",
        f"file size    {fmt.human_bytes(r['file_size'])} ({r['file_size']:,} bytes)",
    ]
    if r["alignment"] is not None:
        lines.append(f"alignment    {r['alignment']}")
    lines.append(f"data offset  {r['data_offset']:,}")
    if len(r["shards"]) > 1 or r["format"] == "safetensors-sharded":
        lines.append(f"shards       {len(r['shards'])}")
        lines.extend(f"  [{i}] {s}" for i, s in enumerate(r["shards"]))
    if r["warnings"]:
        lines.append(f"warnings     {len(r['warnings'])}")
        lines.extend(f"  - {w}" for w in r["warnings"])
    return lines


def _metadata_text(wf: Any) -> list[str]:
    types = wf.metadata_types
    rows = [(fmt.text_safe(key), types[key], fmt.value_text(value, types[key]))
            for key, value in wf.metadata.items()]
    if not rows:
        return ["metadata: none"]
    return [f"metadata: {len(rows)} key{'' if len(rows) == 1 else 's'}",
            fmt.render_table(("key", "type", "value"), rows)]


def _tensors_text(wf: Any, r: dict[str, Any]) -> list[str]:
    if not r["tensors"]:
        return ["tensors: none"]
    sharded = len(wf.shards) > 1
    headers = ["name", "dtype", "shape", "bytes", "offset"] + (["shard"] if sharded else [])
    rows = []
    for t in r["tensors"]:
        row = [fmt.text_safe(t["name"]), t["dtype"], "[" + ", ".join(map(str, t["shape"])) + "]",
               f"{t['nbytes']:,}", f"{t['offset']:,}"]
        if sharded:
            row.append(_shard_name(wf, t["shard"]))
        rows.append(row)
    right = [False, False, False, True, True, False]
    return [f"tensors: {len(rows)} (shapes in numpy order)",
            fmt.render_table(headers, rows, right[:len(headers)])]


def _totals_text(r: dict[str, Any]) -> list[str]:
    tot = r["totals"]
    lines = [
        "totals",
        f"  tensors     {tot['tensors']:,}",
        f"  parameters  {tot['parameters']:,} ({fmt.human_count(tot['parameters'])})",
        f"  bytes       {tot['bytes']:,} ({fmt.human_bytes(tot['bytes'])})",
    ]
    if tot["bytes_by_dtype"]:
        rows = [(d, f"{tot['parameters_by_dtype'][d]:,}", f"{b:,}", fmt.human_bytes(b))
                for d, b in tot["bytes_by_dtype"].items()]
        lines.append(fmt.render_table(("dtype", "parameters", "bytes", "size"), rows,
                                      (False, True, True, True), indent="    "))
    return lines


def _stats_section(wf: Any, report: dict[str, Any]) -> list[str]:
    """`--stats`: adds report["stats"] (the `mwt validate --json` report) and returns its text."""
    from .validate import progress_bar, report_lines

    def num(x: Any) -> str:
        return "-" if x is None else f"{x:.6g}"

    result = wf.stats(progress=progress_bar(argparse.Namespace(), "stats"))
    report["stats"] = result.raw
    rows = [(fmt.text_safe(t.name), t.dtype, num(t.min), num(t.max), num(t.mean), num(t.std),
             num(t.absmax), f"{t.nan:,}", f"{t.inf:,}", f"{t.zero:,}")
            for t in result.tensors.values()]
    table = fmt.render_table(("name", "dtype", "min", "max", "mean", "std", "absmax", "nan",
                              "inf", "zero"), rows, (False, False) + (True,) * 8)
    return [f"stats: {len(rows)} tensors (dequantized values)", table,
            *report_lines(result, strict=False)]


def run(args: argparse.Namespace) -> int:
    import mwt

    # No flag means "everything"; a flag narrows the output to the named sections.
    show_all = not (args.metadata or args.tensors or args.quantization or args.architecture
                    or args.tokenizer)
    with mwt.open(args.path) as wf:
        report = collect(wf, metadata=show_all or args.metadata, tensors=show_all or args.tensors,
                         quantization=show_all or args.quantization,
                         architecture=show_all or args.architecture,
                         tokenizer=show_all or args.tokenizer)
        stats_block = _stats_section(wf, report) if args.stats else None
        if args.json:
            sys.stdout.write(json.dumps(fmt.json_safe(report), indent=2, allow_nan=False) + "\n")
            return 0
        blocks = [_summary_text(report)]
        if "metadata" in report:
            blocks.append(_metadata_text(wf))
        if "tensors" in report:
            blocks.append(_tensors_text(wf, report))
        blocks.append(_totals_text(report))
        if "quantization" in report:
            blocks.append(quantization_lines(report["quantization"]))
        if "architecture" in report:
            blocks.append(_architecture_text(report["architecture"]))
        if "tokenizer" in report:
            blocks.append(tokenizer_lines(report["tokenizer"]))
        if stats_block:
            blocks.append(stats_block)
    # text_safe again over the whole text: any string not escaped where it was laid out.
    sys.stdout.write(fmt.text_safe("\n\n".join("\n".join(b) for b in blocks)) + "\n")
    return 0
