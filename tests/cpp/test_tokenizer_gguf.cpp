// GGUF tokenizers (tokenizer/gguf_tokenizer.hpp, gguf_pre.hpp): the tokenizer.ggml.pre table,
// byte-level BPE, SentencePiece BPE, Unigram and WordPiece vocabularies built from GGUF bytes,
// and the malformed-key cases. Expected ids follow from the vocabularies the tests define (BPE
// merges by rank, SentencePiece merges by score, Viterbi over scores, greedy WordPiece) and
// from llama.cpp's rules (BOS / EOS framing, space prefix, control tokens matched first).
#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "gguf_vocab_bytes.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/gguf_pre.hpp"
#include "tokenizer/gguf_tokenizer.hpp"
#include "tokenizer/regex.hpp"

using namespace gguf_tok_test;
using mwt::detail::Code;
using mwt::detail::Error;
using mwt::detail::tok::TokenId;
using mwt::detail::tok::Tokenizer;
namespace tok = mwt::detail::tok;

namespace {

std::unique_ptr<Tokenizer> load(const std::vector<Kv>& kvs) {
  const auto wf = gguf_test::open_bytes(gguf_file(kvs));
  return tok::load_gguf_tokenizer(*wf);
}

// Loading fails with `code`, naming `field`.
void expect_load_error(const std::vector<Kv>& kvs, Code code, const std::string& field) {
  try {
    load(kvs);
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(std::string(mwt::detail::code_name(e.code())) == mwt::detail::code_name(code));
    CHECK(e.field() == field);
    return;
  }
  FAIL("expected " << mwt::detail::code_name(code) << " naming " << field);
}

std::vector<std::string> split(std::string_view pre, const std::string& text) {
  const auto p = tok::make_gguf_pre_tokenizer(pre);
  REQUIRE(p != nullptr);
  std::vector<tok::Piece> pieces{tok::Piece{text, 0, text.size(), -1}};
  p->split(pieces);
  std::vector<std::string> out;
  for (const auto& x : pieces) out.push_back(x.text);
  return out;
}

using Ids = std::vector<TokenId>;

// ids 0..255: bytes; then merges; then the extra tokens.
const BpeVocab& hello_vocab() {
  static const BpeVocab v = bpe_vocab(
      {{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"\xC4\xA0", "w"}},
      {{"<|endoftext|>", tok::TOKEN_CONTROL}, {"<tool>", tok::TOKEN_USER_DEFINED}, {"xyz", 1}});
  return v;
}

}  // namespace

TEST_CASE("gguf pre table: every name resolves, patterns compile, names are unique",
          "[tokenizer][gguf]") {
  const auto names = tok::gguf_pre_names();
  const std::set<std::string_view> unique(names.begin(), names.end());
  CHECK(unique.size() == names.size());
  for (std::string_view must :
       {"default",     "llama3",       "llama-bpe",      "qwen2",     "gpt-2",     "starcoder",
        "smollm",      "deepseek-llm", "deepseek-coder", "falcon",    "refact",    "command-r",
        "olmo",        "dbrx",         "jais",           "mpt",       "stablelm2", "tekken",
        "chatglm-bpe", "viking",       "bloom",          "poro-chat", "gpt-4o"})
    CHECK(unique.count(must) == 1);
  for (std::string_view name : names) {
    INFO(name);
    const auto row = tok::find_gguf_pre(name);
    REQUIRE(row);
    CHECK(!row->patterns.empty());
    for (std::string_view p : row->patterns) CHECK_NOTHROW(tok::Regex(p));
    CHECK(tok::make_gguf_pre_tokenizer(name) != nullptr);
  }
  CHECK_FALSE(tok::find_gguf_pre("kimi-k2"));
  CHECK(tok::make_gguf_pre_tokenizer("no-such-pre") == nullptr);
  // Flags the names set in llama.cpp's loader.
  CHECK(tok::find_gguf_pre("llama-bpe")->ignore_merges);
  CHECK(tok::find_gguf_pre("llama-bpe")->add_bos);
  CHECK_FALSE(tok::find_gguf_pre("dbrx")->add_bos);
  CHECK_FALSE(tok::find_gguf_pre("qwen2")->clean_spaces);
  CHECK(tok::find_gguf_pre("gpt-2")->clean_spaces);
  CHECK_FALSE(tok::find_gguf_pre("glm4")->default_bos);
}

