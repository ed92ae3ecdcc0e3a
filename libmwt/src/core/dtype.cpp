// The dtype table: block sizes and byte sizes for every ggml type id and safetensors dtype.
// ggml sizes follow ggml-common.h (Q8_1 is 36 bytes there; gguf-py's 40 is an old layout).
#include "core/dtype.hpp"

#include <array>
#include <string>

#include "core/checked.hpp"

namespace mwt::detail {
namespace {

constexpr DTypeInfo kTable[] = {
    {DType::F32, "F32", "F32", 1, 4, false},
    {DType::F16, "F16", "F16", 1, 2, false},
    {DType::Q4_0, "Q4_0", "", 32, 18, true},
    {DType::Q4_1, "Q4_1", "", 32, 20, true},
    {DType::Q5_0, "Q5_0", "", 32, 22, true},
    {DType::Q5_1, "Q5_1", "", 32, 24, true},
    {DType::Q8_0, "Q8_0", "", 32, 34, true},
    {DType::Q8_1, "Q8_1", "", 32, 36, true},
    {DType::Q2_K, "Q2_K", "", 256, 84, true},
    {DType::Q3_K, "Q3_K", "", 256, 110, true},
    {DType::Q4_K, "Q4_K", "", 256, 144, true},
    {DType::Q5_K, "Q5_K", "", 256, 176, true},
    {DType::Q6_K, "Q6_K", "", 256, 210, true},
    {DType::Q8_K, "Q8_K", "", 256, 292, true},
    {DType::IQ2_XXS, "IQ2_XXS", "", 256, 66, true},
    {DType::IQ2_XS, "IQ2_XS", "", 256, 74, true},
    {DType::IQ3_XXS, "IQ3_XXS", "", 256, 98, true},
    {DType::IQ1_S, "IQ1_S", "", 256, 50, true},
    {DType::IQ4_NL, "IQ4_NL", "", 32, 18, true},
    {DType::IQ3_S, "IQ3_S", "", 256, 110, true},
    {DType::IQ2_S, "IQ2_S", "", 256, 82, true},
    {DType::IQ4_XS, "IQ4_XS", "", 256, 136, true},
    {DType::I8, "I8", "I8", 1, 1, false},
    {DType::I16, "I16", "I16", 1, 2, false},
    {DType::I32, "I32", "I32", 1, 4, false},
    {DType::I64, "I64", "I64", 1, 8, false},
    {DType::F64, "F64", "F64", 1, 8, false},
    {DType::IQ1_M, "IQ1_M", "", 256, 56, true},
    {DType::BF16, "BF16", "BF16", 1, 2, false},
    {DType::TQ1_0, "TQ1_0", "", 256, 54, true},
    {DType::TQ2_0, "TQ2_0", "", 256, 66, true},
    {DType::MXFP4, "MXFP4", "", 32, 17, true},
    {DType::NVFP4, "NVFP4", "", 64, 36, true},
    {DType::Q1_0, "Q1_0", "", 128, 18, true},
    {DType::Q2_0, "Q2_0", "", 64, 18, true},
    {DType::BOOL, "BOOL", "BOOL", 1, 1, false},
    {DType::U8, "U8", "U8", 1, 1, false},
    {DType::U16, "U16", "U16", 1, 2, false},
    {DType::U32, "U32", "U32", 1, 4, false},
    {DType::U64, "U64", "U64", 1, 8, false},
    {DType::F8_E5M2, "F8_E5M2", "F8_E5M2", 1, 1, false},
    {DType::F8_E4M3, "F8_E4M3", "F8_E4M3", 1, 1, false},
    {DType::F8_E8M0, "F8_E8M0", "F8_E8M0", 1, 1, false},
    {DType::F8_E4M3FNUZ, "F8_E4M3FNUZ", "F8_E4M3FNUZ", 1, 1, false},
    {DType::F8_E5M2FNUZ, "F8_E5M2FNUZ", "F8_E5M2FNUZ", 1, 1, false},
    {DType::F4, "F4", "F4", 2, 1, false},
    {DType::F6_E2M3, "F6_E2M3", "F6_E2M3", 4, 3, false},
    {DType::F6_E3M2, "F6_E3M2", "F6_E3M2", 4, 3, false},
    {DType::C64, "C64", "C64", 1, 8, false},
};

}  // namespace

const DTypeInfo* dtype_info(uint32_t id) noexcept {
  for (const auto& d : kTable)
    if (static_cast<uint32_t>(d.id) == id) return &d;
  return nullptr;
}

const DTypeInfo* dtype_from_name(std::string_view name) noexcept {
  for (const auto& d : kTable)
    if (d.name == name) return &d;
  return nullptr;
}

const DTypeInfo* dtype_from_safetensors(std::string_view name) noexcept {
  // The entries with a safetensors name, gathered once (a header looks one up per tensor).
  struct Named {
    std::array<const DTypeInfo*, std::size(kTable)> entries{};
    size_t count = 0;
  };
  static const Named named = [] {
    Named n;
    for (const auto& d : kTable)
      if (!d.safetensors.empty()) n.entries[n.count++] = &d;
    return n;
  }();
  for (size_t i = 0; i < named.count; ++i)
    if (named.entries[i]->safetensors == name) return named.entries[i];
  return nullptr;
}

bool is_ggml_type(DType d) noexcept { return static_cast<uint32_t>(d) < kGgmlTypeCount; }

uint64_t dtype_nbytes(const DTypeInfo& d, uint64_t numel, const char* field, uint64_t offset) {
  if (numel % d.block_elems != 0)
    fail(Code::BAD_SHAPE,
         std::to_string(numel) + " elements is not a whole number of " + std::string(d.name) +
             " blocks of " + std::to_string(d.block_elems),
         offset, field);
  return checked_mul(numel / d.block_elems, d.block_bytes, field, offset);
}

}  // namespace mwt::detail
