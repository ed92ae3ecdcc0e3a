// make_bpe: the BPE model, ids equal to HF tokenizers' BPE::tokenize (without dropout).
// Hot path: one thread-local word cache per model, a packed-pair merge table, a direct table
// for single-character symbols. Facts: docs/tokenizers-core.md#bpe.
#include "tokenizer/bpe.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <cstdio>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/flat_map.hpp"
#include "tokenizer/unicode_class.hpp"

namespace mwt::detail::tok {
namespace {

constexpr uint32_t kDirectChars = 0x800;  // covers the byte-level alphabet (up to U+0143)
constexpr size_t kScanLimit = 48;         // words up to this many symbols use the linear scan

std::atomic<uint64_t> g_next_serial{1};

// The word caches of this thread, one per model recently used here (a model is named by a
// serial number, never by its address, so a freed model's entries cannot be reused).
WordCache& thread_cache(uint64_t serial) {
  struct Slots {
    std::array<uint64_t, 4> serial{};
    std::array<WordCache, 4> cache;
    unsigned next = 0;
  };
  thread_local Slots t;
  for (size_t i = 0; i < t.serial.size(); ++i) {
    if (t.serial[i] == serial) return t.cache[i];
  }
  const unsigned i = t.next++ % t.serial.size();
  t.cache[i] = WordCache();
  t.serial[i] = serial;
  return t.cache[i];
}

struct Scratch {
  std::vector<TokenId> syms;
  std::vector<int32_t> ranks;
  std::vector<TokenId> merged;
  std::string key;
  struct Sym {
    TokenId id;
    int32_t prev;
    int32_t next;
    bool alive;
  };
  struct Merge {
    int32_t rank;
    int32_t pos;
    TokenId id;
  };
  std::vector<Sym> heap_syms;
  std::vector<Merge> heap;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

class BpeModel final : public Model {
 public:
  explicit BpeModel(BpeConfig c);

  void tokenize(std::string_view piece, std::vector<TokenId>& out) const override {
    if (piece.empty()) return;
    if (ignore_merges_) {
      if (auto id = ids_.find(piece)) {
        out.push_back(*id);
        return;
      }
    }
    WordCache& cache = thread_cache(serial_);
    if (auto hit = cache.find(piece)) {
      out.insert(out.end(), hit->begin(), hit->end());
      return;
    }
    const size_t before = out.size();
    run(piece, BpeMergeLoop::Auto, out);
    cache.insert(piece, std::span<const TokenId>(out.data() + before, out.size() - before));
  }
  std::optional<TokenId> token_to_id(std::string_view token) const override {
    return ids_.find(token);
  }
  std::optional<std::string_view> id_to_token(TokenId id) const override {
    if (id < 0 || static_cast<size_t>(id) >= vocab_.size() || (!holes_.empty() && holes_[id])) {
      return std::nullopt;
    }
    return std::string_view(vocab_[id]);
  }
  size_t vocab_size() const override { return present_; }
  const char* type() const override { return "BPE"; }

  void run(std::string_view piece, BpeMergeLoop loop, std::vector<TokenId>& out) const {
    Scratch& s = scratch();
    initial_symbols(piece, s);
    const bool scan =
        loop == BpeMergeLoop::Scan || (loop == BpeMergeLoop::Auto && s.syms.size() <= kScanLimit);
    if (scan) {
      merge_scan(s);
    } else {
      merge_heap(s);
    }
    out.insert(out.end(), s.syms.begin(), s.syms.end());
  }

 private:
  std::optional<TokenId> lookup_char(std::string_view w, size_t i, size_t len, bool first,
                                     bool last, Scratch& s) const {
    const bool plain = (first || prefix_.empty()) && (!last || suffix_.empty());
    if (plain) {
      if (len <= 2) {
        size_t n = 0;
        const uint32_t cp = decode_utf8_at(w, i, n);
        if (cp < kDirectChars && n == len) {
          const TokenId id = direct_[cp];
          return id >= 0 ? std::optional<TokenId>(id) : std::nullopt;
        }
      }
      return ids_.find(w.substr(i, len));
    }
    s.key.clear();
    if (!first) s.key += prefix_;
    s.key.append(w.substr(i, len));
    if (last) s.key += suffix_;
    return ids_.find(s.key);
  }

  TokenId unk_id() const {
    if (unk_id_ < 0) {
      fail(Code::BAD_SYNTAX, "the BPE unk_token \"" + escape_for_message(*unk_) +
                                 "\" is not in the vocabulary, and the text needs it");
    }
    return unk_id_;
  }

