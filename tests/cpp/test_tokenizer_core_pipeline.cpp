// The Tokenizer pipeline: added tokens (HF AddedVocabulary: leftmost-longest, single_word,
// lstrip, rstrip, normalized, special, id assignment), post-processors, decode, the
// tokenizer_config.json / special_tokens_map.json readers, and the loader's errors.
#include <random>

#include <catch2/catch.hpp>

#include "code_of.hpp"
#include "tok_json.hpp"

using mwt::detail::Code;
using namespace mwt::detail::tok;

namespace {

// One id per character: a b c ' ' < > s x, no merges.
TokJson chars() {
  TokJson j;
  j.vocab = R"({"a": 0, "b": 1, "c": 2, " ": 3, "<": 4, ">": 5, "s": 6, "x": 7})";
  return j;
}

class LowerAscii final : public Normalizer {
 public:
  void normalize(std::string& s) const override {
    for (char& c : s) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
  }
};

}  // namespace

TEST_CASE("added tokens are split out first, longest match first", "[tokenizer]") {
  TokJson j = chars();
  j.added = "[" + added_token(0, "<s>", true, false) + "," + added_token(0, "ab", false, true) +
            "," + added_token(0, "<s>x", true, false) + "]";
  auto t = j.load();
  // Ids are assigned as HF assigns them: past the model vocabulary, in order.
  CHECK(t->token_to_id("<s>") == 8);
  CHECK(t->token_to_id("ab") == 9);
  CHECK(t->token_to_id("<s>x") == 10);
  CHECK(t->vocab_size() == 11);
  CHECK(t->encode("a<s>abc", false) == Ids{0, 8, 9, 2});
  CHECK(t->encode("a<s>xb", false) == Ids{0, 10, 1});
  CHECK(t->encode("<s", false) == Ids{4, 6});
  CHECK(t->is_special(8));
  CHECK_FALSE(t->is_special(9));
  CHECK_FALSE(t->is_special(0));
  CHECK(t->id_to_token(10) == "<s>x");
  CHECK(t->id_to_token(2) == "c");
  CHECK_FALSE(t->id_to_token(11).has_value());
  // No decoder: HF joins the token strings with spaces; specials can be skipped.
  CHECK(t->decode(Ids{0, 8, 1}, false) == "a <s> b");
  CHECK(t->decode(Ids{0, 8, 1}, true) == "a b");
  CHECK(t->decode(Ids{0, 999, -1, 1}, false) == "a b");  // unknown ids are dropped
}

TEST_CASE("single_word, lstrip and rstrip follow HF's match rules", "[tokenizer]") {
  TokJson j = chars();
  j.added =
      "[" + added_token(0, "ab", false, true, true) + "," + added_token(0, "bc", false, true) + "]";
  auto t = j.load();  // ab = 8, bc = 9
  CHECK(t->encode(" ab ", false) == Ids{3, 8, 3});
  CHECK(t->encode("ab>", false) == Ids{8, 5});
  // "cabc": "ab" is found first and refused (c is a word character); the search goes on after
  // it, so the "bc" overlapping it is not found either.
  CHECK(t->encode("cabc", false) == Ids{2, 0, 1, 2});
  CHECK(t->encode("cbc", false) == Ids{2, 9});

  TokJson s = chars();
  s.added = "[" + added_token(0, "<s>", true, false, false, true, true) + "]";
  auto st = s.load();  // <s> = 8, eats the whitespace around it
  CHECK(st->encode("a  <s>  b", false) == Ids{0, 8, 1});
  CHECK(st->encode("a\t<s>\xC2\x85"
                   "b",
                   false) == Ids{0, 8, 1});  // Unicode White_Space
  // The second match's lstrip stops where the first one's rstrip ended.
  CHECK(st->encode("<s> <s>", false) == Ids{8, 8});
}

TEST_CASE("normalized added tokens match the normalized text, the others the raw text",
          "[tokenizer]") {
  Tokenizer t;
  BpeConfig c;
  c.vocab = {"a", "b", "x", "<", "S", ">", "s"};
  t.model = make_bpe(c);
  t.normalizer = std::make_unique<LowerAscii>();
  t.added = {{"AB", 7, false, false, false, false, true},  // matched after lowercasing
             {"<S>", 8, true, false, false, false, false}};
  t.finalize();
  CHECK(t.encode("xABx", false) == Ids{2, 7, 2});
  CHECK(t.encode("xabx", false) == Ids{2, 7, 2});
  CHECK(t.encode("<S>", false) == Ids{8});
  // "<s>" is not the raw "<S>"; after lowercasing it is three characters.
  CHECK(t.encode("<s>", false) == Ids{3, 6, 5});
  CHECK(t.vocab_size() == 9);
}

