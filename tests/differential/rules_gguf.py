"""The GGUF rules (registered in rules.RULES): where mwt and gguf-py 0.19 legitimately differ.

Each predicate checks mwt's error code *and* the field or fact in the oracle's result that makes
the difference, so a rule explains only the disagreement it names.
"""

from __future__ import annotations

import hashlib
from typing import Any, Dict

from .gen import Case
from .rules import _relaxed_matches, rule

Out = Dict[str, Any]
_EMPTY = hashlib.sha256(b"").hexdigest()[:24]  # probe's hash of zero bytes


def _gguf(case: Case) -> bool:
    return case.fmt == "gguf"


def _msg(m: Out) -> str:
    return str(m.get("msg", ""))


@rule("gguf-invalid-utf8", "mwt_refuses", "docs/gguf.md#strings",
      "GGUF strings are UTF-8 by the spec; mwt refuses others unless gguf.allow_invalid_utf8. "
      "gguf-py decodes string values only when asked (contents()), so its reader accepts them. "
      "With the switch on, mwt reads exactly what gguf-py reads.")
def _utf8(case: Case, m: Out, o: Out) -> bool:
    return _gguf(case) and m["code"] == "BAD_ENCODING" and _relaxed_matches(m, o, case)


@rule("gguf-strict-bool", "mwt_refuses", "docs/gguf.md#mwts-validation-rules",
      "Rule 7: a BOOL byte other than 0/1 is BAD_DTYPE under gguf.strict_bool (default); "
      "gguf-py takes any byte. With the switch off mwt reads it as true, as gguf-py does.")
def _bool(case: Case, m: Out, o: Out) -> bool:
    return (_gguf(case) and m["code"] == "BAD_DTYPE" and "BOOL" in _msg(m).upper()
            and _relaxed_matches(m, o, case))


@rule("gguf-empty-key", "mwt_refuses", "docs/gguf.md#mwts-validation-rules",
      "Rule 5: an empty metadata key is BAD_SYNTAX; gguf-py accepts the key \"\".")
def _empty_key(case: Case, m: Out, o: Out) -> bool:
    return (_gguf(case) and m["code"] == "BAD_SYNTAX" and "empty key" in _msg(m)
            and any(k == "" for k, *_ in o["metadata"]))


@rule("gguf-tensor-name-length", "mwt_refuses", "docs/gguf.md#mwts-validation-rules",
      "Rule 9: a tensor name must have 1..63 bytes (ggml's GGML_MAX_NAME); gguf-py has no limit.")
