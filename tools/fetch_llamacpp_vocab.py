#!/usr/bin/env python3
"""Fetch llama.cpp's vocab-only GGUF files and their test vectors for the tokenizer tests.

llama.cpp keeps ``models/ggml-vocab-*.gguf`` (tokenizers of public models, no weights) with
``.gguf.inp`` (test texts) and ``.gguf.out`` (the ids Hugging Face's tokenizer gives them) in its
sources; the llama-cpp-python source distribution vendors them under ``vendor/llama.cpp/models/``.
This script downloads that sdist with pip (``pip download --no-deps --no-build-isolation
--no-binary llama-cpp-python llama-cpp-python``: the sdist only, nothing built or installed) and
extracts those files into the cache directory, ``$MWT_VOCAB_CACHE`` or
``~/.cache/mwt/llamacpp-vocab``. tests/python/test_tokenizer_llamacpp_vocab.py reads them from
there and is skipped when they are absent; nothing downloads while tests run.

    python3 tools/fetch_llamacpp_vocab.py [--dest DIR] [--version X.Y.Z] [--force]

Exit status 0 when the cache holds the files (already or now), 1 when the download or the
extraction failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PREFIX = "vendor/llama.cpp/models/ggml-vocab-"
STAMP = ".complete"  # written last: a cache without it is an interrupted fetch


def cache_dir() -> Path:
    value = os.environ.get("MWT_VOCAB_CACHE")
    return Path(value).expanduser() if value else Path("~/.cache/mwt/llamacpp-vocab").expanduser()


def download(work: Path, version: str) -> Path:
    spec = f"llama-cpp-python=={version}" if version else "llama-cpp-python"
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-build-isolation",
           "--no-binary", "llama-cpp-python", "--dest", str(work), "--quiet", spec]
    subprocess.run(cmd, check=True)
    found = sorted(work.glob("llama_cpp_python-*.tar.gz")) + \
        sorted(work.glob("llama-cpp-python-*.tar.gz"))
    if not found:
        raise RuntimeError(f"pip download left no llama-cpp-python sdist in {work}")
    return found[0]


def extract(sdist: Path, dest: Path) -> int:
    """Copies the ggml-vocab-* members out of the sdist into dest (flat); returns their count.
    Members are matched by name and written by basename only, so no path in the archive can
    place a file outside dest."""
    n = 0
    with tarfile.open(sdist, "r:gz") as tar:
        for member in tar:
            name = member.name
            at = name.find(PREFIX)
            if at < 0 or not member.isfile():
                continue
            base = os.path.basename(name)
            if not base.startswith("ggml-vocab-") or "/" in base or base in (".", ".."):
                continue
            src = tar.extractfile(member)
            if src is None:
                continue
            with src, open(dest / base, "wb") as out:
                shutil.copyfileobj(src, out)
            n += 1
    return n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dest", type=Path, default=None, help="cache directory (default: "
                    "$MWT_VOCAB_CACHE or ~/.cache/mwt/llamacpp-vocab)")
    ap.add_argument("--version", default="", help="llama-cpp-python version (default: latest)")
    ap.add_argument("--force", action="store_true", help="fetch again even if cached")
    a = ap.parse_args()
    dest = (a.dest or cache_dir()).expanduser()
    if (dest / STAMP).is_file() and not a.force:
        print(f"llama.cpp vocab files already in {dest}")
        return 0
    dest.mkdir(parents=True, exist_ok=True)
    (dest / STAMP).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="mwt_vocab_") as tmp:
        try:
            sdist = download(Path(tmp), a.version)
            n = extract(sdist, dest)
        except (subprocess.CalledProcessError, OSError, RuntimeError, tarfile.TarError) as e:
            print(f"fetch_llamacpp_vocab: {e}", file=sys.stderr)
            return 1
    if n == 0:
        print(f"fetch_llamacpp_vocab: {sdist.name} holds no {PREFIX}* files", file=sys.stderr)
        return 1
    (dest / STAMP).write_text(f"{sdist.name}\n", encoding="utf-8")
    print(f"{n} llama.cpp vocab files from {sdist.name} in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