TEST_CASE("added-token ids are replayed as HF assigns them, not read from the file",
          "[tokenizer]") {
  TokJson j = chars();
  j.added = "[" + added_token(100, "<x>", true, false) + "," + added_token(1, "b", true, false) +
            "," + added_token(200, "<y>", false, true) + "," + added_token(5, "<x>", true, false) +
            "]";
  auto t = j.load();
  CHECK(t->token_to_id("<x>") == 8);
  CHECK(t->token_to_id("b") == 1);  // already in the model: keeps the model id
  CHECK(t->token_to_id("<y>") == 9);
  CHECK(t->vocab_size() == 10);
  CHECK(t->is_special(1));
  CHECK(t->encode("abc", false) == Ids{0, 1, 2});
}

TEST_CASE("post-processors add special tokens as HF's process_encodings", "[tokenizer]") {
  TokJson j = chars();
  j.added = "[" + added_token(0, "<s>", true, false) + "," + added_token(0, "</s>", true, false) +
            "]";  // 8, 9
  const std::string tmpl =
      R"({"type": "TemplateProcessing",
          "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}}],
          "pair": ["<s>", "$A", "</s>", "$B:1", "</s>"],
          "special_tokens": {"<s>": {"id": "<s>", "ids": [8], "tokens": ["<s>"]},
                             "</s>": {"id": "</s>", "ids": [9], "tokens": ["</s>"]}}})";
  const std::string bert = R"({"type": "BertProcessing", "sep": ["</s>", 9], "cls": ["<s>", 8]})";
  const std::string roberta = R"({"type": "RobertaProcessing", "sep": ["</s>", 9],
      "cls": ["<s>", 8], "trim_offsets": true, "add_prefix_space": false})";
  auto with = [&](const std::string& post) {
    TokJson k = j;
    k.post_processor = post;
    return k.load();
  };
  auto t = with(tmpl);
  CHECK(t->encode("ab", true) == Ids{8, 0, 1});
  CHECK(t->encode("ab", false) == Ids{0, 1});
  CHECK(t->encode_pair("a", "b", true) == Ids{8, 0, 9, 1, 9});
  CHECK(t->encode_pair("a", "b", false) == Ids{0, 1});
  CHECK(t->post_processor->added_tokens(false) == 1);
  CHECK(t->post_processor->added_tokens(true) == 3);
  auto b = with(bert);
  CHECK(b->encode("a", true) == Ids{8, 0, 9});
  CHECK(b->encode_pair("a", "b", true) == Ids{8, 0, 9, 1, 9});
  auto r = with(roberta);
  CHECK(r->encode_pair("a", "b", true) == Ids{8, 0, 9, 9, 1, 9});
  CHECK(r->encode_pair("a", "b", false) == Ids{0, 1});
  // Sequence passes the list on: the template leaves [<s>] [A], which Bert reads as a pair.
  auto tb = with(R"({"type": "Sequence", "processors": [{"type": "ByteLevel"}, )" + tmpl + ", " +
                 bert + "]}");
  CHECK(tb->encode("a", true) == Ids{8, 8, 9, 0, 9});
  auto bt = with(R"({"type": "Sequence", "processors": [)" + bert + ", " + tmpl + "]}");
  CHECK(bt->encode("a", true) == Ids{8, 8, 0, 9});
  // A special id no token has is refused at load, so every id encode returns decodes.
  CHECK(code_of([&] {
          with(R"({"type": "BertProcessing", "sep": ["</s>", 99], "cls": ["<s>", 8]})");
        }) == Code::BAD_SYNTAX);
  // A template naming an undefined special token is refused at load.
  CHECK(code_of([&] {
          with(R"({"type": "TemplateProcessing", "single": ["<q>", "$A"], "pair": ["$A"],
                   "special_tokens": {}})");
        }) == Code::ARGUMENT);
}

