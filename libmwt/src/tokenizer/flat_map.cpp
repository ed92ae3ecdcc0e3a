// Building and growing the hash tables of flat_map.hpp.
#include "tokenizer/flat_map.hpp"

#include <algorithm>
#include <chrono>
#include <random>

namespace mwt::detail::tok {

uint64_t process_hash_seed() {
  static const uint64_t seed = [] {
    std::random_device rd;
    uint64_t s = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    s ^= static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return s | 1;
  }();
  return seed;
}

void StringIdMap::reserve(size_t n) {
  const size_t cap = table_size_for(n);
  if (cap <= slots_.size()) return;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(cap, Slot{});
  mask_ = cap - 1;
  for (const Slot& s : old) {
    if (s.id < 0) continue;
    size_t i = s.hash & mask_;
    while (slots_[i].id >= 0) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

void StringIdMap::grow() { reserve(slots_.empty() ? 8 : slots_.size()); }

bool StringIdMap::insert(std::string_view key, int32_t id) {
  if ((count_ + 1) * 2 > slots_.size()) grow();
  const uint64_t h = hash_bytes(key.data(), key.size(), seed_);
  size_t i = h & mask_;
  while (slots_[i].id >= 0) {
    const Slot& s = slots_[i];
    if (s.hash == h && s.len == key.size() &&
        std::memcmp(arena_.data() + s.off, key.data(), key.size()) == 0) {
      return false;
    }
    i = (i + 1) & mask_;
  }
  Slot& s = slots_[i];
  s.hash = h;
  s.off = arena_.size();
  s.len = static_cast<uint32_t>(key.size());
  s.id = id;
  arena_.append(key);
  ++count_;
  return true;
}

void PairMap::reserve(size_t n) {
  const size_t cap = table_size_for(n);
  if (cap <= slots_.size()) return;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(cap, Slot{});
  mask_ = cap - 1;
  for (const Slot& s : old) {
    if (s.key == kEmpty) continue;
    size_t i = mix(s.key) & mask_;
    while (slots_[i].key != kEmpty) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

void PairMap::grow() { reserve(slots_.empty() ? 8 : slots_.size()); }

void PairMap::insert_or_assign(uint64_t k, Value v) {
  if ((count_ + 1) * 2 > slots_.size()) grow();
  size_t i = mix(k) & mask_;
  while (slots_[i].key != kEmpty) {
    if (slots_[i].key == k) {
      slots_[i].value = v;
      return;
    }
    i = (i + 1) & mask_;
  }
  slots_[i].key = k;
  slots_[i].value = v;
  ++count_;
}

void WordCache::insert(std::string_view key, std::span<const int32_t> ids) {
  if (key.size() >= kMaxKeyBytes || ids.size() > kMaxKeyBytes * 4) return;
  if (slots_.empty()) slots_.assign(kMaxEntries * 2, Slot{});
  if (count_ >= kMaxEntries || keys_.size() + key.size() > kMaxArenaBytes ||
      (ids_.size() + ids.size()) * sizeof(int32_t) > kMaxArenaBytes) {
    std::fill(slots_.begin(), slots_.end(), Slot{});
    keys_.clear();
    ids_.clear();
    count_ = 0;
  }
  const uint64_t h = hash_bytes(key.data(), key.size(), seed_);
  size_t i = h & (slots_.size() - 1);
  while (slots_[i].len != kEmptyLen) i = (i + 1) & (slots_.size() - 1);
  Slot& s = slots_[i];
  s.hash = h;
  s.key_off = static_cast<uint32_t>(keys_.size());
  s.len = static_cast<uint32_t>(key.size());
  s.ids_off = static_cast<uint32_t>(ids_.size());
  s.n_ids = static_cast<uint32_t>(ids.size());
  keys_.append(key);
  ids_.insert(ids_.end(), ids.begin(), ids.end());
  ++count_;
}

}  // namespace mwt::detail::tok
