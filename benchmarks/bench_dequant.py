"""Dequantization throughput: mwt.dequantize single-threaded under both ISAs (the scalar reference
decoders, and the active ISA's SIMD kernels where a type has one), into a fresh array and into a
reused ``out=`` buffer (alternating rounds, medians, and their ratio), into a fresh array on
memory new to the process, and multi-threaded (the default thread count) into that buffer, vs
gguf-py's numpy ``gguf.quants.dequantize`` vs a float32 copy of the same output size, for every
ggml block type mwt can dequantize. Random blocks (sane f16 scale fields), 2^26 values per type
by default; gguf-py is timed on a 2^22-value slice (it is slow), on which mwt's output is also
checked against gguf-py's bit for bit.

Single-thread columns pass ``threads=1`` and run pinned to one CPU; the multi-thread column
lifts the pin to every CPU this process may use and passes no ``threads`` (the library default:
MWT_NUM_THREADS, else the CPU count). All of mwt's outputs (fresh, out=, threaded) are checked
equal to each other bit for bit.

The ISA is fixed per process, so the scalar column is measured in a child process of this
script started with MWT_FORCE_ISA=scalar (same CPU, same seeds, so the same input bytes); its
full output must hash equal to this process's, so the two ISAs are also checked bit for bit
over every value.

    .venv/bin/python benchmarks/bench_dequant.py [--values N] [--types Q4_K,Q8_0,...]
                                                 [--cpu K] [--write-results benchmarks/RESULTS.md]
"""

from __future__ import annotations

import os
import sys

# Single-threaded numpy: the thread counts must be in the environment before numpy is imported.
# If something imported numpy before this module ran (a sitecustomize, say), start afresh.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS")
if "numpy" in sys.modules and any(os.environ.get(v) != "1" for v in _THREAD_VARS):
    for _v in _THREAD_VARS:
        os.environ[_v] = "1"
    os.execv(sys.executable, [sys.executable] + sys.argv)
for _v in _THREAD_VARS:
    os.environ[_v] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

RESULTS_BEGIN, RESULTS_END = "<!-- bench_dequant:begin -->", "<!-- bench_dequant:end -->"
DEFAULT_VALUES = 1 << 26
GGUF_SLICE_VALUES = 1 << 22
MWT_RUNS, GGUF_RUNS, COPY_RUNS = 3, 2, 3
# Rounds of (fresh, out=) pairs, alternated so that both see the same machine load; medians.
PAIR_ROUNDS = 7
GOAL_GBPS, GOAL_RATIO, GOAL_FRESH = 10.0, 30.0, 0.8
# mwt gives each thread at least this many values (mwt.h, mwt_dequantize_threads).
PER_THREAD_VALUES = 1 << 19
# The types with an AVX2 kernel (avx2::dequant_kernel in libmwt/src/quant/x86_avx2/
# dequant_avx2.cpp); under the avx2 ISA every other type runs its scalar decoder, so its two
# columns measure the same code.
AVX2_KERNEL_TYPES = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
                     "IQ4_NL", "IQ4_XS", "MXFP4", "TQ1_0", "TQ2_0", "IQ2_XXS", "IQ2_XS", "IQ2_S",
                     "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M", "NVFP4"}

# Byte offsets of the f16 scale fields in each block type (ggml-common.h field order). Random
# bytes there would give NaN/Inf scales, so they are overwritten with finite halves. IQ1_M's f16
# scale is spread over the top nibbles of the four u16 words at bytes 48..55 (set separately);
# MXFP4's scale is an E8M0 byte and NVFP4's are unsigned E4M3 bytes, for which every value is
# finite. A type mwt can dequantize but
# this table does not know is reported and skipped rather than benchmarked on garbage scales.
F16_FIELDS = {
    "Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0],
    "Q2_K": [80, 82], "Q3_K": [108], "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208],
    "IQ4_NL": [0], "IQ4_XS": [0], "TQ1_0": [52], "TQ2_0": [64], "MXFP4": [],
    "IQ2_XXS": [0], "IQ2_XS": [0], "IQ2_S": [0], "IQ3_XXS": [0], "IQ3_S": [0], "IQ1_S": [0],
    "IQ1_M": [], "NVFP4": [],
}


