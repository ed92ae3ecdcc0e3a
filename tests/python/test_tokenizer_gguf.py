"""GGUF tokenizers against their oracles. Vocabularies are trained here on Python's own sources
(HF `tokenizers` byte-level BPE with the pre-tokenizer splits of GPT-2, LLaMA-3 and Qwen2; a
SentencePiece BPE model with byte fallback as LLaMA-2 uses), written as GGUF with gguf-py the
way llama.cpp's converters write them, and opened through `_native.Tokenizer`: its ids must equal
HF's (SentencePiece's for the .model) on mixed text, and its decode theirs."""

from __future__ import annotations

import glob
import json
import os
import pathlib

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
pytest.importorskip("gguf.vocab")
tokenizers = pytest.importorskip("tokenizers")
spm = pytest.importorskip("sentencepiece")
_native = pytest.importorskip("mwt._native")

from tokenizers import Regex, decoders, models, pre_tokenizers, processors, trainers  # noqa: E402

# Training text: every third module of the standard library (sorted, so runs agree).
STDLIB = sorted(glob.glob(os.path.join(os.path.dirname(os.__file__), "*.py")))[::3]

# The split patterns as LLaMA-3's and Qwen2's tokenizer.json state them (HF's spelling).
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
                 r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|begin_of_text|>"]

MIXED = [
    "Hello world! It's 2024; we'll see. HE'S HERE, they'RE not.",
    "def f(x):\n\treturn x**2  # square\n\n\nclass A:  pass\r\n",
    "Ελληνικά κείμενα, русский текст, 中文测试文本, 日本語のテキスト, 한국어 문장.",
    "العربية نص, हिन्दी पाठ, ภาษาไทย, עברית",
    "emoji 👍🏽 family 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵 keycap 1️⃣ zwj 🏳️‍🌈",
    "    leading spaces, trailing spaces    ",
    "tabs\t\t\tand\n\n\nnewlines \n \n  \r\n\r\n",
    "control \x00\x01\x02\x1b[31m \x7f chars",
    "numbers 1 12 123 1234 12345 1234567890 3.14159 -0.5e-10 ١٢٣ ௧௨",
    "naïve café résumé façade coöperate Ångström ß ﬁ ＡＢＣ",
    "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
    "text<|endoftext|>more text<|endoftext|><|endoftext|>",
    "",
    " ",
    "\n",
    "a" * 3000,
    "x = {'k': [1, 2, 3], \"s\": None}  # ünïcödé\n" * 20,
]


def _corpus_texts(limit_bytes: int = 1_500_000) -> list[str]:
    """Chunks of ~12 lines from the stdlib modules not used for training, up to limit_bytes."""
    texts: list[str] = []
    total = 0
    others = sorted(glob.glob(os.path.join(os.path.dirname(os.__file__), "*.py")))[1::3]
    for path in others:
        lines = pathlib.Path(path).read_text(encoding="utf-8", errors="replace").splitlines(True)
        for i in range(0, len(lines), 12):
            chunk = "".join(lines[i:i + 12])
            texts.append(chunk)
            total += len(chunk.encode("utf-8"))
            if total >= limit_bytes:
                return texts
    return texts


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return MIXED + _corpus_texts()


def _pre_tokenizer(pre: str):
    if pre == "gpt-2":
        return pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    pattern = {"llama-bpe": LLAMA3_PATTERN, "qwen2": QWEN2_PATTERN}[pre]
    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])


def _train_bpe(pre: str, tmp: pathlib.Path) -> tokenizers.Tokenizer:
    tok = tokenizers.Tokenizer(models.BPE())
    tok.pre_tokenizer = _pre_tokenizer(pre)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=4000, min_frequency=2, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train(STDLIB, trainer)
    tok.add_tokens(["<tool_call>"])  # a user-defined (not special) added token
    if pre == "llama-bpe":
        # LLaMA-3's tokenizer.json: whole-vocabulary pieces skip the merges, BOS in front.
        data = json.loads(tok.to_str())
        data["model"]["ignore_merges"] = True
        tok = tokenizers.Tokenizer.from_str(json.dumps(data))
        bos = tok.token_to_id("<|begin_of_text|>")
        tok.post_processor = processors.TemplateProcessing(
            single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
            special_tokens=[("<|begin_of_text|>", bos)])
    tok.save(str(tmp / "tokenizer.json"))
    return tok


