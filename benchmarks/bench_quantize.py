"""Quantization throughput: mwt.quantize on one thread (MWT_NUM_THREADS=1, numpy single-threaded)
vs gguf-py's numpy ``gguf.quants.quantize`` on the same float32 input, for every block type
mwt encodes; the K-quants (which gguf-py cannot encode) are compared instead with mwt's scalar
reference encoder, in a child process started with MWT_FORCE_ISA=scalar (the ISA is fixed per
process; same input, its bytes' SHA-256 checked equal to this process's), and also timed on the
default thread count in a child process. Input: a fixed-seed normal(0, 0.02) float32 matrix of
ROWS x COLS (default 49152 x 576, the shape of SmolLM2's token_embd, 28.3 M values; the K-quants
encode the same values as rows of 256, since 576 is not whole super-blocks). For every type
gguf-py encodes, mwt's bytes are checked equal to gguf-py's. Each cell is the best of
--repeat runs. Then the whole-file ``mwt quantize --type Q4_K_M`` of a random F32 GGUF
(Llama-like shapes with rows of whole K-quant super-blocks, written with
mwt.save_gguf) is timed, best of --repeat runs.

    .venv/bin/python benchmarks/bench_quantize.py [--rows R] [--cols C] [--repeat K]
                                                  [--write-results benchmarks/RESULTS.md]
"""

from __future__ import annotations

import os
import sys

_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MWT_NUM_THREADS": "1"}
if "--child" not in sys.argv and any(os.environ.get(k) != v for k, v in _ENV.items()):
    os.environ.update(_ENV)
    os.execv(sys.executable, [sys.executable] + sys.argv)

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Dict, List  # noqa: E402

import numpy as np  # noqa: E402
from _bench import best_of  # noqa: E402

import mwt  # noqa: E402

LEGACY = ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"]
KQUANTS = ["Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"]


def make_input(rows: int, cols: int) -> np.ndarray:
    rng = np.random.default_rng(20261207)
    return (rng.standard_normal((rows, cols), dtype=np.float32) * np.float32(0.02))


def child(rows: int, cols: int, repeat: int) -> None:
    """K-quants on the default thread count; prints {type: seconds} as JSON."""
    x = make_input(rows, cols).reshape(-1, 256)
    print(json.dumps({t: best_of(lambda t=t: mwt.quantize(x, t), repeat) for t in KQUANTS}))


def scalar_child(rows: int, cols: int, repeat: int) -> None:
    """K-quants on one thread under MWT_FORCE_ISA=scalar; prints {type: [seconds, sha256]}."""
    if mwt.active_isa() != "scalar":
        raise SystemExit(f"the scalar child runs ISA {mwt.active_isa()}")
    x = make_input(rows, cols).reshape(-1, 256)
    print(json.dumps({t: [best_of(lambda t=t: mwt.quantize(x, t), repeat),
                          hashlib.sha256(mwt.quantize(x, t).tobytes()).hexdigest()]
                      for t in KQUANTS}))


def run_child(flag: str, env: Dict[str, str], rows: int, cols: int, repeat: int) -> dict:
    out = subprocess.run([sys.executable, __file__, flag, "--rows", str(rows), "--cols",
                          str(cols), "--repeat", str(repeat)], env=env, capture_output=True,
                         text=True)
    if out.returncode != 0:
        raise SystemExit(f"FAIL: the {flag} child failed:\n{out.stderr}")
    result: dict = json.loads(out.stdout)
    return result


