"""The `mwt` command line: argparse subcommands, one module per subcommand (inspect, ...)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Sequence

from . import (
    _format as fmt,
    diff as _diff,
    inspect as _inspect,
    quantize as _quantize,
    tokenize as _tokenize,
    tokenizer_train as _tokenizer_train,
    validate as _validate,
)

__all__ = ["main", "build_parser"]

# Each entry registers one subcommand; a new subcommand is one module and one line here.
_SUBCOMMANDS = (_inspect.register, _quantize.register, _diff.register, _validate.register,
               _tokenize.register, _tokenizer_train.register)


def build_parser() -> argparse.ArgumentParser:
    from mwt import __version__

    parser = argparse.ArgumentParser(prog="mwt", description="Model weight tools.")
    parser.add_argument("--version", action="version", version=f"mwt {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in _SUBCOMMANDS:
        register(sub)
    return parser


def _subcommand_parser(parser: argparse.ArgumentParser,
                       command: str | None) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command is not None:
            found = action.choices.get(command)
            return found if isinstance(found, argparse.ArgumentParser) else None
    return None


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = build_parser()
    # parse_args would report a subcommand's unknown option with the top-level usage; the
    # subcommand's own parser names its options, so it reports them.
    args, extra = parser.parse_known_args(argv)  # exits with 2 on a usage error
    if extra:
        owner = _subcommand_parser(parser, getattr(args, "command", None)) or parser
        owner.error("unrecognized arguments: " + " ".join(extra))
    return args


def _fail(args: argparse.Namespace, message: str, err: dict[str, Any]) -> int:
    print(fmt.text_safe(f"mwt: {message}"), file=sys.stderr)
    if getattr(args, "json", False):
        # Scripts reading --json get the error as JSON on stdout too (exit status still 1).
        sys.stdout.write(json.dumps(fmt.json_safe({"error": err}), indent=2) + "\n")
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 invalid file or failure, 2 usage error).

    No path prints a traceback: library errors, OS errors and unexpected exceptions all end in
    one "mwt: ..." line on stderr (and {"error": ...} on stdout under --json)."""
    import mwt

    # Token strings and the table glyphs are not ASCII; never crash on a narrow locale.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = _parse(argv)
    try:
        return int(args.func(args))
    except mwt.MwtError as e:
        return _fail(args, f"error: {e}", {"code": e.code_name, "code_number": int(e.code),
                                            "offset": e.offset, "field": e.field,
                                            "message": str(e)})
    except OSError as e:
        if isinstance(e, BrokenPipeError):
            # Output piped into `head`: stop quietly; point stdout at /dev/null so the interpreter's
            # final flush does not raise a second time.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        return _fail(args, f"error: {e}", {"code": "OS_ERROR", "errno": e.errno,
                                            "message": str(e)})
    except Exception as e:  # noqa: BLE001 - the CLI's last barrier: a bug, not a traceback
        return _fail(args, f"internal error: {type(e).__name__}: {e} (please report this)",
                     {"code": "INTERNAL", "type": type(e).__name__, "message": str(e)})
