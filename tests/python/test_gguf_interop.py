"""GGUF interop: files from gguf-py's GGUFWriter read through mwt.open exactly as gguf-py's own
GGUFReader reads them, and mwt-written GGUF read back identically by gguf-py and by mwt."""

from __future__ import annotations

import os

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
mwt = pytest.importorskip("mwt")

from gguf import (  # noqa: E402
    GGMLQuantizationType as QT,  # noqa: E402
    GGUFReader,
    GGUFValueType as VT,
    GGUFWriter,
)

NP_OF_VT = {VT.UINT8: np.uint8, VT.INT8: np.int8, VT.UINT16: np.uint16, VT.INT16: np.int16,
            VT.UINT32: np.uint32, VT.INT32: np.int32, VT.FLOAT32: np.float32,
            VT.UINT64: np.uint64, VT.INT64: np.int64, VT.FLOAT64: np.float64, VT.BOOL: np.bool_}
# Dtypes gguf-py writes from a typed numpy array; BF16 goes in raw (uint16 bits + raw_dtype).
NATIVE = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I8": np.int8,
          "I16": np.int16, "I32": np.int32, "I64": np.int64}
UNQUANTIZED = set(NATIVE) | {"BF16"}
# Q8_1 is an activation-only type whose block is 36 bytes in ggml (d, s as halves + 32 int8);
# gguf-py's GGML_QUANT_SIZES still says 40 (an old float layout), so a "Q8_1" tensor gguf-py
# writes is not one ggml could read. It is checked separately below, not round-tripped.
QUANTIZED = [t for t in QT if t.name not in UNQUANTIZED and t.name != "Q8_1"]


def _extremes(np_type) -> list:
    if np_type is np.bool_:
        return [True, False, True]
    if np.issubdtype(np_type, np.integer):
        info = np.iinfo(np_type)
        return [int(info.min), 0, int(info.max), 1, int(info.max) - 1]
    info = np.finfo(np_type)
    return [float(info.min), -0.0, float(info.tiny), 0.1, float(info.max), float("inf"),
            float("-inf"), float("nan")]


def _add_all_value_types(w: GGUFWriter) -> None:
    """One scalar and one array of every GGUF value type, with edge values."""
    for vt, np_type in NP_OF_VT.items():
        for i, v in enumerate(_extremes(np_type)[:3]):
            w.add_key_value(f"test.scalar.{vt.name.lower()}.{i}", v, vt)
        w.add_key_value(f"test.array.{vt.name.lower()}", _extremes(np_type), VT.ARRAY, sub_type=vt)
    w.add_key_value("test.scalar.string", "héllo\n\"world\" \u2603", VT.STRING)
    w.add_key_value("test.scalar.string_empty", "", VT.STRING)
    w.add_key_value("test.array.string", ["a", "", "ü\u00e9", "tab\tnl\n", "x" * 300],
                    VT.ARRAY, sub_type=VT.STRING)
    w.add_key_value("test.array.long_u32", list(range(1000)), VT.ARRAY, sub_type=VT.UINT32)


def _add_tensors(w: GGUFWriter, rng: np.random.Generator, quant_types) -> None:
    for name, np_type in NATIVE.items():
        if np.issubdtype(np_type, np.integer):
            info = np.iinfo(np_type)
            a = rng.integers(info.min, info.max, size=(3, 5, 4), dtype=np_type, endpoint=True)
        else:
            a = rng.standard_normal((3, 5, 4)).astype(np_type)
        w.add_tensor(f"t.{name.lower()}", a)
    w.add_tensor("t.f32_1d", rng.standard_normal(7).astype(np.float32))
    w.add_tensor("t.f32_4d", rng.standard_normal((2, 3, 1, 5)).astype(np.float32))
    bits = rng.integers(0, 2**16, size=(4, 6), dtype=np.uint16)
    w.add_tensor("t.bf16", bits, raw_dtype=QT.BF16)
    for qt in quant_types:
        block, type_size = gguf.GGML_QUANT_SIZES[qt]
        # Two rows of two blocks: random bytes, the quant layout is opaque to the container.
        raw = rng.integers(0, 256, size=(2, 2 * type_size), dtype=np.uint8)
        w.add_tensor(f"q.{qt.name.lower()}", raw, raw_dtype=qt)


