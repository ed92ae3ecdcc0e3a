"""The mwt.Tokenizer surface: every way to open a tokenizer gives the same tokenizer, the vocabulary
and special tokens equal HF's / transformers', batch and thread count change nothing, bad
arguments raise, and to_gguf_metadata equals the keys gguf-py wrote for the fixture (the
converter's layout) and round-trips through gguf-py and mwt.save_gguf to the same ids.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Dict, List

import pytest

pytest.importorskip("tokenizers")
gguf = pytest.importorskip("gguf")
pytest.importorskip("transformers")
mwt = pytest.importorskip("mwt")

import tok_corpus  # noqa: E402
import tok_fixtures  # noqa: E402

SAMPLE = list(tok_corpus.documents()[:60:3]) + ["Hello world", "", "  x  "]


@pytest.fixture(scope="module")
def fx() -> Any:
    return tok_fixtures.build_all()


def test_every_way_to_open_gives_the_same_ids(fx: Any, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    f = fx["llama3"]
    want = [e.ids for e in f.hf().encode_batch(SAMPLE)]
    d = f.directory
    # A Hugging Face cache holding the directory as a snapshot of org/name.
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--acme--tok"
    shutil.copytree(d, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    opened = {
        "directory": mwt.Tokenizer.from_file(d),
        "tokenizer.json": mwt.Tokenizer.from_file(d / "tokenizer.json"),
        "str path": mwt.Tokenizer.from_file(str(d)),
        "hub name": mwt.Tokenizer.from_file("acme/tok"),
        "hub name@main": mwt.Tokenizer.from_file("acme/tok@main"),
        "from_json": mwt.Tokenizer.from_json((d / "tokenizer.json").read_text("utf-8"),
                                             (d / "tokenizer_config.json").read_text("utf-8")),
    }
    for how, tok in opened.items():
        assert tok.encode_batch(SAMPLE) == want, how
        assert tok.chat_template == f.config()["chat_template"], how
    with pytest.raises(mwt.IoError):
        mwt.Tokenizer.from_file("acme/not-cached")
    with pytest.raises(mwt.MwtError):
        mwt.Tokenizer.from_file(tmp_path / "missing.json")


def test_weight_file_tokenizer_is_from_file(fx: Any) -> None:
    f = fx["llama3"]
    with mwt.open(f.gguf) as wf:
        tok = wf.tokenizer()
    assert tok.encode_batch(SAMPLE) == mwt.Tokenizer.from_file(f.gguf).encode_batch(SAMPLE)
    assert tok.info["source"] == "gguf" and tok.info["gguf_pre"] == "llama-bpe"


@pytest.mark.parametrize("name", ["gpt2", "llama3", "qwen2", "llama2", "t5", "bert",
                                  "gpt2-added"])
def test_vocabulary_and_special_tokens_equal_hf(fx: Any, name: str) -> None:
    f = fx[name]
    hf, tf = f.hf(), f.transformers()
    tok = mwt.Tokenizer.from_file(f.directory)
    assert tok.vocab_size == len(tok) == hf.get_vocab_size(with_added_tokens=True)
    vocab = hf.get_vocab(with_added_tokens=True)
    for t, i in vocab.items():
        assert tok.token_to_id(t) == i, t
        assert tok.id_to_token(i) == hf.id_to_token(i), i
    assert tok.token_to_id("\x00surely not a token\x00") is None
    assert tok.id_to_token(tok.vocab_size + 5) is None
    assert tok.special_tokens == tf.special_tokens_map
    for key, text in tok.special_tokens.items():
        assert tok.special_ids[key[:-len("_token")]] == vocab[text], key
    dec = hf.get_added_tokens_decoder()
    assert [(a["id"], a["content"], a["special"]) for a in tok.added_tokens] == \
        [(i, a.content, a.special) for i, a in sorted(dec.items())]
    assert tok.all_special_ids == sorted(i for i, a in dec.items() if a.special)


def test_encode_forms_and_threads(fx: Any) -> None:
    tok = mwt.Tokenizer.from_file(fx["qwen2"].directory)
    docs = list(tok_corpus.documents()[:300])
    one = [tok.encode(d) for d in docs]
    assert all(isinstance(ids, list) and all(type(i) is int for i in ids) for ids in one)
    for threads in (None, 1, 2, 7):
        assert tok.encode_batch(docs, threads=threads) == one, threads
    assert tok.encode_batch([]) == []
    for d in docs[:50]:
        raw = d.encode("utf-8")
        assert tok.encode(raw) == tok.encode(bytearray(raw)) == tok.encode(memoryview(raw)) \
            == tok.encode(d)
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError):
            tok.encode_batch(docs[:2], threads=bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tok.encode(123)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tok.encode_batch("one string")
    with pytest.raises(TypeError):
        tok.encode_batch(["ok", 5])  # type: ignore[list-item]
    assert tok.encode_batch([docs[7].encode("utf-8"), docs[8]]) == [one[7], one[8]]


def test_decode_arguments(fx: Any) -> None:
    import numpy as np
    f = fx["llama3"]
    hf = f.hf()
    tok = mwt.Tokenizer.from_file(f.directory)
    ids = hf.encode("Hello wörld 😀").ids
    assert tok.decode(ids) == tok.decode(np.array(ids, dtype=np.int64)) == \
        tok.decode(tuple(ids)) == hf.decode(ids, skip_special_tokens=False)
    assert tok.decode([]) == hf.decode([]) == ""
    # Ids past the vocabulary are skipped, as HF skips them (HF's own default skips special
    # tokens, mwt's keeps them: pass it explicitly).
    past = [ids[0], tok.vocab_size + 10, ids[1]]
    for skip in (False, True):
        assert tok.decode(past, skip_special_tokens=skip) == \
            hf.decode(past, skip_special_tokens=skip)
    with pytest.raises(OverflowError):
        tok.decode([-1])
    with pytest.raises(TypeError):
        tok.decode("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        tok.decode([1.5, 2.0])  # type: ignore[list-item]


def test_repr(fx: Any) -> None:
    tok = mwt.Tokenizer.from_file(fx["llama3"].directory)
    r = repr(tok)
    assert "BPE" in r and str(tok.vocab_size) in r and "<|begin_of_text|>" in r
    h = tok._repr_html_()
    assert "<table>" in h and f"{tok.vocab_size:,}" in h and "&lt;|begin_of_text|&gt;" in h


# ---- GGUF metadata

def _read_gguf(path: Path) -> Dict[str, Any]:
    """tokenizer.* keys as gguf-py reads them."""
    r = gguf.GGUFReader(str(path))
    out: Dict[str, Any] = {}
    for key, field in r.fields.items():
        if key.startswith("tokenizer."):
            v = field.contents()
            out[key] = v.tolist() if hasattr(v, "tolist") else v
    return out


def _write_with_gguf_py(path: Path, md: Dict[str, Any], types: Dict[str, str]) -> None:
    w = gguf.GGUFWriter(str(path), "llama")
    for key, value in md.items():
        t = types[key]
        if t.startswith("ARRAY["):
            w.add_key_value(key, value, gguf.GGUFValueType.ARRAY,
                            sub_type=gguf.GGUFValueType[t[6:-1]])
        else:
            w.add_key_value(key, value, gguf.GGUFValueType[t])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# Keys the fixture's GGUF (written as the converter writes) and to_gguf_metadata both hold; the
# scores of a SentencePiece BPE tokenizer.json are derived from its merges (docs/tokenizers.md).
@pytest.mark.parametrize("name,source", [
    ("gpt2", "json"), ("llama3", "json"), ("qwen2", "json"), ("bert", "json"),
    ("llama2", "json"), ("t5", "json"), ("llama2", "model"), ("t5", "model"),
    ("gpt2", "gguf"), ("t5", "gguf")])
def test_gguf_metadata_equals_the_converters(fx: Any, name: str, source: str) -> None:
    f = fx[name]
    path = {"json": f.directory, "model": f.sp_model, "gguf": f.gguf}[source]
    tok = mwt.Tokenizer.from_file(path)
    md, types = tok.to_gguf_metadata(), tok.gguf_metadata_types()
    assert set(md) == set(types)
    want = _read_gguf(f.gguf)
    # add_sep_token is about encoding pairs, which GGUF readers (and mwt.Tokenizer) do not
    # expose; to_gguf_metadata leaves it out.
    skip = {"tokenizer.ggml.add_sep_token"}
    if (name, source) == ("llama2", "json"):
        skip.add("tokenizer.ggml.scores")
    if source == "model":
        # The .model holds the pieces only; the converter also wrote the added tokens of the
        # directory's tokenizer_config.json (T5's <extra_id_*>), which come after them.
        n = tok.vocab_size
        for key in ("tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"):
            assert len(md[key]) == n < len(want[key]) or len(want[key]) == n, key
            want[key] = want[key][:n]
    for key in sorted(set(want) - skip):
        got = md.get(key)
        if key.endswith("scores"):
            import numpy as np
            assert np.array_equal(np.float32(got), np.float32(want[key])), key
        else:
            assert got == want[key], (key, str(got)[:200], str(want[key])[:200])
    extra = set(md) - set(want) - {"tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token",
                                   "tokenizer.ggml.pre", "tokenizer.ggml.add_space_prefix",
                                   "tokenizer.ggml.remove_extra_whitespaces"}
    assert not extra, extra


@pytest.mark.parametrize("name", ["gpt2", "llama3", "qwen2", "llama2", "t5", "bert"])
@pytest.mark.parametrize("writer", ["gguf-py", "mwt"])
def test_gguf_metadata_round_trip(fx: Any, tmp_path: Path, name: str, writer: str) -> None:
    """tokenizer.json -> to_gguf_metadata -> a GGUF -> mwt.Tokenizer: the ids of the GGUF's
    oracle (HF; for Qwen2 on NFC text, as llama.cpp has no NFC step)."""
    import unicodedata
    f = fx[name]
    tok = mwt.Tokenizer.from_file(f.directory)
    md, types = tok.to_gguf_metadata(), tok.gguf_metadata_types()
    out = tmp_path / f"{name}.gguf"
    if writer == "gguf-py":
        _write_with_gguf_py(out, md, types)
    else:
        mwt.save_gguf(out, {}, md, metadata_types=types)
    back = mwt.Tokenizer.from_file(out)
    docs: List[str] = [d for d in tok_corpus.documents()[::8] if tok_fixtures.gguf_comparable(f, d)]
    if name == "qwen2":
        docs = [unicodedata.normalize("NFC", d) for d in docs]
    hf = tok_fixtures.gguf_oracle(f)
    for add in (False, True):
        want = [e.ids for e in hf.encode_batch(docs, add_special_tokens=add)]
        assert back.encode_batch(docs, add_special_tokens=add) == want, add
    assert back.chat_template == tok.chat_template


def test_gguf_metadata_refuses_an_unknown_pre_tokenizer(fx: Any) -> None:
    j = json.loads(fx["llama3"].tokenizer_json.read_text("utf-8"))
    j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = r"\p{L}+|\s+|."
    tok = mwt.Tokenizer.from_json(json.dumps(j))
    with pytest.raises(mwt.UnsupportedFeatureError, match="pre-tokenizer"):
        tok.to_gguf_metadata()
