"""Exception classes that interoperate with Python's own: closed-file access, IO errors as
OSErrors, and no builtin shadowed by `from mwt import *`."""

import builtins
import pickle

import numpy as np
import pytest

import mwt


@pytest.fixture
def closed_file(tmp_path):
    path = tmp_path / "a.safetensors"
    mwt.save_safetensors(path, {"t": np.arange(4, dtype=np.float32)})
    with mwt.open(path) as wf:
        t = wf.tensors["t"]
    return wf, t


def test_closed_file_access_is_an_mwt_error_and_a_value_error(closed_file):
    wf, t = closed_file
    for access in (lambda: wf.tensors, lambda: wf.metadata, t.numpy, t.raw,
                   lambda: wf.quantization):
        with pytest.raises(mwt.ClosedFileError, match="closed") as info:
            access()
        err = info.value
        assert isinstance(err, mwt.MwtError) and isinstance(err, ValueError)
        assert isinstance(err, mwt.ArgumentError) and err.code_name == "ARGUMENT"
        again = pickle.loads(pickle.dumps(err))
        assert type(again) is mwt.ClosedFileError and str(again) == str(err)
    wf.close()  # still idempotent
    with pytest.raises(ValueError):  # what code written before ClosedFileError catches
        len(wf.tensors)


def test_io_error_is_an_os_error(tmp_path):
    missing = tmp_path / "missing.gguf"
    with pytest.raises(OSError) as info:
        mwt.open(missing)
    err = info.value
    assert type(err) is mwt.IoError and isinstance(err, mwt.MwtError)
    assert err.code_name == "IO" and str(missing) in str(err)
    assert str(err) == err.message and err.args == (err.message,)
    assert err.errno is None and err.strerror is None
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is mwt.IoError and str(again) == str(err)
    assert (again.offset, again.field) == (err.offset, err.field)
    assert issubclass(mwt.IoError, OSError) and not issubclass(mwt.TruncatedError, OSError)


def test_star_import_shadows_no_builtin():
    namespace = {}
    exec("from mwt import *", namespace)  # noqa: S102
    shadowed = [n for n in namespace if isinstance(getattr(builtins, n, None), type)
                and issubclass(getattr(builtins, n), BaseException)]
    assert shadowed == [], shadowed
    assert "OverflowError" not in mwt.__all__
    assert mwt.SizeOverflowError.__name__ == "SizeOverflowError"
    assert mwt.OverflowError is mwt.SizeOverflowError  # the old name still imports
    assert mwt.error_class("OVERFLOW") is mwt.SizeOverflowError
    assert mwt.SizeOverflowError is not builtins.OverflowError