def _merges(tok: tokenizers.Tokenizer) -> list[str]:
    merges = json.loads(tok.to_str())["model"]["merges"]
    return [m if isinstance(m, str) else " ".join(m) for m in merges]


def _write_bpe_gguf(tok: tokenizers.Tokenizer, pre: str, path: pathlib.Path) -> None:
    # As convert_hf_to_gguf's get_vocab_base: added tokens are CONTROL when special, else
    # USER_DEFINED; every other token NORMAL.
    vocab = tok.get_vocab(with_added_tokens=True)
    tokens = [""] * len(vocab)
    for text, i in vocab.items():
        tokens[i] = text
    added = tok.get_added_tokens_decoder()
    types = [gguf.TokenType.NORMAL] * len(tokens)
    for i, a in added.items():
        types[i] = gguf.TokenType.CONTROL if a.special else gguf.TokenType.USER_DEFINED
    w = gguf.GGUFWriter(str(path), "gpt2")
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(_merges(tok))
    w.add_eos_token_id(tok.token_to_id("<|endoftext|>"))
    if pre == "llama-bpe":
        w.add_bos_token_id(tok.token_to_id("<|begin_of_text|>"))
        w.add_add_bos_token(True)
    else:
        w.add_add_bos_token(False)
    w.add_chat_template("{{ messages }}")
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def _first_mismatch(texts, got, want):
    for text, g, w in zip(texts, got, want):
        if list(g) != list(w):
            return f"{text[:200]!r}: mwt {list(g)[:40]} != oracle {list(w)[:40]}"
    return None


@pytest.mark.parametrize("pre", ["gpt-2", "llama-bpe", "qwen2"])
def test_gguf_bpe_equals_hf(pre, tmp_path, corpus):
    hf = _train_bpe(pre, tmp_path)
    path = tmp_path / "model.gguf"
    _write_bpe_gguf(hf, pre, path)
    ours = _native.Tokenizer.open(str(path))
    assert ours.vocab_size == hf.get_vocab_size()
    for special in (True, False):
        want = [e.ids for e in hf.encode_batch(corpus, add_special_tokens=special)]
        got = ours.encode_batch(corpus, add_special_tokens=special, threads=2)
        assert all(g.dtype == np.int32 for g in got)
        assert _first_mismatch(corpus, got, want) is None
        for text in MIXED:
            want_one = hf.encode(text, add_special_tokens=special).ids
            assert list(ours.encode(text, special)) == want_one
    for ids in [hf.encode(t).ids for t in MIXED]:
        for skip in (False, True):
            assert ours.decode(ids, skip_special_tokens=skip) == hf.decode(
                ids, skip_special_tokens=skip)
    # Byte-level BPE is lossless on text without added tokens.
    for text in corpus[:200]:
        ids = ours.encode(text, add_special_tokens=False)
        if not any(s in text for s in SPECIALS + ["<tool_call>"]):
            assert ours.decode(ids) == text
    for i in range(0, hf.get_vocab_size(), 7):
        assert ours.id_to_token(i) == hf.id_to_token(i)
        assert ours.token_to_id(hf.id_to_token(i)) == i


def test_gguf_bpe_info_and_routes(tmp_path):
    hf = _train_bpe("qwen2", tmp_path)
    path = tmp_path / "model.gguf"
    _write_bpe_gguf(hf, "qwen2", path)
    by_path = _native.Tokenizer.open(path)
    by_file = _native.Tokenizer.from_weight_file(_native.open(os.fsencode(path), {}))
    text = MIXED[10] + MIXED[2]
    assert list(by_file.encode(text)) == list(by_path.encode(text))
    assert list(by_path.encode(text.encode("utf-8"))) == list(by_path.encode(text))
    info = json.loads(by_path.info_json())
    assert info["source"] == "gguf"
    assert info["gguf_model"] == "gpt2"
    assert info["gguf_pre"] == "qwen2"
    assert info["chat_template"] == "{{ messages }}"
    assert info["model_type"] == "BPE"
    assert info["eos_token"] == "<|endoftext|>"
    assert info["special_ids"]["eos"] == hf.token_to_id("<|endoftext|>")
    added = {a["content"]: a for a in info["added_tokens"]}
    assert added["<|im_end|>"]["special"] is True
    assert added["<tool_call>"]["special"] is False
    assert info["special_ids"]["eot"] == [hf.token_to_id("<|im_end|>")]
    with pytest.raises(UnicodeEncodeError):
        by_path.encode("lone \ud800 surrogate")
    import mwt

    with pytest.raises(mwt.BadEncodingError):
        by_path.encode(b"invalid \xff utf-8")
    with pytest.raises(OverflowError):
        by_path.decode([-1])
    with pytest.raises(TypeError):
        by_path.decode(np.array([1.5]))
    assert by_path.id_to_token(-1) is None
    assert by_path.id_to_token(hf.get_vocab_size()) is None
    assert by_path.token_to_id("not a token at all") is None
    assert by_path.decode(np.array(hf.encode("abc").ids, dtype=np.int64)) == "abc"


