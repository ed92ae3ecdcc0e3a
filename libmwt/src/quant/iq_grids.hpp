// Codebooks of the IQ grid types (ggml-common.h's iq*_grid tables): each entry packs one grid
// point, byte e (little-endian) holding coordinate e. These are format facts, written out as
// data; tests/python/test_dequant.py checks every entry against gguf-py's copy.
#pragma once
#include <cstdint>

namespace mwt::detail::quant {

// 8 coordinates per entry, each one of {0x08, 0x19, 0x2b}.
extern const uint64_t kIq2xxsGrid[256];
extern const uint64_t kIq2xsGrid[512];
extern const uint64_t kIq2sGrid[1024];
// 4 coordinates per entry: IQ3_XXS from {4, 12, 20, 28, 36, 44, 52, 62}, IQ3_S odd 1..15.
extern const uint32_t kIq3xxsGrid[256];
extern const uint32_t kIq3sGrid[512];
// 8 coordinates per entry, each an int8 in {-1, 0, 1}.
extern const uint64_t kIq1sGrid[2048];

}  // namespace mwt::detail::quant