TEST_CASE("truncation and padding as HF's post_process applies them", "[tokenizer]") {
  TokJson j = chars();
  j.added = "[" + added_token(0, "<s>", true, false) + "," + added_token(0, "</s>", true, false) +
            "]";  // 8, 9
  j.post_processor = R"({"type": "BertProcessing", "sep": ["</s>", 9], "cls": ["<s>", 8]})";
  auto with = [&](const std::string& trunc, const std::string& pad = "null") {
    TokJson k = j;
    k.truncation = trunc;
    k.padding = pad;
    return k.load();
  };
  const std::string a = "abcxsxa";  // 0 1 2 7 6 7 0
  const std::string b = "xsx";      // 7 6 7
  // Room is kept for the 2 (single) or 3 (pair) special tokens.
  auto right = with(R"({"max_length": 6, "strategy": "LongestFirst", "direction": "Right"})");
  CHECK(right->encode(a, true) == Ids{8, 0, 1, 2, 7, 9});
  CHECK(right->encode(a, false) == Ids{0, 1, 2, 7, 6, 7});
  // Pair, 3 places: the shorter gets 1 and the longer 2 (HF's halving, odd place to the
  // longer).
  CHECK(right->encode_pair(a, b, true) == Ids{8, 0, 1, 9, 7, 9});
  auto left = with(R"({"max_length": 6, "direction": "Left"})");
  CHECK(left->encode(a, true) == Ids{8, 7, 6, 7, 0, 9});
  // Fewer places than special tokens: HF's subtraction wraps and nothing is cut.
  CHECK(with(R"({"max_length": 1})")->encode(a, true).size() == 9);
  CHECK(with(R"({"max_length": 0})")->encode(a, false).empty());
  auto first = with(R"({"max_length": 9, "strategy": "OnlyFirst"})");
  CHECK(first->encode_pair(a, b, true) == Ids{8, 0, 1, 2, 9, 7, 6, 7, 9});
  auto second = with(R"({"max_length": 4, "strategy": "OnlySecond"})");
  CHECK(code_of([&] { second->encode(a, true); }) == Code::ARGUMENT);
  CHECK(code_of([&] { second->encode_pair(b, a, true); }) == Code::ARGUMENT);  // too short
  auto fixed = with("null", R"({"strategy": {"Fixed": 10}, "direction": "Left", "pad_id": 3})");
  CHECK(fixed->encode("ab", true) == Ids{3, 3, 3, 3, 3, 3, 8, 0, 1, 9});
  CHECK(fixed->encode(a + a, false).size() == 14);  // longer than Fixed: left alone
  auto multiple = with("null", R"({"strategy": "BatchLongest", "pad_to_multiple_of": 4,
                                   "pad_id": 3})");
  CHECK(multiple->encode("abc", true) == Ids{8, 0, 1, 2, 9, 3, 3, 3});
  CHECK(multiple->encode("ab", true) == Ids{8, 0, 1, 9});
}

TEST_CASE("tokenizer_config.json and special_tokens_map.json", "[tokenizer]") {
  TokJson j = chars();
  j.added = "[" + added_token(0, "<s>", true, false) + "]";
  const std::string config = R"({
    "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
    "add_bos_token": true, "add_eos_token": false, "model_max_length": 1e30,
    "clean_up_tokenization_spaces": true,
    "chat_template": [{"name": "default", "template": "{{ x }}"},
                      {"name": "tool_use", "template": "{{ y }}"}],
    "added_tokens_decoder": {"9": {"content": "<extra>", "lstrip": false, "normalized": false,
                                   "rstrip": false, "single_word": false, "special": true},
                             "8": {"content": "<s>", "lstrip": false, "normalized": false,
                                   "rstrip": false, "single_word": false, "special": true}}})";
  const std::string map = R"({"eos_token": "x", "bos_token": "a"})";
  auto t = j.load(config, map);
  CHECK(t->info.chat_template == "{{ x }}");
  REQUIRE(t->info.chat_templates.size() == 2);
  CHECK(t->info.chat_templates[1].first == "tool_use");
  CHECK(t->info.bos_token == "<s>");  // the config wins over the map
  CHECK(t->info.eos_token == "x");
  CHECK(t->special.bos == 8);
  CHECK(t->special.eos == 7);
  CHECK(t->info.model_max_length == INT64_MAX);
  CHECK(t->info.clean_up_tokenization_spaces);
  CHECK(t->token_to_id("<extra>") == 9);
  // No post-processor: the config's add_bos_token adds BOS.
  CHECK(t->encode("a", true) == Ids{8, 0});
  CHECK(t->encode("a", false) == Ids{0});
  CHECK(t->encode("a<extra>", false) == Ids{0, 9});

  auto plain = j.load(R"({"chat_template": "T", "unk_token": null})", {});
  CHECK(plain->info.chat_template == "T");
  CHECK_FALSE(plain->info.add_bos);
  CHECK(code_of([&] { j.load(R"({"bos_token": 3})", {}); }) == Code::BAD_SYNTAX);
  CHECK(code_of([&] { j.load(R"({"added_tokens_decoder": {"x": {}}})", {}); }) == Code::BAD_SYNTAX);
  CHECK(code_of([&] { j.load("[1]", {}); }) == Code::BAD_SYNTAX);
}

