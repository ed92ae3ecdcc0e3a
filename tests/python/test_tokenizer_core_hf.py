"""The native tokenizer pipeline (libmwt/src/tokenizer, docs/tokenizers-core.md) against Hugging
Face `tokenizers` as the oracle: byte-level BPE tokenizers in the GPT-2, RoBERTa, LLaMA-3 and
Qwen2 styles, a Metaspace + byte-fallback BPE and a BERT-style BPE, trained here on Python's
own sources plus a generated multi-script text, must give HF's ids on a > 1 MB mixed corpus
(code, several scripts, emoji and ZWJ sequences, whitespace runs, control characters), with
and without special tokens, for pairs, and decode as HF decodes.

The native side runs through tests/cpp/tools/tok_encode_tool (built with the C++ tests; found
under $MWT_BUILD_DIR, default build/release), so these tests need no Python binding.
"""

from __future__ import annotations

import glob
import json
import os
import random
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

tokenizers = pytest.importorskip("tokenizers")
from tokenizers import (  # noqa: E402
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)

ROOT = Path(__file__).resolve().parents[2]
STDLIB = Path(os.__file__).parent

LLAMA3 = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2 = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def _tool() -> Path:
    build = Path(os.environ.get("MWT_BUILD_DIR", str(ROOT / "build" / "release")))
    exe = build / "tests" / "tok_encode_tool"
    if not exe.is_file():
        pytest.skip(f"{exe} is not built (cmake --build {build} --target tok_encode_tool)")
    return exe


# ---- the corpus -------------------------------------------------------------------------------

# (first, last) code points of letters per script; Devanagari vowel signs are combining marks.
SCRIPTS = {
    "latin": [(0x61, 0x7A), (0xE0, 0xFF)],
    "greek": [(0x3B1, 0x3C9)],
    "cyrillic": [(0x430, 0x44F)],
    "hebrew": [(0x5D0, 0x5EA)],
    "arabic": [(0x627, 0x64A)],
    "devanagari": [(0x915, 0x939), (0x93E, 0x94C)],
    "thai": [(0xE01, 0xE2E)],
    "hiragana": [(0x3041, 0x3096)],
    "cjk": [(0x4E00, 0x4FFF)],
    "hangul": [(0xAC00, 0xAD00)],
}

ODD = [
    "👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 thumbs, 🧑‍💻 coder, ❤️‍🔥, 🇩🇪🇯🇵",
    "   three spaces\t\ttabs\n\n\nnewlines\r\n\r\ncrlf \u3000ideographic\u00a0nbsp\u2028ls end   ",
    "ctrl \x00\x01\x07\x08\x0b\x0c\x1b\x1c\x1f\x7f \x85nel \u180emvs \u200bzwsp \ufeffbom \u200d",
    "I'M WE'LL they'Re you'VE it'S I'd Don't ſ'S 'll'",
    "1234567890 12 345 ٠١٢٣٤٥ ¹²³ ½ Ⅻ ０１２ 3.14159e-10 0xDEADbeef",
    "e\u0301 a\u0308 n\u0303 A\u030a \u1e9b\u0323 ﬁ ﬀ Å Ω",
    "<|endoftext|> <mask>  <mask>x ly fly ly. [USER]  next<|endoftext|><|im_start|>user",
    "<s> text </s><unk><0x41> [CLS] [SEP] [MASK] ##ing word</w>",
    "😀" * 40 + " " + "a" * 300 + " " + "ab" * 200 + "\n" + " " * 500 + "x",
]


def _words(rng: random.Random, script: str, n: int) -> str:
    ranges = SCRIPTS[script]
    out = []
    for i in range(n):
        word = "".join(
            chr(rng.randint(*ranges[rng.randrange(len(ranges))])) for _ in range(rng.randint(1, 7))
        )
        mark = rng.choice([",", ".", "!", "?", ";", "。", "،", ""]) if i % 7 == 6 else ""
        out.append(word + mark)
    return " ".join(out)


def _prose(seed: int, size: int) -> str:
    rng = random.Random(seed)
    parts: List[str] = []
    total = 0
    while total < size:
        p = _words(rng, rng.choice(list(SCRIPTS)), rng.randint(5, 60))
        p += rng.choice(["\n", "\n\n", " ", "  ", "\t"])
        parts.append(p)
        total += len(p.encode())
    return "".join(parts)


