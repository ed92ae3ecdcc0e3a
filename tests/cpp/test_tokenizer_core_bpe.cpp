// The BPE model against HF's definition: merges by rank (leftmost on ties), byte fallback, unk
// and fuse_unk, continuing-subword prefix / end-of-word suffix, ignore_merges, vocabularies with
// holes, the loader's checks, and the two merge loops and the word cache agreeing.
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "code_of.hpp"
#include "tok_json.hpp"
#include "tokenizer/bpe.hpp"

using mwt::detail::Code;
using namespace mwt::detail::tok;

TEST_CASE("BPE merges the lowest-ranked pair first, leftmost on ties", "[tokenizer]") {
  TokJson j;
  j.vocab = R"({"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5, "aa": 6})";
  // "b c" outranks "a b": abc -> a bc, and "a bc" is no merge.
  j.merges = R"(["b c", "a b", "ab c", "a a"])";
  auto t = j.load();
  CHECK(t->encode("abc", false) == Ids{0, 4});
  CHECK(t->encode("ab", false) == Ids{3});
  // a a a: both pairs rank the same; the left one merges, the rest cannot.
  CHECK(t->encode("aaa", false) == Ids{6, 0});
  CHECK(t->encode("aaaa", false) == Ids{6, 6});
  CHECK(t->encode("", false).empty());
}

TEST_CASE("BPE merges read the same in the string and the pair form", "[tokenizer]") {
  TokJson s, p;
  s.vocab = p.vocab = R"({"a": 0, "b": 1, "ab": 2, "c": 3, "abc": 4})";
  s.merges = R"(["a b", "ab c"])";
  p.merges = R"([["a", "b"], ["ab", "c"]])";
  CHECK(s.load()->encode("abcab", false) == Ids{4, 2});
  CHECK(p.load()->encode("abcab", false) == Ids{4, 2});
}

TEST_CASE("BPE byte fallback, unk and fuse_unk follow HF's merge_word", "[tokenizer]") {
  auto t = load_tokenizer_json(
      R"({"model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": true,
          "vocab": {"<unk>": 0, "<0xC3>": 1, "<0xA9>": 2, "a": 3}, "merges": []}})",
      {}, {});
  // e-acute is bytes C3 A9, both present.
  CHECK(t->encode("a\xC3\xA9", false) == Ids{3, 1, 2});
  // Omega (CE A9) lacks <0xCE>: unk. A pending unk is flushed by the next known character only,
  // not by byte-fallback tokens, so it comes after the e-acute bytes (HF does the same).
  CHECK(t->encode("\xCE\xA9\xC3\xA9", false) == Ids{1, 2, 0});
  CHECK(t->encode("\xCE\xA9\xC3\xA9"
                  "a",
                  false) == Ids{1, 2, 0, 3});

  TokJson f;
  f.vocab = R"({"<unk>": 0, "a": 1})";
  f.model_extra = R"(, "fuse_unk": true)";
  auto fused = load_tokenizer_json(
      R"({"model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true, "vocab": )" + f.vocab +
          R"(, "merges": []}})",
      {}, {});
  CHECK(fused->encode("xxa", false) == Ids{0, 1});
  auto split = load_tokenizer_json(R"({"model": {"type": "BPE", "unk_token": "<unk>", "vocab": )" +
                                       f.vocab + R"(, "merges": []}})",
                                   {}, {});
  CHECK(split->encode("xxa", false) == Ids{0, 0, 1});
  // No unk token: unknown characters vanish.
  f.model_extra.clear();
  CHECK(f.load()->encode("xxa", false) == Ids{1});
  // An unk token missing from the vocabulary is an error only when the text needs it.
  auto bad = load_tokenizer_json(
      R"({"model": {"type": "BPE", "unk_token": "<nope>", "vocab": {"a": 0}, "merges": []}})", {},
      {});
  CHECK(bad->encode("aa", false) == Ids{0, 0});
  CHECK(code_of([&] { bad->encode("ax", false); }) == Code::BAD_SYNTAX);
}