def _name_len(case: Case, m: Out, o: Out) -> bool:
    return (_gguf(case) and m["code"] == "BAD_SYNTAX" and ".name" in str(m.get("field"))
            and any(len(n) // 2 == 0 or len(n) // 2 > 63 for n, *_ in o["tensors"]))


@rule("gguf-n-dims", "mwt_refuses", "docs/gguf.md#mwts-validation-rules",
      "Rule 10: n_dims is at most 4 (GGML_MAX_DIMS); gguf-py reads any rank.")
def _n_dims(case: Case, m: Out, o: Out) -> bool:
    return (_gguf(case) and m["code"] == "BAD_SHAPE" and "n_dims" in str(m.get("field"))
            and any(len(t[2]) > 4 for t in o["tensors"]))


@rule("gguf-dimension-2^63", "mwt_refuses", "docs/gguf.md#mwts-validation-rules",
      "Rule 10: ggml reads each ne as int64, so a dimension >= 2^63 is BAD_SHAPE; gguf-py reads "
      "u64 and accepts it when another dimension is 0 (no data).")
def _dim63(case: Case, m: Out, o: Out) -> bool:
    return (_gguf(case) and m["code"] == "BAD_SHAPE"
            and any(d >= 2**63 for t in o["tensors"] for d in t[2]))


@rule("gguf-misaligned-offset", "mwt_refuses", "docs/gguf.md#mwts-validation-rules",
      "Rule 12: a tensor offset must be a multiple of the alignment (the spec's one layout "
      "rule); gguf-py does not check it.")
def _misaligned(case: Case, m: Out, o: Out) -> bool:
    # gguf-py's own reading must show a misaligned offset under the alignment it used.
    align = int(o.get("alignment") or 0)
    return (_gguf(case) and m["code"] == "BAD_OFFSETS"
            and "not a multiple of the alignment" in _msg(m) and align > 0
            and any(off % align != 0 for off, _n in o.get("layout", [])))


@rule("gguf-overlap-or-order", "mwt_refuses", "docs/gguf.md#mwts-validation-rules",
      "Rule 12: a tensor starting before the previous one ends (out of order or overlapping) "
      "is BAD_OFFSETS (docs/readers.md#rule-3-validated-ranges); gguf-py reads any offset.")
def _overlap(case: Case, m: Out, o: Out) -> bool:
    # gguf-py's own reading must show a tensor starting before the previous one ends.
    lay = o.get("layout", [])
    return (_gguf(case) and m["code"] == "BAD_OFFSETS" and "previous" in _msg(m)
            and any(lay[i][0] < lay[i - 1][0] + lay[i - 1][1] for i in range(1, len(lay))))


@rule("gguf-empty-array-element-type", "mwt_refuses", "docs/gguf.md#mwts-validation-rules",
      "Rule 6: an array's element type must be a GGUF type (and not ARRAY) even when the "
      "array is empty; gguf-py checks the element type only on each element, so an empty "
      "array of type 13 or 0xFFFFFFFF passes.")
def _empty_array(case: Case, m: Out, o: Out) -> bool:
    if not (_gguf(case) and m["code"] in ("BAD_DTYPE", "UNSUPPORTED_FEATURE")
            and "elem_type" in str(m.get("field"))):
        return False
    return any(t.startswith("ARRAY[") and v[0] in ("array", "strings", "bools", "nested")
               and (v[-1] == 0 if v[0] == "array" else v[0] != "nested" and not v[1])
               for _, t, v in o["metadata"])


@rule("gguf-nested-array", "mwt_refuses", "docs/gguf.md#mwts-validation-rules",
      "Rule 6: an array of arrays is UNSUPPORTED_FEATURE (ggml rejects it too); gguf-py "
      "flattens it.")
def _nested(case: Case, m: Out, o: Out) -> bool:
    return (_gguf(case) and m["code"] == "UNSUPPORTED_FEATURE"
            and any(t == "ARRAY[ARRAY]" for _, t, _v in o["metadata"]))


@rule("gguf-big-endian", "mwt_refuses", "docs/gguf.md#versions-and-byte-order",
      "A version whose low 16 bits are 0 means a byte-swapped (big-endian) file: mwt reads "
      "little-endian only (UNSUPPORTED_VERSION); gguf-py reads it byte-swapped.")
def _big_endian(case: Case, m: Out, o: Out) -> bool:
    return _gguf(case) and m["code"] == "UNSUPPORTED_VERSION" and o.get("byte_order") == "S"


@rule("gguf-alignment-cap", "mwt_refuses", "docs/gguf.md#alignment",
      "general.alignment is capped at 65536 so a file cannot demand huge padding; gguf-py "
      "takes any power of two.")
def _align_cap(case: Case, m: Out, o: Out) -> bool:
    return _gguf(case) and m["code"] == "BAD_ALIGNMENT" and o.get("alignment", 0) > 65536


@rule("gguf-empty-tensor-past-eof", "mwt_refuses", "docs/readers.md#rule-3-validated-ranges",
      "Every tensor's byte range is checked against the file, an empty one too: a zero-byte "
      "tensor whose offset lies past the end is OUT_OF_BOUNDS; gguf-py reads zero bytes "
      "there.")
def _empty_past_eof(case: Case, m: Out, o: Out) -> bool:
    if not (_gguf(case) and m["code"] == "OUT_OF_BOUNDS"):
        return False
    return any(t[3] == _EMPTY for t in o["tensors"])


@rule("gguf-py-short-read", "mwt_refuses", "docs/readers.md#rule-1-bounded-counts",
      "gguf-py slices its memmap, so a length or count past the end of the file silently "
      "reads fewer bytes (probe.ShortReads counts them) and it may still return a result; "
      "mwt checks every length against the bytes left (TRUNCATED / OUT_OF_BOUNDS, docs/gguf.md "
      "rules 3, 4, 6, 12, 13).")
def _short_read(case: Case, m: Out, o: Out) -> bool:
    return (_gguf(case) and m["code"] in ("TRUNCATED", "OUT_OF_BOUNDS")
            and o.get("short_reads", 0) > 0)


@rule("gguf-type-unknown-to-gguf-py", "mwt_accepts", "docs/quant-blocks.md#type-ids",
      "Type id 42 (Q2_0) is a ggml type mwt parses; gguf-py 0.19's GGMLQuantizationType does "
      "not have it (ValueError).")
def _q2_0(case: Case, m: Out, o: Out) -> bool:
    return (_gguf(case) and "is not a valid GGMLQuantizationType" in str(o.get("msg"))
            and any(t[1] == "Q2_0" for t in m["tensors"]))


@rule("gguf-q8_1-block-size", "both_accept", "docs/quant-blocks.md#type-ids",
      "Q8_1's block is 36 bytes in ggml (mwt) but 40 in gguf-py's table (an old layout), so "
      "the two read different byte counts for a Q8_1 tensor; everything else is equal.")
def _q8_1_both(case: Case, m: Out, o: Out) -> bool:
    if not _gguf(case) or m["metadata"] != o["metadata"]:
        return False
    mt, ot = m["tensors"], o["tensors"]
    return len(mt) == len(ot) and any(t[1] == "Q8_1" for t in mt) and all(
        a[:3] == b[:3] and (a[3] == b[3] or a[1] == "Q8_1") for a, b in zip(mt, ot))


@rule("gguf-q8_1-size-refused", "mwt_refuses", "docs/quant-blocks.md#type-ids",
      "As gguf-q8_1-block-size: with 40-byte blocks gguf-py's Q8_1 tensor ends elsewhere, so "
      "a layout mwt finds past the end or overlapping can fit for gguf-py.")
def _q8_1_mwt_refuses(case: Case, m: Out, o: Out) -> bool:
    return _gguf(case) and m["code"] in ("OUT_OF_BOUNDS", "BAD_OFFSETS", "TRUNCATED") and any(
        t[1] == "Q8_1" for t in o["tensors"])


@rule("gguf-q8_1-size-accepted", "mwt_accepts", "docs/quant-blocks.md#type-ids",
      "As gguf-q8_1-block-size: gguf-py's 40-byte Q8_1 blocks can run past the end of a file "
      "that holds ggml's 36-byte blocks.")
def _q8_1_oracle_refuses(case: Case, m: Out, o: Out) -> bool:
    return (_gguf(case) and "reshape" in str(o.get("msg"))
            and any(t[1] == "Q8_1" for t in m["tensors"]))


@rule("gguf-empty-tensor-huge-shape", "mwt_accepts", "docs/malformed-inputs.md#gguf-cases",
      "GG-07: a zero dimension opens as an empty tensor, even beside huge dimensions; gguf-py "
      "reshapes its (empty) data to the shape with numpy, which cannot hold such a shape.")
def _empty_huge(case: Case, m: Out, o: Out) -> bool:
    return (_gguf(case) and ("cannot reshape array of size 0" in str(o.get("msg"))
                             or "array is too big" in str(o.get("msg")))
            and any(0 in t[2] and max(t[2]) >= 2**31 for t in m["tensors"]))


# gguf-py builds numpy arrays directly for these; every other type goes through
# quant_shape_to_byte_shape, which indexes shape[-1].
_GGUF_PY_NUMPY_TYPES = {"F32", "F16", "F64", "I8", "I16", "I32", "I64"}


@rule("gguf-rank0-block-path", "mwt_accepts", "docs/gguf.md#tensor-info",
      "A rank-0 tensor is one element (n_dims 0); gguf-py reads a rank-0 tensor of a type it "
      "has no numpy dtype for (BF16) through its quantized path, which indexes the last "
      "dimension (IndexError).")
def _rank0(case: Case, m: Out, o: Out) -> bool:
    return (_gguf(case) and o.get("error") == "IndexError"
            and any(t[2] == [] and t[1] not in _GGUF_PY_NUMPY_TYPES for t in m["tensors"]))


@rule("gguf-data-start-past-eof", "mwt_refuses", "docs/gguf.md#mwts-validation-rules",
      "Rule 13: the data section's start (after the padding to the alignment) must lie within "
      "the file, TRUNCATED; gguf-py never reads there when every tensor is empty.")
def _data_start(case: Case, m: Out, o: Out) -> bool:
    return (_gguf(case) and m["code"] == "TRUNCATED" and m.get("field") == "data_section"
            and all(t[3] == _EMPTY for t in o["tensors"]))