def _real_texts() -> List[str]:
    """UTF-8 prose some Python installs ship (CPython's CJK codec test data)."""
    out = []
    pattern = Path(sys.base_prefix).parent / "*/lib/python3*/test/cjkencodings/*-utf8.txt"
    for f in sorted(glob.glob(str(pattern))):
        try:
            out.append(Path(f).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, OSError):
            continue
    return out


def _stdlib(parity: int, limit: int) -> List[str]:
    """Every other module of the standard library (parity 0 trains, 1 is held out)."""
    docs, total = [], 0
    for f in sorted(STDLIB.glob("*.py"))[parity::2]:
        text = f.read_text(encoding="utf-8", errors="replace")
        docs.append(text)
        total += len(text.encode())
        if total >= limit:
            break
    return docs


_CACHE: Dict[str, Any] = {}


def _training_files() -> List[str]:
    if "train" not in _CACHE:
        d = Path(tempfile.mkdtemp(prefix="mwt_tok_core_"))
        texts = _stdlib(0, 1_500_000) + [_prose(1, 600_000)] + _real_texts()
        files = []
        for i, t in enumerate(texts):
            p = d / f"t{i}.txt"
            p.write_text(t, encoding="utf-8")
            files.append(str(p))
        _CACHE["train"] = files
    return list(_CACHE["train"])


def corpus() -> List[str]:
    """Held-out documents, > 1 MB in all."""
    if "corpus" not in _CACHE:
        docs = _stdlib(1, 900_000) + _real_texts()
        prose = _prose(2, 300_000)
        docs += [prose[i : i + 5000] for i in range(0, len(prose), 5000)]
        docs += ODD + [d + " " + ODD[i % len(ODD)] for i, d in enumerate(ODD)]
        _CACHE["corpus"] = docs
    return list(_CACHE["corpus"])


def test_corpus_is_large_and_mixed() -> None:
    docs = corpus()
    text = "".join(docs)
    assert len(text.encode()) > 1_000_000
    cats = {unicodedata.category(c) for c in text}
    assert {"Lu", "Ll", "Lo", "Mn", "Nd", "No", "Zs", "Cc", "Cf", "So"} <= cats
    assert "\u200d" in text and "\r\n" in text


# ---- the tokenizers ---------------------------------------------------------------------------


def _byte_level_trainer(vocab: int, special: List[str]) -> Any:
    return trainers.BpeTrainer(
        vocab_size=vocab,
        special_tokens=special,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )


def _gpt2() -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.decoder = decoders.ByteLevel()
    tok.train(_training_files(), _byte_level_trainer(4000, ["<|endoftext|>"]))
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, normalized=False)])
    tok.add_tokens(
        [
            AddedToken("ly", single_word=True),
            AddedToken("[USER]", normalized=False, rstrip=True),
            AddedToken(" next", normalized=True),
        ]
    )
    return tok


def _roberta() -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tok.decoder = decoders.ByteLevel()
    tok.train(_training_files(), _byte_level_trainer(3000, ["<s>", "</s>", "<mask>"]))
    tok.post_processor = processors.RobertaProcessing(("</s>", 1), ("<s>", 0))
    return tok


def _split_byte_level(pattern: str, vocab: int, special: List[str]) -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    tok.train(_training_files(), _byte_level_trainer(vocab, special))
    return tok


