// Regex (the Oniguruma dialect on PCRE2, the onig crate's iteration) and the pre-tokenizers
// (split behaviours, ByteLevel and its alphabet, Metaspace, the character-class splitters,
// Sequence), with expected pieces derived from HF's definitions.
#include <catch2/catch.hpp>

#include "code_of.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/pre_tokenizers.hpp"
#include "tokenizer/regex.hpp"
#include "tokenizer/regex_syntax.hpp"

using mwt::detail::Code;
using namespace mwt::detail::tok;
using Strs = std::vector<std::string>;
using Ranges = std::vector<std::pair<size_t, size_t>>;

namespace {

Strs pieces_of(const PreTokenizer& p, std::string_view text, size_t begin = 0) {
  std::vector<Piece> v(1);
  v[0].text = std::string(text);
  v[0].begin = begin;
  v[0].end = begin + text.size();
  p.split(v);
  Strs out;
  for (const auto& x : v) out.push_back(x.text);
  return out;
}

Ranges matches(std::string_view pattern, std::string_view text) {
  Ranges r;
  Regex(pattern).find_all(text, r);
  return r;
}

}  // namespace

TEST_CASE("regex classes mean what Oniguruma's do", "[tokenizer]") {
  // \s is White_Space: NEL (U+0085) yes, the Mongolian vowel separator (U+180E) no.
  CHECK(matches("\\s",
                "a\xC2\x85"
                "b") == Ranges{{1, 3}});
  CHECK(matches("\\s",
                "a\xE1\xA0\x8E"
                "b")
            .empty());
  CHECK(matches("[^\\s]+",
                "a\xC2\x85"
                "b") == Ranges{{0, 1}, {3, 4}});
  // \w takes combining marks (U+0301) and connector punctuation (U+203F), not ZWJ.
  CHECK(matches("\\w+", "e\xCC\x81\xE2\x80\xBF") == Ranges{{0, 6}});
  CHECK(matches("\\w+",
                "a\xE2\x80\x8D"
                "b") == Ranges{{0, 1}, {4, 5}});
  // Alphabetic counts (circled letter r, So), fractions do not, except that outside a class
  // Oniguruma also takes superscript two and one half.
  CHECK(matches("\\w+", "\xE2\x93\xA1") == Ranges{{0, 3}});
  CHECK(matches("\\w", "\xC2\xB2\xC2\xBD") == Ranges{{0, 2}, {2, 4}});
  CHECK(matches("[\\w]", "\xC2\xB2").empty());
  CHECK(matches("\\w", "\xE0\xA7\xB4").empty());  // Bengali currency numerator one
  // Ruby's \h is a hex digit; {,2} is {0,2}; (?m) is dot-all; $ ends every line.
  CHECK(matches("\\h+", "xa0F g") == Ranges{{1, 4}});
  CHECK(matches("a{,2}b", "aaab") == Ranges{{1, 4}});
  CHECK(matches("(?m:a.b)", "a\nb") == Ranges{{0, 3}});
  CHECK(matches("a.b", "a\nb").empty());
  CHECK(matches("x$", "x\nx") == Ranges{{0, 1}, {2, 3}});
  // Nested classes are unions in Oniguruma.
  CHECK(matches("[a[bc]]+", "abcd") == Ranges{{0, 3}});
  CHECK(code_of([] { translate_onig_pattern("[a[^b]]"); }) == Code::UNSUPPORTED_FEATURE);
  CHECK(translate_onig_pattern("\\u00e9") == "\\x{00e9}");
  CHECK(code_of([] { Regex r("(unclosed"); }) == Code::ARGUMENT);
}

TEST_CASE("regex iteration skips an empty match where the last match ended", "[tokenizer]") {
  CHECK(matches("x*", "ab") == Ranges{{0, 0}, {1, 1}, {2, 2}});
  CHECK(matches("a*", "aab") == Ranges{{0, 2}, {3, 3}});
  CHECK(matches("", "") == Ranges{{0, 0}});
  // Lookbehind sees text before the search start.
  CHECK(matches("(?<=a)b", "abab") == Ranges{{1, 2}, {3, 4}});
  // An empty match advances by a whole character, never into one.
  CHECK(matches("x*", "\xC3\xA9") == Ranges{{0, 0}, {2, 2}});
}

