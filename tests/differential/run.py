"""The differential run: mwt against gguf-py (GGUF) and the safetensors package, case by case.

    python -m tests.differential.run --n 20000            # cases 0..19999
    python -m tests.differential.run --case 12345         # one case, both outcomes printed
    python -m tests.differential.run --case 12345 --write case.gguf   # the file itself

Exit status 0 when every case is an agreement or a disagreement a rule in rules.py explains,
1 otherwise (an mwt crash, hang or limit hit, an mwt exception that is not an MwtError, or an
unexplained disagreement), with the failing case ids printed.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional

from . import gen, rules
from .pool import REPO, Lane

FAILURES = ("mwt_crash", "mwt_hang", "mwt_limit", "mwt_exception", "unexplained")
CATEGORIES = ("agree_accept", "agree_refuse", "explained") + FAILURES


def run_cases(case_ids: List[int], jobs: int = 2, timeout: float = 10.0,
              limit_gib: float = 3.0, progress: bool = False) -> Dict[str, Any]:
    """Run the cases over ``jobs`` lanes; returns the summary (counts, per-rule counts,
    failures with their case ids)."""
    tmp = tempfile.mkdtemp(prefix="mwt-differential-")
    seeds_dir = os.path.join(tmp, "seeds")
    try:
        writer_seeds = gen.writer_seeds(seeds_dir)
        work: queue.Queue[int] = queue.Queue()
        for c in case_ids:
            work.put(c)
        results: List[Dict[str, Any]] = []
        lock = threading.Lock()
        limit = int(limit_gib * (1 << 30))
        start = time.monotonic()

        def lane_main() -> None:
            lane = Lane(seeds_dir, limit, timeout)
            try:
                while True:
                    try:
                        case_id = work.get_nowait()
                    except queue.Empty:
                        return
                    out = lane.run(case_id)
                    case = gen.make_case(case_id, writer_seeds)
                    verdict = rules.classify(case, out["mwt"], out["oracle"])
                    with lock:
                        results.append(verdict)
                        if progress and len(results) % 1000 == 0:
                            print(f"  {len(results)}/{len(case_ids)} cases, "
                                  f"{time.monotonic() - start:.0f} s", file=sys.stderr)
            finally:
                lane.close()

        threads = [threading.Thread(target=lane_main) for _ in range(max(1, jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summarize(results, elapsed)


def summarize(results: List[Dict[str, Any]], elapsed: float) -> Dict[str, Any]:
    categories = collections.Counter(r["category"] for r in results)
    by_rule = collections.Counter(r["rule"] for r in results if r.get("rule"))
    oracle = collections.Counter(r["oracle_status"] for r in results
                                 if r["oracle_status"] != "ok")
    formats = collections.Counter(r["fmt"] for r in results)
    codes = collections.Counter(f"{r['fmt']}:{r['mwt_code']}" for r in results if r.get("mwt_code"))
    failures = sorted((r for r in results if r["category"] in FAILURES),
                      key=lambda r: r["case"])
    view_issues = sorted(r["case"] for r in results if r.get("view_errors"))
    import mwt  # what the children import too (same interpreter, same path)
    return {"cases": len(results), "seconds": round(elapsed, 1), "formats": dict(formats),
            "categories": {k: categories.get(k, 0) for k in CATEGORIES},
            "rules": dict(by_rule), "mwt_refusal_codes": dict(codes.most_common()),
            "oracle_failures": dict(oracle), "failures": failures,
            "view_issue_cases": view_issues,
            "mwt": f"{mwt.__version__} from {os.path.dirname(mwt.__file__)}"}


def _git_state() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, check=True,
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, check=True,
                               capture_output=True, text=True).stdout.strip()
        return head + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def print_summary(s: Dict[str, Any], max_failures: int = 30) -> None:
    print(f"{s['cases']} cases in {s['seconds']} s ({s['formats']}) at {_git_state()}")
    print(f"mwt under test: {s.get('mwt', '?')}")
    for k, v in s["categories"].items():
        print(f"  {k:24s} {v}")
    if s["rules"]:
        print("explained disagreements by rule:")
        for k, v in sorted(s["rules"].items(), key=lambda kv: -kv[1]):
            print(f"  {k:40s} {v}")
    if s["oracle_failures"]:
        print(f"oracle crashes/hangs/limits (counted as oracle refusals): {s['oracle_failures']}")
    if s["view_issue_cases"]:
        ids = s["view_issue_cases"]
        print(f"empty tensors whose shape numpy cannot hold (np.asarray raises "
              f"SizeOverflowError, docs/readers.md#empty-tensors): {len(ids)} cases, "
              f"e.g. {ids[:5]}")
    fails = s["failures"]
    if fails:
        print(f"FAILURES: {len(fails)}")
        for r in fails[:max_failures]:
            print(f"  case {r['case']}: {r['category']}: {r['detail']}")
        print("  reproduce: python -m tests.differential.run --case ID")


def _one(case_id: int, write: Optional[str], timeout: float, limit_gib: float) -> int:
    tmp = tempfile.mkdtemp(prefix="mwt-differential-")
    try:
        seeds_dir = os.path.join(tmp, "seeds")
        case = gen.make_case(case_id, gen.writer_seeds(seeds_dir))
        print(case.summary(), f"{len(case.data)} bytes")
        if write:
            with open(write, "wb") as f:
                f.write(case.data)
            print(f"written to {write}")
        lane = Lane(seeds_dir, int(limit_gib * (1 << 30)), timeout)
        try:
            out = lane.run(case_id)
        finally:
            lane.close()
        verdict = rules.classify(case, out["mwt"], out["oracle"])
        print("mwt:   ", json.dumps(out["mwt"], indent=None)[:3000])
        print("oracle:", json.dumps(out["oracle"], indent=None)[:3000])
        print("verdict:", json.dumps(verdict))
        return 1 if verdict["category"] in FAILURES else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def rules_table(counts_json: Optional[str] = None) -> str:
    """The rules as the Markdown table of README.md; with a --json summary, a count column."""
    counts: Optional[Dict[str, int]] = None
    if counts_json:
        with open(counts_json) as f:
            counts = json.load(f)["rules"]
    head = "| rule | direction | spec | why |" + (" cases |" if counts is not None else "")
    lines = [head, "|---|---|---|---|" + ("---:|" if counts is not None else "")]
    for r in rules.RULES:
        link = r.citation.replace("docs/", "../../docs/")
        row = f"| `{r.name}` | {r.direction} | [{r.citation}]({link}) | {r.why} |"
        if counts is not None:
            row += f" {counts.get(r.name, 0)} |"
        lines.append(row)
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="number of cases (default 2000)")
    ap.add_argument("--start", type=int, default=0, help="first case id")
    ap.add_argument("--case", type=int, help="run one case and print both outcomes")
    ap.add_argument("--write", help="with --case: also write the case's file here")
    ap.add_argument("--jobs", type=int, default=2, help="lanes (each: one mwt + one oracle child)")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per case per side")
    ap.add_argument("--limit-gib", type=float, default=3.0, help="RLIMIT_AS of each child")
    ap.add_argument("--json", help="write the summary as JSON here")
    ap.add_argument("--rules-table", action="store_true",
                    help="print the rules as a Markdown table (README.md) and exit")
    ap.add_argument("--counts", help="with --rules-table: a --json summary whose per-rule "
                    "counts fill a column")
    args = ap.parse_args(argv)
    if args.rules_table:
        print(rules_table(args.counts))
        return 0
    if args.case is not None:
        return _one(args.case, args.write, args.timeout, args.limit_gib)
    s = run_cases(list(range(args.start, args.start + args.n)), args.jobs, args.timeout,
                  args.limit_gib, progress=True)
    print_summary(s)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(s, commit=_git_state()), f, indent=1)
    return 1 if s["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
