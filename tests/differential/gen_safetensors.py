"""safetensors cases: a seed model whose JSON header is kept as raw members (so duplicates,
odd number forms and invalid bytes can be written), and the mutations.

The layout is docs/safetensors.md#layout: u64 header length N, N bytes of JSON, the buffer.
"""

from __future__ import annotations

import json
import random
import struct
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

# docs/safetensors.md#dtypes: dtype -> bits.
BITS = {"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8,
        "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "I16": 16, "U16": 16,
        "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "C64": 64, "F64": 64,
        "I64": 64, "U64": 64}
SEED_DTYPES = ["F32", "F32", "F16", "BF16", "I64", "I32", "U8", "I8", "BOOL", "F64", "U16",
               "I16", "U32", "U64", "F8_E4M3", "F8_E5M2", "C64"]
HUGE = [2**64 - 1, 2**63, 2**62, 2**48, 2**48 - 1, 2**32, 2**40, 10**20]


def jstr(s: str) -> bytes:
    return json.dumps(s, ensure_ascii=False).encode()


@dataclass
class Entry:
    """One header member: ``key`` is the raw JSON key (quotes included); ``fields`` the raw
    members of a tensor entry, or ``raw`` the raw value (``__metadata__``, junk members)."""
    key: bytes
    fields: List[Tuple[bytes, bytes]] = field(default_factory=list)
    raw: Optional[bytes] = None

    def render(self) -> bytes:
        if self.raw is not None:
            return self.key + b":" + self.raw
        return self.key + b":{" + b",".join(k + b":" + v for k, v in self.fields) + b"}"


@dataclass
class StModel:
    entries: List[Entry]
    buffer: bytes
    pad: bool = True
    before: bytes = b""  # bytes before the JSON object (inside N)
    after: bytes = b""  # bytes after it (inside N), before the padding
    inner: bytes = b""  # bytes before the closing brace (a trailing comma)
    trailing: bytes = b""  # bytes after the buffer
    n_override: Optional[int] = None

    def header(self) -> bytes:
        text = self.before + b"{" + b",".join(e.render() for e in self.entries) + self.inner + b"}"
        text += self.after
        if self.pad:
            text += b" " * ((8 - len(text) % 8) % 8)
        return text


def serialize(m: StModel) -> bytes:
    h = m.header()
    n = len(h) if m.n_override is None else m.n_override
    return struct.pack("<Q", n & (2**64 - 1)) + h + m.buffer + m.trailing


def _entry(name: str, dtype: str, shape: List[int], begin: int, end: int) -> Entry:
    return Entry(jstr(name), [(b'"dtype"', jstr(dtype)), (b'"shape"', json.dumps(shape).encode()),
                              (b'"data_offsets"', json.dumps([begin, end]).encode())])


