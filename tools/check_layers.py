#!/usr/bin/env python3
"""Fails when a file under libmwt/src/<layer>/ includes a header of a layer it may not use.

The layers and what each may include are ARCHITECTURE.md's table; this script is its check
(`make lint` and the ctest `layering` run it). Arrows point down only: a layer includes its
own headers and those of the layers below it, never a sibling's (formats and quant sit side by
side on core and never include each other) and never one above it.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

# layer -> the other layers it may include (besides itself and the public mwt/ headers).
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "formats": {"core"},
    "quant": {"core"},
    "analysis": {"core", "formats", "quant"},
    "tokenizer": {"core", "formats"},
    "kernels": {"core", "quant"},
    "capi": {"core", "formats", "quant", "analysis", "tokenizer"},
}
PUBLIC = "mwt"  # libmwt/include/mwt: the C ABI, includable from every layer
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def check(src: Path) -> list[str]:
    problems: list[str] = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in {".hpp", ".cpp", ".h", ".c"}:
            continue
        rel = path.relative_to(src)
        layer = rel.parts[0]
        if layer not in ALLOWED:
            problems.append(f"{rel}: directory '{layer}' is not a known layer (ALLOWED)")
            continue
        for m in INCLUDE.finditer(path.read_text(encoding="utf-8")):
            target = m.group(1)
            top = target.split("/", 1)[0]
            if "/" not in target or top == layer or top == PUBLIC:
                continue
            if top not in ALLOWED[layer]:
                line = path.read_text(encoding="utf-8").count("\n", 0, m.start()) + 1
                problems.append(f"{rel}:{line}: layer '{layer}' includes \"{target}\" "
                                f"(allowed: {', '.join(sorted(ALLOWED[layer])) or 'none'})")
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    problems = check(root / "libmwt" / "src")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"check_layers: {len(problems)} include(s) against the layering", file=sys.stderr)
        return 1
    print("check_layers: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
