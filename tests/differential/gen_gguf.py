"""GGUF cases: a structured seed model, a serializer that labels every field it writes, and the
mutations (structural ones on the model, byte-level ones on the labelled pieces).

The layout written is the one docs/gguf.md#layout describes (and gguf-py's writer produces):
magic, version, counts, key-value pairs, tensor infos, padding to the alignment, tensor data
each padded to the alignment. Every choice comes from the case's ``random.Random``.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

# Value types (docs/gguf.md#value-types): id -> struct format of one scalar.
SCALAR_FMT = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<B",
              10: "<Q", 11: "<q", 12: "<d"}
STRING, ARRAY, BOOL = 8, 9, 7
# ggml type id -> (block elements, block bytes), docs/quant-blocks.md#type-ids.
GGML_TYPES = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24),
              8: (32, 34), 9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144),
              13: (256, 176), 14: (256, 210), 15: (256, 292), 16: (256, 66), 17: (256, 74),
              18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82),
              23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8),
              29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17),
              40: (64, 36), 41: (128, 18), 42: (64, 18)}
# Seed tensor types: those both readers agree on the size of (not Q8_1, not Q2_0).
SEED_TYPES = [0, 1, 2, 3, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
              24, 25, 26, 27, 28, 29, 30, 34, 35, 39, 40, 41]
HUGE = [2**64 - 1, 2**63, 2**63 - 1, 2**62, 2**32, 2**32 - 1, 2**31, 0x1D1D1D1D1D1D1D1D,
        2**20 + 1, 2**40]


@dataclass
class Value:
    """A GGUF value: ``vtype`` is the type id written; ``raw`` the scalar bytes, ``text`` the
    string bytes, ``etype``/``items`` the array element type and elements."""
    vtype: int
    raw: bytes = b""
    text: bytes = b""
    etype: int = 0
    items: List[Value] = field(default_factory=list)


@dataclass
class TensorInfo:
    name: bytes
    dims: List[int]  # ne order (innermost first)
    ttype: int
    data: bytes
    offset: Optional[int] = None  # None: contiguous (PAD of the previous sizes)


@dataclass
class GgufModel:
    kvs: List[Tuple[bytes, Value]]
    tensors: List[TensorInfo]
    version: int = 3
    magic: bytes = b"GGUF"
    alignment: int = 32  # the layout's alignment (general.alignment, when written, says it)
    trailing: bytes = b""
    n_tensors: Optional[int] = None
    n_kv: Optional[int] = None


Piece = Tuple[str, bytes]  # (label, bytes): "n_kv", "kv[2].key.len", "t[0].dim[1]", ...


def _u32(v: int) -> bytes:
    return struct.pack("<I", v & 0xFFFFFFFF)


def _u64(v: int) -> bytes:
    return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


def _pad(x: int, a: int) -> int:
    return x + (a - x % a) % a


def _value_pieces(label: str, v: Value, out: List[Piece]) -> None:
    if v.vtype == STRING:
        out += [(label + ".len", _u64(len(v.text))), (label + ".str", v.text)]
    elif v.vtype == ARRAY:
        out += [(label + ".etype", _u32(v.etype)), (label + ".count", _u64(len(v.items)))]
        for j, item in enumerate(v.items):
            _value_pieces(f"{label}[{j}]", item, out)
    else:
        out.append((label + ".raw", v.raw))


def serialize(m: GgufModel) -> List[Piece]:
    out: List[Piece] = [("magic", m.magic), ("version", _u32(m.version)),
                        ("n_tensors", _u64(len(m.tensors) if m.n_tensors is None else m.n_tensors)),
                        ("n_kv", _u64(len(m.kvs) if m.n_kv is None else m.n_kv))]
    for i, (key, v) in enumerate(m.kvs):
        out += [(f"kv[{i}].key.len", _u64(len(key))), (f"kv[{i}].key.str", key),
                (f"kv[{i}].type", _u32(v.vtype))]
        _value_pieces(f"kv[{i}].value", v, out)
    a = m.alignment
    offsets, pos = [], 0
    for t in m.tensors:
        offsets.append(pos if t.offset is None else t.offset)
        pos = _pad((pos if t.offset is None else t.offset) + len(t.data), a)
    for i, t in enumerate(m.tensors):
        out += [(f"t[{i}].name.len", _u64(len(t.name))), (f"t[{i}].name.str", t.name),
                (f"t[{i}].ndims", _u32(len(t.dims)))]
        out += [(f"t[{i}].dim[{k}]", _u64(d)) for k, d in enumerate(t.dims)]
        out += [(f"t[{i}].type", _u32(t.ttype)), (f"t[{i}].offset", _u64(offsets[i]))]
    head = sum(len(b) for _, b in out)
    if m.tensors:
        out.append(("pad.header", b"\0" * (_pad(head, a) - head)))
    end = 0
    for i, t in enumerate(m.tensors):  # data at the declared offsets (gaps zero-filled)
        if offsets[i] > end:
            out.append((f"data.gap{i}", b"\0" * min(offsets[i] - end, 1 << 16)))
            end = offsets[i]
        out.append((f"data[{i}]", t.data))
        end += len(t.data)
        if i + 1 < len(m.tensors):
            out.append((f"data.pad{i}", b"\0" * (_pad(end, a) - end)))
            end = _pad(end, a)
    if m.trailing:
        out.append(("trailing", m.trailing))
    return out


# ---- seeds -------------------------------------------------------------------------------------

def _scalar(rng: random.Random, vtype: int) -> Value:
    fmt = SCALAR_FMT[vtype]
    if vtype == BOOL:
        return Value(vtype, raw=bytes([rng.randint(0, 1)]))
    if fmt in ("<f", "<d"):
        x = rng.choice([0.0, -0.0, 1.5, -2.25, 1e30, float("inf"), float("nan"), rng.random()])
        return Value(vtype, raw=struct.pack(fmt, x))
    size = struct.calcsize(fmt)
    signed = fmt[1].islower()
    bits = 8 * size
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return Value(vtype, raw=struct.pack(fmt, rng.choice([lo, hi, 0, 1, rng.randint(lo, hi)])))


def _text(rng: random.Random) -> bytes:
    parts = ["llama", "héllo", "\u2603", "tab\t", "", "x" * rng.randint(1, 40), "\U0001f600"]
    return "".join(rng.choice(parts) for _ in range(rng.randint(0, 3))).encode()


def _value(rng: random.Random, depth: int = 0) -> Value:
    kind = rng.choice(["scalar"] * 5 + ["string"] * 3 + (["array"] * 3 if depth == 0 else []))
    if kind == "scalar":
        return _scalar(rng, rng.choice(list(SCALAR_FMT)))
    if kind == "string":
        return Value(STRING, text=_text(rng))
    etype = rng.choice(list(SCALAR_FMT) + [STRING, STRING])
    n = rng.choice([0, 1, 2, 5, rng.randint(0, 40)])
    items = [Value(STRING, text=_text(rng)) if etype == STRING else _scalar(rng, etype)
             for _ in range(n)]
    return Value(ARRAY, etype=etype, items=items)


def _tensor(rng: random.Random, name: bytes) -> TensorInfo:
    ttype = rng.choice(SEED_TYPES[:2] * 4 + SEED_TYPES)
    block, nbytes = GGML_TYPES[ttype]
    rank = rng.choice([0, 1, 1, 2, 2, 3, 4]) if block == 1 else rng.choice([1, 2, 2, 3])
    dims = [rng.choice([1, 2, 3, 4, 5]) for _ in range(rank)]
    if rank and rng.random() < 0.05:
        dims[rng.randrange(rank)] = 0  # an empty tensor
    if dims:
        dims[0] *= block
    numel = 1
    for d in dims:
        numel *= d
    data = rng.randbytes(numel // block * nbytes)
    return TensorInfo(name, dims, ttype, data)


def seed(rng: random.Random) -> Tuple[str, GgufModel]:
    kind = rng.choice(["mixed", "mixed", "mixed", "kv_only", "tensors_only", "aligned", "v2"])
    kvs: List[Tuple[bytes, Value]] = [(b"general.architecture", Value(STRING, text=b"llama"))]
    if kind != "tensors_only":
        for i in range(rng.randint(1, 8)):
            kvs.append((f"test.k{i}.{rng.choice(['a', 'é', 'bb'])}".encode(), _value(rng)))
    else:
        kvs = []
    tensors = [] if kind == "kv_only" else [
        _tensor(rng, f"blk.{i}.{rng.choice(['w', 'attn_q.weight', 'ffn'])}".encode())
        for i in range(rng.randint(1, 5))]
    m = GgufModel(kvs, tensors, version=2 if kind == "v2" else 3)
    if kind == "aligned":
        m.alignment = rng.choice([1, 2, 8, 64, 256, 4096])
        kvs.insert(rng.randint(0, len(kvs)), (b"general.alignment",
                                               Value(4, raw=_u32(m.alignment))))
    return kind, m


# ---- structural mutations ----------------------------------------------------------------------

def _bad_utf8(rng: random.Random, b: bytes) -> bytes:
    bad = rng.choice([b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80",
                      b"\xe2\x82", b"\xfe", b"\xc3"])
    i = rng.randint(0, len(b))
    return b[:i] + bad + b[i:]


def _strings(m: GgufModel) -> List[Tuple[str, Callable[[bytes], None], bytes]]:
    """Every string of the model as (label, setter, current bytes)."""
    out: List[Tuple[str, Callable[[bytes], None], bytes]] = []
    for i, (key, v) in enumerate(m.kvs):
        def set_key(b: bytes, i: int = i) -> None:
            m.kvs[i] = (b, m.kvs[i][1])
        out.append((f"kv[{i}].key", set_key, key))
        vals = [v] if v.vtype == STRING else [x for x in v.items if x.vtype == STRING]
        for x in vals:
            def set_text(b: bytes, x: Value = x) -> None:
                x.text = b
            out.append((f"kv[{i}].value", set_text, x.text))
    for t in m.tensors:
        def set_name(b: bytes, t: TensorInfo = t) -> None:
            t.name = b
        out.append(("tensor.name", set_name, t.name))
    return out


def mut_non_utf8(rng: random.Random, m: GgufModel) -> str:
    strings = _strings(m)
    if not strings:
        return "non_utf8:none"
    label, setter, cur = rng.choice(strings)
    setter(_bad_utf8(rng, cur))
    return f"non_utf8:{label}"


def mut_duplicate(rng: random.Random, m: GgufModel) -> str:
    if m.tensors and (not m.kvs or rng.random() < 0.5):
        a, b = rng.sample(range(len(m.tensors)), 2) if len(m.tensors) > 1 else (0, 0)
        if a == b:
            t = m.tensors[0]
            m.tensors.append(TensorInfo(t.name, list(t.dims), t.ttype, t.data))
        else:
            m.tensors[b].name = m.tensors[a].name
        return "duplicate:tensor"
    if not m.kvs:
        return "duplicate:none"
    i = rng.randrange(len(m.kvs))
    key, v = m.kvs[i]
    if rng.random() < 0.5:
        m.kvs.insert(rng.randint(0, len(m.kvs)), (key, _value(rng)))
    else:
        j = rng.randrange(len(m.kvs))
        m.kvs[j] = (key, m.kvs[j][1])
    return "duplicate:key"


def mut_alignment(rng: random.Random, m: GgufModel) -> str:
    value = rng.choice([0, 1, 2, 3, 8, 13, 16, 64, 65536, 131072, 2**31, 2**32 - 1, 32])
    vtype = rng.choice([4] * 6 + [5, 10, 2, STRING])
    raw = struct.pack(SCALAR_FMT[vtype], value % (1 << (8 * struct.calcsize(SCALAR_FMT[vtype])))
                      if SCALAR_FMT[vtype][1].isupper() else value % (1 << 31)) \
        if vtype != STRING else b""
    v = Value(vtype, raw=raw, text=str(value).encode())
    m.kvs = [(k, x) for k, x in m.kvs if k != b"general.alignment"]
    m.kvs.insert(rng.randint(0, len(m.kvs)), (b"general.alignment", v))
    consistent = rng.random() < 0.6 and vtype == 4 and value and not value & (value - 1)
    if consistent and value <= 1 << 20:
        m.alignment = value
    return f"alignment:{value}:{vtype}:{'layout' if consistent else 'key_only'}"


def mut_dtype(rng: random.Random, m: GgufModel) -> str:
    choice = rng.random()
    if m.tensors and choice < 0.5:
        t = rng.choice(m.tensors)
        t.ttype = rng.choice([rng.randint(0, 45), 4, 5, 9, 31, 36, 42, 43, 100, 0xFFFFFFFF])
        return f"dtype:tensor:{t.ttype}"
    arrays = [v for _, v in m.kvs if v.vtype == ARRAY]
    if arrays and choice < 0.7:
        v = rng.choice(arrays)
        v.etype = rng.choice([rng.randint(0, 14), ARRAY, 0x7FFFFFFF, 0xFFFFFFFF])
        return f"dtype:etype:{v.etype}"
    if not m.kvs:
        return "dtype:none"
    _, v = rng.choice(m.kvs)
    v.vtype = rng.choice([rng.randint(0, 14), 13, 0xFFFFFFFF])
    return f"dtype:vtype:{v.vtype}"


def mut_nested(rng: random.Random, m: GgufModel) -> str:
    inner = _value(rng)
    if inner.vtype != ARRAY:
        inner = Value(ARRAY, etype=0, items=[_scalar(rng, 0)])
    m.kvs.append((b"test.nested", Value(ARRAY, etype=ARRAY, items=[inner] * rng.randint(0, 2))))
    return "nested_array"


def mut_bool(rng: random.Random, m: GgufModel) -> str:
    v = Value(BOOL, raw=bytes([rng.choice([2, 7, 0x80, 0xFF])]))
    if rng.random() < 0.5:
        v = Value(ARRAY, etype=BOOL, items=[Value(BOOL, raw=b"\x01"), v])
    m.kvs.append((b"test.bool", v))
    return "bad_bool"


def mut_shape(rng: random.Random, m: GgufModel) -> str:
    if not m.tensors:
        return "shape:none"
    t = rng.choice(m.tensors)
    what = rng.choice(["dim", "dim", "ndims", "zero_beside_huge", "product"])
    if what == "dim" and t.dims:
        k = rng.randrange(len(t.dims))
        t.dims[k] = rng.choice(HUGE + [0, t.dims[k] + 1, max(t.dims[k] - 1, 0)])
    elif what == "ndims":
        n = rng.choice([0, 1, 4, 5, 8])
        t.dims = (t.dims + [1] * 8)[:n]
    elif what == "zero_beside_huge":
        t.dims = [0, rng.choice(HUGE)] + t.dims[2:4]
    else:
        t.dims = [rng.choice([2**32, 2**31, 2**21]) for _ in range(rng.randint(2, 4))]
    return f"shape:{what}"


def mut_name_len(rng: random.Random, m: GgufModel) -> str:
    if not m.tensors:
        return "name_len:none"
    n = rng.choice([0, 62, 63, 64, 65, 200])
    rng.choice(m.tensors).name = b"n" * n
    return f"name_len:{n}"


def mut_empty_key(rng: random.Random, m: GgufModel) -> str:
    m.kvs.insert(rng.randint(0, len(m.kvs)), (b"", _value(rng)))
    return "empty_key"


def mut_offsets(rng: random.Random, m: GgufModel) -> str:
    if not m.tensors:
        return "offsets:none"
    pos, offsets = 0, []
    for t in m.tensors:
        offsets.append(pos)
        pos = _pad(pos + len(t.data), m.alignment)
    i = rng.randrange(len(m.tensors))
    what = rng.choice(["plus1", "minus1", "plus_align", "gap", "huge", "swap", "overlap", "zero"])
    o = offsets[i]
    o = {"plus1": o + 1, "minus1": max(o - 1, 0), "plus_align": o + m.alignment,
         "gap": o + m.alignment * rng.randint(1, 4), "huge": rng.choice(HUGE),
         "swap": offsets[-1 - i], "overlap": offsets[max(i - 1, 0)], "zero": 0}[what]
    for j, t in enumerate(m.tensors):
        t.offset = offsets[j]
    m.tensors[i].offset = o
    if what in ("plus_align", "gap"):  # shift the following tensors too: a clean gap
        for t in m.tensors[i + 1:]:
            t.offset = (t.offset or 0) + (o - offsets[i])
    return f"offsets:{what}"


def mut_version(rng: random.Random, m: GgufModel) -> str:
    m.version = rng.choice([0, 1, 2, 3, 4, 0xFFFF, 0x03000000, 0x02000000, 2**32 - 1])
    return f"version:{m.version}"


def mut_magic(rng: random.Random, m: GgufModel) -> str:
    m.magic = rng.choice([b"GGUG", b"FUGG", b"ggml", b"\0\0\0\0", b"GGJT"])
    return "magic"


def mut_trailing(rng: random.Random, m: GgufModel) -> str:
    m.trailing = rng.choice([b"\0", b"PK\x03\x04" + rng.randbytes(30), rng.randbytes(100)])
    return "trailing"


STRUCTURAL: Dict[str, Callable[[random.Random, GgufModel], str]] = {
    "non_utf8": mut_non_utf8, "duplicate": mut_duplicate, "alignment": mut_alignment,
    "dtype": mut_dtype, "nested": mut_nested, "bool": mut_bool, "shape": mut_shape,
    "name_len": mut_name_len, "empty_key": mut_empty_key, "offsets": mut_offsets,
    "version": mut_version, "magic": mut_magic, "trailing": mut_trailing}


# ---- byte-level mutations on the labelled pieces -----------------------------------------------

def count_value(rng: random.Random, current: int) -> int:
    return rng.choice(HUGE + [current + 1, max(current - 1, 0), 0, current * 2 + 1,
                              rng.randint(0, 1 << 16), current + rng.randint(2, 64)])


def mut_count_field(rng: random.Random, pieces: List[Piece]) -> str:
    """Set a count or length field (n_tensors, n_kv, array count, string length, n_dims) to a
    huge or off-by-one value."""
    suffixes = ("n_tensors", "n_kv", ".count", ".len", ".ndims")
    idx = [i for i, (lab, _) in enumerate(pieces) if lab.endswith(suffixes)]
    if not idx:
        return "count:none"
    i = rng.choice(idx)
    lab, b = pieces[i]
    cur = int.from_bytes(b, "little")
    v = count_value(rng, cur) & ((1 << (8 * len(b))) - 1)
    pieces[i] = (lab, v.to_bytes(len(b), "little"))
    return f"count:{lab.split('.')[-1] if '.' in lab else lab}"


def _guarded(name: str, rng: random.Random, m: GgufModel) -> str:
    """A mutation that an earlier one left nothing to work on (a shape that is no longer a
    list, ...) is skipped, deterministically."""
    try:
        return STRUCTURAL[name](rng, m)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return f"{name}:skipped"


def apply(rng: random.Random, m: GgufModel, names: List[str]) -> Tuple[bytes, List[str]]:
    """The structural mutations in ``names`` on ``m``, then serialize, then the byte-level ones
    ("count"); returns the file bytes and what was done."""
    done = [_guarded(n, rng, m) for n in names if n in STRUCTURAL]
    pieces = serialize(m)
    for n in names:
        if n == "count":
            done.append(mut_count_field(rng, pieces))
    return b"".join(b for _, b in pieces), done


def describe(m: GgufModel) -> Dict[str, Any]:
    return {"tensors": len(m.tensors), "kvs": len(m.kvs), "version": m.version}
