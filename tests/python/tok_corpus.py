"""The tokenizer test corpus: >= 1 MB of mixed text built deterministically from files that ship
with the Python installation (standard-library sources: code, comments, docstrings) and short
passages written here in many scripts, with emoji and ZWJ sequences, whitespace runs (tabs,
newlines, NBSP, ideographic space, line separators), control characters and combining marks.

``documents()`` cuts it into documents of a few hundred to a few thousand characters (the unit the
parity tests compare, so a mismatch is reported with its document and position);
``training_text()`` is a smaller, differently-seeded mix that the fixtures train on, so the
vocabularies cover every script the corpus uses.

Lone surrogates and invalid UTF-8 cannot be text here (HF ``tokenizers`` refuses a ``str`` holding
a lone surrogate); ``broken_utf8_samples()`` gives byte strings that the tests decode with
``errors="replace"`` for the oracle and pass as ``bytes`` to mwt.
"""

from __future__ import annotations

import functools
import random
import sysconfig
from pathlib import Path
from typing import List, Tuple

MIN_BYTES = 1_100_000  # the acceptance bar is 1 MB; a margin keeps it there after edits

# Short passages, one per script, written for this corpus (not quotations).
PASSAGES: Tuple[str, ...] = (
    # Latin script: English, French, German, Polish, Vietnamese (precomposed and combining),
    # Turkish dotted/dotless i, Icelandic.
    "The quick tokenizer splits text into pieces; each piece becomes one or more ids. "
    "It's what they'd call a 'fast path', isn't it? We'll see: 3.14159, 2,718 and 1e-9.",
    "Le tokeniseur découpe le texte en morceaux : « où est-ce qu'on s'arrête ? » "
    "Ça dépend de l'œuvre, du cœur et de l'été dernier.",
    "Der Zerleger trennt Wörter an Grenzen: Straße, Größe, Übermäßig, ÄÖÜ äöü ß ẞ.",
    "Zażółć gęślą jaźń — pchnąć w tę łódź jeża lub ośm skrzyń fig.",
    "Tiếng Việt có nhiều dấu: người, được, những, thuở, và chữ ghép.",
    "Tie\u0302\u0301ng Vie\u0323\u0302t (combining marks) e\u0301 a\u0300 o\u0308 n\u0303",
    "İstanbul'da ılık bir gün; DİKKAT: ıIiİ büyük ve küçük harfler.",
    "Þetta er íslenska: ð, þ, æ, ö — Ísland og Færeyjar.",
    # Cyrillic, Greek, Armenian, Georgian
    "Токенизатор делит текст на части. Съешь же ещё этих мягких французских булок, да "
    "выпей чаю! Ёлка, йод, щука, ъ и ь.",
    "Україна: ґанок, їжак, єнот. Беларусь: ўзор, іней.",
    "Ο γρήγορος διαχωριστής κόβει το κείμενο σε κομμάτια· ξεσκεπάζω την ψυχοφθόρα βδελυγμία. "
    "Άλφα, Ωμέγα, ΐ, ΰ, ς.",
    "Հայերեն տեքստ՝ բառեր և կետադրություն։",
    "ქართული ენა: ანბანი, სიტყვები და წინადადებები.",
    # Right-to-left: Arabic (with tashkeel and Arabic-Indic digits), Hebrew (with niqqud), Persian
    "يقسم المحلل النص إلى أجزاء. العربية تُكتب من اليمين إلى اليسار: ١٢٣٤٥٦٧٨٩٠، مَرْحَبًا.",
    "המפרק מחלק את הטקסט לחלקים. שָׁלוֹם עוֹלָם, 2024 ו־״ציטוט״.",
    "فارسی: این یک متن آزمایشی است، با ۱۲۳ و «گیومه».",
    # South and South-East Asian scripts
    "टोकनाइज़र पाठ को टुकड़ों में बाँटता है। "
    "हिन्दी में संयुक्ताक्षर: क्ष, त्र, ज्ञ, श्र। ०१२३४५६७८९",
    "বাংলা লিপিতে লেখা একটি বাক্য।",
    "தமிழ் எழுத்துகள்: க, ங, ச, ஞ — ஒரு சோதனை வாக்கியம்.",
    "ตัวตัดคำแบ่งข้อความเป็นส่วนๆ ภาษาไทยไม่มีช่องว่างระหว่างคำ เช่นนี้เป็นต้น ๑๒๓",
    "ພາສາລາວ ແລະ ភាសាខ្មែរ ជាអក្សរ។",
    "မြန်မာဘာသာ စာကြောင်း။",
    # East Asian: Chinese (simplified and traditional), Japanese, Korean, full-width forms
    "分词器把文本切成片段，每个片段变成一个或多个编号。汉字、标点符号和数字１２３都要处理。",
    "繁體中文的句子：這是一個測試，包含「引號」與『書名號』。",
    "トークナイザーはテキストを断片に分けます。ひらがな、カタカナ、漢字が混ざった文章です。ｶﾀｶﾅ半角も。",
    "토크나이저는 텍스트를 조각으로 나눕니다. 한글 자모: ㄱㄴㄷ, 완성형: 가나다라.",
    "ＡＢＣ　全角スペース　と　ｆｕｌｌ－ｗｉｄｔｈ　ｆｏｒｍｓ！？",
    # Ethiopic, Cherokee, Mongolian, Tibetan, Sinhala, math, symbols
    "ኢትዮጵያ የአማርኛ ፊደል ነው።",
    "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ (Cherokee syllabary)",
    "ᠮᠣᠩᠭᠣᠯ ᠪᠢᠴᠢᠭ᠌ and བོད་ཡིག་ and සිංහල අකුරු",
    "∀x∈ℝ: x² ≥ 0; ∑ᵢ aᵢ ≠ ∏ⱼ bⱼ; α→β ⇒ ¬γ; 𝔸𝕓𝒞 𝟘𝟙𝟚; ½ ¾ ⅞; ℃ ℉ № ™ © ®",
    "Money: $100, €99.99, £5, ¥1000, ₹500, ₿0.01 — ranges 1–2, dashes —, ellipsis…",
)

