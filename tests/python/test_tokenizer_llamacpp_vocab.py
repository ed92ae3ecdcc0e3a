"""llama.cpp's vocab-only GGUF files (``models/ggml-vocab-*.gguf`` of llama.cpp's sources, with
the ``.gguf.inp`` texts and the ``.gguf.out`` ids Hugging Face's tokenizer gives them): mwt's ids
equal the vectors, and every file opens with the vocabulary gguf-py reads.

The files come from the llama-cpp-python sdist, fetched before the tests by
``tools/fetch_llamacpp_vocab.py`` into ``$MWT_VOCAB_CACHE`` (default
``~/.cache/mwt/llamacpp-vocab``); without them these tests are skipped, and nothing is downloaded
here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Tuple

import pytest

gguf = pytest.importorskip("gguf")
mwt = pytest.importorskip("mwt")


SEP = "\n__ggml_vocab_test__\n"


def vocab_dir() -> Path:
    value = os.environ.get("MWT_VOCAB_CACHE")
    return Path(value).expanduser() if value else Path("~/.cache/mwt/llamacpp-vocab").expanduser()


def _files() -> List[Path]:
    d = vocab_dir()
    return sorted(d.glob("ggml-vocab-*.gguf")) if d.is_dir() else []


FILES = _files()
WITH_VECTORS = [p for p in FILES if p.with_suffix(".gguf.inp").is_file()
                and p.with_suffix(".gguf.out").is_file()]
MISSING = (f"no llama.cpp vocab files in {vocab_dir()}: run tools/fetch_llamacpp_vocab.py "
           "(make test's setup does)")


def test_vocab_files_present_when_required() -> None:
    """`make test` fetches the files first and sets MWT_REQUIRE_VOCAB: there the tests below must
    run, not skip."""
    if os.environ.get("MWT_REQUIRE_VOCAB") != "1":
        pytest.skip("MWT_REQUIRE_VOCAB is not set (outside make test)")
    assert FILES and WITH_VECTORS, MISSING


def vectors(path: Path) -> List[Tuple[str, List[int]]]:
    """(text, ids) pairs as llama.cpp's test-tokenizer-0 reads them: texts separated by
    SEP (the last one may lack it), one line of ids per text."""
    with open(path.with_suffix(".gguf.inp"), encoding="utf-8", newline="") as f:
        texts = f.read().split(SEP)
    if texts and texts[-1] == "":
        texts.pop()
    with open(path.with_suffix(".gguf.out"), encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    assert len(texts) == len(lines), f"{path.name}: {len(texts)} texts, {len(lines)} id lines"
    return [(t, [int(x) for x in line.split()]) for t, line in zip(texts, lines)]


@pytest.mark.skipif(not WITH_VECTORS, reason=MISSING)
@pytest.mark.parametrize("path", WITH_VECTORS, ids=lambda p: p.name[len("ggml-vocab-"):-5])
def test_ids_equal_llamacpp_vectors(path: Path) -> None:
    tok = mwt.Tokenizer.from_file(path)
    cases = vectors(path)
    assert len(cases) >= 40
    failed = []
    for text, want in cases:
        got = tok.encode(text, add_special_tokens=False)
        if got != want:
            pos = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                       min(len(got), len(want)))
            failed.append(f"  {text[:50]!r}: first difference at {pos}: mwt "
                          f"{got[max(0, pos - 2):pos + 5]} vectors {want[max(0, pos - 2):pos + 5]}")
    assert not failed, f"{path.name}: {len(failed)} of {len(cases)} texts differ\n" + \
        "\n".join(failed[:10])


@pytest.mark.skipif(not FILES, reason=MISSING)
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[len("ggml-vocab-"):-5])
def test_every_vocab_file_opens_with_its_vocabulary(path: Path) -> None:
    r = gguf.GGUFReader(str(path))
    field = r.fields["tokenizer.ggml.tokens"]
    model = r.fields["tokenizer.ggml.model"].contents()
    tok = mwt.Tokenizer.from_file(path)  # every model these files use is implemented
    assert tok.vocab_size == len(field.data)
    assert tok.info["gguf_model"] == model
    # ~2000 tokens spread over the vocabulary, read from gguf-py's parts (contents() would
    # decode every string of a 262k vocabulary).
    step = max(1, len(field.data) // 2000)
    for i in range(0, len(field.data), step):
        token = bytes(field.parts[field.data[i]]).decode("utf-8")
        assert tok.id_to_token(i) == spelled(model, token), i


def spelled(model: str, token: str) -> str:
    """The token as mwt (and the Hugging Face tokenizer the file came from) spells it. A "bert"
    GGUF stores word starts with a leading U+2581 and continuations bare; WordPiece spells them
    bare and with "##" (docs/tokenizers-gguf.md#models); [CLS]-style tokens stay as they are."""
    if model != "bert" or (len(token) >= 2 and token[0] == "[" and token[-1] == "]"):
        return token
    return token[1:] if token.startswith("\u2581") and len(token) > 1 else "##" + token
