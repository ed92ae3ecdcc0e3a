"""Deterministic cases for the differential run: ``make_case(case_id)`` always gives the same
file. A case is a seed (built by gen_gguf / gen_safetensors from the case's own random stream,
or one of the files the real writers produce, see ``writer_seeds``) plus one to three
mutations: structural ones on the seed model, then byte-level ones on the serialized bytes.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from . import gen_gguf, gen_safetensors

MASTER_SEED = "mwt-differential-1"
WRITER_SEED_NAMES = ["gguf_py.gguf", "mwt.gguf", "safetensors_np.safetensors", "mwt.safetensors"]

# Mutation names and weights per format ("count", "truncate", "flip", "splice" are byte-level).
GGUF_MUTATIONS = {"count": 10, "truncate": 6, "flip": 6, "splice": 2, "non_utf8": 5,
                  "duplicate": 4, "alignment": 5, "dtype": 6, "nested": 1, "bool": 2,
                  "shape": 6, "name_len": 2, "empty_key": 1, "offsets": 6, "version": 2,
                  "magic": 1, "trailing": 2}
ST_MUTATIONS = {"header_len": 6, "truncate": 5, "flip": 6, "splice": 2, "dtype": 6,
                "offsets": 8, "shape": 6, "fields": 5, "duplicate": 5, "metadata": 4,
                "depth": 3, "encoding": 5, "syntax": 5, "buffer": 5, "pad": 1}


@dataclass
class Case:
    case_id: int
    fmt: str  # "gguf" or "safetensors"
    seed: str
    mutations: List[str]
    data: bytes
    info: Dict[str, object] = field(default_factory=dict)

    @property
    def suffix(self) -> str:
        return ".gguf" if self.fmt == "gguf" else ".safetensors"

    def summary(self) -> str:
        done = ", ".join(self.mutations) or "none"
        return f"case {self.case_id} ({self.fmt}, seed {self.seed}: {done})"


def _pick(rng: random.Random, table: Dict[str, int]) -> List[str]:
    k = rng.choices([0, 1, 2, 3], weights=[2, 60, 28, 10])[0]
    return rng.choices(list(table), weights=list(table.values()), k=k)


def _byte_level(rng: random.Random, data: bytes, name: str,
                header_end: int) -> Tuple[bytes, str]:
    """Truncate, flip or splice ``data``; positions favour the first ``header_end`` bytes."""
    def pos() -> int:
        hi = header_end if rng.random() < 0.8 and header_end > 0 else len(data)
        return rng.randint(0, max(hi, 1) - 1) if data else 0
    if name == "truncate":
        cut = rng.choice([pos(), len(data) - 1, len(data) - rng.randint(1, 16), rng.randint(0, 8)])
        cut = max(0, min(cut, len(data)))
        return data[:cut], f"truncate:{cut}"
    if name == "flip":
        out = bytearray(data)
        n = rng.choice([1, 1, 2, 4, 8])
        for _ in range(n):
            if out:
                i = pos()
                out[i] = rng.choice([out[i] ^ (1 << rng.randrange(8)), 0, 0xFF, rng.randrange(256)])
        return bytes(out), f"flip:{n}"
    # splice: delete or insert a few bytes
    i = pos()
    if rng.random() < 0.5:
        return data[:i] + data[i + rng.randint(1, 8):], "splice:delete"
    return data[:i] + rng.randbytes(rng.randint(1, 8)) + data[i:], "splice:insert"


def _header_end(fmt: str, data: bytes) -> int:
    if fmt == "safetensors" and len(data) >= 8:
        return min(8 + int.from_bytes(data[:8], "little"), len(data))
    return min(len(data), 4096)


def make_case(case_id: int, writer_seeds: Optional[Dict[str, bytes]] = None) -> Case:
    rng = random.Random(f"{MASTER_SEED}:{case_id}")
    fmt = "gguf" if rng.random() < 0.5 else "safetensors"
    table = GGUF_MUTATIONS if fmt == "gguf" else ST_MUTATIONS
    names = _pick(rng, table)
    byte_names = {"truncate", "flip", "splice"}
    if writer_seeds and rng.random() < 0.1:
        # A real writer's file: byte-level mutations only (there is no model to edit).
        choices = [n for n in WRITER_SEED_NAMES if n.endswith(fmt) and n in writer_seeds]
        seed_name = rng.choice(choices)
        data, done = writer_seeds[seed_name], list[str]()
        names = [n for n in names if n in byte_names] or ([rng.choice(sorted(byte_names))]
                                                          if names else [])
        info: Dict[str, object] = {}
    elif fmt == "gguf":
        kind, model = gen_gguf.seed(rng)
        seed_name = f"gguf:{kind}"
        data, done = gen_gguf.apply(rng, model, names)
        info = gen_gguf.describe(model)
    else:
        kind, smodel = gen_safetensors.seed(rng)
        seed_name = f"safetensors:{kind}"
        data, done = gen_safetensors.apply(rng, smodel, names)
        info = {}
    for n in names:
        if n in byte_names:
            data, what = _byte_level(rng, data, n, _header_end(fmt, data))
            done.append(what)
    return Case(case_id, fmt, seed_name, done, data, info)


def writer_seeds(directory: str) -> Dict[str, bytes]:
    """Files from the real writers (gguf-py's GGUFWriter, safetensors.numpy, mwt's writers),
    written once into ``directory`` and returned by name. Deterministic: a fixed numpy seed."""
    import numpy as np

    os.makedirs(directory, exist_ok=True)
    paths = {n: os.path.join(directory, n) for n in WRITER_SEED_NAMES}
    if not all(os.path.exists(p) for p in paths.values()):
        import gguf
        from safetensors.numpy import save_file

        import mwt

        g = np.random.default_rng(1234)
        arrays: Dict[str, np.ndarray] = {
            "tok_embd.weight": g.standard_normal((4, 8)).astype(np.float32),
            "blk.0.attn_norm.weight": g.standard_normal(8).astype(np.float16),
            "blk.0.ids": g.integers(-100, 100, (2, 3), dtype=np.int32)}
        w = gguf.GGUFWriter(paths["gguf_py.gguf"], arch="llama")
        w.add_name("differential")
        w.add_key_value("test.tokens", ["a", "bé", ""], gguf.GGUFValueType.ARRAY,
                        sub_type=gguf.GGUFValueType.STRING)
        w.add_key_value("test.scores", [0.5, -1.0], gguf.GGUFValueType.ARRAY,
                        sub_type=gguf.GGUFValueType.FLOAT32)
        w.add_key_value("test.flag", True, gguf.GGUFValueType.BOOL)
        for name, a in arrays.items():
            w.add_tensor(name, a)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        mwt.save_gguf(paths["mwt.gguf"], arrays, {"general.architecture": "llama",
                                                   "test.count": 3, "test.ratio": 0.25})
        save_file(arrays, paths["safetensors_np.safetensors"], metadata={"format": "np"})
        mwt.save_safetensors(paths["mwt.safetensors"], arrays, {"format": "pt"})
    out = {}
    for n, p in paths.items():
        with open(p, "rb") as f:
            out[n] = f.read()
    return out