TEST_CASE("gguf pre table: the splits of GPT-2, LLaMA-3, Qwen2 and StarCoder",
          "[tokenizer][gguf]") {
  // U+0120 is the byte alphabet's space, U+010A its newline.
  CHECK(split("gpt-2", "Hello world's  123!!\n") ==
        std::vector<std::string>{"Hello", "\xC4\xA0world", "'s", "\xC4\xA0",
                                 "\xC4\xA0"
                                 "123",
                                 "!!", "\xC4\x8A"});
  // Digits in threes, a letter run keeps one leading non-letter.
  CHECK(split("llama-bpe", "1234567 abc") == std::vector<std::string>{"123", "456", "7",
                                                                      "\xC4\xA0"
                                                                      "abc"});
  // One digit per piece; U+5E74 is bytes E5 B9 B4, each a two-byte symbol of the alphabet.
  CHECK(split("qwen2", "2024 \xE5\xB9\xB4") ==
        std::vector<std::string>{"2", "0", "2", "4", "\xC4\xA0\xC3\xA5\xC2\xB9\xC2\xB4"});
  // StarCoder isolates every digit first, then runs GPT-2's pattern on what is left.
  CHECK(split("starcoder", "x=12") == std::vector<std::string>{"x", "=", "1", "2"});
  // LLaMA-3's contractions are case-insensitive; GPT-2's are not.
  CHECK(split("llama3", "IT'S") == std::vector<std::string>{"IT", "'S"});
  CHECK(split("gpt-2", "IT'S") == std::vector<std::string>{"IT", "'", "S"});
}

TEST_CASE("gguf gpt2: merges by rank, control and user-defined tokens, BOS", "[tokenizer][gguf]") {
  const BpeVocab& v = hello_vocab();
  const auto t = load(bpe_keys(v, "gpt-2"));
  const TokenId eot = v.id("<|endoftext|>"), tool = v.id("<tool>");
  CHECK(t->vocab_size() == v.tokens.size());
  CHECK(t->encode("hello world", false) ==
        Ids{v.id("hello"), v.id("\xC4\xA0w"), 'o', 'r', 'l', 'd'});
  CHECK(t->encode("hello<|endoftext|>", true) == Ids{v.id("hello"), eot});  // no add_bos: none
  CHECK(t->encode("a<tool>b", false) == Ids{'a', tool, 'b'});
  CHECK(t->is_special(eot));
  CHECK_FALSE(t->is_special(tool));
  CHECK(t->decode(Ids{eot, v.id("hello"), tool}, true) == "hello<tool>");
  CHECK(t->decode(Ids{eot, v.id("hello")}, false) == "<|endoftext|>hello");
  const std::string text = "hello world\n\tnaïve  x<tool>y";
  CHECK(t->decode(t->encode(text, false), false) == text);
  CHECK(t->token_to_id("<tool>") == tool);
  CHECK(t->id_to_token(v.id("\xC4\xA0w")) == std::string_view("\xC4\xA0w"));
  // "xyz" is a token no merge reaches: only ignore_merges (llama-bpe) takes it whole.
  CHECK(t->encode("xyz", false) == Ids{'x', 'y', 'z'});
  CHECK(load(bpe_keys(v, "llama-bpe"))->encode("xyz", false) == Ids{v.id("xyz")});

  // add_bos_token (llama-bpe's default is on) frames with the bos id, and only on request.
  auto keys = with(bpe_keys(v, "llama-bpe"), "tokenizer.ggml.bos_token_id",
                   kv_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(eot)));
  const auto b = load(keys);
  CHECK(b->encode("hello", true) == Ids{eot, v.id("hello")});
  CHECK(b->encode("hello", false) == Ids{v.id("hello")});
  CHECK(b->info.add_bos);
  keys = with(keys, "tokenizer.ggml.add_bos_token", kv_bool("tokenizer.ggml.add_bos_token", false));
  keys = with(keys, "tokenizer.ggml.add_eos_token", kv_bool("tokenizer.ggml.add_eos_token", true));
  keys = with(keys, "tokenizer.ggml.eos_token_id", kv_u32("tokenizer.ggml.eos_token_id", 0));
  CHECK(load(keys)->encode("hello", true) == Ids{v.id("hello"), 0});
  // Without a pre key llama.cpp uses "default"; the info says what the file said.
  const auto d = load(with(bpe_keys(v, "x"), "tokenizer.ggml.pre", std::nullopt));
  CHECK(d->info.gguf_pre.empty());
  CHECK(d->encode("hello", false) == Ids{v.id("hello")});
  CHECK(t->info.source == "gguf");
  CHECK(t->info.gguf_model == "gpt2");
  CHECK(t->info.gguf_pre == "gpt-2");
  // The end-of-turn id is found by its text when no key names it.
  CHECK(t->special.eot == Ids{eot});
}

