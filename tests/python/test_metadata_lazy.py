"""WeightFile.metadata / metadata_types are lazy views of the native table: reading one key of a
200,000-key header converts that key only (counted at the native boundary, and bounded with
tracemalloc), numeric arrays are read-only views of the memory map that keep it alive, string
arrays decode an element when it is read, and the mappings behave as dicts in file order.
Expected values come from the bytes this file writes and from gguf-py's GGUFReader."""

from __future__ import annotations

import collections.abc
import gc
import struct
import tracemalloc

import gguf
import numpy as np
import pytest

import mwt
from mwt import _metadata, _native

N_KEYS = 200_000
N_TOKENS = 50_000
F32_VALUES = np.arange(1000, dtype=np.float32) * np.float32(0.25) - np.float32(3.0)
U64_VALUES = np.array([0, 1, 2**63, 2**64 - 1], dtype=np.uint64)
TENSOR = np.arange(16, dtype=np.float32)


def _s(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def _write_big(path) -> dict:
    """A GGUF v3 with N_KEYS UINT32 keys plus a string, a string array, two numeric arrays and
    one F32 tensor, written byte by byte here; returns the file offsets of the array data."""
    parts = [b"GGUF", struct.pack("<IQQ", 3, 1, N_KEYS + 4)]
    parts.append(_s("general.architecture") + struct.pack("<I", 8) + _s("llama"))
    klen, value = struct.pack("<Q", 8), struct.Struct("<II")
    parts.append(b"".join(klen + b"k.%06d" % i + value.pack(4, 7 * i) for i in range(N_KEYS)))
    parts.append(_s("tok.tokens") + struct.pack("<IIQ", 9, 8, N_TOKENS))
    parts.append(b"".join(_s(f"tok{j}") for j in range(N_TOKENS)))
    offsets = {}
    pos = sum(map(len, parts))
    head = _s("arr.f32") + struct.pack("<IIQ", 9, 6, F32_VALUES.size)
    offsets["arr.f32"] = pos + len(head)
    parts.append(head + F32_VALUES.tobytes())
    pos += len(parts[-1])
    head = _s("arr.u64") + struct.pack("<IIQ", 9, 10, U64_VALUES.size)
    offsets["arr.u64"] = pos + len(head)
    parts.append(head + U64_VALUES.tobytes())
    parts.append(_s("t") + struct.pack("<IQIQ", 1, TENSOR.size, 0, 0))  # F32, data offset 0
    body = b"".join(parts)
    body += b"\0" * (-len(body) % 32)
    offsets["tensor"] = len(body)
    with open(path, "wb") as f:
        f.write(body + TENSOR.tobytes())
    return offsets


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    path = tmp_path_factory.mktemp("lazy") / "big.gguf"
    return path, _write_big(path)


class _Counting:
    """Stands in for mwt._native inside mwt._metadata and counts each function's calls."""

    def __init__(self) -> None:
        self.calls: collections.Counter = collections.Counter()

    def __getattr__(self, name):
        target = getattr(_native, name)
        if not callable(target) or not name.startswith("metadata_"):
            return target

        def counted(*args, **kwargs):
            self.calls[name] += 1
            return target(*args, **kwargs)
        return counted


@pytest.fixture
def counting(monkeypatch):
    c = _Counting()
    monkeypatch.setattr(_metadata, "_native", c)
    return c


# ------------------------------------------------------------------ laziness

def test_one_key_of_many_converts_only_that_key(big, counting):
    path, _ = big
    with mwt.open(path) as wf:
        meta, types = wf.metadata, wf.metadata_types
        assert len(meta) == len(types) == N_KEYS + 4
        assert "k.123456" in meta and "k.999999" not in meta and 5 not in meta
        assert meta["k.123456"] == 7 * 123456
        assert types["k.123456"] == "UINT32"
        assert meta.get("no.such.key", "absent") == "absent"
        with pytest.raises(KeyError):
            meta["no.such.key"]
    # one lookup per question, one value, one type name, and not a single key built
    assert counting.calls["metadata_keys"] == counting.calls["metadata_key"] == 0
    assert counting.calls["metadata_value"] == 1 and counting.calls["metadata_type"] == 1
    assert counting.calls["metadata_find"] == 7


def test_one_key_of_many_allocates_little(big):
    path, _ = big
    with mwt.open(path) as wf:
        tracemalloc.start()
        try:
            meta = wf.metadata
            assert meta["k.000007"] == 49 and len(meta) == N_KEYS + 4 and "k.199999" in meta
            assert wf.metadata_types["general.architecture"] == "STRING"
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    # Converting every key would take > 10 MB (200k str objects plus a dict); one key is bytes.
    assert peak < 256 * 1024, peak


def test_iteration_is_in_file_order_and_chunked(big, counting):
    path, _ = big
    with mwt.open(path) as wf:
        keys = list(wf.metadata)
    assert len(keys) == N_KEYS + 4
    assert keys[:3] == ["general.architecture", "k.000000", "k.000001"]
    assert keys[-3:] == ["tok.tokens", "arr.f32", "arr.u64"]
    assert keys[N_KEYS] == f"k.{N_KEYS - 1:06d}"
    assert counting.calls["metadata_value"] == 0  # iterating keys converts no value
    assert counting.calls["metadata_keys"] == -(-(N_KEYS + 4) // _metadata._CHUNK)


# ------------------------------------------------------------------ numeric arrays

def test_numeric_arrays_are_read_only_views_of_the_map(big):
    path, offsets = big
    with mwt.open(path) as wf:
        a, u = wf.metadata["arr.f32"], wf.metadata["arr.u64"]
        t = wf.tensors["t"].raw()
        native = wf._native
    for arr, want in ((a, F32_VALUES), (u, U64_VALUES)):
        assert arr.dtype == want.dtype and not arr.flags.writeable and not arr.flags.owndata
        np.testing.assert_array_equal(arr, want)
        base = arr
        while isinstance(base, np.ndarray):
            base = base.base
        assert base is native  # the array holds the native file, which holds the map
    # The view's address is the map's start plus the array's file offset (from the tensor view).
    map_start = t.__array_interface__["data"][0] - offsets["tensor"]
    assert a.__array_interface__["data"][0] == map_start + offsets["arr.f32"]
    assert u.__array_interface__["data"][0] == map_start + offsets["arr.u64"]
    with pytest.raises(ValueError):
        a[0] = 1.0


def test_numeric_array_outlives_the_file(big):
    path, _ = big
    wf = mwt.open(path)
    a = wf.metadata["arr.f32"]
    wf.close()
    del wf
    gc.collect()
    np.testing.assert_array_equal(a, F32_VALUES)  # the map is still there: a holds it


# ------------------------------------------------------------------ string arrays

def test_string_array_is_a_lazy_sequence(big, counting):
    path, _ = big
    want = [f"tok{j}" for j in range(N_TOKENS)]
    with mwt.open(path) as wf:
        tokens = wf.metadata["tok.tokens"]
        assert isinstance(tokens, collections.abc.Sequence) and not isinstance(tokens, list)
        assert len(tokens) == N_TOKENS
        assert counting.calls["metadata_string"] + counting.calls["metadata_strings"] == 0
        assert tokens[0] == "tok0" and tokens[-1] == want[-1] and tokens[12345] == "tok12345"
        assert counting.calls["metadata_string"] == 3 and counting.calls["metadata_strings"] == 0
    # readable after close (it holds the native file); slices and iteration as a list's
    for sl in (slice(10, 20, 3), slice(None, 5), slice(-4, None), slice(None, None, -9999),
               slice(N_TOKENS + 5, None), slice(7, 3)):
        assert tokens[sl] == want[sl], sl
    assert list(tokens) == want and tokens == want and tokens != want[:-1]
    assert "tok49999" in tokens and tokens.index("tok7") == 7
    for bad in (N_TOKENS, -N_TOKENS - 1):
        with pytest.raises(IndexError):
            tokens[bad]
    with pytest.raises(TypeError):
        tokens["0"]  # type: ignore[call-overload]


# ------------------------------------------------------------------ against dict and gguf-py

def _small(path):
    w = gguf.GGUFWriter(str(path), arch="small")
    w.add_uint8("s.u8", 200)
    w.add_int64("s.i64", -(2**62))
    w.add_float32("s.f32", 0.1)
    w.add_float64("s.f64", 2.5)
    w.add_bool("s.bool", False)
    w.add_string("s.str", "héllo")
    w.add_key_value("s.arr_i16", [-3, 0, 7], gguf.GGUFValueType.ARRAY,
                    sub_type=gguf.GGUFValueType.INT16)
    w.add_key_value("s.arr_f64", [0.5, -1.25], gguf.GGUFValueType.ARRAY,
                    sub_type=gguf.GGUFValueType.FLOAT64)
    w.add_key_value("s.arr_bool", [True, False], gguf.GGUFValueType.ARRAY,
                    sub_type=gguf.GGUFValueType.BOOL)
    w.add_key_value("s.arr_str", ["a", "", "ßtr"], gguf.GGUFValueType.ARRAY,
                    sub_type=gguf.GGUFValueType.STRING)
    for i in range(300):
        w.add_uint32(f"many.{i}", i)
    w.add_tensor("t", np.zeros(4, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return _small(tmp_path_factory.mktemp("lazy") / "small.gguf")


def _plain(value):
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.tolist())
    if isinstance(value, _metadata.StringArray):
        return list(value)
    return value


def test_mapping_behaves_as_a_dict_in_file_order(small):
    with mwt.open(small) as wf:
        meta, types = wf.metadata, wf.metadata_types
        d, dt = dict(meta), dict(types)
        assert list(meta) == list(d) == list(meta.keys()) == list(types) == list(dt)
        assert len(meta) == len(d) and len(types) == len(dt)
        assert [k for k, _ in meta.items()] == list(d)
        assert [_plain(v) for v in meta.values()] == [_plain(v) for v in d.values()]
        assert all(k in meta and k in types for k in d) and "nope" not in meta
        assert types == dt and dict(types.items()) == dt
        assert {k: _plain(v) for k, v in meta.items()} == {k: _plain(v) for k, v in d.items()}
        assert meta["s.arr_str"] is d["s.arr_str"]  # one object per value (cached)
        assert isinstance(meta, collections.abc.Mapping) and repr(meta).startswith("{")
        with pytest.raises(TypeError):
            meta["s.u8"] = 1  # type: ignore[index]
        text, html = repr(wf), wf._repr_html_()
        assert f"{len(d)} metadata" in text and "s.arr_str" in html
    unread = mwt.open(small)
    m2 = unread.metadata
    unread.close()
    with pytest.raises(ValueError, match="closed"):
        m2["s.u8"]


def test_values_match_gguf_py(small):
    reader = gguf.GGUFReader(str(small))
    fields = [f for f in reader.fields.values() if not f.name.startswith("GGUF.")]
    with mwt.open(small) as wf:
        assert list(wf.metadata) == [f.name for f in fields]
        for f in fields:
            got, tname = wf.metadata[f.name], wf.metadata_types[f.name]
            main = f.types[0]
            if main == gguf.GGUFValueType.ARRAY:
                assert tname == f"ARRAY[{f.types[-1].name}]"
                if f.types[-1] == gguf.GGUFValueType.STRING:
                    assert isinstance(got, _metadata.StringArray)
                    assert list(got) == [bytes(f.parts[i]).decode() for i in f.data]
                else:
                    want = (np.concatenate([f.parts[i] for i in f.data]) if f.data else
                            np.zeros(0, dtype=got.dtype))
                    assert got.dtype == want.dtype.newbyteorder("=") and not got.flags.writeable
                    np.testing.assert_array_equal(got, want)
            elif main == gguf.GGUFValueType.STRING:
                assert tname == "STRING" and got == bytes(f.parts[f.data[0]]).decode()
            else:
                assert tname == main.name
                want = f.parts[f.data[0]][0]
                assert type(got) is {"b": bool, "f": float}.get(want.dtype.kind, int)
                assert got == want.item()


def test_lax_bool_array_and_empty_arrays(tmp_path):
    """A BOOL array byte other than 0/1 (open with gguf_strict_bool=False) is copied as 0/1; a
    BOOL array of 0/1 bytes is a view; empty arrays of both kinds have length 0."""
    body = (b"GGUF" + struct.pack("<IQQ", 3, 0, 4)
            + _s("b") + struct.pack("<IIQ", 9, 7, 4) + bytes([0, 1, 2, 255])
            + _s("ok") + struct.pack("<IIQ", 9, 7, 2) + bytes([1, 0])
            + _s("e") + struct.pack("<IIQ", 9, 4, 0) + _s("es") + struct.pack("<IIQ", 9, 8, 0))
    path = tmp_path / "bools.gguf"
    path.write_bytes(body)
    with mwt.open(path, gguf_strict_bool=False) as wf:
        got, ok, empty, strings = (wf.metadata[k] for k in ("b", "ok", "e", "es"))
        assert wf.metadata_types["e"] == "ARRAY[UINT32]" and wf.metadata_types["es"] == \
            "ARRAY[STRING]"
    assert got.dtype == np.bool_ and got.tolist() == [False, True, True, True]
    assert got.view(np.uint8).tolist() == [0, 1, 1, 1] and not got.flags.writeable
    assert ok.tolist() == [True, False] and not ok.flags.owndata and not ok.flags.writeable
    assert empty.dtype == np.uint32 and empty.shape == (0,) and not empty.flags.writeable
    assert len(strings) == 0 and list(strings) == [] and strings[:] == []
