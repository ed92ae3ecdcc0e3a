"""``Tokenizer.to_gguf_metadata``: the GGUF tokenizer keys for a tokenizer, spelled as llama.cpp's
converter spells them (docs/tokenizers.md#gguf-metadata), so the GGUF reloads to the same ids.

Byte-level BPE -> model "gpt2" (tokens in the byte alphabet, merges "a b", the ``pre`` name whose
regex the tokenizer splits with); SentencePiece-style BPE -> "llama" (pieces, scores, byte
tokens); Unigram -> "t5" (pieces, scores, the precompiled charsmap); WordPiece -> "bert" (tokens
in llama.cpp's spelling: "##" dropped from continuations, U+2581 before word starts). A GGUF's own
keys are copied as they are; a SentencePiece ``.model`` gives its pieces and scores directly.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Tuple

import numpy as np

from ._errors import _raise

if TYPE_CHECKING:
    from ._tokenizer import Tokenizer

__all__ = ["gguf_metadata", "pre_name", "PRE_PATTERNS"]

K = "tokenizer.ggml."
# llama.cpp's token types.
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6

TYPES: Dict[str, str] = {
    K + "model": "STRING", K + "pre": "STRING", K + "tokens": "ARRAY[STRING]",
    K + "token_type": "ARRAY[INT32]", K + "scores": "ARRAY[FLOAT32]",
    K + "merges": "ARRAY[STRING]", K + "bos_token_id": "UINT32", K + "eos_token_id": "UINT32",
    K + "unknown_token_id": "UINT32", K + "seperator_token_id": "UINT32",
    K + "padding_token_id": "UINT32", K + "mask_token_id": "UINT32",
    K + "eot_token_id": "UINT32", K + "add_bos_token": "BOOL", K + "add_eos_token": "BOOL",
    K + "add_space_prefix": "BOOL", K + "remove_extra_whitespaces": "BOOL",
    K + "precompiled_charsmap": "ARRAY[UINT8]", "tokenizer.chat_template": "STRING",
}

# The split regexes of the tokenizer.json files llama.cpp knows, as those files spell them, and
# the tokenizer.ggml.pre name its converter writes for each.
PRE_PATTERNS: Dict[str, str] = {
    (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
     r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"): "llama-bpe",
    (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
     r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"): "qwen2",
}

_ID_KEYS = {"bos": "bos_token_id", "eos": "eos_token_id", "unk": "unknown_token_id",
            "sep": "seperator_token_id", "pad": "padding_token_id", "mask": "mask_token_id"}


def _flat(node: Any, list_key: str) -> List[Dict[str, Any]]:
    """A pipeline component with its Sequence levels unwrapped."""
    if not isinstance(node, dict):
        return []
    if node.get("type") == "Sequence":
        out: List[Dict[str, Any]] = []
        for child in node.get(list_key) or []:
            out.extend(_flat(child, list_key))
        return out
    return [node]


def _pre_name(j: Dict[str, Any]) -> str:
    pres = _flat(j.get("pre_tokenizer"), "pretokenizers")
    kinds = [p.get("type") for p in pres]
    regexes = [p.get("pattern", {}).get("Regex") for p in pres if p.get("type") == "Split"]
    byte_regex = any(p.get("type") == "ByteLevel" and p.get("use_regex", True) for p in pres)
    digits = any(p.get("type") == "Digits" and p.get("individual_digits") for p in pres)
    known = {"Split", "ByteLevel", "Digits"}
    if set(kinds) <= known:
        if not regexes and byte_regex and not digits:
            return "gpt-2"
        if not regexes and byte_regex and digits:
            return "starcoder"  # one digit per piece, then the GPT-2 regex
        if len(regexes) == 1 and not byte_regex and not digits and regexes[0] in PRE_PATTERNS:
            return PRE_PATTERNS[str(regexes[0])]
    _raise("UNSUPPORTED_FEATURE",
           f"to_gguf_metadata: no llama.cpp pre-tokenizer name for this byte-level BPE's "
           f"pre-tokenizer ({json.dumps(j.get('pre_tokenizer'))[:300]}); known: the GPT-2 "
           "regex, digits + GPT-2 (starcoder), and the LLaMA-3 and Qwen2 split regexes")


def _merges(model: Dict[str, Any]) -> List[str]:
    out = []
    for m in model.get("merges") or []:
        if isinstance(m, str):
            out.append(m)
        else:
            # Pair form (tokenizers >= 0.20): a space inside a part is written as U+0120, as
            # llama.cpp's converter writes it, so "a b" stays splittable.
            out.append(" ".join("".join("\u0120" if c == " " else c for c in part)
                                for part in m))
    return out


def _spm_scores(tokens: List[str], merges: List[str]) -> List[float]:
    """Scores for a BPE tokenizer.json converted from SentencePiece: llama.cpp merges the pair
    whose joined token scores highest, HF the pair of lowest merge rank; -(rank of the first
    merge that makes a token) orders both the same."""
    rank: Dict[str, int] = {}
    for r, m in enumerate(merges):
        a, _, b = m.partition(" ")
        rank.setdefault(a + b, r)
    return [-float(rank[t] + 1) if t in rank else 0.0 for t in tokens]


def _probe_specials(tok: Tokenizer) -> Tuple[List[int], List[int]]:
    """The ids encode adds before and after a text (the post-processor's template)."""
    with_, without = tok.encode("a", True), tok.encode("a", False)
    n = len(without)
    for k in range(len(with_) - n + 1):
        if with_[k:k + n] == without:
            return with_[:k], with_[k + n:]
    _raise("UNSUPPORTED_FEATURE", "to_gguf_metadata: the post-processor changes the text's own "
           "ids, which GGUF cannot express")


def _special_keys(tok: Tokenizer, md: Dict[str, Any]) -> None:
    ids = tok.special_ids
    before, after = _probe_specials(tok)
    if len(before) > 1 or len(after) > 1:
        _raise("UNSUPPORTED_FEATURE", f"to_gguf_metadata: the post-processor adds {before} "
               f"before and {after} after a text; GGUF holds one BOS and one EOS")
    if before:   # BERT's [CLS] is its BOS in GGUF
        ids["bos"] = before[0]
    if after:    # and [SEP] its EOS
        ids["eos"] = after[0]
    if "bos" not in ids and "cls" in ids:
        ids["bos"] = ids["cls"]
    if "eos" not in ids and "sep" in ids:
        ids["eos"] = ids["sep"]
    for name, key in _ID_KEYS.items():
        if name in ids:
            md[K + key] = int(ids[name])
    if ids.get("eot"):
        md[K + "eot_token_id"] = int(ids["eot"][0])
    md[K + "add_bos_token"] = bool(before)
    md[K + "add_eos_token"] = bool(after)


def _vocab(tok: Tokenizer) -> List[str]:
    return [t if t is not None else f"[PAD{i}]"
            for i, t in ((i, tok.id_to_token(i)) for i in range(tok.vocab_size))]


def _types(tok: Tokenizer, tokens: List[str], unk: Optional[int] = None,
           byte_tokens: bool = False) -> List[int]:
    added = {int(a["id"]): bool(a.get("special")) for a in tok.added_tokens}
    out = []
    for i, t in enumerate(tokens):
        if i == unk:
            out.append(UNKNOWN)
        elif i in added:
            out.append(CONTROL if added[i] else USER_DEFINED)
        elif tok.id_to_token(i) is None:
            out.append(USER_DEFINED)
        elif byte_tokens and len(t) == 6 and t.startswith("<0x") and t.endswith(">"):
            out.append(BYTE)
        else:
            out.append(NORMAL)
    return out


def _prefix_space(j: Dict[str, Any]) -> bool:
    for n in _flat(j.get("normalizer"), "normalizers"):
        if n.get("type") == "Prepend" and n.get("prepend") == "\u2581":
            return True
    for p in _flat(j.get("pre_tokenizer"), "pretokenizers"):
        if p.get("type") == "Metaspace":
            return p.get("prepend_scheme", "always") != "never" and p.get("add_prefix_space",
                                                                            True) is not False
    return False


def _from_json(tok: Tokenizer, j: Dict[str, Any]) -> Dict[str, Any]:
    model = j.get("model") or {}
    mtype = model.get("type")
    tokens = _vocab(tok)
    md: Dict[str, Any] = {}
    pres = _flat(j.get("pre_tokenizer"), "pretokenizers")
    decs = _flat(j.get("decoder"), "decoders")
    byte_level = any(p.get("type") == "ByteLevel" for p in pres + decs)
    if mtype == "BPE" and byte_level:
        md[K + "model"] = "gpt2"
        md[K + "pre"] = _pre_name(j)
        md[K + "tokens"] = tokens
        md[K + "token_type"] = _types(tok, tokens)
        md[K + "merges"] = _merges(model)
    elif mtype == "BPE":
        md[K + "model"] = "llama"
        md[K + "pre"] = "default"
        md[K + "tokens"] = tokens
        md[K + "scores"] = _spm_scores(tokens, _merges(model))
        md[K + "token_type"] = _types(tok, tokens, tok.special_ids.get("unk"),
                                      bool(model.get("byte_fallback")))
        md[K + "add_space_prefix"] = _prefix_space(j)
    elif mtype == "Unigram":
        vocab = model.get("vocab") or []
        md[K + "model"] = "t5"
        md[K + "pre"] = "default"
        md[K + "tokens"] = tokens
        md[K + "scores"] = [float(vocab[i][1]) if i < len(vocab) else 0.0
                            for i in range(len(tokens))]
        unk = model.get("unk_id")
        md[K + "token_type"] = _types(tok, tokens, unk if isinstance(unk, int) else None,
                                      bool(model.get("byte_fallback")))
        md[K + "add_space_prefix"] = _prefix_space(j)
        md[K + "remove_extra_whitespaces"] = any(p.get("type") == "WhitespaceSplit"
                                                 for p in pres)
        for n in _flat(j.get("normalizer"), "normalizers"):
            if n.get("type") == "Precompiled" and n.get("precompiled_charsmap"):
                md[K + "precompiled_charsmap"] = list(base64.b64decode(
                    n["precompiled_charsmap"]))
    elif mtype == "WordPiece":
        types = _types(tok, tokens)
        md[K + "model"] = "bert"
        md[K + "pre"] = "default"
        md[K + "tokens"] = [t if k == CONTROL else t[2:] if t.startswith("##") else "\u2581" + t
                            for t, k in zip(tokens, types)]
        md[K + "token_type"] = types
    else:
        _raise("UNSUPPORTED_FEATURE", f"to_gguf_metadata: llama.cpp has no tokenizer model for "
               f"a {mtype} tokenizer.json")
    _special_keys(tok, md)
    return md


# ---- SentencePiece .model: the few ModelProto fields the GGUF keys need (protobuf wire format)

def _varint(buf: bytes, pos: int) -> Tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            _raise("TRUNCATED" if pos >= len(buf) else "BAD_SYNTAX",
                   f"SentencePiece model: bad varint at offset {pos}")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def _fields(buf: bytes) -> Iterator[Tuple[int, int, Any]]:
    """(field number, wire type, value) of one message; length-delimited values are bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1 or wire == 5:
            n = 8 if wire == 1 else 4
            if pos + n > len(buf):
                _raise("TRUNCATED", f"SentencePiece model: field {field} at offset {pos}")
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 2:
            n, pos = _varint(buf, pos)
            if n > len(buf) - pos:
                _raise("TRUNCATED", f"SentencePiece model: field {field} of {n} bytes at "
                       f"offset {pos} runs past the end")
            value, pos = buf[pos:pos + n], pos + n
        else:
            _raise("BAD_SYNTAX", f"SentencePiece model: wire type {wire} at offset {pos}")
        yield field, wire, value


def _from_sentencepiece(tok: Tokenizer, path: Path) -> Dict[str, Any]:
    buf = path.read_bytes()
    tokens: List[str] = []
    scores: List[float] = []
    types: List[int] = []
    model_type, add_dummy_prefix, remove_ws, charsmap = 1, True, True, b""
    for field, wire, value in _fields(buf):
        if field == 1 and wire == 2:            # ModelProto.pieces
            piece, score, kind = "", 0.0, NORMAL
            for f, w, v in _fields(value):
                if f == 1 and w == 2:
                    piece = v.decode("utf-8", "replace")
                elif f == 2 and w == 5:
                    score = struct.unpack("<f", v)[0]
                elif f == 3 and w == 0:
                    kind = int(v)
            tokens.append(piece)
            scores.append(float(score))
            types.append(kind)
        elif field == 2 and wire == 2:          # TrainerSpec.model_type (1 unigram, 2 bpe)
            for f, w, v in _fields(value):
                if f == 3 and w == 0:
                    model_type = int(v)
        elif field == 3 and wire == 2:          # NormalizerSpec
            for f, w, v in _fields(value):
                if f == 2 and w == 2:
                    charsmap = bytes(v)
                elif f == 3 and w == 0:
                    add_dummy_prefix = bool(v)
                elif f == 4 and w == 0:
                    remove_ws = bool(v)
    if model_type not in (1, 2):
        _raise("UNSUPPORTED_FEATURE", f"to_gguf_metadata: SentencePiece model type {model_type} "
               "(only unigram and BPE have llama.cpp tokenizers)")
    n = tok.vocab_size
    for i in range(len(tokens), n):   # added tokens past the pieces
        tokens.append(tok.id_to_token(i) or f"[PAD{i}]")
        scores.append(0.0)
        types.append(CONTROL)
    md: Dict[str, Any] = {K + "model": "llama" if model_type == 2 else "t5", K + "pre": "default",
                          K + "tokens": tokens, K + "scores": scores, K + "token_type": types,
                          K + "add_space_prefix": add_dummy_prefix}
    if model_type == 1:
        md[K + "remove_extra_whitespaces"] = remove_ws
        if charsmap:
            md[K + "precompiled_charsmap"] = list(charsmap)
    _special_keys(tok, md)
    return md


def _from_gguf(path: str) -> Tuple[Dict[str, Any], Dict[str, str]]:
    from ._file import open as open_file
    md: Dict[str, Any] = {}
    types: Dict[str, str] = {}
    with open_file(path) as wf:
        mtypes = wf.metadata_types
        for key, value in wf.metadata.items():
            if not key.startswith("tokenizer."):
                continue
            if isinstance(value, np.ndarray):
                value = value.tolist()
            elif isinstance(value, np.generic):
                value = value.item()
            elif not isinstance(value, (str, bytes, int, float, bool)):
                value = list(value)  # a string array
            md[key], types[key] = value, mtypes[key]
    return md, types


def _source_file(origin: Dict[str, Any], names: Tuple[str, ...]) -> Optional[Path]:
    p = origin.get("path")
    if not p:
        return None
    path = Path(p)
    if path.is_dir():
        for name in names:
            if (path / name).is_file():
                return path / name
        models = sorted(path.glob("*.model"))
        return models[0] if models and names[0].endswith(".model") else None
    return path


def _json_text(tok: Tokenizer) -> Optional[str]:
    text = tok._origin.get("json")
    if text is None:
        path = _source_file(tok._origin, ("tokenizer.json",))
        if path is None or not path.is_file():
            return None
        text = path.read_text(encoding="utf-8")
    return str(text)


def pre_name(tok: Tokenizer) -> Optional[str]:
    """The llama.cpp pre-tokenizer name of a byte-level BPE tokenizer: a GGUF's
    tokenizer.ggml.pre, or the name whose regex a tokenizer.json splits with; None otherwise."""
    from ._errors import MwtError
    info = tok.info
    if info.get("gguf_pre"):
        return str(info["gguf_pre"])
    if info.get("source") != "tokenizer.json" or tok.model_type != "BPE":
        return None
    text = _json_text(tok)
    if text is None:
        return None
    j = json.loads(text)
    if not any(p.get("type") == "ByteLevel" for p in _flat(j.get("pre_tokenizer"),
                                                            "pretokenizers")):
        return None
    try:
        return _pre_name(j)
    except MwtError:
        return None


def gguf_metadata(tok: Tokenizer) -> Tuple[Dict[str, Any], Dict[str, str]]:
    """(values, GGUF types) of the tokenizer keys for `tok`."""
    source = str(tok.info.get("source") or "")
    origin = tok._origin
    if source == "gguf" and origin.get("path") and os.path.isfile(origin["path"]):
        return _from_gguf(origin["path"])
    if source == "sentencepiece":
        model = _source_file(origin, ("tokenizer.model", "spiece.model"))
        if model is None:
            _raise("UNSUPPORTED_FEATURE", "to_gguf_metadata: the SentencePiece model file this "
                   "tokenizer came from is not known")
        md = _from_sentencepiece(tok, model)
    else:
        text = _json_text(tok)
        if text is None:
            _raise("UNSUPPORTED_FEATURE", f"to_gguf_metadata: no tokenizer.json behind this "
                   f"tokenizer (source {source!r})")
        md = _from_json(tok, json.loads(text))
    if tok.chat_template:
        md["tokenizer.chat_template"] = tok.chat_template
    return md, {k: TYPES[k] for k in md}