# Emoji with modifiers, ZWJ families and professions, flags, keycaps, variation selectors.
EMOJI: Tuple[str, ...] = (
    "😀", "😂", "🤖", "👍🏽", "👋🏿", "👨‍👩‍👧‍👦", "👩‍💻", "🧑🏾‍🚀", "🏳️‍🌈", "🏴‍☠️",
    "❤️", "❤️‍🔥", "🇺🇸", "🇯🇵", "🇪🇺", "1️⃣", "#️⃣", "☺︎", "✌🏻", "🫶", "🦀🐍",
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # tag sequence
)

# Whitespace and invisible characters, including the ones byte-level regexes treat specially.
WHITESPACE: Tuple[str, ...] = (
    " ", "  ", "    ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", "\r\n", "\r", " \n ", "\u00a0",
    "\u3000", "\u2009", "\u200a", "\u2028", "\u2029", "\u200b", "\u202f", "\u205f", "\u0085",
    "\u000b", "\u000c", "\u180e", "\ufeff", "\u200d", "\u200e", "\u200f", " \t \n",
)

# C0 and C1 controls and DEL (NUL included: HF tokenizes it like any other character).
CONTROLS: Tuple[str, ...] = tuple(chr(c) for c in (*range(0, 9), 14, 15, 16, 27, 31, 127,
                                                   0x80, 0x9B, 0x9F))


def stdlib_dir() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


@functools.cache
def _stdlib_sources() -> Tuple[str, ...]:
    """The standard library's top-level modules, sorted by name (stable across runs)."""
    out = []
    for p in sorted(stdlib_dir().glob("*.py")):
        try:
            out.append(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
    if not out:
        raise RuntimeError(f"no standard-library sources under {stdlib_dir()}")
    return tuple(out)


def _chunk(rng: random.Random, text: str, lo: int, hi: int) -> str:
    """A slice of `text` starting at a line start, `lo`..`hi` characters long."""
    if len(text) <= lo:
        return text
    start = rng.randrange(0, len(text) - lo)
    nl = text.rfind("\n", 0, start)
    start = nl + 1 if nl >= 0 else 0
    return text[start:start + rng.randint(lo, hi)]


def _prose(rng: random.Random, n: int) -> str:
    """`n` passages in random order, joined by spaces, newlines and now and then an emoji."""
    parts = []
    for _ in range(n):
        parts.append(rng.choice(PASSAGES))
        r = rng.random()
        parts.append(rng.choice(EMOJI) + " " if r < 0.2 else "\n" if r < 0.5 else " ")
    return "".join(parts)


def _noise(rng: random.Random, n: int) -> str:
    """Whitespace runs, controls, emoji, digits and punctuation between words."""
    words = ("alpha", "Beta", "GAMMA", "δέλτα", "эпсилон", "זטא", "ηтα", "θ", "日本", "ไทย")
    parts = []
    for _ in range(n):
        r = rng.random()
        if r < 0.3:
            parts.append(rng.choice(WHITESPACE) * rng.randint(1, 6))
        elif r < 0.45:
            parts.append(rng.choice(CONTROLS))
        elif r < 0.6:
            parts.append(rng.choice(EMOJI))
        elif r < 0.75:
            parts.append(str(rng.randint(0, 10 ** rng.randint(1, 12))))
        elif r < 0.85:
            parts.append(rng.choice("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") * rng.randint(1, 4))
        else:
            parts.append(rng.choice(words))
    return "".join(parts)


def _contractions(rng: random.Random) -> str:
    """The cases the GPT-2 / LLaMA-3 regexes special-case: 's 't 're 've 'm 'll 'd, any case."""
    forms = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'M", "'LL",
             "'D", "’s", "'x")
    stems = ("it", "IT", "they", "We", "I", "you", "she", "don", "can")
    return " ".join(rng.choice(stems) + rng.choice(forms) for _ in range(12)) + "\n"


