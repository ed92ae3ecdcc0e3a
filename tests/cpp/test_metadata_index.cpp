// The name lookup of a WeightFile (core/name_index.hpp): every name found at its position,
// absent names not found, duplicates answered with the first position, and all of it still
// true when names collide in the hash (forced by a replaceable hash function), through table
// growth and wrap-around at the table's end. Then the GGUF reader, which builds the same table
// while it checks for duplicate keys and tensor names.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/name_index.hpp"
#include "gguf_bytes.hpp"

using namespace gguf_test;

namespace {

std::vector<std::string> make_names(size_t n) {
  std::vector<std::string> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i) v.push_back("blk." + std::to_string(i) + ".attn_q.weight");
  return v;
}

// Inserts every name (each must be new), then checks each is found at its position, that
// names that are not there are not found, and that inserting any name again answers its
// first position without adding it.
void check_index(NameIndex& idx, const std::vector<std::string>& names) {
  const auto key_of = [&](uint64_t i) { return std::string_view(names[i]); };
  for (size_t i = 0; i < names.size(); ++i) {
    INFO("insert " << names[i]);
    REQUIRE(idx.insert(names[i], i, key_of) == -1);
  }
  CHECK(idx.size() == names.size());
  CHECK(idx.capacity() >= 2 * names.size());  // load stays at most 1/2
  for (size_t i = 0; i < names.size(); ++i) {
    INFO("find " << names[i]);
    REQUIRE(idx.find(names[i], key_of) == static_cast<int64_t>(i));
  }
  for (const std::string& absent :
       {std::string(), std::string("blk."), std::string("blk.0.attn_q.weigh"),
        std::string("blk.0.attn_q.weightX"), std::string("blk.-1.attn_q.weight"),
        std::string("blk.0.attn_q.weight\0", 20)}) {
    INFO("absent \"" << absent << "\"");
    CHECK(idx.find(absent, key_of) == -1);
  }
  for (size_t i = 0; i < names.size(); i += 7) {
    const std::string copy = names[i];  // equal bytes, different storage
    CHECK(idx.insert(copy, names.size() + i, key_of) == static_cast<int64_t>(i));
  }
  CHECK(idx.size() == names.size());
}

// NameIndex folds a hash to 32 bits (h ^ h >> 32) and homes a name at the low bits of that;
// these hashes have zero high bits, so the fold is the value itself.
uint64_t same_hash(std::string_view) noexcept { return 0x12345675u; }
// Same home slot (0) in every table of up to 2^20 slots, tags differing with the length.
uint64_t same_home(std::string_view s) noexcept { return uint64_t{s.size()} << 20; }
// Home at the last slot of any table: probes wrap to slot 0.
uint64_t last_slot(std::string_view) noexcept { return 0xFFFFFFFFu; }
// Few distinct values: chains of equal hashes interleave.
uint64_t mod_five(std::string_view s) noexcept {
  uint64_t h = 0;
  for (char c : s) h += static_cast<unsigned char>(c);
  return (h % 5) * 0x9E3779B9u;
}

}  // namespace

TEST_CASE("name index: every name found, absent names not, duplicates give the first",
          "[core][name_index]") {
  const auto names = make_names(20000);
  NameIndex reserved;
  reserved.reserve(names.size());
  const uint64_t cap = reserved.capacity();
  check_index(reserved, names);
  CHECK(reserved.capacity() == cap);  // reserve(n) was enough: no growth

  NameIndex grown;  // no reserve: the table doubles as it fills
  check_index(grown, names);

  NameIndex empty;
  const auto none = [](uint64_t) { return std::string_view(); };
  CHECK(empty.find("", none) == -1);
  CHECK(empty.find("x", none) == -1);
  CHECK(empty.capacity() == 0);
}

TEST_CASE("name index: names whose hashes collide", "[core][name_index]") {
  const auto names = make_names(600);
  for (auto hash : {&same_hash, &same_home, &last_slot, &mod_five}) {
    NameIndex reserved(hash);
    reserved.reserve(names.size());
    check_index(reserved, names);
    NameIndex grown(hash);
    check_index(grown, names);
  }
  // A table of 16 slots with every name homed at its last slot: the chain wraps to slot 0.
  const std::vector<std::string> few = {"a", "b", "c", "d", "e", "f", "g", "h"};
  NameIndex wrap(&last_slot);
  wrap.reserve(few.size());
  CHECK(wrap.capacity() == 16);
  check_index(wrap, few);
}

