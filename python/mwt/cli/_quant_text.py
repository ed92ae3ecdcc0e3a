"""Text rendering of the "quantization" block of `mwt inspect` (the data is
:attr:`mwt.WeightFile.quantization`)."""

from __future__ import annotations

from typing import Any

from . import _format as fmt

# Fake-quantized tensors listed one per line in text output; the rest are counted.
FAKE_QUANT_PREVIEW = 10


def _file_type_line(ft: dict[str, Any]) -> str:
    parts = []
    stated, inferred = ft.get("stated"), ft.get("inferred")
    if stated is None:
        parts.append("general.file_type absent")
    elif stated.get("name") is None:
        parts.append(f"stated: {stated.get('error', 'unknown')}")
    else:
        guessed = " (guessed)" if stated.get("guessed") else ""
        parts.append(f"stated {stated['name']} ({stated['value']}){guessed}")
    if inferred is not None:
        parts.append(f"inferred {inferred['name']} by {inferred['method']}, "
                     f"{inferred['matched']}/{inferred['of']} quantizable tensors match")
    if ft.get("agree") is False:
        parts.append("DISAGREE")
    return "; ".join(parts)


def _gguf_lines(q: dict[str, Any]) -> list[str]:
    lines = [f"  file type   {_file_type_line(q['file_type'])}"]
    if q.get("scheme") == "no tensors":
        # A vocab-only file: there are no weights to have bits per weight.
        return lines + ["  bits/weight n/a (the file has no tensors)"]
    lines.append(f"  bits/weight {q['bits_per_weight']:.3f} overall, "
                 f"{q['quantizable_bits_per_weight']:.3f} over quantizable tensors")
    inferred = q["file_type"].get("inferred") or {}
    for m in inferred.get("mismatches", []):
        lines.append(f"  differs from the {inferred['name']} rule: {m['tensor']} is {m['type']}, "
                     f"rule gives {m['rule']}")
    rows = [(h["type"], f"{h['tensors']:,}", f"{h['params']:,}", fmt.human_bytes(h["bytes"]),
             f"{h['bits_per_weight']:.2f}") for h in q["histogram"]]
    if rows:
        lines.append(fmt.render_table(("type", "tensors", "parameters", "size", "bpw"), rows,
                                      (False, True, True, True, True), indent="    "))
    groups = [(g["group"], ", ".join(f"{t}\u00d7{n}" for t, n in g["types"].items()),
               fmt.human_bytes(g["bytes"]), f"{g['bits_per_weight']:.2f}") for g in q["groups"]]
    if groups:
        lines.append("  by tensor group")
        lines.append(fmt.render_table(("group", "types", "size", "bpw"), groups,
                                      (False, False, True, True), indent="    "))
    return lines


def _method_text(m: dict[str, Any]) -> str:
    head = m.get("method", "?")
    rest = ", ".join(f"{k}={v}" for k, v in m.items() if k != "method")
    return f"  {head}: {rest}"


def quantization_lines(q: dict[str, Any]) -> list[str]:
    """Lines of the text block for a quantization report."""
    lines = [f"quantization  {q.get('scheme', 'none')}"]
    if q.get("format") == "gguf":
        return lines + _gguf_lines(q)
    for m in q.get("methods", []):
        lines.append(_method_text(m))
    fake = q.get("fake_quant", [])
    if fake:
        # Checkpoints fake-quantize hundreds of tensors: a summary, then the first few (the
        # JSON report lists every one).
        bits: dict[Any, int] = {}
        for f in fake:
            bits[f["bits"]] = bits.get(f["bits"], 0) + 1
        lines.append(f"  fake-quantized {len(fake):,} tensor{'' if len(fake) == 1 else 's'}: "
                     + ", ".join(f"{n:,} at {b}-bit" for b, n in sorted(bits.items(), key=str)))
    for f in fake[:FAKE_QUANT_PREVIEW]:
        group = f.get("group_size", -1)
        where = "per row" if group == -1 else f"groups of {group}"
        lines.append(f"  fake-quantized {f['tensor']}: {f['bits']}-bit, {f.get('levels', '?')} "
                     f"levels {where}")
    if len(fake) > FAKE_QUANT_PREVIEW:
        lines.append(f"  ... and {len(fake) - FAKE_QUANT_PREVIEW:,} more (--json lists all)")
    for key in ("config", "warnings", "notes"):
        if q.get(key):
            lines.append(f"  {key}: {q[key]}")
    return lines
