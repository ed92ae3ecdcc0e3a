// The byte-level BPE trainer (tokenizer/train_bpe.hpp) on corpora small enough to derive the
// result by hand from the definitions in docs/tokenizers-train.md: GPT-2's byte table, its
// split pattern, HF BpeTrainer's alphabet, queue order and stopping rules. Agreement with HF
// itself on real corpora is tests/python/test_tokenizer_train.py.
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "tokenizer/train_bpe.hpp"

namespace train = mwt::detail::tok::train;

namespace {

std::vector<std::string> pieces(std::string_view text) {
  static const train::Gpt2Splitter sp;
  std::vector<std::pair<size_t, size_t>> out;
  sp.split(text, out);
  std::vector<std::string> s;
  for (const auto& [b, e] : out) s.emplace_back(text.substr(b, e - b));
  return s;
}

train::WordCounts count(const std::vector<std::string_view>& texts, unsigned threads = 1) {
  auto w = train::count_words_in_texts(texts, threads, nullptr);
  REQUIRE(w.has_value());
  return std::move(*w);
}

train::BpeTrainResult run(const std::vector<std::string_view>& texts,
                          const train::BpeTrainOptions& opt) {
  auto r = train::train_bpe(count(texts), opt, nullptr);
  REQUIRE(r.has_value());
  return std::move(*r);
}

std::vector<std::pair<std::string, std::string>> merge_strings(const train::BpeTrainResult& r) {
  std::vector<std::pair<std::string, std::string>> m;
  for (const auto& [a, b] : r.merges) m.emplace_back(r.vocab[a], r.vocab[b]);
  return m;
}

train::BpeTrainOptions seen_only(uint64_t vocab, uint64_t min_frequency = 0) {
  train::BpeTrainOptions o;
  o.vocab_size = vocab;
  o.min_frequency = min_frequency;
  o.byte_level_alphabet = false;
  return o;
}

using Strings = std::vector<std::string>;
using Merges = std::vector<std::pair<std::string, std::string>>;

}  // namespace

TEST_CASE("GPT-2 byte table: printable bytes are themselves, the rest from U+0100 on",
          "[tokenizer_train]") {
  std::set<std::string> all;
  for (unsigned b = 0; b < 256; ++b) {
    const std::string c(train::byte_level_char(static_cast<uint8_t>(b)));
    all.insert(c);
    CHECK(train::byte_of_byte_level_char(c) == static_cast<int>(b));
  }
  CHECK(all.size() == 256);
  CHECK(train::byte_level_char('a') == "a");
  CHECK(train::byte_level_char('~') == "~");
  CHECK(train::byte_level_char(0xA1) == "\u00A1");
  CHECK(train::byte_level_char(0xAE) == "\u00AE");
  // bytes 0..0x20 are the first 33 unprintable ones: U+0100..U+0120
  CHECK(train::byte_level_char(0x00) == "\u0100");
  CHECK(train::byte_level_char('\n') == "\u010A");
  CHECK(train::byte_level_char(' ') == "\u0120");
  // then 0x7F..0xA0 (U+0121..U+0142) and 0xAD (U+0143)
  CHECK(train::byte_level_char(0x7F) == "\u0121");
  CHECK(train::byte_level_char(0xA0) == "\u0142");
  CHECK(train::byte_level_char(0xAD) == "\u0143");
  CHECK(train::byte_level_string("a b\n") == "a\u0120b\u010A");
  CHECK(train::byte_of_byte_level_char("\u0144") == -1);  // past the 68 remapped bytes
  CHECK(train::byte_of_byte_level_char("ab") == -1);
}

TEST_CASE("GPT-2 split pattern, piece by piece", "[tokenizer_train]") {
  CHECK(pieces("Hello world") == Strings{"Hello", " world"});
  CHECK(pieces("it's they'll I'd") == Strings{"it", "'s", " they", "'ll", " I", "'d"});
  CHECK(pieces("x = 123abc") == Strings{"x", " =", " 123", "abc"});
  CHECK(pieces("a!!  b") == Strings{"a", "!!", " ", " b"});  // a space run leaves its last
  CHECK(pieces("x\n\ny") == Strings{"x", "\n", "\n", "y"});
  CHECK(pieces("end   ") == Strings{"end", "   "});
  CHECK(pieces("\u00e9t\u00e9 \u4e2d\u6587 \u0661\u0662") ==
        Strings{"\u00e9t\u00e9", " \u4e2d\u6587", " \u0661\u0662"});
  // White_Space is HF's \s: U+0085 and U+00A0 are spaces, U+180E and U+200B are not.
  CHECK(pieces("a\u0085\u0085!") == Strings{"a", "\u0085", "\u0085", "!"});
  CHECK(pieces("a\u00a0b") == Strings{"a", "\u00a0", "b"});
  CHECK(pieces("a\u180e\u180e!") == Strings{"a", "\u180e\u180e!"});
  CHECK(pieces("a\u200b!") == Strings{"a", "\u200b!"});
  CHECK(pieces("").empty());
}

