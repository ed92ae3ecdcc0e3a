"""mwt.train_tokenizer against the oracle, Hugging Face `tokenizers`' BpeTrainer, trained in the
same test on the same files: Python's own standard-library sources (shipped with the
interpreter), plus small corpora built to hit the merge loop's corner cases. The trained files
must be equal (vocabulary, merges, and the tokenizer.json text itself), HF must load mwt's file
and encode held-out text exactly as its own, and the CLI must write the same file."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any, Dict, List, Sequence

import pytest

import mwt

tokenizers = pytest.importorskip("tokenizers")
from tokenizers import decoders, models, pre_tokenizers, processors, trainers  # noqa: E402

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def hf_tokenizer() -> Any:
    """The ByteLevelBPETokenizer setup: BPE, ByteLevel without prefix space, ByteLevel decoder
    and post-processor (trim_offsets False)."""
    tok = tokenizers.Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok


def hf_trainer(vocab_size: int, min_frequency: int, special: Sequence[str] = (),
               byte_alphabet: bool = True, **kw: Any) -> Any:
    alphabet = pre_tokenizers.ByteLevel.alphabet() if byte_alphabet else []
    return trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                               special_tokens=list(special), initial_alphabet=alphabet,
                               show_progress=False, **kw)


def hf_train(files: Sequence[Path], vocab_size: int, min_frequency: int,
             special: Sequence[str] = (), byte_alphabet: bool = True, **kw: Any) -> Any:
    tok = hf_tokenizer()
    tok.train([str(f) for f in files],
              hf_trainer(vocab_size, min_frequency, special, byte_alphabet, **kw))
    return tok


def model_of(tokenizer_json: str) -> Dict[str, Any]:
    return json.loads(tokenizer_json)["model"]  # type: ignore[no-any-return]


def assert_same(mwt_json: str, hf_json: str) -> None:
    """Vocabulary and merges first (readable failures), then the whole file's text."""
    a, b = model_of(mwt_json), model_of(hf_json)
    assert len(a["vocab"]) == len(b["vocab"])
    assert a["vocab"] == b["vocab"]
    diverge = next((i for i, (x, y) in enumerate(zip(a["merges"], b["merges"])) if x != y), None)
    assert diverge is None, f"first different merge at rank {diverge}"
    assert a["merges"] == b["merges"]
    assert json.loads(mwt_json) == json.loads(hf_json)
    assert mwt_json == hf_json


