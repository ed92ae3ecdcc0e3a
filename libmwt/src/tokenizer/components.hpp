// Constructors of the pipeline's parts, one per Hugging Face component type, shared by the
// loaders: tokenizer.json (tokenizer_json.cpp), GGUF (gguf_tokenizer.cpp) and SentencePiece
// (sentencepiece_model.cpp) all build Tokenizers out of these. The *_from_json functions take the
// component's object from tokenizer.json (simdjson DOM) and throw mwt::detail::Error
// (BAD_SYNTAX / UNSUPPORTED_FEATURE / ARGUMENT) naming the field path `where`.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "tokenizer/tokenizer.hpp"

namespace mwt::detail::tok {

// ---- models -------------------------------------------------------------------------------
// BPE (byte-level or not): `vocab` in id order; `merges` in rank order as (left, right).
struct BpeConfig {
  std::vector<std::string> vocab;
  std::vector<std::pair<std::string, std::string>> merges;
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;  // unknown bytes as <0xXX> tokens
  bool ignore_merges = false;  // a piece that is a whole vocabulary entry is taken as is
  // Optional, empty or vocab.size() long: 1 marks an id no token has (tokenizer.json
  // vocabularies may skip ids); such ids are outside the vocabulary.
  std::vector<uint8_t> holes;
};
std::unique_ptr<Model> make_bpe(BpeConfig config);

// SentencePiece BPE as llama.cpp's SPM tokenizer and sentencepiece run it: pieces merged by
// score (highest first), byte fallback to <0xXX>. Used for .model files and GGUF "llama".
struct SpmBpeConfig {
  std::vector<std::string> pieces;  // id order
  std::vector<float> scores;
  std::vector<int32_t> types;  // sentencepiece piece types (1 normal, 2 unk, 3 control,
                               // 4 user-defined, 5 unused, 6 byte)
  TokenId unk = -1;
  bool byte_fallback = true;
};
std::unique_ptr<Model> make_spm_bpe(SpmBpeConfig config);

struct UnigramConfig {
  std::vector<std::pair<std::string, double>> pieces;  // id order, log-probabilities
  std::optional<TokenId> unk_id;
  bool byte_fallback = false;
};
std::unique_ptr<Model> make_unigram(UnigramConfig config);

struct WordPieceConfig {
  std::vector<std::string> vocab;  // id order
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  size_t max_input_chars_per_word = 100;
};
std::unique_ptr<Model> make_wordpiece(WordPieceConfig config);

struct WordLevelConfig {
  std::vector<std::string> vocab;
  std::string unk_token;
};
std::unique_ptr<Model> make_wordlevel(WordLevelConfig config);

// ---- from tokenizer.json -----------------------------------------------------------------
// Each returns null for a JSON null; an unknown "type" is UNSUPPORTED_FEATURE naming it.
std::unique_ptr<Model> model_from_json(simdjson::dom::element e, std::string_view where);
std::unique_ptr<Normalizer> normalizer_from_json(simdjson::dom::element e, std::string_view where);
std::unique_ptr<PreTokenizer> pre_tokenizer_from_json(simdjson::dom::element e,
                                                      std::string_view where);
std::unique_ptr<PostProcessor> post_processor_from_json(simdjson::dom::element e,
                                                        const Model& model, std::string_view where);
std::unique_ptr<Decoder> decoder_from_json(simdjson::dom::element e, std::string_view where);

// ---- parts the GGUF and SentencePiece loaders assemble directly ---------------------------
// The split pattern llama.cpp applies for a tokenizer.ggml.pre value, as a PreTokenizer
// (regex splits + byte-level mapping for byte-level BPE); null for an unknown name.
std::unique_ptr<PreTokenizer> make_gguf_pre_tokenizer(std::string_view pre_name);
// A regex split (HF "Split" with behavior Isolated, invert false) over PCRE2 (UTF, UCP, JIT).
std::unique_ptr<PreTokenizer> make_regex_split(std::string_view pattern);
std::unique_ptr<PreTokenizer> make_byte_level(bool add_prefix_space, bool use_regex);
std::unique_ptr<Decoder> make_byte_level_decoder();
// Metaspace (SentencePiece): spaces to U+2581, an optional prefix.
std::unique_ptr<PreTokenizer> make_metaspace(std::string replacement, bool prepend_first,
                                             bool split);
std::unique_ptr<Decoder> make_metaspace_decoder(std::string replacement, bool prepend_first);
std::unique_ptr<Decoder> make_byte_fallback_decoder();
std::unique_ptr<Decoder> make_fuse_decoder();
std::unique_ptr<Decoder> make_sequence_decoder(std::vector<std::unique_ptr<Decoder>> parts);
std::unique_ptr<Normalizer> make_precompiled(std::string_view charsmap);  // SentencePiece
std::unique_ptr<Normalizer> make_sequence_normalizer(
    std::vector<std::unique_ptr<Normalizer>> parts);

// ---- loaders -------------------------------------------------------------------------------
// tokenizer.json text (`config_json`: tokenizer_config.json text or empty; `special_map_json`:
// special_tokens_map.json text or empty). Returns a finalized Tokenizer.
std::unique_ptr<Tokenizer> load_tokenizer_json(std::string_view json, std::string_view config_json,
                                               std::string_view special_map_json);

}  // namespace mwt::detail::tok
