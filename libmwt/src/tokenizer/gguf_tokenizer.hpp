// The tokenizer a GGUF file carries in its tokenizer.ggml.* keys, rebuilt as llama.cpp runs it:
// "gpt2" byte-level BPE with the tokenizer.ggml.pre splits, "llama" SentencePiece BPE, "t5"
// Unigram, "bert" WordPiece. Keys, defaults and errors: docs/tokenizers-gguf.md.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "formats/weight_file.hpp"
#include "tokenizer/tokenizer.hpp"

namespace mwt::detail::tok {

// Caps on what one GGUF vocabulary may hold, beyond the GGUF reader's own limits: ids are int32
// and every table below is sized from these counts.
inline constexpr uint64_t kMaxGgufTokens = 1u << 24;
inline constexpr uint64_t kMaxGgufMerges = 1u << 25;
inline constexpr uint64_t kMaxGgufTokenBytes = 1u << 20;

// The tokenizer.ggml.* keys of a file, read and checked (types, equal array lengths, ids in
// range, counts under the caps); every error names its key (kv["tokenizer.ggml.tokens"].value[7]).
struct GgufVocab {
  std::string model;  // tokenizer.ggml.model
  std::string pre;    // tokenizer.ggml.pre ("" when absent)
  std::vector<std::string> tokens;
  std::vector<float> scores;   // empty when the key is absent
  std::vector<int32_t> types;  // empty when absent (all NORMAL)
  bool has_merges = false;
  std::vector<std::pair<std::string, std::string>> merges;
  // Ids of the *_token_id keys that are present (checked < tokens.size()).
  std::optional<int32_t> bos, eos, unk, sep, pad, cls, mask, eot, eom;
  std::optional<bool> add_bos, add_eos, add_sep, add_space_prefix, remove_extra_whitespaces;
  std::optional<bool> lowercase, strip_accents;  // tokenizer.ggml.normalizer.*
  std::optional<std::string> precompiled_charsmap;
  std::string chat_template;  // tokenizer.chat_template ("" when absent)
};

// llama.cpp's token types (tokenizer.ggml.token_type).
enum GgufTokenType : int32_t {
  TOKEN_UNDEFINED = 0,
  TOKEN_NORMAL = 1,
  TOKEN_UNKNOWN = 2,
  TOKEN_CONTROL = 3,
  TOKEN_USER_DEFINED = 4,
  TOKEN_UNUSED = 5,
  TOKEN_BYTE = 6,
};

// Whether the file has a tokenizer.ggml.model key (GGUF only).
bool has_gguf_tokenizer(const WeightFile& wf);

// Reads the keys. Reads metadata views into the file's map: callers that may meet a file
// shrinking under them run this inside run_guarded (core/sigbus_guard.hpp), as the C ABI does.
GgufVocab read_gguf_vocab(const WeightFile& wf);

// The finalized Tokenizer of a GGUF file (ARGUMENT if it is not GGUF; UNSUPPORTED_FEATURE for a
// tokenizer.ggml.model or tokenizer.ggml.pre mwt does not implement).
std::unique_ptr<Tokenizer> load_gguf_tokenizer(const WeightFile& wf);
std::unique_ptr<Tokenizer> build_gguf_tokenizer(GgufVocab vocab);

}  // namespace mwt::detail::tok
