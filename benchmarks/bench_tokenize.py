"""Encoding throughput: mwt.Tokenizer vs Hugging Face ``tokenizers`` vs tiktoken, in one run, on
the same text and the same vocabularies, single-threaded and batched on every thread.

The tokenizers are trained here (tests/python/tok_fixtures.py, larger vocabularies than the
tests use, no hub): GPT-2 (byte-level BPE, GPT-2 regex), LLaMA-3-style (the LLaMA-3 split regex,
ignore_merges) and LLaMA-2 SentencePiece BPE (byte fallback). tiktoken gets an ``Encoding`` built
from the same ranks (token bytes -> id, which is merge order for these vocabularies) and the same
split regex; it has no SentencePiece model, so that row has no tiktoken cell. The text is
tok_corpus's mixed corpus (code, prose in many scripts, emoji, whitespace runs) at ``--mb`` MB,
documents of ~0.3-3 KB. Every measurement checks the ids: mwt's must equal HF's; tiktoken's
agreement with HF is reported.

Training: ``mwt.train_tokenizer`` vs HF ``Tokenizer.train`` with ``BpeTrainer`` in the
ByteLevelBPETokenizer setup (tests/python/test_tokenizer_train.py's), on the same corpus file
(``--train-mb`` MB of the mixed corpus), the same vocabulary size and min_frequency 2, both on
all threads; the two tokenizer.json texts must be equal before the time counts.

Single-threaded: ``Tokenizer.encode_batch(docs, threads=1)``; HF ``encode_batch`` with
``TOKENIZERS_PARALLELISM=false``; tiktoken ``encode_ordinary_batch(num_threads=1)``. Batched:
the default thread count of each (all CPUs).

    .venv/bin/python benchmarks/bench_tokenize.py [--mb 8] [--vocab 32000] [--repeat 3]
                                                  [--write-results benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "python"))

import tok_corpus  # noqa: E402
import tok_fixtures  # noqa: E402
from _bench import best_of, write_section  # noqa: E402

import mwt  # noqa: E402

RESULTS_BEGIN, RESULTS_END = "<!-- bench_tokenize:begin -->", "<!-- bench_tokenize:end -->"
CASES = (("gpt2", "GPT-2", tok_fixtures.GPT2_PATTERN),
         ("llama3", "LLaMA-3-style", tok_fixtures.LLAMA3_PATTERN),
         ("llama2", "SentencePiece BPE (LLaMA-2)", None))


def byte_decoder() -> Dict[str, int]:
    """GPT-2's byte-level alphabet, inverted: printable character -> byte."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def tiktoken_encoding(hf: Any, name: str, pattern: str) -> Any:
    import tiktoken
    dec = byte_decoder()
    added = {a.content for a in hf.get_added_tokens_decoder().values()}
    ranks = {bytes(dec[c] for c in tok): i
             for tok, i in hf.get_vocab(with_added_tokens=False).items() if tok not in added}
    return tiktoken.Encoding(name=f"mwt-bench-{name}", pat_str=pattern, mergeable_ranks=ranks,
                             special_tokens={})


def hf_batch(hf: Any, docs: List[str], parallel: bool) -> List[List[int]]:
    os.environ["TOKENIZERS_PARALLELISM"] = "true" if parallel else "false"
    return [e.ids for e in hf.encode_batch(docs, add_special_tokens=False)]


def run_case(f: Any, label: str, pattern: Optional[str], docs: List[str],
             repeat: int) -> Dict[str, Any]:
    hf = f.hf()
    tok = mwt.Tokenizer.from_file(f.directory)
    mb = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    want = hf_batch(hf, docs, True)
    if tok.encode_batch(docs, add_special_tokens=False) != want:
        raise SystemExit(f"{label}: mwt's ids differ from HF's; not timing a wrong answer")
    row: Dict[str, Any] = {"label": label, "vocab": tok.vocab_size, "mb": mb,
                           "tokens": sum(map(len, want))}
    row["mwt1"] = mb / best_of(lambda: tok.encode_batch(docs, False, threads=1), repeat)
    row["mwtN"] = mb / best_of(lambda: tok.encode_batch(docs, False), repeat)
    row["hf1"] = mb / best_of(lambda: hf_batch(hf, docs, False), repeat)
    row["hfN"] = mb / best_of(lambda: hf_batch(hf, docs, True), repeat)
    if pattern is not None:
        enc = tiktoken_encoding(hf, f.name, pattern)
        got = enc.encode_ordinary_batch(docs, num_threads=1)
        row["tt_same"] = sum(g == w for g, w in zip(got, want)) / len(docs)
        row["tt1"] = mb / best_of(lambda: enc.encode_ordinary_batch(docs, num_threads=1), repeat)
        n = os.cpu_count() or 1
        row["ttN"] = mb / best_of(lambda: enc.encode_ordinary_batch(docs, num_threads=n), repeat)
    print(row, file=sys.stderr, flush=True)
    return row


def run_training(vocab: int, train_mb: float, repeat: int) -> Dict[str, Any]:
    import tempfile

    import test_tokenizer_train as tt
    docs = list(tok_corpus.documents(seed=31, min_bytes=int(train_mb * 1e6)))
    with tempfile.TemporaryDirectory(prefix="mwt_bench_train_") as tmp:
        path = Path(tmp) / "corpus.txt"
        path.write_text("\n".join(docs), encoding="utf-8", newline="")
        mb = path.stat().st_size / 1e6
        os.environ["TOKENIZERS_PARALLELISM"] = "true"
        ours = mwt.train_tokenizer([path], vocab, min_frequency=2)
        theirs = tt.hf_train([path], vocab, 2).to_str(pretty=True)
        if ours != theirs:
            raise SystemExit("training: mwt's tokenizer.json differs from HF's; not timing it")
        row: Dict[str, Any] = {"mb": mb, "vocab": vocab}
        row["mwt_s"] = best_of(lambda: mwt.train_tokenizer([path], vocab, min_frequency=2),
                               repeat)
        row["hf_s"] = best_of(lambda: tt.hf_train([path], vocab, 2), repeat)
    print(row, file=sys.stderr, flush=True)
    return row


