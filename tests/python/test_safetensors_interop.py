"""safetensors interop: files from safetensors.numpy / safetensors.torch (every dtype torch has)
and a 3-shard transformers checkpoint read through mwt.open exactly as the safetensors library
reads them; mwt-written safetensors read back identically by safetensors and by mwt."""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest

torch = pytest.importorskip("torch")
st_numpy = pytest.importorskip("safetensors.numpy")
st_torch = pytest.importorskip("safetensors.torch")
mwt = pytest.importorskip("mwt")

from safetensors import safe_open  # noqa: E402

# safetensors dtype name -> torch dtype attribute; the ones this torch build lacks are skipped.
TORCH_DTYPES = {
    "F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
    "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2", "F8_E4M3FNUZ": "float8_e4m3fnuz",
    "F8_E5M2FNUZ": "float8_e5m2fnuz", "F8_E8M0": "float8_e8m0fnu", "F4": "float4_e2m1fn_x2",
    "I8": "int8", "I16": "int16", "I32": "int32", "I64": "int64", "U8": "uint8",
    "U16": "uint16", "U32": "uint32", "U64": "uint64", "BOOL": "bool", "C64": "complex64",
}
AVAILABLE = {k: getattr(torch, v) for k, v in TORCH_DTYPES.items() if hasattr(torch, v)}
NUMPY_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I8": np.int8,
                "I16": np.int16, "I32": np.int32, "I64": np.int64, "U8": np.uint8,
                "U16": np.uint16, "U32": np.uint32, "U64": np.uint64, "BOOL": np.bool_,
                "C64": np.complex64}
# Float dtypes whose to_numpy(float32) result torch can check (C64 and F4 have no such cast).
TORCH_FLOAT_CHECK = ["F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2", "F8_E4M3FNUZ",
                     "F8_E5M2FNUZ", "F8_E8M0"]


def _header(path: str) -> tuple[int, dict]:
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return 8 + n, json.loads(f.read(n))


def _torch_bytes(t) -> bytes:
    return t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def _random_torch(dtype, shape, gen):
    if dtype == torch.bool:
        return torch.rand(shape, generator=gen) > 0.5
    itemsize = torch.empty((), dtype=dtype).element_size()
    # Random bit patterns cover every encoding (NaN, subnormals, negative zero) of small floats.
    raw = torch.randint(0, 256, (*shape[:-1], shape[-1] * itemsize), dtype=torch.uint8,
                        generator=gen)
    return raw.view(dtype)


def _assert_matches_safetensors(wf, path: str) -> None:
    """Every tensor of the single file at path: dtype, shape, offset, bytes as safetensors sees."""
    start, header = _header(path)
    assert wf.format == "safetensors"
    assert wf.file_size == os.path.getsize(path)
    assert wf.data_offset == start
    with safe_open(path, framework="pt") as f:
        assert dict(wf.metadata) == (f.metadata() or {})
        assert all(t == "STRING" for t in wf.metadata_types.values())
        assert set(wf.tensors.keys()) == set(f.keys())
        for name in f.keys():
            t, sl = wf.tensors[name], f.get_slice(name)
            assert t.name == name
            assert t.dtype == sl.get_dtype() == header[name]["dtype"], name
            assert list(t.shape) == list(sl.get_shape()), name
            begin, end = header[name]["data_offsets"]
            assert t.offset == start + begin and t.nbytes == end - begin, name
            assert t.raw().tobytes() == _torch_bytes(f.get_tensor(name)), name


@pytest.fixture(scope="module")
def torch_file(tmp_path_factory):
    gen = torch.Generator().manual_seed(0)
    tensors = {f"t.{k.lower()}": _random_torch(d, (3, 5), gen) for k, d in AVAILABLE.items()}
    tensors["t.scalar_f32"] = torch.tensor(1.5)
    tensors["t.empty_f16"] = torch.zeros((0, 4), dtype=torch.float16)
    tensors["t.f32_4d"] = torch.randn((2, 1, 3, 2), generator=gen)
    path = str(tmp_path_factory.mktemp("st") / "torch.safetensors")
    st_torch.save_file(tensors, path, metadata={"format": "pt", "note": "ünïcode"})
    return path