def _write_gguf(path, quant_types=QUANTIZED, alignment=None, seed=0) -> str:
    w = GGUFWriter(str(path), arch="llama")
    if alignment is not None:
        w.add_custom_alignment(alignment)
    _add_all_value_types(w)
    _add_tensors(w, np.random.default_rng(seed), quant_types)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return str(path)


def _type_name(field) -> str:
    if field.types[0] == VT.ARRAY:
        return f"ARRAY[{field.types[-1].name}]"
    return field.types[0].name


def _assert_metadata_matches(wf, reader: GGUFReader) -> None:
    fields = [f for k, f in reader.fields.items() if not k.startswith("GGUF.")]
    assert list(wf.metadata.keys()) == [f.name for f in fields]  # same keys, same order
    for f in fields:
        value, tname = wf.metadata[f.name], wf.metadata_types[f.name]
        assert tname == _type_name(f), f.name
        main, sub = f.types[0], f.types[-1]
        if main == VT.STRING:
            assert isinstance(value, str) and value == f.contents(), f.name
        elif main == VT.ARRAY and sub == VT.STRING:
            assert list(value) == f.contents(), f.name
            assert all(isinstance(s, str) for s in value)
        elif main == VT.ARRAY:
            expected = np.concatenate([f.parts[i] for i in f.data])
            assert isinstance(value, np.ndarray), f.name
            assert value.dtype == expected.dtype, f.name
            assert value.tobytes() == expected.tobytes(), f.name  # bitwise: NaN and -0.0 too
        else:
            stored = f.parts[-1]
            assert stored.dtype == NP_OF_VT[main]
            if main == VT.BOOL:
                assert isinstance(value, bool) and value == bool(stored[0]), f.name
            elif main in (VT.FLOAT32, VT.FLOAT64):
                assert isinstance(value, float), f.name
                # Widening f32 -> f64 is exact, so compare the stored bits after narrowing back.
                assert np.array([value], dtype=stored.dtype).tobytes() == stored.tobytes(), f.name
            else:
                assert isinstance(value, int) and not isinstance(value, bool), f.name
                assert value == int(stored[0]), f.name


def _assert_tensors_match(wf, reader: GGUFReader) -> None:
    assert list(wf.tensors.keys()) == [t.name for t in reader.tensors]
    for rt in reader.tensors:
        t = wf.tensors[rt.name]
        assert t.name == rt.name
        assert t.dtype == rt.tensor_type.name
        assert tuple(t.shape) == tuple(reversed([int(d) for d in rt.shape])), rt.name
        assert t.numel == rt.n_elements
        assert t.nbytes == rt.n_bytes
        assert t.offset == rt.data_offset
        raw = t.raw()
        assert raw.dtype == np.uint8 and raw.size == rt.n_bytes
        assert raw.tobytes() == rt.data.tobytes(), rt.name
        if t.dtype in NATIVE:
            a = np.asarray(t)
            assert a.dtype == NATIVE[t.dtype] and a.shape == rt.data.shape
            assert a.tobytes() == rt.data.tobytes()


def _assert_same_file(wf, path: str) -> None:
    reader = GGUFReader(path)
    assert wf.format == "gguf"
    assert wf.version == int(reader.fields["GGUF.version"].parts[0][0])
    assert wf.file_size == os.path.getsize(path)
    assert wf.alignment == reader.alignment
    assert wf.data_offset == reader.data_offset
    assert [os.path.realpath(s) for s in wf.shards] == [os.path.realpath(path)]
    _assert_metadata_matches(wf, reader)
    _assert_tensors_match(wf, reader)


