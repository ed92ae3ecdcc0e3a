// The tokenizer C ABI (mwt_tokenizer.h) and its mwt.hpp wrapper: opening from a GGUF path, an
// open mwt_file, a directory and tokenizer.json text; encode / batch / decode / lookups against
// the vocabulary the test defines (and batch against single encodes, for every thread count);
// NULL and bad arguments; the info JSON; the file-size cap; one handle shared by threads.
#include <sys/stat.h>

#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <simdjson.h>

#include "gguf_vocab_bytes.hpp"
#include "mwt/mwt.hpp"
#include "st_bytes.hpp"  // st_test::TempDir
#include "tokenizer/tokenizer_files.hpp"

using namespace gguf_tok_test;
using Ids = std::vector<int32_t>;

namespace {

const BpeVocab& vocab() {
  static const BpeVocab v =
      bpe_vocab({{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"\xC4\xA0", "w"}},
                {{"<|endoftext|>", 3}, {"<tool>", 4}});
  return v;
}

std::vector<uint8_t> gguf_bytes() { return gguf_file(bpe_keys(vocab(), "gpt-2")); }

template <typename Fn>
mwt_code code_of(Fn&& fn) {
  try {
    fn();
  } catch (const mwt::Error& e) {
    return e.code();
  }
  return MWT_OK;
}

mwt_code c_code(mwt_status* s) {
  const mwt_code c = mwt_status_code(s);
  mwt_status_free(s);
  return c;
}

// A tokenizer.json any HF tokenizers version reads: BPE over whitespace-split words, with one
// merge and an unknown token.
constexpr const char* kBpeJson =
    R"({"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,)"
    R"("pre_tokenizer":{"type":"WhitespaceSplit"},"post_processor":null,"decoder":null,)"
    R"("model":{"type":"BPE","dropout":null,"unk_token":"[UNK]",)"
    R"("continuing_subword_prefix":null,"end_of_word_suffix":null,"fuse_unk":false,)"
    R"("byte_fallback":false,"vocab":{"[UNK]":0,"a":1,"b":2,"ab":3},"merges":["a b"]}})";

}  // namespace

TEST_CASE("tokenizer C ABI: a GGUF path, an open file and a directory", "[tokenizer][abi]") {
  st_test::TempDir dir;
  dir.write("m.gguf", gguf_bytes());
  const BpeVocab& v = vocab();
  const mwt::Tokenizer t(dir / "m.gguf");
  const Ids hello_world = {v.id("hello"), v.id("\xC4\xA0w"), 'o', 'r', 'l', 'd'};
  CHECK(t.encode("hello world", false) == hello_world);
  CHECK(t.encode("hello<|endoftext|>") == Ids{v.id("hello"), v.id("<|endoftext|>")});
  CHECK(t.decode(hello_world) == "hello world");
  CHECK(t.decode({v.id("<|endoftext|>"), v.id("hello")}, true) == "hello");
  CHECK(t.vocab_size() == v.tokens.size());
  CHECK(t.token_to_id("<tool>") == v.id("<tool>"));
  CHECK_FALSE(t.token_to_id("no such token"));
  CHECK(t.id_to_token(v.id("hell")) == std::string_view("hell"));
  CHECK_FALSE(t.id_to_token(-5));
  CHECK_FALSE(t.id_to_token(static_cast<int32_t>(v.tokens.size())));
  for (int32_t id = 0; id < static_cast<int32_t>(v.tokens.size()); ++id)
    CHECK(t.token_to_id(std::string(*t.id_to_token(id))) == id);
  // Ids the tokenizer does not have are skipped, as HF does.
  CHECK(t.decode({v.id("hello"), 99999}) == "hello");

  const mwt::File f(dir / "m.gguf");
  const mwt::Tokenizer from_file(f);
  CHECK(from_file.encode("hello world", false) == hello_world);
  const mwt::Tokenizer from_dir(dir.path);  // its only GGUF file
  CHECK(from_dir.encode("hello world", false) == hello_world);

  // tokenizer.json wins over a GGUF file in the same directory.
  dir.write("tokenizer.json", std::string(kBpeJson));
  CHECK(mwt::Tokenizer(dir.path).encode("ab ba x") == Ids{3, 2, 1, 0});
  CHECK(mwt::Tokenizer(dir / "tokenizer.json").encode("aab") == Ids{1, 3});
  const auto j = mwt::Tokenizer::from_json(kBpeJson);
  CHECK(j.encode("b ab") == Ids{2, 3});

  CHECK(code_of([&] { mwt::Tokenizer(dir / "missing.gguf"); }) == MWT_E_IO);
  st_test::TempDir empty;
  CHECK(code_of([&] { mwt::Tokenizer(empty.path); }) == MWT_E_IO);
  empty.write("x.bin", std::string("not a model"));
  CHECK(code_of([&] { mwt::Tokenizer(empty / "x.bin"); }) == MWT_E_BAD_MAGIC);
}

