// DType: one id space for every element type mwt meets. Values 0..42 are the ggml type ids
// verbatim (so a GGUF tensor type is its DType); values >= 100 are the safetensors dtypes ggml
// has no id for. The numbers are part of the C ABI (mwt_dtype) and are never renumbered.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace mwt::detail {

enum class DType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
  IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39, NVFP4 = 40, Q1_0 = 41, Q2_0 = 42,
  // non-ggml (safetensors) dtypes
  BOOL = 100, U8 = 101, U16 = 102, U32 = 103, U64 = 104,
  F8_E5M2 = 105, F8_E4M3 = 106, F8_E8M0 = 107, F8_E4M3FNUZ = 108, F8_E5M2FNUZ = 109,
  F4 = 110, F6_E2M3 = 111, F6_E3M2 = 112, C64 = 113,
};

inline constexpr uint32_t kGgmlTypeCount = 43;  // ids 0..42; removed ids have block_elems == 0

struct DTypeInfo {
  DType id;
  std::string_view name;          // ggml name for ggml ids ("Q4_K", "F32"), safetensors name else
  std::string_view safetensors;   // safetensors spelling, empty when safetensors cannot hold it
  uint32_t block_elems;           // elements per block (1 for plain types; 2 for F4; 4 for F6)
  uint32_t block_bytes;           // bytes per block
  bool quantized;                 // a ggml block-quantized type
};

// Table lookups. Return nullptr / nullopt for an id or name that is not a valid dtype
// (including ggml's removed ids 4, 5, 31-33, 36-38).
const DTypeInfo* dtype_info(uint32_t id) noexcept;
const DTypeInfo* dtype_from_name(std::string_view name) noexcept;             // ggml-style name
const DTypeInfo* dtype_from_safetensors(std::string_view name) noexcept;      // "BF16", "F8_E4M3"
bool is_ggml_type(DType d) noexcept;  // has a ggml type id (can live in a GGUF tensor)

// Byte size of `numel` elements of `d`, with checked arithmetic: OVERFLOW on overflow,
// BAD_SHAPE (message names `field`) when numel is not a whole number of blocks.
uint64_t dtype_nbytes(const DTypeInfo& d, uint64_t numel, const char* field, uint64_t offset);

}  // namespace mwt::detail
