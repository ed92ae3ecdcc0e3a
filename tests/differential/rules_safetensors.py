"""The safetensors rules (registered in rules.RULES): where mwt is stricter than the reference
(the safetensors 0.8 package), as docs/safetensors.md says."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

from .gen import Case
from .rules import _relaxed_matches, rule

Out = Dict[str, Any]


def _st(case: Case) -> bool:
    return case.fmt == "safetensors"


def _msg(m: Out) -> str:
    return str(m.get("msg", ""))


@rule("st-duplicate", "mwt_refuses", "docs/safetensors.md#mwts-validation-rules",
      "Rule 5: a repeated tensor name, __metadata__, metadata key or entry field is DUPLICATE "
      "(docs/readers.md#rule-4-no-silent-ambiguity); the reference keeps the last one.")
def _dup(case: Case, m: Out, o: Out) -> bool:
    if not _st(case):
        return False
    if m["code"] == "DUPLICATE":
        return True
    # Otherwise mwt met another error first; that is explained only when it lies in a
    # duplicated entry or field (the copy the reference's last-wins reading drops), or when
    # mwt's relaxed reading (other rules' switches off) then stops at the duplicate.
    relaxed = m.get("relaxed") or {}
    if relaxed.get("code") == "DUPLICATE":
        return True
    field = str(m.get("field", ""))
    return any(field.startswith(f'tensors["{k}"]') or field.startswith(f'__metadata__["{k}"]')
               or f'"].{k}' in field for k in map(_as_in_messages, _duplicated_keys(case.data)))


def _as_in_messages(key: str) -> str:
    """A key as mwt's messages print it (core/error.cpp escape_for_message): printable ASCII
    but backslash and quote kept, every other byte of its UTF-8 as \\xNN."""
    return "".join(chr(b) if 0x20 <= b < 0x7F and b not in (0x22, 0x5C) else f"\\x{b:02x}"
                   for b in key.encode("utf-8", "surrogatepass"))


def _duplicated_keys(data: bytes) -> List[str]:
    """Keys that occur twice in one JSON object of the header (any level)."""
    n = int.from_bytes(data[:8], "little")
    found: List[str] = []

    def hook(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
        keys = [k for k, _ in pairs]
        found.extend(k for k in set(keys) if keys.count(k) > 1)
        return dict(pairs)
    try:
        json.loads(data[8:8 + n].decode("utf-8"), object_pairs_hook=hook)
    except (ValueError, RecursionError):
        return []
    return found


@rule("st-nul-in-name", "mwt_refuses", "docs/safetensors.md#mwts-validation-rules",
      "Rule 3: a tensor name or metadata key holding a NUL is BAD_ENCODING (C callers see "
      "NUL-terminated names); the reference accepts it.")
def _nul(case: Case, m: Out, o: Out) -> bool:
    return (_st(case) and m["code"] == "BAD_ENCODING" and "NUL" in _msg(m)
            and any("00" in [k[i:i + 2] for i in range(0, len(k), 2)]
                    for k in [t[0] for t in o["tensors"]] + [x[0] for x in o["metadata"]]))


@rule("st-unknown-field", "mwt_refuses", "docs/safetensors.md#mwts-validation-rules",
      "Rule 7: an unknown field in a tensor entry is BAD_SYNTAX under safetensors.strict "
      "(default); the reference ignores it. With the switch off mwt reads what it reads.")
def _unknown(case: Case, m: Out, o: Out) -> bool:
    return _st(case) and m["code"] == "BAD_SYNTAX" and _relaxed_matches(m, o, case)


@rule("st-json-depth", "mwt_refuses", "docs/limits.md#limits",
      "limits.max_json_depth (64, the root object level 1) bounds the header's nesting "
      "(docs/safetensors.md rule 4, DEPTH_LIMIT, found without recursion); the reference's "
      "JSON parser allows 128 levels. With the limit raised mwt reads what it reads.")
def _depth(case: Case, m: Out, o: Out) -> bool:
    return _st(case) and m["code"] == "DEPTH_LIMIT" and _relaxed_matches(m, o, case)


@rule("st-rank-cap", "mwt_refuses", "docs/limits.md#limits-that-are-not-options",
      "A safetensors rank above 64 is BAD_SHAPE (docs/safetensors.md rule 8); the reference "
      "has no rank limit.")
def _rank(case: Case, m: Out, o: Out) -> bool:
    return (_st(case) and m["code"] == "BAD_SHAPE" and "rank" in _msg(m)
            and any(len(t[2]) > 64 for t in o["tensors"]))


@rule("st-dimension-cap", "mwt_refuses", "docs/limits.md#limits-that-are-not-options",
      "A safetensors dimension above 2^48 - 1 (the format's JSON schema) is BAD_SHAPE "
      "(docs/safetensors.md rule 8); the reference accepts it when the tensor is empty.")
def _dim_cap(case: Case, m: Out, o: Out) -> bool:
    return (_st(case) and m["code"] == "BAD_SHAPE"
            and any(d > 2**48 - 1 for t in o["tensors"] for d in t[2]))
