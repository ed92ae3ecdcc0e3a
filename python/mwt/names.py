"""Tensor name schemes: Hugging Face (``model.layers.0.self_attn.q_proj.weight``), GGUF
(``blk.0.attn_q.weight``) and mwt's canonical scheme, which both map to.

The tables live in the library (one per model family, see :func:`families`); these functions are
thin wrappers over them. A name the family's table does not know maps to ``None``::

    >>> mwt.names.to_gguf("model.layers.3.mlp.down_proj.weight", "llama")
    'blk.3.ffn_down.weight'

``family`` is a family name as :func:`mwt.analyze` reports it (``arch.family``); a family the
library has no table for raises :class:`mwt.ArgumentError`.
"""

from __future__ import annotations

import json
from typing import List, Optional

from . import _native

__all__ = ["to_gguf", "to_hf", "to_canonical", "families", "convert"]

_SCHEMES = ("hf", "gguf", "canonical")


def convert(name: str, family: str, to: str) -> Optional[str]:
    """``name`` (in any scheme the family knows) in scheme ``to`` (``"hf"``, ``"gguf"`` or
    ``"canonical"``), or ``None`` when the family's table has no such tensor."""
    if not isinstance(name, str) or not isinstance(family, str):
        raise TypeError("name and family must be str")
    if to not in _SCHEMES:
        raise ValueError(f"to must be one of {', '.join(_SCHEMES)}, not {to!r}")
    return _native.name_map(name, family, to)


def to_gguf(name: str, family: str) -> Optional[str]:
    """The GGUF (llama.cpp) name of a tensor, or ``None`` when it has none."""
    return convert(name, family, "gguf")


def to_hf(name: str, family: str) -> Optional[str]:
    """The Hugging Face transformers name of a tensor, or ``None`` when it has none."""
    return convert(name, family, "hf")


def to_canonical(name: str, family: str) -> Optional[str]:
    """mwt's canonical name of a tensor (the key :func:`mwt.diff` matches two files by), or
    ``None`` when the family's table does not know it."""
    return convert(name, family, "canonical")


def families() -> List[str]:
    """The model families the library's name tables cover, sorted."""
    data = json.loads(_native.name_families())
    if isinstance(data, dict):  # {"families": [...]}
        data = data.get("families", [])
    out = [item if isinstance(item, str) else str(item["name"]) for item in data]
    return sorted(out)
