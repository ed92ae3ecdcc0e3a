// Tests of the quant type-traits table (quant/type_traits.hpp) and the block layouts
// (quant/blocks.hpp): the can_* answers, the plain dtypes and the ISA columns follow the rows,
// every kernel has a scalar reference, and the layouts agree with the dtype table.
#include <cstdint>
#include <cstring>
#include <vector>

#include <catch2/catch.hpp>

#include "core/dtype.hpp"
#include "core/float_convert.hpp"
#include "quant/block_kernels.hpp"
#include "quant/blocks.hpp"
#include "quant/dequant_scalar.hpp"
#include "quant/dequantize.hpp"
#include "quant/quantize.hpp"
#include "quant/type_traits.hpp"

using namespace mwt::detail;

TEST_CASE("type traits: can_dequantize / can_quantize are the rows' codecs", "[kernels]") {
  int rows = 0;
  for (uint32_t id = 0; id < 200; ++id) {
    const auto t = static_cast<DType>(id);
    const quant::TypeTraits* row = quant::type_traits(t);
    INFO("dtype id " << id);
    CHECK(can_dequantize(t) == (row != nullptr && row->to_float != nullptr));
    CHECK(can_quantize(t) == (row != nullptr && row->from_float != nullptr));
    if (row == nullptr) {
      CHECK(kernels::dequant_kernel(Isa::Avx2, t) == nullptr);
      continue;
    }
    ++rows;
    CHECK(row->type == t);
    REQUIRE(dtype_info(id) != nullptr);
    // A kernel is only ever an alternative to a scalar reference it is tested against.
    if (row->avx2 != nullptr) CHECK(row->to_float != nullptr);
    CHECK(kernels::dequant_kernel(Isa::Avx2, t) == row->avx2);
    CHECK(kernels::dequant_kernel(Isa::Scalar, t) == nullptr);
    // Every float format float_convert decodes has a row; the float targets take any input.
    if (is_convertible_float(t)) CHECK(row->to_float != nullptr);
    if (row->from_float != nullptr && !dtype_info(id)->quantized)
      CHECK(row->input == quant::EncodeInput::Any);
    if (row->input == quant::EncodeInput::Weighted) CHECK(dtype_info(id)->block_elems == 256);
  }
  // 23 block decoders, 9 float formats, 8 integer types and bool.
  CHECK(rows == 23 + 9 + 9);
}

// The rows' block loops must step by the right layout: n blocks through a row equal n calls of
// the per-block decoder at block_bytes / block_elems strides taken from the runtime dtype table.
TEST_CASE("type traits: rows step through blocks by the dtype table's sizes", "[dequant]") {
  struct Case {
    DType type;
    quant::BlockDecoder decode;
  };
  const Case cases[] = {{DType::Q4_K, quant::decode_q4_k},   {DType::MXFP4, quant::decode_mxfp4},
                        {DType::NVFP4, quant::decode_nvfp4}, {DType::TQ1_0, quant::decode_tq1_0},
                        {DType::IQ2_S, quant::decode_iq2_s}, {DType::Q5_1, quant::decode_q5_1}};
  for (const Case& c : cases) {
    const DTypeInfo& info = *dtype_info(static_cast<uint32_t>(c.type));
    INFO(info.name);
    constexpr uint64_t kBlocks = 5;
    std::vector<uint8_t> raw(kBlocks * info.block_bytes);
    for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<uint8_t>((i * 37 + 11) % 251);
    std::vector<float> rows(kBlocks * info.block_elems), one(kBlocks * info.block_elems);
    quant::type_traits(c.type)->to_float(raw.data(), rows.data(), kBlocks);
    for (uint64_t i = 0; i < kBlocks; ++i)
      c.decode(raw.data() + i * info.block_bytes, one.data() + i * info.block_elems);
    CHECK(std::memcmp(rows.data(), one.data(), rows.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("block layouts: fields from the dtype table, shared unpacking round-trips", "[dequant]") {
  CHECK(quant::BlockQ4_K::kBytes == dtype_info(static_cast<uint32_t>(DType::Q4_K))->block_bytes);
  CHECK(quant::BlockQ6_K::d.at == 208);  // ggml-common.h: ql[128], qh[64], scales[16], d
  CHECK(quant::BlockQ2_K::d.at == 80);
  CHECK(quant::BlockIQ3_S::scales.at == 106);
  // pack_scale_min_k4 is the inverse of unpack_scale_min_k4 over every 6-bit value.
  for (int v = 0; v < 64; ++v) {
    int sc[8], mn[8], sc2[8], mn2[8];
    for (int j = 0; j < 8; ++j) {
      sc[j] = (v + 7 * j) % 64;
      mn[j] = (63 - v + 5 * j) % 64;
    }
    uint8_t packed[12];
    quant::pack_scale_min_k4(sc, mn, packed);
    quant::unpack_scale_min_k4(packed, sc2, mn2);
    for (int j = 0; j < 8; ++j) {
      CHECK(sc2[j] == sc[j]);
      CHECK(mn2[j] == mn[j]);
    }
  }
  // The 2-bit fields: every position round-trips and lands in its own bits.
  uint8_t qs[64] = {};
  for (int i = 0; i < 256; ++i) quant::put_q2_field(qs, i, (i * 3 + 1) & 3);
  for (int i = 0; i < 256; ++i) CHECK(quant::q2_field(qs, i) == ((i * 3 + 1) & 3));
}
