"""Tokenizers for the tokenizer tests, built here with the oracle packages and no hub: vocabularies
trained with HF ``tokenizers`` or ``sentencepiece`` on tok_corpus.training_text() (standard-library
sources and the corpus passages), laid out as the public models of each family lay theirs out, and
saved as ``tokenizer.json`` + ``tokenizer_config.json`` and as a vocab-only GGUF written with
gguf-py the way llama.cpp's converter writes one (its token types, gguf.SpecialVocab for merges,
special ids and add_bos/add_eos, the BERT "phantom space" spelling, the SentencePiece scores).

Families: gpt2 (byte-level BPE, GPT-2 regex), llama3 (Split with the LLaMA-3 regex + ByteLevel,
ignore_merges, BOS template, chat tokens), qwen2 (NFC + the Qwen2 regex, ChatML tokens), llama2
(sentencepiece BPE with byte fallback in the hub LLaMA-2 layout: Prepend + Replace normalizer),
llama2-metaspace (the same model as transformers 5 converts it: Metaspace pre-tokenizer), t5
(sentencepiece Unigram with its precompiled charsmap, converted by transformers' T5Tokenizer),
bert (WordPiece with BertNormalizer / BertPreTokenizer), gpt2-added (GPT-2 plus added tokens with
lstrip / rstrip / single_word / normalized flags; tokenizer.json only).

``build_all()`` builds everything once per process into a temporary directory removed at exit,
in a few seconds; the tests and benchmarks/bench_tokenize.py share it. Not a test module.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import tok_corpus

# The pre-tokenizer regexes as the public tokenizer.json files spell them.
GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
                 r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

# Chat templates as the models' tokenizer_config.json files hold them.
CHATML_TEMPLATE = (  # Qwen2-Instruct
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
LLAMA3_TEMPLATE = (  # Meta-Llama-3-8B-Instruct
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim"
    " + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")
MISTRAL_TEMPLATE = (  # Mistral-7B-Instruct-v0.1
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != "
    "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate "
    "user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}"
    "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
    "{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant "
    "roles are supported!') }}{% endif %}{% endfor %}")

VOCAB = 3000            # the tests' vocabularies: small, so training takes ~3 s in all
TRAIN_BYTES = 400_000


@dataclass(frozen=True)
class Sizes:
    vocab: int = VOCAB
    train_bytes: int = TRAIN_BYTES


@dataclass(frozen=True)
class TokFixture:
    name: str
    family: str                  # "byte-level BPE", "SentencePiece BPE", "Unigram", "WordPiece"
    directory: Path              # tokenizer.json + tokenizer_config.json (+ special_tokens_map)
    gguf: Optional[Path]         # the vocab-only GGUF, None for json-only fixtures
    sp_model: Optional[Path]     # the sentencepiece .model it came from, if any
    gguf_pre: Optional[str]      # tokenizer.ggml.pre written into the GGUF
    lossless: bool               # HF's decode(encode(x)) == x for every text x (no normalizer)

    @property
    def tokenizer_json(self) -> Path:
        return self.directory / "tokenizer.json"

    def hf(self) -> Any:
        """The oracle: HF tokenizers' Tokenizer for this tokenizer.json."""
        from tokenizers import Tokenizer
        return Tokenizer.from_file(str(self.tokenizer_json))

    def config(self) -> Dict[str, Any]:
        return dict(json.loads((self.directory / "tokenizer_config.json").read_text("utf-8")))

    def transformers(self) -> Any:
        """transformers' tokenizer for the directory (the chat-template oracle)."""
        from transformers import AutoTokenizer
        return AutoTokenizer.from_pretrained(str(self.directory), local_files_only=True)


def _lines(sz: Sizes) -> List[str]:
    return tok_corpus.training_text(n_bytes=sz.train_bytes).split("\n")


def _write_dir(out: Path, tok: Any, config: Dict[str, Any],
               special_map: Optional[Dict[str, Any]] = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tok.save(str(out / "tokenizer.json"))
    cfg = {"tokenizer_class": "PreTrainedTokenizerFast", "clean_up_tokenization_spaces": False,
           "model_max_length": 4096, **config}
    (out / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2, ensure_ascii=False),
                                               encoding="utf-8")
    if special_map is not None:
        (out / "special_tokens_map.json").write_text(json.dumps(special_map, indent=2),
                                                     encoding="utf-8")


def _patched(tok: Any, edit: Any) -> Any:
    """A copy of `tok` with its JSON edited by `edit(dict)` (fields the Python API cannot set)."""
    from tokenizers import Tokenizer
    j = json.loads(tok.to_str())
    edit(j)
    return Tokenizer.from_str(json.dumps(j))


