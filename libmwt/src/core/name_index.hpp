// NameIndex: a flat open-addressing hash table from a name to the position of its entry in the
// caller's array (a WeightFile's metadata keys or tensor names). It stores no strings and
// allocates nothing per entry: one array of 8-byte slots, each holding the name's hash folded
// to 32 bits and the entry's position; the caller's key_of(i) gives entry i's name for the byte
// comparison on a hash match. A slot's home is its tag's low bits, so the table grows without
// reading or hashing any name again. The reader that checks names for duplicates builds it once
// while parsing and the lookups reuse it (docs/readers.md, rule 7: linear time).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace mwt::detail {

class NameIndex {
 public:
  using HashFn = uint64_t (*)(std::string_view) noexcept;
  static uint64_t default_hash(std::string_view s) noexcept {
    return std::hash<std::string_view>{}(s);
  }
  // Positions are stored as 32 bits (+1, 0 marks an empty slot) and a table of 2^32 slots,
  // the most a 32-bit home can address, holds 2^31 at load 1/2.
  static constexpr uint64_t kMaxEntries = (uint64_t{1} << 31) - 1;

  // `hash` is replaceable so tests can force collisions; lookups never depend on its quality
  // for correctness, only for speed.
  explicit NameIndex(HashFn hash = default_hash) noexcept : hash_(hash) {}

  void clear() noexcept {
    slots_.clear();
    mask_ = 0;
    size_ = 0;
  }
  uint64_t size() const noexcept { return size_; }
  uint64_t capacity() const noexcept { return slots_.size(); }

  // Room for n entries without growing (load at most 1/2). The caller bounds n (e.g. a count
  // checked against the bytes left in the file) before calling.
  void reserve(uint64_t n) {
    if (n > kMaxEntries)
      fail(Code::LIMIT_EXCEEDED, "a name index holds at most " + std::to_string(kMaxEntries) +
                                     " entries, " + std::to_string(n) + " requested");
    uint64_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    if (cap > slots_.size()) resize(cap);
  }

  // Adds `name` as entry `i` unless it is present. Returns -1 when added, else the position of
  // the entry that already has this name (the index is then unchanged). key_of(j) must return
  // the name of every entry j added before.
  template <typename KeyOf>
  int64_t insert(std::string_view name, uint64_t i, const KeyOf& key_of) {
    if (i >= kMaxEntries || size_ >= kMaxEntries)
      fail(Code::LIMIT_EXCEEDED,
           "a name index holds at most " + std::to_string(kMaxEntries) + " entries");
    if (slots_.empty()) resize(16);
    const uint32_t tag = fold(hash_(name));
    for (uint64_t p = tag & mask_;; p = (p + 1) & mask_) {
      Slot& s = slots_[p];
      if (s.entry == 0) {  // absent: add it, first doubling the table if it would pass 1/2
        if (2 * (size_ + 1) > slots_.size()) {
          resize(slots_.size() * 2);
          for (p = tag & mask_; slots_[p].entry != 0;) p = (p + 1) & mask_;
        }
        slots_[p] = Slot{tag, static_cast<uint32_t>(i + 1)};
        ++size_;
        return -1;
      }
      if (s.tag == tag && std::string_view(key_of(s.entry - 1)) == name)
        return static_cast<int64_t>(s.entry - 1);
    }
  }

  // The position of the entry named `name`, -1 when absent.
  template <typename KeyOf>
  int64_t find(std::string_view name, const KeyOf& key_of) const {
    if (size_ == 0) return -1;
    const uint32_t tag = fold(hash_(name));
    for (uint64_t p = tag & mask_;; p = (p + 1) & mask_) {  // load <= 1/2: an empty slot exists
      const Slot& s = slots_[p];
      if (s.entry == 0) return -1;
      if (s.tag == tag && std::string_view(key_of(s.entry - 1)) == name)
        return static_cast<int64_t>(s.entry - 1);
    }
  }

 private:
  struct Slot {
    uint32_t tag = 0;    // the name's hash folded to 32 bits (its low bits are the home)
    uint32_t entry = 0;  // position + 1; 0 = empty
  };
  static uint32_t fold(uint64_t h) noexcept { return static_cast<uint32_t>(h ^ (h >> 32)); }

  // Moves the entries into a table of `cap` slots (a power of two, > 2 * size_).
  void resize(uint64_t cap) {
    std::vector<Slot> old(cap);
    old.swap(slots_);
    mask_ = cap - 1;
    for (const Slot& s : old) {
      if (s.entry == 0) continue;
      uint64_t p = s.tag & mask_;
      while (slots_[p].entry != 0) p = (p + 1) & mask_;
      slots_[p] = s;
    }
  }

  HashFn hash_;
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  uint64_t size_ = 0;
};

}  // namespace mwt::detail
