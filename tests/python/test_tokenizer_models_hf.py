"""t-models' models against their oracles: SentencePiece .model files (BPE, Unigram, WORD, CHAR;
byte fallback, user-defined and control symbols, identity and case-folding normalization)
against `sentencepiece` itself, and tokenizer.json Unigram / WordPiece / WordLevel tokenizers
(trained here with HF `tokenizers`, or converted from the .model files with transformers'
converters) against HF `tokenizers`: ids of every held-out line and decode of ids.

The native side runs through tests/cpp/tools/tok_models_tool (tok_models_support.tool)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Dict, List

import pytest

spm = pytest.importorskip("sentencepiece")
tokenizers = pytest.importorskip("tokenizers")
from sentencepiece import sentencepiece_model_pb2 as spm_pb2  # noqa: E402
from tok_models_support import held_out_lines, run_tool, tool, training_text  # noqa: E402
from tokenizers import (  # noqa: E402
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)

SPM_CONFIGS: Dict[str, Dict[str, Any]] = {
    "bpe_byte_fallback": dict(model_type="bpe", vocab_size=1500, byte_fallback=True),
    "unigram_byte_fallback": dict(model_type="unigram", vocab_size=1500, byte_fallback=True),
    "unigram_symbols": dict(model_type="unigram", vocab_size=1000,
                            user_defined_symbols=["<sep>", "QQ", "▁self"],
                            control_symbols=["<ctl>"], character_coverage=0.995),
    "bpe_identity": dict(model_type="bpe", vocab_size=1000, normalization_rule_name="identity",
                         add_dummy_prefix=False, remove_extra_whitespaces=False,
                         user_defined_symbols=["def ", "<sep>"], character_coverage=0.99),
    "unigram_nfkc_cf": dict(model_type="unigram", vocab_size=1000,
                            normalization_rule_name="nmt_nfkc_cf", byte_fallback=True,
                            pad_id=3, unk_id=0, bos_id=1, eos_id=2),
    "char": dict(model_type="char", vocab_size=400, character_coverage=0.999),
    "word": dict(model_type="word", vocab_size=3000),
}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tool()  # skip early when the driver is not built
    d = tmp_path_factory.mktemp("tok_models")
    (d / "train.txt").write_text(training_text(), encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def lines() -> List[str]:
    return held_out_lines()


def _spm_model(work: Path, name: str) -> Path:
    path = work / f"{name}.model"
    if not path.exists():
        spm.SentencePieceTrainer.train(
            input=str(work / "train.txt"), model_prefix=str(work / name), num_threads=2,
            minloglevel=2, **SPM_CONFIGS[name])
    return path


@pytest.mark.parametrize("name", sorted(SPM_CONFIGS))
def test_spm_encode_decode_match_sentencepiece(work: Path, lines: List[str], name: str) -> None:
    path = _spm_model(work, name)
    sp = spm.SentencePieceProcessor(model_file=str(path))
    want = [sp.encode(t) for t in lines]
    rng = random.Random(5)
    n = sp.get_piece_size()
    random_ids = [[rng.randrange(n) for _ in range(rng.randrange(1, 25))] for _ in range(300)]
    out = run_tool("spm", path, {"texts": lines, "decode": want + random_ids})
    assert "error" not in out, out
    bad = [(t, g, w) for t, g, w in zip(lines, out["encode"], want) if g != w]
    assert not bad, f"{len(bad)} of {len(lines)} differ; first: {bad[0]!r}"
    want_dec = [sp.decode(ids) for ids in want + random_ids]
    bad_dec = [(i, g, w) for i, (g, w) in enumerate(zip(out["decode"], want_dec)) if g != w]
    assert not bad_dec, f"{len(bad_dec)} decodes differ; first: {bad_dec[0]!r}"
    assert out["vocab_size"] == n
    assert out["special"] == {"bos": sp.bos_id(), "eos": sp.eos_id(), "unk": sp.unk_id(),
                              "pad": sp.pad_id()}


@pytest.mark.parametrize("name", ["bpe_byte_fallback", "unigram_symbols", "bpe_identity"])
def test_spm_proto_fields_match_protobuf(work: Path, name: str) -> None:
    path = _spm_model(work, name)
    m = spm_pb2.ModelProto()
    m.ParseFromString(path.read_bytes())
    p = run_tool("spm", path, {})["proto"]
    ts, ns = m.trainer_spec, m.normalizer_spec
    assert p["pieces"] == len(m.pieces)
    assert p["types"] == [x.type for x in m.pieces]
    assert p["scores"] == pytest.approx([x.score for x in m.pieces], rel=0, abs=0)
    assert (p["model_type"], p["byte_fallback"]) == (ts.model_type, ts.byte_fallback)
    assert (p["unk_id"], p["bos_id"], p["eos_id"], p["pad_id"]) == (
        ts.unk_id, ts.bos_id, ts.eos_id, ts.pad_id)
    assert (p["add_dummy_prefix"], p["remove_extra_whitespaces"], p["escape_whitespaces"]) == (
        ns.add_dummy_prefix, ns.remove_extra_whitespaces, ns.escape_whitespaces)
    assert (p["name"], p["charsmap_bytes"]) == (ns.name, len(ns.precompiled_charsmap))


def test_spm_hostile_models_fail_cleanly(work: Path) -> None:
    """Truncations and byte flips of a real model: an error with a code, or a model that still
    loads; never a crash (the driver's exit status says which)."""
    data = _spm_model(work, "unigram_symbols").read_bytes()
    rng = random.Random(11)
    cases = [data[:k] for k in sorted({rng.randrange(len(data)) for _ in range(60)} | {0, 1, 7})]
    for _ in range(60):
        b = bytearray(data)
        for _ in range(rng.randrange(1, 6)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        cases.append(bytes(b))
    codes = set()
    for i, blob in enumerate(cases):
        f = work / f"hostile_{i}.model"
        f.write_bytes(blob)
        out = run_tool("spm", f, {"texts": ["hello world", "日本語 😀"]})
        if "error" in out:
            codes.add(out["error"])
            assert "offset" in out["message"] or "in " in out["message"], out
        else:
            assert all(0 <= i < out["vocab_size"] for ids in out["encode"] for i in ids)
    assert codes & {"TRUNCATED", "BAD_SYNTAX"}, codes


# ---- tokenizer.json models ----------------------------------------------------------------


def _compare_json(path: Path, tk: Tokenizer, lines: List[str]) -> None:
    enc = [tk.encode(t, add_special_tokens=False).ids for t in lines]
    enc_sp = [tk.encode(t, add_special_tokens=True).ids for t in lines]
    rng = random.Random(9)
    n = tk.get_vocab_size()
    rand = [[rng.randrange(n) for _ in range(rng.randrange(1, 20))] for _ in range(200)]
    out = run_tool("json", path, {"texts": lines, "decode": enc + rand})
    assert "error" not in out, out
    for key, want in (("encode", enc), ("encode_special", enc_sp)):
        bad = [(t, g, w) for t, g, w in zip(lines, out[key], want) if g != w]
        assert not bad, f"{key}: {len(bad)} of {len(lines)} differ; first: {bad[0]!r}"
    want_dec = [tk.decode(ids, skip_special_tokens=False) for ids in enc + rand]
    bad_dec = [(i, g, w) for i, (g, w) in enumerate(zip(out["decode"], want_dec)) if g != w]
    assert not bad_dec, f"{len(bad_dec)} decodes differ; first: {bad_dec[0]!r}"


class _SlowShim:
    """What transformers' SpmConverter reads of a slow tokenizer, answered by sentencepiece."""

    def __init__(self, path: Path) -> None:
        self.vocab_file = str(path)
        self.sp = spm.SentencePieceProcessor(model_file=str(path))
        self.add_prefix_space = True
        self.legacy = True
        self._extra_ids = 0

    def convert_ids_to_tokens(self, i: int) -> str:
        return str(self.sp.id_to_piece(i))

    def convert_tokens_to_ids(self, t: str) -> int:
        return int(self.sp.piece_to_id(t))


@pytest.mark.parametrize("name,converter", [("unigram_byte_fallback", "T5Converter"),
                                            ("unigram_nfkc_cf", "T5Converter"),
                                            pytest.param(
                                                "bpe_byte_fallback", "LlamaConverter",
                                                marks=pytest.mark.xfail(
                                                    raises=AttributeError, strict=True,
                                                    reason="transformers 5.23's LlamaConverter "
                                                    "passes its vocab_scores list where "
                                                    "SentencePieceExtractor.extract wants a "
                                                    "model class")),
                                            ])
def test_transformers_converted_models(work: Path, lines: List[str], name: str,
                                       converter: str) -> None:
    """tokenizer.json as transformers converts a .model: Precompiled normalizer + Unigram
    (T5), Prepend/Replace normalizers + byte-fallback BPE + Replace/ByteFallback/Fuse/Strip
    decoders (LLaMA)."""
    conv = pytest.importorskip("transformers.convert_slow_tokenizer")
    tk = getattr(conv, converter)(_SlowShim(_spm_model(work, name))).converted()
    path = work / f"{name}.{converter}.json"
    tk.save(str(path))
    _compare_json(path, Tokenizer.from_file(str(path)), lines)


def test_hf_unigram_trained(work: Path, lines: List[str]) -> None:
    tk = Tokenizer(models.Unigram())
    tk.normalizer = normalizers.Sequence([normalizers.Nmt(), normalizers.NFKC(),
                                          normalizers.Replace(tokenizers.Regex(" {2,}"), " ")])
    tk.pre_tokenizer = pre_tokenizers.Metaspace()
    tk.decoder = decoders.Metaspace()
    tk.train([str(work / "train.txt")], trainers.UnigramTrainer(
        vocab_size=1200, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>"))
    path = work / "hf_unigram.json"
    tk.save(str(path))
    _compare_json(path, tk, lines)


def test_hf_unigram_unknown_runs_and_byte_fallback(work: Path) -> None:
    """Hand-made vocabularies: fused unknown runs, byte fallback with all / some bytes present,
    the unk piece matched literally, equal scores."""
    texts = ["abcdxyz", "xxabyy", "zzz", "a<unk>b", "éé€ab", "ab ab", "", "qqqabcq", "ÿ"]
    base = [("<unk>", 0.0), ("a", -1.0), ("b", -1.5), ("ab", -2.0), ("abc", -2.5),
            ("c", -1.0), ("d", -3.0), ("cd", -3.0), ("bcd", -4.5), (" ", -0.5)]
    bytes_all = [(f"<0x{b:02X}>", -9.0) for b in range(256)]
    bytes_some = [(f"<0x{b:02X}>", -9.0) for b in range(0x61, 0x7B)]
    for i, (vocab, fallback) in enumerate([(base, False), (base + bytes_all, True),
                                           (base + bytes_some, True), (base + bytes_all, False)]):
        tk = Tokenizer(models.Unigram(vocab, unk_id=0, byte_fallback=fallback))
        path = work / f"unigram_hand_{i}.json"
        tk.save(str(path))
        out = run_tool("json", path, {"texts": texts})
        assert out["encode"] == [tk.encode(t).ids for t in texts], (i, texts)


def test_hf_wordpiece_bert(work: Path, lines: List[str]) -> None:
    tk = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=40))
    tk.normalizer = normalizers.BertNormalizer(lowercase=True)
    tk.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tk.decoder = decoders.WordPiece()
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tk.train([str(work / "train.txt")], trainers.WordPieceTrainer(vocab_size=3000,
                                                                  special_tokens=special))
    tk.post_processor = processors.BertProcessing(("[SEP]", tk.token_to_id("[SEP]")),
                                                  ("[CLS]", tk.token_to_id("[CLS]")))
    path = work / "hf_wordpiece.json"
    tk.save(str(path))
    _compare_json(path, tk, lines)
    # The same vocabulary cased, accents kept, CJK not split, no cleanup on decode.
    d = json.loads(path.read_text(encoding="utf-8"))
    d["normalizer"] = json.loads(normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=False, strip_accents=False,
        lowercase=False).__getstate__())
    d["decoder"] = json.loads(decoders.WordPiece(prefix="##", cleanup=False).__getstate__())
    path2 = work / "hf_wordpiece_cased.json"
    path2.write_text(json.dumps(d), encoding="utf-8")
    _compare_json(path2, Tokenizer.from_file(str(path2)), lines)


def test_hf_wordlevel(work: Path, lines: List[str]) -> None:
    tk = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tk.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents(),
                                          normalizers.Lowercase()])
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.train([str(work / "train.txt")], trainers.WordLevelTrainer(vocab_size=2000,
                                                                  special_tokens=["<unk>"]))
    path = work / "hf_wordlevel.json"
    tk.save(str(path))
    _compare_json(path, tk, lines)
