// The trainer's merge loop: Hugging Face BpeTrainer::do_train restated over flat arrays.
// Special tokens, then the alphabet sorted by code point, then merges picked from a lazy
// priority queue (highest count, then the smallest (left id, right id) pair), each applied to
// the words listed with its queue entry. The quirks that decide HF's exact output are kept on
// purpose (docs/tokenizers-train.md#the-merge-loop): a merged pair's own count is not lowered,
// a queue entry carries only the words of the step that pushed it, and a pair merged twice is
// listed once, at its later rank.
#include <algorithm>
#include <chrono>
#include <limits>
#include <unordered_map>

#include "core/error.hpp"
#include "tokenizer/train_bpe.hpp"

namespace mwt::detail::tok::train {
namespace {

constexpr uint32_t kNone = UINT32_MAX;

uint64_t mix64(uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDull;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ull;
  return x ^ (x >> 33);
}

constexpr uint64_t pair_key(uint32_t a, uint32_t b) noexcept {
  return (uint64_t{a} << 32) | b;  // ordering keys orders pairs as (a, b) tuples
}

struct PairInfo {
  int64_t count = 0;   // HF's pair_counts entry (never removed, may reach 0)
  uint32_t stamp = 0;  // the merge step whose new-positions list `list` is
  uint32_t list = kNone;
};

// pair key -> index into `info` (stable, so indices survive growth).
class PairTable {
 public:
  PairTable() : slot_key_(1 << 16), slot_idx_(1 << 16, kNone) {}
  uint32_t find_or_add(uint64_t key) {
    size_t i = mix64(key) & (slot_idx_.size() - 1);
    while (slot_idx_[i] != kNone) {
      if (slot_key_[i] == key) return slot_idx_[i];
      i = (i + 1) & (slot_idx_.size() - 1);
    }
    if (info.size() >= kNone - 1) fail(Code::LIMIT_EXCEEDED, "more than 2^32 distinct pairs");
    const auto idx = static_cast<uint32_t>(info.size());
    slot_key_[i] = key;
    slot_idx_[i] = idx;
    info.emplace_back();
    keys.push_back(key);
    if (info.size() * 2 > slot_idx_.size()) grow();
    return idx;
  }
  std::vector<PairInfo> info;
  std::vector<uint64_t> keys;

 private:
  void grow() {
    const size_t n = slot_idx_.size() * 2;
    slot_key_.assign(n, 0);
    slot_idx_.assign(n, kNone);
    for (uint32_t idx = 0; idx < keys.size(); ++idx) {
      size_t i = mix64(keys[idx]) & (n - 1);
      while (slot_idx_[i] != kNone) i = (i + 1) & (n - 1);
      slot_key_[i] = keys[idx];
      slot_idx_[i] = idx;
    }
  }
  std::vector<uint64_t> slot_key_;
  std::vector<uint32_t> slot_idx_;
};

// HF's Merge: the pair, the count it was pushed with, and the words it was pushed for.
struct Entry {
  uint64_t count;
  uint64_t key;
  uint32_t idx;
  uint32_t list;
};
// std heap order: `a` below `b` when b pops first (higher count, then the smaller pair).
struct Below {
  bool operator()(const Entry& a, const Entry& b) const noexcept {
    return a.count != b.count ? a.count < b.count : a.key > b.key;
  }
};

// Word lists (word indices) owned by queue entries; freed lists are reused.
class Lists {
 public:
  uint32_t make() {
    if (!free_.empty()) {
      const uint32_t l = free_.back();
      free_.pop_back();
      return l;
    }
    lists_.emplace_back();
    return static_cast<uint32_t>(lists_.size() - 1);
  }
  void release(uint32_t l) {
    auto& v = lists_[l];
    v.clear();
    if (v.capacity() > 4096) std::vector<uint32_t>().swap(v);
    free_.push_back(l);
  }
  std::vector<uint32_t>& operator[](uint32_t l) { return lists_[l]; }

