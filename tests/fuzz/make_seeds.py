"""Seed corpora for the fuzz targets, written by the reference writers (gguf-py, safetensors)
and by mwt itself, so fuzzing starts from real files: python make_seeds.py OUT_DIR."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np


def gguf_seeds(out: Path) -> None:
    from gguf import GGMLQuantizationType as QT, GGUFWriter

    rng = np.random.default_rng(0)
    for i, (n_kv, n_t) in enumerate([(0, 0), (3, 1), (8, 3)]):
        path = out / f"gguf_{i}.gguf"
        w = GGUFWriter(str(path), arch="llama")
        for k in range(n_kv):
            w.add_uint32(f"k.u32.{k}", k)
        w.add_array("k.strs", ["a", "bc", ""])
        w.add_array("k.ints", [1, 2, 3])
        w.add_float32("k.f32", 1.5)
        w.add_bool("k.bool", True)
        w.add_string("k.str", "hello")
        for t in range(n_t):
            w.add_tensor(f"t{t}", rng.standard_normal((2, 4)).astype(np.float32))
        if n_t:
            w.add_tensor("q", rng.integers(0, 256, (1, 34), dtype=np.uint8), raw_dtype=QT.Q8_0)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()


def safetensors_seeds(out: Path) -> None:
    from safetensors.numpy import save_file

    rng = np.random.default_rng(0)
    save_file({}, str(out / "st_empty.safetensors"))
    save_file(
        {
            "a": rng.standard_normal((2, 3)).astype(np.float32),
            "b": np.arange(5, dtype=np.int64),
            "c": np.zeros((0, 2), np.float16),
            "d": np.array(True),
        },
        str(out / "st_mixed.safetensors"),
        metadata={"format": "pt"},
    )
    # Hand-made headers for dtypes numpy lacks (BF16, F8, F4, F6).
    entries, off = {}, 0
    for name, dt, shape, nbytes in [
        ("bf", "BF16", [2], 4),
        ("f8", "F8_E4M3", [3], 3),
        ("f4", "F4", [4], 2),
        ("f6", "F6_E2M3", [4], 3),
    ]:
        entries[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + nbytes]}
        off += nbytes
    header = json.dumps(entries).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    (out / "st_exotic.safetensors").write_bytes(
        struct.pack("<Q", len(header)) + header + bytes(off)
    )


# One small tokenizer.json of each model type HF `tokenizers` trains (with the normalizers,
# pre-tokenizers, post-processors and decoders real files use), each followed by a NUL and a
# text for fuzz_tokenizer_json to encode.
TOKENIZER_TEXT = ("Hello, world! The quick brown fox jumps over the lazy dog 12345.\n"
                  "def f(x):\n    return x ** 2  # \u00e9\u00e8 \u4e2d\u6587 \U0001F600\n") * 8


def tokenizer_json_seeds(out: Path) -> None:
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )

    def save(name: str, tok: Tokenizer) -> None:
        (out / name).write_bytes(tok.to_str().encode() + b"\0" + TOKENIZER_TEXT[:200].encode())

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.post_processor = processors.ByteLevel(trim_offsets=False)
    bpe.train_from_iterator([TOKENIZER_TEXT], trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    save("bpe_byte_level.json", bpe)

    spm = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    spm.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"),
                                           normalizers.Replace(" ", "\u2581")])
    spm.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(),
                                     decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    spm.train_from_iterator([TOKENIZER_TEXT], trainers.BpeTrainer(
        vocab_size=120, special_tokens=["<unk>", "<s>", "</s>"]))
    spm.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", spm.token_to_id("<s>"))])
    save("bpe_spm.json", spm)

    uni = Tokenizer(models.Unigram())
    uni.normalizer = normalizers.NFKC()
    uni.pre_tokenizer = pre_tokenizers.Metaspace()
    uni.decoder = decoders.Metaspace()
    uni.train_from_iterator([TOKENIZER_TEXT], trainers.UnigramTrainer(
        vocab_size=80, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>"))
    save("unigram.json", uni)

    wp = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wp.normalizer = normalizers.BertNormalizer(lowercase=True)
    wp.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wp.decoder = decoders.WordPiece()
    wp.train_from_iterator([TOKENIZER_TEXT], trainers.WordPieceTrainer(
        vocab_size=120, special_tokens=["[UNK]", "[CLS]", "[SEP]"]))
    wp.post_processor = processors.BertProcessing(("[SEP]", wp.token_to_id("[SEP]")),
                                                  ("[CLS]", wp.token_to_id("[CLS]")))
    save("wordpiece.json", wp)

    wl = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    wl.pre_tokenizer = pre_tokenizers.Whitespace()
    wl.train_from_iterator([TOKENIZER_TEXT], trainers.WordLevelTrainer(special_tokens=["[UNK]"]))
    save("wordlevel.json", wl)


def gguf_tokenizer_seeds(out: Path) -> None:
    """fuzz_gguf_tokenizer's structured input: model byte, pre-tokenizer byte, then tokens,
    merges, token types, scores and the text, separated by \\x01."""
    tokens = "\n".join(["<unk>", "<s>", "</s>", "a", "b", "ab", "\u0120", "\u0120a", "\u2581a"])
    for model in range(4):
        body = "\x01".join([tokens, "a b\n\u0120 a", "\x02\x03\x03\x01\x01\x01\x01\x01\x01",
                             "\x00\x00\x00\xf0\xf1\xf2\xf3\xf4\xf5", "ab a b"])
        (out / f"model{model}").write_bytes(bytes([model, 0]) + body.encode())


def main() -> None:
    out = Path(sys.argv[1])
    for target, fn in [("gguf", gguf_seeds), ("safetensors", safetensors_seeds),
                       ("tokenizer_json", tokenizer_json_seeds),
                       ("gguf_tokenizer", gguf_tokenizer_seeds)]:
        d = out / target
        d.mkdir(parents=True, exist_ok=True)
        fn(d)
    sniff = out / "sniffer"
    sniff.mkdir(parents=True, exist_ok=True)
    for src in list((out / "gguf").iterdir()) + list((out / "safetensors").iterdir()):
        (sniff / src.name).write_bytes(src.read_bytes()[:4096])
    (sniff / "index.json").write_text(
        json.dumps(
            {"metadata": {"total_size": 8}, "weight_map": {"a": "model-00001-of-00001.safetensors"}}
        )
    )
    (sniff / "npy").write_bytes(
        b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
    )
    (sniff / "zip").write_bytes(b"PK\x05\x06" + bytes(18))


if __name__ == "__main__":
    main()