def write_corpus(path: Path, sources: List[Path], limit: int) -> int:
    """Concatenates sources into path until `limit` bytes; returns the index of the first
    source not used."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        for i, src in enumerate(sources):
            if n >= limit:
                return i
            text = src.read_text(encoding="utf-8")
            out.write(text)
            n += len(text.encode("utf-8"))
    return len(sources)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """~1.5 MB of stdlib sources in two files (training) and the next ~200 KB (held out)."""
    root = tmp_path_factory.mktemp("train_corpus")
    sources = []
    for p in sorted(STDLIB.glob("*.py")):
        try:
            p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        sources.append(p)
    if len(sources) < 40:
        pytest.skip(f"too few stdlib sources under {STDLIB}")
    a, b = root / "a.py.txt", root / "b.py.txt"
    i = write_corpus(a, sources, 900_000)
    j = i + write_corpus(b, sources[i:], 600_000)
    held = "".join(s.read_text(encoding="utf-8") for s in sources[j:j + 40])[:200_000]
    return {"files": [a, b], "held_out": held, "root": root}


@pytest.mark.parametrize("vocab_size,min_frequency,special", [
    (3000, 2, ["<|endoftext|>"]),
    (1200, 5, ["<s>", "<pad>", "</s>", "<s>"]),
])
def test_same_vocab_and_merges_as_hf(corpus: Dict[str, Any], vocab_size: int,
                                     min_frequency: int, special: List[str]) -> None:
    hf = hf_train(corpus["files"], vocab_size, min_frequency, special)
    ours = mwt.train_tokenizer(corpus["files"], vocab_size, special, min_frequency)
    assert_same(ours, hf.to_str(pretty=True))
    assert len(model_of(ours)["vocab"]) == vocab_size


def test_hf_loads_it_and_encodes_held_out_text_alike(corpus: Dict[str, Any],
                                                     tmp_path: Path) -> None:
    out = tmp_path / "tokenizer.json"
    text = mwt.train_tokenizer(corpus["files"], 2000, ["<|endoftext|>"], output=out)
    assert out.read_text(encoding="utf-8") == text
    ours = tokenizers.Tokenizer.from_file(str(out))
    hf = hf_train(corpus["files"], 2000, 2, ["<|endoftext|>"])
    held = corpus["held_out"] + " <|endoftext|> caf\u00e9 \u4e2d\u6587 \U0001f600\r\n"
    a, b = ours.encode(held), hf.encode(held)
    assert a.ids == b.ids
    assert a.tokens == b.tokens
    assert ours.decode(a.ids, skip_special_tokens=False) == held
    assert ours.token_to_id("<|endoftext|>") == 0


def test_threads_do_not_change_the_result(corpus: Dict[str, Any]) -> None:
    one = mwt.train_tokenizer(corpus["files"], 800, threads=1)
    two = mwt.train_tokenizer(corpus["files"], 800, threads=2)
    many = mwt.train_tokenizer(corpus["files"], 800, threads=7)
    assert one == two == many


def test_seen_alphabet_min_frequency_zero_and_max_token_length(corpus: Dict[str, Any]) -> None:
    files = corpus["files"][1:]
    hf = hf_train(files, 700, 0, byte_alphabet=False)
    assert_same(mwt.train_tokenizer(files, 700, min_frequency=0, byte_level_alphabet=False),
                hf.to_str(pretty=True))
    hf = hf_train(files, 900, 2, max_token_length=4)
    ours = mwt.train_tokenizer(files, 900, max_token_length=4)
    assert_same(ours, hf.to_str(pretty=True))
    assert max(len(t) for t in model_of(ours)["vocab"]) < 4


def corner_corpora() -> Dict[str, str]:
    """Texts whose merges reuse existing tokens, overlap, tie, and stop early: runs of one
    character of many lengths (a token reached by two merge paths is merged again later),
    whitespace runs and CRLF, several scripts, emoji with ZWJ."""
    rng = random.Random(13)
    runs = "\n".join(rng.choice("ab ") * rng.randint(1, 40) for _ in range(3000))
    spaces = "\n".join(" " * rng.randint(0, 30) + "x" + "\t" * rng.randint(0, 3)
                       for _ in range(2000))
    mixed = "\r\n".join(rng.choice(["caf\u00e9", "\u4e2d\u6587", "\u0645\u0631\u062d\u0628\u0627",
                                    "\U0001f468\u200d\U0001f469\u200d\U0001f467", "x\u0085y",
                                    "1234", "don't", "a\u00a0b", "\u180e!"]) * rng.randint(1, 5)
                        for _ in range(2000))
    return {"runs": runs, "spaces": spaces, "mixed": mixed}


@pytest.mark.parametrize("name", ["runs", "spaces", "mixed"])
def test_corner_corpora_equal_hf(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.txt"
    path.write_text(corner_corpora()[name], encoding="utf-8", newline="")
    for vocab, minf in ((400, 0), (2000, 2)):
        hf = hf_train([path], vocab, minf, ["<x>"])
        ours = mwt.train_tokenizer([path], vocab, ["<x>"], minf)
        assert_same(ours, hf.to_str(pretty=True))


def test_texts_are_sequences_as_train_from_iterator() -> None:
    texts = ["a \nb", "hello world\n\n", "x  y", "a \nb"]  # not split into lines
    tok = hf_tokenizer()
    tok.train_from_iterator(texts, hf_trainer(400, 0, ["<s>"]))
    ours = mwt.train_tokenizer_from_texts(texts, 400, ["<s>"], min_frequency=0)
    assert_same(ours, tok.to_str(pretty=True))


def test_limit_alphabet_ties_differ_by_design(corpus: Dict[str, Any], tmp_path: Path) -> None:
    # HF drops the rarest characters with an unstable sort, so among equally rare ones which go
    # is not fixed; mwt drops the lower code point first. Distinct counts at the cut: equal
    # files. A tie at the cut: the alphabets differ at most in the tied characters, and the
    # held-out token count stays within 0.5%.
    path = tmp_path / "tie.txt"
    base = corpus["files"][1].read_text(encoding="utf-8")
    text = base + "\n\u00e9\u00e8\n"  # two new characters, once each: a tie at the bottom
    path.write_text(text, encoding="utf-8", newline="")
    counts: Dict[str, int] = {}
    for ch in pre_tokenizers.ByteLevel(add_prefix_space=False).pre_tokenize_str(text):
        for c in ch[0]:
            counts[c] = counts.get(c, 0) + 1
    ranked = sorted(counts.values())
    n = len(counts)
    distinct_cut = next(k for k in range(n - 1, 1, -1) if ranked[n - k - 1] != ranked[n - k])
    hf = hf_train([path], 1500, 2, byte_alphabet=False, limit_alphabet=distinct_cut)
    ours = mwt.train_tokenizer([path], 1500, byte_level_alphabet=False,
                               limit_alphabet=distinct_cut)
    assert_same(ours, hf.to_str(pretty=True))

    tied = [c for c, k in counts.items() if k == 1]
    assert len(tied) >= 2
    cut = n - 1  # drops exactly one of the characters seen once
    hf = hf_train([path], 1500, 2, byte_alphabet=False, limit_alphabet=cut)
    ours_json = mwt.train_tokenizer([path], 1500, byte_level_alphabet=False, limit_alphabet=cut)
    a = set(model_of(ours_json)["vocab"]) & set(counts)
    b = set(json.loads(hf.to_str())["model"]["vocab"]) & set(counts)
    assert a ^ b <= set(tied)
    held = corpus["held_out"]
    n_ours = len(tokenizers.Tokenizer.from_str(ours_json).encode(held).ids)
    n_hf = len(hf.encode(held).ids)
    assert abs(n_ours - n_hf) <= 0.005 * n_hf


def test_progress_and_errors(corpus: Dict[str, Any], tmp_path: Path) -> None:
    calls: List[tuple] = []
    mwt.train_tokenizer(corpus["files"], 600, progress=lambda *a: calls.append(a))
    assert calls[0] == ("count", 0, sum(os.path.getsize(f) for f in corpus["files"]))
    assert calls[-1][0] == "merge" and calls[-1][1] == calls[-1][2]
    assert {c[0] for c in calls} == {"count", "merge"}

    class Stop(Exception):
        pass

    def stop(stage: str, done: int, total: int) -> None:
        raise Stop(stage)

    with pytest.raises(Stop):
        mwt.train_tokenizer(corpus["files"], 600, progress=stop)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok\n\xff\xfe\n")
    with pytest.raises(mwt.BadEncodingError) as e:
        mwt.train_tokenizer([bad], 600)
    assert e.value.offset == 3
    with pytest.raises(mwt.IoError):
        mwt.train_tokenizer([tmp_path / "missing.txt"], 600)
    with pytest.raises(mwt.ArgumentError):
        mwt.train_tokenizer([bad], 600, [""])
    with pytest.raises(TypeError):
        mwt.train_tokenizer([bad], 600.0)  # type: ignore[arg-type]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(Path(mwt.__file__).parent.parent))
    return subprocess.run([sys.executable, "-m", "mwt", "tokenizer", "train", *args],
                          capture_output=True, text=True, env=env)


def test_cli(corpus: Dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "tok.json"
    files = [str(f) for f in corpus["files"]]
    r = run_cli(*files, "--vocab-size", "700", "--special", "<s>", "</s>", "--special", "<pad>",
                "--min-frequency", "3", "-o", str(out), "--json", "--no-progress")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["vocab_size"] == 700 and summary["special_tokens"] == 3
    assert summary["output"] == str(out)
    assert out.read_text(encoding="utf-8") == mwt.train_tokenizer(
        corpus["files"], 700, ["<s>", "</s>", "<pad>"], 3)
    r = run_cli(*files, "--vocab-size", "300", "-o", str(tmp_path / "t2.json"), "--progress")
    assert r.returncode == 0 and "300 tokens" in r.stdout and "merge" in r.stderr
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xc3(")
    r = run_cli(str(bad), "--vocab-size", "300", "-o", str(tmp_path / "t3.json"), "--json")
    assert r.returncode == 1
    assert json.loads(r.stdout)["error"]["code"] == "BAD_ENCODING"
    assert not (tmp_path / "t3.json").exists()
    assert run_cli(str(bad), "-o", str(out)).returncode == 2  # no --vocab-size
    assert run_cli(str(bad), "--vocab-size", "-1", "-o", str(out)).returncode == 2
    assert run_cli(str(bad), "--vocab-size", "9", "--threads", "0", "-o", str(out)).returncode == 2


def lines_of(text: str) -> List[str]:
    """The sequences HF reads from a file: split after each '\n' only (str.splitlines also
    splits at \r, \x1c, U+2028, ...)."""
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    return out + ([parts[-1]] if parts[-1] else [])


def test_summary_counts_match_the_corpus(corpus: Dict[str, Any]) -> None:
    files = corpus["files"]
    _, s = mwt._train.train_with_summary(files, 500)
    texts = [f.read_text(encoding="utf-8") for f in files]
    assert s.corpus_bytes == sum(len(t.encode("utf-8")) for t in texts)
    assert s.sequences == sum(len(lines_of(t)) for t in texts)
    pre = pre_tokenizers.ByteLevel(add_prefix_space=False)
    words: Dict[str, int] = {}
    for t in texts:
        for line in lines_of(t):
            for w, _ in pre.pre_tokenize_str(line):
                words[w] = words.get(w, 0) + 1
    assert s.words == sum(words.values())
    assert s.unique_words == len(words)
    tr = hf_trainer(500, 2)
    hf_tokenizer().train([str(f) for f in files], tr)
    assert s.unique_words == tr.get_word_count()




def test_trained_tokenizer_as_gguf_keys(corpus: Dict[str, Any], tmp_path: Path) -> None:
    """The small-LLM workflow: train, take the GGUF tokenizer keys (to_gguf_metadata), write a
    vocab-only GGUF; the GGUF's tokenizer gives HF's ids for the trained tokenizer.json."""
    out = tmp_path / "tokenizer.json"
    mwt.train_tokenizer(corpus["files"], 2000, ["<|endoftext|>"], output=out)
    tok = mwt.Tokenizer.from_file(out)
    md, types = tok.to_gguf_metadata(), tok.gguf_metadata_types()
    assert md["tokenizer.ggml.model"] == "gpt2" and md["tokenizer.ggml.pre"] == "gpt-2"
    gguf_path = tmp_path / "vocab.gguf"
    mwt.save_gguf(gguf_path, {}, md, metadata_types=types)
    from_gguf = mwt.Tokenizer.from_file(gguf_path)
    hf = tokenizers.Tokenizer.from_file(str(out))
    held = corpus["held_out"][:50_000].split("\n\n")
    assert from_gguf.encode_batch(held, add_special_tokens=False) == \
        [e.ids for e in hf.encode_batch(held, add_special_tokens=False)]
    assert from_gguf.token_to_id("<|endoftext|>") == 0