 private:
  std::vector<std::vector<uint32_t>> lists_;
  std::vector<uint32_t> free_;
};

size_t utf8_chars(std::string_view s) {
  size_t n = 0;
  for (const char c : s) n += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return n;
}

// The code point GPT-2's table gives byte b (what HF sorts the alphabet by).
unsigned code_point_of_byte(uint8_t b) {
  const std::string_view c = byte_level_char(b);
  return c.size() == 1
             ? static_cast<uint8_t>(c[0])
             : ((static_cast<uint8_t>(c[0]) & 0x1Fu) << 6) | (static_cast<uint8_t>(c[1]) & 0x3Fu);
}

class Trainer {
 public:
  Trainer(const WordCounts& words, const BpeTrainOptions& opt, const Progress& progress)
      : words_(words), opt_(opt), progress_(progress) {
    if (opt.max_token_length) max_len_ = *opt.max_token_length;
  }

  std::optional<BpeTrainResult> run() {
    add_special_tokens();
    add_alphabet();
    make_words();
    count_pairs();
    if (!merge_loop()) return std::nullopt;
    return finish();
  }

 private:
  uint32_t add_token(std::string s) {
    const auto it = w2id_.find(s);
    if (it != w2id_.end()) return it->second;
    const auto id = static_cast<uint32_t>(id2w_.size());
    chars_.push_back(utf8_chars(s));
    w2id_.emplace(s, id);
    id2w_.push_back(std::move(s));
    return id;
  }

  void add_special_tokens() {
    for (const std::string& s : opt_.special_tokens) {
      if (s.empty()) fail(Code::ARGUMENT, "an empty special token");
      const bool is_new = !w2id_.count(s);
      const uint32_t id = add_token(s);
      if (is_new) result_.special_tokens.emplace_back(s, id);
    }
  }

  // HF compute_alphabet: every character of the words with its count, the initial alphabet
  // counted as "infinitely" frequent, the rarest dropped beyond limit_alphabet, the rest added
  // in code point order. Characters here are bytes through GPT-2's table, a bijection.
  void add_alphabet() {
    std::vector<uint64_t> count(256, 0);
    std::vector<bool> present(256, false);
    for (size_t w = 0; w < words_.size(); ++w)
      for (const char c : words_.word(w)) {
        const auto b = static_cast<uint8_t>(c);
        count[b] += words_.counts[w];
        present[b] = true;
      }
    if (opt_.byte_level_alphabet) {
      std::fill(count.begin(), count.end(), std::numeric_limits<uint64_t>::max());
      std::fill(present.begin(), present.end(), true);
    }
    std::vector<uint8_t> kept;
    for (unsigned b = 0; b < 256; ++b)
      if (present[b]) kept.push_back(static_cast<uint8_t>(b));
    if (opt_.limit_alphabet && kept.size() > *opt_.limit_alphabet) {
      // HF sorts by count with an unstable sort, so equal counts drop in no fixed order; here
      // the lower code point goes first.
      std::sort(kept.begin(), kept.end(), [&](uint8_t x, uint8_t y) {
        return count[x] != count[y] ? count[x] < count[y]
                                    : code_point_of_byte(x) < code_point_of_byte(y);
      });
      kept.erase(kept.begin(),
                 kept.begin() + static_cast<std::ptrdiff_t>(kept.size() - *opt_.limit_alphabet));
    }
    std::sort(kept.begin(), kept.end(),
              [](uint8_t x, uint8_t y) { return code_point_of_byte(x) < code_point_of_byte(y); });
    result_.alphabet_size = kept.size();
    for (const uint8_t b : kept) add_token(std::string(byte_level_char(b)));
  }

