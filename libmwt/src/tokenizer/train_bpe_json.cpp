// The trainer's output: tokenizer.json laid out as Hugging Face's Tokenizer.save() writes it
// (serde_json's pretty printer: two-space indent, "key": value, strings escaped as serde does),
// so a file mwt trains and one HF trains on the same corpus compare byte for byte; and the
// training summary.
#include <cstdio>

#include "core/json_text.hpp"
#include "core/json_writer.hpp"
#include "tokenizer/train_bpe.hpp"

namespace mwt::detail::tok::train {
namespace {

void str(std::string& out, std::string_view s) { append_json_string(out, s); }

// The ByteLevel component objects of the ByteLevelBPETokenizer setup.
void byte_level(std::string& out, bool add_prefix_space, bool trim_offsets) {
  out += "{\n    \"type\": \"ByteLevel\",\n    \"add_prefix_space\": ";
  out += add_prefix_space ? "true" : "false";
  out += ",\n    \"trim_offsets\": ";
  out += trim_offsets ? "true" : "false";
  out += ",\n    \"use_regex\": true\n  }";
}

}  // namespace

std::string tokenizer_json(const BpeTrainResult& r) {
  std::string out;
  size_t guess = 4096;
  for (const auto& v : r.vocab) guess += v.size() + 20;
  guess += r.merges.size() * 48;
  out.reserve(guess);
  out += "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n";
  out += "  \"added_tokens\": [";
  for (size_t i = 0; i < r.special_tokens.size(); ++i) {
    out += i ? ",\n    {\n" : "\n    {\n";
    out += "      \"id\": " + std::to_string(r.special_tokens[i].second) + ",\n";
    out += "      \"content\": ";
    str(out, r.special_tokens[i].first);
    out +=
        ",\n      \"single_word\": false,\n      \"lstrip\": false,\n      \"rstrip\": false,\n"
        "      \"normalized\": false,\n      \"special\": true\n    }";
  }
  out += r.special_tokens.empty() ? "],\n" : "\n  ],\n";
  out += "  \"normalizer\": null,\n  \"pre_tokenizer\": ";
  byte_level(out, false, true);
  out += ",\n  \"post_processor\": ";
  byte_level(out, true, false);
  out += ",\n  \"decoder\": ";
  byte_level(out, true, true);
  out +=
      ",\n  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n"
      "    \"unk_token\": null,\n    \"continuing_subword_prefix\": null,\n"
      "    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n"
      "    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n    \"vocab\": {";
  for (size_t id = 0; id < r.vocab.size(); ++id) {
    out += id ? ",\n      " : "\n      ";
    str(out, r.vocab[id]);
    out += ": " + std::to_string(id);
  }
  out += r.vocab.empty() ? "},\n" : "\n    },\n";
  out += "    \"merges\": [";
  for (size_t i = 0; i < r.merges.size(); ++i) {
    out += i ? ",\n      [\n        " : "\n      [\n        ";
    str(out, r.vocab[r.merges[i].first]);
    out += ",\n        ";
    str(out, r.vocab[r.merges[i].second]);
    out += "\n      ]";
  }
  out += r.merges.empty() ? "]\n  }\n}" : "\n    ]\n  }\n}";
  return out;
}

std::string summary_json(const WordCounts& words, const BpeTrainResult& r, double seconds) {
  JsonOut j;
  j.begin_object();
  j.key("vocab_size").value(static_cast<uint64_t>(r.vocab.size()));
  j.key("merges").value(static_cast<uint64_t>(r.merges.size()));
  j.key("merge_steps").value(r.merge_steps);
  j.key("special_tokens").value(static_cast<uint64_t>(r.special_tokens.size()));
  j.key("alphabet_size").value(r.alphabet_size);
  j.key("last_merge_count").value(r.last_count);
  j.key("stopped_by").value(r.stopped_by);
  j.key("corpus_bytes").value(words.bytes);
  j.key("sequences").value(words.sequences);
  j.key("words").value(words.total_words);
  j.key("unique_words").value(static_cast<uint64_t>(words.size()));
  j.key("seconds").value(seconds);
  j.end_object();
  return j.str();
}

}  // namespace mwt::detail::tok::train