def _train_byte_level(sz: Sizes, pre: Any, normalizer: Any = None) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE())
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=sz.vocab, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_lines(sz), trainer)
    return tok


def _gpt2(root: Path, sz: Sizes, added_flags: bool = False) -> Path:
    from tokenizers import AddedToken, pre_tokenizers, processors
    tok = _train_byte_level(sz, pre_tokenizers.ByteLevel(add_prefix_space=False,
                                                          use_regex=True))
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=False)])
    config: Dict[str, Any] = {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
                              "unk_token": "<|endoftext|>", "add_prefix_space": False}
    name = "gpt2"
    if added_flags:
        # RoBERTa's <mask> (lstrip), a token only matched as a whole word, one that eats the
        # spaces after it, one with a space inside it matched on the raw text.
        tok.add_special_tokens([AddedToken("<mask>", special=True, lstrip=True,
                                           normalized=False)])
        tok.add_tokens([AddedToken("ABBA", single_word=True),
                        AddedToken("<sep>", rstrip=True, normalized=False),
                        AddedToken("hello world", normalized=False),
                        AddedToken("Zürich", lstrip=True, rstrip=True, single_word=True)])
        config["mask_token"] = "<mask>"
        name = "gpt2-added"
    out = root / name
    _write_dir(out, tok, config)
    return out


def _split_byte_level(pattern: str) -> Any:
    from tokenizers import Regex, pre_tokenizers
    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])


def _llama3(root: Path, sz: Sizes) -> Path:
    from tokenizers import AddedToken, processors
    tok = _train_byte_level(sz, _split_byte_level(LLAMA3_PATTERN))
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                "<|reserved_special_token_1|>", "<|start_header_id|>", "<|end_header_id|>",
                "<|reserved_special_token_2|>", "<|eot_id|>"]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(
            single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
            special_tokens=[("<|begin_of_text|>", bos)])])

    def edit(j: Dict[str, Any]) -> None:
        j["model"]["ignore_merges"] = True

    out = root / "llama3"
    _write_dir(out, _patched(tok, edit), {
        "bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>",
        "chat_template": LLAMA3_TEMPLATE})
    return out


def _qwen2(root: Path, sz: Sizes) -> Path:
    from tokenizers import AddedToken, normalizers, processors
    tok = _train_byte_level(sz, _split_byte_level(QWEN2_PATTERN), normalizers.NFC())
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False)
                            for s in ("<|endoftext|>", "<|im_start|>", "<|im_end|>")])
    out = root / "qwen2"
    _write_dir(out, tok, {"bos_token": None, "eos_token": "<|im_end|>",
                          "pad_token": "<|endoftext|>", "unk_token": None,
                          "chat_template": CHATML_TEMPLATE},
               special_map={"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"})
    return out


def _spm_train(root: Path, sz: Sizes, model_type: str) -> Path:
    import sentencepiece as spm
    text = root / "spm_train.txt"
    if not text.exists():
        text.write_text(tok_corpus.training_text(n_bytes=sz.train_bytes), encoding="utf-8")
    prefix = root / f"spm_{model_type}"
    common: Dict[str, Any] = dict(input=str(text), model_prefix=str(prefix),
                                  model_type=model_type, vocab_size=sz.vocab,
                                  character_coverage=0.9995, max_sentence_length=1 << 20,
                                  num_threads=2, minloglevel=2)
    if model_type == "bpe":   # LLaMA-2's trainer settings that shape encoding
        spm.SentencePieceTrainer.train(**common, byte_fallback=True, split_digits=True,
                                       allow_whitespace_only_pieces=True,
                                       remove_extra_whitespaces=False,
                                       normalization_rule_name="identity",
                                       unk_id=0, bos_id=1, eos_id=2)
    else:                     # T5's: pad, eos, unk first; NFKC-based default normalizer
        spm.SentencePieceTrainer.train(**common, pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    return prefix.with_suffix(".model")


def _llama2(root: Path, model: Path) -> List[Path]:
    from tokenizers import processors
    from transformers import LlamaTokenizer
    src = root / "llama2-spm"
    src.mkdir(exist_ok=True)
    shutil.copy(model, src / "tokenizer.model")
    converted = LlamaTokenizer.from_pretrained(str(src)).backend_tokenizer
    converted.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s>:1 $B:1", special_tokens=[("<s>", 1)])

    def hub_layout(j: Dict[str, Any]) -> None:
        # The layout of meta-llama/Llama-2-7b-hf's tokenizer.json: whitespace handled by the
        # normalizer, no pre-tokenizer, <unk> named in the model.
        j["normalizer"] = {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]}
        j["pre_tokenizer"] = None
        j["model"]["unk_token"] = "<unk>"

    def metaspace_layout(j: Dict[str, Any]) -> None:
        j["model"]["unk_token"] = "<unk>"

    config = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
              "add_bos_token": True, "add_eos_token": False, "legacy": False}
    outs = []
    for name, edit, extra in (("llama2", hub_layout, {}),
                              ("llama2-metaspace", metaspace_layout,
                               {"chat_template": MISTRAL_TEMPLATE})):
        out = root / name
        _write_dir(out, _patched(converted, edit), {**config, **extra})
        shutil.copy(model, out / "tokenizer.model")
        outs.append(out)
    return outs