def _llama3() -> Tokenizer:
    tok = _split_byte_level(LLAMA3, 5000, ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"])
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.Sequence(
        [
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(
                single="<|begin_of_text|> $A",
                pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
                special_tokens=[("<|begin_of_text|>", bos)],
            ),
        ]
    )
    return tok


def _qwen2(with_nfc: bool) -> Tokenizer:
    tok = _split_byte_level(QWEN2, 4000, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    if with_nfc:
        tok.normalizer = normalizers.NFC()
    return tok


def _metaspace_fallback() -> Tokenizer:
    """SentencePiece-shaped BPE: Metaspace (prepend first), byte fallback, fused unk."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    special = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    trainer = trainers.BpeTrainer(vocab_size=3000, special_tokens=special, show_progress=False,
                                  limit_alphabet=300)
    tok.train(_training_files(), trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A </s> <s> $B:1", special_tokens=[("<s>", 1), ("</s>", 2)]
    )
    return tok


def _bertish() -> Tokenizer:
    """BERT-shaped BPE: BertPreTokenizer + single digits, ## prefix, </w> suffix, [UNK]."""
    tok = Tokenizer(
        models.BPE(unk_token="[UNK]", continuing_subword_prefix="##", end_of_word_suffix="</w>")
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.BertPreTokenizer(), pre_tokenizers.Digits(individual_digits=True)]
    )
    trainer = trainers.BpeTrainer(
        vocab_size=3000,
        special_tokens=["[UNK]", "[CLS]", "[SEP]", "[MASK]"],
        continuing_subword_prefix="##",
        end_of_word_suffix="</w>",
        limit_alphabet=500,
        show_progress=False,
    )
    tok.train(_training_files(), trainer)
    tok.post_processor = processors.BertProcessing(("[SEP]", 2), ("[CLS]", 1))
    return tok


def _splitters() -> Tokenizer:
    """Every split behaviour and the remaining character-class pre-tokenizers in one Sequence;
    ignore_merges is set in the saved model."""
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split("\n", behavior="merged_with_previous"),
            pre_tokenizers.Split(Regex(r"[=:]+"), behavior="merged_with_next"),
            pre_tokenizers.Split(Regex(r"\d"), behavior="contiguous"),
            pre_tokenizers.Split(Regex(r"\w+"), behavior="removed", invert=True),
            pre_tokenizers.Punctuation(behavior="contiguous"),
            pre_tokenizers.CharDelimiterSplit("_"),
            pre_tokenizers.WhitespaceSplit(),
        ]
    )
    trainer = trainers.BpeTrainer(vocab_size=3000, special_tokens=["<unk>"], show_progress=False,
                                  limit_alphabet=400)
    tok.train(_training_files(), trainer)
    return tok


def _whitespace() -> Tokenizer:
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Whitespace(), pre_tokenizers.Metaspace(prepend_scheme="always",
                                                               split=False)]
    )
    trainer = trainers.BpeTrainer(vocab_size=2000, special_tokens=["<unk>"], show_progress=False,
                                  limit_alphabet=400)
    tok.train(_training_files(), trainer)
    return tok


BUILDERS: Dict[str, Callable[[], Tokenizer]] = {
    "gpt2": _gpt2,
    "roberta": _roberta,
    "llama3": _llama3,
    "qwen2_split": lambda: _qwen2(False),
    "qwen2_nfc": lambda: _qwen2(True),
    "metaspace_fallback": _metaspace_fallback,
    "bertish": _bertish,
    "splitters": _splitters,
    "whitespace": _whitespace,
}
# What each tokenizer.json is edited to before saving (HF reads the edited file too).
EDITS: Dict[str, Callable[[Dict[str, Any]], None]] = {
    "splitters": lambda j: j["model"].update(ignore_merges=True),
}


def hf_tokenizer(name: str) -> Tuple[Tokenizer, Dict[str, Any]]:
    key = "tok:" + name
    if key not in _CACHE:
        j = json.loads(BUILDERS[name]().to_str())
        if name in EDITS:
            EDITS[name](j)
        _CACHE[key] = (Tokenizer.from_str(json.dumps(j)), j)
    return _CACHE[key]  # type: ignore[no-any-return]


def native(tool: Path, tok_json: Dict[str, Any], requests: Dict[str, Any]) -> Dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        tj, rq = Path(d) / "tokenizer.json", Path(d) / "requests.json"
        tj.write_text(json.dumps(tok_json), encoding="utf-8")
        rq.write_text(json.dumps(requests), encoding="utf-8")
        r = subprocess.run([str(tool), str(tj), str(rq)], capture_output=True, timeout=600)
    out = json.loads(r.stdout.decode("utf-8"))
    assert r.returncode in (0, 2), r.stderr
    return out  # type: ignore[no-any-return]


