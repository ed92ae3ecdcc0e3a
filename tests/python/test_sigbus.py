"""A file that shrinks while mwt has it mapped (issue 11, finding 1).

Reading a page of a shared map past the file's new end raises SIGBUS, which kills a process
by default. mwt's own reads of mapped data (dequantize, conversions, quantize, the scheme
report) recover and raise mwt.IoError "... changed while mapped"; numpy views are the
caller's reads, as with numpy.memmap, and mmap=False (io.mmap 0) reads the file into private
memory instead (docs/readers.md#files-that-change-while-mapped). Every scenario runs in a
child process, so a SIGBUS kills only the child and the test sees it as the return code.
"""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mwt

N = 1 << 22  # 16 MiB of float32: many pages, and enough values for the threaded decoder

PRELUDE = """
import os, sys
import numpy as np
import mwt
p = sys.argv[1]
N = 1 << 22
"""


def run_child(body: str, path, env_extra=None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env.pop("MWT_NO_SIGBUS_GUARD", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body), str(path)],
                          env=env, capture_output=True, text=True, timeout=120)


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    return proc.stdout


def died_of_sigbus(proc: subprocess.CompletedProcess) -> bool:
    return proc.returncode == -signal.SIGBUS


@pytest.fixture
def st_file(tmp_path):
    path = tmp_path / "a.safetensors"
    mwt.save_safetensors(path, {"a": np.arange(N, dtype=np.float32)})
    return path


@pytest.fixture
def gguf_file(tmp_path):
    path = tmp_path / "q.gguf"
    x = np.linspace(-1, 1, N, dtype=np.float32).reshape(1024, -1)
    q = mwt.quantize(x, "Q8_0")
    mwt.save_gguf(path, {"q": mwt.RawTensor("Q8_0", x.shape, q)})
    return path


# The reproducer of the issue, as a numpy view: the caller's read, not guarded (the contract is
# numpy.memmap's), so the default action still applies: the guard hands faults outside its own
# reads to the previous handler.
def test_numpy_view_of_a_shrunk_map_is_the_callers_read(st_file):
    proc = run_child("""
        wf = mwt.open(p)
        v = wf.tensors["a"].numpy()
        os.truncate(p, 0)
        print(v.sum())
    """, st_file)
    assert died_of_sigbus(proc), (proc.returncode, proc.stderr)


def test_numpy_view_with_mmap_false_survives_truncation(st_file):
    out = ok(run_child("""
        wf = mwt.open(p, mmap=False)
        v = wf.tensors["a"].numpy()
        os.truncate(p, 0)
        assert np.array_equal(v, np.arange(N, dtype=np.float32))
        # a view taken after the truncation reads the private copy too
        assert np.array_equal(wf.tensors["a"].numpy(), np.arange(N, dtype=np.float32))
        print("sum", float(v.sum(dtype=np.float64)))
    """, st_file))
    assert float(out.split()[1]) == float(np.arange(N, dtype=np.float64).sum())


def test_io_mmap_option_is_the_mmap_keyword(st_file):
    out = ok(run_child("""
        wf = mwt.open(p, io_mmap=0)
        v = wf.tensors["a"].numpy()
        os.truncate(p, 0)
        print(int(v[-1]))
    """, st_file))
    assert int(out) == N - 1


@pytest.mark.parametrize("threads", [1, None])
def test_dequantize_of_truncated_gguf_raises_ioerror(gguf_file, threads):
    out = ok(run_child(f"""
        wf = mwt.open(p)
        t = wf.tensors["q"]
        before = t.dequantize(threads={threads})
        os.truncate(p, 0)
        for attempt in range(2):  # the map stays marked: the second read fails as well
            try:
                t.dequantize(threads={threads})
            except mwt.IoError as e:
                print("IoError", e)
            else:
                print("no error")
        # the process lives on and can still work with other files
        print("alive", before.shape)
    """, gguf_file))
    lines = out.splitlines()
    assert len(lines) == 3 and lines[2] == "alive (1024, 4096)", out
    for line in lines[:2]:
        assert line.startswith("IoError") and "changed while mapped" in line, out
        assert "q.gguf" in line, out


def test_mmap_false_gguf_dequantizes_the_original_values(gguf_file):
    ok(run_child("""
        want = mwt.open(p).tensors["q"].dequantize()
        wf = mwt.open(p, mmap=False)
        os.truncate(p, 0)
        assert np.array_equal(wf.tensors["q"].dequantize(), want)
    """, gguf_file))


