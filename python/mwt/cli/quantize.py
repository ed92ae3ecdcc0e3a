"""`mwt quantize`: quantize a GGUF file or a Hugging Face LLaMA checkpoint to a GGUF file type
with llama.cpp's per-tensor type rules (see mwt.quantize_file)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Optional, TextIO

from . import _format as fmt

HELP = "quantize a model to a GGUF file type (Q4_K_M, Q8_0, ...) with llama.cpp's per-tensor rules"


def register(subparsers: argparse._SubParsersAction) -> None:
    from .._quantize_file import QUANTIZE_FILE_TYPES

    p = subparsers.add_parser("quantize", help=HELP, description=HELP + ".")
    p.add_argument("input", metavar="IN",
                   help="GGUF file, or a Hugging Face LLaMA checkpoint directory (safetensors + "
                        "config.json)")
    p.add_argument("output", metavar="OUT", help="GGUF file to write (atomically)")
    p.add_argument("--type", required=True, choices=QUANTIZE_FILE_TYPES, metavar="TYPE",
                   type=str.upper, help="file type: " + ", ".join(QUANTIZE_FILE_TYPES))
    p.add_argument("--allow-requantize", action="store_true",
                   help="accept already-quantized input tensors (dequantized, then re-quantized)")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="tensors encoded at once (default: CPU count)")
    fmt.add_progress_flags(p)
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.set_defaults(func=run)


class ProgressBar:
    """A one-line progress bar redrawn in place on `stream` (stderr)."""

    def __init__(self, stream: TextIO, label: str, width: int = 30) -> None:
        self.stream, self.label, self.width = stream, label, width
        self.start = time.monotonic()

    def __call__(self, done: int, total: int, name: str) -> None:
        """done / total are input bytes (see mwt._quantize_file.ProgressFn)."""
        frac = done / total if total else 1.0
        fill = int(round(frac * self.width))
        elapsed = time.monotonic() - self.start
        mib = 1 << 20
        self.stream.write(f"\r{self.label} [{'#' * fill}{'.' * (self.width - fill)}] "
                          f"{done / mib:,.1f}/{total / mib:,.1f} MiB {elapsed:5.1f}s "
                          f"{name[:40]:<40}")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def run(args: argparse.Namespace) -> int:
    from .._quantize_file import quantize_file

    if args.threads is not None and args.threads < 1:
        print("mwt quantize: error: --threads must be at least 1", file=sys.stderr)
        return 2
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    bar: Optional[ProgressBar] = ProgressBar(sys.stderr, f"quantize {args.type}") if show else None
    try:
        result = quantize_file(args.input, args.output, args.type,
                               allow_requantize=args.allow_requantize, threads=args.threads,
                               progress=bar)
    except OSError as e:
        # A Python-side OS error (reading a config.json, say) becomes an mwt IO error naming
        # both paths, so the CLI prints it cleanly (and as JSON under --json).
        from .._errors import _raise

        _raise("IO", f"mwt quantize {args.input} -> {args.output}: {e}")
    for note in result.warnings:
        print(f"mwt quantize: warning: {note}", file=sys.stderr)
    if args.json:
        sys.stdout.write(json.dumps(result.as_dict(), indent=2) + "\n")
        return 0
    types = ", ".join(f"{t}\u00d7{n}" for t, n in sorted(result.types.items()))
    print(f"wrote {result.path}: {result.file_type}, {result.tensors} tensors "
          f"({result.quantized} quantized), {result.bits_per_weight:.3f} bits/weight")
    print(f"  types {types}")
    return 0