TEST_CASE("tokenizer C ABI: batches equal single encodes on every thread count",
          "[tokenizer][abi]") {
  st_test::TempDir dir;
  dir.write("m.gguf", gguf_bytes());
  const mwt::Tokenizer t(dir / "m.gguf");
  std::vector<std::string> texts;
  for (int i = 0; i < 37; ++i)
    texts.push_back(std::string(static_cast<size_t>(i % 5), ' ') + "hello world " +
                    std::to_string(i * 7919) + (i % 3 ? "<|endoftext|>" : "") + "\xC3\xA9");
  texts.push_back("");
  const std::vector<std::string_view> views(texts.begin(), texts.end());
  for (uint32_t threads : {0u, 1u, 2u, 3u, 8u, 100u}) {
    for (const bool special : {false, true}) {
      const auto batch = t.encode_batch(views, special, threads);
      REQUIRE(batch.offsets.size() == texts.size() + 1);
      CHECK(batch.offsets.front() == 0);
      CHECK(batch.offsets.back() == batch.ids.size());
      for (size_t i = 0; i < texts.size(); ++i) {
        const Ids one(batch.ids.begin() + static_cast<ptrdiff_t>(batch.offsets[i]),
                      batch.ids.begin() + static_cast<ptrdiff_t>(batch.offsets[i + 1]));
        CHECK(one == t.encode(texts[i], special));
      }
    }
  }
  const auto none = t.encode_batch({});
  CHECK(none.ids.empty());
  CHECK(none.offsets == std::vector<uint64_t>{0});

  // One handle, several threads at once (mwt_tokenizer.h's promise).
  const Ids want = t.encode(texts[10]);
  std::vector<Ids> got(4);
  std::vector<std::thread> pool;
  for (size_t k = 0; k < got.size(); ++k)
    pool.emplace_back([&, k] {
      for (int r = 0; r < 50; ++r) got[k] = t.encode(texts[10]);
    });
  for (auto& th : pool) th.join();
  for (const auto& g : got) CHECK(g == want);
}