TEST_CASE("Split pieces tile long and odd inputs", "[tokenizer_train]") {
  std::string text(1 << 20, ' ');  // one 1 MiB whitespace run: no JIT stack trouble
  text += "x";
  text += std::string(1 << 20, '!');
  text += "\t\r\n\xF0\x9F\x98\x80 \xE2\x80\x8D";
  const auto p = pieces(text);
  std::string joined;
  for (const auto& s : p) {
    CHECK_FALSE(s.empty());
    joined += s;
  }
  CHECK(joined == text);
  CHECK(p[0].size() == (1u << 20) - 1);
  CHECK(p[1] == " x");
}

TEST_CASE("Word counts: every piece of every text, any thread count", "[tokenizer_train]") {
  const std::string big = [] {
    std::string s;
    for (int i = 0; i < 20000; ++i) s += "the cat " + std::to_string(i % 7) + "\n";
    return s;
  }();
  const auto one = count({big, "the end"}, 1);
  const auto four = count({big, "the end"}, 4);
  auto as_set = [](const train::WordCounts& w) {
    std::set<std::pair<std::string, uint64_t>> s;
    for (size_t i = 0; i < w.size(); ++i) s.emplace(std::string(w.word(i)), w.counts[i]);
    return s;
  };
  CHECK(as_set(one) == as_set(four));
  const auto s = as_set(one);
  CHECK(s.count({"the", 20001}) == 1);
  CHECK(s.count({" cat", 20000}) == 1);
  CHECK(s.count({" 3", 20000 / 7 + (20000 % 7 > 3 ? 1 : 0)}) == 1);
  CHECK(s.count({" end", 1}) == 1);
  CHECK(one.sequences == 2);
  CHECK(one.total_words == 20000 * 4 + 2);  // "the", " cat", " N", "\n" per line
}

TEST_CASE("Merges in count order, ties to the smaller id pair", "[tokenizer_train]") {
  // Words "ab" x1, " ab" x2, "\n" x1; alphabet a b \n(U+010A) space(U+0120) by code point.
  // (a,b) = 3 beats (space,a) = 2; then (space,ab) = 2; nothing is left to pair.
  const auto r = run({"ab ab ab\n"}, seen_only(300));
  CHECK(r.vocab == Strings{"a", "b", "\u010A", "\u0120", "ab", "\u0120ab"});
  CHECK(merge_strings(r) == Merges{{"a", "b"}, {"\u0120", "ab"}});
  CHECK(r.stopped_by == "no_pairs");
  // "ba", " ab": (a,b), (b,a), (space,a) all count 1; ids a=0 < b=1 < space=2, so (a,b)
  // first; it turns (space,a) into (space,ab), and (b,a) = (1,0) beats (space,ab) = (2,3).
  const auto t = run({"ba ab"}, seen_only(300));
  CHECK(merge_strings(t) == Merges{{"a", "b"}, {"b", "a"}, {"\u0120", "ab"}});
}

TEST_CASE("Overlapping occurrences merge left to right", "[tokenizer_train]") {
  // "aaaaa" once: (a,a) = 4 -> [aa aa a]; then (aa,a) and (aa,aa) count 1 each and
  // (aa,a) = (1,0) sorts before (aa,aa) = (1,1) -> [aa aaa]; then (aa,aaa).
  const auto r = run({"aaaaa"}, seen_only(300));
  CHECK(merge_strings(r) == Merges{{"a", "a"}, {"aa", "a"}, {"aa", "aaa"}});
  CHECK(r.vocab == Strings{"a", "aa", "aaa", "aaaaa"});
}

TEST_CASE("Stopping: vocab_size counts specials and alphabet; min_frequency", "[tokenizer_train]") {
  auto o = seen_only(5);
  const auto r = run({"ab ab ab\n"}, o);
  CHECK(r.vocab.size() == 5);
  CHECK(r.stopped_by == "vocab_size");
  o.vocab_size = 2;  // smaller than the alphabet: the alphabet still all goes in
  CHECK(run({"ab ab ab\n"}, o).vocab.size() == 4);
  o = seen_only(300, 3);  // (a,b) = 3 merges, (space,ab) = 2 does not
  const auto m = run({"ab ab ab\n"}, o);
  CHECK(merge_strings(m) == Merges{{"a", "b"}});
  CHECK(m.stopped_by == "min_frequency");
  CHECK(m.last_count == 3);
}

