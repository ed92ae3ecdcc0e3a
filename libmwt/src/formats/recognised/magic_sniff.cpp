// Sniffs of the recognised-but-unread formats that are told by their first bytes: the NumPy
// magic, the pre-1.6 torch.save pickle prefix or tar header, and an ONNX protobuf heuristic.
#include <cstring>
#include <string_view>

#include "formats/recognised/recognised.hpp"

namespace mwt::detail {
namespace {

bool starts_with(const uint8_t* data, uint64_t size, std::string_view magic) {
  return size >= magic.size() && std::memcmp(data, magic.data(), magic.size()) == 0;
}

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

}  // namespace

Format sniff_npy(const uint8_t* data, uint64_t size) noexcept {
  return starts_with(data, size, "\x93NUMPY") ? Format::NPY : Format::UNKNOWN;
}

Format sniff_pytorch_legacy(const uint8_t* data, uint64_t size) noexcept {
  // PROTO 2, then LONG1 of 10 bytes holding the torch magic number.
  if (starts_with(data, size, "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"))
    return Format::PYTORCH_LEGACY;
  // The tar form. Its row sits after safetensors' because a safetensors header can hold
  // "ustar" at byte 257 by accident (the pickle prefix cannot look like safetensors: its byte
  // 8 is 0xf9, not '{').
  if (size >= 262 && std::memcmp(data + 257, "ustar", 5) == 0) return Format::PYTORCH_LEGACY;
  return Format::UNKNOWN;
}

// ModelProto starts (as every exporter writes it) with field 1 ir_version, a small varint,
// followed by another ModelProto field: model_version (5) as a varint, or a length-delimited
// one (producer_name 2, producer_version 3, domain 4, doc_string 6, graph 7, opset_import 8,
// metadata_props 14, training_info 20, functions 25, configuration 26) whose length fits.
Format sniff_onnx(const uint8_t* data, uint64_t size) noexcept {
  if (size < 4 || data[0] != 0x08) return Format::UNKNOWN;
  uint64_t pos = 1, ir_version = 0, tag = 0;
  if (!read_varint(data, size, pos, ir_version) || ir_version < 1 || ir_version > 64)
    return Format::UNKNOWN;
  if (!read_varint(data, size, pos, tag)) return Format::UNKNOWN;
  const uint64_t field = tag >> 3, wire = tag & 7;
  if (field == 5 && wire == 0) {
    uint64_t v = 0;
    return read_varint(data, size, pos, v) ? Format::ONNX : Format::UNKNOWN;
  }
  if (wire != 2) return Format::UNKNOWN;
  switch (field) {
    case 2:
    case 3:
    case 4:
    case 6:
    case 7:
    case 8:
    case 14:
    case 20:
    case 25:
    case 26: break;
    default: return Format::UNKNOWN;
  }
  uint64_t len = 0;
  return read_varint(data, size, pos, len) && len <= size - pos ? Format::ONNX : Format::UNKNOWN;
}

}  // namespace mwt::detail
