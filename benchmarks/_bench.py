"""What the benchmark scripts share: the best-of-N timer and the replacement of a script's own
section of benchmarks/RESULTS.md (the text between its begin / end markers, which the section
itself carries). Imported as ``_bench``: each script runs with benchmarks/ first on sys.path."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """The shortest wall time of ``repeat`` calls of fn, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def write_section(path: str, section: str, begin: str, end: str) -> None:
    """Replace the text from ``begin`` to ``end`` in the file at path with section (which starts
    with begin and ends with end); append it when the file has no such section."""
    text = Path(path).read_text(encoding="utf-8") if os.path.exists(path) else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    Path(path).write_text(text, encoding="utf-8")
