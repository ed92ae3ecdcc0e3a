"""The installed package type-checks for its users: mypy --strict on code using mwt's public API
passes, and the same checker rejects misuse (so the annotations are real, not Any)."""

import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("mypy")

GOOD = """
    import numpy as np
    import mwt

    class MyTruncated(mwt.TruncatedError):
        pass

    def total(path: str) -> int:
        try:
            with mwt.open(path, limits_max_tensors=10) as wf:
                f: mwt.WeightFile = wf
                t: mwt.Tensor = f.tensors["w"]
                values: np.ndarray = t.dequantize(threads=1)
                raw = mwt.dequantize(t.raw(), t.dtype, t.shape)
                return t.nbytes + len(t.shape) + values.size + raw.size + len(f.metadata)
        except mwt.BadMagicError as e:
            return e.code + (e.offset or 0)
        except mwt.MwtError as e:
            code: int = e.code
            return code + len(mwt.error_class(code).__name__) + mwt.abi_version()
"""

BAD = """
    import mwt

    def f(path: str) -> str:
        with mwt.open(path) as wf:
            return wf.tensors["w"].nbytes
    mwt.NoSuchError
    mwt.dequantize(b"", 3, (1,))
"""


def _mypy(tmp_path, name, code):
    path = tmp_path / name
    path.write_text(textwrap.dedent(code))
    env = dict(os.environ, MYPY_CACHE_DIR=str(tmp_path / "cache"))
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
                           "--config-file=", str(path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True)


def test_users_code_type_checks(tmp_path):
    result = _mypy(tmp_path, "good.py", GOOD)
    assert result.returncode == 0, result.stdout + result.stderr


def test_misuse_is_reported(tmp_path):
    result = _mypy(tmp_path, "bad.py", BAD)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert 'Incompatible return value type (got "int", expected "str")' in out
    assert 'Module has no attribute "NoSuchError"' in out
    assert 'Argument 2 to "dequantize" has incompatible type "int"; expected "str"' in out


# pybind11 artefacts no stub can express: its metaclass, and the constructor-less File's
# __init__ and the Tokenizer's (pybind11's, which raise TypeError: both are made by functions).
STUBTEST_ALLOWLIST = ["mwt._native.File", "mwt._native.Writer", "mwt._native.File.__init__",
                      "mwt._native.Tokenizer", "mwt._native.Tokenizer.__init__"]


def test_native_stub_names_match_the_module(tmp_path):
    """mypy's stubtest: every name of _native is in _native.pyi and the other way round, with
    the same kinds (function, class, read-only property)."""
    allow = tmp_path / "allowlist.txt"
    allow.write_text("\n".join(STUBTEST_ALLOWLIST) + "\n")
    result = subprocess.run([sys.executable, "-m", "mypy.stubtest", "mwt._native",
                             "--allowlist", str(allow), "--mypy-config-file", ""],
                            cwd=tmp_path, capture_output=True, text=True,
                            env=dict(os.environ, MYPY_CACHE_DIR=str(tmp_path / "cache")))
    assert result.returncode == 0, result.stdout + result.stderr


def _stub_signatures():
    """{dotted name: [parameter names]} of every def in _native.pyi (self/cls left out)."""
    import ast

    import mwt

    tree = ast.parse((pathlib.Path(mwt.__file__).parent / "_native.pyi").read_text())
    out = {}

    def params(fn):
        names = [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
        return names[1:] if names and names[0] in ("self", "cls") else names

    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = params(node)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not any(
                        isinstance(d, ast.Name) and d.id == "property"
                        for d in item.decorator_list):
                    out[f"{node.name}.{item.name}"] = params(item)
    return out


def test_native_stub_parameters_match_the_bindings():
    """The parameter names pybind11 records (first docstring line, `name(a: T, b: U) -> R`)
    are the stub's, for every function and method the bindings define with pybind11."""
    from mwt import _native

    checked = 0
    for dotted, stub_params in _stub_signatures().items():
        obj = _native
        for part in dotted.split("."):
            obj = getattr(obj, part)
        doc = (getattr(obj, "__doc__", None) or "").splitlines()
        first = doc[0] if doc else ""
        name = dotted.rsplit(".", 1)[-1]
        if not first.startswith(name + "("):
            continue  # not a pybind11 function (TensorBase is built with the C API)
        inside = first[len(name) + 1:first.rindex(") ->")]
        runtime = [p.split(":")[0].strip() for p in _split_params(inside)]
        if runtime and runtime[0] == "self":
            runtime = runtime[1:]
        assert runtime == stub_params, dotted
        checked += 1
    assert checked >= 30


def _split_params(text):
    """Split "a: int, b: Dict[str, int] = None" at top-level commas."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if text[start:].strip():
        parts.append(text[start:])
    return parts
