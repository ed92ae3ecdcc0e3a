"""`mwt inspect`: text and --json output on GGUF, safetensors and a sharded directory, checked
against gguf-py / safetensors and mwt.open; exit codes 0 (ok), 1 (invalid file), 2 (usage)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
st_numpy = pytest.importorskip("safetensors.numpy")
mwt = pytest.importorskip("mwt")

from mwt.cli import main  # noqa: E402

TOKENS = [f"tok{i}" for i in range(20)]
JSON_KEYS = {"path", "format", "version", "file_size", "alignment", "data_offset", "shards",
             "warnings", "metadata", "tensors", "totals", "quantization",
             "architecture"}


def _strict_json(text: str):
    """json.loads that rejects NaN/Infinity literals: --json must be portable JSON."""
    def bad(c):
        raise ValueError(f"non-standard JSON constant {c}")
    return json.loads(text, parse_constant=bad)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    # GGUF from gguf-py: long string and numeric arrays (summarized in text), a NaN scalar.
    g = str(root / "m.gguf")
    w = gguf.GGUFWriter(g, arch="llama")
    w.add_uint32("llama.block_count", 2)
    w.add_float32("test.nan", float("nan"))
    w.add_array("tokenizer.ggml.tokens", TOKENS)
    w.add_key_value("tokenizer.ggml.scores", [float(i) / 3 for i in range(20)],
                    gguf.GGUFValueType.ARRAY, sub_type=gguf.GGUFValueType.FLOAT32)
    w.add_key_value("test.short", [1, 2, 3], gguf.GGUFValueType.ARRAY,
                    sub_type=gguf.GGUFValueType.INT8)
    w.add_string("general.name", "line1\nline2")
    w.add_tensor("token_embd.weight", rng.standard_normal((20, 32)).astype(np.float32))
    w.add_tensor("blk.0.attn_norm.weight", rng.standard_normal(32).astype(np.float16))
    q_size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType.Q4_0][1]
    w.add_tensor("blk.0.attn_q.weight", rng.integers(0, 256, (32, q_size), dtype=np.uint8),
                 raw_dtype=gguf.GGMLQuantizationType.Q4_0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    # Single safetensors file with __metadata__.
    s = str(root / "m.safetensors")
    st_numpy.save_file({"a": rng.standard_normal((3, 4)).astype(np.float32),
                        "b": np.arange(6, dtype=np.int64)}, s, metadata={"format": "np"})
    # Three shards plus the index, the layout transformers writes.
    d = root / "sharded"
    d.mkdir()
    weight_map = {}
    for i in range(3):
        shard = f"model-0000{i + 1}-of-00003.safetensors"
        names = {f"layer{i}.w": rng.standard_normal((4, 4)).astype(np.float32),
                 f"layer{i}.b": rng.standard_normal(4).astype(np.float16)}
        st_numpy.save_file(names, str(d / shard))
        weight_map.update({n: shard for n in names})
    (d / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {"total_size": 0}, "weight_map": weight_map}))
    garbage = root / "garbage.bin"
    garbage.write_bytes(b"this is not a weight file at all" * 4)
    truncated = root / "truncated.gguf"
    truncated.write_bytes(open(g, "rb").read()[:100])
    return {"gguf": g, "st": s, "dir": str(d), "garbage": str(garbage),
            "truncated": str(truncated), "missing": str(root / "nope.gguf")}


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_gguf_json_matches_gguf_py_and_mwt(files, capsys):
    rc, out, err = run(capsys, "inspect", "--json", files["gguf"])
    assert rc == 0 and err == ""
    r = _strict_json(out)
    assert set(r) == JSON_KEYS
    reader = gguf.GGUFReader(files["gguf"])
    with mwt.open(files["gguf"]) as wf:
        assert r["format"] == wf.format == "gguf"
        assert (r["version"], r["alignment"], r["data_offset"]) == (
            wf.version, wf.alignment, wf.data_offset)
        assert r["file_size"] == os.path.getsize(files["gguf"])
        assert r["shards"] == [str(s) for s in wf.shards]
        assert r["warnings"] == list(wf.warnings)
        assert list(r["metadata"]) == list(wf.metadata)
        assert {k: v["type"] for k, v in r["metadata"].items()} == dict(wf.metadata_types)
    fields = {k: f for k, f in reader.fields.items() if not k.startswith("GGUF.")}
    assert list(r["metadata"]) == list(fields)
    for key, f in fields.items():
        value = r["metadata"][key]["value"]
        if key == "test.nan":
            assert value == "NaN"  # spelled as a string; JSON has no NaN
        else:
            assert value == f.contents(), key  # complete arrays, exact floats
    assert r["metadata"]["tokenizer.ggml.tokens"]["type"] == "ARRAY[STRING]"
    want = [{"name": t.name, "dtype": t.tensor_type.name,
             "shape": list(reversed([int(d) for d in t.shape])), "nbytes": int(t.n_bytes),
             "offset": int(t.data_offset)} for t in reader.tensors]
    assert [{k: v for k, v in t.items() if k != "shard"} for t in r["tensors"]] == want
    totals = r["totals"]
    assert totals["tensors"] == len(reader.tensors)
    assert totals["parameters"] == sum(int(t.n_elements) for t in reader.tensors)
    assert totals["bytes"] == sum(int(t.n_bytes) for t in reader.tensors)
    by_dtype = {}
    for t in reader.tensors:
        by_dtype[t.tensor_type.name] = by_dtype.get(t.tensor_type.name, 0) + int(t.n_bytes)
    assert totals["bytes_by_dtype"] == by_dtype
    assert sum(totals["parameters_by_dtype"].values()) == totals["parameters"]
    # The quantization block is the library's report; its histogram agrees with gguf-py.
    q = r["quantization"]
    with mwt.open(files["gguf"]) as wf:
        assert q == wf.quantization
    assert q["format"] == "gguf"
    assert {h["type"]: h["bytes"] for h in q["histogram"]} == by_dtype


def test_gguf_text(files, capsys):
    rc, out, err = run(capsys, "inspect", files["gguf"])
    assert rc == 0 and err == ""
    reader = gguf.GGUFReader(files["gguf"])
    for key in (k for k in reader.fields if not k.startswith("GGUF.")):
        assert key in out, key
    lines = out.splitlines()
    for t in reader.tensors:
        row = next(line for line in lines if line.split()[:1] == [t.name])
        assert t.tensor_type.name in row.split()
        assert f"{int(t.n_bytes):,}" in row
    # Long arrays are summarized with their length and element type; short ones are not.
    tok_line = next(line for line in lines if "tokenizer.ggml.tokens" in line)
    assert f"[{len(TOKENS)} × STRING]" in tok_line and '"tok0"' in tok_line
    assert "tok19" not in tok_line
    assert f"[{20} × FLOAT32]" in next(line for line in lines if "ggml.scores" in line)
    assert "[1, 2, 3]" in next(line for line in lines if "test.short" in line)
    # A newline inside a value is escaped, so each key stays on one line.
    assert "line1\\nline2" in next(line for line in lines if "general.name" in line)
    params = sum(int(t.n_elements) for t in reader.tensors)
    assert f"{params:,}" in out


def test_safetensors_json_and_text(files, capsys):
    rc, out, err = run(capsys, "inspect", "--json", files["st"])
    assert rc == 0 and err == ""
    r = _strict_json(out)
    with mwt.open(files["st"]) as wf:
        assert (r["format"], r["version"], r["alignment"]) == (wf.format, wf.version,
                                                               wf.alignment)
        assert r["format"] == "safetensors"
        assert r["metadata"] == {k: {"type": wf.metadata_types[k], "value": v}
                                 for k, v in wf.metadata.items()}
    assert r["metadata"] == {"format": {"type": "STRING", "value": "np"}}
    loaded = st_numpy.load_file(files["st"])
    assert {t["name"]: (t["shape"], t["nbytes"]) for t in r["tensors"]} == {
        n: (list(a.shape), a.nbytes) for n, a in loaded.items()}
    assert r["totals"]["parameters"] == sum(a.size for a in loaded.values())
    rc, out, err = run(capsys, "inspect", files["st"])
    assert rc == 0 and "safetensors" in out and '"np"' in out


@pytest.mark.parametrize("entry", ["dir", "index"])
def test_sharded_directory(files, capsys, entry):
    index = os.path.join(files["dir"], "model.safetensors.index.json")
    path = files["dir"] if entry == "dir" else index
    weight_map = json.load(open(index))["weight_map"]
    rc, out, err = run(capsys, "inspect", "--json", path)
    assert rc == 0 and err == ""
    r = _strict_json(out)
    assert r["format"] == "safetensors-sharded" and len(r["shards"]) == 3
    assert {t["name"] for t in r["tensors"]} == set(weight_map)
    for t in r["tensors"]:
        shard = r["shards"][t["shard"]] if isinstance(t["shard"], int) else t["shard"]
        assert os.path.basename(shard) == weight_map[t["name"]]
    assert r["file_size"] == sum(os.path.getsize(os.path.join(files["dir"], s))
                                 for s in set(weight_map.values()))
    rc, out, err = run(capsys, "inspect", path)
    assert rc == 0
    for name, shard in weight_map.items():
        row = next(line for line in out.splitlines() if line.split()[:1] == [name])
        assert row.split()[-1] == shard


def test_section_flags(files, capsys):
    rc, out, _ = run(capsys, "inspect", "--json", "--metadata", files["gguf"])
    r = _strict_json(out)
    assert rc == 0 and "metadata" in r and "tensors" not in r and r["totals"]["tensors"] == 3
    rc, out, _ = run(capsys, "inspect", "--json", "--tensors", files["gguf"])
    r = _strict_json(out)
    assert rc == 0 and "tensors" in r and "metadata" not in r
    rc, out, _ = run(capsys, "inspect", "--tensors", files["gguf"])
    assert rc == 0 and "token_embd.weight" in out and "tokenizer.ggml.tokens" not in out
    rc, out, _ = run(capsys, "inspect", "--metadata", files["gguf"])
    assert rc == 0 and "tokenizer.ggml.tokens" in out and "token_embd.weight" not in out
    assert "quantization" not in out
    rc, out, _ = run(capsys, "inspect", "--json", "--quantization", files["gguf"])
    r = _strict_json(out)
    assert rc == 0 and "quantization" in r and "tensors" not in r and "metadata" not in r
    rc, out, _ = run(capsys, "inspect", "--quantization", files["gguf"])
    assert rc == 0 and "quantization  " in out and "tokenizer.ggml.tokens" not in out


@pytest.mark.parametrize("which", ["garbage", "truncated", "missing"])
@pytest.mark.parametrize("as_json", [False, True])
def test_invalid_file_exits_1(files, capsys, which, as_json):
    rc, out, err = run(capsys, "inspect", *(["--json"] if as_json else []), files[which])
    assert rc == 1
    assert err.startswith("mwt: error: ") and err.count("\n") == 1
    if not as_json:
        assert out == ""  # nothing half-printed on stdout
        return
    # --json: stdout is still pure JSON, an error object naming what the library reported.
    with pytest.raises(mwt.MwtError) as info:
        mwt.open(files[which])
    got = _strict_json(out)["error"]
    assert got == {"code": info.value.code_name, "code_number": int(info.value.code),
                   "offset": info.value.offset, "field": info.value.field,
                   "message": str(info.value)}


def test_invalid_file_message_names_the_error(files, capsys):
    with pytest.raises(mwt.MwtError) as info:
        mwt.open(files["truncated"])
    _, _, err = run(capsys, "inspect", files["truncated"])
    assert err.strip() == f"mwt: error: {info.value}"


@pytest.mark.parametrize("argv", [[], ["inspect"], ["inspect", "--bogus", "x"],
                                  ["frobnicate", "x"], ["inspect", "a", "b"]])
def test_usage_errors_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage: mwt" in capsys.readouterr().err


def _python_m(*args):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          timeout=120)


def test_python_m_entry_points(files):
    ok = _python_m("mwt", "inspect", "--json", files["gguf"])
    assert ok.returncode == 0, ok.stderr
    assert _strict_json(ok.stdout)["format"] == "gguf"
    bad = _python_m("mwt", "inspect", files["garbage"])
    assert bad.returncode == 1 and bad.stderr.startswith("mwt: error: ")
    usage = _python_m("mwt.cli")
    assert usage.returncode == 2 and "usage: mwt" in usage.stderr


def test_console_script(files):
    script = os.path.join(os.path.dirname(sys.executable), "mwt")
    if not os.path.exists(script):
        pytest.skip("mwt console script not installed in this environment")
    res = subprocess.run([script, "inspect", "--json", files["st"]], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert _strict_json(res.stdout)["format"] == "safetensors"


def test_float_metadata_roundtrips_exactly(files, capsys):
    rc, out, _ = run(capsys, "inspect", "--json", "--metadata", files["gguf"])
    scores = _strict_json(out)["metadata"]["tokenizer.ggml.scores"]["value"]
    expected = np.array([float(i) / 3 for i in range(20)], dtype=np.float32)
    assert rc == 0
    assert np.array_equal(np.array(scores, dtype=np.float32), expected)
    assert all(math.isfinite(v) for v in scores)
