"""`mwt tokenize` and `mwt detokenize`: text to ids and ids to text with a model's own tokenizer
(docs/tokenizers.md#command-line); exit 0 on success, 1 when the tokenizer cannot be read, 2 on a
usage error."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, List, Union

from . import _format as fmt

SOURCE_HELP = ("a GGUF or safetensors file, a directory with tokenizer.json, a tokenizer.json, a "
               "SentencePiece .model, or a Hugging Face cache name (org/name[@revision])")


def register(subparsers: argparse._SubParsersAction) -> None:
    help_t = "encode text to token ids with a model's tokenizer"
    p = subparsers.add_parser("tokenize", help=help_t, description=help_t + ".",
                              epilog="Without --ids/--tokens a table of positions, ids and token "
                                     "strings is printed. TEXT '-' reads standard input.")
    p.add_argument("path", metavar="FILE", help=SOURCE_HELP)
    p.add_argument("text", metavar="TEXT", help="the text to encode ('-': read stdin)")
    show = p.add_mutually_exclusive_group()
    show.add_argument("--ids", action="store_true", help="print only the ids, space-separated")
    show.add_argument("--tokens", action="store_true",
                      help="print only the token strings, one per line (escaped)")
    p.add_argument("--no-special", action="store_true",
                   help="do not add the special tokens the tokenizer adds (BOS, EOS, [CLS], ...)")
    p.add_argument("--json", action="store_true",
                   help='print {"ids", "tokens", "count", "add_special_tokens"} as JSON')
    p.set_defaults(func=run_tokenize)

    help_d = "decode token ids to text with a model's tokenizer"
    d = subparsers.add_parser("detokenize", help=help_d, description=help_d + ".",
                              epilog="Ids may also be given comma-separated (1,2,3).")
    d.add_argument("path", metavar="FILE", help=SOURCE_HELP)
    d.add_argument("ids", metavar="ID", nargs="+", help="token ids")
    d.add_argument("--skip-special", action="store_true",
                   help="leave special tokens out of the text")
    d.add_argument("--json", action="store_true", help='print {"ids", "text"} as JSON')
    d.set_defaults(func=run_detokenize)


def _usage(command: str, message: str) -> int:
    print(f"mwt {command}: error: {message}", file=sys.stderr)
    return 2


def _input_text(text: str) -> Union[str, bytes]:
    """The argument as the user typed it: stdin for '-', and the original bytes when the
    argument was not valid UTF-8 (Python hands those over as surrogate escapes)."""
    if text == "-":
        data = sys.stdin.buffer.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data
    if any(0xDC80 <= ord(c) <= 0xDCFF for c in text):
        return os.fsencode(text)
    return text


def run_tokenize(args: argparse.Namespace) -> int:
    import mwt

    tok = mwt.Tokenizer.from_file(args.path)
    add = not args.no_special
    ids = tok.encode(_input_text(args.text), add_special_tokens=add)
    tokens = [tok.id_to_token(i) or "" for i in ids]
    if args.json:
        out = {"ids": ids, "tokens": tokens, "count": len(ids), "add_special_tokens": add}
        sys.stdout.write(json.dumps(fmt.json_safe(out), ensure_ascii=False) + "\n")
    elif args.ids:
        sys.stdout.write(" ".join(map(str, ids)) + "\n")
    elif args.tokens:
        sys.stdout.write("".join(_escaped(t) + "\n" for t in tokens))
    else:
        rows = [(str(i), str(t), _escaped(s)) for i, (t, s) in enumerate(zip(ids, tokens))]
        table = fmt.render_table(("pos", "id", "token"), rows, (True, True, False))
        sys.stdout.write(fmt.text_safe(f"{len(ids)} tokens\n{table}") + "\n")
    return 0


def _escaped(token: str) -> str:
    """A token string on one line: control and invisible characters as escapes."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in token)


def _parse_ids(raw: List[str]) -> List[int]:
    out = []
    for arg in raw:
        for part in arg.split(","):
            part = part.strip()
            if not part:
                continue
            value = int(part)  # ValueError: not an id
            if value < 0:
                raise ValueError(part)
            out.append(value)
    return out


def run_detokenize(args: argparse.Namespace) -> int:
    import mwt

    try:
        ids = _parse_ids(args.ids)
    except ValueError as e:
        return _usage("detokenize", f"not a token id: {str(e).split(': ')[-1]}")
    tok = mwt.Tokenizer.from_file(args.path)
    text = tok.decode(ids, skip_special_tokens=args.skip_special)
    if args.json:
        out: Any = {"ids": ids, "text": text}
        sys.stdout.write(json.dumps(fmt.json_safe(out), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(fmt.text_safe(text) + "\n")
    return 0


# ---- the tokenizer block of `mwt inspect`

def has_tokenizer(wf: Any) -> bool:
    """Whether `wf` carries a tokenizer: a GGUF's tokenizer.ggml.model key, or tokenizer files
    beside a safetensors file or in its directory."""
    if "tokenizer.ggml.model" in wf.metadata:
        return True
    if str(wf.format).startswith("safetensors"):
        path = os.fspath(wf.path)
        d = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
        return any(os.path.isfile(os.path.join(d, n))
                   for n in ("tokenizer.json", "tokenizer.model", "spiece.model"))
    return False


def tokenizer_report(wf: Any) -> Any:
    """The `tokenizer` block of `mwt inspect --json` (docs/tokenizers.md#command-line), None
    when the file has no tokenizer, {"error": ...} when it has one mwt cannot read."""
    import mwt
    from mwt._tokenizer_gguf import pre_name

    if not has_tokenizer(wf):
        return None
    try:
        tok = mwt.Tokenizer.from_weight_file(wf)
    except mwt.MwtError as e:
        return {"error": {"code": e.code_name, "message": str(e)}}
    info = tok.info
    return {"source": info.get("source"), "model_type": tok.model_type,
            "gguf_model": info.get("gguf_model") or None, "pre": pre_name(tok),
            "vocab_size": tok.vocab_size, "special_tokens": tok.special_tokens,
            "special_ids": tok.special_ids, "added_tokens": len(tok.added_tokens),
            "add_bos": bool(info.get("add_bos")), "add_eos": bool(info.get("add_eos")),
            "chat_template": tok.chat_template is not None}


def tokenizer_lines(r: Any) -> List[str]:
    if "error" in r:
        return [f"tokenizer: not readable ({r['error']['message']})"]
    model = r["model_type"] + (f" (GGUF {r['gguf_model']})" if r.get("gguf_model") else "")
    lines = ["tokenizer",
             f"  model          {model}, from {r['source']}",
             f"  vocab size     {r['vocab_size']:,} ({r['added_tokens']:,} added tokens)",
             f"  pre-tokenizer  {r['pre'] or '-'}"]
    for name, text in r["special_tokens"].items():
        tid = r["special_ids"].get(name[:-len("_token")])
        lines.append(f"  {name:<14} {_escaped(text)}" + (f" (id {tid})" if tid is not None
                                                        else ""))
    lines.append(f"  chat template  {'yes' if r['chat_template'] else 'no'}")
    return lines
