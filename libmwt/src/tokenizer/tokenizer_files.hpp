// Opening a tokenizer from a path: a directory (tokenizer.json with tokenizer_config.json and
// special_tokens_map.json, or tokenizer.model), a tokenizer.json, a SentencePiece .model, or a
// weight file (GGUF: its tokenizer.ggml.* keys; other formats: the tokenizer files beside it).
// Every file read is size-capped. Rules: docs/tokenizers-gguf.md#opening-a-path.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "formats/weight_file.hpp"
#include "tokenizer/tokenizer.hpp"

namespace mwt::detail::tok {

// The largest files read (LIMIT_EXCEEDED above them): the biggest published tokenizer.json files
// are tens of MB, configuration files well under one.
inline constexpr uint64_t kMaxTokenizerJsonBytes = 256u << 20;
inline constexpr uint64_t kMaxTokenizerConfigBytes = 16u << 20;
inline constexpr uint64_t kMaxSentencePieceBytes = 256u << 20;

// `opts` applies to a weight file the path names (limits, mmap).
std::unique_ptr<Tokenizer> open_tokenizer(const std::string& path, const OpenOptions& opts);

// The tokenizer of an open weight file: GGUF's own keys when it has them, else the tokenizer
// files in the directory of its (first) file. Reads the file's map: run it guarded.
std::unique_ptr<Tokenizer> tokenizer_from_weight_file(const WeightFile& wf);

// A whole regular file as bytes, refused above `cap` bytes (IO for a missing / non-regular file).
std::string read_capped_file(const std::string& path, uint64_t cap);

}  // namespace mwt::detail::tok
