// safetensors writer: the reference layout (tensors ordered by dtype rank, widest first, then by
// name; header JSON compact, padded with spaces to a multiple of 8), written through AtomicFile
// and re-read with the strict reader before it may replace the destination.
#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "core/atomic_file.hpp"
#include "core/checked.hpp"
#include "core/dtype.hpp"
#include "core/json_text.hpp"
#include "formats/open.hpp"
#include "formats/safetensors/safetensors_header.hpp"

namespace mwt::detail {
namespace {

std::string num(uint64_t v) { return std::to_string(v); }

// The reference writer's dtype order (its Dtype enum): data is laid out from the highest rank
// down, so every tensor starts aligned to its element size.
int dtype_rank(DType d) {
  switch (d) {
    case DType::BOOL: return 0;
    case DType::F4: return 1;
    case DType::F6_E2M3: return 2;
    case DType::F6_E3M2: return 3;
    case DType::U8: return 4;
    case DType::I8: return 5;
    case DType::F8_E5M2: return 6;
    case DType::F8_E4M3: return 7;
    case DType::F8_E8M0: return 8;
    case DType::F8_E4M3FNUZ: return 9;
    case DType::F8_E5M2FNUZ: return 10;
    case DType::I16: return 11;
    case DType::U16: return 12;
    case DType::F16: return 13;
    case DType::BF16: return 14;
    case DType::I32: return 15;
    case DType::U32: return 16;
    case DType::F32: return 17;
    case DType::C64: return 18;
    case DType::F64: return 19;
    case DType::I64: return 20;
    case DType::U64: return 21;
    default: return -1;
  }
}

const OpenOptions kReadBack{};

std::string field_of(const WriteTensor& t) { return st_tensor_field(t.name); }

void validate(const WriteSpec& spec) {
  std::unordered_set<std::string_view> keys;
  for (const WriteMeta& m : spec.metadata) {
    const std::string f = "__metadata__[\"" + escape_for_message(m.key) + "\"]";
    if (m.type != ValueType::STRING)
      fail(Code::TYPE_MISMATCH,
           std::string("safetensors metadata values are strings; this one is ") +
               value_type_name(m.type),
           kNoOffset, f);
    require_utf8(reinterpret_cast<const uint8_t*>(m.key.data()), m.key.size(), kNoOffset,
                 f.c_str());
    require_utf8(reinterpret_cast<const uint8_t*>(m.str.data()), m.str.size(), kNoOffset,
                 f.c_str());
    if (!keys.insert(m.key).second) fail(Code::DUPLICATE, "metadata key given twice", kNoOffset, f);
  }
  if (spec.tensors.size() > kReadBack.max_tensors)
    fail(Code::LIMIT_EXCEEDED, num(spec.tensors.size()) + " tensors exceed limits.max_tensors",
         kNoOffset, "tensors");
  std::unordered_set<std::string_view> names;
  for (const WriteTensor& t : spec.tensors) {
    const std::string f = field_of(t);
    if (t.name.empty()) fail(Code::BAD_SYNTAX, "empty tensor name", kNoOffset, f);
    if (t.name == "__metadata__")
      fail(Code::BAD_SYNTAX, "\"__metadata__\" is reserved and cannot name a tensor", kNoOffset, f);
    require_utf8(reinterpret_cast<const uint8_t*>(t.name.data()), t.name.size(), kNoOffset,
                 f.c_str());
    if (!names.insert(t.name).second)
      fail(Code::DUPLICATE, "tensor name given twice", kNoOffset, f);
    const DTypeInfo* d = dtype_info(static_cast<uint32_t>(t.dtype));
    if (!d || d->safetensors.empty() || dtype_rank(t.dtype) < 0)
      fail(Code::BAD_DTYPE,
           "dtype " + (d ? std::string(d->name) : num(static_cast<uint32_t>(t.dtype))) +
               " cannot be stored in safetensors (quantized ggml blocks need GGUF)",
           kNoOffset, f);
    if (t.shape.size() > kSafetensorsMaxRank)
      fail(Code::BAD_SHAPE, "rank " + num(t.shape.size()) + " exceeds " + num(kSafetensorsMaxRank),
           kNoOffset, f);
    uint64_t numel = 1;
    for (uint64_t dim : t.shape) {
      if (dim > kSafetensorsMaxDim)
        fail(Code::BAD_SHAPE, "dimension " + num(dim) + " exceeds the format's 2^48-1", kNoOffset,
             f);
      numel = checked_mul(numel, dim, f.c_str(), kNoOffset);
    }
    const uint64_t bits = checked_mul(numel, st_element_bits(*d), f.c_str(), kNoOffset);
    if (bits % 8 != 0)
      fail(Code::SIZE_MISMATCH,
           num(numel) + " elements of " + std::string(d->safetensors) + " do not fill whole bytes",
           kNoOffset, f);
    if (bits / 8 != t.nbytes)
      fail(Code::SIZE_MISMATCH,
           "nbytes " + num(t.nbytes) + " but the shape and dtype need " + num(bits / 8), kNoOffset,
           f);
    if (t.nbytes && !t.data) fail(Code::ARGUMENT, "tensor data is NULL", kNoOffset, f);
  }
}

[[noreturn]] void differs(const std::string& field, const std::string& what) {
  fail(Code::INTERNAL, "written file differs from the spec: " + what, kNoOffset, field);
}

void verify(const std::string& tmp, const WriteSpec& spec, const std::vector<size_t>& order) {
  std::unique_ptr<WeightFile> wf;
  try {
    wf = read_safetensors(MappedFile::open(tmp), kReadBack);
  } catch (const Error& e) {
    fail(Code::INTERNAL, std::string("written file fails the strict reader: ") + e.what(),
         kNoOffset, "write_safetensors");
  }
  if (wf->metadata.size() != spec.metadata.size()) differs("__metadata__", "entry count changed");
  for (size_t i = 0; i < spec.metadata.size(); ++i) {
    const MetaEntry& g = wf->metadata[i];
    const WriteMeta& m = spec.metadata[i];
    if (g.key != m.key || g.value.type != ValueType::STRING || g.value.str != m.str)
      differs("__metadata__[\"" + escape_for_message(m.key) + "\"]", "key or value changed");
  }
  if (wf->tensors.size() != spec.tensors.size()) differs("tensors", "tensor count changed");
  for (size_t i = 0; i < order.size(); ++i) {
    const WriteTensor& t = spec.tensors[order[i]];
    const TensorInfo& g = wf->tensors[i];
    if (g.name != t.name || g.dtype != t.dtype || g.shape != t.shape || g.nbytes != t.nbytes)
      differs(field_of(t), "name, dtype, shape or size changed");
    if (t.nbytes && std::memcmp(g.data, t.data, t.nbytes) != 0)
      differs(field_of(t), "tensor bytes changed");
  }
  if (!wf->warnings.empty()) differs("layout", wf->warnings.front());
}

}  // namespace

void write_safetensors(const WriteSpec& spec, const std::string& path) {
  validate(spec);
  std::vector<size_t> order(spec.tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const WriteTensor& x = spec.tensors[a];
    const WriteTensor& y = spec.tensors[b];
    const int rx = dtype_rank(x.dtype), ry = dtype_rank(y.dtype);
    if (rx != ry) return rx > ry;
    return x.name < y.name;  // bytewise, as the reference's string order
  });

