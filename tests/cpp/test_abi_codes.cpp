// The one list of error codes (MWT_ERROR_CODES in mwt.h): its pinned names and values, and that
// each name round-trips through mwt_code_name, the internal code_name and mwt.hpp's list.
#include <cstring>
#include <set>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "mwt/mwt.h"
#include "mwt/mwt.hpp"

namespace {

// The ABI's pinned codes in value order, INTERNAL = 1 ... NO_MEMORY = 34, written out here so a
// renumbering, removal or reordering of the list in mwt.h fails this test.
constexpr const char* kPinned[] = {
    "INTERNAL",
    "IO",
    "TRUNCATED",
    "BAD_MAGIC",
    "UNSUPPORTED_VERSION",
    "UNSUPPORTED_FORMAT",
    "UNSUPPORTED_FEATURE",
    "HEADER_TOO_LARGE",
    "BAD_ENCODING",
    "BAD_SYNTAX",
    "DEPTH_LIMIT",
    "LIMIT_EXCEEDED",
    "DUPLICATE",
    "BAD_DTYPE",
    "BAD_SHAPE",
    "OVERFLOW",
    "BAD_OFFSETS",
    "SIZE_MISMATCH",
    "OUT_OF_BOUNDS",
    "TRAILING_DATA",
    "BAD_ALIGNMENT",
    "TYPE_MISMATCH",
    "FORBIDDEN_GLOBAL",
    "UNSUPPORTED_OPCODE",
    "BAD_PICKLE",
    "BAD_STORAGE",
    "PICKLE_DISALLOWED",
    "ARCHIVE_INCONSISTENT",
    "ARCHIVE_OVERLAP",
    "CRC",
    "PATH_ESCAPE",
    "CYCLE",
    "ARGUMENT",
    "NO_MEMORY",
};
constexpr int kPinnedCount = static_cast<int>(sizeof kPinned / sizeof kPinned[0]);

// The code a name stands for according to the pinned list; 0 when it is not there.
int pinned_value(std::string_view name) {
  for (int v = 1; v <= kPinnedCount; ++v)
    if (name == kPinned[v - 1]) return v;
  return 0;
}

struct Entry {
  std::string name;
  int value;
  std::string description;
};

}  // namespace

TEST_CASE("MWT_ERROR_CODES holds the pinned codes in value order", "[abi][codes]") {
  std::vector<Entry> entries;
#define MWT_TEST_ENTRY_(name, value, description) entries.push_back({#name, value, description});
  MWT_ERROR_CODES(MWT_TEST_ENTRY_)
#undef MWT_TEST_ENTRY_
  REQUIRE(static_cast<int>(entries.size()) == kPinnedCount);
  std::set<std::string> descriptions;
  for (size_t i = 0; i < entries.size(); ++i) {
    INFO(entries[i].name);
    CHECK(entries[i].name == kPinned[i]);
    CHECK(entries[i].value == static_cast<int>(i) + 1);
    // One line for docs and Python: non-empty, short, and no two codes described alike.
    CHECK(!entries[i].description.empty());
    CHECK(entries[i].description.size() <= 100);
    CHECK(entries[i].description.find('\n') == std::string::npos);
    CHECK(descriptions.insert(entries[i].description).second);
  }
}

TEST_CASE("every code's name round-trips through mwt_code_name", "[abi][codes]") {
  for (int v = 1; v <= kPinnedCount; ++v) {
    const auto code = static_cast<mwt_code>(v);
    const char* name = mwt_code_name(code);
    INFO(v << " " << name);
    CHECK(pinned_value(name) == v);  // name -> value -> the same name
    CHECK(std::strcmp(mwt::detail::code_name(static_cast<mwt::detail::Code>(v)), name) == 0);
    CHECK(std::strcmp(mwt::code_name(code), name) == 0);
  }
  CHECK(std::strcmp(mwt_code_name(MWT_OK), "OK") == 0);
  CHECK(std::strcmp(mwt_code_name(static_cast<mwt_code>(kPinnedCount + 1)), "UNKNOWN") == 0);
  CHECK(std::strcmp(mwt_code_name(static_cast<mwt_code>(-1)), "UNKNOWN") == 0);
}

TEST_CASE("mwt.hpp's kErrorCodes is the same list as the C enum and mwt_code_name",
          "[abi][codes]") {
  REQUIRE(std::size(mwt::kErrorCodes) == static_cast<size_t>(kPinnedCount));
  for (const mwt::CodeInfo& c : mwt::kErrorCodes) {
    INFO(c.name);
    CHECK(std::strcmp(mwt_code_name(c.code), c.name) == 0);
    CHECK(pinned_value(c.name) == static_cast<int>(c.code));
    CHECK(std::strlen(c.description) > 0);
  }
  static_assert(MWT_E_TRUNCATED == 3 && MWT_E_TYPE_MISMATCH == 22 && MWT_E_NO_MEMORY == 34);
  static_assert(static_cast<int>(mwt::detail::Code::ARGUMENT) == MWT_E_ARGUMENT);
}

TEST_CASE("an internal error keeps its code and name through the C ABI barrier", "[abi][codes]") {
  mwt_dtype d{};
  mwt_status* s = mwt_dtype_from_name("F128", &d);
  REQUIRE(s != nullptr);
  CHECK(mwt_status_code(s) == MWT_E_BAD_DTYPE);
  CHECK(std::string(mwt_status_message(s)).rfind("BAD_DTYPE: ", 0) == 0);
  mwt_status_free(s);
  try {
    mwt::dtype_from_name("F128");
    FAIL("no exception");
  } catch (const mwt::Error& e) {
    CHECK(e.code() == MWT_E_BAD_DTYPE);
    CHECK(std::string(e.code_name()) == "BAD_DTYPE");
  }
}
