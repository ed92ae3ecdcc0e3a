// The block-scale rules of the integrity pass (docs/validation.md#block-scales): which fields of
// which block type are scales, how each is encoded, and which sign it may have. Field offsets
// come from quant/blocks.hpp.

#include "analysis/stats.hpp"
#include "quant/blocks.hpp"

namespace mwt::detail::analysis {
namespace {

enum class ScaleCode : uint8_t { F16, E8M0 };
// Any: finite only. NonNegative: d >= 0 too (a negative d is an error). MinNonNegative: a
// negative value is reported as a warning (dmin).
enum class SignRule : uint8_t { Any, NonNegative, MinNonNegative };

struct ScaleField {
  uint32_t at;
  ScaleCode code;
  SignRule sign;
};
struct ScaleRule {
  DType type;
  uint32_t block_bytes;
  ScaleField fields[2];
  uint32_t count;
};

template <class B>
consteval ScaleRule one(uint32_t at, SignRule sign) {
  return {B::kType, B::kBytes, {{at, ScaleCode::F16, sign}, {0, ScaleCode::F16, SignRule::Any}}, 1};
}
template <class B>
consteval ScaleRule two(uint32_t d, SignRule ds, uint32_t m, SignRule ms) {
  return {B::kType, B::kBytes, {{d, ScaleCode::F16, ds}, {m, ScaleCode::F16, ms}}, 2};
}

using quant::BlockIQ1_S, quant::BlockIQ2_S, quant::BlockIQ2_XS, quant::BlockIQ2_XXS,
    quant::BlockIQ3_S, quant::BlockIQ3_XXS, quant::BlockIQ4_NL, quant::BlockIQ4_XS,
    quant::BlockMXFP4, quant::BlockQ2_K, quant::BlockQ3_K, quant::BlockQ4_0, quant::BlockQ4_1,
    quant::BlockQ4_K, quant::BlockQ5_0, quant::BlockQ5_1, quant::BlockQ5_K, quant::BlockQ6_K,
    quant::BlockQ8_0, quant::BlockTQ1_0, quant::BlockTQ2_0;
constexpr SignRule kAny = SignRule::Any, kNonNeg = SignRule::NonNegative,
                   kMinNonNeg = SignRule::MinNonNegative;

// Not here: IQ1_M (its f16 super-scale is spread over four words), NVFP4 (E4M3 scale bytes),
// and the types mwt does not decode. Their dequantized values are still checked.
constexpr ScaleRule kRules[] = {
    one<BlockQ4_0>(BlockQ4_0::d.at, kAny),
    two<BlockQ4_1>(BlockQ4_1::d.at, kNonNeg, BlockQ4_1::m.at, kAny),
    one<BlockQ5_0>(BlockQ5_0::d.at, kAny),
    two<BlockQ5_1>(BlockQ5_1::d.at, kNonNeg, BlockQ5_1::m.at, kAny),
    one<BlockQ8_0>(BlockQ8_0::d.at, kAny),
    two<BlockQ2_K>(BlockQ2_K::d.at, kNonNeg, BlockQ2_K::dmin.at, kMinNonNeg),
    one<BlockQ3_K>(BlockQ3_K::d.at, kAny),
    two<BlockQ4_K>(BlockQ4_K::d.at, kNonNeg, BlockQ4_K::dmin.at, kMinNonNeg),
    two<BlockQ5_K>(BlockQ5_K::d.at, kNonNeg, BlockQ5_K::dmin.at, kMinNonNeg),
    one<BlockQ6_K>(BlockQ6_K::d.at, kAny),
    one<BlockIQ4_NL>(BlockIQ4_NL::d.at, kAny),
    one<BlockIQ4_XS>(BlockIQ4_XS::d.at, kAny),
    one<BlockTQ1_0>(BlockTQ1_0::d.at, kAny),
    one<BlockTQ2_0>(BlockTQ2_0::d.at, kAny),
    one<BlockIQ2_XXS>(BlockIQ2_XXS::d.at, kAny),
    one<BlockIQ2_XS>(BlockIQ2_XS::d.at, kAny),
    one<BlockIQ2_S>(BlockIQ2_S::d.at, kAny),
    one<BlockIQ3_XXS>(BlockIQ3_XXS::d.at, kAny),
    one<BlockIQ3_S>(BlockIQ3_S::d.at, kAny),
    one<BlockIQ1_S>(BlockIQ1_S::d.at, kAny),
    {DType::MXFP4,
     BlockMXFP4::kBytes,
     {{BlockMXFP4::e.at, ScaleCode::E8M0, kAny}, {0, ScaleCode::F16, kAny}},
     1},
};

const ScaleRule* rule_of(DType type) noexcept {
  for (const ScaleRule& r : kRules)
    if (r.type == type) return &r;
  return nullptr;
}

void note(uint64_t& count, uint64_t& first, uint64_t block) noexcept {
  if (count++ == 0) first = block;
}

}  // namespace

void merge_findings(ScaleFindings& a, const ScaleFindings& b) noexcept {
  auto first = [](uint64_t x, uint64_t y) { return x < y ? x : y; };
  a.blocks += b.blocks;
  a.nonfinite += b.nonfinite;
  a.negative += b.negative;
  a.negative_min += b.negative_min;
  a.first_nonfinite = first(a.first_nonfinite, b.first_nonfinite);
  a.first_negative = first(a.first_negative, b.first_negative);
  a.first_negative_min = first(a.first_negative_min, b.first_negative_min);
}

bool has_scale_rules(DType type) noexcept { return rule_of(type) != nullptr; }

void check_scales(DType type, const uint8_t* src, uint64_t n_blocks, uint64_t first_block,
                  ScaleFindings& f) noexcept {
  const ScaleRule* rule = rule_of(type);
  if (rule == nullptr) return;
  f.blocks += n_blocks;
  for (uint64_t b = 0; b < n_blocks; ++b) {
    const uint8_t* block = src + b * rule->block_bytes;
    const uint64_t index = first_block + b;
    bool nonfinite = false;
    for (uint32_t k = 0; k < rule->count; ++k) {
      const ScaleField& field = rule->fields[k];
      if (field.code == ScaleCode::E8M0) {
        nonfinite = nonfinite || block[field.at] == 0xFF;  // E8M0's only NaN; no sign
        continue;
      }
      const uint16_t h = static_cast<uint16_t>(block[field.at] | (block[field.at + 1] << 8));
      if ((h & 0x7C00) == 0x7C00) {  // exponent all ones: Inf or NaN
        nonfinite = true;
        continue;
      }
      const bool negative = (h & 0x8000) != 0 && (h & 0x7FFF) != 0;  // -0 is not negative
      if (!negative) continue;
      if (field.sign == SignRule::NonNegative) note(f.negative, f.first_negative, index);
      if (field.sign == SignRule::MinNonNegative) note(f.negative_min, f.first_negative_min, index);
    }
    if (nonfinite) note(f.nonfinite, f.first_nonfinite, index);
  }
}

}  // namespace mwt::detail::analysis
