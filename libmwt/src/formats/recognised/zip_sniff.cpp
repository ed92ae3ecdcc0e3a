// sniff_zip: a bounds-checked walk of a zip's central directory that tells PyTorch /
// TorchScript / npz archives apart by their entry names. Reads nothing but the directory.
#include <string_view>

#include "formats/recognised/recognised.hpp"

namespace mwt::detail {
namespace {

uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t le64(const uint8_t* p) {
  return static_cast<uint64_t>(le32(p)) | (static_cast<uint64_t>(le32(p + 4)) << 32);
}

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
  return name == "data.pkl" ||
         (name.find('/') != std::string_view::npos && below_top_folder(name) == "data.pkl");
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

}  // namespace

Format sniff_zip(const uint8_t* data, uint64_t size) noexcept {
  // A zip starts with a local header, or is an empty archive that is only an EOCD record.
  if (size >= 4 && (le32(data) == kSigLocal || le32(data) == kSigEocd))
    return classify_zip(data, size);
  return Format::UNKNOWN;
}

}  // namespace mwt::detail