def _train_spm(tmp: pathlib.Path) -> spm.SentencePieceProcessor:
    text = tmp / "corpus.txt"
    with open(text, "w", encoding="utf-8") as out:
        for path in STDLIB[:60]:
            out.write(pathlib.Path(path).read_text(encoding="utf-8"))
        out.write("\n".join(MIXED[:5]))
    # LLaMA-2's settings: BPE, byte fallback, no normalization, digits split, a dummy prefix.
    spm.SentencePieceTrainer.train(
        input=str(text), model_prefix=str(tmp / "tokenizer"), vocab_size=3000,
        model_type="bpe", byte_fallback=True, normalization_rule_name="identity",
        remove_extra_whitespaces=False, add_dummy_prefix=True, split_digits=True,
        allow_whitespace_only_pieces=True, character_coverage=0.9995, unk_id=0, bos_id=1,
        eos_id=2, pad_id=-1, max_sentence_length=1 << 20, minloglevel=2)
    return spm.SentencePieceProcessor(model_file=str(tmp / "tokenizer.model"))


def _write_spm_gguf(sp: spm.SentencePieceProcessor, tmp: pathlib.Path, path: pathlib.Path):
    from gguf.vocab import SentencePieceVocab

    vocab = SentencePieceVocab(tmp)
    tokens, scores, types = [], [], []
    for text, score, toktype in vocab.all_tokens():
        tokens.append(text)
        scores.append(score)
        types.append(toktype)
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(sp.bos_id())
    w.add_eos_token_id(sp.eos_id())
    w.add_unk_token_id(sp.unk_id())
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(True)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def test_gguf_llama_spm_equals_sentencepiece(tmp_path, corpus):
    sp = _train_spm(tmp_path)
    path = tmp_path / "model.gguf"
    _write_spm_gguf(sp, tmp_path, path)
    ours = _native.Tokenizer.open(str(path))
    assert ours.vocab_size == sp.get_piece_size()
    # SentencePiece reads "<s>" in text as characters, llama.cpp as the control token: keep
    # control texts out of what both see.
    texts = [t for t in corpus if "<s>" not in t and "</s>" not in t and "<unk>" not in t]
    got = ours.encode_batch(texts, add_special_tokens=True, threads=2)
    want = [[sp.bos_id()] + sp.encode(t) for t in texts]
    assert _first_mismatch(texts, got, want) is None
    got = ours.encode_batch(texts, add_special_tokens=False)
    assert _first_mismatch(texts, got, [sp.encode(t) for t in texts]) is None
    for text in texts[:300]:
        ids = sp.encode(text)
        assert ours.decode(ids) == sp.decode(ids)
        assert ours.decode([sp.bos_id()] + ids, skip_special_tokens=True) == sp.decode(ids)
    info = json.loads(ours.info_json())
    assert info["gguf_model"] == "llama"
    assert info["add_bos"] is True
    assert info["special_ids"]["bos"] == sp.bos_id()
    assert info["bos_token"] == sp.id_to_piece(sp.bos_id())


def test_gguf_errors_are_mwt_errors(tmp_path):
    import mwt

    path = tmp_path / "bad.gguf"
    w = gguf.GGUFWriter(str(path), "gpt2")
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("kimi-k2")
    w.add_token_list(["a", "b"])
    w.add_token_merges(["a b"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    with pytest.raises(mwt.UnsupportedFeatureError) as e:
        _native.Tokenizer.open(str(path))
    assert e.value.field == 'kv["tokenizer.ggml.pre"]'
    with pytest.raises(mwt.IoError):
        _native.Tokenizer.open(str(tmp_path / "missing.gguf"))
