// Core layer: error formatting, checked arithmetic, the dtype table, the bounds-checked reader.
#include <functional>
#include <vector>

#include <catch2/catch.hpp>

#include "core/byte_reader.hpp"
#include "core/checked.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"

using namespace mwt::detail;

static Code code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return Code::OK;
}

TEST_CASE("checked arithmetic reports OVERFLOW instead of wrapping") {
  CHECK(checked_add(1, 2, "x") == 3);
  CHECK(code_of([] { checked_add(UINT64_MAX, 1, "x"); }) == Code::OVERFLOW);
  CHECK(code_of([] { checked_mul(1ull << 40, 1ull << 40, "x"); }) == Code::OVERFLOW);
  CHECK(checked_align_up(33, 32, "x") == 64);
  CHECK(checked_align_up(64, 32, "x") == 64);
  CHECK(code_of([] { checked_align_up(UINT64_MAX - 3, 32, "x"); }) == Code::OVERFLOW);
}

TEST_CASE("error messages carry code, offset and field, and file strings are escaped") {
  Error e(Code::TRUNCATED, "need 8 bytes", 24, "kv[\"a\"]");
  CHECK(std::string(e.what()) == "TRUNCATED at offset 24 in kv[\"a\"]: need 8 bytes");
  CHECK(escape_for_message(std::string("a\x01\"b", 4)) == "a\\x01\\x22b");
  CHECK(escape_for_message(std::string(200, 'x')).size() == 128 + 3);
}

TEST_CASE("ByteReader fails with TRUNCATED at the exact offset") {
  const uint8_t buf[6] = {1, 0, 0, 0, 2, 0};
  ByteReader r(buf, sizeof buf, 100);
  CHECK(r.u32("a") == 1);
  try {
    r.u32("b");
    FAIL("expected TRUNCATED");
  } catch (const Error& e) {
    CHECK(e.code() == Code::TRUNCATED);
    CHECK(e.offset() == 104);
    CHECK(e.field() == "b");
  }
  CHECK(r.u16("c") == 2);
}

TEST_CASE("dtype table: ggml ids, removed ids and block sizes") {
  // Facts from ggml-common.h (docs/quant-blocks.md).
  REQUIRE(dtype_info(12) != nullptr);
  CHECK(dtype_info(12)->name == "Q4_K");
  CHECK(dtype_info(12)->block_elems == 256);
  CHECK(dtype_info(12)->block_bytes == 144);
  for (uint32_t removed : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 43u, 99u})
    CHECK(dtype_info(removed) == nullptr);
  CHECK(dtype_from_safetensors("F8_E4M3")->id == DType::F8_E4M3);
  CHECK(dtype_from_safetensors("Q4_K") == nullptr);
  CHECK(dtype_nbytes(*dtype_info(static_cast<uint32_t>(DType::F4)), 6, "t", 0) == 3);
  CHECK(code_of([] { dtype_nbytes(*dtype_info(static_cast<uint32_t>(DType::F4)), 5, "t", 0); }) ==
        Code::BAD_SHAPE);
  CHECK(dtype_nbytes(*dtype_info(static_cast<uint32_t>(DType::F6_E2M3)), 8, "t", 0) == 6);
  CHECK(code_of([] { dtype_nbytes(*dtype_info(0), UINT64_MAX / 2, "t", 0); }) == Code::OVERFLOW);
}

TEST_CASE("dtype table: which ids are ggml ids, names both ways") {
  // ggml's type ids run 0..42 with 4, 5, 31-33 and 36-38 removed; the safetensors-only dtypes
  // take 100.. (core/dtype.hpp), so a GGUF tensor type is exactly a DType with the ggml flag.
  CHECK(kGgmlTypeCount == 43);
  int ggml_rows = 0;
  for (uint32_t id = 0; id < 200; ++id) {
    const DTypeInfo* d = dtype_info(id);
    INFO("id " << id);
    CHECK(is_ggml_type(static_cast<DType>(id)) == (d != nullptr && id < 100));
    if (d == nullptr) continue;
    CHECK(static_cast<uint32_t>(d->id) == id);
    CHECK(d->ggml == (id < kGgmlTypeCount));
    ggml_rows += d->ggml ? 1 : 0;
    CHECK(dtype_from_name(d->name) == d);
    if (!d->safetensors.empty()) CHECK(dtype_from_safetensors(d->safetensors) == d);
    CHECK(d->quantized == (d->ggml && d->block_elems > 1));
  }
  CHECK(ggml_rows == 43 - 8);
  // The compile-time view is the same table.
  static_assert(static_dtype_info(DType::Q6_K).block_bytes == 210);
  CHECK(&static_dtype_info(DType::Q6_K) == dtype_info(14));
}