  // HF's merge_word before merging: note that a pending unknown is flushed by the next known
  // character only, not by byte-fallback tokens (which therefore come before it).
  void initial_symbols(std::string_view w, Scratch& s) const {
    s.syms.clear();
    TokenId pending = -1;
    size_t i = 0;
    while (i < w.size()) {
      size_t len = utf8_char_len(static_cast<unsigned char>(w[i]));
      if (i + len > w.size()) len = w.size() - i;
      const bool first = i == 0;
      const bool last = i + len == w.size();
      if (auto id = lookup_char(w, i, len, first, last, s)) {
        if (pending >= 0) s.syms.push_back(pending);
        pending = -1;
        s.syms.push_back(*id);
        i += len;
        continue;
      }
      if (byte_fallback_ && fallback_bytes(w, i, len, first, last, s)) {
        i += len;
        continue;
      }
      if (unk_) {
        if (pending >= 0 && !fuse_unk_) {
          s.syms.push_back(pending);
          pending = unk_id();
        } else if (pending < 0) {
          pending = unk_id();
        }
      }
      i += len;
    }
    if (pending >= 0) s.syms.push_back(pending);
  }

  // The bytes of the symbol's string (prefix and suffix included, as HF does) as <0xXX>
  // tokens; false, adding nothing, when one of them is missing.
  bool fallback_bytes(std::string_view w, size_t i, size_t len, bool first, bool last,
                      Scratch& s) const {
    s.key.clear();
    if (!first) s.key += prefix_;
    s.key.append(w.substr(i, len));
    if (last) s.key += suffix_;
    for (char ch : s.key) {
      if (byte_ids_[static_cast<unsigned char>(ch)] < 0) return false;
    }
    for (char ch : s.key) s.syms.push_back(byte_ids_[static_cast<unsigned char>(ch)]);
    return true;
  }

  int32_t pair_rank(TokenId a, TokenId b, TokenId& merged) const {
    const PairMap::Value* v = merges_.find(PairMap::key(a, b));
    if (!v) return INT32_MAX;
    merged = v->id;
    return v->rank;
  }

  void merge_scan(Scratch& s) const {
    std::vector<TokenId>& sy = s.syms;
    if (sy.size() < 2) return;
    s.ranks.resize(sy.size() - 1);
    s.merged.resize(sy.size() - 1);
    for (size_t i = 0; i + 1 < sy.size(); ++i)
      s.ranks[i] = pair_rank(sy[i], sy[i + 1], s.merged[i]);
    while (sy.size() > 1) {
      size_t best = 0;
      int32_t best_rank = s.ranks[0];
      for (size_t i = 1; i < s.ranks.size(); ++i) {
        if (s.ranks[i] < best_rank) {
          best_rank = s.ranks[i];
          best = i;
        }
      }
      if (best_rank == INT32_MAX) break;
      sy[best] = s.merged[best];
      sy.erase(sy.begin() + static_cast<ptrdiff_t>(best) + 1);
      s.ranks.erase(s.ranks.begin() + static_cast<ptrdiff_t>(best));
      s.merged.erase(s.merged.begin() + static_cast<ptrdiff_t>(best));
      if (best > 0) s.ranks[best - 1] = pair_rank(sy[best - 1], sy[best], s.merged[best - 1]);
      if (best + 1 < sy.size()) s.ranks[best] = pair_rank(sy[best], sy[best + 1], s.merged[best]);
    }
  }

  // HF's Word::merge_all: a min-heap on (rank, position); stale entries are recognised by the
  // pair at their position no longer merging into the same id.
  void merge_heap(Scratch& s) const {
    const size_t n = s.syms.size();
    if (n < 2) return;
    auto& sym = s.heap_syms;
    sym.resize(n);
    for (size_t i = 0; i < n; ++i) {
      sym[i] = {s.syms[i], static_cast<int32_t>(i) - 1,
                i + 1 < n ? static_cast<int32_t>(i + 1) : -1, true};
    }
    auto later = [](const Scratch::Merge& a, const Scratch::Merge& b) {
      return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
    };
    auto& heap = s.heap;
    heap.clear();
    auto push = [&](int32_t pos, TokenId a, TokenId b) {
      TokenId merged = -1;
      const int32_t r = pair_rank(a, b, merged);
      if (r == INT32_MAX) return;
      heap.push_back({r, pos, merged});
      std::push_heap(heap.begin(), heap.end(), later);
    };
    for (size_t i = 0; i + 1 < n; ++i) push(static_cast<int32_t>(i), sym[i].id, sym[i + 1].id);
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), later);
      const Scratch::Merge top = heap.back();
      heap.pop_back();
      Scratch::Sym& cur = sym[top.pos];
      if (!cur.alive || cur.next < 0) continue;
      const int32_t next = cur.next;
      TokenId merged = -1;
      if (pair_rank(cur.id, sym[next].id, merged) == INT32_MAX || merged != top.id) continue;
      cur.id = top.id;
      cur.next = sym[next].next;
      sym[next].alive = false;
      if (cur.next >= 0) sym[cur.next].prev = top.pos;
      if (cur.prev >= 0) push(cur.prev, sym[cur.prev].id, cur.id);
      if (cur.next >= 0) push(top.pos, cur.id, sym[cur.next].id);
    }
    s.syms.clear();
    for (const auto& x : sym) {
      if (x.alive) s.syms.push_back(x.id);
    }
  }

