// The tokenizer layer's shared vocabulary: a Tokenizer is Hugging Face's pipeline (added tokens,
// normalizer, pre-tokenizer, model, post-processor, decoder) with mwt's own classes in each slot.
// Every loader (tokenizer.json, GGUF tokenizer.ggml.*, SentencePiece .model) builds one of these;
// encode and decode never know where it came from. Facts and behaviour: docs/tokenizers.md.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mwt::detail::tok {

using TokenId = int32_t;

// One piece of text travelling down the pipeline. `added` >= 0 marks a piece that is already an
// added token (it skips normalizer, pre-tokenizer and model). Byte offsets into the original
// input are kept for the user-facing offsets of an encoding.
struct Piece {
  std::string text;
  size_t begin = 0;  // byte offset of the piece's first byte in the original input
  size_t end = 0;    // one past its last byte
  TokenId added = -1;
};

// An added token (tokenizer.json "added_tokens", GGUF control / user-defined tokens), with HF's
// matching flags. `normalized` tokens are matched on the normalized text, the others on the raw.
struct AddedToken {
  std::string content;
  TokenId id = -1;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
};

// Normalizers rewrite a piece's text (NFC/NFKC/NFD/NFKD, Lowercase, StripAccents, BertNormalizer,
// Precompiled charsmap, Replace, Prepend, Strip, Sequence, ...). Offsets are not tracked through
// normalization: a piece keeps the [begin, end) of its source text.
class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
};

// Pre-tokenizers split every piece further (HF semantics: each one refines the current list),
// keeping pieces with `added` >= 0 untouched. ByteLevel also maps bytes to its printable alphabet.
class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void split(std::vector<Piece>& pieces) const = 0;
};

// The model turns one pre-tokenized piece into ids (appended to `out`).
class Model {
 public:
  virtual ~Model() = default;
  virtual void tokenize(std::string_view piece, std::vector<TokenId>& out) const = 0;
  virtual std::optional<TokenId> token_to_id(std::string_view token) const = 0;
  // The token's string as the vocabulary spells it; nullopt out of range.
  virtual std::optional<std::string_view> id_to_token(TokenId id) const = 0;
  virtual size_t vocab_size() const = 0;
  virtual const char* type() const = 0;  // "BPE", "Unigram", "WordPiece", "WordLevel"
};

// Post-processors add the special tokens of a single sequence or a pair (TemplateProcessing,
// BertProcessing, RobertaProcessing, ByteLevel, Sequence). `b` is null for a single sequence.
class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual void process(const std::vector<TokenId>& a, const std::vector<TokenId>* b,
                       bool add_special_tokens, std::vector<TokenId>& out) const = 0;
  // Special tokens added for a single sequence / a pair (HF's num_special_tokens_to_add).
  virtual size_t added_tokens(bool pair) const = 0;
};

// Decoders turn token strings back into text, HF's decode_chain: each decoder rewrites the list
// of strings; the pipeline joins the result (ByteLevel, Metaspace, WordPiece, ByteFallback, Fuse,
// Strip, Replace, CTC, Sequence).
class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// Ids with the special ids named, as tokenizer_config.json / GGUF state them; -1 when absent.
struct SpecialIds {
  TokenId bos = -1, eos = -1, unk = -1, pad = -1, sep = -1, cls = -1, mask = -1;
  std::vector<TokenId> eot;  // end-of-turn ids (GGUF eot / eom, config's extra eos)
};

// Where the tokenizer came from and what the source said about its use (not part of encoding
// unless the post-processor or the flags below make it so).
struct TokenizerInfo {
  std::string source;         // "tokenizer.json", "gguf", "sentencepiece"
  std::string gguf_model;     // tokenizer.ggml.model when from GGUF ("gpt2", "llama", ...)
  std::string gguf_pre;       // tokenizer.ggml.pre when from GGUF
  std::string chat_template;  // empty when none
  // tokenizer_config.json's list form [{"name", "template"}], in file order; chat_template is
  // then the one named "default" (empty when none is).
  std::vector<std::pair<std::string, std::string>> chat_templates;
  std::string bos_token, eos_token, unk_token, pad_token;  // strings, from tokenizer_config.json
  bool add_bos = false, add_eos = false;  // used when no post-processor is set (GGUF, .model)
  bool clean_up_tokenization_spaces = false;
  int64_t model_max_length = -1;
};

// tokenizer.json's "truncation" and "padding": applied by encode as HF's post_process applies
// them (truncation before the special tokens are added, with room left for them; padding
// after). Semantics: docs/tokenizers-core.md#truncation-and-padding.
struct Truncation {
  enum class Strategy { LongestFirst, OnlyFirst, OnlySecond };
  size_t max_length = 0;
  size_t stride = 0;  // only shapes HF's overflowing pieces, which encode does not return
  Strategy strategy = Strategy::LongestFirst;
  bool left = false;  // direction Left: keep the end of the sequence
};
struct Padding {
  std::optional<size_t> fixed;  // Fixed(n); nullopt is BatchLongest (a batch of one here)
  size_t multiple_of = 0;       // 0 = none
  TokenId pad_id = 0;
  bool left = false;
};

class Tokenizer {
 public:
  std::vector<AddedToken> added;
  std::unique_ptr<Normalizer> normalizer;         // may be null
  std::unique_ptr<PreTokenizer> pre_tokenizer;    // may be null
  std::unique_ptr<Model> model;                   // never null once loaded
  std::unique_ptr<PostProcessor> post_processor;  // may be null
  std::unique_ptr<Decoder> decoder;               // may be null
  SpecialIds special;
  TokenizerInfo info;
  std::optional<Truncation> truncation;
  std::optional<Padding> padding;

  // Builds the added-token matcher; loaders call it once `added` is final.
  void finalize();

  // Reentrant after finalize(): one Tokenizer serves every thread.
  std::vector<TokenId> encode(std::string_view text, bool add_special_tokens) const;
  std::vector<TokenId> encode_pair(std::string_view a, std::string_view b,
                                   bool add_special_tokens) const;
  std::string decode(std::span<const TokenId> ids, bool skip_special_tokens) const;

  std::optional<TokenId> token_to_id(std::string_view token) const;  // added tokens first
  std::optional<std::string_view> id_to_token(TokenId id) const;
  size_t vocab_size() const;  // model vocabulary plus added tokens beyond it (HF get_vocab_size)
  bool is_special(TokenId id) const;

 private:
  std::vector<TokenId> finish(std::vector<TokenId>& a, std::vector<TokenId>* b,
                              bool add_special_tokens) const;
  struct Matcher;
  std::shared_ptr<const Matcher> matcher_;
};

}  // namespace mwt::detail::tok
