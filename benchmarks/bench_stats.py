"""Integrity pass throughput: ``WeightFile.stats`` / ``mwt.validate`` (and the CLI ``mwt inspect
--stats``) on >= 2 GB files generated here (F32 and F16 safetensors, Q8_0 and Q4_K GGUF), vs
numpy computing the same statistics (NaN / Inf / zero counts, min, max, absmax, mean, std in
float64) in the same run, and vs a single-thread read-bandwidth measurement over the same mapped
bytes (numpy ``bitwise_or.reduce`` over a uint64 view of the file, the fastest plain read numpy
offers). The page cache is warm: every file is read once before any timing, and the machine has
the RAM to keep all of them cached.

Block-type files: numpy has no decoder for them, so its side is ``Tensor.dequantize()`` (mwt's
AVX2 decoder, into a fresh float32 array) followed by the numpy statistics; mwt's side decodes
piece by piece into a cache-sized buffer. Both sides compute every statistic; only mwt also
hashes every byte and checks block scales.

    .venv/bin/python benchmarks/bench_stats.py [--gb 2.05] [--repeat 3] [--dir DIR]
                                               [--write-results benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
from _bench import best_of, write_section  # noqa: E402

import mwt

RESULTS_BEGIN, RESULTS_END = "<!-- bench_stats:begin -->", "<!-- bench_stats:end -->"
TENSOR_BYTES = 128 << 20  # every file is tensors of 128 MiB (so both threads get work)


def make_files(root: Path, gb: float) -> Dict[str, Path]:
    """Four files of at least `gb` * 1e9 bytes of tensor data, distinct tensors (a tensor is a
    seeded random tile repeated, so generating 2 GB stays quick)."""
    n_tensors = int(np.ceil(gb * 1e9 / TENSOR_BYTES))
    rng = np.random.default_rng(7)
    tile = rng.standard_normal(1 << 22).astype(np.float32) * 0.02  # 16 MiB of values
    out: Dict[str, Path] = {}
    for kind in ("F32", "F16"):
        path = root / f"{kind.lower()}.safetensors"
        np_type = np.float32 if kind == "F32" else np.float16
        per = TENSOR_BYTES // np.dtype(np_type).itemsize
        tensors = {}
        for i in range(n_tensors):
            base = (tile + np.float32(i * 1e-3)).astype(np_type)  # distinct per tensor
            tensors[f"blk.{i}.weight"] = np.resize(base, (per // 4096, 4096))
        mwt.save_safetensors(path, tensors)
        out[kind] = path
        del tensors
    for kind in ("Q8_0", "Q4_K"):
        path = root / f"{kind.lower()}.gguf"
        info = mwt.dtype_info(kind)
        per_row = 4096 // info.block_size  # blocks per row of 4096 values
        blocks = TENSOR_BYTES // info.type_size // per_row * per_row
        values = blocks * info.block_size
        tensors_q: Dict[str, Any] = {}
        for i in range(n_tensors):
            q = mwt.quantize((tile[: 1 << 20] + np.float32(i * 1e-3)), kind)  # 1 Mi values
            raw = np.resize(np.asarray(q).view(np.uint8).ravel(), blocks * info.type_size)
            tensors_q[f"blk.{i}.weight"] = mwt.RawTensor(kind, (values // 4096, 4096), raw)
        mwt.save_gguf(path, tensors_q)
        out[kind] = path
        del tensors_q
    return out


def read_bandwidth(path: Path) -> float:
    """Seconds for one thread to read the whole file's bytes from the page cache."""
    size = os.path.getsize(path) // 8 * 8
    m = np.memmap(path, dtype=np.uint64, mode="r", shape=(size // 8,))
    np.bitwise_or.reduce(m)  # warm
    return best_of(lambda: np.bitwise_or.reduce(m), 3)


def numpy_stats(a: np.ndarray) -> Dict[str, float]:
    """What the library reports, in numpy (float64 accumulation for mean / std)."""
    nan = int(np.count_nonzero(np.isnan(a)))
    inf = int(np.count_nonzero(np.isinf(a)))
    zero = int(np.count_nonzero(a == 0))
    fin = a if nan + inf == 0 else a[np.isfinite(a)]
    return {"nan": nan, "inf": inf, "zero": zero, "min": float(fin.min()),
            "max": float(fin.max()), "absmax": float(np.abs(fin).max()),
            "mean": float(fin.mean(dtype=np.float64)), "std": float(fin.std(dtype=np.float64))}


def numpy_pass(path: Path) -> Dict[str, Dict[str, float]]:
    with mwt.open(path) as wf:
        out = {}
        for name, t in wf.tensors.items():
            a = t.numpy() if t.dtype in ("F32", "F16") else t.dequantize()
            out[name] = numpy_stats(a)
        return out


def cli_seconds(path: Path, repeat: int) -> float:
    cmd = [sys.executable, "-m", "mwt", "inspect", "--stats", "--json", str(path)]
    env = dict(os.environ)
    return best_of(lambda: subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env),
                   repeat)


def agree(report: Any, ref: Dict[str, Dict[str, float]]) -> Tuple[bool, float]:
    """Whether every tensor is within the bound, and the largest relative difference of std
    (or of mean, on the scale |mean| + std) seen."""
    worst = 0.0
    for name, r in ref.items():
        s = report.tensors[name]
        if (s.nan, s.inf, s.zero) != (r["nan"], r["inf"], r["zero"]):
            return False, worst
        if (s.min, s.max, s.absmax) != (r["min"], r["max"], r["absmax"]):
            return False, worst
        # docs/validation.md#accuracy: float32 sums about a shift, error within (S + 2) u R of
        # the mean and (3 S + 8) u R^2 of the variance (S = 16, u = 2^-24, R = max - min).
        scale = abs(r["mean"]) + r["std"]
        rng = r["max"] - r["min"]
        mean_tol = 1e-9 * scale + 18 * 2.0**-24 * rng
        std_tol = 1e-9 * scale + 56 * 2.0**-24 * rng * rng / max(r["std"], 1e-300)
        worst = max(worst, abs(s.mean - r["mean"]) / max(scale, 1e-300),
                    abs(s.std - r["std"]) / max(r["std"], 1e-300))
        if abs(s.mean - r["mean"]) > mean_tol or abs(s.std - r["std"]) > std_tol:
            return False, worst
    return True, worst


def run(files: Dict[str, Path], repeat: int) -> List[Dict[str, Any]]:
    rows = []
    for kind, path in files.items():
        size = os.path.getsize(path)
        print(f"{kind}: {size / 1e9:.2f} GB", file=sys.stderr, flush=True)
        bw = read_bandwidth(path)  # also warms the page cache for this file
        with mwt.open(path) as wf:
            data = sum(t.nbytes for t in wf.tensors.values())
            wf.stats(threads=1)  # warm
            one = best_of(lambda: wf.stats(threads=1), repeat)
            default = best_of(lambda: wf.stats(), repeat)
            report = wf.stats()
        cli = cli_seconds(path, repeat)
        t0 = time.perf_counter()
        ref = numpy_pass(path)
        np_s = time.perf_counter() - t0
        rows.append({"kind": kind, "file_gb": size / 1e9, "data_gb": data / 1e9,
                     "tensors": len(ref), "bw_gbs": size / bw / 1e9, "one_gbs": data / one / 1e9,
                     "default_gbs": data / default / 1e9, "threads": report.threads,
                     "cli_s": cli, "numpy_s": np_s, "default_s": default,
                     "numpy_gbs": data / np_s / 1e9, "agree": agree(report, ref)[0],
                     "worst": agree(report, ref)[1]})
        print(rows[-1], file=sys.stderr, flush=True)
    return rows


def render(rows: List[Dict[str, Any]], gb: float, repeat: int, note: str) -> str:
    load = os.getloadavg()
    lines = [
        RESULTS_BEGIN,
        "## bench_stats: integrity pass (`mwt validate` / `inspect --stats`) vs numpy and read "
        "bandwidth",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_stats.py --gb {gb} --repeat {repeat} "
        "--write-results benchmarks/RESULTS.md`  ",
        f"Machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"Linux {platform.release()}; `mwt.active_isa()` = {mwt.active_isa()}  ",
        f"Versions: mwt {mwt.__version__}, numpy {np.__version__}, python "
        f"{platform.python_version()}  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  ",
        f"Load average at end (1/5/15 min): {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
        + (f"; {note}" if note else ""),
        "",
        "Page cache warm (each file read once before timing; all files fit in RAM). GB = 1e9 "
        "bytes of tensor data per second. **read 1t**: numpy `bitwise_or.reduce` over a uint64 "
        "memmap of the whole file, one thread, best of 3. **mwt 1t / default**: "
        "`WeightFile.stats(threads=1)` / `stats()` (default threads), best of "
        f"{repeat}. **CLI**: `python -m mwt inspect --stats --json FILE > /dev/null`, whole "
        f"process (startup, open, pass, JSON), best of {repeat}. **numpy**: per tensor "
        "isnan/isinf/==0 counts, min, max, abs().max(), mean and std in float64 over "
        "`Tensor.numpy()` (F32, F16: numpy's own float16 arithmetic) or over "
        "`Tensor.dequantize()` (block types: mwt's AVX2 decoder into a fresh array, since numpy "
        "has none), one run. **agree**: mwt's counts, min, max, absmax equal numpy's and mean / "
        "std within the bound of docs/validation.md#accuracy (float32 sums about a shift), for "
        "every tensor; in brackets the largest relative difference of std (or of mean on the "
        "scale |mean| + std) from numpy's.",
        "",
        "| file | tensors | data GB | read 1t GB/s | mwt 1t GB/s | mwt 1t / read 1t | mwt "
        "default GB/s (threads) | mwt default / read 1t | CLI s | numpy s | numpy GB/s | mwt "
        "default / numpy | agree (worst) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['kind']} | {r['tensors']} | {r['data_gb']:.2f} | {r['bw_gbs']:.2f} | "
            f"{r['one_gbs']:.2f} | {r['one_gbs'] / r['bw_gbs']:.0%} | {r['default_gbs']:.2f} "
            f"({r['threads']}) | {r['default_gbs'] / r['bw_gbs']:.0%} | {r['cli_s']:.2f} | "
            f"{r['numpy_s']:.2f} | {r['numpy_gbs']:.2f} | {r['numpy_s'] / r['default_s']:.1f}× | "
            f"{'yes' if r['agree'] else 'NO'} ({r['worst']:.0e}) |")
    lines.append(RESULTS_END)
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=2.05, help="tensor GB per file (>= 2)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default=None, help="where to generate the files (default: a temp "
                                                "directory, removed afterwards)")
    ap.add_argument("--note", default="", help="a remark for the results header")
    ap.add_argument("--write-results", metavar="MD")
    a = ap.parse_args()
    root = Path(a.dir) if a.dir else Path(tempfile.mkdtemp(prefix="bench_stats_"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        files = make_files(root, a.gb)
        rows = run(files, a.repeat)
    finally:
        if not a.dir:
            shutil.rmtree(root, ignore_errors=True)
    section = render(rows, a.gb, a.repeat, a.note)
    sys.stdout.write(section)
    if a.write_results:
        write_section(a.write_results, section, RESULTS_BEGIN, RESULTS_END)


if __name__ == "__main__":
    main()
