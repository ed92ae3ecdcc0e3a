"""mwt's exception classes: one per mwt.h code (checked against the header itself), raised for
real failures with the library's code, message, offset and field."""

import ast
import builtins
import pathlib
import pickle
import re

import gguf
import numpy as np
import pytest

import mwt
from mwt import _errors, _native

ROOT = pathlib.Path(__file__).resolve().parents[2]
HEADER = ROOT / "libmwt" / "include" / "mwt" / "mwt.h"
ERRORS_PY = ROOT / "python" / "mwt" / "_errors.py"


def _header_table():
    """[(NAME, value, description)] of MWT_ERROR_CODES in mwt.h, read as text: the oracle the
    native table and the classes must follow."""
    text = HEADER.read_text()
    block = text[text.index("#define MWT_ERROR_CODES(X)"):]
    block = block[:block.index("\n\n")]  # the macro ends at the first blank line
    rows = re.findall(r'X\((\w+),\s*(\d+),\s*"((?:[^"\\]|\\.)*)"\)', block)
    return [(n, int(v), d) for n, v, d in rows]


def _header_codes():
    """{value: NAME} for every code in mwt.h."""
    return {v: n for n, v, _d in _header_table()}


def _camel(name):
    if name == "OVERFLOW":  # not OverflowError, which would shadow the builtin under import *
        return "SizeOverflowError"
    return "".join(p.capitalize() for p in name.split("_")) + "Error"


