"""Open-time benchmark: mwt.open vs gguf-py GGUFReader vs safetensors.safe_open on a sparse
LLaMA-3-70B-shaped GGUF (Q4_K matrices, ~40 GB apparent) and a sparse 30-shard BF16 safetensors
checkpoint (~141 GB apparent), plus the same tensor names with tiny shapes. Each measurement runs
in a fresh subprocess so peak RSS is per tool. The sparse files live in a temp dir, deleted after.
A second table (``--only keys`` runs just that one): GGUF headers of 200,000 and 20,000 UINT32
keys, open + read one key, mwt vs gguf-py, with the Python memory (tracemalloc) one such
operation allocates.

    .venv/bin/python benchmarks/bench_open.py [--only {all,open,keys}] [--write-results MD]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# LLaMA-3-70B: 80 layers, hidden 8192, 64 heads (head_dim 128), 8 KV heads, FFN 28672.
LAYERS, HIDDEN, HEADS, KV_HEADS, FFN, VOCAB = 80, 8192, 64, 8, 28672, 128256
KV_DIM = HIDDEN // HEADS * KV_HEADS
N_MERGES = 280147  # Llama-3's BPE merge count: the tokenizer is most of a real header
SHARD_BYTES = 5 * 10**9  # transformers' default max_shard_size for this model
Q4_K_BLOCK, Q4_K_BYTES = 256, 144
RESULTS_BEGIN, RESULTS_END = "<!-- bench_open:begin -->", "<!-- bench_open:end -->"
KEYS_BEGIN, KEYS_END = "<!-- bench_open_keys:begin -->", "<!-- bench_open_keys:end -->"
MANY_KEYS = {"keys-200k": 200_000, "keys-20k": 20_000}
ONE_KEY = "bench.key.012345"  # present in both files


# ------------------------------------------------------------------------------------- layout

def layer_tensors(tiny: bool):
    """(hf_name, gguf_name, numpy shape) in checkpoint order; tiny keeps names, shrinks shapes."""
    def m(rows, cols):
        return (2, Q4_K_BLOCK) if tiny else (rows, cols)
    vec = (Q4_K_BLOCK,) if tiny else (HIDDEN,)
    out = [("model.embed_tokens.weight", "token_embd.weight", m(VOCAB, HIDDEN))]
    for i in range(LAYERS):
        h, g = f"model.layers.{i}.", f"blk.{i}."
        out += [
            (h + "input_layernorm.weight", g + "attn_norm.weight", vec),
            (h + "self_attn.q_proj.weight", g + "attn_q.weight", m(HIDDEN, HIDDEN)),
            (h + "self_attn.k_proj.weight", g + "attn_k.weight", m(KV_DIM, HIDDEN)),
            (h + "self_attn.v_proj.weight", g + "attn_v.weight", m(KV_DIM, HIDDEN)),
            (h + "self_attn.o_proj.weight", g + "attn_output.weight", m(HIDDEN, HIDDEN)),
            (h + "post_attention_layernorm.weight", g + "ffn_norm.weight", vec),
            (h + "mlp.gate_proj.weight", g + "ffn_gate.weight", m(FFN, HIDDEN)),
            (h + "mlp.up_proj.weight", g + "ffn_up.weight", m(FFN, HIDDEN)),
            (h + "mlp.down_proj.weight", g + "ffn_down.weight", m(HIDDEN, FFN)),
        ]
    out += [("model.norm.weight", "output_norm.weight", vec),
            ("lm_head.weight", "output.weight", m(VOCAB, HIDDEN))]
    return out


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def build_gguf(path: str, tiny: bool) -> None:
    """Header and tensor infos through gguf-py's writer; the data section is a hole."""
    import numpy as np
    from gguf import GGMLQuantizationType as QT, GGUFValueType as VT, GGUFWriter

    w = GGUFWriter(path, arch="llama")
    w.add_type("model")
    w.add_name("Llama-3-70B-shaped synthetic")
    w.add_size_label("70B")
    w.add_block_count(LAYERS)
    w.add_context_length(8192)
    w.add_embedding_length(HIDDEN)
    w.add_feed_forward_length(FFN)
    w.add_head_count(HEADS)
    w.add_head_count_kv(KV_HEADS)
    w.add_rope_freq_base(500000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(14)  # MOSTLY_Q4_K_S: every matrix here is Q4_K
    w.add_vocab_size(VOCAB)
    w.add_rope_dimension_count(HIDDEN // HEADS)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("llama-bpe")
    w.add_token_list([f"tok{i}" for i in range(VOCAB)])
    w.add_key_value("tokenizer.ggml.token_type", [1] * VOCAB, VT.ARRAY, sub_type=VT.INT32)
    w.add_token_merges([f"m{i} n{i}" for i in range(N_MERGES)])
    w.add_bos_token_id(128000)
    w.add_eos_token_id(128009)
    w.add_chat_template("{% for message in messages %}{{ message['content'] }}{% endfor %}" * 8)
    w.add_quantization_version(2)
    total = 0
    for _hf, name, shape in layer_tensors(tiny):
        if len(shape) == 1:
            dtype, nbytes = QT.F32, 4 * shape[0]
        else:
            dtype, nbytes = QT.Q4_K, _numel(shape) // Q4_K_BLOCK * Q4_K_BYTES
        w.add_tensor_info(name, shape, np.dtype(np.float32), nbytes, raw_dtype=dtype)
        total += GGUFWriter.ggml_pad(nbytes, w.data_alignment)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    end_of_infos = w.fout[0].tell()
    w.close()
    os.truncate(path, GGUFWriter.ggml_pad(end_of_infos, 32) + total)


def build_many_keys(path: str, n: int) -> None:
    """A GGUF whose header is n UINT32 keys (plus general.architecture), through gguf-py."""
    from gguf import GGUFWriter

    w = GGUFWriter(path, arch="llama")
    for i in range(n):
        w.add_uint32(f"bench.key.{i:06d}", i)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    w.close()


def build_safetensors(root: str, tiny: bool) -> None:
    """HF-style shards (BF16, names sorted in each shard) + index; shard assignment follows the
    full-size checkpoint so the tiny variant has the same names in the same files."""
    shards, current, size = [], [], 0
    for hf, _g, shape in layer_tensors(tiny=False):
        nbytes = 2 * _numel(shape)
        if current and size + nbytes > SHARD_BYTES:
            shards.append(current)
            current, size = [], 0
        current.append(hf)
        size += nbytes
    shards.append(current)
    shapes = {hf: shape for hf, _g, shape in layer_tensors(tiny)}
    weight_map, total = {}, 0
    for i, names in enumerate(shards):
        fname = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        header, offset = {"__metadata__": {"format": "pt"}}, 0
        for name in sorted(names):
            nbytes = 2 * _numel(shapes[name])
            header[name] = {"dtype": "BF16", "shape": list(shapes[name]),
                            "data_offsets": [offset, offset + nbytes]}
            offset += nbytes
            weight_map[name] = fname
        raw = json.dumps(header, separators=(",", ":")).encode()
        raw += b" " * (-(8 + len(raw)) % 8)
        path = os.path.join(root, fname)
        with open(path, "wb") as f:
            f.write(len(raw).to_bytes(8, "little") + raw)
        os.truncate(path, 8 + len(raw) + offset)
        total += offset
    with open(os.path.join(root, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f)


# ------------------------------------------------------------------------------------ workers

def _open_list_read(tool: str, path: str):
    """One timed operation: open, list every tensor (name, dtype, shape), read one key."""
    if tool == "mwt":
        import mwt
        with mwt.open(path) as wf:
            listing = [(n, t.dtype, t.shape) for n, t in wf.tensors.items()]
            key = "general.architecture" if wf.format == "gguf" else "format"
            value = wf.metadata[key]
    elif tool == "gguf-py":
        from gguf import GGUFReader
        r = GGUFReader(path)
        listing = [(t.name, t.tensor_type.name, tuple(reversed(t.shape.tolist())))
                   for t in r.tensors]
        value = r.get_field("general.architecture").contents()
    elif tool == "safe_open":
        from safetensors import safe_open
        with open(os.path.join(path, "model.safetensors.index.json")) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
        listing, value = [], None
        for fname in files:
            with safe_open(os.path.join(path, fname), framework="np") as f:
                for n in f.keys():
                    sl = f.get_slice(n)
                    listing.append((n, sl.get_dtype(), tuple(sl.get_shape())))
                value = value or f.metadata()["format"]
    else:
        raise ValueError(tool)
    return listing, value


def _open_read_key(tool: str, path: str):
    """One timed operation of the keys table: open, read one key (ONE_KEY)."""
    if tool == "mwt":
        import mwt
        with mwt.open(path) as wf:
            value = wf.metadata[ONE_KEY]
    elif tool == "gguf-py":
        from gguf import GGUFReader
        value = GGUFReader(path).get_field(ONE_KEY).contents()
    else:
        raise ValueError(tool)
    return [], int(value)


def _vm_hwm_kib() -> int:
    """Peak resident set of this process image (VmHWM). Unlike ru_maxrss, which Linux carries
    over from the parent across fork+exec, it starts afresh in the exec'd interpreter."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def worker(tool: str, path: str, budget: float, op: str = "open") -> None:
    # Import outside the timed region: the comparison is open cost, not interpreter start-up.
    # numpy is imported for every tool (mwt and safe_open(framework="np") use it), so the RSS
    # baselines are alike.
    import numpy  # noqa: F401
    if tool == "mwt":
        import mwt  # noqa: F401
    elif tool == "gguf-py":
        import gguf  # noqa: F401
    else:
        import safetensors  # noqa: F401
    run = _open_read_key if op == "keys" else _open_list_read
    base = _vm_hwm_kib()
    times, start = [], time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < budget and len(times) < 50):
        t0 = time.perf_counter()
        listing, value = run(tool, path)
        times.append(time.perf_counter() - t0)
    peak = _vm_hwm_kib()
    out = {"times": times, "rss_base_kib": base, "rss_peak_kib": peak,
           "tensors": len(listing), "value": value}
    if op == "keys":  # Python memory of one more operation, after the timed ones
        import tracemalloc
        tracemalloc.start()
        run(tool, path)
        out["py_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(json.dumps(out))


def measure(tool: str, path: str, budget: float, op: str = "open") -> dict:
    res = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", tool, path,
                          "--budget", str(budget), "--op", op],
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------- report

def machine() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
            cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass
    versions = {"python": platform.python_version()}
    for mod in ("mwt", "gguf", "safetensors", "numpy"):
        try:
            from importlib.metadata import version
            versions[mod] = version(mod)
        except Exception:  # a package without metadata still runs; say so in the report
            versions[mod] = "unknown"
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "versions": versions}


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def render(rows: list[dict], info: dict, sizes: dict, command: str) -> str:
    med = {(r["tool"], r["file"]): statistics.median(r["times"]) for r in rows}
    lines = [
        "## bench_open: open + list all tensors + read one metadata key",
        "",
        f"Command: `{command}`  ",
        f"Machine: {info['nproc']} CPUs, {info['cpu']}, Linux {info['kernel']}  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()) + "  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        "",
        "Files (sparse: apparent size, blocks actually on disk):",
        "",
    ]
    lines += [f"- `{k}`: {v['desc']}; {v['apparent'] / 1e9:.2f} GB apparent, "
              f"{v['disk'] / 2**20:.1f} MiB on disk" for k, v in sizes.items()]
    lines += [
        "",
        "Each measurement is one fresh subprocess (imports done before timing, then ≥3 "
        "repetitions within a time budget, at most 50). The mwt and safe_open cells run in "
        "several rounds, in alternating order, and their times are pooled (gguf-py, seconds "
        "per run, runs one round); time is the median of the pooled runs; RSS is the largest "
        "process peak (VmHWM) of a cell's rounds, Δ that peak minus the RSS right after "
        "imports.",
        "",
        "| tool | file | tensors | median ms | min ms | rounds | runs | peak RSS MiB "
        "| Δ RSS MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['tool']} | {r['file']} | {r['tensors']} | "
                     f"{1e3 * statistics.median(r['times']):.2f} | {1e3 * min(r['times']):.2f} | "
                     f"{r['rounds']} | {len(r['times'])} | {_mib(r['rss_peak_kib'])} | "
                     f"{_mib(r['rss_peak_kib'] - r['rss_base_kib'])} |")
    mwt_rss = max(r["rss_peak_kib"] for r in rows if r["tool"] == "mwt")

    def ratio(a, b):
        return med[b] / med[a]
    checks = [
        ("gguf-py / mwt, 70B GGUF", ratio(("mwt", "gguf-70b"), ("gguf-py", "gguf-70b")), "≥ 50×"),
        ("safe_open / mwt, 70B shards",
         ratio(("mwt", "st-70b"), ("safe_open", "st-70b")), "≥ 2×"),
        ("mwt 70B / tiny, GGUF", med[("mwt", "gguf-70b")] / med[("mwt", "gguf-tiny")], "≈ 1"),
        ("mwt 70B / tiny, shards", med[("mwt", "st-70b")] / med[("mwt", "st-tiny")], "≈ 1"),
    ]
    lines += ["", "| ratio | value | goal |", "|---|---:|---|"]
    lines += [f"| {name} | {v:.1f}× | {goal} |" for name, v, goal in checks]
    lines += [f"| mwt peak RSS (whole process) | {_mib(mwt_rss)} MiB | < 64 MiB |"]
    return "\n".join(lines) + "\n"


def render_keys(rows: list[dict], info: dict, sizes: dict, command: str) -> str:
    med = {(r["tool"], r["file"]): statistics.median(r["times"]) for r in rows}
    py = {(r["tool"], r["file"]): r["py_peak_bytes"] for r in rows}
    lines = [
        "## bench_open (keys): open + read one metadata key of a header with many keys",
        "",
        f"Command: `{command}`  ",
        f"Machine: {info['nproc']} CPUs, {info['cpu']}, Linux {info['kernel']}  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()) + "  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        "",
        "Files (written by gguf-py's GGUFWriter in a temp dir, deleted after): "
        + "; ".join(f"`{k}`: {n:,} UINT32 keys + general.architecture, "
                    f"{sizes[k] / 2**20:.1f} MiB" for k, n in MANY_KEYS.items()) + ".",
        "",
        f"Operation: open the file, read `{ONE_KEY}`. Timing and RSS as in the table above "
        "(fresh subprocess per cell, mwt cells pooled over alternating rounds); *py alloc* is "
        "the peak of Python allocations (tracemalloc) during one more operation after the "
        "timed ones.",
        "",
        "| tool | file | median ms | min ms | rounds | runs | peak RSS MiB | Δ RSS MiB "
        "| py alloc KiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['tool']} | {r['file']} | {1e3 * statistics.median(r['times']):.2f} | "
                     f"{1e3 * min(r['times']):.2f} | {r['rounds']} | {len(r['times'])} | "
                     f"{_mib(r['rss_peak_kib'])} | "
                     f"{_mib(r['rss_peak_kib'] - r['rss_base_kib'])} | "
                     f"{r['py_peak_bytes'] / 1024:.1f} |")
    big, small = ("mwt", "keys-200k"), ("mwt", "keys-20k")
    lines += ["", "| check | value | goal |", "|---|---:|---|",
              f"| mwt open + one key, 200k keys | {1e3 * med[big]:.1f} ms | < 50 ms |",
              f"| gguf-py / mwt, 200k keys | {med[('gguf-py', 'keys-200k')] / med[big]:.1f}× "
              "| — |",
              f"| mwt py alloc, 200k / 20k keys | {py[big] / 1024:.1f} / {py[small] / 1024:.1f} "
              "KiB | independent of key count |",
              f"| mwt time, 200k / 20k keys | {med[big] / med[small]:.1f}× | — (native parse) |"]
    return "\n".join(lines) + "\n"


def run_keys(tmp: str, args, command: str) -> str:
    paths = {k: os.path.join(tmp, f"{k}.gguf") for k in MANY_KEYS}
    t0 = time.perf_counter()
    for k, n in MANY_KEYS.items():
        build_many_keys(paths[k], n)
    print(f"built many-key files in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    plan = [(tool, k) for k in MANY_KEYS for tool in ("mwt", "gguf-py")]
    fast = [c for c in plan if c[0] == "mwt"]
    schedule = [[c] for c in plan if c[0] == "gguf-py"]
    schedule += [fast if i % 2 == 0 else fast[::-1] for i in range(args.rounds)]
    pooled: dict = {}
    for cells in schedule:
        for tool, key in cells:
            r = measure(tool, paths[key], args.budget, op="keys")
            if r["value"] != int(ONE_KEY.rsplit(".", 1)[1]):
                raise SystemExit(f"{tool} read {r['value']} for {ONE_KEY} in {key}")
            acc = pooled.setdefault((tool, key), {"times": [], "rss_peak_kib": -1,
                                                   "rss_base_kib": 0, "rounds": 0,
                                                   "py_peak_bytes": 0})
            acc["times"] += r["times"]
            acc["rounds"] += 1
            acc["py_peak_bytes"] = max(acc["py_peak_bytes"], r["py_peak_bytes"])
            if r["rss_peak_kib"] > acc["rss_peak_kib"]:
                acc["rss_peak_kib"], acc["rss_base_kib"] = r["rss_peak_kib"], r["rss_base_kib"]
            print(f"{tool:10s} {key:10s} median {1e3 * statistics.median(r['times']):9.2f} ms  "
                  f"py alloc {r['py_peak_bytes'] / 1024:.1f} KiB", file=sys.stderr)
    rows = [dict(pooled[c], tool=c[0], file=c[1]) for c in plan]
    return render_keys(rows, machine(), {k: os.path.getsize(p) for k, p in paths.items()},
                       command)


def write_results(path: str, section: str, begin: str = RESULTS_BEGIN,
                  end: str = RESULTS_END) -> None:
    text = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
    block = f"{begin}\n{section}{end}\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1].lstrip("\n")
    elif begin == KEYS_BEGIN and RESULTS_END in text:  # right after the open table's notes
        head, rest = text.split(RESULTS_END, 1)
        cut = rest.find("\n<!-- ")
        cut = len(rest) if cut < 0 else cut + 1
        text = head + RESULTS_END + rest[:cut].rstrip("\n") + "\n\n" + block + "\n" + rest[cut:]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(path, "w") as f:
        f.write(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", nargs=2, metavar=("TOOL", "PATH"), help=argparse.SUPPRESS)
    ap.add_argument("--op", default="open", choices=("open", "keys"), help=argparse.SUPPRESS)
    ap.add_argument("--only", default="all", choices=("all", "open", "keys"),
                    help="run both tables (default), or only the open or the many-keys one")
    ap.add_argument("--budget", type=float, default=1.0,
                    help="seconds of repetitions per cell and round after the first three "
                         "(default 1)")
    ap.add_argument("--rounds", type=int, default=5,
                    help="rounds of the mwt and safe_open cells, pooled (default 5)")
    ap.add_argument("--tmp", default=None, help="parent of the temp dir for the sparse files")
    ap.add_argument("--write-results", metavar="MD", default=None,
                    help="replace the bench_open section of this markdown file")
    args = ap.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1], args.budget, args.op)
        return 0

    command = "python " + " ".join([os.path.relpath(__file__)] + sys.argv[1:])
    tmp = tempfile.mkdtemp(prefix="mwt-bench-open-", dir=args.tmp)
    try:
        if args.only in ("all", "open"):
            run_open(tmp, args, command)
        if args.only in ("all", "keys"):
            section = run_keys(tmp, args, command)
            print(section)
            if args.write_results:
                write_results(args.write_results, section, KEYS_BEGIN, KEYS_END)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def run_open(tmp: str, args, command: str) -> None:
    paths = {"gguf-70b": os.path.join(tmp, "llama70b-q4k.gguf"),
             "gguf-tiny": os.path.join(tmp, "llama70b-names-tiny.gguf"),
             "st-70b": os.path.join(tmp, "st-70b"), "st-tiny": os.path.join(tmp, "st-tiny")}
    t0 = time.perf_counter()
    build_gguf(paths["gguf-70b"], tiny=False)
    build_gguf(paths["gguf-tiny"], tiny=True)
    for key in ("st-70b", "st-tiny"):
        os.mkdir(paths[key])
        build_safetensors(paths[key], tiny=key == "st-tiny")
    print(f"built sparse files in {time.perf_counter() - t0:.1f} s under {tmp}",
          file=sys.stderr)
    sizes = {}
    for key, p in paths.items():
        files = ([os.path.join(p, f) for f in os.listdir(p)] if os.path.isdir(p) else [p])
        st = [os.stat(f) for f in files]
        desc = {"gguf-70b": "723 tensors, Q4_K matrices + F32 norms, Llama-3 tokenizer",
                "gguf-tiny": "same names and metadata, tiny shapes",
                "st-70b": f"{len(files) - 1} BF16 shards + index",
                "st-tiny": "same names and shards, tiny shapes"}[key]
        sizes[key] = {"apparent": sum(s.st_size for s in st),
                      "disk": sum(s.st_blocks * 512 for s in st), "desc": desc}
    plan = [("mwt", "gguf-70b"), ("gguf-py", "gguf-70b"), ("mwt", "gguf-tiny"),
            ("gguf-py", "gguf-tiny"), ("mwt", "st-70b"), ("safe_open", "st-70b"),
            ("mwt", "st-tiny"), ("safe_open", "st-tiny")]
    # The fast cells run in `rounds` rounds, alternating their order, and pool their times:
    # on a VM whose speed drifts over seconds, one subprocess per cell would let a slow
    # spell land on one tool only. gguf-py (seconds per run) runs one round.
    pooled: dict = {}
    fast = [c for c in plan if c[0] != "gguf-py"]
    schedule = [[c] for c in plan if c[0] == "gguf-py"]
    schedule += [fast if i % 2 == 0 else fast[::-1] for i in range(args.rounds)]
    for cells in schedule:
        for tool, key in cells:
            r = measure(tool, paths[key], args.budget)
            acc = pooled.setdefault((tool, key), {"times": [], "rss_peak_kib": -1,
                                                   "rss_base_kib": 0, "rounds": 0,
                                                   "tensors": r["tensors"]})
            acc["times"] += r["times"]
            acc["rounds"] += 1
            if r["tensors"] != acc["tensors"]:
                raise SystemExit(f"{tool} listed {r['tensors']} tensors in {key} in one "
                                 f"round and {acc['tensors']} in another")
            if r["rss_peak_kib"] > acc["rss_peak_kib"]:
                acc["rss_peak_kib"], acc["rss_base_kib"] = r["rss_peak_kib"], r["rss_base_kib"]
            print(f"{tool:10s} {key:10s} median {1e3 * statistics.median(r['times']):9.2f} ms  "
                  f"peak RSS {_mib(r['rss_peak_kib'])} MiB", file=sys.stderr)
    rows = []
    for tool, key in plan:
        r = pooled[(tool, key)]
        r.update(tool=tool, file=key)
        rows.append(r)
    # Every tool must have listed every tensor, or the timing compares different work.
    expected = len(layer_tensors(tiny=False))
    for r in rows:
        if r["tensors"] != expected:
            raise SystemExit(f"{r['tool']} listed {r['tensors']} of {expected} tensors "
                             f"in {r['file']}")
    section = render(rows, machine(), sizes, command)
    print(section)
    if args.write_results:
        write_results(args.write_results, section)


if __name__ == "__main__":
    sys.exit(main())
