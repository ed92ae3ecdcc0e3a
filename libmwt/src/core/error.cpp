// Error construction, code names and message escaping.
#include "core/error.hpp"

#include <cstdio>

namespace mwt::detail {

const char* code_name(Code c) noexcept {
  switch (c) {
    case Code::OK: return "OK";
    case Code::INTERNAL: return "INTERNAL";
    case Code::IO: return "IO";
    case Code::TRUNCATED: return "TRUNCATED";
    case Code::BAD_MAGIC: return "BAD_MAGIC";
    case Code::UNSUPPORTED_VERSION: return "UNSUPPORTED_VERSION";
    case Code::UNSUPPORTED_FORMAT: return "UNSUPPORTED_FORMAT";
    case Code::UNSUPPORTED_FEATURE: return "UNSUPPORTED_FEATURE";
    case Code::HEADER_TOO_LARGE: return "HEADER_TOO_LARGE";
    case Code::BAD_ENCODING: return "BAD_ENCODING";
    case Code::BAD_SYNTAX: return "BAD_SYNTAX";
    case Code::DEPTH_LIMIT: return "DEPTH_LIMIT";
    case Code::LIMIT_EXCEEDED: return "LIMIT_EXCEEDED";
    case Code::DUPLICATE: return "DUPLICATE";
    case Code::BAD_DTYPE: return "BAD_DTYPE";
    case Code::BAD_SHAPE: return "BAD_SHAPE";
    case Code::OVERFLOW: return "OVERFLOW";
    case Code::BAD_OFFSETS: return "BAD_OFFSETS";
    case Code::SIZE_MISMATCH: return "SIZE_MISMATCH";
    case Code::OUT_OF_BOUNDS: return "OUT_OF_BOUNDS";
    case Code::TRAILING_DATA: return "TRAILING_DATA";
    case Code::BAD_ALIGNMENT: return "BAD_ALIGNMENT";
    case Code::TYPE_MISMATCH: return "TYPE_MISMATCH";
    case Code::FORBIDDEN_GLOBAL: return "FORBIDDEN_GLOBAL";
    case Code::UNSUPPORTED_OPCODE: return "UNSUPPORTED_OPCODE";
    case Code::BAD_PICKLE: return "BAD_PICKLE";
    case Code::BAD_STORAGE: return "BAD_STORAGE";
    case Code::PICKLE_DISALLOWED: return "PICKLE_DISALLOWED";
    case Code::ARCHIVE_INCONSISTENT: return "ARCHIVE_INCONSISTENT";
    case Code::ARCHIVE_OVERLAP: return "ARCHIVE_OVERLAP";
    case Code::CRC: return "CRC";
    case Code::PATH_ESCAPE: return "PATH_ESCAPE";
    case Code::CYCLE: return "CYCLE";
    case Code::ARGUMENT: return "ARGUMENT";
    case Code::NO_MEMORY: return "NO_MEMORY";
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
