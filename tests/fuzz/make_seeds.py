"""Seed corpora for the fuzz targets, written by the reference writers (gguf-py, safetensors)
and by mwt itself, so fuzzing starts from real files: python make_seeds.py OUT_DIR."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np


def gguf_seeds(out: Path) -> None:
    from gguf import GGMLQuantizationType as QT, GGUFWriter

    rng = np.random.default_rng(0)
    for i, (n_kv, n_t) in enumerate([(0, 0), (3, 1), (8, 3)]):
        path = out / f"gguf_{i}.gguf"
        w = GGUFWriter(str(path), arch="llama")
        for k in range(n_kv):
            w.add_uint32(f"k.u32.{k}", k)
        w.add_array("k.strs", ["a", "bc", ""])
        w.add_array("k.ints", [1, 2, 3])
        w.add_float32("k.f32", 1.5)
        w.add_bool("k.bool", True)
        w.add_string("k.str", "hello")
        for t in range(n_t):
            w.add_tensor(f"t{t}", rng.standard_normal((2, 4)).astype(np.float32))
        if n_t:
            w.add_tensor("q", rng.integers(0, 256, (1, 34), dtype=np.uint8), raw_dtype=QT.Q8_0)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()


def safetensors_seeds(out: Path) -> None:
    from safetensors.numpy import save_file

    rng = np.random.default_rng(0)
    save_file({}, str(out / "st_empty.safetensors"))
    save_file(
        {
            "a": rng.standard_normal((2, 3)).astype(np.float32),
            "b": np.arange(5, dtype=np.int64),
            "c": np.zeros((0, 2), np.float16),
            "d": np.array(True),
        },
        str(out / "st_mixed.safetensors"),
        metadata={"format": "pt"},
    )
    # Hand-made headers for dtypes numpy lacks (BF16, F8, F4, F6).
    entries, off = {}, 0
    for name, dt, shape, nbytes in [
        ("bf", "BF16", [2], 4),
        ("f8", "F8_E4M3", [3], 3),
        ("f4", "F4", [4], 2),
        ("f6", "F6_E2M3", [4], 3),
    ]:
        entries[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + nbytes]}
        off += nbytes
    header = json.dumps(entries).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    (out / "st_exotic.safetensors").write_bytes(
        struct.pack("<Q", len(header)) + header + bytes(off)
    )


def main() -> None:
    out = Path(sys.argv[1])
    for target, fn in [("gguf", gguf_seeds), ("safetensors", safetensors_seeds)]:
        d = out / target
        d.mkdir(parents=True, exist_ok=True)
        fn(d)
    sniff = out / "sniffer"
    sniff.mkdir(parents=True, exist_ok=True)
    for src in list((out / "gguf").iterdir()) + list((out / "safetensors").iterdir()):
        (sniff / src.name).write_bytes(src.read_bytes()[:4096])
    (sniff / "index.json").write_text(
        json.dumps(
            {"metadata": {"total_size": 8}, "weight_map": {"a": "model-00001-of-00001.safetensors"}}
        )
    )
    (sniff / "npy").write_bytes(
        b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
    )
    (sniff / "zip").write_bytes(b"PK\x05\x06" + bytes(18))


if __name__ == "__main__":
    main()
