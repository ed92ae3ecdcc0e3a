// The `tokenizer.ggml.pre` table: for each pre-tokenizer name llama.cpp's converter writes into a
// GGUF file, the regex splits llama.cpp applies before byte-level BPE and the flags the name sets
// (ignore_merges, add_bos by default, clean_up_tokenization_spaces). make_gguf_pre_tokenizer
// (components.hpp) builds its PreTokenizer from this table. Facts: docs/tokenizers-gguf.md.
#pragma once
#include <optional>
#include <string_view>
#include <vector>

namespace mwt::detail::tok {

struct GgufPre {
  std::string_view name;        // the tokenizer.ggml.pre value
  std::string_view split_kind;  // llama.cpp's pre-tokenizer type the name selects ("LLAMA3")
  // Applied in order, each splitting the pieces the previous one left (matches and the text
  // between them both kept, HF Split "Isolated"), then every piece mapped to the byte alphabet.
  std::vector<std::string_view> patterns;
  bool ignore_merges = false;  // a piece that is a whole vocabulary entry is one token
  bool add_bos = false;        // the default of tokenizer.ggml.add_bos_token
  bool clean_spaces = true;    // llama.cpp's clean_up_tokenization_spaces for the name
  bool default_bos = true;     // false: no default bos id (the key alone sets one)
};

// The row of `name`, or nullopt for a name llama.cpp does not know or mwt does not implement
// (the custom splitters of kimi-k2, afmoe and superbpe; the raw-UTF-8 BPE of gemma4, sarvam-moe
// and whitespace).
std::optional<GgufPre> find_gguf_pre(std::string_view name);

// Every name of the table, in table order.
std::vector<std::string_view> gguf_pre_names();

}  // namespace mwt::detail::tok