def without_decoder(j: Dict[str, Any]) -> Dict[str, Any]:
    """The file with its decoder removed (HF then joins the token strings with spaces)."""
    j = json.loads(json.dumps(j))
    j["decoder"] = None
    return j


def first_difference(a: List[int], b: List[int]) -> int:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def assert_same_ids(hf: Tokenizer, texts: List[str], ours: List[List[int]], what: str,
                    add_special: bool) -> None:
    ref = [e.ids for e in hf.encode_batch(texts, add_special_tokens=add_special)]
    bad = [i for i, (r, o) in enumerate(zip(ref, ours)) if r != o]
    if bad:
        i = bad[0]
        k = first_difference(ref[i], ours[i])
        lo = max(0, k - 3)
        raise AssertionError(
            f"{what}: {len(bad)} of {len(texts)} texts differ; text {i} first at id {k}: "
            f"HF {ref[i][lo:k + 4]} {[hf.id_to_token(x) for x in ref[i][lo:k + 4]]} vs mwt "
            f"{ours[i][lo:k + 4]} {[hf.id_to_token(x) for x in ours[i][lo:k + 4]]}"
        )
    assert len(ref) == len(ours)


# ---- the comparisons --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_encode_equals_hf(name: str) -> None:
    tool = _tool()
    hf, j = hf_tokenizer(name)
    texts = corpus()
    out = native(tool, j, {"texts": texts})
    assert "error" not in out, out
    assert out["vocab_size"] == hf.get_vocab_size()
    assert_same_ids(hf, texts, out["encode"], name + " with special tokens", True)
    assert_same_ids(hf, texts, out["encode_plain"], name + " without special tokens", False)


@pytest.mark.parametrize("name", ["llama3", "metaspace_fallback", "bertish", "roberta"])
def test_pairs_equal_hf(name: str) -> None:
    tool = _tool()
    hf, j = hf_tokenizer(name)
    docs = corpus()
    pairs = [[docs[i][:3000], docs[-1 - i][:2000]] for i in range(0, 60)]
    out = native(tool, j, {"pairs": pairs})
    assert "error" not in out, out
    ref = [hf.encode(a, b).ids for a, b in pairs]
    assert out["pairs"] == ref


@pytest.mark.parametrize("name", ["gpt2", "llama3", "metaspace_fallback", "bertish"])
def test_decode_without_decoder_equals_hf(name: str) -> None:
    """With no decoder HF joins the token strings with spaces; this holds the id -> token map,
    added tokens and skip_special_tokens equal."""
    tool = _tool()
    hf, j = hf_tokenizer(name)
    j = without_decoder(j)
    bare = Tokenizer.from_str(json.dumps(j))
    rng = random.Random(5)
    n = bare.get_vocab_size()
    seqs = [e.ids for e in bare.encode_batch(ODD + corpus()[:20])]
    seqs += [[rng.randrange(n + 10) for _ in range(rng.randint(0, 50))] for _ in range(50)]
    out = native(tool, j, {"decode": seqs})
    assert "error" not in out, out
    assert out["decode"] == [bare.decode(s, skip_special_tokens=False) for s in seqs]
    assert out["decode_skip"] == [bare.decode(s, skip_special_tokens=True) for s in seqs]


@pytest.mark.parametrize("name", ["gpt2", "llama3", "roberta"])
def test_decode_with_decoder_equals_hf(name: str) -> None:
    """The full file, decoder included. decode(encode(x)) == x for byte-level tokenizers, on
    every text HF's own round trip keeps (an lstrip / rstrip added token drops the spaces it
    absorbs; some ODD texts have them), which must include every corpus document."""
    tool = _tool()
    hf, j = hf_tokenizer(name)
    texts = ODD + corpus()[:30]
    ids = [e.ids for e in hf.encode_batch(texts, add_special_tokens=False)]
    out = native(tool, j, {"decode": ids})
    assert "error" not in out, out
    assert out["decode"] == [hf.decode(s, skip_special_tokens=False) for s in ids]
    if name != "roberta":  # add_prefix_space makes RoBERTa's round trip gain a leading space
        kept = [i for i, s in enumerate(ids) if hf.decode(s, skip_special_tokens=False) == texts[i]]
        assert set(range(len(ODD), len(texts))) <= set(kept)
        assert [out["decode"][i] for i in kept] == [texts[i] for i in kept]


