"""Model architecture from a weight file: :func:`analyze` and its :class:`Architecture`.

The library reads the architecture off tensor names and shapes, with stated values (GGUF
metadata, a config.json beside the weights) used only where the weights cannot decide, and
reports for every field where the value came from. The JSON schema is the library's (schema 1):
each field is a *Value* ``{"value", "source", "how", "candidates"?, "stated"?}`` with ``source``
one of ``"shapes"``, ``"metadata"``, ``"config.json"``, ``"inferred"``, ``"undetermined"``.
"""

from __future__ import annotations

import copy
import html
import json
import os
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union

from . import _native
from ._file import WeightFile, open as _open

__all__ = ["Architecture", "analyze"]

PathLike = Union[str, "os.PathLike[str]"]

# Value fields shown by repr, in this order (the nested moe / mla blocks follow when present).
_REPR_FIELDS = ("family", "num_layers", "hidden_size", "num_heads", "num_kv_heads", "head_dim",
                "intermediate_size", "vocab_size", "max_position_embeddings", "activation",
                "gated_mlp", "norm", "qk_norm", "position", "rotary_dim", "tied_embeddings",
                "attention_bias", "mlp_bias", "fused_qkv")
_NESTED = ("moe", "mla")


def is_value(item: Any) -> bool:
    """Whether ``item`` is a schema Value object (a dict with "value" and "source")."""
    return isinstance(item, dict) and "value" in item and "source" in item


def _plain(item: Any) -> Any:
    """A field as a plain value: a Value's ``value``; a block of Values (moe, mla) as a dict of
    plain values; anything else (strings, lists, the parameter count) as it is."""
    if is_value(item):
        return copy.deepcopy(item["value"])
    if isinstance(item, dict) and item and all(is_value(v) for v in item.values()):
        return {k: copy.deepcopy(v["value"]) for k, v in item.items()}
    return copy.deepcopy(item)


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        if len(value) > 8:
            return "[" + ", ".join(_text(v) for v in value[:8]) + f", … ({len(value)})]"
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    return str(value)