def _document(rng: random.Random, sources: Tuple[str, ...]) -> str:
    kind = rng.random()
    if kind < 0.45:
        return _chunk(rng, rng.choice(sources), 300, 3000)          # code as it ships
    if kind < 0.75:
        return _prose(rng, rng.randint(3, 12))                       # prose in many scripts
    if kind < 0.9:                                                   # code with prose inside
        return (_chunk(rng, rng.choice(sources), 200, 800) + _prose(rng, 2)
                + _chunk(rng, rng.choice(sources), 100, 400))
    return _noise(rng, rng.randint(40, 200)) + _contractions(rng)   # hostile mixtures


@functools.cache
def documents(seed: int = 13, min_bytes: int = MIN_BYTES) -> Tuple[str, ...]:
    """The corpus as documents; together at least `min_bytes` of UTF-8."""
    rng = random.Random(seed)
    sources = _stdlib_sources()
    docs: List[str] = [
        # Fixed documents first: edge cases every run sees at the same index.
        "", " ", "  ", "\n", "a", "é", "😀", "👨‍👩‍👧‍👦", "\u00a0", "\u3000", "\x00", "\t\n \r\n",
        "Hello world", " Hello world", "Hello  world ", "   leading and trailing   ",
        "".join(PASSAGES), "".join(EMOJI), "".join(WHITESPACE), "".join(CONTROLS),
        "1234567890 12 123 1234 12345 0.5 -7 1,000,000", _contractions(random.Random(1)),
    ]
    size = sum(len(d.encode("utf-8")) for d in docs)
    while size < min_bytes:
        d = _document(rng, sources)
        docs.append(d)
        size += len(d.encode("utf-8"))
    return tuple(docs)


def corpus_bytes() -> int:
    return sum(len(d.encode("utf-8")) for d in documents())


@functools.cache
def training_text(seed: int = 5, n_bytes: int = 400_000) -> str:
    """Text the fixture tokenizers are trained on: code plus every passage several times, so the
    trained vocabularies hold pieces of every script (a different seed from the corpus)."""
    rng = random.Random(seed)
    sources = _stdlib_sources()
    parts = ["".join(PASSAGES) * 3, "".join(EMOJI) * 3]
    size = 0
    while size < n_bytes:
        part = _chunk(rng, rng.choice(sources), 500, 4000) if rng.random() < 0.6 else \
            _prose(rng, 8)
        parts.append(part)
        size += len(part.encode("utf-8"))
    return "\n".join(parts)


def broken_utf8_samples() -> Tuple[bytes, ...]:
    """Byte strings that are not valid UTF-8: lone surrogates as Python's surrogatepass writes
    them, truncated sequences, overlong forms, stray continuation bytes, bytes never used."""
    return (
        "a\ud800b".encode("utf-8", "surrogatepass"),
        "\udfff".encode("utf-8", "surrogatepass"),
        "x\ud83d\ude00y".encode("utf-8", "surrogatepass"),  # a surrogate pair spelled as two
        b"caf\xc3",                  # truncated 2-byte sequence at the end
        b"\xe2\x82 euro",            # truncated 3-byte sequence
        b"\xf0\x9f\x98 emoji",       # truncated 4-byte sequence
        b"\xc0\xafslash",            # overlong '/'
        b"\xe0\x80\xaf",             # overlong 3-byte
        b"\x80\x81\xbf continuation", b"\xfe\xff bytes", b"\xf5\x80\x80\x80 above U+10FFFF",
        b"ok \xed\xa0\x80 \xed\xbf\xbf ok", b"Hello \xff world \xc3\xa9 done",
    )