namespace {

// SentencePiece BPE with byte fallback: <unk> <s> </s>, 256 byte pieces, then scored pieces.
std::vector<Kv> spm_keys(bool space_prefix) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {2, 3, 3};
  std::vector<float> scores = {0, 0, 0};
  const char* hex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">");
    types.push_back(6);
    scores.push_back(0);
  }
  for (const auto& [t, s] : std::vector<std::pair<std::string, float>>{{"\xE2\x96\x81", -1},
                                                                       {"\xE2\x96\x81h", -4},
                                                                       {"\xE2\x96\x81hi", -5},
                                                                       {"i", -3},
                                                                       {"h", -2}}) {
    tokens.push_back(t);
    types.push_back(1);
    scores.push_back(s);
  }
  return {kv_str("tokenizer.ggml.model", "llama"), kv_strs("tokenizer.ggml.tokens", tokens),
          kv_f32s("tokenizer.ggml.scores", scores), kv_i32s("tokenizer.ggml.token_type", types),
          kv_bool("tokenizer.ggml.add_space_prefix", space_prefix)};
}

constexpr TokenId kSpace = 259, kSpaceH = 260, kSpaceHi = 261, kI = 262, kH = 263;
constexpr TokenId byte_id(int b) { return 3 + b; }

}  // namespace

TEST_CASE("gguf llama: SentencePiece BPE, space prefix, byte fallback, BOS", "[tokenizer][gguf]") {
  const auto t = load(spm_keys(true));
  CHECK(t->encode("hi", true) == Ids{1, kSpaceHi});  // add_bos is llama's default
  CHECK(t->encode("hi", false) == Ids{kSpaceHi});
  // U+00E9 has no piece: its UTF-8 bytes C3 A9 as byte pieces.
  CHECK(t->encode("h\xC3\xA9", false) == Ids{kSpaceH, byte_id(0xC3), byte_id(0xA9)});
  // A space is written before every run of text, also the one after a control token.
  CHECK(t->encode("hi</s>", false) == Ids{kSpaceHi, 2});
  CHECK(t->encode("</s>hi", false) == Ids{2, kSpaceHi});
  CHECK(t->encode(" hi", false) == Ids{kSpace, kSpaceHi});
  CHECK(t->decode(Ids{1, kSpaceH, byte_id(0xC3), byte_id(0xA9)}, true) == "h\xC3\xA9");
  CHECK(t->decode(Ids{1, kSpaceHi}, false) == "<s> hi");
  const std::string text = "hi h\xC3\xA9 ih\n  x";
  CHECK(t->decode(t->encode(text, true), true) == text);
  CHECK(t->special.bos == 1);
  CHECK(t->special.eos == 2);
  CHECK(t->special.unk == 0);
  const auto bare = load(spm_keys(false));
  CHECK(bare->encode("hi", false) == Ids{kH, kI});
}

TEST_CASE("gguf t5: Unigram with llama.cpp's space rules and EOS", "[tokenizer][gguf]") {
  const std::vector<std::string> tokens = {"<pad>",
                                           "</s>",
                                           "<unk>",
                                           "\xE2\x96\x81",
                                           "\xE2\x96\x81"
                                           "a",
                                           "b",
                                           "\xE2\x96\x81"
                                           "ab"};
  auto keys = std::vector<Kv>{kv_str("tokenizer.ggml.model", "t5"),
                              kv_strs("tokenizer.ggml.tokens", tokens),
                              kv_f32s("tokenizer.ggml.scores", {0, 0, 0, -2, -1, -3, -2.5f}),
                              kv_i32s("tokenizer.ggml.token_type", {3, 3, 2, 1, 1, 1, 1}),
                              kv_bool("tokenizer.ggml.add_space_prefix", true),
                              kv_bool("tokenizer.ggml.remove_extra_whitespaces", true)};
  const auto t = load(keys);
  // An unknown id outside the vocabulary (and the default 2 absent): no text could be encoded.
  expect_load_error(
      with(keys, "tokenizer.ggml.unknown_token_id", kv_u32("tokenizer.ggml.unknown_token_id", 99)),
      Code::OUT_OF_BOUNDS, R"(kv["tokenizer.ggml.unknown_token_id"])");
  expect_load_error(
      {kv_str("tokenizer.ggml.model", "t5"), kv_strs("tokenizer.ggml.tokens", {"<pad>", "</s>"})},
      Code::BAD_SYNTAX, R"(kv["tokenizer.ggml.unknown_token_id"])");
  CHECK(t->encode("ab", true) == Ids{6, 1});             // "▁ab" beats "▁a" + "b"; EOS appended
  CHECK(t->encode("  ab   b ", false) == Ids{6, 3, 5});  // runs collapse, ends trimmed
  keys = with(keys, "tokenizer.ggml.remove_extra_whitespaces",
              kv_bool("tokenizer.ggml.remove_extra_whitespaces", false));
  CHECK(load(keys)->encode("  ab", false) == Ids{3, 3, 6});  // every space kept, one prefix
  CHECK(t->decode(Ids{6, 3, 5, 1}, true) == "ab b");
  // A charsmap must hold its size header and a double array that fits.
  expect_load_error(with(keys, "tokenizer.ggml.precompiled_charsmap",
                         kv_u8s("tokenizer.ggml.precompiled_charsmap", {1, 0})),
                    Code::TRUNCATED, R"(kv["tokenizer.ggml.precompiled_charsmap"])");
  expect_load_error(with(keys, "tokenizer.ggml.precompiled_charsmap",
                         kv_u8s("tokenizer.ggml.precompiled_charsmap", {8, 0, 0, 0, 0, 0})),
                    Code::OUT_OF_BOUNDS, R"(kv["tokenizer.ggml.precompiled_charsmap"])");
}

