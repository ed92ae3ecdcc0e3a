// The training section of the C ABI (mwt_tokenizer_train.h) through mwt.hpp: the option table
// against the header's MWT_TRAIN_KEYS, files vs texts, progress and cancelling, and the errors a
// caller can cause (bad keys and values, missing or non-UTF-8 files, NULL arguments).
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <simdjson.h>

#include "mwt/mwt.hpp"
#include "st_bytes.hpp"  // st_test::TempDir

namespace {

template <typename Fn>
mwt_code code_of(Fn&& fn) {
  try {
    fn();
  } catch (const mwt::Error& e) {
    return e.code();
  }
  return MWT_OK;
}

std::string write_file(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

struct Row {
  const char* key;
  int64_t def, min, max;
};
#define ROW_(id, key, def, min, max, doc) Row{key, def, min, max},
const std::vector<Row> kRows = {MWT_TRAIN_KEYS(ROW_)};
#undef ROW_

}  // namespace

TEST_CASE("Training options: every key holds its default and range", "[tokenizer_train]") {
  mwt::TrainOptions o;
  for (const Row& r : kRows) {
    INFO(r.key);
    CHECK(o.get(r.key) == r.def);
    o.set(r.key, r.min);
    CHECK(o.get(r.key) == r.min);
    o.set(r.key, r.max);
    CHECK(o.get(r.key) == r.max);
    if (r.min > INT64_MIN) CHECK(code_of([&] { o.set(r.key, r.min - 1); }) == MWT_E_ARGUMENT);
    if (r.max < INT64_MAX) CHECK(code_of([&] { o.set(r.key, r.max + 1); }) == MWT_E_ARGUMENT);
  }
  CHECK(code_of([&] { o.set("train.nope", 1); }) == MWT_E_ARGUMENT);
  CHECK(code_of([&] { (void)o.get("limits.max_tensors"); }) == MWT_E_ARGUMENT);
  CHECK(code_of([&] { o.add_special_token(""); }) == MWT_E_ARGUMENT);
  CHECK(code_of([&] { o.add_special_token("\xC3"); }) == MWT_E_BAD_ENCODING);
  o.add_special_token("<s>").add_special_token("<s>");
  CHECK(o.special_token_count() == 2);
  CHECK(mwt_train_options_special_token_count(nullptr) == 0);
  int64_t v = 0;
  mwt_status* st = mwt_train_options_get_int(nullptr, MWT_TRAIN_VOCAB_SIZE, &v);
  CHECK(mwt_status_code(st) == MWT_E_ARGUMENT);
  mwt_status_free(st);
  mwt_train_options_free(nullptr);
}

TEST_CASE("Training from files equals training from their lines", "[tokenizer_train]") {
  st_test::TempDir dir;
  const std::string a = "def f(x):\n    return x + 1\n\n";
  const std::string b = "print(f(2))\nprint(f(3))";  // no final newline
  const std::vector<std::string> paths = {write_file(dir.path, "a.py", a),
                                          write_file(dir.path, "b.py", b)};
  mwt::TrainOptions o;
  o.set(MWT_TRAIN_VOCAB_SIZE, 300).set(MWT_TRAIN_MIN_FREQUENCY, 0);
  o.add_special_token("<|endoftext|>");
  const auto from_files = mwt::train_tokenizer_files(paths, &o);
  const std::vector<std::string_view> lines = {"def f(x):\n", "    return x + 1\n", "\n",
                                               "print(f(2))\n", "print(f(3))"};
  const auto from_texts = mwt::train_tokenizer_texts(lines, &o);
  CHECK_FALSE(from_files.cancelled);
  CHECK(from_files.tokenizer_json == from_texts.tokenizer_json);

  simdjson::dom::parser parser, summary_parser;  // a parser owns the last document it parsed
  const simdjson::dom::element doc = parser.parse(from_files.tokenizer_json);
  const simdjson::dom::object vocab = doc["model"]["vocab"].get_object();
  const simdjson::dom::element summary = summary_parser.parse(from_files.summary_json);
  CHECK(vocab.size() == uint64_t(summary["vocab_size"]));
  CHECK(doc["model"]["merges"].get_array().size() == uint64_t(summary["merges"]));
  CHECK(uint64_t(summary["sequences"]) == 5);
  CHECK(uint64_t(summary["corpus_bytes"]) == a.size() + b.size());
  CHECK(int64_t(vocab["<|endoftext|>"]) == 0);
  CHECK(uint64_t(summary["alphabet_size"]) == 256);
}

TEST_CASE("Training: progress from the calling thread, and cancelling", "[tokenizer_train]") {
  std::string text;
  for (int i = 0; i < 50000; ++i) text += "word" + std::to_string(i % 1000) + " ";
  struct Seen {
    std::vector<std::pair<mwt_train_stage, uint64_t>> calls;
    uint64_t count_total = 0;
    int stop_after = -1;
  };
  auto cb = [](mwt_train_stage stage, uint64_t done, uint64_t total, void* user) -> int {
    auto* s = static_cast<Seen*>(user);
    s->calls.emplace_back(stage, done);
    if (stage == MWT_TRAIN_STAGE_COUNT) s->count_total = total;
    return s->stop_after >= 0 && static_cast<int>(s->calls.size()) > s->stop_after;
  };
  mwt::TrainOptions o;
  o.set(MWT_TRAIN_VOCAB_SIZE, 400).set(MWT_TRAIN_THREADS, 2);
  Seen seen;
  const auto r = mwt::train_tokenizer_texts({text}, &o, cb, &seen);
  CHECK_FALSE(r.cancelled);
  REQUIRE(seen.calls.size() >= 4);
  CHECK(seen.calls.front() == std::make_pair(MWT_TRAIN_STAGE_COUNT, uint64_t{0}));
  CHECK(seen.count_total == text.size());
  CHECK(seen.calls.back().first == MWT_TRAIN_STAGE_MERGE);

  Seen stop;
  stop.stop_after = 0;
  const auto c = mwt::train_tokenizer_texts({text}, &o, cb, &stop);
  CHECK(c.cancelled);
  CHECK(c.tokenizer_json.empty());
  CHECK(stop.calls.size() == 1);
}

TEST_CASE("Training errors name the file and offset", "[tokenizer_train]") {
  st_test::TempDir dir;
  const std::string bad = write_file(dir.path, "bad.txt", "fine line\nnot \xE2\x82 fine\n");
  try {
    (void)mwt::train_tokenizer_files({bad});
    FAIL("invalid UTF-8 accepted");
  } catch (const mwt::Error& e) {
    CHECK(e.code() == MWT_E_BAD_ENCODING);
    CHECK(e.offset() == 14);
    CHECK(e.field() == bad);
  }
  CHECK(code_of([&] { (void)mwt::train_tokenizer_files({dir.path + "/missing.txt"}); }) ==
        MWT_E_IO);
  CHECK(code_of([&] { (void)mwt::train_tokenizer_files({dir.path}); }) == MWT_E_IO);

  char* json = nullptr;
  size_t len = 0;
  mwt_status* st = mwt_tokenizer_train_files(nullptr, 1, nullptr, nullptr, nullptr, &json, &len,
                                             nullptr, nullptr);
  CHECK(mwt_status_code(st) == MWT_E_ARGUMENT);
  mwt_status_free(st);
  const char* none[] = {nullptr};
  st = mwt_tokenizer_train_files(none, 1, nullptr, nullptr, nullptr, &json, &len, nullptr, nullptr);
  CHECK(mwt_status_code(st) == MWT_E_ARGUMENT);
  mwt_status_free(st);
  st = mwt_tokenizer_train_texts(nullptr, nullptr, 0, nullptr, nullptr, nullptr, nullptr, &len,
                                 nullptr, nullptr);
  CHECK(mwt_status_code(st) == MWT_E_ARGUMENT);  // tokenizer_json out-pointer is NULL
  mwt_status_free(st);
  // No texts at all is a valid (if useless) corpus: the alphabet alone.
  st = mwt_tokenizer_train_texts(nullptr, nullptr, 0, nullptr, nullptr, nullptr, &json, &len,
                                 nullptr, nullptr);
  REQUIRE(st == nullptr);
  CHECK(std::string(json, len).find("\"merges\": []") != std::string::npos);
  mwt_string_free(json);
}