# Every code point Unicode 14 (PCRE2 10.42's and Python 3.11's version) assigns, outside the
# private-use planes: one token each, so the ids tell which characters a splitter kept.
def _all_chars() -> List[str]:
    if unicodedata.unidata_version != "14.0.0":
        pytest.skip(f"needs Unicode 14.0 data (PCRE2's version), Python has "
                    f"{unicodedata.unidata_version}")
    return [chr(c) for c in range(0x20, 0x110000) if unicodedata.category(chr(c)) not in
            ("Cn", "Co", "Cs")]


@pytest.mark.parametrize(
    "pre",
    [r"\w", r"\W", r"\s", r"\S", r"\d", r"\p{L}", r"\p{N}", r"\p{Lu}", r"\p{M}",
     r"[^\s\p{L}\p{N}]", r"(?i:s|k)", r"[\w\s]", r"[^\w]", r"[^\s\d]", r"\h",
     "Whitespace", "Punctuation", "Digits", "WhitespaceSplit", "Bert"],
)
def test_character_classes_equal_hf(pre: str) -> None:
    """Which characters a pattern or splitter keeps, over every assigned code point, equals
    HF's (onig for Split patterns; Rust's regex crate and char predicates for the others)."""
    tool = _tool()
    chars = _all_chars()
    tok = Tokenizer(models.BPE(vocab={c: i for i, c in enumerate(chars)}, merges=[]))
    if pre == "Whitespace":
        tok.pre_tokenizer = pre_tokenizers.Whitespace()
    elif pre == "Punctuation":
        tok.pre_tokenizer = pre_tokenizers.Punctuation(behavior="removed")
    elif pre == "Bert":
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    elif pre == "Digits":
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Split("x", behavior="removed"), pre_tokenizers.Digits()])
    elif pre == "WhitespaceSplit":
        tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    else:
        tok.pre_tokenizer = pre_tokenizers.Split(Regex(pre), behavior="removed", invert=True)
    text = "".join(chars)
    texts = [text, "x" + "x".join(chars)]
    j = json.loads(tok.to_str())
    out = native(tool, j, {"texts": texts})
    assert "error" not in out, out
    ref = [e.ids for e in tok.encode_batch(texts)]
    for r, o in zip(ref, out["encode"]):
        if r != o:
            missing = sorted(set(r) - set(o))[:10]
            extra = sorted(set(o) - set(r))[:10]
            raise AssertionError(
                f"{pre}: HF only {[hex(ord(chars[i])) for i in missing]}, "
                f"mwt only {[hex(ord(chars[i])) for i in extra]}"
            )


@pytest.mark.parametrize("strategy", ["longest_first", "only_first", "only_second"])
@pytest.mark.parametrize("direction", ["right", "left"])
def test_truncation_and_padding_equal_hf(strategy: str, direction: str) -> None:
    """Every max_length from 0 past the texts' length, singles and pairs both ways, with and
    without special tokens; HF's errors (a sequence too short to cut) are errors here too."""
    tool = _tool()
    _, j = hf_tokenizer("bertish")
    base = Tokenizer.from_str(json.dumps(without_decoder(j)))
    a, b = "The quick brown fox, 12 jumps!", "over the lazy dog."
    for max_length in range(0, 24, 3):
        for pad in [None, {"length": 20}, {"pad_to_multiple_of": 8}]:
            tok = Tokenizer.from_str(base.to_str())
            tok.enable_truncation(max_length, strategy=strategy, direction=direction)
            if pad is not None:
                tok.enable_padding(direction=direction, pad_id=0, pad_token="[UNK]", **pad)
            requests: List[Tuple[Any, ...]] = [(a, True), (a, False), ((a, b), True),
                                              ((b, a), True)]
            expected: List[Any] = []
            for text, special in requests:
                try:
                    if isinstance(text, tuple):
                        expected.append(tok.encode(*text, add_special_tokens=special).ids)
                    else:
                        expected.append(tok.encode(text, add_special_tokens=special).ids)
                except Exception:
                    expected.append("error")
            tj = json.loads(tok.to_str())
            got: List[Any] = []
            for text, special in requests:
                if isinstance(text, tuple):
                    out = native(tool, tj, {"pairs": [list(text)]})
                    got.append("error" if "error" in out else out["pairs"][0])
                else:
                    out = native(tool, tj, {"texts": [text]})
                    key = "encode" if special else "encode_plain"
                    got.append("error" if "error" in out else out[key][0])
            assert got == expected, (max_length, pad)


