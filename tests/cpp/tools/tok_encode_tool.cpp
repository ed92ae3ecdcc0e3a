// Test-only driver for the Python parity tests (tests/python/test_tokenizer_core_hf.py): loads a
// tokenizer.json (with optional tokenizer_config.json / special_tokens_map.json), runs the
// requests of a JSON file and prints the answers as JSON on stdout.
//   tok_encode_tool TOKENIZER_JSON REQUESTS_JSON [--config F] [--special-map F]
//   tok_encode_tool TOKENIZER_JSON --bench TEXT_FILE REPEATS
// REQUESTS_JSON: {"texts": [..], "pairs": [[a, b], ..], "decode": [[ids], ..],
//                 "tokens": [..], "ids": [..]}
// Output: {"vocab_size", "encode", "encode_plain", "pairs", "decode", "decode_skip",
//          "token_to_id", "id_to_token", "special", "info"}; on failure {"error", "message"}
// and exit status 2.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <simdjson.h>

#include "core/error.hpp"
#include "tokenizer/components.hpp"
#include "tool_io.hpp"

namespace tok = mwt::detail::tok;

namespace {

using tok_tool::ids_json, tok_tool::read_file, tok_tool::str_json;

int bench(const tok::Tokenizer& t, const std::string& path, int repeats) {
  const std::string text = read_file(path);
  size_t n_ids = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < repeats; ++r) n_ids += t.encode(text, false).size();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"bytes\": %zu, \"seconds\": %.6f, \"mb_per_s\": %.3f, \"ids\": %zu}\n",
              text.size() * repeats, s, text.size() * repeats / s / 1e6, n_ids);
  return 0;
}

int run(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: tok_encode_tool TOKENIZER_JSON REQUESTS_JSON [--config F] "
                 "[--special-map F] | TOKENIZER_JSON --bench TEXT_FILE REPEATS\n");
    return 1;
  }
  std::string config, special_map;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--config") config = read_file(argv[i + 1]);
    if (flag == "--special-map") special_map = read_file(argv[i + 1]);
  }
  const std::string json = read_file(argv[1]);
  auto t = tok::load_tokenizer_json(json, config, special_map);
  if (std::string(argv[2]) == "--bench" && argc >= 5) return bench(*t, argv[3], std::atoi(argv[4]));

  simdjson::dom::parser parser;
  const simdjson::padded_string req_text(read_file(argv[2]));
  simdjson::dom::object req = parser.parse(req_text).get_object();
  std::string out = "{\"vocab_size\": " + std::to_string(t->vocab_size());
  simdjson::dom::array arr;
  if (!req["texts"].get_array().get(arr)) {
    std::string enc = ", \"encode\": [", plain = ", \"encode_plain\": [";
    bool first = true;
    for (auto e : arr) {
      const std::string_view text = e.get_string();
      if (!first) enc += ',', plain += ',';
      first = false;
      ids_json(enc, t->encode(text, true));
      ids_json(plain, t->encode(text, false));
    }
    out += enc + "]" + plain + "]";
  }
  if (!req["pairs"].get_array().get(arr)) {
    out += ", \"pairs\": [";
    bool first = true;
    for (auto e : arr) {
      simdjson::dom::array p = e.get_array();
      auto it = p.begin();
      const std::string_view a = (*it).get_string();
      ++it;
      const std::string_view b = (*it).get_string();
      if (!first) out += ',';
      first = false;
      ids_json(out, t->encode_pair(a, b, true));
    }
    out += "]";
  }
  if (!req["decode"].get_array().get(arr)) {
    std::string dec = ", \"decode\": [", skip = ", \"decode_skip\": [";
    bool first = true;
    for (auto e : arr) {
      std::vector<tok::TokenId> ids;
      for (auto v : e.get_array()) ids.push_back(static_cast<tok::TokenId>(int64_t(v)));
      if (!first) dec += ',', skip += ',';
      first = false;
      str_json(dec, t->decode(ids, false));
      str_json(skip, t->decode(ids, true));
    }
    out += dec + "]" + skip + "]";
  }
  if (!req["tokens"].get_array().get(arr)) {
    out += ", \"token_to_id\": [";
    bool first = true;
    for (auto e : arr) {
      if (!first) out += ',';
      first = false;
      auto id = t->token_to_id(std::string_view(e.get_string()));
      out += id ? std::to_string(*id) : "null";
    }
    out += "]";
  }
  if (!req["ids"].get_array().get(arr)) {
    out += ", \"id_to_token\": [";
    bool first = true;
    for (auto e : arr) {
      if (!first) out += ',';
      first = false;
      auto s = t->id_to_token(static_cast<tok::TokenId>(int64_t(e)));
      if (s) {
        str_json(out, *s);
      } else {
        out += "null";
      }
    }
    out += "]";
  }
  out += ", \"special\": {\"bos\": " + std::to_string(t->special.bos) +
         ", \"eos\": " + std::to_string(t->special.eos) +
         ", \"unk\": " + std::to_string(t->special.unk) +
         ", \"pad\": " + std::to_string(t->special.pad) + "}";
  out += ", \"info\": {\"chat_template\": ";
  str_json(out, t->info.chat_template);
  out += ", \"bos_token\": ";
  str_json(out, t->info.bos_token);
  out += ", \"eos_token\": ";
  str_json(out, t->info.eos_token);
  out += ", \"add_bos\": " + std::string(t->info.add_bos ? "true" : "false");
  out += ", \"model_max_length\": " + std::to_string(t->info.model_max_length) + "}}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return tok_tool::main_of("tok_encode_tool", run, argc, argv); }