def test_convert_and_quantize_of_a_shrunk_map_raise_ioerror(tmp_path):
    path = tmp_path / "h.safetensors"
    mwt.save_safetensors(path, {"h": np.ones(N, np.float16), "f": np.ones(N, np.float32)})
    out = ok(run_child("""
        wf = mwt.open(p)
        h, f = wf.tensors["h"], wf.tensors["f"]
        os.truncate(p, 4096)
        for what, call in [("to_numpy", lambda: h.to_numpy(np.float32)),
                           ("quantize", lambda: mwt.quantize(f.numpy(), "Q8_0"))]:
            try:
                call()
                print(what, "no error")
            except mwt.IoError as e:
                print(what, "changed while mapped" in str(e))
    """, path))
    assert out.split() == ["to_numpy", "True", "quantize", "True"], out


def test_scheme_report_of_a_shrunk_map_raises_ioerror(tmp_path):
    path = tmp_path / "s.safetensors"
    rng = np.random.default_rng(0)
    x = np.round(rng.standard_normal((1024, 4096)) * 8) / 8  # samples the report reads
    mwt.save_safetensors(path, {"model.layers.0.mlp.down_proj.weight": x.astype(np.float16)})
    out = ok(run_child("""
        wf = mwt.open(p)
        os.truncate(p, 4096)
        try:
            wf.quantization()
            print("no error")
        except mwt.IoError as e:
            print("changed while mapped" in str(e))
    """, path))
    assert out.split() == ["True"], out


def test_shard_truncated_after_first_access_raises_ioerror(tmp_path):
    mwt.save_safetensors(tmp_path / "model-00001-of-00002.safetensors",
                         {"a": np.arange(N, dtype=np.float32)})
    mwt.save_safetensors(tmp_path / "model-00002-of-00002.safetensors",
                         {"b": np.ones(N, dtype=np.float32)})
    out = ok(run_child("""
        wf = mwt.open(os.path.dirname(p))
        b = wf.tensors["b"]
        assert b.dequantize().sum() == N  # maps the shard
        os.truncate(p, 0)
        try:
            b.dequantize()
            print("no error")
        except mwt.IoError as e:
            print("changed while mapped" in str(e), "model-00002-of-00002" in str(e))
        assert wf.tensors["a"].dequantize()[-1] == N - 1  # the other shard is intact
    """, tmp_path / "model-00002-of-00002.safetensors"))
    assert out.split() == ["True", "True"], out


# The off switch restores the old behaviour: the same read kills the child. This is also what
# the tests above did before the guard existed.
def test_off_switch_leaves_sigbus_fatal(gguf_file):
    proc = run_child("""
        wf = mwt.open(p)
        t = wf.tensors["q"]
        os.truncate(p, 0)
        t.dequantize(threads=1)
        print("survived")
    """, gguf_file, {"MWT_NO_SIGBUS_GUARD": "1"})
    assert died_of_sigbus(proc), (proc.returncode, proc.stdout, proc.stderr)


def test_metadata_strings_keys_and_lookups_of_a_shrunk_map(tmp_path):
    """Keys, string values, string-array elements, BOOL arrays and key lookups are read from the
    map by the bindings; they are copied through the guarded mwt_file_copy_bytes, so each read
    after the file shrank raises IoError and the process lives on (before: SIGBUS)."""
    path = tmp_path / "meta.gguf"
    meta = {"general.architecture": "llama", "general.name": "n" * 5000,
            "tokenizer.ggml.tokens": [f"token{i}" for i in range(4000)],
            "test.flags": np.array([True, False] * 3000)}
    mwt.save_gguf(path, {"w": np.zeros(4, np.float32)}, meta)
    out = ok(run_child("""
        from mwt import _native
        wf = mwt.open(p)
        md, nf = wf.metadata, wf._native
        i_name = _native.metadata_find(nf, "general.name")  # found before the file shrinks
        i_flags = _native.metadata_find(nf, "test.flags")
        tokens = md["tokenizer.ggml.tokens"]  # lazy: no element read yet
        os.truncate(p, 0)
        reads = {  # each reaches one guarded copy first
            "string": lambda: _native.metadata_value(nf, i_name, None),
            "key": lambda: _native.metadata_key(nf, 1),
            "token": lambda: tokens[3999],
            "tokens": lambda: tokens[10:20],
            "bools": lambda: _native.metadata_value(nf, i_flags, None),
            "key lookup": lambda: "general.name" in md,
            "keys": lambda: list(md),
        }
        for what, read in reads.items():
            try:
                read()
                print(what, "read")
            except mwt.IoError as e:
                assert "changed while mapped" in str(e), e
                print(what, "IoError")
    """, path))
    assert out.splitlines() == [f"{what} IoError" for what in (
        "string", "key", "token", "tokens", "bools", "key lookup", "keys")], out