# ------------------------------------------------------------------------------------- inputs

def sane_halves(rng: np.random.Generator, n: int) -> np.ndarray:
    """Finite, normal f16 values of weight-scale-like magnitude: |h| log-uniform in
    [2^-12, 2^-1], random sign (no zeros, subnormals, NaN or Inf)."""
    mag = np.exp2(rng.uniform(-12.0, -1.0, size=n))
    h = np.where(rng.random(n) < 0.5, -mag, mag).astype(np.float16)
    assert np.isfinite(h).all() and (np.abs(h) >= np.float16(2.0 ** -14)).all()
    return h


def set_iq1m_scale(raw: np.ndarray, d: np.ndarray) -> None:
    """IQ1_M: bits 4k..4k+3 of the f16 d are the top nibble of scale word k (bytes 48..55)."""
    words = raw[:, 48:56].copy().view(np.uint16)
    bits = d.astype(np.float16).view(np.uint16)
    for k in range(4):
        words[:, k] = (words[:, k] & 0x0FFF) | (((bits >> (4 * k)) & 0xF) << 12)
    raw[:, 48:56] = words.view(np.uint8)


def random_blocks(name: str, n_blocks: int, type_size: int,
                  rng: np.random.Generator) -> np.ndarray:
    raw = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    for off in F16_FIELDS[name]:
        raw[:, off:off + 2] = sane_halves(rng, n_blocks).view(np.uint8).reshape(n_blocks, 2)
    if name == "IQ1_M":
        set_iq1m_scale(raw, sane_halves(rng, n_blocks))
    return raw


# ------------------------------------------------------------------------------------ timing

def best_of(runs: int, fn) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        del out  # free before the next run: one output buffer alive at a time
        best = min(best, dt)
    return best


def median_pairs(rounds: int, fresh, into_out) -> tuple[float, float]:
    """Median seconds of `fresh` and of `into_out`, timed alternately `rounds` times each."""
    import statistics
    t_fresh, t_out = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        got = fresh()
        t_fresh.append(time.perf_counter() - t0)
        del got  # dropped before the next call, as a loop over tensors drops the last one
        t0 = time.perf_counter()
        into_out()
        t_out.append(time.perf_counter() - t0)
    return statistics.median(t_fresh), statistics.median(t_out)


def time_new_memory(runs: int, fresh) -> float:
    """Best-of seconds of `fresh` when the memory of a dropped output cannot be reused: one
    output is held while the next is made, so it must be mapped from the kernel afresh."""
    best = float("inf")
    for _ in range(runs):
        held = fresh()  # takes the kept block, if any
        t0 = time.perf_counter()
        got = fresh()
        best = min(best, time.perf_counter() - t0)
        del got, held
    return best


def gbps(values: int, seconds: float) -> float:
    """GB/s of float32 output written."""
    return 4 * values / seconds / 1e9


def bench_copy(values: int) -> dict:
    src = np.random.default_rng(1).standard_normal(values, dtype=np.float32)
    dst = np.empty_like(src)
    dst.fill(0)  # fault the destination pages in before timing
    t = best_of(COPY_RUNS, lambda: np.copyto(dst, src))
    # Context only: a copy into a fresh array, which (like mwt.dequantize's output on new
    # memory) pays for allocating and first-touching the output pages.
    t_fresh = best_of(COPY_RUNS, lambda: src.copy())
    # The least any function returning a new float32 array must do: allocate and write it once.
    t_fill = best_of(COPY_RUNS, lambda: np.empty(values, dtype=np.float32).fill(1.0))
    return {"copyto_s": t, "fresh_s": t_fresh, "fill_s": t_fill}


def default_threads() -> int:
    """The thread count mwt.dequantize uses by default: MWT_NUM_THREADS when it is a positive
    integer (at most 256), else the CPU count (the library's rule, mwt.h)."""
    env = os.environ.get("MWT_NUM_THREADS", "")
    if env.isascii() and env.isdigit() and int(env) > 0:
        return min(int(env), 256)
    return os.cpu_count() or 1