def versions() -> str:
    import tiktoken
    import tokenizers
    return (f"mwt {mwt.__version__}, tokenizers {tokenizers.__version__}, tiktoken "
            f"{tiktoken.__version__}, python {platform.python_version()}")


def cell(row: Dict[str, Any], key: str) -> str:
    return f"{row[key]:.2f}" if key in row else "–"


def ratio(row: Dict[str, Any], a: str, b: str) -> str:
    return f"{row[a] / row[b]:.2f}×" if a in row and b in row else "–"


def render(rows: List[Dict[str, Any]], train: Dict[str, Any], args: argparse.Namespace,
           threads: int) -> str:
    load = os.getloadavg()
    lines = [
        RESULTS_BEGIN,
        "## bench_tokenize: encode throughput vs HF tokenizers and tiktoken",
        "",
        f"Command: `.venv/bin/python benchmarks/bench_tokenize.py --mb {args.mb} --vocab "
        f"{args.vocab} --train-mb {args.train_mb} --repeat {args.repeat} --write-results "
        "benchmarks/RESULTS.md`  ",
        f"Machine: {threads} CPUs, {platform.processor() or platform.machine()}, Linux "
        f"{platform.release()}  ",
        f"Versions: {versions()}  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  ",
        f"Load average at end (1/5/15 min): {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
        + (f"; {args.note}" if args.note else ""),
        "",
        f"MB/s of UTF-8 input (1e6 bytes), best of {args.repeat}, no special tokens added; "
        f"vocabularies of {args.vocab} trained here on the standard library's sources and the "
        "corpus passages; text: the tokenizer corpus (code, prose in many scripts, emoji, "
        "whitespace runs), documents of 0.3-3 KB. mwt's ids equal HF's in every row (checked "
        "before timing). **1t**: one thread (mwt `encode_batch(threads=1)`, HF `encode_batch` "
        "with TOKENIZERS_PARALLELISM=false, tiktoken `encode_ordinary_batch(num_threads=1)`); "
        f"**{threads}t**: all threads. **tiktoken = HF**: share of documents on which tiktoken's "
        "ids (an Encoding from the same ranks and regex) equal HF's.",
        "",
        f"| tokenizer | vocab | MB | mwt 1t | HF 1t | tiktoken 1t | mwt {threads}t | HF "
        f"{threads}t | tiktoken {threads}t | mwt/HF 1t (goal ≥ 1.5×) | mwt/tiktoken 1t (goal ≥ "
        f"1×) | mwt/HF {threads}t | tiktoken = HF |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        same = f"{r['tt_same']:.1%}" if "tt_same" in r else "–"
        lines.append(
            f"| {r['label']} | {r['vocab']} | {r['mb']:.1f} | {cell(r, 'mwt1')} | "
            f"{cell(r, 'hf1')} | {cell(r, 'tt1')} | {cell(r, 'mwtN')} | {cell(r, 'hfN')} | "
            f"{cell(r, 'ttN')} | {ratio(r, 'mwt1', 'hf1')} | {ratio(r, 'mwt1', 'tt1')} | "
            f"{ratio(r, 'mwtN', 'hfN')} | {same} |")
    lines += [
        "",
        f"Training (byte-level BPE, vocab {train['vocab']}, min_frequency 2, {threads} threads, "
        f"best of {args.repeat}; the two tokenizer.json texts are equal):",
        "",
        "| corpus MB | mwt s | HF BpeTrainer s | HF / mwt (goal ≥ 1×) |",
        "|---:|---:|---:|---:|",
        f"| {train['mb']:.1f} | {train['mwt_s']:.2f} | {train['hf_s']:.2f} | "
        f"{train['hf_s'] / train['mwt_s']:.2f}× |",
        RESULTS_END,
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=8.0, help="MB of text to encode (default 8)")
    ap.add_argument("--vocab", type=int, default=32000, help="vocabulary size to train")
    ap.add_argument("--train-mb", type=float, default=4.0, help="MB of training text")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--note", default="", help="a remark for the results header")
    ap.add_argument("--write-results", metavar="MD")
    a = ap.parse_args()
    t0 = time.perf_counter()
    sizes = tok_fixtures.Sizes(vocab=a.vocab, train_bytes=int(a.train_mb * 1e6))
    fx = tok_fixtures.build_all(sizes, only=tuple(c[0] for c in CASES), gguf=False)
    docs = list(tok_corpus.documents(seed=29, min_bytes=int(a.mb * 1e6)))
    print(f"trained in {time.perf_counter() - t0:.1f} s; {len(docs)} documents",
          file=sys.stderr, flush=True)
    rows: List[Dict[str, Any]] = []
    for name, label, pattern in CASES:
        rows.append(run_case(fx[name], label, pattern, docs, a.repeat))
    train = run_training(a.vocab, a.train_mb, a.repeat)
    section = render(rows, train, a, os.cpu_count() or 1)
    sys.stdout.write(section)
    if a.write_results:
        write_section(a.write_results, section, RESULTS_BEGIN, RESULTS_END)


if __name__ == "__main__":
    main()