def _t5(root: Path, model: Path) -> Path:
    from transformers import T5Tokenizer
    src = root / "t5-spm"
    src.mkdir(exist_ok=True)
    shutil.copy(model, src / "spiece.model")
    converted = T5Tokenizer.from_pretrained(str(src)).backend_tokenizer
    out = root / "t5"
    _write_dir(out, converted, {"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
                                "extra_ids": 100})
    shutil.copy(model, out / "spiece.model")
    return out


def _bert(root: Path, sz: Sizes) -> Path:
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(_lines(sz), trainers.WordPieceTrainer(
        vocab_size=sz.vocab, special_tokens=specials, show_progress=False))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    out = root / "bert"
    _write_dir(out, tok, {"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                          "unk_token": "[UNK]", "mask_token": "[MASK]", "do_lower_case": True})
    return out


# ---- GGUF, as llama.cpp's converter writes the tokenizer keys

def _hf_tokens(directory: Path) -> List[Any]:
    """(token, type) per id as convert_hf_to_gguf's get_vocab_base: added special tokens are
    CONTROL, other added tokens USER_DEFINED, ids without a token "[PAD<id>]" USER_DEFINED."""
    import gguf
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(directory / "tokenizer.json"))
    vocab = tok.get_vocab(with_added_tokens=True)
    rev = {i: t for t, i in vocab.items()}
    added = {a.content: a for a in tok.get_added_tokens_decoder().values()}
    out = []
    for i in range(max(rev) + 1):
        t = rev.get(i)
        if t is None:
            out.append((f"[PAD{i}]", gguf.TokenType.USER_DEFINED))
        elif t in added:
            out.append((t, gguf.TokenType.CONTROL if added[t].special
                        else gguf.TokenType.USER_DEFINED))
        else:
            out.append((t, gguf.TokenType.NORMAL))
    return out


def _spm_tokens(model: Path, directory: Path) -> List[Any]:
    """(piece, score, type) per id as the converter's sentencepiece vocab, then the added tokens
    of tokenizer.json beyond the model's pieces (T5's sentinels) as CONTROL."""
    import gguf
    import sentencepiece as spm
    from tokenizers import Tokenizer
    sp = spm.SentencePieceProcessor(model_file=str(model))
    out = []
    for i in range(sp.get_piece_size()):
        t = (gguf.TokenType.UNKNOWN if sp.is_unknown(i) else gguf.TokenType.CONTROL
             if sp.is_control(i) else gguf.TokenType.UNUSED if sp.is_unused(i)
             else gguf.TokenType.BYTE if sp.is_byte(i) else gguf.TokenType.NORMAL)
        out.append((sp.id_to_piece(i), sp.get_score(i), t))
    dec = Tokenizer.from_file(str(directory / "tokenizer.json")).get_added_tokens_decoder()
    for i in sorted(k for k in dec if k >= len(out)):
        if i != len(out):
            raise AssertionError(f"added token ids of {directory} leave a gap at {len(out)}")
        out.append((dec[i].content, 0.0, gguf.TokenType.CONTROL))
    return out


def _write_gguf(path: Path, directory: Path, arch: str, model: str, pre: Optional[str],
                sp_model: Optional[Path] = None) -> Path:
    import gguf
    from sentencepiece import sentencepiece_model_pb2
    w = gguf.GGUFWriter(str(path), arch)
    w.add_tokenizer_model(model)
    if pre is not None:
        w.add_tokenizer_pre(pre)
    if sp_model is not None:
        rows = _spm_tokens(sp_model, directory)
        w.add_token_list([r[0] for r in rows])
        w.add_token_scores([r[1] for r in rows])
        w.add_token_types([r[2] for r in rows])
        proto = sentencepiece_model_pb2.ModelProto()
        proto.ParseFromString(sp_model.read_bytes())
        if model == "t5":
            w.add_add_space_prefix(proto.normalizer_spec.add_dummy_prefix)
            w.add_remove_extra_whitespaces(proto.normalizer_spec.remove_extra_whitespaces)
            w.add_precompiled_charsmap(proto.normalizer_spec.precompiled_charsmap)
        n_vocab = len(rows)
    else:
        rows2 = _hf_tokens(directory)
        if model == "bert":
            # llama.cpp's WordPiece spelling: continuations lose "##", other tokens (not
            # control ones) gain a leading U+2581.
            rows2 = [(t if k == gguf.TokenType.CONTROL else t[2:] if t.startswith("##")
                      else "\u2581" + t, k) for t, k in rows2]
        w.add_token_list([r[0] for r in rows2])
        w.add_token_types([r[1] for r in rows2])
        n_vocab = len(rows2)
    special = gguf.SpecialVocab(directory, load_merges=(model == "gpt2"), n_vocab=n_vocab)
    special.add_to_gguf(w, quiet=True)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


@functools.cache
def build_all(sizes: Sizes = Sizes(), only: Optional[Tuple[str, ...]] = None,
              gguf: bool = True) -> Dict[str, TokFixture]:
    """The fixtures (`only` those named, GGUF files unless `gguf` is False), built once per
    process and arguments into a temporary directory removed at exit: ~3 s at the tests'
    sizes; benchmarks/bench_tokenize.py asks for larger vocabularies."""
    import logging
    logging.getLogger("gguf").setLevel(logging.ERROR)  # SpecialVocab's notes on what it skips
    root = Path(tempfile.mkdtemp(prefix="mwt_tok_"))
    atexit.register(shutil.rmtree, root, True)
    out: Dict[str, TokFixture] = {}
    sz = sizes

    def want(*names: str) -> bool:
        return only is None or any(n in only for n in names)

    def add(name: str, family: str, d: Path, gguf_model: Optional[str], pre: Optional[str],
            lossless: bool, sp_model: Optional[Path] = None, arch: str = "llama") -> None:
        g = (_write_gguf(root / f"{name}.gguf", d, arch, gguf_model, pre, sp_model)
             if gguf_model and gguf else None)
        out[name] = TokFixture(name, family, d, g, sp_model, pre, lossless)

    if want("gpt2"):
        add("gpt2", "byte-level BPE", _gpt2(root, sz), "gpt2", "gpt-2", True)
    if want("llama3"):
        add("llama3", "byte-level BPE", _llama3(root, sz), "gpt2", "llama-bpe", True)
    if want("qwen2"):
        add("qwen2", "byte-level BPE", _qwen2(root, sz), "gpt2", "qwen2", False)  # NFC
    if want("llama2", "llama2-metaspace"):
        spm_bpe = _spm_train(root, sz, "bpe")
        llama2, metaspace = _llama2(root, spm_bpe)
        add("llama2", "SentencePiece BPE", llama2, "llama", "default", True, spm_bpe)
        # Not lossless: Metaspace adds no prefix to a text starting with a space, and the
        # decoder's Strip then removes that space.
        add("llama2-metaspace", "SentencePiece BPE", metaspace, None, None, False, spm_bpe)
    if want("t5"):
        spm_uni = _spm_train(root, sz, "unigram")
        add("t5", "Unigram", _t5(root, spm_uni), "t5", "default", False, spm_uni, arch="t5")
    if want("bert"):
        add("bert", "WordPiece", _bert(root, sz), "bert", "default", False, arch="bert")
    if want("gpt2-added"):
        add("gpt2-added", "byte-level BPE", _gpt2(root, sz, added_flags=True), None, None,
            False)
    return out


def gguf_comparable(f: TokFixture, text: str) -> bool:
    """Whether HF's ids are the GGUF's oracle for `text`: llama.cpp's Unigram (like
    sentencepiece itself) keeps U+0085 (NEL) as a character where the T5 tokenizer.json's
    WhitespaceSplit drops it as whitespace, so T5 texts holding it are left out."""
    return not (f.name == "t5" and "\x85" in text)


def gguf_oracle(f: TokFixture) -> Any:
    """HF for the tokenizer.json a GGUF came from, with what llama.cpp does differently: its
    qwen2 pre-tokenizer runs without the NFC normalizer of the tokenizer.json."""
    hf = f.hf()
    if f.name == "qwen2":
        from tokenizers import Tokenizer
        j = json.loads(hf.to_str())
        j["normalizer"] = None
        hf = Tokenizer.from_str(json.dumps(j))
    return hf


FAMILY_OF = {"gpt2": "GPT-2", "llama3": "LLaMA-3-style", "qwen2": "Qwen2-style",
             "llama2": "LLaMA-2 SentencePiece-BPE", "llama2-metaspace": "LLaMA-2 SPM-BPE "
             "(Metaspace)", "t5": "T5 Unigram", "bert": "BERT WordPiece",
             "gpt2-added": "GPT-2 + flagged added tokens"}
