"""Verdicts for one case, and the named rules that explain the disagreements.

``classify`` turns the two outcomes into a category:

- ``mwt_crash``, ``mwt_hang``, ``mwt_limit`` (RLIMIT_AS hit, or ``NO_MEMORY``),
  ``mwt_exception`` (an exception that is not an ``mwt.MwtError``): always failures;
- ``agree_accept`` (both read the file and give the same tensors and metadata),
  ``agree_refuse`` (both refuse it);
- ``explained``: the readers disagree and a rule below says why, citing the repo's docs;
- ``unexplained``: a failure.

An oracle crash, hang, limit hit or runaway (probe.ShortReads) is an oracle refusal, counted
apart (``oracle_status``). Each rule's predicate must say *why* the difference is right: most
also require mwt's relaxed reading (the switches of docs/limits.md#switches-0-or-1 turned off)
(and limits.max_json_depth raised to 1000) to give exactly the oracle's result, so the rule
cannot hide a second difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

from .gen import Case


@dataclass(frozen=True)
class Rule:
    name: str
    # "mwt_refuses" (the oracle accepts), "mwt_accepts" (the oracle refuses) or "both_accept"
    direction: str
    citation: str  # docs/...md#anchor
    why: str
    predicate: Callable[[Case, Dict[str, Any], Dict[str, Any]], bool]


def _same(a: Dict[str, Any], b: Dict[str, Any], fmt: str) -> bool:
    if fmt == "safetensors":  # the reference lists tensors by name, not in file order
        return bool(sorted(a["tensors"]) == sorted(b["tensors"])
                    and sorted(a["metadata"]) == sorted(b["metadata"]))
    return bool(a["tensors"] == b["tensors"] and a["metadata"] == b["metadata"])


def _code(m: Dict[str, Any]) -> Optional[str]:
    return m.get("code")


def _relaxed_matches(m: Dict[str, Any], o: Dict[str, Any], case: Case) -> bool:
    """mwt's relaxed reading (switches off) gives exactly the oracle's result, or refuses for
    a reason another rule explains (two mutations, two rules: ``_explain`` on the relaxed
    outcome, which has no relaxed outcome of its own, so this cannot loop)."""
    r = m.get("relaxed")
    if not r or not o.get("ok"):
        return False
    if r.get("ok"):
        return _same(r, o, case.fmt) or _explain(case, r, o, "both_accept") is not None
    return _explain(case, r, o, "mwt_refuses") is not None


def _explain(case: Case, m: Dict[str, Any], o: Dict[str, Any], direction: str) -> Optional[str]:
    for r in RULES:
        if r.direction == direction and r.predicate(case, m, o):
            return r.name
    return None


RULES: List[Rule] = []


def rule(name: str, direction: str, citation: str, why: str) -> Callable[
        [Callable[[Case, Dict[str, Any], Dict[str, Any]], bool]],
        Callable[[Case, Dict[str, Any], Dict[str, Any]], bool]]:
    def deco(fn: Callable[[Case, Dict[str, Any], Dict[str, Any]], bool]) -> Callable[
            [Case, Dict[str, Any], Dict[str, Any]], bool]:
        RULES.append(Rule(name, direction, citation, why, fn))
        return fn
    return deco


def classify(case: Case, mwt_res: Dict[str, Any], oracle_res: Dict[str, Any]) -> Dict[str, Any]:
    base = {"case": case.case_id, "fmt": case.fmt, "oracle_status": _oracle_status(oracle_res),
            "mwt_code": mwt_res.get("code") if mwt_res.get("ok") is False else None}

    def verdict(category: str, detail: str = "", rule_name: Optional[str] = None) -> Dict[str, Any]:
        return dict(base, category=category, rule=rule_name,
                    detail=f"{case.summary()}: {detail}" if detail else case.summary())

    status = mwt_res.get("status")
    if status in ("crash", "hang", "limit"):
        return verdict(f"mwt_{status}", str({k: v for k, v in mwt_res.items() if k != "status"}))
    if "exception" in mwt_res:
        return verdict("mwt_exception", f"{mwt_res['exception']}: {mwt_res.get('msg')}")
    if _code(mwt_res) == "NO_MEMORY":
        return verdict("mwt_limit", str(mwt_res.get("msg")))
    o = oracle_res if oracle_res.get("status") == "ok" else {"ok": False, "error":
                                                            f"oracle_{oracle_res.get('status')}"}
    m = mwt_res
    if m["ok"] and m.get("view_errors"):
        # np.asarray(t) of an empty tensor whose shape numpy cannot hold raises
        # SizeOverflowError by design (docs/readers.md#empty-tensors). Counted apart.
        base["view_errors"] = m["view_errors"]
    if m["ok"] and o["ok"] and _same(m, o, case.fmt):
        return verdict("agree_accept")
    if not m["ok"] and not o["ok"]:
        return verdict("agree_refuse")
    direction = ("both_accept" if m["ok"] and o["ok"] else
                 "mwt_refuses" if not m["ok"] else "mwt_accepts")
    name = _explain(case, m, o, direction)
    if name is not None:
        return verdict("explained", name, name)
    detail = (f"{direction}: mwt {m.get('code') or 'ok'} {m.get('msg', '')!r} / oracle "
              f"{o.get('error') or 'ok'} {o.get('msg', '')!r}")
    return verdict("unexplained", detail)


def _oracle_status(o: Dict[str, Any]) -> str:
    if o.get("status") != "ok":
        return str(o.get("status"))
    if not o.get("ok") and str(o.get("msg", "")).startswith("oracle_runaway"):
        return "runaway"
    if not o.get("ok") and o.get("error") == "MemoryError":
        return "limit"
    return "ok"


from . import rules_gguf, rules_safetensors  # noqa: E402,F401 - they register their rules
