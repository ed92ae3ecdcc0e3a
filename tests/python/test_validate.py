"""mwt.validate / WeightFile.stats / `mwt validate` / `mwt inspect --stats`: planted NaN, Inf,
all-zero, negative K-quant scale and duplicated tensors are found in GGUF and safetensors files,
clean files pass, and the statistics match numpy computed here."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import mwt
from mwt.cli import main

RNG = np.random.default_rng(1234)
FLOAT_STEPS = 16  # kFloatSteps of libmwt/src/analysis/stats_kernels.hpp (float steps per lane)


def _clean_tensors():
    return {
        "f32": RNG.standard_normal((64, 33)).astype(np.float32),
        "f16": (RNG.standard_normal((40, 17)) * 3).astype(np.float16),
        "i32": RNG.integers(-1000, 1000, size=(50,), dtype=np.int32),
        "big": RNG.standard_normal(3 << 20).astype(np.float32) + 2.0,  # several chunks
    }


def _bf16(a: np.ndarray) -> mwt.RawTensor:
    bits = (a.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)  # truncation: exact
    return mwt.RawTensor("BF16", a.shape, bits.tobytes())


def _q(a: np.ndarray, dtype: str) -> mwt.RawTensor:
    return mwt.RawTensor(dtype, a.shape, mwt.quantize(a, dtype))


def _save(path: str, tensors) -> str:
    if path.endswith(".gguf"):
        mwt.save_gguf(path, tensors)
    else:
        mwt.save_safetensors(path, tensors)
    return path


@pytest.fixture(scope="module", params=["gguf", "safetensors"])
def kind(request):
    return request.param


@pytest.fixture(scope="module")
def files(tmp_path_factory, kind):
    root = tmp_path_factory.mktemp(f"validate_{kind}")
    ext = ".gguf" if kind == "gguf" else ".safetensors"
    clean = _clean_tensors()
    clean["bf16"] = _bf16(RNG.standard_normal((8, 32)))
    if kind == "gguf":
        # Block types live in GGUF only (safetensors has no dtype for them).
        clean["q8_0"] = _q(RNG.standard_normal((16, 64)).astype(np.float32), "Q8_0")
        clean["q4_k"] = _q(RNG.standard_normal((8, 256)).astype(np.float32), "Q4_K")
    out = {"clean": _save(str(root / f"clean{ext}"), clean)}

    nan = RNG.standard_normal((10, 10)).astype(np.float32)
    nan[3, 4] = np.nan
    out["nan"] = _save(str(root / f"nan{ext}"), {"ok": nan[:1] * 0 + 1, "bad": nan})
    inf = RNG.standard_normal((12,)).astype(np.float16)
    inf[2], inf[7] = np.inf, -np.inf
    out["inf"] = _save(str(root / f"inf{ext}"), {"bad": inf})
    zeros = {"zeros": np.zeros((5, 6), np.float32), "x": np.arange(4.0, dtype=np.float32)}
    out["zero"] = _save(str(root / f"zero{ext}"), zeros)
    a = RNG.standard_normal((7, 9)).astype(np.float32)
    out["dup"] = _save(str(root / f"dup{ext}"),
                       {"a": a, "b": a.copy(), "c": a + 1, "d": a.astype(np.float16)})
    if kind == "gguf":
        w = RNG.standard_normal((4, 256)).astype(np.float32)
        q = bytearray(mwt.quantize(w, "Q4_K").tobytes())
        # Block 2 (of 4, 144 bytes each): d is the f16 at byte 0; set its sign bit.
        q[2 * 144 + 1] |= 0x80
        out["negscale"] = _save(str(root / f"negscale{ext}"),
                                {"w": mwt.RawTensor("Q4_K", w.shape, bytes(q))})
    return out


def _checks(report, severity=None):
    return sorted((i.check, i.tensor) for i in report.issues
                  if severity is None or i.severity == severity)


def test_clean_file_passes(files):
    r = mwt.validate(files["clean"])
    assert r.ok and r.passed(strict=True)
    assert r.errors == 0 and r.warnings == 0 and r.issues == []
    assert r.duplicates == []


def test_planted_nan(files):
    r = mwt.validate(files["nan"])
    assert not r.ok
    assert _checks(r) == [("nan", "bad")]
    assert r.tensors["bad"].nan == 1 and r.tensors["bad"].finite == 99


def test_planted_inf(files):
    r = mwt.validate(files["inf"])
    assert not r.ok
    assert _checks(r) == [("inf", "bad")]
    assert r.tensors["bad"].inf == 2


def test_all_zero_is_a_warning(files):
    r = mwt.validate(files["zero"])
    assert r.ok and not r.passed(strict=True)
    assert _checks(r, "warning") == [("all_zero", "zeros")]
    assert r.tensors["zeros"].zero == 30 and r.tensors["zeros"].max == 0.0


def test_duplicate_found_and_confirmed(files):
    r = mwt.validate(files["dup"])
    assert r.duplicates == [["a", "b"]]
    assert _checks(r) == [("duplicate", "b")]
    assert r.tensors["a"].hash == r.tensors["b"].hash != r.tensors["c"].hash


def test_negative_k_quant_scale(files, kind):
    if kind != "gguf":
        pytest.skip("safetensors has no dtype for K-quant blocks")
    r = mwt.validate(files["negscale"])
    assert not r.ok
    assert _checks(r, "error") == [("scale_negative", "w")]
    s = r.tensors["w"].scales
    assert s is not None and (s.blocks, s.negative, s.nonfinite) == (4, 1, 0)
    assert "first: block 2" in r.issues[0].message
    # The unflipped file passes: the flip, not the type, is what the rule sees.
    clean = mwt.validate(files["clean"]).tensors["q4_k"].scales
    assert clean is not None and clean.negative == 0 and clean.blocks == 8


def _numpy_values(wf, name):
    t = wf.tensors[name]
    if t.dtype in ("F32", "F16", "BF16", "I32"):
        return np.asarray(t.to_numpy(np.float32) if t.dtype == "BF16" else t.numpy(),
                          dtype=np.float64).ravel()
    return t.dequantize().astype(np.float64).ravel()


def test_stats_match_numpy(files):
    with mwt.open(files["clean"]) as wf:
        report = wf.stats()
        for name, st in report.tensors.items():
            v = _numpy_values(wf, name)
            assert st.count == v.size and st.nan == 0 and st.inf == 0
            assert st.zero == int(np.count_nonzero(v == 0))
            # min / max / absmax are values of the tensor: exact.
            assert st.min == v.min() and st.max == v.max()
            assert st.absmax == np.abs(v).max()
            # mean / std: 1e-9 of the data's scale covers double sums in another order than
            # numpy's; on AVX2 most runs are summed in float32 about a shift inside [min, max],
            # which docs/validation.md#accuracy bounds by (S + 2) u R for the mean and
            # (3 S + 8) u R^2 for the variance (u = 2^-24, S = 16 steps, R = max - min), so
            # the std by that over the std (|d var| = |d std| (std + std') >= |d std| std).
            scale = np.abs(v).mean() + v.std()
            r = float(v.max() - v.min())
            mean_tol = (FLOAT_STEPS + 2) * 2.0**-24 * r
            std_tol = (3 * FLOAT_STEPS + 8) * 2.0**-24 * r * r / max(v.std(), 1e-300)
            assert abs(st.mean - v.mean()) <= 1e-9 * scale + mean_tol, name
            assert abs(st.std - v.std()) <= 1e-9 * scale + std_tol, name


def test_thread_count_does_not_change_numbers(files):
    one = mwt.validate(files["clean"], threads=1)
    two = mwt.validate(files["clean"], threads=2)
    assert one.tensors == two.tensors  # merged in chunk order: bit-identical


def test_progress_reports_and_cancels(files):
    calls = []
    mwt.validate(files["clean"], progress=lambda d, t: calls.append((d, t)))
    total = calls[0][1]
    assert calls[0] == (0, total) and calls[-1] == (total, total)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))

    def stop(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        mwt.validate(files["clean"], progress=stop)


def test_file_changed_while_mapped_is_an_error(tmp_path):
    path = str(tmp_path / "shrinks.safetensors")
    mwt.save_safetensors(path, {"x": np.ones(1 << 20, np.float32)})
    with mwt.open(path) as wf:
        os.truncate(path, 4096)
        with pytest.raises(mwt.IoError, match="changed while mapped"):
            wf.stats()


def test_report_repr(files):
    r = mwt.validate(files["nan"])
    assert "FAILED" in repr(r) and "1 errors" in repr(r)
    assert "<table>" in r._repr_html_() and "nan" in r._repr_html_()


def test_cli_exit_codes_and_json(files, capsys):
    assert main(["validate", files["clean"]]) == 0
    assert "ok:" in capsys.readouterr().out
    assert main(["validate", files["nan"]]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "nan" in out
    assert main(["validate", "--json", files["inf"]]) == 1
    r = json.loads(capsys.readouterr().out)
    assert r["ok"] is False and r["passed"] is False
    assert [i["check"] for i in r["issues"]] == ["inf"]
    assert main(["validate", files["zero"]]) == 0
    capsys.readouterr()
    assert main(["validate", "--strict", files["zero"]]) == 1
    capsys.readouterr()
    assert main(["validate", "--threads", "0", files["clean"]]) == 2
    capsys.readouterr()


def test_cli_unreadable_file_is_exit_1(tmp_path, capsys):
    bad = tmp_path / "truncated.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\x00" * 5)
    assert main(["validate", str(bad)]) == 1
    assert "mwt: error" in capsys.readouterr().err


def test_inspect_stats(files, capsys):
    assert main(["inspect", "--stats", "--tensors", files["nan"]]) == 0
    out = capsys.readouterr().out
    assert "stats: 2 tensors" in out and "FAILED" in out
    assert main(["inspect", "--json", "--stats", files["nan"]]) == 0
    r = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in r["stats"]["tensors"]] == [t["name"] for t in r["tensors"]]
    assert r["stats"]["errors"] == 1


def test_random_block_bytes_of_every_type(tmp_path):
    """Hostile block data (random bytes: any scale, NaN and Inf scales included) of every GGUF
    block type mwt decodes: the pass completes and its counts, min and max match numpy over
    mwt.dequantize's values."""
    rng = np.random.default_rng(99)
    tensors = {}
    for name in ("Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
                 "IQ4_NL", "IQ4_XS", "MXFP4", "NVFP4", "TQ1_0", "TQ2_0", "IQ2_XXS", "IQ2_XS",
                 "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"):
        info = mwt.dtype_info(name)
        blocks = 24
        raw = rng.integers(0, 256, size=blocks * info.type_size, dtype=np.uint8).tobytes()
        tensors[name.lower()] = mwt.RawTensor(name, (blocks * info.block_size,), raw)
    path = str(tmp_path / "random.gguf")
    mwt.save_gguf(path, tensors)
    with mwt.open(path) as wf:
        report = wf.stats()
        for name, st in report.tensors.items():
            v = wf.tensors[name].dequantize().astype(np.float64)
            fin = v[np.isfinite(v)]
            assert (st.nan, st.inf) == (int(np.isnan(v).sum()), int(np.isinf(v).sum())), name
            assert st.count == v.size and st.finite == fin.size, name
            if fin.size:
                assert (st.min, st.max) == (fin.min(), fin.max()), name


def test_sharded_directory(tmp_path):
    d = tmp_path / "shards"
    d.mkdir()
    a = np.arange(12, dtype=np.float32)
    mwt.save_safetensors(str(d / "model-00001-of-00002.safetensors"), {"a": a})
    mwt.save_safetensors(str(d / "model-00002-of-00002.safetensors"), {"b": a.copy(),
                                                                        "c": a * np.nan})
    r = mwt.validate(str(d))
    assert r.duplicates == [["a", "b"]]
    assert ("nan", "c") in _checks(r, "error")