def seed(rng: random.Random) -> Tuple[str, StModel]:
    kind = rng.choice(["mixed", "mixed", "metadata", "empty_tensors", "unpadded", "single"])
    count = 1 if kind == "single" else rng.randint(1, 6)
    specs = []
    for i in range(count):
        dtype = rng.choice(SEED_DTYPES)
        rank = rng.choice([0, 1, 1, 2, 2, 3, 4])
        shape = [rng.randint(1, 5) for _ in range(rank)]
        if kind == "empty_tensors" and rank and rng.random() < 0.5:
            shape[rng.randrange(rank)] = 0
        specs.append((f"model.layers.{i}.{rng.choice(['w', 'weight', 'bias', 'é'])}", dtype, shape))
    # The reference writer's order: widest dtype first, then name (docs/safetensors.md#writer).
    specs.sort(key=lambda s: (-BITS[s[1]], s[0]))
    entries, buf = [], b""
    for name, dtype, shape in specs:
        numel = 1
        for d in shape:
            numel *= d
        data = rng.randbytes(numel * BITS[dtype] // 8)
        entries.append(_entry(name, dtype, shape, len(buf), len(buf) + len(data)))
        buf += data
    if kind == "metadata" or rng.random() < 0.4:
        meta = {"format": "pt", "k": rng.choice(["v", "", "ü\u2603", "x" * 30])}
        entries.insert(rng.randint(0, len(entries)),
                       Entry(b'"__metadata__"', raw=json.dumps(meta).encode()))
    return kind, StModel(entries, buf, pad=kind != "unpadded")


def _tensor_entries(m: StModel) -> List[Entry]:
    return [e for e in m.entries if e.raw is None]


def _set_field(e: Entry, key: bytes, value: bytes) -> None:
    e.fields = [(k, value if k == key else v) for k, v in e.fields]


def _get_field(e: Entry, key: bytes) -> Optional[bytes]:
    return next((v for k, v in e.fields if k == key), None)


def mut_header_len(rng: random.Random, m: StModel) -> str:
    n = len(m.header())
    total = n + len(m.buffer) + len(m.trailing)
    m.n_override = rng.choice(HUGE + [0, 1, n - 1, n + 1, n - 8, n + 8, total, total + 8,
                                      100_000_001, rng.randint(0, total)])
    return "header_len"


def mut_dtype(rng: random.Random, m: StModel) -> str:
    es = _tensor_entries(m)
    if not es:
        return "dtype:none"
    new = rng.choice(list(BITS) + ["F128", "f32", "", "Q4_0", "I4", "U1", "BF8", "F8_E4M3FN"])
    _set_field(rng.choice(es), b'"dtype"', rng.choice([jstr(new), b"32", b"null"]))
    return f"dtype:{new}"


def mut_offsets(rng: random.Random, m: StModel) -> str:
    es = _tensor_entries(m)
    if not es:
        return "offsets:none"
    e = rng.choice(es)
    raw = _get_field(e, b'"data_offsets"') or b"[0,0]"
    begin, end = json.loads(raw)
    what = rng.choice(["shift", "end", "swap", "huge", "negative", "float", "three", "string",
                       "number_form", "overlap", "gap"])
    if what == "shift":
        d = rng.choice([-8, -1, 1, 2, 8])
        value = json.dumps([max(begin + d, 0), max(end + d, 0)]).encode()
    elif what == "end":
        value = json.dumps([begin, max(end + rng.choice([-1, 1, 4]), 0)]).encode()
    elif what == "swap":
        value = json.dumps([end, begin]).encode()
    elif what == "huge":
        value = json.dumps([begin, rng.choice(HUGE)] if rng.random() < 0.5
                           else [rng.choice(HUGE), rng.choice(HUGE)]).encode()
    elif what == "negative":
        value = json.dumps([-1, end]).encode()
    elif what == "float":
        value = (f"[{begin}.0,{end}]" if rng.random() < 0.5 else f"[{begin},{end}e0]").encode()
    elif what == "three":
        value = (json.dumps([begin, end, end]) if rng.random() < 0.5 else f"[{end}]").encode()
    elif what == "string":
        value = f'["{begin}",{end}]'.encode()
    elif what == "number_form":
        value = rng.choice([f"[0{begin},{end}]", f"[+{begin},{end}]", f"[{begin},NaN]",
                            f"[{begin} , {end} ]"]).encode()
    elif what == "overlap":
        value = json.dumps([0, end - begin]).encode()
    else:
        value = json.dumps([begin + 8, end + 8]).encode()
        m.buffer += b"\0" * 8
    _set_field(e, b'"data_offsets"', value)
    return f"offsets:{what}"


def mut_shape(rng: random.Random, m: StModel) -> str:
    es = _tensor_entries(m)
    if not es:
        return "shape:none"
    e = rng.choice(es)
    what = rng.choice(["negative", "float", "scalar", "huge", "rank65", "product", "zero_huge",
                       "plus1", "empty", "string", "number_form"])
    value = {"negative": b"[-1]", "float": b"[1.5]", "scalar": b"2",
             "huge": json.dumps([rng.choice(HUGE)]).encode(),
             "rank65": json.dumps([1] * rng.choice([64, 65])).encode(),
             "product": json.dumps([2**40, 2**40]).encode(),
             "zero_huge": json.dumps([0, rng.choice([2**48 - 1, 2**48, 2**60])]).encode(),
             "plus1": None, "empty": b"[]", "string": b'["2"]', "number_form": None}[what]
    if what == "number_form":
        raw = _get_field(e, b'"shape"') or b"[]"
        value = raw.replace(b",", rng.choice([b" , ", b",\n"])).replace(
            b"]", rng.choice([b"]", b".0]", b"e0]", b" ]"]), 1)
    elif value is None:
        try:
            shape = json.loads(_get_field(e, b'"shape"') or b"[]")
            value = json.dumps([d + 1 for d in shape] or [2]).encode()
        except (TypeError, ValueError):  # an earlier mutation left no list of integers
            value = b"[2]"
    _set_field(e, b'"shape"', value)
    return f"shape:{what}"


def mut_fields(rng: random.Random, m: StModel) -> str:
    es = _tensor_entries(m)
    if not es:
        return "fields:none"
    e = rng.choice(es)
    what = rng.choice(["extra", "missing", "duplicate", "reorder"])
    if what == "extra":
        e.fields.insert(rng.randint(0, len(e.fields)),
                        (rng.choice([b'"extra"', b'"offsets"', b'"DTYPE"']),
                         rng.choice([b"1", b"null", b'"x"', b"[1,2]", b"{}"])))
    elif what == "missing":
        e.fields.pop(rng.randrange(len(e.fields)))
    elif what == "duplicate":
        e.fields.insert(rng.randint(0, len(e.fields)), rng.choice(e.fields))
    else:
        rng.shuffle(e.fields)
    return f"fields:{what}"


def mut_duplicate(rng: random.Random, m: StModel) -> str:
    es = _tensor_entries(m)
    what = rng.choice(["tensor", "escaped", "metadata", "metadata_key"])
    if what in ("tensor", "escaped") and es:
        src = rng.choice(es)
        name = json.loads(src.key)
        key = src.key if what == "tensor" else b'"' + "".join(
            f"\\u{ord(c):04x}" for c in name).encode() + b'"'
        if len(es) > 1 and rng.random() < 0.5:
            rng.choice([e for e in es if e is not src]).key = key
        else:
            m.entries.append(Entry(key, list(src.fields)))
        return f"duplicate:{what}"
    metas = [e for e in m.entries if e.key == b'"__metadata__"']
    if what == "metadata" or not metas:
        m.entries.insert(rng.randint(0, len(m.entries)),
                         Entry(b'"__metadata__"', raw=b'{"a":"b"}'))
        return "duplicate:metadata"
    metas[0].raw = b'{"k":"1","k":"2"}'
    return "duplicate:metadata_key"


def mut_metadata(rng: random.Random, m: StModel) -> str:
    raw = rng.choice([b"null", b"{}", b'{"a":1}', b'{"a":null}', b'{"a":["x"]}', b'{"a":{"b":"c"}}',
                      b"[]", b'"x"', b'{"a":"\\u0000"}', b'{"\\u0000":"x"}', b'{"a":true}',
                      b'{"a":"\\ud800"}'])
    m.entries = [e for e in m.entries if e.key != b'"__metadata__"']
    m.entries.insert(rng.randint(0, len(m.entries)), Entry(b'"__metadata__"', raw=raw))
    return "metadata"


def mut_depth(rng: random.Random, m: StModel) -> str:
    depth = rng.choice([2, 30, 62, 63, 64, 65, 127, 128, 129, 1000, 100_000])
    opener, closer = rng.choice([(b"[", b"]"), (b'{"a":', b"}")])
    deep = opener * depth + closer * depth
    where = rng.choice(["metadata", "extra_field", "member"])
    es = _tensor_entries(m)
    if where == "extra_field" and es:
        rng.choice(es).fields.append((b'"deep"', deep))
    elif where == "metadata":
        m.entries = [e for e in m.entries if e.key != b'"__metadata__"']
        m.entries.append(Entry(b'"__metadata__"', raw=b'{"a":' + deep + b"}"))
    else:
        m.entries.append(Entry(b'"deep"', raw=deep))
    return f"depth:{where}:{depth}"


def mut_encoding(rng: random.Random, m: StModel) -> str:
    bad = rng.choice([b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80",
                      b"\\u0000", b"\0", b"\\ud800", b"\\udc00\\ud800"])
    es = _tensor_entries(m)
    if es and rng.random() < 0.25:
        # The same name written with JSON escapes (\u00e9, surrogate pairs, \/): both readers
        # must unescape it to the same bytes.
        e = rng.choice(es)
        name = json.loads(e.key)
        e.key = b'"' + "".join(_escape(rng, c) for c in name + rng.choice(["", "\U0001f600", "/"]))\
            .encode() + b'"'
        return "encoding:escaped_name"
    if es and rng.random() < 0.6:
        e = rng.choice(es)
        e.key = e.key[:-1] + bad + b'"'
        return f"encoding:name:{bad!r}"
    metas = [e for e in m.entries if e.key == b'"__metadata__"']
    if metas:
        metas[0].raw = b'{"k":"v' + bad + b'"}'
        return f"encoding:metadata:{bad!r}"
    m.after = bad
    return f"encoding:after:{bad!r}"


def _escape(rng: random.Random, c: str) -> str:
    if rng.random() < 0.5:
        return "\\/" if c == "/" else json.dumps(c)[1:-1] if c in '"\\' else c
    o = ord(c)
    if o > 0xFFFF:
        o -= 0x10000
        return f"\\u{0xD800 + (o >> 10):04x}\\u{0xDC00 + (o & 0x3FF):04X}"
    return f"\\u{o:04x}"


def mut_syntax(rng: random.Random, m: StModel) -> str:
    what = rng.choice(["lead_ws", "trail_ws", "trailing_comma", "garbage", "bom", "not_object",
                       "unterminated", "junk_member", "tab_ws"])
    if what == "lead_ws":
        m.before = rng.choice([b" ", b"\n", b"  \r\n"])
    elif what == "tab_ws":
        m.before = b"\t"
    elif what == "trail_ws":
        m.after = rng.choice([b"\n", b"\t", b"\r"])
    elif what == "trailing_comma":
        m.inner = b","
    elif what == "garbage":
        m.after = rng.choice([b"x", b"}", b"{}", b"\0", b","])
    elif what == "bom":
        m.before = b"\xef\xbb\xbf"
    elif what == "not_object":
        m.before = b"["
        m.after = b"]"
    elif what == "unterminated":
        m.after = b""
        m.entries.append(Entry(b'"x"', raw=b'"unterminated'))
    else:
        m.entries.append(Entry(jstr(rng.choice(["junk", "__other__", "a"])),
                               raw=rng.choice([b"1", b'"s"', b"null", b"[]", b"{}"])))
    return f"syntax:{what}"


def mut_buffer(rng: random.Random, m: StModel) -> str:
    what = rng.choice(["short", "long", "zip", "pickle", "empty"])
    if what == "short" and m.buffer:
        m.buffer = m.buffer[:-rng.randint(1, len(m.buffer))]
    elif what == "long":
        m.trailing = b"\0" * rng.randint(1, 9)
    elif what == "zip":
        m.trailing = b"PK\x03\x04" + rng.randbytes(26)
    elif what == "pickle":
        m.trailing = b"\x80\x02}q\x00."
    else:
        m.buffer = b""
    return f"buffer:{what}"


def mut_unpad(rng: random.Random, m: StModel) -> str:
    m.pad = not m.pad
    return "pad"


STRUCTURAL: Dict[str, Callable[[random.Random, StModel], str]] = {
    "header_len": mut_header_len, "dtype": mut_dtype, "offsets": mut_offsets,
    "shape": mut_shape, "fields": mut_fields, "duplicate": mut_duplicate,
    "metadata": mut_metadata, "depth": mut_depth, "encoding": mut_encoding,
    "syntax": mut_syntax, "buffer": mut_buffer, "pad": mut_unpad}


def _guarded(name: str, rng: random.Random, m: StModel) -> str:
    """A mutation that an earlier one left nothing to work on (a shape that is no longer a
    list, ...) is skipped, deterministically."""
    try:
        return STRUCTURAL[name](rng, m)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return f"{name}:skipped"


def apply(rng: random.Random, m: StModel, names: List[str]) -> Tuple[bytes, List[str]]:
    done = [_guarded(n, rng, m) for n in names if n in STRUCTURAL]
    return serialize(m), done