def _declared_classes():
    """Class names declared in _errors.py's `if TYPE_CHECKING:` block, in order."""
    tree = ast.parse(ERRORS_PY.read_text())
    blocks = [node for node in tree.body if isinstance(node, ast.If)
              and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"]
    assert len(blocks) == 1
    return [n.name for n in blocks[0].body if isinstance(n, ast.ClassDef)]


def test_native_table_is_the_header_table():
    table = _header_table()
    assert len(table) >= 34
    assert _native.error_codes() == table
    for name, value, _description in table:
        assert _native.code_name(value) == name


def test_classes_come_from_the_table_and_match_the_declarations():
    table = _native.error_codes()
    from_table = [_camel(name) for name, _v, _d in table]
    # The static declarations (for type checkers) name exactly the table's codes, in order.
    assert _declared_classes() == from_table
    assert _errors.__all__ == ["MwtError", "error_class", "ClosedFileError", *from_table]
    assert set(_errors.__all__) <= set(mwt.__all__)
    for name, value, description in table:
        cls = getattr(mwt, _camel(name))
        assert cls is getattr(_errors, _camel(name)) and cls.__module__ == "mwt._errors"
        assert (cls.code, cls.code_name) == (value, name)
        assert cls.__doc__ == description[0].upper() + description[1:] + "."
        assert pickle.loads(pickle.dumps(cls)) is cls  # the class itself pickles by name


def test_every_code_has_its_class():
    codes = _header_codes()
    assert sorted(codes) == list(range(1, max(codes) + 1))  # pinned, contiguous from 1
    for code, name in codes.items():
        cls = getattr(mwt, _camel(name))
        assert issubclass(cls, mwt.MwtError) and cls is not mwt.MwtError
        assert cls.code == code and cls.code_name == name == _native.code_name(code)
        assert mwt.error_class(code) is cls and mwt.error_class(name) is cls
        assert _camel(name) in mwt.__all__
    assert len({mwt.error_class(c) for c in codes}) == len(codes)
    with pytest.raises(KeyError):
        mwt.error_class(max(codes) + 1)


def test_named_classes_from_the_spec():
    assert mwt.IoError.code_name == "IO" and mwt.CrcError.code_name == "CRC"
    assert mwt.NoMemoryError.code_name == "NO_MEMORY"
    assert mwt.SizeOverflowError is mwt.OverflowError
    assert mwt.OverflowError is not builtins.OverflowError
    assert issubclass(mwt.MwtError, Exception)


@pytest.mark.parametrize("code", sorted(_header_codes()))
def test_native_statuses_raise_their_class(code):
    with pytest.raises(mwt.MwtError) as info:
        _native.raise_status(code, f"message for {code}")
    err = info.value
    assert type(err) is mwt.error_class(code)
    assert err.code == code and str(err) == f"message for {code}"
    assert err.offset is None and err.field is None


def test_errors_pickle():
    try:
        _native.raise_status(3, "TRUNCATED at offset 9 in x: y")
    except mwt.MwtError as e:
        err = e
    err.offset, err.field = 9, "x"
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is mwt.TruncatedError
    assert (back.code, str(back), back.offset, back.field) == (3, str(err), 9, "x")


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.gguf"
    with pytest.raises(mwt.IoError) as info:
        mwt.open(missing)
    assert info.value.code == 2 and info.value.code_name == "IO"
    assert "nope.gguf" in str(info.value)


def test_bad_magic(tmp_path):
    path = tmp_path / "junk.bin"
    path.write_bytes(b"NOTAWEIGHTFILE" * 8)
    with pytest.raises(mwt.BadMagicError):
        mwt.open(path)
    assert mwt.detect_format(path) == "unknown"


def _small_gguf(path):
    w = gguf.GGUFWriter(str(path), arch="t")
    w.add_string("general.name", "x" * 40)
    w.add_tensor("w", np.arange(8, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path.read_bytes()


def test_truncated_gguf(tmp_path):
    data = _small_gguf(tmp_path / "full.gguf")
    reader = gguf.GGUFReader(str(tmp_path / "full.gguf"))
    name_field = reader.fields["general.name"]
    cut = name_field.offset + 12  # inside the general.name entry
    path = tmp_path / "cut.gguf"
    path.write_bytes(data[:cut])
    with pytest.raises(mwt.TruncatedError) as info:
        mwt.open(path)
    err = info.value
    assert err.code == mwt.TruncatedError.code
    assert err.offset is not None and err.offset <= cut
    assert str(err).startswith("TRUNCATED")


def test_truncated_tensor_data(tmp_path):
    data = _small_gguf(tmp_path / "full.gguf")
    path = tmp_path / "short.gguf"
    path.write_bytes(data[:-4])  # the tensor's last element is missing
    with pytest.raises(mwt.MwtError) as info:
        mwt.open(path)
    assert info.value.code_name in ("TRUNCATED", "OUT_OF_BOUNDS")


def test_big_endian_gguf_is_refused(tmp_path):
    path = tmp_path / "be.gguf"
    w = gguf.GGUFWriter(str(path), arch="t", endianess=gguf.GGUFEndian.BIG)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.close()
    with pytest.raises(mwt.UnsupportedVersionError):
        mwt.open(path)


def test_recognised_but_unread_format(tmp_path):
    path = tmp_path / "a.npy"
    np.save(path, np.arange(3))
    assert mwt.detect_format(path) == "npy"
    with pytest.raises(mwt.UnsupportedFormatError):
        mwt.open(path)


def test_type_mismatch_is_unreachable_from_metadata(tmp_path):
    """Every value type is read with its own getter, so no entry raises TYPE_MISMATCH."""
    path = tmp_path / "all.gguf"
    w = gguf.GGUFWriter(str(path), arch="t")
    scalars = {"UINT8": 1, "INT8": -1, "UINT16": 2, "INT16": -2, "UINT32": 3, "INT32": -3,
               "FLOAT32": 1.5, "BOOL": True, "STRING": "s", "UINT64": 4, "INT64": -4,
               "FLOAT64": 2.5}
    for tname, value in scalars.items():
        w.add_key_value(f"s.{tname}", value, gguf.GGUFValueType[tname])
        w.add_key_value(f"a.{tname}", [value, value], gguf.GGUFValueType.ARRAY,
                        sub_type=gguf.GGUFValueType[tname])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.close()
    with mwt.open(path) as wf:
        meta, types = dict(wf.metadata), dict(wf.metadata_types)
    for tname, value in scalars.items():
        assert types[f"s.{tname}"] == tname and types[f"a.{tname}"] == f"ARRAY[{tname}]"
        assert meta[f"s.{tname}"] == value
        assert list(meta[f"a.{tname}"]) == [value, value]


def test_writer_errors(tmp_path):
    target = tmp_path / "keep.gguf"
    target.write_bytes(b"original")
    with pytest.raises(mwt.SizeMismatchError):
        mwt.RawTensor("BF16", (2, 3), b"\x00" * 10)
    with pytest.raises(mwt.BadShapeError):
        mwt.RawTensor("Q4_0", (5,), b"")
    with pytest.raises(mwt.BadDtypeError):
        mwt.RawTensor("F7", (1,), b"\x00")
    with pytest.raises(mwt.BadShapeError):  # blocks must fit in the innermost axis
        mwt.save_gguf(target, {"q": mwt.RawTensor("Q8_0", (32, 2), b"\x00" * 68)})
    with pytest.raises(mwt.ArgumentError):
        mwt.save_gguf(target, {}, alignment=48)
    with pytest.raises(mwt.ArgumentError):  # general.alignment must agree with the layout
        mwt.save_gguf(target, {}, {"general.alignment": 64}, alignment=128)
    assert target.read_bytes() == b"original"  # a failed save leaves the destination alone


def test_bad_option_value(tmp_path):
    path = tmp_path / "w.gguf"
    _small_gguf(path)
    with pytest.raises(mwt.ArgumentError):
        mwt.open(path, safetensors_strict=2)