def test_token_lookups_equal_hf() -> None:
    tool = _tool()
    hf, j = hf_tokenizer("gpt2")
    vocab = hf.get_vocab()
    tokens = sorted(vocab)[:: max(1, len(vocab) // 400)] + ["<mask>", "ly", "[USER]", "nope!"]
    ids = list(range(0, hf.get_vocab_size() + 5, 7))
    out = native(tool, without_decoder(j), {"tokens": tokens, "ids": ids})
    assert out["token_to_id"] == [hf.token_to_id(t) for t in tokens]
    assert out["id_to_token"] == [hf.id_to_token(i) for i in ids]


def test_added_token_ids_replayed_like_hf() -> None:
    """Ids written in added_tokens are not trusted by HF: it re-derives them. So do we."""
    tool = _tool()
    _, j = hf_tokenizer("gpt2")
    j = without_decoder(j)
    n = len(j["model"]["vocab"])
    entry = {"single_word": False, "lstrip": False, "rstrip": False, "normalized": False}
    j["added_tokens"] = [
        dict(entry, id=n + 50, content="<z1>", special=True),
        dict(entry, id=3, content="<z2>", special=False),
        dict(entry, id=n + 1, content="<|endoftext|>", special=True),
    ]
    hf = Tokenizer.from_str(json.dumps(j))
    out = native(tool, j, {"tokens": ["<z1>", "<z2>", "<|endoftext|>"], "texts": ["a<z2><z1>b"]})
    assert out["token_to_id"] == [hf.token_to_id(t) for t in ["<z1>", "<z2>", "<|endoftext|>"]]
    assert out["encode"] == [hf.encode("a<z2><z1>b").ids]
    assert out["vocab_size"] == hf.get_vocab_size()


def test_config_files_read_as_transformers_writes_them() -> None:
    """tokenizer_config.json / special_tokens_map.json as transformers saves them."""
    transformers = pytest.importorskip("transformers")
    tool = _tool()
    hf, j = hf_tokenizer("llama3")
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=hf,
        bos_token="<|begin_of_text|>",
        eos_token="<|eot_id|>",
        model_max_length=8192,
    )
    fast.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    with tempfile.TemporaryDirectory() as d:
        fast.save_pretrained(d)
        files = {p.name: p for p in Path(d).iterdir()}
        cfg = json.loads(files["tokenizer_config.json"].read_text(encoding="utf-8"))
        tj = json.loads(files["tokenizer.json"].read_text(encoding="utf-8"))
        rq = Path(d) / "rq.json"
        rq.write_text(json.dumps({"texts": ["hi"]}), encoding="utf-8")
        tjs = Path(d) / "tj.json"
        tjs.write_text(json.dumps(without_decoder(tj)), encoding="utf-8")
        args = [str(tool), str(tjs), str(rq), "--config", str(files["tokenizer_config.json"])]
        if "special_tokens_map.json" in files:
            args += ["--special-map", str(files["special_tokens_map.json"])]
        r = subprocess.run(args, capture_output=True, timeout=120)
    out = json.loads(r.stdout.decode("utf-8"))
    assert "error" not in out, out
    # transformers may write the template to chat_template.jinja instead; finding that file is
    # the file opener's job, not the config reader's.
    assert out["info"]["chat_template"] == (cfg.get("chat_template") or "")
    assert out["info"]["bos_token"] == "<|begin_of_text|>"
    assert out["info"]["eos_token"] == "<|eot_id|>"
    assert out["special"]["bos"] == fast.bos_token_id
    assert out["special"]["eos"] == fast.eos_token_id
    assert out["info"]["model_max_length"] == 8192
    assert out["encode"] == [fast("hi")["input_ids"]]