  std::string h = "{";
  bool first = true;
  if (!spec.metadata.empty()) {
    h += "\"__metadata__\":{";
    for (size_t i = 0; i < spec.metadata.size(); ++i) {
      if (i) h += ',';
      append_json_string(h, spec.metadata[i].key);
      h += ':';
      append_json_string(h, spec.metadata[i].str);
    }
    h += '}';
    first = false;
  }
  uint64_t offset = 0;
  for (size_t i : order) {
    const WriteTensor& t = spec.tensors[i];
    if (!first) h += ',';
    first = false;
    append_json_string(h, t.name);
    h += ":{\"dtype\":\"";
    h += dtype_info(static_cast<uint32_t>(t.dtype))->safetensors;
    h += "\",\"shape\":[";
    for (size_t j = 0; j < t.shape.size(); ++j) {
      if (j) h += ',';
      h += num(t.shape[j]);
    }
    const uint64_t end = checked_add(offset, t.nbytes, "data_offsets", kNoOffset);
    h += "],\"data_offsets\":[" + num(offset) + "," + num(end) + "]}";
    offset = end;
  }
  h += '}';
  h.append((8 - h.size() % 8) % 8, ' ');
  if (h.size() > kReadBack.max_header)
    fail(Code::HEADER_TOO_LARGE, "header of " + num(h.size()) + " bytes exceeds limits.max_header",
         kNoOffset, "header");

  AtomicFile out(path);
  const uint64_t n = h.size();
  uint8_t len[8];
  std::memcpy(len, &n, 8);  // little-endian host
  out.write(len, 8);
  out.write(h.data(), h.size());
  for (size_t i : order)
    if (spec.tensors[i].nbytes) out.write(spec.tensors[i].data, spec.tensors[i].nbytes);
  out.commit([&](const std::string& tmp) { verify(tmp, spec, order); });
}

}  // namespace mwt::detail