TEST_CASE("BPE prefix, suffix and ignore_merges", "[tokenizer]") {
  // The merged token is a + b without b's prefix.
  auto pre = load_tokenizer_json(
      R"({"model": {"type": "BPE", "continuing_subword_prefix": "##",
          "vocab": {"a": 0, "##b": 1, "ab": 2, "##c": 3, "abc": 4}, "merges": [["a", "##b"],
          ["ab", "##c"]]}})",
      {}, {});
  CHECK(pre->encode("abc", false) == Ids{4});
  CHECK(pre->encode("b", false).empty());  // "b" first in a word has no prefix: unknown
  auto suf = load_tokenizer_json(
      R"({"model": {"type": "BPE", "end_of_word_suffix": "</w>",
          "vocab": {"a": 0, "b</w>": 1, "ab</w>": 2, "b": 3}, "merges": ["a b</w>"]}})",
      {}, {});
  CHECK(suf->encode("ab", false) == Ids{2});
  // "b" starts the word (no suffix); "a" ends it as "a</w>", which is unknown and dropped.
  CHECK(suf->encode("ba", false) == Ids{3});
  TokJson ig;
  ig.vocab = R"({"a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4})";
  ig.merges = R"(["a b"])";
  CHECK(ig.load()->encode("abc", false) == Ids{3, 2});
  ig.model_extra = R"(, "ignore_merges": true)";
  CHECK(ig.load()->encode("abc", false) == Ids{4});
  CHECK(ig.load()->encode("ab", false) == Ids{3});
}

TEST_CASE("BPE vocabularies with holes and bad model JSON", "[tokenizer]") {
  TokJson j;
  j.vocab = R"({"a": 0, "b": 5, "ab": 9})";
  j.merges = R"(["a b"])";
  auto t = j.load();
  CHECK(t->encode("ab", false) == Ids{9});
  CHECK(t->vocab_size() == 3);
  CHECK_FALSE(t->id_to_token(3).has_value());
  CHECK(t->id_to_token(5) == "b");

  auto code = [](const std::string& vocab, const std::string& merges,
                 const std::string& extra = "") {
    TokJson k;
    k.vocab = vocab;
    k.merges = merges;
    k.model_extra = extra;
    return code_of([&] { k.load(); });
  };
  CHECK(code(R"({"a": 0, "b": 0})", "[]") == Code::DUPLICATE);
  CHECK(code(R"({"a": 0, "a": 1})", "[]") == Code::DUPLICATE);
  CHECK(code(R"({"a": -1})", "[]") == Code::BAD_SYNTAX);
  CHECK(code(R"({"a": 1.5})", "[]") == Code::BAD_SYNTAX);
  CHECK(code(R"({"a": "0"})", "[]") == Code::BAD_SYNTAX);
  CHECK(code(R"({"a": 2000000000})", "[]") == Code::LIMIT_EXCEEDED);  // no 2e9-entry table
  CHECK(code(R"({"a": 0, "b": 1})", R"(["a c"])") == Code::BAD_SYNTAX);
  CHECK(code(R"({"a": 0, "b": 1})", R"(["a b"])") == Code::BAD_SYNTAX);  // "ab" missing
  CHECK(code(R"({"a": 0, "b": 1, "ab": 2})", R"(["a  b"])") == Code::BAD_SYNTAX);
  CHECK(code(R"({"a": 0, "b": 1, "ab": 2})", R"(["ab"])") == Code::BAD_SYNTAX);
  CHECK(code(R"({"a": 0, "b": 1, "ab": 2})", R"([["a"]])") == Code::BAD_SYNTAX);
  auto dropout = [](const char* d) {
    return code_of([&] {
      load_tokenizer_json(std::string(R"({"model": {"type": "BPE", "dropout": )") + d +
                              R"(, "vocab": {"a": 0}, "merges": []}})",
                          {}, {});
    });
  };
  CHECK(dropout("0.1") == Code::UNSUPPORTED_FEATURE);
  CHECK(dropout("0.0") == Code::OK);  // HF's "no dropout" as much as null is
  CHECK(dropout("null") == Code::OK);
  // The error names the JSON path of the bad value.
  try {
    TokJson k;
    k.vocab = R"({"a": 0, "b": true})";
    k.load();
    FAIL("no error");
  } catch (const mwt::detail::Error& e) {
    CHECK(e.field() == "model.vocab.b");
  }
}

