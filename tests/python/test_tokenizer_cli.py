"""`mwt tokenize`, `mwt detokenize` and the tokenizer block of `mwt inspect`: outputs against HF
tokenizers (ids, token strings, decoded text) and gguf-py (the GGUF's vocabulary size and keys);
exit codes 0 (ok), 1 (unreadable tokenizer), 2 (usage)."""

from __future__ import annotations

import io
import json
import sys
from typing import Any, Tuple

import pytest

pytest.importorskip("tokenizers")
gguf = pytest.importorskip("gguf")
mwt = pytest.importorskip("mwt")

import tok_fixtures  # noqa: E402

from mwt.cli import main  # noqa: E402

TEXT = "Hello wörld,\tthe 123 tokens 😀 <|eot_id|>!"


@pytest.fixture(scope="module")
def fx() -> Any:
    return tok_fixtures.build_all()


def run(capsys: Any, *argv: str) -> Tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("source", ["directory", "gguf"])
def test_tokenize_outputs_equal_hf(fx: Any, capsys: Any, source: str) -> None:
    f = fx["llama3"]
    path = str(f.directory if source == "directory" else f.gguf)
    hf = f.hf()
    enc, plain = hf.encode(TEXT), hf.encode(TEXT, add_special_tokens=False)
    rc, out, _ = run(capsys, "tokenize", path, TEXT, "--ids")
    assert rc == 0 and out == " ".join(map(str, enc.ids)) + "\n"
    rc, out, _ = run(capsys, "tokenize", path, TEXT, "--ids", "--no-special")
    assert rc == 0 and [int(x) for x in out.split()] == plain.ids
    rc, out, _ = run(capsys, "tokenize", path, TEXT, "--tokens")
    assert rc == 0 and out.splitlines() == enc.tokens  # byte-level tokens are printable
    rc, out, _ = run(capsys, "tokenize", path, TEXT, "--json")
    j = json.loads(out)
    assert rc == 0 and j == {"ids": enc.ids, "tokens": enc.tokens, "count": len(enc.ids),
                             "add_special_tokens": True}
    rc, out, _ = run(capsys, "tokenize", path, TEXT)
    assert rc == 0 and out.startswith(f"{len(enc.ids)} tokens\n")
    rows = [line.split() for line in out.splitlines()[3:]]  # after the count and the header
    assert rows == [[str(p), str(i), t] for p, (i, t) in enumerate(zip(enc.ids, enc.tokens))]


def test_tokenize_stdin_and_escapes(fx: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch
                                    ) -> None:
    f = fx["llama2"]
    hf = f.hf()
    text = "line one\nline\ttwo \x01"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    rc, out, _ = run(capsys, "tokenize", str(f.directory), "-", "--json")
    assert rc == 0 and json.loads(out)["ids"] == hf.encode(text).ids
    rc, out, _ = run(capsys, "tokenize", str(f.directory), text, "--tokens")
    assert rc == 0 and len(out.splitlines()) == len(hf.encode(text).ids)
    assert "\x01" not in out


@pytest.mark.parametrize("name", ["llama3", "llama2", "bert"])
def test_detokenize_equals_hf(fx: Any, capsys: Any, name: str) -> None:
    f = fx[name]
    hf = f.hf()
    ids = hf.encode(TEXT).ids
    args = ["detokenize", str(f.directory), *map(str, ids)]
    rc, out, _ = run(capsys, *args)
    assert rc == 0 and out == hf.decode(ids, skip_special_tokens=False) + "\n"
    rc, out, _ = run(capsys, *args, "--skip-special", "--json")
    assert rc == 0 and json.loads(out) == {"ids": ids,
                                           "text": hf.decode(ids, skip_special_tokens=True)}
    rc, out, _ = run(capsys, "detokenize", str(f.directory), ",".join(map(str, ids)))
    assert rc == 0 and out == hf.decode(ids, skip_special_tokens=False) + "\n"


def test_exit_codes(fx: Any, capsys: Any, tmp_path: Any) -> None:
    d = str(fx["gpt2"].directory)
    rc, _, err = run(capsys, "detokenize", d, "12", "abc")
    assert rc == 2 and "not a token id" in err
    rc, _, err = run(capsys, "detokenize", d, "-5")
    assert rc == 2
    with pytest.raises(SystemExit) as e:
        main(["tokenize", d, "x", "--ids", "--tokens"])
    assert e.value.code == 2
    capsys.readouterr()
    bad = tmp_path / "tokenizer.json"
    bad.write_text("{not json")
    rc, out, err = run(capsys, "tokenize", str(bad), "x", "--json")
    assert rc == 1 and err.startswith("mwt: error:") and "error" in json.loads(out)
    rc, _, err = run(capsys, "tokenize", str(tmp_path / "missing"), "x")
    assert rc == 1 and "Traceback" not in err


def test_inspect_tokenizer_block(fx: Any, capsys: Any) -> None:
    f = fx["llama3"]
    r = gguf.GGUFReader(str(f.gguf))
    n_tokens = len(r.fields["tokenizer.ggml.tokens"].contents())
    rc, out, _ = run(capsys, "inspect", "--json", str(f.gguf))
    assert rc == 0
    t = json.loads(out)["tokenizer"]
    assert t["vocab_size"] == n_tokens and t["gguf_model"] == "gpt2"
    assert t["pre"] == r.fields["tokenizer.ggml.pre"].contents() == "llama-bpe"
    assert t["chat_template"] is True and t["model_type"] == "BPE"
    assert t["special_ids"]["bos"] == r.fields["tokenizer.ggml.bos_token_id"].contents()
    assert t["special_tokens"]["bos_token"] == "<|begin_of_text|>"
    rc, out, _ = run(capsys, "inspect", "--tokenizer", str(f.gguf))
    assert rc == 0 and out.startswith("path")
    block = out[out.index("\ntokenizer\n"):]
    assert f"{n_tokens:,}" in block and "llama-bpe" in block and "<|begin_of_text|>" in block
    assert "chat template  yes" in block
    rc, out, _ = run(capsys, "inspect", "--json", "--tokenizer", str(fx["bert"].gguf))
    t = json.loads(out)["tokenizer"]
    assert rc == 0 and t["model_type"] == "WordPiece" and t["chat_template"] is False


def test_inspect_without_tokenizer_has_no_block(capsys: Any, tmp_path: Any) -> None:
    p = tmp_path / "w.gguf"
    w = gguf.GGUFWriter(str(p), "llama")
    w.add_uint32("llama.block_count", 1)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    rc, out, _ = run(capsys, "inspect", "--json", str(p))
    assert rc == 0 and "tokenizer" not in json.loads(out)
