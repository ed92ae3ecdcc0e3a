// Test helper for the GGUF tests: builds GGUF bytes field by field (so a malformed case says
// exactly which field it breaks) and opens them through read_gguf with error checks.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "core/mapped_file.hpp"
#include "formats/open.hpp"

namespace gguf_test {

using namespace mwt::detail;

// GGUF value type ids (docs/gguf.md#value-types).
enum Vt : uint32_t {
  T_U8 = 0,
  T_I8 = 1,
  T_U16 = 2,
  T_I16 = 3,
  T_U32 = 4,
  T_I32 = 5,
  T_F32 = 6,
  T_BOOL = 7,
  T_STRING = 8,
  T_ARRAY = 9,
  T_U64 = 10,
  T_I64 = 11,
  T_F64 = 12,
};

class GgufBytes {
 public:
  template <typename T>
  GgufBytes& put(T v) {
    uint8_t tmp[sizeof(T)];
    std::memcpy(tmp, &v, sizeof(T));  // little-endian host
    b.insert(b.end(), tmp, tmp + sizeof(T));
    return *this;
  }
  GgufBytes& u8(uint8_t v) { return put(v); }
  GgufBytes& u16(uint16_t v) { return put(v); }
  GgufBytes& u32(uint32_t v) { return put(v); }
  GgufBytes& u64(uint64_t v) { return put(v); }
  // resize + memcpy rather than insert(end, ...): GCC 12 inlines the insert of the magic into
  // the still empty vector and warns falsely that it writes into "a region of size 0"
  // (-Wstringop-overflow, inside stl_algobase.h).
  GgufBytes& raw(std::string_view s) {
    const size_t at = b.size();
    b.resize(at + s.size());
    if (!s.empty()) std::memcpy(b.data() + at, s.data(), s.size());
    return *this;
  }
  GgufBytes& zeros(uint64_t n) {
    b.insert(b.end(), n, 0);
    return *this;
  }
  // A gguf_string: u64 length then the bytes.
  GgufBytes& str(std::string_view s) { return u64(s.size()).raw(s); }

  GgufBytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    return raw("GGUF").u32(version).u64(n_tensors).u64(n_kv);
  }
  // Key and value type; the caller appends the value.
  GgufBytes& kv(std::string_view key, uint32_t type) { return str(key).u32(type); }
  GgufBytes& kv_u32(std::string_view key, uint32_t v) { return kv(key, T_U32).u32(v); }
  GgufBytes& kv_str(std::string_view key, std::string_view v) { return kv(key, T_STRING).str(v); }
  // Array header (after kv(key, T_ARRAY)); the caller appends the elements.
  GgufBytes& array(uint32_t elem_type, uint64_t count) { return u32(elem_type).u64(count); }
  // Tensor info; `ne` in GGUF order (innermost first), `offset` relative to the data section.
  GgufBytes& tensor_info(std::string_view name, const std::vector<uint64_t>& ne, uint32_t type,
                         uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne) u64(d);
    return u32(type).u64(offset);
  }
  GgufBytes& pad_to(uint64_t align) { return zeros((align - b.size() % align) % align); }
  // `n` bytes counting up from `seed`, so a wrong data view shows up as wrong bytes.
  GgufBytes& data(uint64_t n, uint8_t seed = 1) {
    for (uint64_t i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(seed + i));
    return *this;
  }
  size_t size() const { return b.size(); }

  std::vector<uint8_t> b;
};

inline std::unique_ptr<WeightFile> open_bytes(std::vector<uint8_t> bytes,
                                              const OpenOptions& opts = {}) {
  return read_gguf(MappedFile::from_bytes(std::move(bytes), "test.gguf"), opts);
}

// Opens `bytes` expecting failure with `code`; checks the error names an offset and a field and
// that no WeightFile came back. Returns the error for further checks.
inline Error expect_error(const std::vector<uint8_t>& bytes, Code code,
                          const OpenOptions& opts = {}) {
  std::unique_ptr<WeightFile> wf;
  try {
    wf = open_bytes(bytes, opts);
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(code_name(e.code()) == std::string(code_name(code)));
    CHECK(e.offset() != kNoOffset);
    CHECK(e.offset() <= bytes.size());  // an offset within the file (or its end)
    CHECK_FALSE(e.field().empty());
    const std::string what = e.what();
    CHECK(what.find("at offset " + std::to_string(e.offset())) != std::string::npos);
    CHECK(what.find(e.field()) != std::string::npos);
    CHECK(wf == nullptr);
    return e;
  }
  FAIL("expected " << code_name(code) << ", but the file opened");
  return Error(Code::OK, "");
}

// A small valid file: three KVs (string, u32 array, f32) and two tensors (F32 [2,3] and a
// Q8_0 row of 32), with alignment 32. Used by the sweeps.
inline std::vector<uint8_t> small_valid_file() {
  GgufBytes g;
  g.header(2, 3).kv_str("general.architecture", "llama");
  g.kv("a.ids", T_ARRAY).array(T_U32, 3).u32(7).u32(8).u32(9);
  g.kv("a.eps", T_F32).put(1e-5f);
  g.tensor_info("w", {3, 2}, 0, 0).tensor_info("q", {32}, 8, 32);
  g.pad_to(32).data(24).pad_to(32).data(34, 50);
  return g.b;
}

}  // namespace gguf_test
