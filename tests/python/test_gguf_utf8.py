"""GGUF strings that are not UTF-8 (docs/gguf.md#strings): BAD_ENCODING by default, naming the
string's offset and field; accepted with gguf_allow_invalid_utf8=True, after which the
quantization report and every JSON the CLI prints are valid UTF-8 and text shows the bytes."""

from __future__ import annotations

import functools
import json
import struct

import pytest

mwt = pytest.importorskip("mwt")

from mwt.cli import main  # noqa: E402


def _str(b: bytes) -> bytes:
    return struct.pack("<Q", len(b)) + b


def gguf_bytes(name: bytes = b"w", kvs: list[tuple[bytes, bytes]] | None = None) -> bytes:
    """A GGUF v3 file with the given (key, typed value bytes) pairs and one F32[4] tensor."""
    kvs = kvs or []
    out = b"GGUF" + struct.pack("<IQQ", 3, 1, len(kvs))
    for key, value in kvs:
        out += _str(key) + value
    out += _str(name) + struct.pack("<I", 1) + struct.pack("<Q", 4) + struct.pack("<IQ", 0, 0)
    out += b"\0" * (-len(out) % 32)
    return out + struct.pack("<4f", 1, 2, 3, 4)


def string_value(b: bytes) -> bytes:
    return struct.pack("<I", 8) + _str(b)


def string_array(items: list[bytes]) -> bytes:
    return struct.pack("<IIQ", 9, 8, len(items)) + b"".join(_str(i) for i in items)


def write(tmp_path, data: bytes, name: str = "f.gguf") -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def test_bad_tensor_name_is_bad_encoding(tmp_path):
    path = write(tmp_path, gguf_bytes(b"w\xff"))
    with pytest.raises(mwt.MwtError) as info:
        mwt.open(path)
    assert info.value.code_name == "BAD_ENCODING"
    assert info.value.offset == 24 and info.value.field == "tensors[#0].name"


@pytest.mark.parametrize("kvs,offset,field", [
    ([(b"general.name", string_value(b"a\xffb"))], 24 + 8 + 12 + 4, 'kv["general.name"].value'),
    ([(b"k\x80", string_value(b"x"))], 24, "kv[#0].key"),
    ([(b"general.name", string_value(b"ok")),
      (b"tokenizer.ggml.tokens", string_array([b"t%d" % i if i != 17 else b"\xc3" for i in
                                                range(20)]))],
     None, 'kv["tokenizer.ggml.tokens"].value[17]'),
])
def test_bad_metadata_string_is_bad_encoding(tmp_path, kvs, offset, field):
    data = gguf_bytes(kvs=kvs)
    path = write(tmp_path, data)
    with pytest.raises(mwt.MwtError) as info:
        mwt.open(path)
    assert info.value.code_name == "BAD_ENCODING" and info.value.field == field
    if offset is None:  # element 17's length field
        offset = data.index(_str(b"\xc3"))
    assert info.value.offset == offset


def test_lax_option_accepts_and_reports_valid_utf8(tmp_path):
    kvs = [(b"general.name", string_value(b"n\xfe"))]
    path = write(tmp_path, gguf_bytes(b"w\xff", kvs))
    with mwt.open(path, gguf_allow_invalid_utf8=True) as wf:
        assert list(wf.tensors) == ["w\udcff"]  # the bytes survive (surrogateescape)
        q = wf.quantization  # the library's JSON: U+FFFD for the bad byte
        assert [g["group"] for g in q["groups"]] == ["w\ufffd"]
        json.dumps(q, ensure_ascii=False).encode("utf-8")  # no lone surrogate anywhere


@pytest.fixture
def lax_cli(monkeypatch):
    """The CLI opening files with gguf_allow_invalid_utf8=True."""
    monkeypatch.setattr(mwt, "open", functools.partial(mwt.open, gguf_allow_invalid_utf8=True))


@pytest.mark.parametrize("flags", [[], ["--tensors"], ["--metadata"], ["--quantization"]])
def test_cli_json_of_lax_file_is_valid_utf8(tmp_path, capsys, lax_cli, flags):
    path = write(tmp_path, gguf_bytes(b"w\xff", [(b"general.name", string_value(b"n\xfe"))]))
    assert main(["inspect", "--json", *flags, path]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    out.encode("utf-8")  # strict: a lone surrogate would raise
    assert "\\ud" not in out  # nor is one written as a JSON escape
    r = json.loads(out)
    if "tensors" in r:
        assert r["tensors"][0]["name"] == "w\ufffd"
    if "metadata" in r:  # a value that is not UTF-8 reaches Python as bytes: JSON shows hex
        assert r["metadata"]["general.name"]["value"] == {"hex": "6efe"}
    if "quantization" in r:  # the library's report: U+FFFD for the bad byte
        assert r["quantization"]["groups"][0]["group"] == "w\ufffd"


def test_cli_text_of_lax_file_shows_bytes(tmp_path, capsys, lax_cli):
    path = write(tmp_path, gguf_bytes(b"w\xff", [(b"general.name", string_value(b"n\xfe"))]))
    assert main(["inspect", path]) == 0
    out = capsys.readouterr().out
    out.encode("utf-8")
    assert "  w\\xff  F32    [4]" in out  # escaped before the table is laid out
    assert "<2 bytes> 6efe" in out


def test_cli_default_reports_bad_encoding(tmp_path, capsys):
    path = write(tmp_path, gguf_bytes(b"w\xff"))
    assert main(["inspect", "--json", path]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["error"]["code"] == "BAD_ENCODING"
    assert err.startswith("mwt: error: BAD_ENCODING") and "Traceback" not in err


def test_big_vocab_opens(tmp_path):
    # 262,144 tokens, the size of the largest tokenizers: validated, and every token kept.
    gguf = pytest.importorskip("gguf")
    path = str(tmp_path / "vocab.gguf")
    w = gguf.GGUFWriter(path, arch="llama")
    tokens = [f"tok\u2581{i}\u00e9" for i in range(262144)]
    w.add_token_list(tokens)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    with mwt.open(path) as wf:
        got = wf.metadata["tokenizer.ggml.tokens"]
        assert len(got) == 262144 and got[17] == tokens[17] and got[-1] == tokens[-1]