@pytest.fixture(scope="module")
def numpy_file(tmp_path_factory):
    rng = np.random.default_rng(0)
    tensors = {}
    for k, np_type in NUMPY_DTYPES.items():
        raw = rng.integers(0, 256, size=4 * 6 * np.dtype(np_type).itemsize, dtype=np.uint8)
        a = (raw % 2).astype(np.bool_) if np_type is np.bool_ else raw.view(np_type)
        tensors[f"n.{k.lower()}"] = a.reshape(4, 6)
    path = str(tmp_path_factory.mktemp("st") / "numpy.safetensors")
    st_numpy.save_file(tensors, path)
    return path


def test_torch_file_every_dtype(torch_file):
    _, header = _header(torch_file)
    # Guard against a silently shrinking dtype list: every dtype torch has is in the file.
    assert {v["dtype"] for k, v in header.items() if k != "__metadata__"} >= set(AVAILABLE)
    with mwt.open(torch_file) as wf:
        _assert_matches_safetensors(wf, torch_file)
        assert mwt.detect_format(torch_file) == "safetensors"


def test_numpy_file_every_dtype(numpy_file):
    loaded = st_numpy.load_file(numpy_file)
    with mwt.open(numpy_file) as wf:
        _assert_matches_safetensors(wf, numpy_file)
        for name, expected in loaded.items():
            a = np.asarray(wf.tensors[name])  # numpy-native dtypes come back typed
            assert a.dtype == expected.dtype and a.shape == expected.shape, name
            assert a.tobytes() == expected.tobytes(), name


@pytest.mark.parametrize("dtype", [d for d in TORCH_FLOAT_CHECK if d in AVAILABLE])
def test_to_numpy_float32_matches_torch(torch_file, dtype):
    name = f"t.{dtype.lower()}"
    with safe_open(torch_file, framework="pt") as f:
        expected = f.get_tensor(name).to(torch.float32).numpy()
    with mwt.open(torch_file) as wf:
        got = wf.tensors[name].to_numpy(np.float32)
    assert got.dtype == np.float32 and got.shape == expected.shape
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(got), nan)
    # Bitwise on the non-NaN values so -0.0 vs 0.0 and subnormals are checked too.
    assert got[~nan].view(np.uint32).tobytes() == expected[~nan].view(np.uint32).tobytes()


def _rewrite(wf, dst) -> str:
    mwt.save_safetensors(str(dst), dict(wf.tensors), metadata=dict(wf.metadata) or None)
    return str(dst)


@pytest.mark.parametrize("which", ["torch_file", "numpy_file"])
def test_mwt_written_read_by_safetensors(which, request, tmp_path):
    src = request.getfixturevalue(which)
    with mwt.open(src) as wf:
        out = _rewrite(wf, tmp_path / "out.safetensors")
    with safe_open(src, framework="pt") as a, safe_open(out, framework="pt") as b:
        assert (a.metadata() or {}) == (b.metadata() or {})
        assert set(a.keys()) == set(b.keys())
        for name in a.keys():
            sa, sb = a.get_slice(name), b.get_slice(name)
            assert sa.get_dtype() == sb.get_dtype() and sa.get_shape() == sb.get_shape(), name
            assert _torch_bytes(a.get_tensor(name)) == _torch_bytes(b.get_tensor(name)), name
    with mwt.open(out) as wf2:
        _assert_matches_safetensors(wf2, out)


@pytest.mark.parametrize("which", ["torch_file", "numpy_file"])
def test_rewrite_is_byte_identical(which, request, tmp_path):
    src = request.getfixturevalue(which)
    with mwt.open(src) as wf:
        first = _rewrite(wf, tmp_path / "first.safetensors")
    with mwt.open(first) as wf1:
        second = _rewrite(wf1, tmp_path / "second.safetensors")
    with open(first, "rb") as a, open(second, "rb") as b:
        assert a.read() == b.read()


def test_writer_layout_rules(torch_file, tmp_path):
    # docs/safetensors.md#writer: header padded with spaces to 8 bytes; offsets tile the buffer
    # with no gap.
    with mwt.open(torch_file) as wf:
        out = _rewrite(wf, tmp_path / "layout.safetensors")
    raw = open(out, "rb").read()
    start, header = _header(out)
    assert start % 8 == 0
    text = raw[8:start].decode("utf-8")
    body = text.rstrip(" ")
    assert body.endswith("}") and json.loads(body) == header
    spans = sorted(v["data_offsets"] for k, v in header.items() if k != "__metadata__")
    assert spans[0][0] == 0 and spans[-1][1] == len(raw) - start
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))