TEST_CASE("gguf bert: WordPiece from the phantom-space vocabulary", "[tokenizer][gguf]") {
  const std::string sp = "\xE2\x96\x81";
  const std::vector<std::string> tokens = {"[PAD]",  "[UNK]",      "[CLS]",      "[SEP]",
                                           "[MASK]", sp + "hello", sp + "world", sp + "un",
                                           "aff",    "able",       sp + "!"};
  const auto t = load(
      {kv_str("tokenizer.ggml.model", "bert"), kv_strs("tokenizer.ggml.tokens", tokens),
       kv_i32s("tokenizer.ggml.token_type", {3, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1}),
       kv_u32("tokenizer.ggml.unknown_token_id", 1), kv_u32("tokenizer.ggml.cls_token_id", 2),
       kv_u32("tokenizer.ggml.seperator_token_id", 3), kv_u32("tokenizer.ggml.padding_token_id", 0),
       kv_u32("tokenizer.ggml.mask_token_id", 4)});
  // Lowercased, punctuation split off, "unaffable" = "un" "##aff" "##able"; "," is unknown.
  CHECK(t->encode("Hello, unaffable world!", true) == Ids{2, 5, 1, 7, 8, 9, 6, 10, 3});
  CHECK(t->id_to_token(8) == std::string_view("##aff"));
  CHECK(t->decode(Ids{2, 5, 7, 8, 9, 6, 10, 3}, true) == "hello unaffable world!");
}

