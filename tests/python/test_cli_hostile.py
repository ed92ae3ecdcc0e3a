"""Every `mwt` subcommand over a corpus of malformed files: exit status 0, 1 or 2, never a
traceback, and stdout under --json always one JSON document. Also the CLI's usage errors name the
subcommand, tensor-less GGUFs say "no tensors", and long fake-quant lists are summarized."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
st_numpy = pytest.importorskip("safetensors.numpy")
mwt = pytest.importorskip("mwt")

from mwt.cli import inspect as cli_inspect, main  # noqa: E402
from mwt.cli._quant_text import quantization_lines  # noqa: E402

INSPECT_FLAGS = [[], ["--tensors"], ["--metadata"], ["--quantization"], ["--architecture"]]


def _gguf_file(path: str, tensors: bool = True) -> None:
    w = gguf.GGUFWriter(path, arch="llama")
    w.add_uint32("general.file_type", 1)
    w.add_string("general.name", "hostile")
    w.add_token_list([f"t{i}" for i in range(40)])
    if tensors:
        rng = np.random.default_rng(1)
        w.add_tensor("token_embd.weight", rng.standard_normal((8, 32)).astype(np.float32))
        w.add_tensor("blk.0.attn_q.weight", rng.standard_normal((32, 32)).astype(np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def _raw_gguf(name: bytes, value: bytes) -> bytes:
    def s(b: bytes) -> bytes:
        return struct.pack("<Q", len(b)) + b
    out = b"GGUF" + struct.pack("<IQQ", 3, 1, 1) + s(b"general.name") + struct.pack("<I", 8)
    out += s(value) + s(name) + struct.pack("<IQIQ", 1, 4, 0, 0)
    out += b"\0" * (-len(out) % 32)
    return out + struct.pack("<4f", 1, 2, 3, 4)


def _lengths(n: int) -> list[int]:
    """Every length up to 64, then about 40 more spread over the file, then n - 1."""
    return sorted(set(range(0, min(n, 65))) | set(range(64, n, max(1, n // 40))) | {n - 1})


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    g = str(root / "valid.gguf")
    _gguf_file(g)
    s = str(root / "valid.safetensors")
    st_numpy.save_file({"a": np.arange(12, dtype=np.float32).reshape(3, 4),
                        "b": np.ones(5, dtype=np.float16)}, s, metadata={"k": "v"})
    files = {"valid.gguf": g, "valid.safetensors": s}
    for src, ext in ((g, "gguf"), (s, "safetensors")):
        data = open(src, "rb").read()
        for n in _lengths(len(data)):
            p = root / f"trunc{n}.{ext}"
            p.write_bytes(data[:n])
            files[p.name] = str(p)
    specials = {
        "name_not_utf8.gguf": _raw_gguf(b"w\xff", b"ok"),
        "value_not_utf8.gguf": _raw_gguf(b"w", b"a\xfe\xffb"),
        "random.bin": np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        "random_gguf_magic.gguf": b"GGUF" + np.random.default_rng(8).integers(
            0, 256, 512, dtype=np.uint8).tobytes(),
        "empty.gguf": b"",
    }
    for name, data in specials.items():
        (root / name).write_bytes(data)
        files[name] = str(root / name)
    return files


def _run(capsys, argv):
    try:
        rc = main(argv)
    except SystemExit as e:  # argparse usage errors
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


def _check(capsys, argv):
    rc, out, err = _run(capsys, argv)
    assert rc in (0, 1, 2), (argv, rc, err)
    assert "Traceback" not in err, (argv, err)
    if rc != 0:
        assert err.startswith("mwt"), (argv, err)
        assert len(err.strip().splitlines()) == 1, (argv, err)
    if "--json" in argv and rc != 2:
        json.loads(out)
    return rc


def test_inspect_never_tracebacks(corpus, capsys):
    codes = {}
    for name, path in corpus.items():
        for flags in INSPECT_FLAGS:
            for js in ([], ["--json"]):
                codes[(name, *flags, *js)] = _check(capsys, ["inspect", *flags, *js, path])
    assert codes[("valid.gguf",)] == 0 and codes[("valid.safetensors", "--json")] == 0
    assert codes[("empty.gguf",)] == 1 and codes[("name_not_utf8.gguf", "--json")] == 1


def test_diff_never_tracebacks(corpus, capsys):
    codes = {}
    for name, path in corpus.items():
        for js in ([], ["--json"]):
            codes[(name, *js)] = _check(capsys, ["diff", *js, corpus["valid.gguf"], path])
            _check(capsys, ["diff", *js, path, corpus["valid.safetensors"]])
    assert codes[("valid.safetensors", "--json")] == 0 and codes[("valid.gguf",)] == 0
    assert codes[("empty.gguf",)] == 1 and codes[("random.bin", "--json")] == 1


def test_quantize_never_tracebacks(corpus, capsys, tmp_path):
    out = str(tmp_path / "out.gguf")
    for path in corpus.values():
        for js in ([], ["--json"]):
            _check(capsys, ["quantize", "--no-progress", "--type", "Q8_0", *js, path, out])


def test_subprocess_stderr_has_no_traceback(corpus):
    for name in ("name_not_utf8.gguf", "empty.gguf", "random.bin", "trunc40.gguf"):
        for extra in ([], ["--json"]):
            res = subprocess.run([sys.executable, "-m", "mwt", "inspect", *extra, corpus[name]],
                                 capture_output=True, text=True, timeout=120)
            assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
            if extra:
                assert "error" in json.loads(res.stdout)


def test_unexpected_exception_is_an_internal_error_line(corpus, capsys, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")
    monkeypatch.setattr(cli_inspect, "collect", boom)
    rc, out, err = _run(capsys, ["inspect", corpus["valid.gguf"]])
    assert rc == 1 and err == "mwt: internal error: RuntimeError: simulated bug " \
                               "(please report this)\n"
    rc, out, err = _run(capsys, ["inspect", "--json", corpus["valid.gguf"]])
    assert rc == 1 and json.loads(out)["error"]["code"] == "INTERNAL"


@pytest.mark.parametrize("argv,usage", [
    (["inspect", "--bogus", "x"], "usage: mwt inspect"),
    (["inspect", "a", "b"], "usage: mwt inspect"),
    (["quantize", "a", "b", "--type", "Q8_0", "--bogus"], "usage: mwt quantize"),
])
def test_unknown_option_shows_subcommand_usage(capsys, argv, usage):
    rc, _, err = _run(capsys, argv)
    assert rc == 2 and err.startswith(usage), err
    assert "unrecognized arguments" in err


def test_tensorless_gguf_says_no_tensors(tmp_path, capsys):
    path = str(tmp_path / "vocab.gguf")
    _gguf_file(path, tensors=False)  # general.file_type 1 (F16), as llama.cpp's vocab files
    with mwt.open(path) as wf:
        assert wf.quantization["scheme"] == "no tensors"
    rc, out, _ = _run(capsys, ["inspect", "--quantization", path])
    assert rc == 0
    assert "quantization  no tensors" in out and "0.000" not in out
    assert "bits/weight n/a" in out


def test_fake_quant_text_is_capped_with_a_summary():
    fake = [{"tensor": f"model.layers.{i}.mlp.up_proj.weight", "bits": 4 if i < 200 else 8,
             "levels": 16, "group_size": 128} for i in range(211)]
    lines = quantization_lines({"scheme": "fake-quant", "methods": [], "fake_quant": fake})
    assert lines[1] == "  fake-quantized 211 tensors: 200 at 4-bit, 11 at 8-bit"
    listed = [ln for ln in lines if ln.startswith("  fake-quantized model.")]
    assert len(listed) == 10 and "model.layers.0." in listed[0]
    assert lines[-1] == "  ... and 201 more (--json lists all)"
    few = quantization_lines({"scheme": "fake-quant", "fake_quant": fake[:3]})
    assert len(few) == 1 + 1 + 3 and not any("more" in ln for ln in few)


def test_corpus_covers_both_formats(corpus):
    # The truncation sweep really produced many lengths of each format.
    assert sum(n.endswith(".gguf") for n in corpus) > 60
    assert sum(n.endswith(".safetensors") for n in corpus) > 60
    assert os.path.getsize(corpus["empty.gguf"]) == 0


def test_cli_on_differential_cases_never_tracebacks(tmp_path, capsys):
    """The differential generator's mutated files (tests/differential/gen.py: counts, lengths,
    offsets, alignment, dtypes, duplicates, truncation, non-UTF-8, huge shapes) through every
    subcommand and flag, text and --json: the same guarantees as for the corpus above."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, repo)
    from tests.differential import gen

    seeds = gen.writer_seeds(str(tmp_path / "seeds"))
    out = str(tmp_path / "out.gguf")
    codes = []
    for case_id in range(0, 3000, 3):  # 1000 cases, both formats
        case = gen.make_case(case_id, seeds)
        path = str(tmp_path / f"case{case_id}{case.suffix}")
        with open(path, "wb") as f:
            f.write(case.data)
        for flags in INSPECT_FLAGS:
            for js in ([], ["--json"]):
                codes.append(_check(capsys, ["inspect", *flags, *js, path]))
        for js in ([], ["--json"]):
            _check(capsys, ["quantize", "--no-progress", "--type", "Q8_0", *js, path, out])
        os.unlink(path)
    assert codes.count(0) > 300 and codes.count(1) > 1500  # both outcomes are exercised