def _rewrite(wf, dst) -> str:
    """Write an open file's content with mwt: Tensor objects keep dtype and bytes."""
    metadata = {k: v for k, v in wf.metadata.items() if k != "general.alignment"}
    types = {k: wf.metadata_types[k] for k in metadata}
    mwt.save_gguf(str(dst), dict(wf.tensors), metadata, metadata_types=types,
                  alignment=wf.alignment)
    return str(dst)


@pytest.fixture(scope="module")
def gguf_py_file(tmp_path_factory):
    return _write_gguf(tmp_path_factory.mktemp("gguf") / "all.gguf")


def test_gguf_py_file_reads_identically(gguf_py_file):
    with mwt.open(gguf_py_file) as wf:
        _assert_same_file(wf, gguf_py_file)
        assert mwt.detect_format(gguf_py_file) == "gguf"


@pytest.mark.parametrize("qt", QUANTIZED, ids=lambda q: q.name)
def test_quantized_block_sizes_match_gguf_py(qt):
    info = mwt.dtype_info(qt.name)
    assert (info.block_size, info.type_size) == gguf.GGML_QUANT_SIZES[qt]


def test_q8_1_uses_ggml_block_not_gguf_py_table():
    info = mwt.dtype_info("Q8_1")
    assert (info.block_size, info.type_size) == (32, 36)  # ggml's sizeof(block_q8_1)
    assert gguf.GGML_QUANT_SIZES[QT.Q8_1] == (32, 40)  # the known gguf-py discrepancy


def test_float_conversion_of_f16_and_bf16(gguf_py_file):
    reader = GGUFReader(gguf_py_file)
    by_name = {t.name: t for t in reader.tensors}
    with mwt.open(gguf_py_file) as wf:
        f16 = wf.tensors["t.f16"].to_numpy(np.float32)
        assert f16.dtype == np.float32
        np.testing.assert_array_equal(f16, by_name["t.f16"].data.astype(np.float32))
        bits = by_name["t.bf16"].data.view(np.uint16).reshape(4, 6)
        # BF16 is the top half of an f32: shifting the bits up is the exact conversion.
        expected = (bits.astype(np.uint32) << 16).view(np.float32)
        got = wf.tensors["t.bf16"].to_numpy(np.float32)
        assert got.shape == expected.shape
        assert got.view(np.uint32).tobytes() == expected.view(np.uint32).tobytes()


def test_custom_alignment(tmp_path):
    path = _write_gguf(tmp_path / "a64.gguf", quant_types=[QT.Q4_0, QT.Q6_K], alignment=64)
    with mwt.open(path) as wf:
        assert wf.alignment == 64 and wf.data_offset % 64 == 0
        assert all((t.offset - wf.data_offset) % 64 == 0 for t in wf.tensors.values())
        _assert_same_file(wf, path)
        out = _rewrite(wf, tmp_path / "a64.mwt.gguf")
    with mwt.open(out) as wf2:
        _assert_same_file(wf2, out)
        assert wf2.alignment == 64


def test_mwt_written_gguf_reads_identically_in_gguf_py(gguf_py_file, tmp_path):
    with mwt.open(gguf_py_file) as wf:
        out = _rewrite(wf, tmp_path / "rewritten.gguf")
        src_meta = {k: (wf.metadata_types[k]) for k in wf.metadata}
        src_tensors = {n: (t.dtype, tuple(t.shape), t.raw().tobytes())
                       for n, t in wf.tensors.items()}
    reader = GGUFReader(out)
    original = GGUFReader(gguf_py_file)
    # gguf-py sees the same fields (types and raw value parts) in the same order.
    fields = [(k, _type_name(f), [p.tobytes() for p in f.parts[3:]])
              for k, f in reader.fields.items() if not k.startswith("GGUF.")]
    expected = [(k, _type_name(f), [p.tobytes() for p in f.parts[3:]])
                for k, f in original.fields.items() if not k.startswith("GGUF.")]
    assert fields == expected
    assert {k: t for k, t, _ in fields} == src_meta
    got = {t.name: (t.tensor_type.name, tuple(reversed([int(d) for d in t.shape])),
                    t.data.tobytes()) for t in reader.tensors}
    assert got == src_tensors
    with mwt.open(out) as wf2:
        _assert_same_file(wf2, out)