  // HF tokenize_words: each byte's character becomes its id when the vocabulary has it (an
  // alphabet character, or a special token spelled as that one character); others vanish.
  void make_words() {
    uint32_t sym_of[256];
    for (unsigned b = 0; b < 256; ++b) {
      const auto it = w2id_.find(std::string(byte_level_char(static_cast<uint8_t>(b))));
      sym_of[b] = it == w2id_.end() ? kNone : it->second;
    }
    if (words_.size() >= kNone - 1) fail(Code::LIMIT_EXCEEDED, "more than 2^32 unique words");
    for (size_t w = 0; w < words_.size(); ++w) {
      const uint64_t start = syms_.size();
      for (const char c : words_.word(w)) {
        const uint32_t s = sym_of[static_cast<uint8_t>(c)];
        if (s != kNone) syms_.push_back(s);
      }
      const uint64_t n = syms_.size() - start;
      if (n < 2) {  // no pair: it can take part in no merge
        syms_.resize(start);
        continue;
      }
      off_.push_back(start);
      len_.push_back(static_cast<uint32_t>(n));
      count_.push_back(static_cast<int64_t>(words_.counts[w]));
    }
  }

  // HF count_pairs: every adjacent pair's count over all words and the words it occurs in.
  void count_pairs() {
    for (uint32_t w = 0; w < off_.size(); ++w) {
      const uint32_t* s = syms_.data() + off_[w];
      for (uint32_t i = 0; i + 1 < len_[w]; ++i) {
        const uint32_t idx = pairs_.find_or_add(pair_key(s[i], s[i + 1]));
        PairInfo& p = pairs_.info[idx];
        p.count += count_[w];
        if (p.list == kNone) p.list = lists_.make();
        auto& l = lists_[p.list];
        if (l.empty() || l.back() != w) l.push_back(w);
      }
    }
    heap_.reserve(pairs_.info.size());
    for (uint32_t idx = 0; idx < pairs_.info.size(); ++idx) {
      PairInfo& p = pairs_.info[idx];
      if (p.count > 0)
        heap_.push_back(Entry{static_cast<uint64_t>(p.count), pairs_.keys[idx], idx, p.list});
      else
        lists_.release(p.list);
      p.list = kNone;
    }
    std::make_heap(heap_.begin(), heap_.end(), Below{});
  }

  void change(uint32_t a, uint32_t b, int64_t delta) {
    pairs_.info[pairs_.find_or_add(pair_key(a, b))].count += delta;
  }
  void change_with_word(uint32_t a, uint32_t b, int64_t delta, uint32_t w) {
    const uint32_t idx = pairs_.find_or_add(pair_key(a, b));
    PairInfo& p = pairs_.info[idx];
    p.count += delta;
    if (p.stamp != step_) {
      p.stamp = step_;
      p.list = lists_.make();
      touched_.push_back(idx);
    }
    auto& l = lists_[p.list];
    if (l.empty() || l.back() != w) l.push_back(w);
  }

  // HF Word::merge on word w: left to right, non-overlapping; the pairs around each merged
  // occurrence lose the word's count and the new pairs gain it (unless too long).
  void merge_word(uint32_t w, uint32_t a, uint32_t b, uint32_t z) {
    uint32_t* s = syms_.data() + off_[w];
    const uint32_t n = len_[w];
    const int64_t c = count_[w];
    const uint64_t zlen = chars_[a] + chars_[b];
    uint32_t r = 0, o = 0;
    while (r < n) {
      if (s[r] == a && r + 1 < n && s[r + 1] == b) {
        if (o > 0) {
          const uint32_t prev = s[o - 1];
          change(prev, a, -c);
          if (chars_[prev] + zlen < max_len_) change_with_word(prev, z, c, w);
        }
        s[o++] = z;
        r += 2;
        if (r < n) {
          const uint32_t next = s[r];
          change(b, next, -c);
          if (chars_[next] + zlen < max_len_) change_with_word(z, next, c, w);
        }
      } else {
        s[o++] = s[r++];
      }
    }
    len_[w] = o;
  }

  // force: report now (the first and last calls); last: report done == total.
  bool report(bool force, bool last = false) {
    if (!progress_) return true;
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_report_ < std::chrono::milliseconds(50)) return true;
    last_report_ = now;
    const uint64_t target = opt_.vocab_size > base_ ? opt_.vocab_size - base_ : 0;
    const uint64_t done = std::min<uint64_t>(w2id_.size() - base_, target);
    return progress_(Stage::MERGE, last ? target : done, target);
  }