TEST_CASE("name index: clear empties it, reserve on a filled index keeps its entries",
          "[core][name_index]") {
  const auto names = make_names(100);
  const auto key_of = [&](uint64_t i) { return std::string_view(names[i]); };
  NameIndex idx;
  for (size_t i = 0; i < 50; ++i) REQUIRE(idx.insert(names[i], i, key_of) == -1);
  idx.reserve(1000);  // moves the 50 entries into a larger table
  CHECK(idx.capacity() >= 2000);
  CHECK(idx.size() == 50);
  for (size_t i = 0; i < 50; ++i) CHECK(idx.find(names[i], key_of) == static_cast<int64_t>(i));
  CHECK(idx.find(names[50], key_of) == -1);
  idx.clear();
  CHECK(idx.size() == 0);
  CHECK(idx.find(names[0], key_of) == -1);
  check_index(idx, names);
}

TEST_CASE("WeightFile::build_index maps a repeated name to its first entry", "[name_index]") {
  WeightFile wf;
  for (const char* k : {"a", "b", "a", "c"}) wf.metadata.emplace_back().key = k;
  for (const char* n : {"w", "w", "v"}) wf.tensors.emplace_back().name = n;
  wf.build_index();
  CHECK(wf.find_metadata("a") == 0);
  CHECK(wf.find_metadata("b") == 1);
  CHECK(wf.find_metadata("c") == 3);
  CHECK(wf.find_metadata("d") == -1);
  CHECK(wf.find_tensor("w") == 0);
  CHECK(wf.find_tensor("v") == 2);
  CHECK(wf.find_tensor("a") == -1);  // the two tables are separate
  wf.metadata.emplace_back().key = "d";
  wf.build_index();  // rebuilt from scratch
  CHECK(wf.find_metadata("d") == 4);
  CHECK(wf.find_metadata("a") == 0);
}

TEST_CASE("GGUF reader: every key and tensor found through the index it built while parsing",
          "[gguf][name_index]") {
  const size_t n_kv = 5000, n_t = 300;
  GgufBytes g;
  g.header(n_t, n_kv);
  for (size_t i = 0; i < n_kv; ++i) g.kv_u32("k." + std::to_string(i), static_cast<uint32_t>(i));
  for (size_t i = 0; i < n_t; ++i) g.tensor_info("t" + std::to_string(i), {8}, 0, 32 * i);
  g.pad_to(32);
  for (size_t i = 0; i < n_t; ++i) g.data(32);
  const auto wf = open_bytes(g.b);
  REQUIRE(wf->metadata.size() == n_kv);
  REQUIRE(wf->tensors.size() == n_t);
  for (size_t i = 0; i < n_kv; ++i) {
    const std::string k = "k." + std::to_string(i);
    REQUIRE(wf->find_metadata(k) == static_cast<int64_t>(i));
    REQUIRE(wf->metadata[i].key == k);
    REQUIRE(wf->metadata[i].value.scalar_bits == i);
  }
  for (size_t i = 0; i < n_t; ++i)
    REQUIRE(wf->find_tensor("t" + std::to_string(i)) == static_cast<int64_t>(i));
  for (const char* absent : {"", "k.", "k.5000", "k.-1", "t300", "t", "k.1 ", "t0"})
    CHECK(wf->find_metadata(absent) == -1);
  CHECK(wf->find_tensor("k.0") == -1);
  CHECK(wf->find_tensor("t300") == -1);
}

TEST_CASE("GGUF reader: a duplicate key or tensor name deep in a long header is refused",
          "[gguf][name_index]") {
  const size_t n = 3000;
  GgufBytes g;
  g.header(0, n + 1);
  uint64_t first_at = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i == 1234) first_at = g.size();
    g.kv_u32("key." + std::to_string(i), 1);
  }
  const uint64_t dup_at = g.size();
  g.kv_u32("key.1234", 2);
  Error e = expect_error(g.b, Code::DUPLICATE);
  CHECK(e.offset() == dup_at);
  CHECK(e.field() == "kv[\"key.1234\"].key");
  CHECK(std::string(e.what()).find("first defined at offset " + std::to_string(first_at)) !=
        std::string::npos);

  // The same duplicate after a truncation point is never reached: TRUNCATED, as before.
  std::vector<uint8_t> cut(g.b.begin(), g.b.begin() + static_cast<std::ptrdiff_t>(dup_at - 3));
  expect_error(cut, Code::TRUNCATED);

  GgufBytes t;
  const size_t nt = 500;
  t.header(nt + 1, 0);
  uint64_t t_first = 0;
  for (size_t i = 0; i < nt; ++i) {
    if (i == 321) t_first = t.size();
    t.tensor_info("w" + std::to_string(i), {8}, 0, 32 * i);
  }
  const uint64_t t_dup = t.size();
  t.tensor_info("w321", {8}, 0, 32 * nt).pad_to(32);
  for (size_t i = 0; i <= nt; ++i) t.data(32);
  e = expect_error(t.b, Code::DUPLICATE);
  CHECK(e.offset() == t_dup);
  CHECK(e.field() == "tensors[\"w321\"].name");
  CHECK(std::string(e.what()).find("first defined at offset " + std::to_string(t_first)) !=
        std::string::npos);
}
