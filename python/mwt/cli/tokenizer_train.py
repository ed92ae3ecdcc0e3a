"""`mwt tokenizer train`: train a byte-level BPE tokenizer on text files and write its
tokenizer.json (the vocabulary and merges HF's BpeTrainer makes for the same corpus and
settings, docs/tokenizers-train.md); exit 0 on success, 1 when a file cannot be read or is not
UTF-8, 2 on a usage error."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from typing import Optional, TextIO

from . import _format as fmt

HELP = "train a byte-level BPE tokenizer (tokenizer.json) on text files"


def register(subparsers: argparse._SubParsersAction) -> None:
    top = subparsers.add_parser("tokenizer", help="tokenizer tools (train)",
                                description="Tokenizer tools.")
    sub = top.add_subparsers(dest="tokenizer_command", metavar="ACTION", required=True)
    p = sub.add_parser(
        "train", help=HELP, description=HELP + ": the merges and vocabulary Hugging Face's "
        "BpeTrainer makes with the ByteLevelBPETokenizer setup (docs/tokenizers-train.md).",
        epilog="Exit status: 0 written, 1 a corpus file cannot be read or is not UTF-8, "
               "2 usage error.")
    p.add_argument("corpus", nargs="+", metavar="CORPUS",
                   help="UTF-8 text files; every line is one sequence")
    p.add_argument("--vocab-size", type=int, required=True, metavar="N",
                   help="tokens in the vocabulary, special tokens and the 256 byte characters "
                        "included")
    p.add_argument("--special", action="extend", nargs="+", default=[], metavar="TOK",
                   help="special tokens, ids 0, 1, ... in this order (repeatable)")
    p.add_argument("--min-frequency", type=int, default=2, metavar="F",
                   help="merge only pairs seen at least F times (default 2, as HF "
                        "ByteLevelBPETokenizer)")
    p.add_argument("-o", "--output", required=True, metavar="tokenizer.json",
                   help="where to write the tokenizer (atomically)")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="threads counting words (default: MWT_NUM_THREADS or the CPU count); "
                        "the result does not depend on it")
    p.add_argument("--limit-alphabet", type=int, default=None, metavar="N",
                   help="keep at most N characters, the rarest dropped (HF limit_alphabet)")
    p.add_argument("--seen-alphabet", action="store_true",
                   help="only the byte characters the corpus has, not all 256")
    p.add_argument("--max-token-length", type=int, default=None, metavar="N",
                   help="merges never make a token of N characters or more, except the pairs the "
                        "words start with (as HF max_token_length)")
    p.add_argument("--json", action="store_true", help="print the training summary as JSON")
    fmt.add_progress_flags(p)
    p.set_defaults(func=run)


class TrainBar:
    """A one-line progress bar per stage (counting bytes, then merges), redrawn on stderr."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream, self.width = stream, width
        self.start = time.monotonic()
        self.stage: Optional[str] = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage and self.stage is not None:
            self.stream.write("\n")
        self.stage = stage
        frac = done / total if total else 1.0
        fill = int(round(frac * self.width))
        if stage == "count":
            label, amount = "count words", f"{done / 2**20:,.1f}/{total / 2**20:,.1f} MiB"
        else:
            label, amount = "merge      ", f"{done:,}/{total:,} tokens"
        self.stream.write(f"\r{label} [{'#' * fill}{'.' * (self.width - fill)}] {amount} "
                          f"{time.monotonic() - self.start:5.1f}s")
        if stage == "merge" and done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _usage(message: str) -> int:
    print(f"mwt tokenizer train: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from mwt import _train

    for name in ("vocab_size", "min_frequency"):
        if getattr(args, name) < 0:
            return _usage(f"--{name.replace('_', '-')} must be at least 0")
    if args.threads is not None and args.threads < 1:
        return _usage("--threads must be at least 1")
    for name in ("limit_alphabet", "max_token_length"):
        if getattr(args, name) is not None and getattr(args, name) < 0:
            return _usage(f"--{name.replace('_', '-')} must be at least 0")
    if any(not s for s in args.special):
        return _usage("a special token may not be empty")
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    _, summary = _train.train_with_summary(
        args.corpus, args.vocab_size, args.special, args.min_frequency, args.threads,
        args.output, byte_level_alphabet=not args.seen_alphabet,
        limit_alphabet=args.limit_alphabet, max_token_length=args.max_token_length,
        progress=TrainBar(sys.stderr) if show else None)
    if args.json:
        out = dict(dataclasses.asdict(summary), output=args.output)
        sys.stdout.write(json.dumps(fmt.json_safe(out), indent=2, allow_nan=False) + "\n")
    else:
        s = summary
        sys.stdout.write(
            f"wrote {fmt.text_safe(args.output)}: {s.vocab_size:,} tokens ({s.special_tokens} "
            f"special, {s.alphabet_size} alphabet, {s.merges:,} merges), stopped by "
            f"{s.stopped_by}\n"
            f"corpus: {fmt.human_bytes(s.corpus_bytes)}, {s.sequences:,} lines, {s.words:,} "
            f"words ({s.unique_words:,} unique); {s.seconds:.2f} s\n")
    return 0