def test_mwt_layout_is_gguf_py_layout(gguf_py_file, tmp_path):
    # docs/gguf.md#writer: the writer uses gguf-py's layout, so re-writing a gguf-py file changes
    # no byte.
    with mwt.open(gguf_py_file) as wf:
        out = _rewrite(wf, tmp_path / "same.gguf")
    with open(gguf_py_file, "rb") as a, open(out, "rb") as b:
        assert a.read() == b.read()


def test_rewrite_is_byte_identical(gguf_py_file, tmp_path):
    with mwt.open(gguf_py_file) as wf:
        first = _rewrite(wf, tmp_path / "first.gguf")
    with mwt.open(first) as wf1:
        second = _rewrite(wf1, tmp_path / "second.gguf")
    with open(first, "rb") as a, open(second, "rb") as b:
        assert a.read() == b.read()


def test_save_gguf_from_numpy_and_raw_tensors(tmp_path):
    rng = np.random.default_rng(1)
    arrays = {name: (rng.standard_normal((4, 8)) * 100).astype(np_type)
              for name, np_type in NATIVE.items()}
    block, type_size = gguf.GGML_QUANT_SIZES[QT.Q4_K]
    q_bytes = rng.integers(0, 256, size=3 * type_size, dtype=np.uint8).tobytes()
    tensors = dict(arrays)
    tensors["q4k"] = mwt.RawTensor("Q4_K", (3, block), q_bytes)
    metadata = {"general.architecture": "llama", "x.u16": 7, "x.f64": 0.25,
                "x.arr": np.arange(5, dtype=np.int16), "x.strs": ["p", "q"], "x.b": True}
    types = {"x.u16": "UINT16", "x.f64": "FLOAT64"}
    path = str(tmp_path / "np.gguf")
    mwt.save_gguf(path, tensors, metadata, metadata_types=types)
    reader = GGUFReader(path)
    f = reader.fields
    assert _type_name(f["x.u16"]) == "UINT16" and f["x.u16"].contents() == 7
    assert _type_name(f["x.f64"]) == "FLOAT64" and f["x.f64"].contents() == 0.25
    assert _type_name(f["x.arr"]) == "ARRAY[INT16]" and f["x.arr"].contents() == list(range(5))
    assert _type_name(f["x.strs"]) == "ARRAY[STRING]" and f["x.strs"].contents() == ["p", "q"]
    assert _type_name(f["x.b"]) == "BOOL" and f["x.b"].contents() is True
    by_name = {t.name: t for t in reader.tensors}
    for name, a in arrays.items():
        rt = by_name[name]
        assert rt.tensor_type.name == name
        assert rt.data.dtype == a.dtype and rt.data.shape == a.shape
        assert rt.data.tobytes() == a.tobytes()
    assert by_name["q4k"].tensor_type == QT.Q4_K
    assert tuple(reversed([int(d) for d in by_name["q4k"].shape])) == (3, block)
    assert by_name["q4k"].data.tobytes() == q_bytes


def test_truncated_gguf_is_rejected(gguf_py_file, tmp_path):
    data = open(gguf_py_file, "rb").read()
    with mwt.open(gguf_py_file) as wf:
        header_end = wf.data_offset
        data_end = max(t.offset + t.nbytes for t in wf.tensors.values())
    # Cut inside the metadata, just before the data start, and inside the last tensor's data (not
    # just its alignment padding, which a reader may legitimately not need).
    for cut in (40, header_end - 10, data_end - 1):
        p = tmp_path / f"cut{cut}.gguf"
        p.write_bytes(data[:cut])
        with pytest.raises(mwt.MwtError) as info:
            mwt.open(str(p))
        assert isinstance(info.value.code_name, str) and info.value.code_name
