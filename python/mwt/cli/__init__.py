"""The `mwt` command line: argparse subcommands, one module per subcommand (inspect, ...)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Sequence

from . import inspect as _inspect, quantize as _quantize

__all__ = ["main", "build_parser"]

# Each entry registers one subcommand; a new subcommand is one module and one line here.
_SUBCOMMANDS = (_inspect.register, _quantize.register)


def build_parser() -> argparse.ArgumentParser:
    from mwt import __version__

    parser = argparse.ArgumentParser(prog="mwt", description="Model weight tools.")
    parser.add_argument("--version", action="version", version=f"mwt {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in _SUBCOMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 invalid file, 2 usage error)."""
    import mwt

    # Token strings and the table glyphs are not ASCII; never crash on a narrow locale.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = build_parser().parse_args(argv)  # exits with 2 on a usage error
    try:
        return int(args.func(args))
    except mwt.MwtError as e:
        print(f"mwt: error: {e}", file=sys.stderr)
        if getattr(args, "json", False):
            # Scripts reading --json get the error as JSON on stdout too (exit status still 1).
            err = {"code": e.code_name, "code_number": int(e.code), "offset": e.offset,
                   "field": e.field, "message": str(e)}
            sys.stdout.write(json.dumps({"error": err}, indent=2) + "\n")
        return 1
    except OSError as e:
        if isinstance(e, BrokenPipeError):
            # Output piped into `head`: stop quietly; point stdout at /dev/null so the interpreter's
            # final flush does not raise a second time.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        print(f"mwt: error: {e}", file=sys.stderr)
        return 1