  bool merge_loop() {
    base_ = w2id_.size();
    last_report_ = std::chrono::steady_clock::now();
    if (!report(true)) return false;
    for (uint64_t iter = 1;; ++iter) {
      if (w2id_.size() >= opt_.vocab_size) {
        result_.stopped_by = "vocab_size";
        break;
      }
      if (heap_.empty()) {
        result_.stopped_by = "no_pairs";
        break;
      }
      std::pop_heap(heap_.begin(), heap_.end(), Below{});
      Entry top = heap_.back();
      heap_.pop_back();
      // HF reads the i32 count as u64: a negative count would come back huge.
      const auto now_count = static_cast<uint64_t>(pairs_.info[top.idx].count);
      if (top.count != now_count) {
        top.count = now_count;
        heap_.push_back(top);
        std::push_heap(heap_.begin(), heap_.end(), Below{});
        continue;
      }
      if (top.count < 1 || opt_.min_frequency > top.count) {
        result_.stopped_by = top.count < 1 ? "no_pairs" : "min_frequency";
        lists_.release(top.list);
        break;
      }
      const auto a = static_cast<uint32_t>(top.key >> 32);
      const auto b = static_cast<uint32_t>(top.key & 0xFFFFFFFFu);
      const uint32_t z = add_token(id2w_[a] + id2w_[b]);
      merges_.emplace_back(top.key, z);
      result_.last_count = top.count;
      if (++step_ == kNone) fail(Code::LIMIT_EXCEEDED, "more than 2^32 merge steps");
      touched_.clear();
      for (const uint32_t w : lists_[top.list]) merge_word(w, a, b, z);
      lists_.release(top.list);
      for (const uint32_t idx : touched_) {
        PairInfo& p = pairs_.info[idx];
        if (p.count > 0) {
          heap_.push_back(Entry{static_cast<uint64_t>(p.count), pairs_.keys[idx], idx, p.list});
          std::push_heap(heap_.begin(), heap_.end(), Below{});
        } else {
          lists_.release(p.list);
        }
        p.list = kNone;
      }
      if ((iter & 63) == 0 && !report(false)) return false;
    }
    return report(true, true);
  }

  BpeTrainResult finish() {
    result_.merge_steps = merges_.size();
    // HF keeps its merges in a map from pair to (rank, id): a pair merged twice keeps the
    // later rank, and the file lists the pairs by rank.
    std::unordered_map<uint64_t, size_t> last;
    last.reserve(merges_.size());
    for (size_t i = 0; i < merges_.size(); ++i) last[merges_[i].first] = i;
    for (size_t i = 0; i < merges_.size(); ++i)
      if (last[merges_[i].first] == i)
        result_.merges.emplace_back(static_cast<uint32_t>(merges_[i].first >> 32),
                                    static_cast<uint32_t>(merges_[i].first & 0xFFFFFFFFu));
    result_.vocab = std::move(id2w_);
    return std::move(result_);
  }

  const WordCounts& words_;
  const BpeTrainOptions& opt_;
  const Progress& progress_;
  uint64_t max_len_ = std::numeric_limits<uint64_t>::max();

  std::vector<std::string> id2w_;
  std::unordered_map<std::string, uint32_t> w2id_;
  std::vector<uint64_t> chars_;  // characters per token (HF's symbol lengths)

  std::vector<uint32_t> syms_;  // every word's symbols, back to back (words shrink in place)
  std::vector<uint64_t> off_;
  std::vector<uint32_t> len_;
  std::vector<int64_t> count_;

  PairTable pairs_;
  Lists lists_;
  std::vector<Entry> heap_;
  std::vector<uint32_t> touched_;
  uint32_t step_ = 0;
  std::vector<std::pair<uint64_t, uint32_t>> merges_;  // (pair key, new id), with repeats
  size_t base_ = 0;
  std::chrono::steady_clock::time_point last_report_;
  BpeTrainResult result_;
};

}  // namespace

std::optional<BpeTrainResult> train_bpe(const WordCounts& words, const BpeTrainOptions& options,
                                        const Progress& progress) {
  return Trainer(words, options, progress).run();
}

}  // namespace mwt::detail::tok::train
