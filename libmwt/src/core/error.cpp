// Error construction, code names and message escaping.
#include "core/error.hpp"

#include <cstdio>

namespace mwt::detail {

const char* code_name(Code c) noexcept {
  switch (c) {
    case Code::OK: return "OK";
#define MWT_DETAIL_CODE_CASE_(name, value, description) \
  case Code::name: return #name;
      MWT_ERROR_CODES(MWT_DETAIL_CODE_CASE_)
#undef MWT_DETAIL_CODE_CASE_
  }
  return "UNKNOWN";
}

std::string escape_for_message(std::string_view s, size_t max_bytes) {
  std::string out;
  const size_t n = s.size() < max_bytes ? s.size() : max_bytes;
  out.reserve(n + 8);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > max_bytes) out += "...";
  return out;
}

Error::Error(Code code, std::string message, uint64_t offset, std::string field)
    : code_(code), offset_(offset), field_(std::move(field)), detail_(std::move(message)) {
  what_ = code_name(code_);
  if (offset_ != kNoOffset) what_ += " at offset " + std::to_string(offset_);
  if (!field_.empty()) what_ += " in " + field_;
  what_ += ": " + detail_;
}

void fail(Code code, std::string message, uint64_t offset, std::string field) {
  throw Error(code, std::move(message), offset, std::move(field));
}

}  // namespace mwt::detail
