// Test-only driver for tests/python/test_tokenizer_models_hf.py: runs the models' parts (a
// SentencePiece .model, a tokenizer.json, one normalizer or decoder given as tokenizer.json
// component JSON) on the requests of a JSON file and prints the answers as JSON.
//   tok_models_tool spm MODEL_FILE REQUESTS_JSON
//   tok_models_tool json TOKENIZER_JSON REQUESTS_JSON
//   tok_models_tool normalizer COMPONENT_JSON REQUESTS_JSON
//   tok_models_tool decoder COMPONENT_JSON REQUESTS_JSON
// REQUESTS_JSON: {"texts": [..], "decode": [[ids], ..], "tokens": [[strings], ..]}
// Output: {"encode": [[ids]], "encode_special": [[ids]], "decode": [..], "normalized": [..],
//          "decoded": [[strings]], "vocab_size", "special", "proto"}; a library error prints
// {"error", "message"} and exits with 2.
#include <cstdio>
#include <string>
#include <vector>

#include <simdjson.h>

#include "core/error.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/sentencepiece_model.hpp"
#include "tool_io.hpp"

namespace tok = mwt::detail::tok;
namespace dom = simdjson::dom;

namespace {

using tok_tool::ids_json, tok_tool::read_file, tok_tool::str_json;

template <typename F>
void list_json(std::string& out, const char* key, dom::array arr, F&& item) {
  out += ", \"";
  out += key;
  out += "\": [";
  bool first = true;
  for (dom::element e : arr) {
    if (!first) out += ',';
    first = false;
    item(e);
  }
  out += ']';
}

void tokenizer_requests(const tok::Tokenizer& t, dom::object req, bool with_special,
                        std::string& out) {
  dom::array arr;
  if (!req["texts"].get_array().get(arr)) {
    list_json(out, "encode", arr,
              [&](dom::element e) { ids_json(out, t.encode(std::string_view(e), false)); });
    if (with_special)
      list_json(out, "encode_special", arr,
                [&](dom::element e) { ids_json(out, t.encode(std::string_view(e), true)); });
  }
  if (!req["decode"].get_array().get(arr)) {
    list_json(out, "decode", arr, [&](dom::element e) {
      std::vector<tok::TokenId> ids;
      for (auto v : e.get_array()) ids.push_back(static_cast<tok::TokenId>(int64_t(v)));
      str_json(out, t.decode(ids, false));
    });
  }
  out += ", \"vocab_size\": " + std::to_string(t.vocab_size());
  out += ", \"special\": {\"bos\": " + std::to_string(t.special.bos) +
         ", \"eos\": " + std::to_string(t.special.eos) +
         ", \"unk\": " + std::to_string(t.special.unk) +
         ", \"pad\": " + std::to_string(t.special.pad) + "}";
}

void proto_json(const tok::SpmModelProto& m, std::string& out) {
  auto b = [](bool v) { return v ? "true" : "false"; };
  out += ", \"proto\": {\"pieces\": " + std::to_string(m.pieces.size()) +
         ", \"model_type\": " + std::to_string(m.model_type) +
         ", \"byte_fallback\": " + b(m.byte_fallback) +
         ", \"unk_id\": " + std::to_string(m.unk_id) + ", \"bos_id\": " + std::to_string(m.bos_id) +
         ", \"eos_id\": " + std::to_string(m.eos_id) + ", \"pad_id\": " + std::to_string(m.pad_id) +
         ", \"add_dummy_prefix\": " + b(m.add_dummy_prefix) +
         ", \"remove_extra_whitespaces\": " + b(m.remove_extra_whitespaces) +
         ", \"escape_whitespaces\": " + b(m.escape_whitespaces) + ", \"name\": ";
  str_json(out, m.normalizer_name);
  out += ", \"charsmap_bytes\": " + std::to_string(m.precompiled_charsmap.size());
  out += ", \"scores\": [";
  for (size_t i = 0; i < m.pieces.size(); ++i) {
    if (i) out += ',';
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(m.pieces[i].score));
    out += buf;
  }
  out += "], \"types\": [";
  for (size_t i = 0; i < m.pieces.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(m.pieces[i].type);
  }
  out += "]}";
}

int run(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: tok_models_tool spm|json|normalizer|decoder FILE REQUESTS_JSON\n");
    return 1;
  }
  const std::string mode = argv[1];
  const std::string input = read_file(argv[2]);
  dom::parser parser;
  const simdjson::padded_string req_text(read_file(argv[3]));
  const dom::object req = parser.parse(req_text).get_object();
  std::string out = "{\"mode\": ";
  str_json(out, mode);
  if (mode == "spm") {
    const auto* p = reinterpret_cast<const uint8_t*>(input.data());
    const tok::SpmModelProto m = tok::parse_sentencepiece_model(p, input.size());
    auto t = tok::load_sentencepiece_model(p, input.size());
    tokenizer_requests(*t, req, false, out);
    proto_json(m, out);
  } else if (mode == "json") {
    auto t = tok::load_tokenizer_json(input, "", "");
    tokenizer_requests(*t, req, true, out);
  } else if (mode == "normalizer" || mode == "decoder") {
    dom::parser cparser;
    const simdjson::padded_string ctext(input);
    const dom::element component = cparser.parse(ctext);
    dom::array arr;
    if (mode == "normalizer") {
      auto n = tok::normalizer_from_json(component, "normalizer");
      if (!req["texts"].get_array().get(arr))
        list_json(out, "normalized", arr, [&](dom::element e) {
          std::string s{std::string_view(e)};
          if (n) n->normalize(s);
          str_json(out, s);
        });
    } else {
      auto d = tok::decoder_from_json(component, "decoder");
      if (!req["tokens"].get_array().get(arr))
        list_json(out, "decoded", arr, [&](dom::element e) {
          std::vector<std::string> tokens;
          for (auto v : e.get_array()) tokens.emplace_back(std::string_view(v));
          if (d) d->decode_chain(tokens);
          out += '[';
          for (size_t i = 0; i < tokens.size(); ++i) {
            if (i) out += ',';
            str_json(out, tokens[i]);
          }
          out += ']';
        });
    }
  } else {
    std::fprintf(stderr, "tok_models_tool: unknown mode %s\n", mode.c_str());
    return 1;
  }
  out += "}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return tok_tool::main_of("tok_models_tool", run, argc, argv); }