TEST_CASE("regex input that is not UTF-8 is BAD_ENCODING", "[tokenizer]") {
  Regex r("a");
  Ranges out;
  CHECK(code_of([&] { r.find_all("a\xFF", out); }) == Code::BAD_ENCODING);
  CHECK(code_of([&] { r.find_all("\xC3", out); }) == Code::BAD_ENCODING);
  CHECK(code_of([&] { r.find_all("\xED\xA0\x80", out); }) == Code::BAD_ENCODING);  // surrogate
}

TEST_CASE("Split keeps and merges delimiters as each HF behaviour says", "[tokenizer]") {
  // "a--b-": runs a | - | - | b | - (matches are each "-").
  auto split = [](SplitBehavior b, bool invert = false) {
    return pieces_of(*make_split("-", false, b, invert), "a--b-");
  };
  CHECK(split(SplitBehavior::Isolated) == Strs{"a", "-", "-", "b", "-"});
  CHECK(split(SplitBehavior::Removed) == Strs{"a", "b"});
  CHECK(split(SplitBehavior::MergedWithPrevious) == Strs{"a-", "-", "b-"});
  CHECK(split(SplitBehavior::MergedWithNext) == Strs{"a", "-", "-b", "-"});
  CHECK(split(SplitBehavior::Contiguous) == Strs{"a", "--", "b", "-"});
  CHECK(split(SplitBehavior::Removed, true) == Strs{"-", "-", "-"});
  // Inverted, the letters are the matches: b joins the "-" before it.
  CHECK(split(SplitBehavior::MergedWithPrevious, true) == Strs{"a", "-", "-b", "-"});
  // A String pattern is literal text, a Regex pattern is not.
  CHECK(pieces_of(*make_split(".", false, SplitBehavior::Removed, false), "a.b") == Strs{"a", "b"});
  CHECK(pieces_of(*make_split(".", true, SplitBehavior::Removed, false), "a.b").empty());
  CHECK(pieces_of(*make_split("-", false, SplitBehavior::Isolated, false), "").empty());
}

TEST_CASE("ByteLevel: GPT-2 split and the bytes_to_unicode alphabet", "[tokenizer]") {
  const ByteLevelChar* a = byte_level_alphabet();
  auto cp = [&](int b) {
    size_t len = 0;
    return decode_utf8_at(std::string_view(a[b].bytes, a[b].len), 0, len);
  };
  // Printable bytes are themselves; the others take U+0100.. in byte order:
  // 0x00..0x20 -> U+0100..U+0120, 0x7F..0xA0 -> U+0121..U+0142, 0xAD -> U+0143.
  CHECK(cp('A') == 'A');
  CHECK(cp(0xE9) == 0xE9);
  CHECK(cp(0x00) == 0x100);
  CHECK(cp(' ') == 0x120);
  CHECK(cp('\n') == 0x10A);
  CHECK(cp(0x7F) == 0x121);
  CHECK(cp(0xA0) == 0x142);
  CHECK(cp(0xAD) == 0x143);

  auto bl = make_byte_level(false, true);
  CHECK(pieces_of(*bl, "Hello world's  end") == Strs{"Hello", "\xC4\xA0world", "'s", "\xC4\xA0",
                                                     "\xC4\xA0"
                                                     "end"});
  CHECK(pieces_of(*bl, "a 12\n") == Strs{"a",
                                         "\xC4\xA0"
                                         "12",
                                         "\xC4\x8A"});
  // add_prefix_space adds one space unless the piece starts with one.
  CHECK(pieces_of(*make_byte_level(true, true), "hi") == Strs{"\xC4\xA0hi"});
  CHECK(pieces_of(*make_byte_level(true, true), " hi") == Strs{"\xC4\xA0hi"});
  // Without the regex the piece is only mapped; e-acute is two bytes, two characters.
  CHECK(pieces_of(*make_byte_level(false, false), "a b\xC3\xA9") == Strs{"a\xC4\xA0"
                                                                         "b\xC3\x83\xC2\xA9"});
}