@pytest.mark.parametrize("which", ["torch_file", "numpy_file"])
def test_mwt_layout_is_reference_layout(which, request, tmp_path):
    # docs/safetensors.md#writer: tensors sorted by dtype alignment then name, as the safetensors
    # library writes them, so re-writing a reference file reproduces it byte for byte.
    src = request.getfixturevalue(which)
    with mwt.open(src) as wf:
        out = _rewrite(wf, tmp_path / "ref.safetensors")
    assert open(out, "rb").read() == open(src, "rb").read()


def test_save_safetensors_from_numpy_and_raw(tmp_path):
    rng = np.random.default_rng(2)
    arrays = {f"a.{k.lower()}": rng.integers(0, 2, size=(2, 3)).astype(t)
              for k, t in NUMPY_DTYPES.items()}
    bf16 = rng.integers(0, 2**16, size=(2, 3), dtype=np.uint16)
    tensors = dict(arrays, **{"r.bf16": mwt.RawTensor("BF16", (2, 3), bf16.tobytes())})
    path = str(tmp_path / "w.safetensors")
    mwt.save_safetensors(path, tensors, metadata={"k": "v"})
    with safe_open(path, framework="pt") as f:
        assert f.metadata() == {"k": "v"}
        got = f.get_tensor("r.bf16")
        assert got.dtype == torch.bfloat16 and tuple(got.shape) == (2, 3)
        assert _torch_bytes(got) == bf16.tobytes()
    # safetensors.numpy.load_file refuses the whole file over its BF16 tensor (numpy has no
    # bfloat16), so the numpy-native tensors are read one by one.
    with safe_open(path, framework="numpy") as f:
        for name, a in arrays.items():
            got = f.get_tensor(name)
            assert got.dtype == a.dtype and got.tobytes() == a.tobytes(), name


# ----------------------------------------------------------------------------- sharded checkpoint

@pytest.fixture(scope="module")
def sharded_checkpoint(tmp_path_factory):
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    cfg = transformers.LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=128,
                                   num_hidden_layers=2, num_attention_heads=4,
                                   num_key_value_heads=2, max_position_embeddings=128)
    model = transformers.LlamaForCausalLM(cfg)
    out = tmp_path_factory.mktemp("sharded")
    # 160 KB against ~417 KiB of f32 weights splits the tiny model into three shards.
    model.save_pretrained(str(out), safe_serialization=True, max_shard_size="160KB")
    return str(out), {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("entry", ["dir", "index"])
def test_three_shard_checkpoint(sharded_checkpoint, entry):
    root, state = sharded_checkpoint
    index_path = os.path.join(root, "model.safetensors.index.json")
    weight_map = json.load(open(index_path))["weight_map"]
    shard_files = sorted(set(weight_map.values()))
    assert len(shard_files) == 3
    with mwt.open(root if entry == "dir" else index_path) as wf:
        assert wf.format == "safetensors-sharded"
        assert sorted(os.path.basename(s) for s in wf.shards) == shard_files
        assert wf.file_size == sum(os.path.getsize(os.path.join(root, s)) for s in shard_files)
        union = {}
        for shard in shard_files:
            path = os.path.join(root, shard)
            start, header = _header(path)
            with safe_open(path, framework="pt") as f:
                for name in f.keys():
                    assert name not in union
                    begin, end = header[name]["data_offsets"]
                    union[name] = (shard, f.get_slice(name).get_dtype(),
                                   list(f.get_slice(name).get_shape()), start + begin,
                                   _torch_bytes(f.get_tensor(name)))
        assert set(union) == set(weight_map) == set(wf.tensors)
        for name, t in wf.tensors.items():
            shard_path = wf.shards[t.shard] if isinstance(t.shard, int) else t.shard
            got = (os.path.basename(shard_path), t.dtype, list(t.shape), t.offset,
                   t.raw().tobytes())
            assert got == union[name], name
            assert union[name][0] == weight_map[name]
            # The checkpoint holds exactly the model's parameters.
            assert t.raw().tobytes() == _torch_bytes(state[name]), name


def test_sharded_rewrite_as_single_file(sharded_checkpoint, tmp_path):
    root, state = sharded_checkpoint
    with mwt.open(root) as wf:
        out = _rewrite(wf, tmp_path / "merged.safetensors")
    loaded = st_torch.load_file(out)
    assert set(loaded) == set(state)
    for name, t in state.items():
        assert loaded[name].dtype == t.dtype and _torch_bytes(loaded[name]) == _torch_bytes(t)