def output_digest(a: np.ndarray) -> str:
    import hashlib
    data = memoryview(np.ascontiguousarray(a)).cast("B")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def time_mwt(name: str, values: int, rng: np.random.Generator) -> tuple[float, str]:
    """Best-of time of single-threaded mwt.dequantize over `values` values of `name` into a
    fresh array, and its output's digest."""
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType as QT

    import mwt

    block, type_size = GGML_QUANT_SIZES[QT[name]]
    raw = random_blocks(name, values // block, type_size, rng)
    t = best_of(MWT_RUNS, lambda: mwt.dequantize(raw, name, (values,), threads=1))
    return t, output_digest(mwt.dequantize(raw, name, (values,), threads=1))


def scalar_child(types: list[str], values: int, cpu: int) -> dict:
    """Per type, (seconds, digest) of mwt.dequantize in a child with MWT_FORCE_ISA=scalar."""
    import json
    import subprocess
    env = dict(os.environ, MWT_FORCE_ISA="scalar")
    cmd = [sys.executable, os.path.abspath(__file__), "--values", str(values), "--cpu", str(cpu),
           "--types", ",".join(types), "--scalar-child"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"FAIL: the MWT_FORCE_ISA=scalar child failed:\n{out.stderr}")
    got = json.loads(out.stdout)
    if got["isa"] != "scalar":
        raise SystemExit(f"FAIL: the MWT_FORCE_ISA=scalar child ran {got['isa']}")
    return got["types"]


def bench_type(name: str, values: int, small: int, rng: np.random.Generator, out: np.ndarray,
               cpu: int, all_cpus: set) -> dict:
    import gguf
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType as QT

    import mwt

    block, type_size = GGML_QUANT_SIZES[QT[name]]
    raw = random_blocks(name, values // block, type_size, rng)
    digest = output_digest(mwt.dequantize(raw, name, (values,), threads=1))
    # A fresh array (memory of the previous call's dropped output reused) against the caller's
    # buffer (pre-faulted, reused by every type: no allocation, no page faults), alternating.
    t_mwt, t_out = median_pairs(
        PAIR_ROUNDS, lambda: mwt.dequantize(raw, name, (values,), threads=1),
        lambda: mwt.dequantize(raw, name, (values,), out=out, threads=1))
    # A fresh array on memory the kernel must fault in and zero.
    t_new = time_new_memory(MWT_RUNS, lambda: mwt.dequantize(raw, name, (values,), threads=1))
    if output_digest(out) != digest:
        raise SystemExit(f"FAIL: {name}: out= output differs from the fresh array's")
    # Default thread count, every CPU this process may use.
    out.fill(0)
    os.sched_setaffinity(0, all_cpus)
    try:
        t_mt = best_of(MWT_RUNS, lambda: mwt.dequantize(raw, name, (values,), out=out))
    finally:
        os.sched_setaffinity(0, {cpu})
    if output_digest(out) != digest:
        raise SystemExit(f"FAIL: {name}: the multi-threaded output differs from one thread's")

    raw_small = raw[: small // block]
    holder = {}

    def run_gguf():
        with np.errstate(over="ignore"):  # MXFP4 with e near 255 overflows to inf (mwt too)
            holder["out"] = gguf.quants.dequantize(raw_small, QT[name])
        return None
    t_gguf = best_of(GGUF_RUNS, run_gguf)

    # Untimed check: same slice, bit for bit.
    want = np.ascontiguousarray(holder.pop("out"), dtype=np.float32).reshape(-1)
    got = mwt.dequantize(raw_small, name, (small,)).reshape(-1)
    if got.shape != want.shape or not np.array_equal(got.view(np.uint32), want.view(np.uint32)):
        if got.shape != want.shape:
            detail = f"shapes differ: mwt {got.shape}, gguf-py {want.shape}"
        else:
            bad = np.flatnonzero(got.view(np.uint32) != want.view(np.uint32))
            i = int(bad[0])
            detail = (f"{bad.size} of {small} values differ; first at {i}: "
                      f"mwt {got[i]!r} != gguf-py {want[i]!r}")
        raise SystemExit(f"FAIL: {name}: mwt.dequantize disagrees with gguf.quants.dequantize "
                         f"on the {small}-value slice: {detail}")
    return {"type": name, "block": block, "type_size": type_size, "raw_bytes": raw.nbytes,
            "mwt_s": t_mwt, "out_s": t_out, "new_s": t_new, "mt_s": t_mt, "gguf_s": t_gguf,
            "values": values,
            "small": small, "digest": digest}


# ------------------------------------------------------------------------------------ report

def block_types() -> list[str]:
    """Every GGMLQuantizationType with a block of more than one value, in enum order."""
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType as QT
    return [t.name for t in QT if t in GGML_QUANT_SIZES and GGML_QUANT_SIZES[t][0] > 1]


def machine() -> dict:
    cpu, flags = platform.processor() or "unknown", set()
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        m = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
        cpu = m.group(1).strip() if m else cpu
        m = re.search(r"^flags\s*:\s*(.+)$", text, re.M)
        flags = set(m.group(1).split()) if m else set()
    except OSError:
        pass
    from importlib.metadata import version
    versions = {}
    for mod in ("mwt", "gguf", "numpy"):
        try:
            versions[mod] = version(mod)
        except Exception:  # a package without metadata still runs; say so in the report
            versions[mod] = "unknown"
    versions["python"] = platform.python_version()
    simd = [f for f in ("avx2", "fma", "f16c", "avx512f") if f in flags]
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "versions": versions, "simd": simd}


def _fmt_values(n: int) -> str:
    if n & (n - 1) == 0:
        return f"2^{n.bit_length() - 1} ({n:,})"
    return f"{n:,}"


def render(rows, skipped, copy, values, small, info, command, cpu, load_start, load_end,
           elapsed, isa, all_cpus, mt_threads) -> str:
    copy_gbps = gbps(values, copy["copyto_s"])
    fresh_gbps = gbps(values, copy["fresh_s"])
    fill_gbps = gbps(values, copy["fill_s"])
    mt = f"{mt_threads} thread{'s' if mt_threads != 1 else ''}"
    lines = [
        f"## bench_dequant: dequantize to float32, single thread (scalar reference and {isa} "
        f"kernels; fresh array and reused out= buffer) and default threads ({mt})",
        "",
        f"Command: `{command}`  ",
        f"Machine: {info['nproc']} CPUs, {info['cpu']}, Linux {info['kernel']}; "
        f"SIMD flags seen: {', '.join(info['simd']) or 'none of avx2/fma/f16c/avx512f'}; "
        f"single-thread columns pinned to CPU {cpu}, the multi-thread column on CPUs "
        f"{', '.join(map(str, sorted(all_cpus)))}; `mwt.active_isa()` = {isa}  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()) + "  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M %Z')}  ",
        f"Load average (1/5/15 min): {' / '.join(f'{x:.2f}' for x in load_start)} at start, "
        f"{' / '.join(f'{x:.2f}' for x in load_end)} at end; run took {elapsed:.0f} s",
    ]
    if load_start[0] >= 0.5 or load_end[0] >= 1.5:
        lines += ["", f"**The machine was not idle**: other processes were running (1-min load "
                  f"{load_start[0]:.2f} before this benchmark started, on {info['nproc']} CPUs), "
                  "so the numbers below may be low and noisy."]
    lines += [
        "",
        f"Input: random bytes per block with the f16 scale fields replaced by finite normal "
        f"halves (|d| in [2^-12, 2^-1]); {_fmt_values(values)} values per type. Throughput is "
        "GB/s of float32 output written (4 × values / seconds / 1e9). One process; every column "
        f"but *{isa} ×{mt_threads}* runs one thread (`threads=1`, affinity pinned to one CPU; "
        "OMP/OPENBLAS/MKL threads = 1 before numpy is imported).",
        "",
        f"- **scalar**: `mwt.dequantize` in a child process with `MWT_FORCE_ISA=scalar` (the "
        f"scalar reference decoders), over all {_fmt_values(values)} values, best of {MWT_RUNS}.",
        f"- **{isa} fresh**: `mwt.dequantize` in this process (active ISA {isa}), same input "
        "bytes, returning a new array, each one dropped before the next call (as a loop over "
        "tensors drops the last one): outputs of 32 MiB and more reuse the memory of the last "
        "dropped output (bindings/python/register_quant.cpp, OutputPool), so after the first "
        f"call they fault nothing in. Median of {PAIR_ROUNDS} rounds, alternated with the out= "
        f"ones. Types marked *kernel: no* have no {isa} kernel and run the scalar "
        "decoder here too, so their scalar and fresh columns differ only by noise. The two "
        "ISAs' full outputs were checked equal (digest) for every type in the table.",
        f"- **{isa} out=**: the same call with `out=` a float32 buffer allocated and written "
        "once before timing and reused by every run and type: no allocation and no page faults, "
        f"so it measures the decoding and the stores. Median of {PAIR_ROUNDS} rounds, each right "
        "after a fresh one; **fresh / out=** is the ratio of the two medians (goal ≥ "
        f"{GOAL_FRESH:.0%}).",
        f"- **{isa} fresh, new memory**: a fresh array while the previous output is still held, "
        "so its memory cannot be reused: a new 2 MiB-aligned mapping (asked for transparent "
        f"huge pages) that the kernel must fault in and zero as the decoder writes it; best of "
        f"{MWT_RUNS}. This is the first call's cost, and every call's when the outputs are kept.",
        f"- **{isa} ×{mt_threads}**: the same call into the same buffer with `threads` left at "
        f"its default ({mt}: the library's default count, capped by one thread per 2^19 values), "
        f"affinity widened to CPUs {', '.join(map(str, sorted(all_cpus)))} for this column only. "
        f"Best of {MWT_RUNS}. Its output, and the out= one, were checked equal (digest) to the "
        "fresh array's for every type.",
        f"- **gguf-py**: `gguf.quants.dequantize` (numpy) timed on the first "
        f"{_fmt_values(small)} values only (it is slow), best of {GGUF_RUNS}; its GB/s is from "
        f"that slice. mwt's ({isa}) output on that slice was checked equal to gguf-py's bit for "
        "bit (untimed) for every type in the table.",
        f"- **copy**: `np.copyto(dst, src)` over {_fmt_values(values)} float32 into a pre-faulted "
        f"`dst`, best of {COPY_RUNS}: **{copy_gbps:.2f} GB/s**. For context, paying allocation "
        f"and page faults on new memory: `src.copy()` into a fresh array {fresh_gbps:.2f} GB/s, "
        f"and `np.empty(n).fill(1)` (allocate a fresh float32 array and write it once, the "
        f"least any function returning a new array does) **{fill_gbps:.2f} GB/s**.",
        "",
        f"| type | {isa} kernel | bytes/block | scalar GB/s | {isa} fresh GB/s "
        f"| {isa} out= GB/s | fresh / out= | {isa} fresh, new memory GB/s | {isa} / scalar "
        f"| {isa} ×{mt_threads} out= GB/s | ×{mt_threads} / out= "
        f"| gguf-py GB/s (slice) | {isa} out= / gguf-py | {isa} fresh / gguf-py "
        f"| ≥ {GOAL_GBPS:.0f} GB/s (out=) | ≥ {GOAL_RATIO:.0f}× gguf-py (out= / fresh) "
        f"| fresh ≥ {GOAL_FRESH:.0%} out= |",
        "|---|:---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|:---:|:---:|",
    ]

    def g_fast(r):
        return gbps(r["values"], r["mwt_s"])

    def g_scalar(r):
        return gbps(r["values"], r["scalar_s"])

    def g_out(r):
        return gbps(r["values"], r["out_s"])

    def g_mt(r):
        return gbps(r["values"], r["mt_s"])

    def g_new(r):
        return gbps(r["values"], r["new_s"])

    def f_ratio(r):  # fresh / out=, from the medians of alternated rounds
        return r["out_s"] / r["mwt_s"]

    def yn(ok):
        return "yes" if ok else "no"

    def ratio(r):  # the goal's basis: the kernel's throughput into a reused buffer
        return g_out(r) / gbps(r["small"], r["gguf_s"])

    def ratio_fresh(r):
        return g_fast(r) / gbps(r["small"], r["gguf_s"])

    for r in rows:
        lines.append(
            f"| {r['type']} | {'yes' if r['kernel'] else 'no'} | {r['type_size']} | "
            f"{g_scalar(r):.2f} | {g_fast(r):.2f} | {g_out(r):.2f} | {f_ratio(r):.2f} | "
            f"{g_new(r):.2f} | {g_fast(r) / g_scalar(r):.2f}× | {g_mt(r):.2f} | "
            f"{g_mt(r) / g_out(r):.2f}× | "
            f"{gbps(r['small'], r['gguf_s']):.3f} | {ratio(r):.1f}× | {ratio_fresh(r):.1f}× | "
            f"{yn(g_out(r) >= GOAL_GBPS)} | "
            f"{yn(ratio(r) >= GOAL_RATIO)} / {yn(ratio_fresh(r) >= GOAL_RATIO)} | "
            f"{yn(f_ratio(r) >= GOAL_FRESH)} |")
    if skipped:
        lines += ["", "Not benchmarked: " + "; ".join(f"{t} ({why})" for t, why in skipped) + "."]

    kern = [r for r in rows if r["kernel"]]
    rest = [r for r in rows if not r["kernel"]]
    busy = load_start[0] >= 0.5 or load_end[0] >= 1.5
    band = 2.0 if busy else 1.25

    def names(rs, f):
        return ", ".join(f"{r['type']} ({f(r)})" for r in rs) or "none"

    reading = "**Reading.** "
    if isa == "scalar":
        reading += ("This process ran the scalar ISA (no AVX2 on this CPU, or MWT_FORCE_ISA set), "
                    "so both mwt columns measure the scalar reference decoders. ")
    if kern:
        k_ratio_ok = [r for r in kern if ratio(r) >= GOAL_RATIO]
        k_fast = [r for r in kern if g_out(r) >= GOAL_GBPS]
        both = [r for r in kern if r in k_ratio_ok and r in k_fast]
        slow = [r for r in kern if r not in k_fast]
        short = [r for r in kern if r not in k_ratio_ok]
        lo, hi = min(kern, key=g_out), max(kern, key=g_out)
        f_lo, f_hi = min(kern, key=g_fast), max(kern, key=g_fast)
        reading += (
            f"The issue's goal is ≥ {GOAL_GBPS:.0f} GB/s single-thread with AVX2 and ≥ "
            f"{GOAL_RATIO:.0f}× numpy per type. It is judged here on the kernels' own "
            "throughput, decoding into a reused `out=` buffer — the basis of the copy figure it "
            "is set beside — with the fresh-array figures reported next to it. "
            f"{len(kern)} types have {isa} kernels; into `out=` one thread runs them at "
            f"{g_out(lo):.2f} ({lo['type']}) to {g_out(hi):.2f} GB/s ({hi['type']}), "
            f"{min(g_out(r) / g_scalar(r) for r in kern):.1f}× to "
            f"{max(g_out(r) / g_scalar(r) for r in kern):.1f}× the scalar decoders (which "
            "return fresh arrays). Outputs of 16 MiB and more are written with non-temporal "
            "stores (quant/dequantize.cpp), which is why `out=` can beat the plain copy. "
            f"≥ {GOAL_GBPS:.0f} GB/s: {len(k_fast)} of {len(kern)}"
            + (f"; below it: {names(slow, lambda r: f'{g_out(r):.2f}')}"
               if len(k_fast) < len(kern) else "")
            + f". ≥ {GOAL_RATIO:.0f}× gguf-py: {len(k_ratio_ok)} of {len(kern)}"
            + (f"; missing it: {names(short, lambda r: f'{ratio(r):.0f}×')}"
               if len(k_ratio_ok) < len(kern) else "")
            + f"; both goals: {len(both)} of {len(kern)}. "
            f"Returning a fresh array (the plain `mwt.dequantize(...)` call) they run at "
            f"{g_fast(f_lo):.2f} ({f_lo['type']}) to {g_fast(f_hi):.2f} GB/s ({f_hi['type']}), "
            f"{min(ratio_fresh(r) for r in kern):.0f}× to {max(ratio_fresh(r) for r in kern):.0f}× "
            f"gguf-py ({sum(ratio_fresh(r) >= GOAL_RATIO for r in kern)} of {len(kern)} types "
            f"≥ {GOAL_RATIO:.0f}×). ")
        fr_ok = [r for r in kern if f_ratio(r) >= GOAL_FRESH]
        fr_low = [r for r in kern if r not in fr_ok]
        n_lo, n_hi = min(kern, key=g_new), max(kern, key=g_new)
        reading += (
            f"Fresh / out= (medians of alternated rounds): {min(f_ratio(r) for r in kern):.2f}–"
            f"{max(f_ratio(r) for r in kern):.2f}; ≥ {GOAL_FRESH:.0%}: {len(fr_ok)} of "
            f"{len(kern)}"
            + (f"; below it: {names(fr_low, lambda r: f'{f_ratio(r):.2f}')}"
               if len(fr_ok) < len(kern) else "")
            + ". On memory new to the process (the previous output still held) a fresh array "
            f"runs at {g_new(n_lo):.2f} ({n_lo['type']}) to {g_new(n_hi):.2f} GB/s "
            f"({n_hi['type']}), about what allocating and filling a fresh array once costs "
            f"(`np.empty(n).fill(1)`: {fill_gbps:.2f} GB/s): there the kernel's faulting-in and "
            "zeroing of the new pages, not the decoding, sets the speed (an inference from these "
            "measurements, not a profile). ")
        near = [r for r in kern if GOAL_RATIO / band <= ratio(r) <= GOAL_RATIO * band]
        if near:
            reading += (f"Ratios within a factor {band:g} of the {GOAL_RATIO:.0f}× line ("
                        + ", ".join(r["type"] for r in near) + ") can land on either side of it "
                        "from run to run" + (" on this loaded machine" if busy else "")
                        + "; treat their yes/no as unsettled. ")
    if rest:
        rest_ok = [r for r in rest if ratio(r) >= GOAL_RATIO]
        reading += (
            f"Without a kernel ({len(rest)} type{'s' if len(rest) != 1 else ''}) the scalar "
            f"decoders still run ({min(g_scalar(r) for r in rest):.2f}–"
            f"{max(g_scalar(r) for r in rest):.2f} GB/s); {len(rest_ok)} of {len(rest)} reach "
            f"≥ {GOAL_RATIO:.0f}× gguf-py anyway"
            + (f" ({', '.join(r['type'] for r in rest_ok)})" if rest_ok else "") + ". ")
    if rows:
        if mt_threads > 1:
            reading += (
                f"With the default {mt} into the same buffer: {min(g_mt(r) for r in rows):.2f}–"
                f"{max(g_mt(r) for r in rows):.2f} GB/s, "
                f"{min(g_mt(r) / g_out(r) for r in rows):.2f}"
                f"–{max(g_mt(r) / g_out(r) for r in rows):.2f}× one thread's; the gain is "
                "largest where one thread's decoding, not the store bandwidth, is the limit. ")
        else:
            reading += (
                "The default thread count was 1 here (one CPU, MWT_NUM_THREADS=1, or fewer than "
                "two threads' worth of 2^19 values), so the multi-thread column repeats the "
                "out= one. ")
    reading += (
        f"The gguf-py ratios compare a full-size mwt run with a {_fmt_values(small)}-value "
        "gguf-py run (its per-value cost is assumed not to grow with size); the single-thread "
        "columns ran on one pinned core and the multi-thread column at the default thread count "
        "only; no other CPU, thread count or data distribution was measured.")
    lines += ["", reading]
    return "\n".join(lines) + "\n"


def write_results(path: str, section: str) -> None:
    text = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
    block = f"{RESULTS_BEGIN}\n{section}{RESULTS_END}\n"
    if RESULTS_BEGIN in text and RESULTS_END in text:
        head, rest = text.split(RESULTS_BEGIN, 1)
        tail = rest.split(RESULTS_END, 1)[1]
        text = head + block + (tail[1:] if tail.startswith("\n") else tail)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(path, "w") as f:
        f.write(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    ap.add_argument("--values", type=int, default=DEFAULT_VALUES,
                    help="values per type, a multiple of 256 (default 2^26)")
    ap.add_argument("--types", default=None,
                    help="comma-separated ggml type names (default: every block type mwt "
                         "can dequantize)")
    ap.add_argument("--cpu", type=int, default=None,
                    help="CPU to pin to (default: the highest-numbered CPU allowed)")
    ap.add_argument("--write-results", metavar="MD", default=None,
                    help="replace (or append) the bench_dequant section of this markdown file")
    # Internal: time mwt only and print JSON (the MWT_FORCE_ISA=scalar child of scalar_child).
    ap.add_argument("--scalar-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.values <= 0 or args.values % 256:
        ap.error("--values must be a positive multiple of 256")

    load_start = os.getloadavg()
    all_cpus = os.sched_getaffinity(0)  # the multi-thread column runs on all of these
    cpu = args.cpu if args.cpu is not None else max(all_cpus)
    os.sched_setaffinity(0, {cpu})
    command = "python " + " ".join([os.path.relpath(__file__)] + sys.argv[1:])
    t_start = time.perf_counter()

    import mwt
    if args.scalar_child:
        import json
        times = {}
        for name in (t for t in args.types.split(",") if t):
            times[name] = time_mwt(name, args.values, np.random.default_rng(sum(map(ord, name))))
        print(json.dumps({"isa": mwt.active_isa(), "types": times}))
        return 0
    isa = mwt.active_isa()
    all_block = block_types()
    if args.types:
        wanted = [t.strip() for t in args.types.split(",") if t.strip()]
        unknown = [t for t in wanted if t not in all_block]
        if unknown:
            ap.error(f"not ggml block types: {', '.join(unknown)}")
    else:
        wanted = all_block
    skipped, to_run = [], []
    for name in wanted:
        if not mwt.can_dequantize(name):
            skipped.append((name, "mwt.can_dequantize is False"))
        elif name not in F16_FIELDS:
            skipped.append((name, "no scale-field table in this benchmark"))
        else:
            to_run.append(name)
    small = min(GGUF_SLICE_VALUES, args.values)
    mt_threads = max(1, min(default_threads(), args.values // PER_THREAD_VALUES))

    print(f"pinned to CPU {cpu}; load {load_start[0]:.2f}; {len(to_run)} types, "
          f"{args.values} values each; multi-thread column: {mt_threads} threads on CPUs "
          f"{sorted(all_cpus)}", file=sys.stderr)
    copy = bench_copy(args.values)
    print(f"copy: {gbps(args.values, copy['copyto_s']):.2f} GB/s (np.copyto), "
          f"{gbps(args.values, copy['fresh_s']):.2f} GB/s (fresh array)", file=sys.stderr)
    print("timing the scalar ISA in a child process (MWT_FORCE_ISA=scalar)", file=sys.stderr)
    scalar = scalar_child(to_run, args.values, cpu)
    rows = []
    out = np.empty(args.values, dtype=np.float32)
    out.fill(0)  # fault the pages in once; every type then reuses them
    for name in to_run:
        # Same seed as the child's time_mwt, so the same input bytes.
        rng = np.random.default_rng(sum(map(ord, name)))
        r = bench_type(name, args.values, small, rng, out, cpu, all_cpus)
        r["scalar_s"], scalar_digest = scalar[name]
        if scalar_digest != r["digest"]:
            raise SystemExit(f"FAIL: {name}: the scalar and {isa} outputs differ")
        r["kernel"] = isa == "avx2" and name in AVX2_KERNEL_TYPES
        rows.append(r)
        print(f"{name:8s} scalar {gbps(r['values'], r['scalar_s']):7.2f} GB/s   {isa} "
              f"{gbps(r['values'], r['mwt_s']):7.2f} GB/s   out= "
              f"{gbps(r['values'], r['out_s']):7.2f} GB/s   x{mt_threads} out= "
              f"{gbps(r['values'], r['mt_s']):7.2f} GB/s   gguf-py "
              f"{gbps(r['small'], r['gguf_s']):7.3f} GB/s   bit-exact on slice, outputs equal",
              file=sys.stderr)
    elapsed = time.perf_counter() - t_start
    section = render(rows, skipped, copy, args.values, small, machine(), command, cpu,
                     load_start, os.getloadavg(), elapsed, isa, all_cpus, mt_threads)
    print(section)
    if args.write_results:
        write_results(args.write_results, section)
        print(f"wrote the bench_dequant section of {args.write_results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