TEST_CASE("Metaspace replaces spaces, prepends by scheme, splits before each marker",
          "[tokenizer]") {
  const std::string m = "\xE2\x96\x81";  // U+2581
  auto always = make_metaspace_scheme(m, PrependScheme::Always, true);
  CHECK(pieces_of(*always, "hello world") == Strs{m + "hello", m + "world"});
  CHECK(pieces_of(*always, "  a") == Strs{m, m + "a"});
  CHECK(pieces_of(*always, m + "x") == Strs{m + "x"});  // starts with the marker already
  auto first = make_metaspace_scheme(m, PrependScheme::First, true);
  CHECK(pieces_of(*first, "a b", 0) == Strs{m + "a", m + "b"});
  CHECK(pieces_of(*first, "a b", 3) == Strs{"a", m + "b"});  // not the input's start
  auto never = make_metaspace_scheme(m, PrependScheme::Never, false);
  CHECK(pieces_of(*never, "a b") == Strs{"a" + m + "b"});
  CHECK(pieces_of(*make_metaspace(m, true, true), "a", 0) == Strs{m + "a"});
}

TEST_CASE("the character-class pre-tokenizers", "[tokenizer]") {
  CHECK(pieces_of(*make_whitespace(), "Hello, world!  x_1") ==
        Strs{"Hello", ",", "world", "!", "x_1"});
  // Whitespace is HF's regex-crate \w: ZWJ is a word character there.
  CHECK(pieces_of(*make_whitespace(), "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9") ==
        Strs{"\xF0\x9F\x91\xA8", "\xE2\x80\x8D", "\xF0\x9F\x91\xA9"});
  // HF's punctuation table predates Unicode 10: U+2E43 (Po since 10.0) is not punctuation.
  CHECK(pieces_of(*make_punctuation(SplitBehavior::Isolated),
                  "a\xE2\xB9\x83"
                  "b") == Strs{"a\xE2\xB9\x83"
                               "b"});
  CHECK(pieces_of(*make_whitespace_split(),
                  " a\tb\xC2\x85"
                  "c  ") == Strs{"a", "b", "c"});
  CHECK(pieces_of(*make_punctuation(SplitBehavior::Isolated), "a,b!!") ==
        Strs{"a", ",", "b", "!", "!"});
  CHECK(pieces_of(*make_punctuation(SplitBehavior::Contiguous), "a,b!!") ==
        Strs{"a", ",", "b", "!!"});
  CHECK(pieces_of(*make_digits(false), "a123b4") == Strs{"a", "123", "b", "4"});
  CHECK(pieces_of(*make_digits(true), "a12") == Strs{"a", "1", "2"});
  // N* counts: superscript two (No) is a digit here.
  CHECK(pieces_of(*make_digits(false), "x\xC2\xB2") == Strs{"x", "\xC2\xB2"});
  // BERT: whitespace removed, then every punctuation character alone ($ and ^ are ASCII
  // punctuation, the ideographic full stop is Po).
  CHECK(pieces_of(*make_bert_pre_tokenizer(), "Hi, $5^ ok\xE3\x80\x82") ==
        Strs{"Hi", ",", "$", "5", "^", "ok", "\xE3\x80\x82"});
  CHECK(pieces_of(*make_char_delimiter_split('|'), "a|b||c") == Strs{"a", "b", "c"});
}

TEST_CASE("a Sequence pre-tokenizer refines each piece with the next part", "[tokenizer]") {
  std::vector<std::unique_ptr<PreTokenizer>> parts;
  parts.push_back(make_whitespace_split());
  parts.push_back(make_digits(true));
  parts.push_back(make_byte_level(false, false));
  auto seq = make_sequence_pre_tokenizer(std::move(parts));
  CHECK(pieces_of(*seq, "ab12 c") == Strs{"ab", "1", "2", "c"});
  // Added-token pieces pass through untouched.
  std::vector<Piece> v(2);
  v[0].text = "x y";
  v[1].text = "<s> y";
  v[1].added = 7;
  seq->split(v);
  REQUIRE(v.size() == 3);
  CHECK(v[2].text == "<s> y");
  CHECK(v[2].added == 7);
}
