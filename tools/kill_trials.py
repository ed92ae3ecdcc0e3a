#!/usr/bin/env python3
"""kill -9 trials for mwt's writers (docs/readers.md#writers-nothing-lost).

For each writer (save_safetensors, save_gguf, `mwt quantize`) and each trial: a target file
holding the OLD output is overwritten by a child process writing the NEW output, and the child is
killed with SIGKILL at a random moment (uniform over 0..SPAN x the measured duration of an
undisturbed write, SPAN 1.5 by default, counted from when the child is ready to write; for
`mwt quantize` from its start). Afterwards the target must be byte-identical to OLD or to NEW,
never anything else, and the directory must hold nothing but the target. Exit status 0 when
every trial passed. The children run this interpreter with this environment, so they import
the same mwt (set PYTHONPATH to test a private build).

    python tools/kill_trials.py                     # 50 trials per writer, ~100 MB outputs
    python tools/kill_trials.py --trials 5 --mb 2   # quick
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

WRITERS = ("save_safetensors", "save_gguf", "quantize")

# The child builds `seed`-dependent tensors, says "ready" on stdout, then writes `target`.
# The tensors come from arange so that building them is quick next to writing them.
_CHILD = r"""
import sys
import numpy as np
import mwt
writer, target, seed, mb = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
n = int(mb * (1 << 20)) // 4 // 4 // 256 * 256
base = np.arange(max(n, 256), dtype=np.float32) * (seed + 1)
tensors = {f"blk.{i}.ffn_up.weight": (base + i).reshape(-1, 256) for i in range(4)}
sys.stdout.write("ready\n")
sys.stdout.flush()
if writer == "save_safetensors":
    mwt.save_safetensors(target, tensors)
else:
    mwt.save_gguf(target, tensors, {"general.architecture": "llama", "general.name": str(seed)})
"""


def _command(writer: str, target: Path, seed: int, mb: float, src: Dict[int, Path]) -> List[str]:
    if writer == "quantize":
        return [sys.executable, "-m", "mwt.cli", "quantize", str(src[seed]), str(target),
                "--type", "Q8_0", "--no-progress"]
    return [sys.executable, "-c", _CHILD, writer, str(target), str(seed), str(mb)]


def _start(cmd: List[str], quantize: bool) -> subprocess.Popen:
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if not quantize:  # the CLI has no "ready" line: its whole run is the window
        assert p.stdout is not None
        line = p.stdout.readline()
        if line != b"ready\n":
            p.wait()
            raise RuntimeError(f"child failed: {p.stderr.read().decode() if p.stderr else ''}")
    return p


def _run_to_end(cmd: List[str], quantize: bool) -> float:
    p = _start(cmd, quantize)
    t0 = time.monotonic()
    _, err = p.communicate()
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed: {err.decode()}")
    return time.monotonic() - t0


def _make_sources(root: Path, mb: float) -> Dict[int, Path]:
    """Two F32 GGUF sources for `mwt quantize` (seed 0 -> OLD output, seed 1 -> NEW): F32 in,
    Q8_0 out, so the output is ~0.27x the source; sized so the output is about `mb`."""
    src_dir = root / "sources"
    src_dir.mkdir()
    out = {}
    for seed in (0, 1):
        path = src_dir / f"src{seed}.gguf"
        _run_to_end([sys.executable, "-c", _CHILD, "save_gguf", str(path), str(seed),
                     str(mb * 32 / 8.5)], False)
        out[seed] = path
    return out


def run_trials(writer: str, trials: int, mb: float, root: Path, rng: random.Random,
               span: float = 1.5) -> Dict:
    quantize = writer == "quantize"
    work = root / writer
    work.mkdir()
    src = _make_sources(root, mb) if quantize else {}
    ref = work / "ref"
    ref.mkdir()
    old_path, new_path = ref / "old.out", ref / "new.out"
    _run_to_end(_command(writer, old_path, 0, mb, src), quantize)
    _run_to_end(_command(writer, new_path, 1, mb, src), quantize)
    old, new = old_path.read_bytes(), new_path.read_bytes()
    assert old != new
    d = work / "dest"
    d.mkdir()
    target = d / ("out.gguf" if writer != "save_safetensors" else "out.safetensors")
    # Timed exactly as a trial runs (over a just-copied old file, whose writeback the fsync may
    # wait for), the slowest of two undisturbed runs.
    duration = 0.0
    for _ in range(2):
        shutil.copyfile(old_path, target)
        duration = max(duration, _run_to_end(_command(writer, target, 1, mb, src), quantize))
    result = {"writer": writer, "trials": trials, "bytes": len(new), "write_seconds": duration,
              "old": 0, "new": 0, "partial": 0, "leftover_files": 0, "leftover_names": []}
    for _ in range(trials):
        shutil.copyfile(old_path, target)
        p = _start(_command(writer, target, 1, mb, src), quantize)
        time.sleep(rng.uniform(0.0, span * duration))
        p.send_signal(signal.SIGKILL)
        p.communicate()
        got = target.read_bytes() if target.exists() else b""
        if got == old:
            result["old"] += 1
        elif got == new:
            result["new"] += 1
        else:
            result["partial"] += 1
        extra = sorted(n for n in os.listdir(d) if n != target.name)
        if extra:
            result["leftover_files"] += 1
            result["leftover_names"].extend(extra)
            for n in extra:  # keep later trials independent of this one
                if (d / n).is_dir() and not (d / n).is_symlink():
                    shutil.rmtree(d / n)
                else:
                    os.unlink(d / n)
    result["passed"] = result["partial"] == 0 and result["leftover_files"] == 0
    return result


def main(argv: List[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=50, help="trials per writer (default 50)")
    ap.add_argument("--mb", type=float, default=100.0, help="output size in MB (default 100)")
    ap.add_argument("--writers", default=",".join(WRITERS), help="comma-separated subset")
    ap.add_argument("--dir", default=None, help="where to work (default: a temp dir)")
    ap.add_argument("--seed", type=int, default=None, help="seed for the kill moments")
    ap.add_argument("--span", type=float, default=1.5,
                    help="kill moments span this many undisturbed write durations (default 1.5)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="mwt-kill-trials-", dir=args.dir))
    try:
        results = [run_trials(w, args.trials, args.mb, root, rng, args.span)
                   for w in args.writers.split(",")]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            print(f"{r['writer']:>16}: {r['trials']} kills of a {r['bytes'] / 1e6:.1f} MB write "
                  f"({r['write_seconds']:.2f} s): old {r['old']}, new {r['new']}, "
                  f"partial {r['partial']}, left files behind {r['leftover_files']}"
                  f" -> {'PASS' if r['passed'] else 'FAIL'}")
            if r["leftover_names"]:
                print("                  left behind: " + ", ".join(r["leftover_names"][:5]))
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
