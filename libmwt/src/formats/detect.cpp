// Format sniffing by content: magic numbers, a bounds-checked zip central-directory walk that
// tells PyTorch / TorchScript / npz archives apart, an ONNX protobuf heuristic, and the
// directory / *.index.json forms of sharded safetensors. Sniffing never throws on content: it
// only names the one reader a file may be handed to (formats.md rule 5).
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "core/error.hpp"
#include "core/mapped_file.hpp"
#include "formats/open.hpp"

namespace mwt::detail {
namespace {

using Bytes = std::basic_string_view<uint8_t>;

uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t le64(const uint8_t* p) {
  return static_cast<uint64_t>(le32(p)) | (static_cast<uint64_t>(le32(p + 4)) << 32);
}

bool starts_with(const uint8_t* data, uint64_t size, std::string_view magic) {
  return size >= magic.size() && std::memcmp(data, magic.data(), magic.size()) == 0;
}

bool json_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// ------------------------------------------------------------------ safetensors

// u64 LE header length N, then a JSON object. A header that fits the file must start with '{'
// (after JSON whitespace). A header length that does not fit is still called safetensors when
// the visible bytes look like the start of a JSON object (`{"` or `{}`), so the safetensors
// reader reports HEADER_TOO_LARGE / TRUNCATED (ST-02) instead of the caller seeing BAD_MAGIC.
bool sniff_safetensors(const uint8_t* data, uint64_t size) {
  if (size < 9) return false;
  const uint64_t n = le64(data);
  uint64_t p = 8;
  while (p < size && json_ws(data[p])) ++p;
  if (p >= size || data[p] != '{') return false;
  if (n <= size - 8) return p < 8 + n;
  uint64_t q = p + 1;
  while (q < size && json_ws(data[q])) ++q;
  return q < size && (data[q] == '"' || data[q] == '}');
}

// ------------------------------------------------------------------ zip

constexpr uint32_t kSigLocal = 0x04034b50;
constexpr uint32_t kSigCentral = 0x02014b50;
constexpr uint32_t kSigEocd = 0x06054b50;
constexpr uint32_t kSigEocd64Locator = 0x07064b50;
constexpr uint32_t kSigEocd64 = 0x06064b50;
constexpr uint64_t kEocdSize = 22;
constexpr uint64_t kCentralSize = 46;
constexpr uint64_t kMaxComment = 65535;
// Above this many entries the archive is reported as a plain ZIP rather than walked further;
// it matches the readers' default tensor cap, and the loop is bounded by cd_size / 46 as well.
constexpr uint64_t kMaxSniffEntries = 1u << 20;

struct CentralDirectory {
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t entries = 0;
  uint64_t end = 0;  // where the central directory must end (EOCD64 record or EOCD)
};

// Finds the last EOCD whose comment runs exactly to end of file and reads the (possibly
// ZIP64) central-directory location from it. false on any inconsistency.
bool find_central_directory(const uint8_t* data, uint64_t size, CentralDirectory& cd) {
  if (size < kEocdSize) return false;
  const uint64_t last = size - kEocdSize;
  const uint64_t first = last > kMaxComment ? last - kMaxComment : 0;
  uint64_t eocd = UINT64_MAX;
  for (uint64_t back = 0; back <= last - first; ++back) {  // newest candidate first
    const uint64_t pos = last - back;
    if (le32(data + pos) == kSigEocd && pos + kEocdSize + le16(data + pos + 20) == size) {
      eocd = pos;
      break;
    }
  }
  if (eocd == UINT64_MAX) return false;
  const uint8_t* e = data + eocd;
  if (le16(e + 4) != 0 || le16(e + 6) != 0) return false;  // multi-disk archives
  cd.entries = le16(e + 10);
  cd.size = le32(e + 12);
  cd.offset = le32(e + 16);
  cd.end = eocd;
  if (le16(e + 8) != le16(e + 10)) return false;
  const bool sentinel = cd.entries == 0xFFFF || cd.size == 0xFFFFFFFF || cd.offset == 0xFFFFFFFF;
  // ZIP64: a 20-byte locator right before the EOCD points at the 56-byte EOCD64 record.
  if (eocd >= 20 && le32(data + eocd - 20) == kSigEocd64Locator) {
    const uint8_t* loc = data + eocd - 20;
    const uint64_t rec = le64(loc + 8);
    if (le32(loc + 4) != 0 || le32(loc + 16) > 1) return false;
    if (rec > eocd - 20 || eocd - 20 - rec < 56) return false;
    const uint8_t* r = data + rec;
    if (le32(r) != kSigEocd64) return false;
    if (le32(r + 16) != 0 || le32(r + 20) != 0 || le64(r + 24) != le64(r + 32)) return false;
    cd.entries = le64(r + 32);
    cd.size = le64(r + 40);
    cd.offset = le64(r + 48);
    cd.end = rec;
  } else if (sentinel) {
    return false;
  }
  if (cd.offset > cd.end || cd.size > cd.end - cd.offset) return false;
  return true;
}

// Name predicates over torch's layout: every entry lives under one top-level folder
// (<archive>/data.pkl, <archive>/code/..., <archive>/constants.pkl); bare names are accepted too.
std::string_view below_top_folder(std::string_view name) {
  const size_t slash = name.find('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}
bool is_data_pkl(std::string_view name) {
  return name == "data.pkl" || (name.find('/') != std::string_view::npos &&
                                below_top_folder(name) == "data.pkl");
}
bool is_torchscript_part(std::string_view name) {
  const std::string_view rest = below_top_folder(name);
  return name.rfind("code/", 0) == 0 || name == "constants.pkl" || rest.rfind("code/", 0) == 0 ||
         rest == "constants.pkl";
}
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Format classify_zip(const uint8_t* data, uint64_t size) {
  CentralDirectory cd;
  if (!find_central_directory(data, size, cd)) return Format::ZIP;
  if (cd.entries == 0 || cd.entries > kMaxSniffEntries || cd.entries > cd.size / kCentralSize)
    return Format::ZIP;
  bool data_pkl = false, torchscript = false, all_npy = true;
  uint64_t pos = cd.offset;
  const uint64_t end = cd.offset + cd.size;
  for (uint64_t i = 0; i < cd.entries; ++i) {
    if (end - pos < kCentralSize) return Format::ZIP;
    const uint8_t* h = data + pos;
    if (le32(h) != kSigCentral) return Format::ZIP;
    const uint64_t name_len = le16(h + 28);
    const uint64_t rest = name_len + le16(h + 30) + le16(h + 32);
    if (end - pos - kCentralSize < rest) return Format::ZIP;
    const std::string_view name(reinterpret_cast<const char*>(h + kCentralSize), name_len);
    data_pkl = data_pkl || is_data_pkl(name);
    torchscript = torchscript || is_torchscript_part(name);
    all_npy = all_npy && ends_with(name, ".npy") && name.size() > 4;
    pos += kCentralSize + rest;
  }
  if (torchscript) return Format::TORCHSCRIPT;
  if (data_pkl) return Format::PYTORCH_ZIP;
  if (all_npy) return Format::NPZ;
  return Format::ZIP;
}

// ------------------------------------------------------------------ ONNX

// Reads a protobuf varint of at most 10 bytes; false if it runs off the end or is too long.
bool read_varint(const uint8_t* data, uint64_t size, uint64_t& pos, uint64_t& out) {
  out = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (pos >= size) return false;
    const uint8_t b = data[pos++];
    out |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// ModelProto starts (as every exporter writes it) with field 1 ir_version, a small varint,
// followed by another ModelProto field: model_version (5) as a varint, or a length-delimited
// one (producer_name 2, producer_version 3, domain 4, doc_string 6, graph 7, opset_import 8,
// metadata_props 14, training_info 20, functions 25, configuration 26) whose length fits.
bool sniff_onnx(const uint8_t* data, uint64_t size) {
  if (size < 4 || data[0] != 0x08) return false;
  uint64_t pos = 1, ir_version = 0, tag = 0;
  if (!read_varint(data, size, pos, ir_version) || ir_version < 1 || ir_version > 64) return false;
  if (!read_varint(data, size, pos, tag)) return false;
  const uint64_t field = tag >> 3, wire = tag & 7;
  if (field == 5 && wire == 0) {
    uint64_t v = 0;
    return read_varint(data, size, pos, v);
  }
  if (wire != 2) return false;
  switch (field) {
    case 2: case 3: case 4: case 6: case 7: case 8: case 14: case 20: case 25: case 26: break;
    default: return false;
  }
  uint64_t len = 0;
  return read_varint(data, size, pos, len) && len <= size - pos;
}

// ------------------------------------------------------------------ index JSON

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
            const int v = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                        : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
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
// later, in the safetensors reader); stops at the ',' or '}' that ends it at depth 0.
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

// A top-level JSON object with a "weight_map" member whose value is an object.
bool has_weight_map(const uint8_t* data, uint64_t size) {
  uint64_t pos = 0;
  auto ws = [&] { while (pos < size && json_ws(data[pos])) ++pos; };
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
    if (match) return pos < size && data[pos] == '{';
    if (!skip_value(data, size, pos) || data[pos] != ',') return false;
    ++pos;
  }
}

bool has_suffix(const std::string& s, std::string_view suffix) {
  return ends_with(std::string_view(s), suffix);
}

Format detect_directory(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(path, ec), end;
  if (ec)
    fail(Code::IO, "cannot list directory '" + escape_for_message(path, 512) + "': " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    std::error_code fec;
    if (!it->is_regular_file(fec)) continue;
    if (has_suffix(name, ".safetensors.index.json") || has_suffix(name, ".safetensors"))
      return Format::SAFETENSORS_INDEX;
  }
  if (ec)
    fail(Code::IO, "cannot list directory '" + escape_for_message(path, 512) + "': " + ec.message());
  return Format::UNKNOWN;
}

}  // namespace

Format detect_format_bytes(const uint8_t* data, uint64_t size) {
  if (data == nullptr || size == 0) return Format::UNKNOWN;
  if (starts_with(data, size, "GGUF")) return Format::GGUF;
  if (starts_with(data, size, "\x93NUMPY")) return Format::NPY;
  // A zip starts with a local header, or is an empty archive that is only an EOCD record.
  if (size >= 4 && (le32(data) == kSigLocal || le32(data) == kSigEocd))
    return classify_zip(data, size);
  // Pre-1.6 torch.save: PROTO 2, then LONG1 of 10 bytes holding the torch magic number.
  if (starts_with(data, size, "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"))
    return Format::PYTORCH_LEGACY;
  // safetensors before the tar test: a header can hold "ustar" at byte 257 by accident.
  if (sniff_safetensors(data, size)) return Format::SAFETENSORS;
  if (size >= 262 && std::memcmp(data + 257, "ustar", 5) == 0) return Format::PYTORCH_LEGACY;
  if (sniff_onnx(data, size)) return Format::ONNX;
  return Format::UNKNOWN;
}

Format detect_format(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    fail(Code::IO, "cannot open '" + escape_for_message(path, 512) + "': " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return detect_directory(path);
  const auto file = MappedFile::open(path);  // IO error for sockets, devices, unreadable files
  const std::string name = std::filesystem::path(path).filename().string();
  if (has_suffix(name, ".index.json"))
    return has_weight_map(file->data(), file->size()) ? Format::SAFETENSORS_INDEX
                                                      : Format::UNKNOWN;
  return detect_format_bytes(file->data(), file->size());
}

}  // namespace mwt::detail
