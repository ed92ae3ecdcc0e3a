"""Shared pieces of the t-models parity tests (test_tokenizer_models*_hf.py): the test-only
driver tests/cpp/tools/tok_models_tool (found under $MWT_BUILD_DIR, default build/release), and
the texts the tokenizers are trained and compared on: Python's own sources (shipped with the
interpreter) plus lines written here in many scripts. Not a test module."""

from __future__ import annotations

import json
import os
import random
import subprocess
import tempfile
import unicodedata
from pathlib import Path
from typing import Any, Dict, List

import pytest

ROOT = Path(__file__).resolve().parents[2]
STDLIB = Path(os.__file__).parent

# Prose and symbols in many scripts: accents (precomposed and combining), Greek final sigma,
# Turkish dotted I, RTL scripts, Indic conjuncts, Thai, CJK (with extension B), Hangul (syllables
# and jamo), fullwidth / halfwidth forms, ligatures, circled and superscript digits, emoji with
# skin tones, ZWJ families, flags and keycaps, zero-width and control characters.
MULTI = [
    "The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX!",
    "Voilà un café très naïve à l'hôtel — déjà vu, coöperate, façade.",
    "Ein Fußgänger überquert die Straße; Ärger über Öl und Übermaß.",
    "¿Dónde está el niño? ¡Mañana será otro día, señor!",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "ΟΔΥΣΣΕΥΣ και Οδυσσέας: ΣΟΦΟΣ σοφός, τελικό ς και Σ.",
    "İstanbul'da ılık bir gün; IĞDIR ve ığdır.",
    "مرحبا بالعالم، هذا نص عربي مع أرقام ١٢٣٤٥.",
    "שלום עולם, זהו טקסט בעברית עם ניקוד: שָׁלוֹם.",
    "नमस्ते दुनिया, क्षत्रिय श्रृंखला द्वार अर्द्ध।",
    "বাংলা ভাষা ক্ষমতা স্বাধীনতা।",
    "தமிழ் மொழி ஸ்ரீ க்ஷ.",
    "ภาษาไทยเป็นภาษาที่สวยงาม ๑๒๓",
    "中文文本的测试，包括标点符号。漢字と𠀀𠀁𪚥。",
    "日本語のテキスト、カタカナとひらがな。ｶﾀｶﾅ ﾊﾟﾋﾟﾌﾟ ｶﾞ",
    "한국어 텍스트입니다. 자모: 한 글",
    "Tiếng Việt có nhiều dấu: Nguyễn, người, đường, ở đâu?",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３ and ﬁne ﬂow ﬀ, ①②③ x² H₂O ½ ™ ℃ Å",
    "Combining: e\u0301 a\u0300 o\u0308 n\u0303 A\u030a \u1e9b\u0323 q\u0307\u0323",
    "Emoji: 😀 👍🏽 👩🏾‍💻 👨‍👩‍👧‍👦 🏳️‍🌈 🇫🇷🇯🇵 1️⃣ ❤️ 🫠🥲",
    "Zero width:\u200bhere\u200cand\u200dthere\u2060\ufeffbom, nbsp\u00a0and\u3000ideo",
    "Controls:\x01\x02\x1b[0m\x7f\x85 tab\there\r\nCRLF and U+FFFD \ufffd, private \ue000.",
    "math: ∀x∈ℝ, ∑ᵢ xᵢ² ≤ ∞; ≠ ≈ ⊂ ⊕ √2 π≈3.14159",
    "    indented    with     many      spaces     ",
    "tabs\t\tand\nnew\n\nlines\r\r and\x0bvt\x0cff",
    "ǅemal ǈubljana ǋ ẞ ß Ꭰ ꭰ 𐐀 𐐨 Ⅻ ⅻ ᾈ ᾀ",
]


def tool() -> Path:
    build = Path(os.environ.get("MWT_BUILD_DIR", str(ROOT / "build" / "release")))
    exe = build / "tests" / "tok_models_tool"
    if not exe.is_file():
        pytest.skip(f"{exe} is not built (cmake --build {build} --target tok_models_tool)")
    return exe


def run_tool(mode: str, path: str | Path, request: Dict[str, Any]) -> Dict[str, Any]:
    """Runs the native driver; a library error comes back as {"error", "message"}."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(request, f, ensure_ascii=False)
        req = f.name
    try:
        r = subprocess.run([str(tool()), mode, str(path), req], capture_output=True, timeout=600)
    finally:
        os.unlink(req)
    assert r.returncode in (0, 2), (r.returncode, r.stderr.decode(errors="replace"))
    out: Dict[str, Any] = json.loads(r.stdout.decode("utf-8"))
    return out


def component_file(tmp: Path, state: bytes) -> Path:
    """A tokenizer.json component (a normalizer's or decoder's __getstate__) as a file."""
    p = tmp / f"component_{abs(hash(state))}.json"
    p.write_bytes(state)
    return p


def stdlib_text(max_bytes: int, seed: int = 0) -> str:
    """Python sources from the interpreter's stdlib, shuffled by file, up to max_bytes."""
    files = sorted(STDLIB.glob("*.py"))
    random.Random(seed).shuffle(files)
    parts: List[str] = []
    size = 0
    for f in files:
        t = f.read_text(encoding="utf-8", errors="replace")
        parts.append(t)
        size += len(t.encode())
        if size >= max_bytes:
            break
    return "\n".join(parts)


def training_text(max_bytes: int = 400_000) -> str:
    return stdlib_text(max_bytes, seed=1) + "\n" + "\n".join(MULTI * 20)


def held_out_lines(n_stdlib: int = 1500) -> List[str]:
    """Lines the tokenizers were not trained on: other stdlib files, the multi-script lines and
    mixtures of them, whitespace runs, blocks of several lines."""
    src = stdlib_text(300_000, seed=7).splitlines()
    rng = random.Random(3)
    lines = [ln for ln in src if ln.strip()][:n_stdlib]
    out = list(MULTI) + lines
    for _ in range(200):
        out.append(" ".join(rng.choice(MULTI) for _ in range(3)))
        out.append("\n".join(rng.choice(lines) for _ in range(8)))
    out += ["", " ", "   ", "\n", "a", "  a  b  ", "\t\tx", "x" * 300, "ab" * 200]
    return out


def assigned_code_points() -> List[int]:
    """Code points assigned in Python's Unicode database (14.0), surrogates excluded: the range
    compared code point by code point. Later additions are left out on purpose: HF's Rust std
    knows Unicode 17 case mappings that utf8proc 2.8 (Unicode 15) does not
    (docs/tokenizers-models.md#unicode-versions)."""
    return [c for c in range(1, 0x110000)
            if not 0xD800 <= c < 0xE000 and unicodedata.category(chr(c)) != "Cn"]


def code_point_chunks(cps: List[int], sep: str = "\x01", size: int = 4000) -> List[str]:
    """The code points as texts of `size` characters each, separated by `sep`."""
    cps = [c for c in cps if chr(c) != sep]
    return [sep.join(chr(c) for c in cps[i:i + size]) + sep for i in range(0, len(cps), size)]
