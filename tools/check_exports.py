#!/usr/bin/env python3
"""Checks libmwt's ABI surface against mwt.h (the ctest `abi_exports`).

- The shared library exports exactly the functions mwt.h declares with MWT_API: no other
  dynamic symbol (a stray mwt_ function, a leaked std:: template instantiation) and none missing.
- Every declared function has a stability tier: the tier of the mwt.h section it is declared in
  (a heading such as `/* ---- file [stable] */`), or [experimental] when its own comment starts
  so.
- mwt.hpp wraps every declared function: its name appears in the code of mwt.hpp or of a
  mwt_*.hpp it includes (comments do not count).

Usage: check_exports.py --library libmwt.so --header mwt.h --hpp mwt.hpp [--nm nm] [--list]
Prints one line per problem and exits 1 if there is any; --list also prints every function with
its tier.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

SECTION = re.compile(r"/\*\s*-+\s*[^*\[]*\[(stable|experimental)\]\s*-*\s*\*/")
DECLARATION = re.compile(r"\bMWT_API\b[^;(]*?\b(mwt_\w+)\s*\(")
IDENTIFIER = re.compile(r"\bmwt_\w+\b")


def blank_comments(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text with every comment replaced by spaces (offsets and newlines kept), and the
    (start, end) spans of the comments. String and character literals are skipped over."""
    out = list(text)
    spans = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
        elif text.startswith("/*", i) or text.startswith("//", i):
            end = text.find("*/", i + 2) + 2 if text[i + 1] == "*" else text.find("\n", i)
            if end < i + 2:  # unterminated: runs to the end
                end = n
            for k in range(i, end):
                if out[k] != "\n":
                    out[k] = " "
            spans.append((i, end))
            i = end
        else:
            i += 1
    return "".join(out), spans


def declared_functions(header: str) -> dict[str, str]:
    """mwt.h's MWT_API function names, each with its tier ('' when it has none)."""
    code, comments = blank_comments(header)
    sections = [(m.start(), m.group(1)) for m in SECTION.finditer(header)]
    tiers: dict[str, str] = {}
    for m in DECLARATION.finditer(code):
        tier = ""
        for start, name in sections:
            if start < m.start():
                tier = name
        # The comment right before the declaration (only blanks between) may override it.
        before = [span for span in comments if span[1] <= m.start()]
        if before and not header[before[-1][1]:m.start()].strip():
            if header[before[-1][0] + 2:before[-1][1]].lstrip().startswith("[experimental"):
                tier = "experimental"
        if m.group(1) in tiers:
            raise SystemExit(f"check_exports: {m.group(1)} is declared twice in mwt.h")
        tiers[m.group(1)] = tier
    return tiers


def header_text(path: Path) -> str:
    """mwt.h (or mwt.hpp) with the section headers it includes (#include "mwt_*.h" or
    "mwt_*.hpp" beside it) inlined."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        m = re.match(r'#include "(mwt_\w+\.h(?:pp)?)"', line)
        part = path.parent / m.group(1) if m else None
        out.append(part.read_text(encoding="utf-8") if part and part.exists() else line)
    return "".join(out)


def exported_symbols(nm: str, library: str) -> dict[str, str]:
    """Dynamic symbols the library defines, name -> nm type letter."""
    out = subprocess.run([nm, "-D", "--defined-only", library], check=True,
                         capture_output=True, text=True).stdout
    symbols = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            symbols[fields[2].split("@")[0]] = fields[1]
    return symbols


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", required=True)
    parser.add_argument("--header", required=True)
    parser.add_argument("--hpp", required=True)
    parser.add_argument("--nm", default="nm")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()

    declared = declared_functions(header_text(Path(args.header)))
    exported = exported_symbols(args.nm, args.library)
    hpp_code, _ = blank_comments(header_text(Path(args.hpp)))
    wrapped = set(IDENTIFIER.findall(hpp_code))

    problems = []
    for name in sorted(set(exported) - set(declared)):
        problems.append(f"exported but not declared in mwt.h: {name}")
    for name in sorted(set(declared) - set(exported)):
        problems.append(f"declared in mwt.h but not exported: {name}")
    for name in sorted(set(declared) & set(exported)):
        if exported[name] not in "TW":
            problems.append(f"exported as a non-function (nm type {exported[name]}): {name}")
    for name in sorted(n for n, tier in declared.items() if not tier):
        problems.append(f"declared without a stability tier: {name}")
    for name in sorted(set(declared) - wrapped):
        problems.append(f"not wrapped by mwt.hpp: {name}")

    if args.list:
        for name, tier in sorted(declared.items()):
            print(f"{tier or '-':12} {name}")
    for p in problems:
        print(p)
    counts = {t: sum(1 for v in declared.values() if v == t) for t in ("stable", "experimental")}
    print(f"check_exports: {len(declared)} functions declared ({counts['stable']} stable, "
          f"{counts['experimental']} experimental), {len(exported)} symbols exported, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
