#!/usr/bin/env python3
"""Fails when a tracked source line is longer than 100 columns (the house limit).

C/C++ formatting is clang-format's job and Python's is ruff's; this covers what neither sees
(CMake, shell, Makefile, comments clang-format does not reflow) with one rule for all.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LIMIT = 100
SUFFIXES = {".c", ".h", ".cpp", ".hpp", ".py", ".pyi", ".cmake", ".sh", ".toml", ".in"}
NAMES = {"CMakeLists.txt", "Makefile", "run"}


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=root,
                           check=True, capture_output=True, text=True).stdout.split()
    bad = 0
    for name in files:
        path = root / name
        if not path.is_file() or (path.suffix not in SUFFIXES and path.name not in NAMES):
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if len(line) > LIMIT:
                print(f"{name}:{no}: {len(line)} columns (limit {LIMIT})", file=sys.stderr)
                bad += 1
    if bad:
        print(f"check_lines: {bad} line(s) over {LIMIT} columns", file=sys.stderr)
        return 1
    print("check_lines: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
