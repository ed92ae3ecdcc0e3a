// Run-time lookups in the dtype table (core/dtype.hpp's kDTypeTable): by id, by ggml name, by
// safetensors name, and the checked byte size of a tensor.
#include "core/dtype.hpp"

#include <array>
#include <string>

#include "core/checked.hpp"

namespace mwt::detail {
const DTypeInfo* dtype_info(uint32_t id) noexcept {
  for (const auto& d : kDTypeTable)
    if (static_cast<uint32_t>(d.id) == id) return &d;
  return nullptr;
}

const DTypeInfo* dtype_from_name(std::string_view name) noexcept {
  for (const auto& d : kDTypeTable)
    if (d.name == name) return &d;
  return nullptr;
}

const DTypeInfo* dtype_from_safetensors(std::string_view name) noexcept {
  // The entries with a safetensors name, gathered once (a header looks one up per tensor).
  struct Named {
    std::array<const DTypeInfo*, std::size(kDTypeTable)> entries{};
    size_t count = 0;
  };
  static const Named named = [] {
    Named n;
    for (const auto& d : kDTypeTable)
      if (!d.safetensors.empty()) n.entries[n.count++] = &d;
    return n;
  }();
  for (size_t i = 0; i < named.count; ++i)
    if (named.entries[i]->safetensors == name) return named.entries[i];
  return nullptr;
}

bool is_ggml_type(DType d) noexcept {
  const DTypeInfo* info = dtype_info(static_cast<uint32_t>(d));
  return info != nullptr && info->ggml;
}

uint64_t dtype_nbytes(const DTypeInfo& d, uint64_t numel, const char* field, uint64_t offset) {
  if (numel % d.block_elems != 0)
    fail(Code::BAD_SHAPE,
         std::to_string(numel) + " elements is not a whole number of " + std::string(d.name) +
             " blocks of " + std::to_string(d.block_elems),
         offset, field);
  return checked_mul(numel / d.block_elems, d.block_bytes, field, offset);
}

}  // namespace mwt::detail
