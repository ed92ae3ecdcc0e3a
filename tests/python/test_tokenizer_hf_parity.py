"""mwt.Tokenizer ids and text against the oracles on the >= 1 MB corpus
(tests/python/tok_corpus.py), for every fixture family (tests/python/tok_fixtures.py): HF
``tokenizers`` for tokenizer.json, HF with llama.cpp's documented departures for the GGUF
files, ``sentencepiece`` for the .model files. A mismatch names the document, the first
differing position, the text there and both id lists around it.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Callable, List, Sequence

import pytest

pytest.importorskip("tokenizers")
pytest.importorskip("gguf")
pytest.importorskip("sentencepiece")
pytest.importorskip("transformers")
mwt = pytest.importorskip("mwt")

import tok_corpus  # noqa: E402  (after the skips: the fixtures need the oracle packages)
import tok_fixtures  # noqa: E402

JSON_NAMES = ["gpt2", "llama3", "qwen2", "llama2", "llama2-metaspace", "t5", "bert",
              "gpt2-added"]
GGUF_NAMES = ["gpt2", "llama3", "qwen2", "llama2", "t5", "bert"]
SPM_NAMES = ["llama2", "t5"]


@pytest.fixture(scope="module")
def fx() -> Any:
    return tok_fixtures.build_all()


@pytest.fixture(scope="module")
def docs() -> Sequence[str]:
    d = tok_corpus.documents()
    assert tok_corpus.corpus_bytes() >= 1_000_000
    return d


def first_difference(docs: Sequence[str], got: List[List[int]], want: List[List[int]],
                     decode: Callable[[List[int]], str]) -> str:
    """'' when equal, else where and how the first differing document differs."""
    for d, (g, w) in enumerate(zip(got, want)):
        if g == w:
            continue
        pos = next((i for i, (a, b) in enumerate(zip(g, w)) if a != b), min(len(g), len(w)))
        lo = max(0, pos - 3)
        at = len(decode(w[:pos]))
        text = docs[d]
        return (f"document {d} ({len(text)} chars), first difference at id position {pos}, "
                f"about char {at}: text there {text[max(0, at - 20):at + 30]!r}\n"
                f"  mwt ids[{lo}:{pos + 6}] = {g[lo:pos + 6]} (of {len(g)})\n"
                f"  oracle  [{lo}:{pos + 6}] = {w[lo:pos + 6]} (of {len(w)})")
    if len(got) != len(want):
        return f"{len(got)} results for {len(want)} documents"
    return ""


def check_ids(docs: Sequence[str], got: List[List[int]], want: List[List[int]],
              hf: Any) -> None:
    diff = first_difference(docs, got, want, lambda ids: hf.decode(ids))
    assert not diff, diff


@pytest.mark.parametrize("name", JSON_NAMES)
def test_tokenizer_json_ids_equal_hf(fx: Any, docs: Sequence[str], name: str) -> None:
    f = fx[name]
    hf = f.hf()
    tok = mwt.Tokenizer.from_file(f.directory)
    want = [e.ids for e in hf.encode_batch(list(docs), add_special_tokens=False)]
    check_ids(docs, tok.encode_batch(docs, add_special_tokens=False), want, hf)
    # With the special tokens the post-processor adds, on every 5th document.
    some = list(docs[::5])
    want_s = [e.ids for e in hf.encode_batch(some, add_special_tokens=True)]
    check_ids(some, tok.encode_batch(some, add_special_tokens=True), want_s, hf)


@pytest.mark.parametrize("name", GGUF_NAMES)
def test_gguf_ids_equal_oracle(fx: Any, docs: Sequence[str], name: str) -> None:
    f = fx[name]
    hf = tok_fixtures.gguf_oracle(f)
    tok = mwt.Tokenizer.from_file(f.gguf)
    docs = [d for d in docs if tok_fixtures.gguf_comparable(f, d)]
    assert len(docs) > 900
    want = [e.ids for e in hf.encode_batch(list(docs), add_special_tokens=False)]
    check_ids(docs, tok.encode_batch(docs, add_special_tokens=False), want, hf)
    some = list(docs[::5])
    want_s = [e.ids for e in hf.encode_batch(some, add_special_tokens=True)]
    check_ids(some, tok.encode_batch(some, add_special_tokens=True), want_s, hf)


@pytest.mark.parametrize("name", SPM_NAMES)
def test_sentencepiece_model_ids_equal_sentencepiece(fx: Any, docs: Sequence[str],
                                                     name: str) -> None:
    import sentencepiece as spm
    f = fx[name]
    sp = spm.SentencePieceProcessor(model_file=str(f.sp_model))
    tok = mwt.Tokenizer.from_file(f.sp_model)
    want = sp.encode(list(docs))
    diff = first_difference(docs, tok.encode_batch(docs, add_special_tokens=False), want,
                            lambda ids: sp.decode(ids))
    assert not diff, diff
    assert tok.vocab_size == sp.get_piece_size()


@pytest.mark.parametrize("name", JSON_NAMES)
def test_decode_equals_hf(fx: Any, docs: Sequence[str], name: str) -> None:
    f = fx[name]
    hf = f.hf()
    tok = mwt.Tokenizer.from_file(f.directory)
    encs = hf.encode_batch(list(docs[::3]), add_special_tokens=True)
    for skip in (False, True):
        want = hf.decode_batch([e.ids for e in encs], skip_special_tokens=skip)
        for i, (e, w) in enumerate(zip(encs, want)):
            got = tok.decode(e.ids, skip_special_tokens=skip)
            if got != w:
                at = next((k for k, (a, b) in enumerate(zip(got, w)) if a != b),
                          min(len(got), len(w)))
                pytest.fail(f"document {3 * i}, skip_special_tokens={skip}: first difference "
                            f"at char {at}: mwt {got[max(0, at - 20):at + 40]!r}, HF "
                            f"{w[max(0, at - 20):at + 40]!r}; ids {e.ids[:40]}")


@pytest.mark.parametrize("name", ["gpt2", "llama3", "qwen2", "llama2"])
def test_decode_of_encode_is_lossless(fx: Any, docs: Sequence[str], name: str) -> None:
    """decode(encode(x)) == x for the tokenizers without a normalizer (NFC(x) for Qwen2's
    NFC normalizer); HF must show the same property, or the claim is not the oracle's."""
    f = fx[name]
    assert f.lossless or name == "qwen2"
    hf = f.hf()
    tok = mwt.Tokenizer.from_file(f.directory)
    norm = (lambda s: unicodedata.normalize("NFC", s)) if name == "qwen2" else (lambda s: s)
    for i, (text, ids) in enumerate(zip(docs, tok.encode_batch(docs, add_special_tokens=False))):
        expected = norm(text)
        assert hf.decode(hf.encode(text, add_special_tokens=False).ids) == expected, \
            f"HF is not lossless on document {i}; the fixture's claim is wrong"
        assert tok.decode(ids) == expected, f"document {i}: {text[:60]!r}"