def whole_file(repeat: int) -> Dict[str, object]:
    rng = np.random.default_rng(7)
    hidden, inter, vocab, kv, layers = 768, 2048, 32000, 256, 4
    tensors: Dict[str, np.ndarray] = {
        "token_embd.weight": rng.standard_normal((vocab, hidden), dtype=np.float32) * 0.02}
    for i in range(layers):
        for name, shape in (("attn_q", (hidden, hidden)), ("attn_k", (kv, hidden)),
                            ("attn_v", (kv, hidden)), ("attn_output", (hidden, hidden)),
                            ("ffn_gate", (inter, hidden)), ("ffn_up", (inter, hidden)),
                            ("ffn_down", (hidden, inter))):
            tensors[f"blk.{i}.{name}.weight"] = rng.standard_normal(shape, dtype=np.float32) * 0.02
        tensors[f"blk.{i}.attn_norm.weight"] = np.ones(hidden, dtype=np.float32)
        tensors[f"blk.{i}.ffn_norm.weight"] = np.ones(hidden, dtype=np.float32)
    tensors["output_norm.weight"] = np.ones(hidden, dtype=np.float32)
    meta = {"general.architecture": "llama", "llama.block_count": layers}
    params = sum(int(v.size) for v in tensors.values())
    with tempfile.TemporaryDirectory() as d:
        src, dst = Path(d) / "f32.gguf", Path(d) / "q4km.gguf"
        mwt.save_gguf(src, tensors, meta, metadata_types={"llama.block_count": "UINT32"})
        cli = Path(sys.executable).parent / "mwt"
        exe = [str(cli)] if cli.exists() else [sys.executable, "-m", "mwt"]
        env = dict(os.environ)
        env.pop("MWT_NUM_THREADS")
        cmd = exe + ["quantize", str(src), str(dst), "--type", "Q4_K_M", "--no-progress"]
        secs = best_of(lambda: subprocess.run(cmd, check=True, env=env,
                                              stdout=subprocess.DEVNULL), repeat)
    return {"params": params, "seconds": secs}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=49152)
    ap.add_argument("--cols", type=int, default=576)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--scalar-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--write-results", metavar="PATH")
    a = ap.parse_args()
    if a.child:
        child(a.rows, a.cols, a.repeat)
        return
    if a.scalar_child:
        scalar_child(a.rows, a.cols, a.repeat)
        return
    from gguf import GGMLQuantizationType, quants as gq

    x = make_input(a.rows, a.cols)
    n = x.size
    rows: List[List[str]] = []
    for t in LEGACY:
        ours = best_of(lambda t=t: mwt.quantize(x, t), a.repeat)
        qt = getattr(GGMLQuantizationType, t)
        theirs = best_of(lambda qt=qt: gq.quantize(x, qt), a.repeat)
        same = np.array_equal(mwt.quantize(x, t), gq.quantize(x, qt))
        rows.append([t, f"{ours * 1e3:.1f}", f"{theirs * 1e3:.1f}", f"{theirs / ours:.1f}×",
                     f"{n / ours / 1e6:.0f}", "yes" if same else "NO", "≥ 5× gguf-py"])
    env = dict(os.environ)
    env.pop("MWT_NUM_THREADS")
    threaded = run_child("--child", env, a.rows, a.cols, a.repeat)
    scalar = run_child("--scalar-child", dict(os.environ, MWT_FORCE_ISA="scalar"), a.rows, a.cols,
                       a.repeat)
    xk = x.reshape(-1, 256)  # the same values in rows of one K-quant super-block
    krows: List[List[str]] = []
    for t in KQUANTS:
        ours = best_of(lambda t=t: mwt.quantize(xk, t), a.repeat)
        ref_s, ref_digest = scalar[t]
        same = hashlib.sha256(mwt.quantize(xk, t).tobytes()).hexdigest() == ref_digest
        krows.append([t, f"{ours * 1e3:.1f}", f"{ref_s * 1e3:.1f}", f"{ref_s / ours:.1f}×",
                      f"{n / ours / 1e6:.1f}", f"{n / ref_s / 1e6:.1f}",
                      f"{n / threaded[t] / 1e6:.1f}", "yes" if same else "NO",
                      "≥ 15 M/s per thread"])
    wf = whole_file(a.repeat)
    lines = [
        "| type | mwt ms (1 thread) | gguf-py ms | gguf-py / mwt | mwt M values/s (1 thread) "
        "| bytes = gguf-py | goal |",
        "|---|---:|---:|---:|---:|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += [
        "",
        f"K-quants (no numpy oracle): mwt ({mwt.active_isa()}) against mwt's scalar reference "
        "encoder (MWT_FORCE_ISA=scalar child), both on one thread, input in rows of 256.",
        "",
        "| type | mwt ms (1 thread) | scalar ms | scalar / mwt | mwt M values/s (1 thread) "
        "| scalar M values/s | mwt M values/s (default threads) | bytes = scalar | goal |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in krows]
    lines.append("")
    lines.append(f"Whole file: `mwt quantize --type Q4_K_M` of a random F32 GGUF "
                 f"({wf['params'] / 1e6:.1f} M params, Llama-like shapes, 4 layers, hidden 768, "
                 f"vocab 32000: rows of whole super-blocks), "
                 f"default threads: {float(wf['seconds']):.2f} s best of {a.repeat} "
                 f"({float(wf['params']) / float(wf['seconds']) / 1e6:.1f} M params/s).")
    text = "\n".join(lines)
    print(text)
    if a.write_results:
        import gguf
        head = (f"\n## bench_quantize: float32 -> block types, {a.rows} x {a.cols} "
                f"normal(0, 0.02) values\n\n"
                f"Command: `.venv/bin/python benchmarks/bench_quantize.py --rows {a.rows} "
                f"--cols {a.cols} --repeat {a.repeat} --write-results benchmarks/RESULTS.md`  \n"
                f"Machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
                f"Linux {platform.release()}  \n"
                f"Versions: python {platform.python_version()}, mwt {mwt.__version__}, "
                f"gguf {gguf.__version__ if hasattr(gguf, '__version__') else '?'}, "
                f"numpy {np.__version__}; ISA {mwt.active_isa()}  \n"
                f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  \n"
                f"Load average before the run: {os.getloadavg()[0]:.2f}\n\n"
                "Single-thread cells: MWT_NUM_THREADS=1 and numpy single-threaded; each cell "
                "is the best of the repeats. The default-threads column is a child process "
                "without MWT_NUM_THREADS; the scalar column a child with MWT_FORCE_ISA=scalar."
                "\n\n")
        with open(a.write_results, "a", encoding="utf-8") as f:
            f.write(head + text + "\n")


if __name__ == "__main__":
    main()
