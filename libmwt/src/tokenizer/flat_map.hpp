// Open-addressing hash tables for the encode hot path: token string -> id (vocabularies),
// packed (left id, right id) -> (rank, merged id) (BPE merges), and a bounded string -> ids cache
// (BPE words). Built once, read without locks; the hash is seeded per process so a crafted
// vocabulary cannot force collisions.
#pragma once
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mwt::detail::tok {

uint64_t process_hash_seed();

inline uint64_t hash_bytes(const char* p, size_t n, uint64_t seed) {
  uint64_t h = seed ^ (static_cast<uint64_t>(n) * 0xff51afd7ed558ccdULL);
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = (h ^ v) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n) {
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    h = (h ^ v) * 0x94d049bb133111ebULL;
    h ^= h >> 32;
  }
  h ^= h >> 31;
  h *= 0x9E3779B97F4A7C15ULL;
  h ^= h >> 29;
  return h;
}

inline size_t table_size_for(size_t n) {
  size_t cap = 16;
  while (cap < n * 2 + 2) cap <<= 1;
  return cap;
}

// Token string -> id. Keys are copied into one arena.
class StringIdMap {
 public:
  StringIdMap() : seed_(process_hash_seed()) {}
  void reserve(size_t n);
  // Returns false (and changes nothing) when the key is already present.
  bool insert(std::string_view key, int32_t id);
  std::optional<int32_t> find(std::string_view key) const {
    if (slots_.empty()) return std::nullopt;
    const uint64_t h = hash_bytes(key.data(), key.size(), seed_);
    size_t i = h & mask_;
    while (true) {
      const Slot& s = slots_[i];
      if (s.id < 0) return std::nullopt;
      if (s.hash == h && s.len == key.size() &&
          std::memcmp(arena_.data() + s.off, key.data(), key.size()) == 0) {
        return s.id;
      }
      i = (i + 1) & mask_;
    }
  }
  size_t size() const { return count_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint64_t off = 0;
    uint32_t len = 0;
    int32_t id = -1;
  };
  void grow();
  uint64_t seed_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t count_ = 0;
  std::string arena_;
};

// (left, right) -> (rank, merged id), the BPE merge table.
class PairMap {
 public:
  struct Value {
    int32_t rank;
    int32_t id;
  };
  static uint64_t key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  void reserve(size_t n);
  // Later values for an existing key replace earlier ones.
  void insert_or_assign(uint64_t k, Value v);
  const Value* find(uint64_t k) const {
    if (slots_.empty()) return nullptr;
    size_t i = mix(k) & mask_;
    while (true) {
      const Slot& s = slots_[i];
      if (s.key == kEmpty) return nullptr;
      if (s.key == k) return &s.value;
      i = (i + 1) & mask_;
    }
  }
  size_t size() const { return count_; }

 private:
  static constexpr uint64_t kEmpty = ~0ULL;
  struct Slot {
    uint64_t key = kEmpty;
    Value value{0, 0};
  };
  uint64_t mix(uint64_t k) const {
    k ^= seed_;
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
  }
  void grow();
  uint64_t seed_ = process_hash_seed();
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t count_ = 0;
};

// A bounded word -> ids cache for one thread and one model. When it fills up it starts over,
// so memory stays under a fixed bound whatever the input.
class WordCache {
 public:
  static constexpr size_t kMaxEntries = 1 << 14;
  static constexpr size_t kMaxKeyBytes = 256;
  static constexpr size_t kMaxArenaBytes = 4u << 20;

  WordCache() : seed_(process_hash_seed()) {}
  std::optional<std::span<const int32_t>> find(std::string_view key) const {
    if (slots_.empty()) return std::nullopt;
    const uint64_t h = hash_bytes(key.data(), key.size(), seed_);
    size_t i = h & (slots_.size() - 1);
    while (true) {
      const Slot& s = slots_[i];
      if (s.len == kEmptyLen) return std::nullopt;
      if (s.hash == h && s.len == key.size() &&
          std::memcmp(keys_.data() + s.key_off, key.data(), key.size()) == 0) {
        return std::span<const int32_t>(ids_.data() + s.ids_off, s.n_ids);
      }
      i = (i + 1) & (slots_.size() - 1);
    }
  }
  void insert(std::string_view key, std::span<const int32_t> ids);

 private:
  static constexpr uint32_t kEmptyLen = ~0u;
  struct Slot {
    uint64_t hash = 0;
    uint32_t key_off = 0;
    uint32_t len = kEmptyLen;
    uint32_t ids_off = 0;
    uint32_t n_ids = 0;
  };
  uint64_t seed_;
  std::vector<Slot> slots_;
  size_t count_ = 0;
  std::string keys_;
  std::vector<int32_t> ids_;
};

}  // namespace mwt::detail::tok
