"""Public Python API: reading (metadata, tensors, zero-copy views), writing (save_gguf,
save_safetensors, RawTensor), dtype helpers. Expected values come from gguf-py's GGUFReader,
the safetensors package, torch and numpy — never from earlier runs of mwt."""

import gc
import importlib.metadata
import json
import math
import os
import pathlib
import re
import struct

import gguf
import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch

import mwt
from mwt import _native

Q = gguf.GGMLQuantizationType
VT = gguf.GGUFValueType


# ------------------------------------------------------------------ fixtures and oracles

def _gguf_py_file(path):
    """A GGUF from gguf-py with every metadata value type and several tensor dtypes."""
    rng = np.random.default_rng(7)
    w = gguf.GGUFWriter(str(path), arch="testarch")
    w.add_uint8("m.u8", 200)
    w.add_int8("m.i8", -100)
    w.add_uint16("m.u16", 60000)
    w.add_int16("m.i16", -30000)
    w.add_uint32("m.u32", 4_000_000_000)
    w.add_int32("m.i32", -2_000_000_000)
    w.add_float32("m.f32", 0.1)
    w.add_bool("m.bool", True)
    w.add_string("m.str", "héllo wörld")
    w.add_uint64("m.u64", 2**64 - 5)
    w.add_int64("m.i64", -(2**62))
    w.add_float64("m.f64", math.pi)
    w.add_key_value("m.arr_i8", [-3, 0, 7], VT.ARRAY, sub_type=VT.INT8)
    w.add_key_value("m.arr_u16", [1, 65535], VT.ARRAY, sub_type=VT.UINT16)
    w.add_key_value("m.arr_f32", [0.5, -1.25, 3.0], VT.ARRAY, sub_type=VT.FLOAT32)
    w.add_key_value("m.arr_bool", [True, False, True], VT.ARRAY, sub_type=VT.BOOL)
    w.add_key_value("m.arr_str", ["a", "", "ßtr"], VT.ARRAY, sub_type=VT.STRING)
    w.add_tensor("t.f32", rng.standard_normal((3, 5)).astype(np.float32))
    w.add_tensor("t.f16", rng.standard_normal((2, 3, 4)).astype(np.float16))
    w.add_tensor("t.i32", rng.integers(-1000, 1000, 7).astype(np.int32))
    w.add_tensor("t.bf16", rng.integers(0, 2**16, (4, 6)).astype(np.uint16), raw_dtype=Q.BF16)
    w.add_tensor("t.q8_0", rng.integers(0, 256, (2, 68)).astype(np.uint8), raw_dtype=Q.Q8_0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


@pytest.fixture(scope="module")
def gguf_path(tmp_path_factory):
    return _gguf_py_file(tmp_path_factory.mktemp("api") / "ref.gguf")


@pytest.fixture(scope="module")
def reader(gguf_path):
    return gguf.GGUFReader(str(gguf_path))


def _oracle_type(field):
    if field.types[0] == VT.ARRAY:
        return f"ARRAY[{field.types[-1].name}]"
    return field.types[0].name


def _oracle_value(field):
    main = field.types[0]
    if main == VT.STRING:
        return field.parts[field.data[0]].tobytes().decode()
    if main == VT.ARRAY:
        if field.types[-1] == VT.STRING:
            return [field.parts[i].tobytes().decode() for i in field.data]
        return np.concatenate([field.parts[i] for i in field.data]) if field.data else None
    return field.parts[field.data[0]][0]


def _st_offsets(path):
    """Absolute data offsets per tensor, parsed from the safetensors header itself."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    return {k: 8 + n + v["data_offsets"][0] for k, v in header.items() if k != "__metadata__"}


# ------------------------------------------------------------------ reading GGUF

def test_header_facts_match_gguf_py(gguf_path, reader):
    with mwt.open(gguf_path) as wf:
        assert wf.format == "gguf" and mwt.detect_format(gguf_path) == "gguf"
        assert wf.version == int(reader.fields["GGUF.version"].parts[0][0])
        assert wf.alignment == reader.alignment
        assert wf.data_offset == reader.data_offset
        assert wf.file_size == os.path.getsize(gguf_path)
        assert [os.path.realpath(s) for s in wf.shards] == [os.path.realpath(gguf_path)]
        assert wf.path == str(gguf_path) and isinstance(wf.warnings, list)


def test_metadata_values_and_types_match_gguf_py(gguf_path, reader):
    fields = [f for f in reader.fields.values() if not f.name.startswith("GGUF.")]
    with mwt.open(gguf_path) as wf:
        assert list(wf.metadata) == [f.name for f in fields]
        assert list(wf.metadata_types) == [f.name for f in fields]
        for f in fields:
            value, tname = wf.metadata[f.name], wf.metadata_types[f.name]
            assert tname == _oracle_type(f), f.name
            want = _oracle_value(f)
            if isinstance(want, np.ndarray):
                assert isinstance(value, np.ndarray) and value.dtype == want.dtype.newbyteorder("=")
                np.testing.assert_array_equal(value, want)
                assert not value.flags.writeable
            elif tname == "BOOL":
                assert value is bool(want)
            elif tname.startswith(("UINT", "INT")):
                assert type(value) is int and value == int(want)
            elif tname.startswith("FLOAT"):
                assert type(value) is float and value == float(want)
            else:
                assert value == want


def test_metadata_is_read_only(gguf_path):
    with mwt.open(gguf_path) as wf:
        with pytest.raises(TypeError):
            wf.metadata["m.u8"] = 1  # type: ignore[index]
        with pytest.raises(ValueError):
            wf.metadata["m.arr_i8"][0] = 1


def test_tensor_table_matches_gguf_py(gguf_path, reader):
    with mwt.open(gguf_path) as wf:
        assert list(wf.tensors) == [rt.name for rt in reader.tensors]
        for rt in reader.tensors:
            t = wf.tensors[rt.name]
            assert t.name == rt.name and t.dtype == rt.tensor_type.name
            assert t.shape == tuple(reversed([int(d) for d in rt.shape]))  # numpy order
            assert t.numel == int(rt.n_elements) and t.nbytes == int(rt.n_bytes)
            assert t.offset == int(rt.data_offset) and t.shard == 0 and t.file is wf
            assert t.raw().tobytes() == rt.data.tobytes()


@pytest.mark.parametrize("name", ["t.f32", "t.f16", "t.i32"])
def test_native_dtypes_view_equals_oracle(gguf_path, reader, name):
    rt = next(r for r in reader.tensors if r.name == name)
    with mwt.open(gguf_path) as wf:
        t = wf.tensors[name]
        a = np.asarray(t)
        assert a.shape == t.shape and a.dtype == rt.data.dtype
        np.testing.assert_array_equal(a, rt.data.reshape(t.shape))
        np.testing.assert_array_equal(t.numpy(), a)
        np.testing.assert_array_equal(t.to_numpy(), a)


def test_views_are_zero_copy_and_read_only(gguf_path):
    with mwt.open(gguf_path) as wf:
        t = wf.tensors["t.f32"]
        a, b, raw = np.asarray(t), t.numpy(), t.raw()
        assert np.shares_memory(a, b) and np.shares_memory(a, raw)
        assert raw.dtype == np.uint8 and raw.ndim == 1 and raw.size == t.nbytes
        for arr in (a, b, raw):
            assert not arr.flags.writeable
            with pytest.raises(ValueError):
                arr.flat[0] = 0
        # The base chain ends at the native file object that owns the memory map.
        base = a
        while isinstance(base, np.ndarray):
            base = base.base
        assert isinstance(base, _native.File)


def test_views_outlive_the_weight_file(gguf_path, reader):
    want = next(r for r in reader.tensors if r.name == "t.f16").data.copy()
    wf = mwt.open(gguf_path)
    a = np.asarray(wf.tensors["t.f16"])
    raw = wf.tensors["t.q8_0"].raw()
    del wf
    gc.collect()
    np.testing.assert_array_equal(a, want.reshape(a.shape))
    assert raw.tobytes() == next(r for r in reader.tensors if r.name == "t.q8_0").data.tobytes()


def test_metadata_values_are_converted_on_first_access(gguf_path):
    with mwt.open(gguf_path) as wf:
        meta = wf.metadata
        keys = list(meta)
        assert keys == list(wf.metadata_types) and len(meta) == len(keys)
        assert "m.u8" in meta and "no.such.key" not in meta
        with pytest.raises(KeyError):
            meta["no.such.key"]
        first = meta["m.arr_i8"]
        assert meta["m.arr_i8"] is first  # cached, not converted again
    # Cached values stay readable after close; a value never read needs the file open.
    assert meta["m.arr_i8"] is first
    unread = next(k for k in keys if k not in ("m.arr_i8",))
    with pytest.raises(ValueError, match="closed"):
        meta[unread]


def test_close_keeps_views_and_blocks_new_access(gguf_path, reader):
    want = next(r for r in reader.tensors if r.name == "t.f32").data.copy()
    with mwt.open(gguf_path) as wf:
        t = wf.tensors["t.f32"]
        a = t.numpy()
    assert wf.closed
    gc.collect()
    np.testing.assert_array_equal(a, want.reshape(a.shape))
    for access in (lambda: wf.tensors, lambda: wf.metadata, t.numpy, t.raw):
        with pytest.raises(ValueError):
            access()
    wf.close()  # idempotent
    assert "closed" in repr(wf)


def test_non_numpy_dtypes(gguf_path, reader):
    # gguf-py hands BF16 data out as raw bytes; view them as the 16-bit patterns.
    bf16_data = next(r for r in reader.tensors if r.name == "t.bf16").data
    bits = np.ascontiguousarray(bf16_data).view(np.uint16)
    with mwt.open(gguf_path) as wf:
        bf16, q = wf.tensors["t.bf16"], wf.tensors["t.q8_0"]
        with pytest.raises(TypeError, match=r"to_numpy\(np.float32\)"):
            np.asarray(bf16)
        with pytest.raises(TypeError, match=r"raw\(\)"):
            q.numpy()
        want = (bits.reshape(bf16.shape).astype(np.uint32) << 16).view(np.float32)
        got = bf16.to_numpy(np.float32)
        assert got.dtype == np.float32 and got.shape == bf16.shape and got.flags.writeable
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.asarray(bf16, dtype=np.float32), want)
        np.testing.assert_array_equal(bf16.to_numpy(np.float64), want.astype(np.float64))
        # Quantized tensors dequantize (bit-exact to gguf-py; test_dequant.py covers every type).
        q_raw = next(r for r in reader.tensors if r.name == "t.q8_0").data
        want_q = gguf.quants.dequantize(np.asarray(q_raw), Q.Q8_0).reshape(q.shape)
        np.testing.assert_array_equal(q.to_numpy(np.float32).view(np.uint32),
                                      want_q.view(np.uint32))
        np.testing.assert_array_equal(q.dequantize(), want_q)


def test_to_numpy_casts_copies(gguf_path, reader):
    ints = next(r for r in reader.tensors if r.name == "t.i32").data
    with mwt.open(gguf_path) as wf:
        t = wf.tensors["t.i32"]
        got = t.to_numpy(np.float32)
        np.testing.assert_array_equal(got, ints.astype(np.float32))
        assert got.flags.writeable and not np.shares_memory(got, t.raw())
        assert np.asarray(t, copy=True).flags.owndata


def test_repr_and_html(gguf_path):
    with mwt.open(gguf_path) as wf:
        for text in (repr(wf), wf._repr_html_()):
            assert "gguf" in text and "ref.gguf" in text
        assert "t.q8_0" in wf._repr_html_() and "m.arr_str" in wf._repr_html_()
        t = wf.tensors["t.bf16"]
        for text in (repr(t), t._repr_html_()):
            assert "t.bf16" in text and "BF16" in text and str(t.shape[0]) in text


# ------------------------------------------------------------------ reading safetensors

@pytest.fixture(scope="module")
def st_arrays():
    rng = np.random.default_rng(11)
    return {
        "w.f32": rng.standard_normal((4, 3)).astype(np.float32),
        "w.f64": rng.standard_normal(5),
        "w.u16": rng.integers(0, 2**16, (2, 2)).astype(np.uint16),
        "w.bool": rng.integers(0, 2, 6).astype(bool),
        "w.c64": (rng.standard_normal(3) + 1j * rng.standard_normal(3)).astype(np.complex64),
        "w.scalar": np.array(2.5, dtype=np.float16),
        "w.empty": np.zeros((0, 4), dtype=np.int64),
    }


def test_safetensors_from_reference_writer(tmp_path, st_arrays):
    path = tmp_path / "ref.safetensors"
    safetensors.numpy.save_file(st_arrays, str(path), metadata={"format": "np", "k": "v"})
    offsets = _st_offsets(path)
    with mwt.open(path) as wf:
        assert wf.format == "safetensors" and wf.version is None and wf.alignment is None
        assert dict(wf.metadata) == {"format": "np", "k": "v"}
        assert set(wf.metadata_types.values()) == {"STRING"}
        assert set(wf.tensors) == set(st_arrays)
        for name, want in st_arrays.items():
            t = wf.tensors[name]
            assert t.shape == want.shape and t.offset == offsets[name]
            got = np.asarray(t)
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)


def test_sharded_safetensors(tmp_path):
    rng = np.random.default_rng(3)
    shards = {"model-00001-of-00002.safetensors": {"a": rng.standard_normal(4).astype(np.float32)},
              "model-00002-of-00002.safetensors": {"b": np.arange(6, dtype=np.int32).reshape(2, 3),
                                                   "c": np.ones(2, np.float16)}}
    weight_map = {}
    for fname, tensors in shards.items():
        safetensors.numpy.save_file(tensors, str(tmp_path / fname))
        weight_map.update({k: fname for k in tensors})
    index = tmp_path / "model.safetensors.index.json"
    index.write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    with mwt.open(index) as wf:
        assert wf.format == "safetensors-sharded"
        assert [os.path.basename(s) for s in wf.shards] == list(shards)
        assert wf.file_size == sum(os.path.getsize(tmp_path / f) for f in shards)
        for i, (fname, tensors) in enumerate(shards.items()):
            offsets = _st_offsets(tmp_path / fname)
            for name, want in tensors.items():
                t = wf.tensors[name]
                assert t.shard == i and t.offset == offsets[name]
                np.testing.assert_array_equal(np.asarray(t), want)


def test_open_options(tmp_path):
    path = tmp_path / "two.safetensors"
    safetensors.numpy.save_file({"a": np.zeros(2, np.float32), "b": np.zeros(1, np.float32)},
                                str(path))
    with pytest.raises(mwt.LimitExceededError):
        mwt.open(path, limits_max_tensors=1)
    with mwt.open(path, limits_max_tensors=2, safetensors_strict=False) as wf:
        assert len(wf.tensors) == 2
    with pytest.raises(mwt.ArgumentError):
        mwt.open(path, limits_no_such_option=1)
    with pytest.raises(TypeError):
        mwt.open(path, limits_max_tensors="many")


def test_every_option_of_the_table_opens_by_its_keyword(tmp_path):
    path = tmp_path / "one.safetensors"
    safetensors.numpy.save_file({"a": np.zeros(2, np.float32)}, str(path))
    header = (pathlib.Path(__file__).resolve().parents[2] / "libmwt" / "include" / "mwt"
              / "mwt.h").read_text()
    defines = dict(re.findall(r'#define MWT_OPT_(\w+) "([a-z0-9_.]+)"', header))
    table = _native.option_table()
    assert sorted(key for key, *_ in table) == sorted(defines.values())
    for key, kind, default, lo, hi, meaning in table:
        assert kind in ("LIMIT", "FLAG") and lo <= default <= hi and meaning
        keyword = key.replace(".", "_", 1)
        with mwt.open(path, **{keyword: default}) as wf:
            assert len(wf.tensors) == 1
        if hi < 2**63 - 1:
            with pytest.raises(mwt.ArgumentError):
                mwt.open(path, **{keyword: hi + 1})
    with pytest.raises(TypeError, match="limits_max_tensors="):  # the message lists the table
        mwt.open(path, strict=1)


def test_value_type_table():
    types = {name: (id_, size, descr) for id_, name, size, descr in _native.value_types()}
    assert set(types) >= {"UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32",
                          "BOOL", "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"}
    # GGUF's numbering and numpy's widths, from gguf-py and numpy rather than mwt.
    for name, (id_, size, descr) in types.items():
        assert id_ == gguf.GGUFValueType[name].value
        if name in ("STRING", "ARRAY"):
            assert size == 0 and descr is None
        else:
            assert np.dtype(descr).itemsize == size
            assert np.dtype(descr) == np.dtype(NP_OF_GGUF[name]).newbyteorder("<")


NP_OF_GGUF = {"UINT8": np.uint8, "INT8": np.int8, "UINT16": np.uint16, "INT16": np.int16,
              "UINT32": np.uint32, "INT32": np.int32, "FLOAT32": np.float32, "BOOL": np.bool_,
              "UINT64": np.uint64, "INT64": np.int64, "FLOAT64": np.float64}


def test_thousand_tensors_listing(tmp_path):
    # The listing's speed is measured in benchmarks/bench_open.py; here its content.
    path = tmp_path / "many.safetensors"
    want = {f"layer.{i}.w": np.full(2 + i % 3, i, np.float32) for i in range(1000)}
    safetensors.numpy.save_file(want, str(path))
    with mwt.open(path) as wf:
        items = wf.tensors.items()
        values = wf.tensors.values()
        assert [n for n, _ in items] == list(wf.tensors) == [t.name for t in values]
        assert sorted(wf.tensors) == sorted(want)
        for name, t in items:
            assert t.shape == want[name].shape and t.dtype == "F32"
            assert t == wf.tensors[name] and hash(t) == hash(wf.tensors[name])
        assert float(wf.tensors["layer.999.w"].numpy()[0]) == 999.0


def test_tensor_fields_are_read_only_and_free_no_cycle(gguf_path):
    import weakref
    wf = mwt.open(gguf_path)
    t = wf.tensors["t.f16"]
    assert isinstance(t, mwt.Tensor) and t.file is wf
    for field in ("name", "dtype", "shape", "nbytes", "offset", "shard", "file"):
        with pytest.raises(AttributeError):
            setattr(t, field, None)
    with pytest.raises(AttributeError):
        t.extra = 1  # no __dict__
    # A hand-built Tensor is the same object as the table's.
    same = mwt.Tensor(wf, t._index, t.name, t.dtype, t.shape, t.nbytes, t.offset, t.shard)
    assert same == t and same.shape == t.shape
    # Tensors are in no reference cycle: dropping the last references frees the file at once,
    # without the cycle collector.
    listing = wf.tensors.items()
    ref = weakref.ref(wf)
    gc.disable()
    try:
        del wf, t, same, listing
        assert ref() is None
    finally:
        gc.enable()


# ------------------------------------------------------------------ writing

def test_save_safetensors_read_by_reference(tmp_path, st_arrays):
    path = tmp_path / "mwt.safetensors"
    arrays = dict(st_arrays, **{"w.t": st_arrays["w.f32"].T})  # non-contiguous input
    mwt.save_safetensors(path, arrays, metadata={"who": "mwt"})
    back = safetensors.numpy.load_file(str(path))
    assert set(back) == set(arrays)
    for name, want in arrays.items():
        assert back[name].dtype == want.dtype
        np.testing.assert_array_equal(back[name], want)
    with safetensors.safe_open(str(path), "np") as f:
        assert f.metadata() == {"who": "mwt"}


def test_raw_tensor_bf16_from_torch(tmp_path):
    t = torch.randn(3, 5).to(torch.bfloat16)
    path = tmp_path / "bf16.safetensors"
    raw = mwt.RawTensor("BF16", t.shape, t.view(torch.uint16).numpy().tobytes())
    mwt.save_safetensors(path, {"x": raw})
    assert torch.equal(safetensors.torch.load_file(str(path))["x"], t)
    with mwt.open(path) as wf:
        np.testing.assert_array_equal(wf.tensors["x"].to_numpy(np.float32),
                                      t.to(torch.float32).numpy())


def test_open_file_tensors_copy_through(tmp_path, gguf_path, reader):
    out = tmp_path / "copy.gguf"
    with mwt.open(gguf_path) as wf:
        mwt.save_gguf(out, wf.tensors)
    r2 = gguf.GGUFReader(str(out))
    assert [t.name for t in r2.tensors] == [t.name for t in reader.tensors]
    for a, b in zip(reader.tensors, r2.tensors):
        assert a.tensor_type == b.tensor_type and list(a.shape) == list(b.shape)
        assert a.data.tobytes() == b.data.tobytes()


def test_gguf_recreated_exactly(tmp_path, gguf_path):
    out = tmp_path / "again.gguf"
    with mwt.open(gguf_path) as wf:
        mwt.save_gguf(out, wf.tensors, wf.metadata, metadata_types=wf.metadata_types)
    assert out.read_bytes() == gguf_path.read_bytes()


def test_save_gguf_type_inference(tmp_path):
    path = tmp_path / "infer.gguf"
    meta = {
        "b": True, "small": -5, "big": 2**40, "huge": 2**63 + 1, "f": 0.25, "s": "text",
        "by": b"\xff\x00raw", "np_u16": np.uint16(7), "np_f64": np.float64(1.5),
        "arr_i8": np.array([1, -2], dtype=np.int8), "l_str": ["x", "y"], "l_int": [1, 2**33],
        "l_float": [0.5, 1.5], "l_bool": [False, True],
    }
    expected = {
        "b": "BOOL", "small": "INT32", "big": "INT64", "huge": "UINT64", "f": "FLOAT32",
        "s": "STRING", "by": "STRING", "np_u16": "UINT16", "np_f64": "FLOAT64",
        "arr_i8": "ARRAY[INT8]", "l_str": "ARRAY[STRING]", "l_int": "ARRAY[INT64]",
        "l_float": "ARRAY[FLOAT32]", "l_bool": "ARRAY[BOOL]",
    }
    mwt.save_gguf(path, {"w": np.arange(4, dtype=np.float32)}, meta)
    r = gguf.GGUFReader(str(path))
    got = {k: _oracle_type(f) for k, f in r.fields.items() if not k.startswith("GGUF.")}
    assert got == expected
    assert r.fields["by"].parts[r.fields["by"].data[0]].tobytes() == b"\xff\x00raw"
    with pytest.raises(mwt.MwtError, match="BAD_ENCODING"):
        mwt.open(path)
    with mwt.open(path, gguf_allow_invalid_utf8=True) as wf:
        assert wf.metadata["by"] == b"\xff\x00raw"  # invalid UTF-8 comes back as bytes
        assert wf.metadata["huge"] == 2**63 + 1 and wf.metadata["l_str"] == ["x", "y"]
        np.testing.assert_array_equal(wf.metadata["l_int"], np.array([1, 2**33]))


def test_save_gguf_forced_types_and_range_checks(tmp_path):
    path = tmp_path / "forced.gguf"
    mwt.save_gguf(path, {}, {"a": 5, "b": [1, 2], "c": 3},
                  metadata_types={"a": "UINT8", "b": "ARRAY[INT16]", "c": "FLOAT64", "x": "BOOL"})
    r = gguf.GGUFReader(str(path))
    assert [_oracle_type(r.fields[k]) for k in "abc"] == ["UINT8", "ARRAY[INT16]", "FLOAT64"]
    assert "x" not in r.fields
    with pytest.raises(ValueError, match="does not fit"):
        mwt.save_gguf(path, {}, {"a": 256}, metadata_types={"a": "UINT8"})
    with pytest.raises(ValueError, match="does not fit"):
        mwt.save_gguf(path, {}, {"a": np.array([-1, 2])}, metadata_types={"a": "ARRAY[UINT32]"})
    with pytest.raises(TypeError):
        mwt.save_gguf(path, {}, {"a": 1.5}, metadata_types={"a": "INT32"})
    with pytest.raises(ValueError, match="unknown GGUF type"):
        mwt.save_gguf(path, {}, {"a": 1}, metadata_types={"a": "ARRAY[ARRAY]"})
    with pytest.raises(TypeError, match="mixed"):
        mwt.save_gguf(path, {}, {"a": [1, "x"]})
    with pytest.raises(TypeError, match="empty"):
        mwt.save_gguf(path, {}, {"a": []})
    assert _oracle_type(gguf.GGUFReader(str(path)).fields["a"]) == "UINT8"  # failures left it


def test_save_gguf_alignment(tmp_path):
    path = tmp_path / "a64.gguf"
    mwt.save_gguf(path, {"w": np.ones(3, np.float32), "v": np.ones(5, np.float16)}, alignment=64)
    r = gguf.GGUFReader(str(path))
    assert r.alignment == 64 and all(t.data_offset % 64 == 0 for t in r.tensors)
    with mwt.open(path) as wf:
        assert wf.alignment == 64 and wf.metadata_types["general.alignment"] == "UINT32"


def test_save_rejects_unmappable_dtypes(tmp_path):
    with pytest.raises(TypeError, match="RawTensor"):
        mwt.save_safetensors(tmp_path / "x.safetensors", {"s": np.array(["a"])})
    with pytest.raises(mwt.BadDtypeError):
        mwt.save_gguf(tmp_path / "x.gguf", {"u": np.zeros(2, np.uint8)})
    with pytest.raises(TypeError):
        mwt.save_safetensors(tmp_path / "x.safetensors", {}, metadata={"n": 1})  # type: ignore


def test_big_endian_arrays_are_written_little_endian(tmp_path):
    want = np.arange(6, dtype=">i4").reshape(2, 3)
    mwt.save_safetensors(tmp_path / "be.safetensors", {"x": want})
    got = safetensors.numpy.load_file(str(tmp_path / "be.safetensors"))["x"]
    np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------ dtypes and versions

def test_dtype_info_matches_gguf_py():
    for qt, (block, size) in gguf.GGML_QUANT_SIZES.items():
        if qt.name in ("Q8_1",):  # gguf-py keeps an old Q8_1 layout (mwt follows ggml-common.h)
            continue
        try:
            info = mwt.dtype_info(qt.name)
        except mwt.BadDtypeError:
            continue  # a type newer than mwt's table
        assert (info.name, info.block_size, info.type_size) == (qt.name, block, size)
    with pytest.raises(mwt.BadDtypeError):
        mwt.dtype_info("NOPE")


def test_convert_round_trips_against_numpy_and_torch():
    x = np.random.default_rng(5).standard_normal((3, 7)).astype(np.float32)
    f16 = mwt.convert_from_f32(x, "F16")
    assert f16.dtype == np.uint16 and f16.shape == x.shape
    np.testing.assert_array_equal(f16, x.astype(np.float16).view(np.uint16))
    np.testing.assert_array_equal(mwt.convert_to_f32(f16, "F16"), x.astype(np.float16))
    bf = mwt.convert_from_f32(x, "BF16")
    np.testing.assert_array_equal(bf, torch.from_numpy(x).to(torch.bfloat16)
                                  .view(torch.uint16).numpy())
    e4 = mwt.convert_from_f32(x, "F8_E4M3")
    assert e4.dtype == np.uint8 and e4.shape == x.shape
    want = torch.from_numpy(x).to(torch.float8_e4m3fn)
    np.testing.assert_array_equal(e4, want.view(torch.uint8).numpy())
    np.testing.assert_array_equal(mwt.convert_to_f32(e4, "F8_E4M3"), want.float().numpy())


def test_version():
    assert mwt.__version__ == importlib.metadata.version("mwt")
    assert isinstance(mwt.abi_version(), int) and mwt.abi_version() >= 0


def test_public_names_exist():
    for name in mwt.__all__:
        assert hasattr(mwt, name), name