TEST_CASE("tokenizer C ABI: NULL and bad arguments", "[tokenizer][abi]") {
  st_test::TempDir dir;
  dir.write("m.gguf", gguf_bytes());
  mwt_tokenizer* t = nullptr;
  REQUIRE(mwt_tokenizer_open((dir / "m.gguf").c_str(), nullptr, &t) == nullptr);
  int32_t* ids = nullptr;
  size_t n = 7;
  CHECK(c_code(mwt_tokenizer_encode(nullptr, "a", 1, 1, &ids, &n)) == MWT_E_ARGUMENT);
  CHECK(c_code(mwt_tokenizer_encode(t, nullptr, 3, 1, &ids, &n)) == MWT_E_ARGUMENT);
  CHECK(c_code(mwt_tokenizer_encode(t, "a", 1, 1, nullptr, &n)) == MWT_E_ARGUMENT);
  CHECK(n == 7);  // untouched on failure
  REQUIRE(mwt_tokenizer_encode(t, nullptr, 0, 0, &ids, &n) == nullptr);
  CHECK(n == 0);
  CHECK(ids == nullptr);
  const char* texts[2] = {"a", nullptr};
  const size_t lens[2] = {1, 2};
  uint64_t* offsets = nullptr;
  CHECK(c_code(mwt_tokenizer_encode_batch(t, texts, lens, 2, 1, 0, &ids, &offsets, &n)) ==
        MWT_E_ARGUMENT);
  CHECK(c_code(mwt_tokenizer_encode_batch(t, nullptr, lens, 2, 1, 0, &ids, &offsets, &n)) ==
        MWT_E_ARGUMENT);
  char* text = nullptr;
  size_t len = 0;
  CHECK(c_code(mwt_tokenizer_decode(t, nullptr, 2, 0, &text, &len)) == MWT_E_ARGUMENT);
  REQUIRE(mwt_tokenizer_decode(t, nullptr, 0, 0, &text, &len) == nullptr);
  CHECK(len == 0);
  CHECK(std::string(text) == "");
  mwt_string_free(text);
  int32_t id = 5;
  CHECK(c_code(mwt_tokenizer_token_to_id(t, nullptr, 1, &id)) == MWT_E_ARGUMENT);
  CHECK(c_code(mwt_tokenizer_token_to_id(t, "a", 1, nullptr)) == MWT_E_ARGUMENT);
  const char* tok = "x";
  CHECK(c_code(mwt_tokenizer_id_to_token(nullptr, 1, &tok, &len)) == MWT_E_ARGUMENT);
  CHECK(c_code(mwt_tokenizer_info(t, nullptr, &len)) == MWT_E_ARGUMENT);
  CHECK(c_code(mwt_tokenizer_open(nullptr, nullptr, &t)) == MWT_E_ARGUMENT);
  CHECK(c_code(mwt_tokenizer_from_file(nullptr, nullptr, &t)) == MWT_E_ARGUMENT);
  CHECK(c_code(mwt_tokenizer_from_json(nullptr, 4, nullptr, 0, nullptr, 0, &t)) == MWT_E_ARGUMENT);
  CHECK(c_code(mwt_tokenizer_from_json("{", 1, nullptr, 0, nullptr, 0, &t)) == MWT_E_BAD_SYNTAX);
  CHECK(mwt_tokenizer_vocab_size(nullptr) == 0);
  mwt_tokenizer_free(t);
  mwt_tokenizer_free(nullptr);
  mwt_tokenizer_buffer_free(nullptr);
}

TEST_CASE("tokenizer C ABI: the info JSON", "[tokenizer][abi]") {
  st_test::TempDir dir;
  dir.write("m.gguf", gguf_bytes());
  const BpeVocab& v = vocab();
  const std::string json = mwt::Tokenizer(dir / "m.gguf").info();
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(json).get(root) == simdjson::SUCCESS);
  CHECK(std::string_view(root["source"]) == "gguf");
  CHECK(std::string_view(root["model_type"]) == "BPE");
  CHECK(std::string_view(root["gguf_model"]) == "gpt2");
  CHECK(std::string_view(root["gguf_pre"]) == "gpt-2");
  CHECK(root["chat_template"].is_null());
  CHECK(uint64_t(root["vocab_size"]) == v.tokens.size());
  CHECK(bool(root["add_bos"]) == false);
  CHECK(root["model_max_length"].is_null());
  // llama.cpp's BPE default bos / eos id 11 (a byte token here) stands when no key is given.
  CHECK(int64_t(root["special_ids"]["bos"]) == 11);
  CHECK(root["special_ids"]["sep"].is_null());
  simdjson::dom::array eot = root["special_ids"]["eot"];
  REQUIRE(eot.size() == 1);
  CHECK(int64_t(eot.at(0)) == v.id("<|endoftext|>"));
  simdjson::dom::array added = root["added_tokens"];
  REQUIRE(added.size() == 2);
  CHECK(std::string_view(added.at(0)["content"]) == "<|endoftext|>");
  CHECK(bool(added.at(0)["special"]) == true);
  CHECK(int64_t(added.at(1)["id"]) == v.id("<tool>"));
  CHECK(bool(added.at(1)["special"]) == false);
  CHECK(bool(added.at(1)["normalized"]) == false);
}

TEST_CASE("tokenizer files: size caps and non-regular files", "[tokenizer][abi]") {
  namespace tok = mwt::detail::tok;
  st_test::TempDir dir;
  dir.write("t.json", std::string(100, ' '));
  CHECK(tok::read_capped_file(dir / "t.json", 100).size() == 100);
  try {
    tok::read_capped_file(dir / "t.json", 99);
    FAIL("a file over the cap was read");
  } catch (const mwt::detail::Error& e) {
    CHECK(e.code() == mwt::detail::Code::LIMIT_EXCEEDED);
  }
  REQUIRE(::mkfifo((dir / "fifo.json").c_str(), 0600) == 0);
  CHECK(code_of([&] { mwt::Tokenizer(dir / "fifo.json"); }) == MWT_E_IO);
}
