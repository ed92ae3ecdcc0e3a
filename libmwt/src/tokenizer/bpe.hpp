// The BPE model (HF tokenizers' `BPE`): a word becomes one symbol per character (with the
// continuing-subword prefix / end-of-word suffix, byte fallback and unk handling), then the
// lowest-ranked adjacent pair is merged, leftmost first, until no pair has a merge.
// Algorithm and decisions: docs/tokenizers-core.md#bpe.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace mwt::detail::tok {

// The two merge loops give the same result; the linear scan is faster for short words, the
// heap (HF's own order of work) for long ones. Exposed so tests can hold them equal.
enum class BpeMergeLoop { Auto, Scan, Heap };

// Runs `model` (a make_bpe result) on `piece` with the chosen loop and without the word cache.
void bpe_tokenize_uncached(const Model& model, std::string_view piece, BpeMergeLoop loop,
                           std::vector<TokenId>& out);

}  // namespace mwt::detail::tok
