// The safetensors sniffs: a single file by its header length and first JSON byte, an index by
// a bounded scan for its "weight_map" member, a directory by its shard or index files. They
// never throw on content; the readers do the real parse (docs/safetensors.md).
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "core/error.hpp"
#include "formats/safetensors/safetensors.hpp"

namespace mwt::detail {
namespace {

bool json_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Skips one JSON string starting at data[pos] == '"'; leaves pos after the closing quote.
bool skip_string(const uint8_t* data, uint64_t size, uint64_t& pos) {
  for (++pos; pos < size; ++pos) {
    if (data[pos] == '\\') {
      ++pos;
    } else if (data[pos] == '"') {
      ++pos;
      return true;
    }
  }
  return false;
}

// Compares the JSON string at data[pos] == '"' with an ASCII word, decoding simple escapes and
// \u00XX, so "weight\u005fmap" still matches. Leaves pos after the string.
bool string_equals(const uint8_t* data, uint64_t size, uint64_t& pos, std::string_view word) {
  const uint64_t start = pos;
  size_t k = 0;
  bool equal = true;
  for (uint64_t p = start + 1; p < size; ++p) {
    uint32_t c = data[p];
    if (c == '"') {
      pos = p + 1;
      return equal && k == word.size();
    }
    if (c == '\\') {
      if (++p >= size) break;
      switch (data[p]) {
        case 'u': {
          // An invalid \u escape cannot spell the word: mark a mismatch and keep scanning for
          // the closing quote the same way skip_string would.
          c = 0;
          for (uint64_t d = 1; d <= 4; ++d) {
            const uint8_t h = p + d < size ? data[p + d] : 0;
            const int v = h >= '0' && h <= '9'   ? h - '0'
                          : h >= 'a' && h <= 'f' ? h - 'a' + 10
                          : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                 : -1;
            if (v < 0) {
              c = UINT32_MAX;
              break;
            }
            c = c * 16 + static_cast<uint32_t>(v);
          }
          if (c != UINT32_MAX) p += 4;
          break;
        }
        case 'n': c = '\n'; break;
        case 't': c = '\t'; break;
        case 'r': c = '\r'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        default: c = data[p]; break;  // \" \\ \/
      }
    }
    if (k >= word.size() || c != static_cast<uint8_t>(word[k])) equal = false;
    ++k;
  }
  pos = size;
  return false;
}

// Skips one JSON value of any nesting without recursion or allocation (the real parse comes
// later, in the sharded reader); stops at the ',' or '}' that ends it at depth 0.
bool skip_value(const uint8_t* data, uint64_t size, uint64_t& pos) {
  uint64_t depth = 0;
  while (pos < size) {
    const uint8_t c = data[pos];
    if (c == '"') {
      if (!skip_string(data, size, pos)) return false;
      continue;
    }
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return true;
      --depth;
    } else if (c == ',' && depth == 0) {
      return true;
    }
    ++pos;
  }
  return false;
}

// A top-level JSON object with a "weight_map" member, whatever its value: the sharded reader then
// says what is wrong with a value that is not an object (BAD_SYNTAX), rather than the caller
// seeing BAD_MAGIC for a file that plainly is an index.
bool has_weight_map(const uint8_t* data, uint64_t size) {
  uint64_t pos = 0;
  auto ws = [&] {
    while (pos < size && json_ws(data[pos])) ++pos;
  };
  ws();
  if (pos >= size || data[pos] != '{') return false;
  ++pos;
  for (;;) {
    ws();
    if (pos >= size || data[pos] != '"') return false;
    const bool match = string_equals(data, size, pos, "weight_map");
    ws();
    if (pos >= size || data[pos] != ':') return false;
    ++pos;
    ws();
    if (match) return pos < size;
    if (!skip_value(data, size, pos) || data[pos] != ',') return false;
    ++pos;
  }
}

}  // namespace

// u64 LE header length N, then a JSON object. A header that fits the file must start with '{'
// (after JSON whitespace). A header length that does not fit is still called safetensors when
// the visible bytes look like the start of a JSON object (`{"` or `{}`), so the safetensors
// reader reports HEADER_TOO_LARGE / TRUNCATED (ST-02) instead of the caller seeing BAD_MAGIC.
Format sniff_safetensors(const uint8_t* data, uint64_t size) noexcept {
  if (size < 9) return Format::UNKNOWN;
  uint64_t n = 0;
  std::memcpy(&n, data, 8);  // little-endian host (checked at build)
  uint64_t p = 8;
  while (p < size && json_ws(data[p])) ++p;
  if (p >= size || data[p] != '{') return Format::UNKNOWN;
  if (n <= size - 8) return p < 8 + n ? Format::SAFETENSORS : Format::UNKNOWN;
  uint64_t q = p + 1;
  while (q < size && json_ws(data[q])) ++q;
  return q < size && (data[q] == '"' || data[q] == '}') ? Format::SAFETENSORS : Format::UNKNOWN;
}

Format sniff_safetensors_index(const uint8_t* data, uint64_t size) noexcept {
  return has_weight_map(data, size) ? Format::SAFETENSORS_INDEX : Format::UNKNOWN;
}

bool sniff_safetensors_directory(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(path, ec), end;
  if (ec)
    fail(Code::IO,
         "cannot list directory '" + escape_for_message(path, 512) + "': " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    std::error_code fec;
    if (!it->is_regular_file(fec)) continue;
    if (ends_with(name, ".safetensors.index.json") || ends_with(name, ".safetensors")) return true;
  }
  if (ec)
    fail(Code::IO,
         "cannot list directory '" + escape_for_message(path, 512) + "': " + ec.message());
  return false;
}

}  // namespace mwt::detail
