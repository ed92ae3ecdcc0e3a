"""`mwt validate`: the integrity pass over every tensor of a weight file (NaN / Inf values,
all-zero tensors, block scales, duplicated tensors); exit 0 when clean, 1 when a check failed
or the file cannot be read, 2 on a usage error."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, Optional, TextIO

from . import _format as fmt

HELP = "check every tensor for NaN/Inf, all-zero tensors, bad block scales and duplicates"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate", help=HELP, description=HELP + " (rules: docs/validation.md).",
        epilog="Exit status: 0 no error (warnings allowed unless --strict), 1 an error was found "
               "or the file cannot be read, 2 usage error.")
    p.add_argument("path", metavar="FILE|DIR",
                   help="GGUF or safetensors file, model.safetensors.index.json, or a shard "
                        "directory")
    p.add_argument("--json", action="store_true",
                   help="print the whole report (per-tensor statistics included) as JSON")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="threads to read with (default: MWT_NUM_THREADS or the CPU count)")
    p.add_argument("--strict", action="store_true", help="warnings fail validation too")
    fmt.add_progress_flags(p)
    p.set_defaults(func=run)


class ByteProgress:
    """A one-line progress bar over bytes read, redrawn in place on `stream` (stderr)."""

    def __init__(self, stream: TextIO, label: str, width: int = 30) -> None:
        self.stream, self.label, self.width = stream, label, width
        self.start = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        frac = done / total if total else 1.0
        fill = int(round(frac * self.width))
        elapsed = time.monotonic() - self.start
        mib = 1 << 20
        self.stream.write(f"\r{self.label} [{'#' * fill}{'.' * (self.width - fill)}] "
                          f"{done / mib:,.1f}/{total / mib:,.1f} MiB {elapsed:5.1f}s")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def progress_bar(args: argparse.Namespace, label: str) -> Optional[ByteProgress]:
    """The bar --progress / --no-progress (default: stderr is a terminal) asks for."""
    show = args.progress if getattr(args, "progress", None) is not None else sys.stderr.isatty()
    return ByteProgress(sys.stderr, label) if show else None


def report_lines(report: Any, strict: bool) -> list[str]:
    """The human summary of a ValidationReport: one line per issue, then the verdict."""
    lines = []
    rows = [(i.severity, i.check, fmt.text_safe(i.tensor), fmt.text_safe(i.message))
            for i in report.issues]
    if rows:
        lines.append(fmt.render_table(("severity", "check", "tensor", "message"), rows))
    verdict = "ok" if report.passed(strict) else "FAILED"
    lines.append(f"{verdict}: {len(report.tensors)} tensors, "
                 f"{fmt.human_bytes(report.bytes)} read; {report.errors} errors, "
                 f"{report.warnings} warnings")
    return lines


def run(args: argparse.Namespace) -> int:
    import mwt

    if args.threads is not None and args.threads < 1:
        print("mwt validate: error: --threads must be at least 1", file=sys.stderr)
        return 2
    report = mwt.validate(args.path, threads=args.threads,
                          progress=progress_bar(args, "validate"))
    if args.json:
        out = dict(report.raw, passed=report.passed(args.strict), strict=args.strict)
        sys.stdout.write(json.dumps(fmt.json_safe(out), indent=2, allow_nan=False) + "\n")
    else:
        sys.stdout.write(fmt.text_safe("\n".join(report_lines(report, args.strict))) + "\n")
    return 0 if report.passed(args.strict) else 1