  std::vector<std::string> vocab_;
  std::vector<uint8_t> holes_;
  size_t present_ = 0;
  StringIdMap ids_;
  PairMap merges_;
  std::optional<std::string> unk_;
  TokenId unk_id_ = -1;
  std::string prefix_, suffix_;
  bool fuse_unk_, byte_fallback_, ignore_merges_;
  std::array<TokenId, 256> byte_ids_{};
  std::vector<TokenId> direct_;
  uint64_t serial_;
};

BpeModel::BpeModel(BpeConfig c)
    : vocab_(std::move(c.vocab)),
      holes_(std::move(c.holes)),
      unk_(std::move(c.unk_token)),
      prefix_(std::move(c.continuing_subword_prefix)),
      suffix_(std::move(c.end_of_word_suffix)),
      fuse_unk_(c.fuse_unk),
      byte_fallback_(c.byte_fallback),
      ignore_merges_(c.ignore_merges),
      serial_(g_next_serial.fetch_add(1)) {
  if (vocab_.size() > static_cast<size_t>(INT32_MAX)) {
    fail(Code::LIMIT_EXCEEDED, "BPE vocabulary of " + std::to_string(vocab_.size()) + " tokens");
  }
  if (!holes_.empty() && holes_.size() != vocab_.size()) {
    fail(Code::ARGUMENT, "BPE holes list does not match the vocabulary size");
  }
  ids_.reserve(vocab_.size());
  // Duplicated strings (possible in GGUF token lists) resolve to the last id, as llama.cpp's
  // token map does; tokenizer.json maps cannot hold duplicates.
  for (size_t i = vocab_.size(); i-- > 0;) {
    if (!holes_.empty() && holes_[i]) continue;
    ids_.insert(vocab_[i], static_cast<TokenId>(i));
    ++present_;
  }
  if (unk_) {
    if (auto id = ids_.find(*unk_)) unk_id_ = *id;
  }
  byte_ids_.fill(-1);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    if (auto id = ids_.find(name)) byte_ids_[b] = *id;
  }
  direct_.assign(kDirectChars, -1);
  for (uint32_t cp = 0; cp < kDirectChars; ++cp) {
    std::string ch;
    append_utf8(ch, cp);
    if (auto id = ids_.find(ch)) direct_[cp] = *id;
  }
  merges_.reserve(c.merges.size());
  const size_t plen = prefix_.size();
  for (size_t r = 0; r < c.merges.size(); ++r) {
    const auto& [a, b] = c.merges[r];
    const std::string where = "merges[" + std::to_string(r) + "]";
    auto ia = ids_.find(a);
    auto ib = ids_.find(b);
    if (!ia || !ib) {
      fail(Code::BAD_SYNTAX,
           "merge token \"" + escape_for_message(!ia ? a : b) + "\" is not in the vocabulary",
           kNoOffset, where);
    }
    if (b.size() < plen) {
      fail(
          Code::BAD_SYNTAX,
          "merge token \"" + escape_for_message(b) + "\" is shorter than continuing_subword_prefix",
          kNoOffset, where);
    }
    const std::string joined = a + b.substr(plen);
    auto im = ids_.find(joined);
    if (!im) {
      fail(Code::BAD_SYNTAX,
           "merged token \"" + escape_for_message(joined) + "\" is not in the vocabulary",
           kNoOffset, where);
    }
    if (r > static_cast<size_t>(INT32_MAX - 1)) {
      fail(Code::LIMIT_EXCEEDED, "more than 2^31 merges", kNoOffset, where);
    }
    // A pair listed twice keeps its last rank, as HF's merge map (built by insertion) does.
    merges_.insert_or_assign(PairMap::key(*ia, *ib), {static_cast<int32_t>(r), *im});
  }
}

}  // namespace

std::unique_ptr<Model> make_bpe(BpeConfig config) {
  return std::make_unique<BpeModel>(std::move(config));
}

void bpe_tokenize_uncached(const Model& model, std::string_view piece, BpeMergeLoop loop,
                           std::vector<TokenId>& out) {
  const auto* bpe = dynamic_cast<const BpeModel*>(&model);
  if (!bpe) fail(Code::ARGUMENT, "bpe_tokenize_uncached needs a make_bpe model");
  if (!piece.empty()) bpe->run(piece, loop, out);
}

}  // namespace mwt::detail::tok