TEST_CASE("Special tokens first, in order; the full byte alphabet by code point",
          "[tokenizer_train]") {
  train::BpeTrainOptions o;
  o.vocab_size = 300;
  o.min_frequency = 0;
  o.special_tokens = {"<s>", "</s>", "<s>", "ab"};
  const auto r = run({"ab ab ab\n"}, o);
  REQUIRE(r.vocab.size() >= 3 + 256);
  CHECK(r.vocab[0] == "<s>");
  CHECK(r.vocab[1] == "</s>");
  CHECK(r.vocab[2] == "ab");
  CHECK(r.special_tokens ==
        std::vector<std::pair<std::string, uint32_t>>{{"<s>", 0}, {"</s>", 1}, {"ab", 2}});
  CHECK(r.alphabet_size == 256);
  CHECK(r.vocab[3] == "!");  // U+0021, the smallest code point of the table
  CHECK(r.vocab[3 + 255] == "\u0143");
  // "ab" is a special token already: the merge (a,b) makes no new token.
  CHECK(merge_strings(r) == Merges{{"a", "b"}, {"\u0120", "ab"}});
  CHECK(r.vocab.size() == 3 + 256 + 1);
  CHECK(r.vocab.back() == "\u0120ab");
}

TEST_CASE("limit_alphabet drops the rarest characters from words", "[tokenizer_train]") {
  // counts: a 4, b 3, c 1, space 2. A limit of 3 drops c, which vanishes from "acb": the word
  // reads as "ab".
  auto o = seen_only(300);
  o.limit_alphabet = 3;
  const auto r = run({"acb", "ab ab a"}, o);
  CHECK(r.alphabet_size == 3);
  CHECK(r.vocab[0] == "a");
  CHECK(r.vocab[1] == "b");
  CHECK(r.vocab[2] == "\u0120");
  // (a,b) = 3 ("acb", "ab", " ab") beats (space,a) = 2.
  CHECK(merge_strings(r).front() == std::pair<std::string, std::string>{"a", "b"});
}

TEST_CASE("max_token_length keeps new pairs below the limit", "[tokenizer_train]") {
  auto o = seen_only(300);
  o.max_token_length = 3;
  const auto r = run({"aaaaaaaa"}, o);
  for (size_t i = 1; i < r.vocab.size(); ++i) CHECK(r.vocab[i].size() <= 2);
}

TEST_CASE("tokenizer.json layout", "[tokenizer_train]") {
  train::BpeTrainOptions o = seen_only(300);
  o.special_tokens = {"<|end|>", "q\"\\\n\x01"};
  const std::string j = train::tokenizer_json(run({"ab ab"}, o));
  CHECK(j.find("  \"added_tokens\": [\n    {\n      \"id\": 0,\n      \"content\": \"<|end|>\"") !=
        std::string::npos);
  CHECK(j.find("\"content\": \"q\\\"\\\\\\n\\u0001\"") != std::string::npos);
  CHECK(j.find("\"vocab\": {\n      \"<|end|>\": 0,") != std::string::npos);
  CHECK(j.find("\"merges\": [\n      [\n        \"a\",\n        \"b\"\n      ],") !=
        std::string::npos);
  const std::string tail = "\n      ]\n    ]\n  }\n}";
  CHECK(j.compare(j.size() - tail.size(), tail.size(), tail) == 0);
  const std::string empty = train::tokenizer_json(run({}, seen_only(10)));
  CHECK(empty.find("\"added_tokens\": [],") != std::string::npos);
  CHECK(empty.find("\"vocab\": {},\n    \"merges\": []\n  }\n}") != std::string::npos);
}

TEST_CASE("Cancelling from progress, and errors", "[tokenizer_train]") {
  int calls = 0;
  const train::Progress stop = [&](train::Stage, uint64_t, uint64_t) { return ++calls < 1; };
  const std::vector<std::string_view> texts = {"some text"};
  CHECK_FALSE(train::count_words_in_texts(texts, 1, stop).has_value());
  const auto words = count({"ab ab ab"});
  calls = 0;
  CHECK_FALSE(train::train_bpe(words, seen_only(300), stop).has_value());

  try {
    (void)train::count_words_in_texts(std::vector<std::string_view>{"ok", "bad \xff"}, 1, nullptr);
    FAIL("invalid UTF-8 accepted");
  } catch (const mwt::detail::Error& e) {
    CHECK(e.code() == mwt::detail::Code::BAD_ENCODING);
    CHECK(e.offset() == 4);
    CHECK(e.field() == "texts[1]");
  }
  auto o = seen_only(300);
  o.special_tokens = {""};
  CHECK_THROWS_AS(train::train_bpe(words, o, nullptr), mwt::detail::Error);
}