TEST_CASE("BPE scan and heap merge loops agree, and so does the cache", "[tokenizer]") {
  // A vocabulary over {a, b, c} with every merge of two known tokens up to length 4, ranked
  // in a shuffled order: many competing merges, as in real vocabularies.
  std::vector<std::string> vocab = {"a", "b", "c"};
  std::vector<std::pair<std::string, std::string>> merges;
  std::mt19937 rng(7);
  for (int round = 0; round < 3; ++round) {
    const size_t n = vocab.size();
    for (size_t i = 0; i < n; ++i) {
      for (size_t k = 0; k < n; ++k) {
        const std::string m = vocab[i] + vocab[k];
        if (m.size() > 4 || rng() % 3 == 0) continue;
        if (std::find(vocab.begin(), vocab.end(), m) == vocab.end()) vocab.push_back(m);
        merges.emplace_back(vocab[i], vocab[k]);
      }
    }
  }
  std::shuffle(merges.begin(), merges.end(), rng);
  BpeConfig c;
  c.vocab = vocab;
  c.merges = merges;
  auto model = make_bpe(c);
  for (int trial = 0; trial < 400; ++trial) {
    std::string w;
    const size_t len = 1 + rng() % 120;
    for (size_t i = 0; i < len; ++i) w += "abc"[rng() % 3];
    std::vector<TokenId> scan, heap, cached;
    bpe_tokenize_uncached(*model, w, BpeMergeLoop::Scan, scan);
    bpe_tokenize_uncached(*model, w, BpeMergeLoop::Heap, heap);
    model->tokenize(w, cached);
    model->tokenize(w, cached);  // the second call is a cache hit
    REQUIRE(scan == heap);
    REQUIRE(cached.size() == 2 * scan.size());
    CHECK(std::equal(scan.begin(), scan.end(), cached.begin()));
    CHECK(std::equal(scan.begin(), scan.end(), cached.begin() + scan.size()));
    // The ids spell the word back.
    std::string back;
    for (TokenId id : scan) back += *model->id_to_token(id);
    CHECK(back == w);
  }
}

TEST_CASE("one BPE tokenizer serves many threads", "[tokenizer][concurrency]") {
  TokJson j;
  j.vocab = R"({"a": 0, "b": 1, "ab": 2, "ba": 3, "aba": 4})";
  j.merges = R"(["a b", "ab a", "b a"])";
  auto t = j.load();
  std::vector<std::string> words;
  std::mt19937 rng(3);
  for (int i = 0; i < 300; ++i) {
    std::string w;
    for (size_t k = 0, n = 1 + rng() % 40; k < n; ++k) w += "ab"[rng() % 2];
    words.push_back(w);
  }
  std::vector<Ids> expect;
  for (const auto& w : words) expect.push_back(t->encode(w, false));
  std::vector<int> bad(8, 0);
  std::vector<std::thread> threads;
  for (int th = 0; th < 8; ++th) {
    threads.emplace_back([&, th] {
      for (int rep = 0; rep < 20; ++rep) {
        for (size_t i = 0; i < words.size(); ++i) {
          if (t->encode(words[(i + th * 37) % words.size()], false) !=
              expect[(i + th * 37) % words.size()]) {
            ++bad[th];
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int b : bad) CHECK(b == 0);
}