TEST_CASE("gguf tokenizer keys: malformed values name their key", "[tokenizer][gguf]") {
  const BpeVocab& v = hello_vocab();
  const auto base = bpe_keys(v, "gpt-2");
  expect_load_error(with(base, "tokenizer.ggml.model", std::nullopt), Code::BAD_SYNTAX,
                    R"(kv["tokenizer.ggml.model"])");
  expect_load_error(with(base, "tokenizer.ggml.model", kv_str("tokenizer.ggml.model", "rwkv")),
                    Code::UNSUPPORTED_FEATURE, R"(kv["tokenizer.ggml.model"])");
  expect_load_error(with(base, "tokenizer.ggml.pre", kv_str("tokenizer.ggml.pre", "kimi-k2")),
                    Code::UNSUPPORTED_FEATURE, R"(kv["tokenizer.ggml.pre"])");
  expect_load_error(with(base, "tokenizer.ggml.tokens", kv_str("tokenizer.ggml.tokens", "a")),
                    Code::TYPE_MISMATCH, R"(kv["tokenizer.ggml.tokens"])");
  expect_load_error(with(base, "tokenizer.ggml.tokens", kv_strs("tokenizer.ggml.tokens", {})),
                    Code::BAD_SYNTAX, R"(kv["tokenizer.ggml.tokens"])");
  expect_load_error(with(base, "tokenizer.ggml.tokens", std::nullopt), Code::BAD_SYNTAX,
                    R"(kv["tokenizer.ggml.tokens"])");
  expect_load_error(
      with(base, "tokenizer.ggml.token_type", kv_i32s("tokenizer.ggml.token_type", {1, 1})),
      Code::SIZE_MISMATCH, R"(kv["tokenizer.ggml.token_type"])");
  expect_load_error(with(base, "tokenizer.ggml.scores", kv_f32s("tokenizer.ggml.scores", {0})),
                    Code::SIZE_MISMATCH, R"(kv["tokenizer.ggml.scores"])");
  expect_load_error(
      with(base, "tokenizer.ggml.token_type", kv_f32s("tokenizer.ggml.token_type", {0})),
      Code::TYPE_MISMATCH, R"(kv["tokenizer.ggml.token_type"])");
  const auto n = static_cast<uint32_t>(v.tokens.size());
  expect_load_error(
      with(base, "tokenizer.ggml.bos_token_id", kv_u32("tokenizer.ggml.bos_token_id", n)),
      Code::OUT_OF_BOUNDS, R"(kv["tokenizer.ggml.bos_token_id"])");
  expect_load_error(
      with(base, "tokenizer.ggml.eos_token_id", kv_str("tokenizer.ggml.eos_token_id", "1")),
      Code::TYPE_MISMATCH, R"(kv["tokenizer.ggml.eos_token_id"])");
  expect_load_error(
      with(base, "tokenizer.ggml.add_bos_token", kv_u32("tokenizer.ggml.add_bos_token", 1)),
      Code::TYPE_MISMATCH, R"(kv["tokenizer.ggml.add_bos_token"])");
  auto dup = v.tokens;
  dup.back() = dup[5];
  expect_load_error(with(base, "tokenizer.ggml.tokens", kv_strs("tokenizer.ggml.tokens", dup)),
                    Code::DUPLICATE,
                    "kv[\"tokenizer.ggml.tokens\"].value[" + std::to_string(dup.size() - 1) + "]");
  auto merges = v.merges;
  merges[2] = "hell";
  expect_load_error(with(base, "tokenizer.ggml.merges", kv_strs("tokenizer.ggml.merges", merges)),
                    Code::BAD_SYNTAX, R"(kv["tokenizer.ggml.merges"].value[2])");
  expect_load_error(with(base, "tokenizer.ggml.merges", std::nullopt), Code::BAD_SYNTAX,
                    R"(kv["tokenizer.ggml.merges"])");
  // glm4 clears the default bos id: add_bos_token then needs the key.
  expect_load_error(
      with(with(base, "tokenizer.ggml.pre", kv_str("tokenizer.ggml.pre", "glm4")),
           "tokenizer.ggml.add_bos_token", kv_bool("tokenizer.ggml.add_bos_token", true)),
      Code::BAD_SYNTAX, R"(kv["tokenizer.ggml.add_bos_token"])");
  // Not GGUF: there are no tokenizer.ggml.* keys to read.
  mwt::detail::WeightFile st;
  st.format = mwt::detail::Format::SAFETENSORS;
  CHECK_THROWS_AS(tok::load_gguf_tokenizer(st), Error);
  CHECK_FALSE(tok::has_gguf_tokenizer(st));
}

TEST_CASE("gguf tokenizer keys: random token types and texts give ids in range",
          "[tokenizer][gguf]") {
  const BpeVocab& v = hello_vocab();
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> type(-3, 9), byte(0, 255), len(0, 40);
  for (int round = 0; round < 60; ++round) {
    std::vector<int32_t> types(v.tokens.size());
    for (auto& t : types) t = type(rng);
    std::unique_ptr<Tokenizer> t;
    try {
      t = load(with(bpe_keys(v, round % 2 ? "llama-bpe" : "qwen2"), "tokenizer.ggml.token_type",
                    kv_i32s("tokenizer.ggml.token_type", types)));
    } catch (const Error& e) {
      FAIL("a vocabulary with any token types loads: " << e.what());
    }
    // Random code points (surrogates skipped): encode takes UTF-8 only.
    std::string text;
    for (int i = len(rng); i > 0; --i) {
      uint32_t c = static_cast<uint32_t>(byte(rng)) << (round % 3 * 4);
      if (c >= 0xD800 && c < 0xE000) c = 'x';
      if (c < 0x80) {
        text += static_cast<char>(c);
      } else if (c < 0x800) {
        text += static_cast<char>(0xC0 | (c >> 6));
        text += static_cast<char>(0x80 | (c & 0x3F));
      } else {
        text += static_cast<char>(0xE0 | (c >> 12));
        text += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        text += static_cast<char>(0x80 | (c & 0x3F));
      }
    }
    for (const bool special : {false, true})
      for (TokenId id : t->encode(text, special)) {
        CHECK(id >= 0);
        CHECK(static_cast<size_t>(id) < t->vocab_size());
      }
  }
}