TEST_CASE("tokenizer.json errors name what is wrong and where", "[tokenizer]") {
  auto code = [](const std::string& json) {
    return code_of([&] { load_tokenizer_json(json, {}, {}); });
  };
  TokJson j = chars();
  CHECK(code(j.text()) == Code::OK);
  CHECK(code("{") == Code::BAD_SYNTAX);
  CHECK(code("[]") == Code::BAD_SYNTAX);
  CHECK(code(R"({"version": "1.0"})") == Code::BAD_SYNTAX);  // no model
  CHECK(code(R"({"version": "2.0", "model": null})") == Code::UNSUPPORTED_VERSION);
  CHECK(code(std::string("{\"x\": \"\xFF\"}")) == Code::BAD_ENCODING);
  CHECK(code(std::string(100000, '[') + std::string(100000, ']')) == Code::DEPTH_LIMIT);
  CHECK(code(R"({"truncation": {"max_length": -4}, "model": {"type": "BPE", "vocab": {},
                 "merges": []}})") == Code::BAD_SYNTAX);
  CHECK(code(R"({"padding": {"pad_id": 5}, "model": {"type": "BPE", "vocab": {"a": 0},
                 "merges": []}})") == Code::BAD_SYNTAX);  // no token 5 to pad with
  TokJson k = chars();
  CHECK(code(R"({"model": {"type": "Nope"}})") == Code::UNSUPPORTED_FEATURE);
  k = chars();
  k.pre_tokenizer = R"({"type": "UnicodeScripts"})";
  CHECK(code(k.text()) == Code::UNSUPPORTED_FEATURE);
  k.pre_tokenizer = R"({"type": "Split", "pattern": {"Regex": "("}, "behavior": "Isolated"})";
  CHECK(code(k.text()) == Code::ARGUMENT);
  k.pre_tokenizer = R"({"type": "Split", "pattern": {"Regex": "a"}, "behavior": "Sideways"})";
  CHECK(code(k.text()) == Code::BAD_SYNTAX);
  k.pre_tokenizer = R"({"type": "Metaspace", "replacement": "ab"})";
  CHECK(code(k.text()) == Code::BAD_SYNTAX);
  k.pre_tokenizer = "null";
  k.added = R"([{"id": 1}])";
  try {
    k.load();
    FAIL("no error");
  } catch (const mwt::detail::Error& e) {
    CHECK(e.code() == Code::BAD_SYNTAX);
    CHECK(e.field() == "added_tokens[0]");
  }
  // Text to encode must be UTF-8.
  auto t = chars().load();
  CHECK(code_of([&] { t->encode("a\xC3", false); }) == Code::BAD_ENCODING);
}

TEST_CASE("mutated tokenizer.json texts load or fail with an mwt error", "[tokenizer]") {
  TokJson j = chars();
  j.added = "[" + added_token(0, "<s>", true, false, true, true, true) + "]";
  j.pre_tokenizer = R"({"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern":
      {"Regex": "\\s+|\\p{L}+"}, "behavior": "MergedWithNext", "invert": false},
      {"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}]})";
  j.post_processor = R"({"type": "TemplateProcessing", "single": ["<s>", "$A"],
      "pair": ["$A", "$B"], "special_tokens": {"<s>": {"id": "<s>", "ids": [8],
      "tokens": ["<s>"]}}})";
  const std::string base = j.text();
  std::mt19937 rng(11);
  const char junk[] = "{}[]\",:0-9ae\\ \xC3\xFF";
  int loaded = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string s = base;
    for (int m = 0, n = 1 + static_cast<int>(rng() % 3); m < n; ++m) {
      const size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0: s[at] = junk[rng() % (sizeof junk - 1)]; break;
        case 1: s.erase(at, 1 + rng() % 8); break;
        default: s.insert(at, 1, junk[rng() % (sizeof junk - 1)]); break;
      }
    }
    try {
      auto t = load_tokenizer_json(s, {}, {});
      ++loaded;
      for (TokenId id : t->encode("ab <s> sx\xC3\xA9", true)) {
        CHECK(id >= 0);
        CHECK(t->id_to_token(id).has_value());
      }
    } catch (const mwt::detail::Error&) {
    }
  }
  CHECK(loaded > 0);
}
