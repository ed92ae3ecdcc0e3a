// Shared fixtures of the safetensors reader, sharded and writer tests: the 22 dtypes with their
// widths, owned tensor specs and small lookups.
#pragma once
#include <unistd.h>  // symlink

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "core/dtype.hpp"
#include "formats/safetensors/safetensors_header.hpp"
#include "st_bytes.hpp"

namespace st_test {

// Format facts (docs/safetensors.md#dtypes): the 22 safetensors dtypes with their bit widths, in
// the reference implementation's enum order, which is also the order its writer sorts by.
struct StDtype {
  const char* name;
  uint64_t bits;
};
constexpr StDtype kDtypes[] = {
    {"BOOL", 8},        {"F4", 4},      {"F6_E2M3", 6}, {"F6_E3M2", 6}, {"U8", 8},
    {"I8", 8},          {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8}, {"F8_E4M3FNUZ", 8},
    {"F8_E5M2FNUZ", 8}, {"I16", 16},    {"U16", 16},    {"F16", 16},    {"BF16", 16},
    {"I32", 32},        {"U32", 32},    {"F32", 32},    {"C64", 64},    {"F64", 64},
    {"I64", 64},        {"U64", 64},
};
constexpr size_t kNumDtypes = sizeof(kDtypes) / sizeof(kDtypes[0]);
static_assert(kNumDtypes == 22);

inline DType dtype_named(const std::string& name) {
  const DTypeInfo* d = dtype_from_safetensors(name);
  REQUIRE(d != nullptr);
  return d->id;
}

inline uint64_t nbytes_of(uint64_t bits, const std::vector<uint64_t>& shape) {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return n * bits / 8;
}

// A tensor that owns its bytes, and a WriteSpec borrowing from a list of them.
struct Owned {
  std::string name;
  std::string dtype;  // safetensors spelling
  std::vector<uint64_t> shape;
  std::vector<uint8_t> bytes;
};

inline Owned owned(std::string name, std::string dtype, std::vector<uint64_t> shape,
                   uint8_t seed = 1) {
  uint64_t bits = 0;
  for (const StDtype& d : kDtypes)
    if (dtype == d.name) bits = d.bits;
  REQUIRE(bits != 0);
  Owned t{std::move(name), std::move(dtype), std::move(shape), {}};
  const uint64_t n = nbytes_of(bits, t.shape);
  for (uint64_t i = 0; i < n; ++i) t.bytes.push_back(static_cast<uint8_t>(seed + i * 7));
  return t;
}

inline WriteSpec spec_of(const std::vector<Owned>& ts,
                         const std::vector<std::pair<std::string, std::string>>& meta = {}) {
  WriteSpec s;
  for (const auto& [k, v] : meta) {
    WriteMeta m;
    m.key = k;
    m.type = ValueType::STRING;
    m.str = v;
    s.metadata.push_back(std::move(m));
  }
  for (const Owned& t : ts) {
    WriteTensor w;
    w.name = t.name;
    w.dtype = dtype_named(t.dtype);
    w.shape = t.shape;
    w.data = t.bytes.data();
    w.nbytes = t.bytes.size();
    s.tensors.push_back(std::move(w));
  }
  return s;
}

// The spec that rewrites what a reader returned (tensors in file order, metadata as read).
inline WriteSpec spec_from(const WeightFile& wf) {
  WriteSpec s;
  for (const MetaEntry& m : wf.metadata) {
    WriteMeta w;
    w.key = std::string(m.key);
    w.type = ValueType::STRING;
    w.str = std::string(m.value.str);
    s.metadata.push_back(std::move(w));
  }
  for (const TensorInfo& t : wf.tensors) {
    WriteTensor w;
    w.name = t.name;
    w.dtype = t.dtype;
    w.shape = t.shape;
    w.data = t.data;
    w.nbytes = t.nbytes;
    s.tensors.push_back(std::move(w));
  }
  return s;
}

inline std::vector<uint8_t> view(const TensorInfo& t) {
  return std::vector<uint8_t>(t.data, t.data + t.nbytes);
}
// Through WeightFile::tensor_data, for shards that are mapped only when their data is read.
inline std::vector<uint8_t> view(const WeightFile& wf, const TensorInfo& t) {
  const uint8_t* p = wf.tensor_data(t);
  return std::vector<uint8_t>(p, p + t.nbytes);
}

inline const TensorInfo& tensor(const WeightFile& wf, const std::string& name) {
  const int64_t i = wf.find_tensor(name);
  REQUIRE(i >= 0);
  return wf.tensors[static_cast<size_t>(i)];
}

inline std::string meta_value(const WeightFile& wf, const std::string& key) {
  const int64_t i = wf.find_metadata(key);
  REQUIRE(i >= 0);
  CHECK(wf.metadata[static_cast<size_t>(i)].value.type == ValueType::STRING);
  return std::string(wf.metadata[static_cast<size_t>(i)].value.str);
}

// Runs `open` expecting an Error with `code`; returns it.
template <typename F>
Error expect_open_error(F&& open, Code code) {
  try {
    auto wf = open();
    FAIL("expected " << code_name(code) << ", but it opened with " << wf->tensors.size()
                     << " tensors");
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(code_name(e.code()) == std::string(code_name(code)));
    return e;
  }
  return Error(Code::OK, "");
}

}  // namespace st_test