class Architecture:
    """What :func:`analyze` found: the library's architecture JSON with convenient access.

    - ``arch.num_layers`` (any field as an attribute): the plain value (``int``, ``str``,
      ``bool``, a list, or ``None`` when undetermined); ``arch.moe`` / ``arch.mla`` are ``None``
      or a dict of plain values; ``arch.components``, ``arch.parameter_count``,
      ``arch.disagreements`` and ``arch.notes`` are the lists and dicts of the JSON.
    - ``arch["num_layers"]``: the Value dict (``value``, ``source``, ``how`` and, when present,
      ``candidates`` and ``stated``); a copy, as :meth:`to_dict` is.
    - ``arch.source("num_layers")``: where a value came from.

    ``path`` is the analyzed file. Two Architectures are equal when their JSON is.
    """

    __slots__ = ("_data", "path")

    def __init__(self, data: Mapping[str, Any], path: Optional[str] = None) -> None:
        if not isinstance(data, Mapping):
            raise TypeError(f"Architecture data must be a mapping, not {type(data).__name__}")
        self._data: Dict[str, Any] = copy.deepcopy(dict(data))
        self.path = path

    @classmethod
    def from_json(cls, text: str, path: Optional[str] = None) -> Architecture:
        """An Architecture from the library's JSON text (``to_json`` gives it back)."""
        return cls(json.loads(text), path)

    def to_dict(self) -> Dict[str, Any]:
        """The architecture JSON as plain dicts and lists (a deep copy)."""
        return copy.deepcopy(self._data)

    def to_json(self, indent: Optional[int] = None) -> str:
        """The architecture as JSON text."""
        return json.dumps(self._data, indent=indent)

    # mapping access to the Value objects
    def __getitem__(self, key: str) -> Any:
        return copy.deepcopy(self._data[key])

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def keys(self) -> List[str]:
        """The top-level field names of the JSON, in its order."""
        return list(self._data)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            item = self._data[name]
        except KeyError:
            raise AttributeError(f"Architecture has no field {name!r}") from None
        return _plain(item)

    def __dir__(self) -> List[str]:
        return sorted(set(super().__dir__()) | set(self._data))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Architecture):
            return NotImplemented
        return self._data == other._data

    __hash__ = None  # type: ignore[assignment]  # compares by content

    # typed shortcuts for the fields most code reads
    @property
    def family(self) -> Optional[str]:
        """Model family ("llama", "gpt2", ...) or None when the weights and stated values
        cannot tell (``arch["family"]["candidates"]`` then lists the possibilities)."""
        value = _plain(self._data.get("family"))
        return value if isinstance(value, str) else None

    @property
    def num_layers(self) -> Optional[int]:
        """Number of transformer blocks of the main stack."""
        return self._int("num_layers")

    @property
    def hidden_size(self) -> Optional[int]:
        return self._int("hidden_size")

    @property
    def num_heads(self) -> Optional[int]:
        return self._int("num_heads")

    @property
    def num_kv_heads(self) -> Optional[int]:
        return self._int("num_kv_heads")

    @property
    def head_dim(self) -> Optional[int]:
        return self._int("head_dim")

    @property
    def vocab_size(self) -> Optional[int]:
        return self._int("vocab_size")

    @property
    def naming(self) -> str:
        """Tensor naming scheme of the file: "hf", "gguf" or "unknown"."""
        return str(self._data.get("naming", "unknown"))

    @property
    def model_type(self) -> Optional[str]:
        """"decoder", "encoder" or "encoder-decoder"."""
        value = self._data.get("model_type")
        return value if isinstance(value, str) else None

    @property
    def disagreements(self) -> List[Dict[str, Any]]:
        """Fields where the weights and a stated value differ: ``{"field", "weights",
        "stated", "source", "key"}`` each (the weights' value is the one reported)."""
        return copy.deepcopy(list(self._data.get("disagreements") or []))

    @property
    def parameter_count(self) -> Dict[str, Any]:
        """``{"total", "embedding", "non_embedding", "by_component", "by_dtype",
        "quantization_aux", "tied_counted_once", "how"}`` (see the schema)."""
        return copy.deepcopy(dict(self._data.get("parameter_count") or {}))

    @property
    def notes(self) -> List[str]:
        return [str(n) for n in self._data.get("notes") or []]

    def source(self, field: str) -> Optional[str]:
        """Where a Value field's value came from ("shapes", "metadata", "config.json",
        "inferred", "undetermined"); None for a field that is not a Value."""
        item = self._data.get(field)
        return str(item["source"]) if isinstance(item, dict) and is_value(item) else None

    def _int(self, field: str) -> Optional[int]:
        value = _plain(self._data.get(field))
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def value_fields(self) -> List[Tuple[str, Dict[str, Any]]]:
        """(dotted field name, Value dict) for every Value of the JSON, nested blocks
        (``moe.num_experts``) included, in the JSON's order."""
        out: List[Tuple[str, Dict[str, Any]]] = []
        for key, item in self._data.items():
            if is_value(item):
                out.append((key, item))
            elif key in _NESTED and isinstance(item, dict):
                out.extend((f"{key}.{k}", v) for k, v in item.items() if is_value(v))
        return out

    def _disagreeing(self) -> Dict[str, List[Dict[str, Any]]]:
        by_field: Dict[str, List[Dict[str, Any]]] = {}
        for d in self._data.get("disagreements") or []:
            if isinstance(d, dict):
                by_field.setdefault(str(d.get("field")), []).append(d)
        return by_field

    def __repr__(self) -> str:
        naming = self._data.get("naming", "unknown")
        head = (f"<Architecture {self.family or '?'} {self.model_type or ''} "
                f"({naming} names){f' of {self.path!r}' if self.path else ''}")
        lines = [head.replace("  ", " ")]
        shown = [(f, self._data[f]) for f in _REPR_FIELDS if is_value(self._data.get(f))]
        for block in _NESTED:
            item = self._data.get(block)
            if isinstance(item, dict):
                shown.extend((f"{block}.{k}", v) for k, v in item.items() if is_value(v))
        for field, v in shown:
            extra = ""
            if v.get("candidates") and v["source"] in ("inferred", "undetermined"):
                extra = "  candidates " + ", ".join(_text(c) for c in v["candidates"])
            lines.append(f"  {field:<24} {_text(v['value']):<16} {v['source']}{extra}")
        pc = self._data.get("parameter_count")
        if isinstance(pc, dict) and isinstance(pc.get("total"), int):
            emb = pc.get("embedding")
            lines.append(f"  {'parameters':<24} {pc['total']:,}"
                         + (f" (embedding {emb:,})" if isinstance(emb, int) else ""))
        for d in self._data.get("disagreements") or []:
            lines.append(f"  disagreement: {d.get('field')}: weights {_text(d.get('weights'))}, "
                         f"{d.get('source')} {d.get('key')} = {_text(d.get('stated'))}")
        return "\n".join(lines) + ">"

    def _repr_html_(self) -> str:
        e = html.escape
        disagree = self._disagreeing()
        naming = str(self._data.get("naming", "unknown"))
        parts = [f"<p><b>Architecture</b>: {e(self.family or '?')} "
                 f"{e(self.model_type or '')}, {e(naming)} tensor names"
                 + (f", <code>{e(self.path)}</code>" if self.path else "") + "</p>",
                 "<table><tr><th>field</th><th>value</th><th>source</th><th>how</th></tr>"]
        for field, v in self.value_fields():
            value = e(_text(v.get("value")))
            cands = v.get("candidates")
            if cands and v.get("source") in ("inferred", "undetermined"):
                value += f" <small>(candidates: {e(', '.join(_text(c) for c in cands))})</small>"
            style = ""
            if field in disagree:
                style = ' style="background-color:#fdd"'
                said = "; ".join(f"{_text(d.get('source'))} {_text(d.get('key'))} = "
                                 f"{_text(d.get('stated'))}" for d in disagree[field])
                value += f" <b>≠</b> {e(said)}"
            parts.append(f"<tr{style}><td><code>{e(field)}</code></td><td>{value}</td>"
                         f"<td>{e(str(v.get('source')))}</td><td>{e(str(v.get('how', '')))}</td>"
                         "</tr>")
        pc = self._data.get("parameter_count")
        if isinstance(pc, dict) and "total" in pc:
            parts.append(f"<tr><td><code>parameter_count</code></td><td>{e(_text(pc['total']))}"
                         f"</td><td></td><td>{e(str(pc.get('how', '')))}</td></tr>")
        parts.append("</table>")
        notes = self._data.get("notes") or []
        if notes:
            parts.append("<ul>" + "".join(f"<li>{e(str(n))}</li>" for n in notes) + "</ul>")
        return "".join(parts)


def analyze(source: Union[PathLike, WeightFile], *, config: bool = True) -> Architecture:
    """The architecture of a model's weights: layers, widths, heads, vocabulary, activation,
    norms, position encoding, MoE / MLA settings, components and parameter counts, each with
    the source of its value.

    ``source`` is an open :class:`WeightFile` (used as it is, not reopened) or anything
    :func:`mwt.open` takes: a file, a directory of shards, a ``model.safetensors.index.json`` or
    a Hugging Face cache name (``org/name[@revision]``). ``config=False`` ignores a config.json
    beside the weights (then only the weights and the file's own metadata count). Raises what
    :func:`mwt.open` raises, :class:`mwt.ClosedFileError` for a closed WeightFile, and
    ``TypeError`` for another kind of ``source``.
    """
    if isinstance(source, WeightFile):
        text = _native.file_architecture(source._require_open(), bool(config))
        return Architecture.from_json(text, source.path)
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"analyze() takes a path or a WeightFile, not {type(source).__name__}")
    with _open(source) as wf:
        text = _native.file_architecture(wf._require_open(), bool(config))
        return Architecture.from_json(text, wf.path)