@pytest.mark.parametrize("name", ["gpt2", "llama3", "qwen2", "llama2", "t5", "bert"])
def test_invalid_utf8_as_hf_reads_it_replaced(fx: Any, name: str) -> None:
    """Bytes that are not UTF-8 encode as HF encodes bytes.decode('utf-8', 'replace')."""
    f = fx[name]
    hf = f.hf()
    tok = mwt.Tokenizer.from_file(f.directory)
    for raw in tok_corpus.broken_utf8_samples():
        want = hf.encode(raw.decode("utf-8", "replace"), add_special_tokens=False).ids
        assert tok.encode(raw, add_special_tokens=False) == want, raw


@pytest.mark.parametrize("name", ["gpt2", "llama2", "bert"])
def test_lone_surrogates_are_refused_like_hf(fx: Any, name: str) -> None:
    f = fx[name]
    hf = f.hf()
    tok = mwt.Tokenizer.from_file(f.directory)
    for text in ("a\ud800b", "\udfff", "x\udcffy"):
        with pytest.raises(TypeError):
            hf.encode(text)
        with pytest.raises(TypeError, match="lone surrogate"):
            tok.encode(text)
        with pytest.raises(TypeError, match="lone surrogate"):
            tok.encode_batch(["fine", text])
        # What HF can be given instead: the surrogatepass bytes decoded with replacement.
        raw = text.encode("utf-8", "surrogatepass")
        assert tok.encode(raw) == hf.encode(raw.decode("utf-8", "replace")).ids


def _special_texts(f: Any) -> List[str]:
    """Texts with the tokenizer's added tokens in them, next to spaces, words and each other."""
    added = [a.content for a in f.hf().get_added_tokens_decoder().values()][:12]
    out = []
    for i, a in enumerate(added):
        b = added[(i + 1) % len(added)]
        out += [a, f"{a}{b}", f" {a} ", f"x{a}y", f"Hello {a}world", f"{a}\n\n{b} end",
                f"  {a}  {b}  ", f"{a.lower()} {a.upper()}", a[:-1], f"{a}{a}{a}"]
    return out


@pytest.mark.parametrize("name", JSON_NAMES)
def test_added_and_special_tokens_in_text(fx: Any, name: str) -> None:
    f = fx[name]
    hf = f.hf()
    tok = mwt.Tokenizer.from_file(f.directory)
    texts = _special_texts(f)
    if name == "gpt2-added":  # the flag cases: whole words, stripped spaces, raw matches
        texts += ["ABBA", "ABBA ABBA", "xABBA ABBAy", "ABBA, ABBA.", "<sep>   after",
                  "before <sep>\n\nafter", "hello world", "say hello worlds", " <mask> x",
                  "a   <mask>b", "Zürich", " Zürich ", "inZürich", "Zürich's", "<mask><sep>"]
    for add in (False, True):
        want = [e.ids for e in hf.encode_batch(texts, add_special_tokens=add)]
        check_ids(texts, tok.encode_batch(texts, add_special_tokens=add), want, hf)
        for ids in want:
            for skip in (False, True):
                assert tok.decode(ids, skip_special_tokens=skip) == \
                    hf.decode(ids, skip_special_tokens=skip), ids
