// The byte-level BPE trainer (`mwt tokenizer train`): corpus -> word counts (GPT-2 split, many
// threads) -> Hugging Face BpeTrainer's merge loop -> tokenizer.json. The semantics, and where
// they differ from HF by design, are in docs/tokenizers-train.md.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mwt::detail::tok::train {

// ---- byte-level pre-tokenization ---------------------------------------------------------
// GPT-2's byte -> printable character table (HF ByteLevel.alphabet()): byte b as UTF-8.
std::string_view byte_level_char(uint8_t b) noexcept;
// The bytes of `raw` rewritten through that table.
std::string byte_level_string(std::string_view raw);
// The byte a byte-level character stands for; -1 when `c` (one UTF-8 character) is none.
int byte_of_byte_level_char(std::string_view c) noexcept;

// The GPT-2 split HF's ByteLevel pre-tokenizer applies (use_regex, no prefix space) over
// PCRE2. `\s` is spelled out as Unicode White_Space, which is what Oniguruma (HF's regex
// engine) matches and PCRE2's \s is not quite (it takes U+180E). Compiled once; split() is
// reentrant (match data per thread).
class Gpt2Splitter {
 public:
  Gpt2Splitter();
  ~Gpt2Splitter();
  Gpt2Splitter(const Gpt2Splitter&) = delete;
  Gpt2Splitter& operator=(const Gpt2Splitter&) = delete;
  // Calls fn(begin, end) for every piece of `text` (valid UTF-8), left to right; the pieces
  // tile the text.
  void split(std::string_view text, const std::function<void(size_t, size_t)>& fn) const;
  // The same appended to `out`, faster for the counting loop.
  void split(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;

 private:
  struct Impl;
  Impl* impl_;
};

// ---- word counting -------------------------------------------------------------------------
// The unique pre-tokenized words of a corpus (raw bytes, not yet byte-level mapped) and how
// often each occurs. Order is unspecified (it does not reach the result).
struct WordCounts {
  std::string arena;                                 // every word's bytes, back to back
  std::vector<std::pair<uint64_t, uint32_t>> spans;  // (offset in arena, length) per word
  std::vector<uint64_t> counts;
  uint64_t bytes = 0;      // corpus bytes read
  uint64_t sequences = 0;  // lines of files / texts given
  uint64_t total_words = 0;
  std::string_view word(size_t i) const { return {arena.data() + spans[i].first, spans[i].second}; }
  size_t size() const noexcept { return counts.size(); }
};

enum class Stage : uint32_t { COUNT = 0, MERGE = 1 };
// progress(stage, done, total): bytes of the corpus while counting, merges while merging.
// Called on the calling thread only, at most every ~50 ms plus once at each stage's end.
// Returning false cancels the call (it then returns nullopt).
using Progress = std::function<bool(Stage, uint64_t, uint64_t)>;

// Every line (up to and including its '\n') of every file is one sequence, as HF's
// Tokenizer.train(files) reads them. A file that is not valid UTF-8 is BAD_ENCODING naming it
// and the offset of the first bad byte (HF refuses such files too); one that cannot be read is
// IO. threads 0: the default count.
std::optional<WordCounts> count_words_in_files(const std::vector<std::string>& paths,
                                               unsigned threads, const Progress& progress);
// Every text is one sequence, as HF's train_from_iterator takes its items.
std::optional<WordCounts> count_words_in_texts(std::span<const std::string_view> texts,
                                               unsigned threads, const Progress& progress);

// ---- the merge loop --------------------------------------------------------------------------
struct BpeTrainOptions {
  uint64_t vocab_size = 30000;  // specials + alphabet + merged tokens
  uint64_t min_frequency = 2;   // ByteLevelBPETokenizer.train's default (BpeTrainer's is 0)
  std::vector<std::string> special_tokens;   // ids 0.. in this order (duplicates once)
  bool byte_level_alphabet = true;           // all 256 byte-level characters, seen or not
  std::optional<uint64_t> limit_alphabet;    // keep at most this many characters
  std::optional<uint64_t> max_token_length;  // in characters, as HF's max_token_length
};

struct BpeTrainResult {
  std::vector<std::string> vocab;  // by id: specials verbatim, others byte-level strings
  std::vector<std::pair<uint32_t, uint32_t>> merges;             // by rank, as ids into vocab
  std::vector<std::pair<std::string, uint32_t>> special_tokens;  // content, id
  uint64_t alphabet_size = 0;
  uint64_t merge_steps = 0;  // merges performed, a pair merged twice counted twice
  uint64_t last_count = 0;   // count of the last merged pair (0 when none)
  std::string stopped_by;    // "vocab_size", "min_frequency" or "no_pairs"
};

// HF BpeTrainer::do_train over `words`. nullopt when progress cancelled.
std::optional<BpeTrainResult> train_bpe(const WordCounts& words, const BpeTrainOptions& options,
                                        const Progress& progress);

// ---- output ----------------------------------------------------------------------------------
// tokenizer.json as HF writes it for Tokenizer(BPE()) with ByteLevel(add_prefix_space=False)
// pre-tokenizer, ByteLevel decoder and ByteLevel(trim_offsets=False) post-processor (the
// ByteLevelBPETokenizer setup): byte-for-byte the file Tokenizer.save() writes.
std::string tokenizer_json(const BpeTrainResult& result);
// The summary `mwt tokenizer train --json` prints: counts, sizes, how the loop stopped.
std::string summary_json(const WordCounts& words, const BpeTrainResult& result, double seconds);

}  // namespace mwt::detail::tok::train
