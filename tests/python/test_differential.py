"""The differential run (tests/differential/): mwt against gguf-py and the safetensors package
on mutated files, each reader in its own address-space-limited child with a watchdog.

Fails on any mwt crash, hang, limit hit or non-MwtError exception and on any disagreement no
rule in tests/differential/rules*.py explains; the message lists the case ids, each
reproducible with ``python -m tests.differential.run --case ID``. ``make differential N=...``
runs more cases. The smaller tests pin the parts the run relies on: cases are deterministic,
unmutated seeds read identically in both readers, and the watchdog reports hangs and crashes.
"""

from __future__ import annotations

import os
import sys

import pytest

pytest.importorskip("gguf")
pytest.importorskip("safetensors")
mwt = pytest.importorskip("mwt")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)

from tests.differential import gen, pool, rules, run  # noqa: E402

CASES = int(os.environ.get("MWT_DIFFERENTIAL_CASES", "5000"))


def test_differential_cases():
    s = run.run_cases(list(range(CASES)), jobs=2, timeout=10.0, limit_gib=3.0)
    assert s["cases"] == CASES
    lines = [f"case {r['case']}: {r['category']}: {r['detail']}" for r in s["failures"][:40]]
    assert not s["failures"], (f"{len(s['failures'])} differential failures "
                               "(python -m tests.differential.run --case ID):\n"
                               + "\n".join(lines))
    cats = s["categories"]
    # The run exercises all three outcomes, or it checks less than it claims.
    assert cats.get("agree_accept", 0) > CASES // 20
    assert cats.get("agree_refuse", 0) > CASES // 4
    assert cats.get("explained", 0) > 0


def test_cases_are_deterministic(tmp_path):
    seeds = gen.writer_seeds(str(tmp_path / "seeds"))
    for case_id in (0, 1, 77, 12345, 99999):
        a, b = gen.make_case(case_id, seeds), gen.make_case(case_id, seeds)
        assert (a.fmt, a.seed, a.mutations, a.data) == (b.fmt, b.seed, b.mutations, b.data)
    assert gen.make_case(1, seeds).data != gen.make_case(2, seeds).data


def test_unmutated_seeds_read_identically(tmp_path):
    """Every seed kind, unmutated, is read by both readers with equal tensors and metadata
    (the one exception: gguf-py cannot read a rank-0 BF16 tensor, rule gguf-rank0-block-path):
    the generator writes valid files, so a disagreement on a mutation is the mutation's."""
    import random

    from tests.differential import gen_gguf, gen_safetensors, probe

    explained = set()
    for i in range(60):
        rng = random.Random(f"seed-check:{i}")
        for fmt, mod, oracle in (("gguf", gen_gguf, probe.gguf_py_outcome),
                                 ("safetensors", gen_safetensors, probe.safetensors_outcome)):
            kind, model = mod.seed(rng)
            case = gen.Case(i, fmt, kind, [], mod.apply(rng, model, [])[0])
            path = tmp_path / f"s{i}{case.suffix}"
            path.write_bytes(case.data)
            m = dict(probe.mwt_outcome(str(path)), status="ok")
            o = dict(oracle(str(path)), status="ok")
            assert m["ok"], m
            v = rules.classify(case, m, o)
            assert v["category"] in ("agree_accept", "explained"), v
            if v["category"] == "explained":
                explained.add(v["rule"])
    assert explained <= {"gguf-rank0-block-path"}


def test_watchdog_reports_hang_and_crash(tmp_path):
    """A child that never answers is a hang, one that dies is a crash; both are restarted."""
    seeds = str(tmp_path / "seeds")
    gen.writer_seeds(seeds)
    child = pool.Child("mwt", seeds, 3 << 30, timeout=0.5)
    try:
        child.send(0)
        assert child.receive(20.0)["status"] == "ok"
        assert child.proc is not None
        with open(f"/proc/{child.proc.pid}/limits") as f:  # the child's own RLIMIT_AS
            line = next(x for x in f if x.startswith("Max address space"))
        assert line.split()[3] == str(3 << 30)
        os.kill(child.proc.pid, 19)  # SIGSTOP: it can no longer answer
        child.send(1)
        assert child.receive(0.0)["status"] == "hang"
        child.send(2)  # restarted
        assert child.receive(20.0)["status"] == "ok"
        assert child.proc is not None
        os.kill(child.proc.pid, 9)
        child.send(3)
        res = child.receive(0.0)
        assert res["status"] == "crash" and res["returncode"] == -9
    finally:
        child.close()


def test_every_rule_cites_the_repo_docs():
    names = [r.name for r in rules.RULES]
    assert len(names) == len(set(names))
    for r in rules.RULES:
        doc, _, anchor = r.citation.partition("#")
        assert doc.startswith("docs/") and anchor, r.name
        text = open(os.path.join(REPO, doc), encoding="utf-8").read()
        headings = {_anchor(line) for line in text.splitlines() if line.startswith("#")}
        assert anchor in headings, (r.name, r.citation)
        assert r.direction in ("mwt_refuses", "mwt_accepts", "both_accept")


def _anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to -."""
    text = heading.lstrip("#").strip().lower()
    return "".join(c for c in text if c.isalnum() or c in " -_").replace(" ", "-")


def test_readme_table_lists_every_rule():
    """tests/differential/README.md's table of explained rules is the rules' own: every rule
    with its direction and citation, and no row for a rule that no longer exists."""
    text = open(os.path.join(REPO, "tests", "differential", "README.md"), encoding="utf-8").read()
    rows = [ln for ln in text.splitlines() if ln.startswith("| `") and "](../../docs/" in ln]
    for r in rules.RULES:
        assert f"| `{r.name}` | {r.direction} | [{r.citation}](" in text, r.name
    assert len(rows) == len(rules.RULES)
