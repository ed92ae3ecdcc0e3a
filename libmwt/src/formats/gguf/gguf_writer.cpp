// GGUF writer: validates a WriteSpec, writes gguf-py's layout (KVs and tensor infos in spec
// order, data aligned, every tensor padded) through AtomicFile, and re-reads the temp file with
// the strict reader before it may replace the destination. Also the WeightFile -> WriteSpec copy.
#include <cstring>
#include <unordered_set>

#include "core/atomic_file.hpp"
#include "core/checked.hpp"
#include "core/dtype.hpp"
#include "formats/gguf/gguf_layout.hpp"
#include "formats/open.hpp"

namespace mwt::detail {
namespace {

using namespace gguf;

std::string num(uint64_t v) { return std::to_string(v); }

// The verifying re-read uses the default limits, so a spec they would reject is refused before
// anything is written rather than reported as a failed verification.
const OpenOptions kReadBack = [] {
  OpenOptions o;
  o.gguf_allow_invalid_utf8 = true;  // strings are written as the caller's bytes
  return o;
}();

uint64_t scalar_mask(ValueType t) {
  const uint32_t n = value_type_size(t);
  return n >= 8 ? UINT64_MAX : (uint64_t{1} << (8 * n)) - 1;
}

void validate_meta(const WriteMeta& m, const std::string& p) {
  if (m.key.empty()) fail(Code::BAD_SYNTAX, "empty key", kNoOffset, p);
  if (m.key.size() > kReadBack.max_key)
    fail(
        Code::LIMIT_EXCEEDED,
        "key of " + num(m.key.size()) + " bytes exceeds limits.max_key = " + num(kReadBack.max_key),
        kNoOffset, p);
  const auto t = static_cast<uint32_t>(m.type);
  if (t >= kValueTypeCount)
    fail(Code::BAD_DTYPE, "value type " + num(t) + " is not a GGUF type (0..12)", kNoOffset, p);
  if (m.type == ValueType::STRING) {
    if (m.str.size() > kReadBack.max_string)
      fail(Code::LIMIT_EXCEEDED,
           "string of " + num(m.str.size()) + " bytes exceeds limits.max_string", kNoOffset, p);
    return;
  }
  if (m.type != ValueType::ARRAY) {
    if ((m.scalar_bits & ~scalar_mask(m.type)) != 0)
      fail(Code::ARGUMENT,
           std::string("scalar_bits has bits set beyond the ") + value_type_name(m.type) +
               " value (must be zero-extended)",
           kNoOffset, p);
    if (m.type == ValueType::BOOL && m.scalar_bits > 1)
      fail(Code::ARGUMENT, "BOOL value " + num(m.scalar_bits) + " is not 0 or 1", kNoOffset, p);
    return;
  }
  const auto et = static_cast<uint32_t>(m.elem_type);
  if (et >= kValueTypeCount)
    fail(Code::BAD_DTYPE, "array element type " + num(et) + " is not a GGUF type (0..12)",
         kNoOffset, p);
  if (m.elem_type == ValueType::ARRAY)
    fail(Code::UNSUPPORTED_FEATURE, "nested arrays (array of arrays) are not supported", kNoOffset,
         p);
  if (m.count > kReadBack.max_array)
    fail(Code::LIMIT_EXCEEDED, "array count " + num(m.count) + " exceeds limits.max_array",
         kNoOffset, p);
  if (m.elem_type == ValueType::STRING) {
    if (m.strings.size() != m.count)
      fail(Code::SIZE_MISMATCH,
           "count " + num(m.count) + " but " + num(m.strings.size()) + " strings given", kNoOffset,
           p);
    for (const auto& s : m.strings)
      if (s.size() > kReadBack.max_string)
        fail(Code::LIMIT_EXCEEDED, "array string exceeds limits.max_string", kNoOffset, p);
    return;
  }
  const uint64_t want = m.count * value_type_size(m.elem_type);  // count <= 2^30: no wrap
  if (m.array_bytes.size() != want)
    fail(Code::SIZE_MISMATCH,
         "count " + num(m.count) + " needs " + num(want) + " bytes, array_bytes has " +
             num(m.array_bytes.size()),
         kNoOffset, p);
  if (m.elem_type == ValueType::BOOL)
    for (uint64_t i = 0; i < m.count; ++i)
      if (m.array_bytes[i] > 1)
        fail(Code::ARGUMENT,
             "BOOL element " + num(i) + " is " + num(m.array_bytes[i]) + ", not 0 or 1", kNoOffset,
             p);
}

// Returns the tensor's byte size (== t.nbytes) after checking it against its shape and dtype.
uint64_t validate_tensor(const WriteTensor& t, const std::string& p) {
  if (t.name.empty()) fail(Code::BAD_SYNTAX, "empty tensor name", kNoOffset, p);
  if (t.name.size() > kMaxNameBytes)
    fail(Code::BAD_SYNTAX,
         "tensor name is " + num(t.name.size()) + " bytes; ggml allows at most " +
             num(kMaxNameBytes),
         kNoOffset, p);
  const DTypeInfo* dt =
      is_ggml_type(t.dtype) ? dtype_info(static_cast<uint32_t>(t.dtype)) : nullptr;
  if (!dt)
    fail(Code::BAD_DTYPE,
         "dtype id " + num(static_cast<uint32_t>(t.dtype)) + " has no ggml type id", kNoOffset, p);
  if (t.shape.size() > kMaxDims)
    fail(Code::BAD_SHAPE, "rank " + num(t.shape.size()) + " exceeds ggml's maximum of 4", kNoOffset,
         p);
  uint64_t numel = 1;
  bool empty = false;
  for (uint64_t d : t.shape) {
    if (d > uint64_t{INT64_MAX})
      fail(Code::BAD_SHAPE, "dimension " + num(d) + " does not fit ggml's int64", kNoOffset, p);
    empty = empty || d == 0;
  }
  const uint64_t inner = t.shape.empty() ? 1 : t.shape.back();
  if (inner % dt->block_elems != 0)
    fail(Code::BAD_SHAPE,
         "innermost dimension " + num(inner) + " is not a multiple of the " +
             std::string(dt->name) + " block size " + num(dt->block_elems),
         kNoOffset, p);
  if (empty) {
    numel = 0;
  } else {
    for (uint64_t d : t.shape)
      if (__builtin_mul_overflow(numel, d, &numel) || numel > uint64_t{INT64_MAX})
        fail(Code::OVERFLOW, "element count overflows int64", kNoOffset, p);
  }
  const uint64_t nb = dtype_nbytes(*dt, numel, p.c_str(), kNoOffset);
  if (nb != t.nbytes)
    fail(Code::SIZE_MISMATCH,
         "nbytes " + num(t.nbytes) + " but the shape and " + std::string(dt->name) + " need " +
             num(nb),
         kNoOffset, p);
  if (nb > 0 && t.data == nullptr)
    fail(Code::ARGUMENT, "no data pointer for " + num(nb) + " bytes", kNoOffset, p);
  return nb;
}

// Everything the file will hold besides the spec's own entries.
struct Plan {
  bool append_alignment = false;
  std::vector<uint64_t> offsets;  // per tensor, relative to the data section
};

Plan validate(const WriteSpec& spec, uint32_t version) {
  if (version < kMinVersion || version > kMaxVersion)
    fail(Code::UNSUPPORTED_VERSION, "can write GGUF v2 or v3, asked for v" + num(version),
         kNoOffset, "version");
  if (!is_pow2(spec.alignment) || spec.alignment > kMaxAlignment)
    fail(Code::BAD_ALIGNMENT,
         "alignment " + num(spec.alignment) + " is not a power of two from 1 to " +
             num(kMaxAlignment),
         kNoOffset, "spec.alignment");
  Plan plan;
  bool has_alignment = false;
  std::unordered_set<std::string_view> keys;
  keys.reserve(spec.metadata.size());
  for (const auto& m : spec.metadata) {
    const std::string p = kv_path(m.key);
    validate_meta(m, p);
    if (!keys.insert(m.key).second) fail(Code::DUPLICATE, "duplicate key", kNoOffset, p);
    if (m.key == kAlignmentKey) {
      has_alignment = true;
      if (m.type != ValueType::U32 || m.scalar_bits != spec.alignment)
        fail(Code::ARGUMENT,
             "general.alignment must be a UINT32 equal to spec.alignment (" + num(spec.alignment) +
                 ")",
             kNoOffset, p);
    }
  }
  plan.append_alignment = !has_alignment && spec.alignment != kDefaultAlignment;
  if (spec.metadata.size() + plan.append_alignment > kReadBack.max_kv)
    fail(Code::LIMIT_EXCEEDED, "more key-value pairs than limits.max_kv", kNoOffset, "metadata");
  if (spec.tensors.size() > kReadBack.max_tensors)
    fail(Code::LIMIT_EXCEEDED, "more tensors than limits.max_tensors", kNoOffset, "tensors");
  std::unordered_set<std::string_view> names;
  names.reserve(spec.tensors.size());
  plan.offsets.reserve(spec.tensors.size());
  uint64_t next = 0;
  for (const auto& t : spec.tensors) {
    const std::string p = tensor_path(t.name);
    const uint64_t nb = validate_tensor(t, p);
    if (!names.insert(t.name).second) fail(Code::DUPLICATE, "duplicate tensor name", kNoOffset, p);
    plan.offsets.push_back(next);  // gguf-py / ggml: offset_i = sum of PAD(nbytes_j), j < i
    next = checked_add(next, checked_align_up(nb, spec.alignment, p.c_str()), p.c_str());
  }
  return plan;
}

class Buf {
 public:
  // resize + memcpy rather than insert(end, b, b + n): GCC 12 inlines the insert of a few bytes
  // into the header's first, still empty vector and then warns it writes into "a region of size
  // 0" (-Wstringop-overflow, a false positive); this form keeps the bound visible.
  void put(const void* p, size_t n) {
    const size_t at = bytes.size();
    bytes.resize(at + n);
    if (n > 0) std::memcpy(bytes.data() + at, p, n);
  }
  void u32(uint32_t v) { put(&v, 4); }  // the host is little-endian (byte_reader.hpp asserts)
  void u64(uint64_t v) { put(&v, 8); }
  void str(std::string_view s) {
    u64(s.size());
    put(s.data(), s.size());
  }
  std::vector<uint8_t> bytes;
};

void encode_meta(Buf& b, const WriteMeta& m) {
  b.str(m.key);
  b.u32(static_cast<uint32_t>(m.type));
  switch (m.type) {
    case ValueType::STRING: b.str(m.str); return;
    case ValueType::ARRAY:
      b.u32(static_cast<uint32_t>(m.elem_type));
      b.u64(m.count);
      if (m.elem_type == ValueType::STRING)
        for (const auto& s : m.strings) b.str(s);
      else
        b.put(m.array_bytes.data(), m.array_bytes.size());
      return;
    default: b.put(&m.scalar_bits, value_type_size(m.type));  // low bytes of the LE value
  }
}

[[noreturn]] void differs(const std::string& field, const std::string& what) {
  fail(Code::INTERNAL, "written file differs from the spec: " + what, kNoOffset, field);
}

void compare_meta(const MetaEntry& got, const WriteMeta& m) {
  const std::string p = kv_path(m.key);
  if (got.key != m.key) differs(p, "key reads back as \"" + escape_for_message(got.key) + "\"");
  const MetaValue& v = got.value;
  if (v.type != m.type) differs(p, "value type changed");
  if (m.type == ValueType::STRING) {
    if (v.str != m.str) differs(p, "string value changed");
  } else if (m.type == ValueType::ARRAY) {
    if (v.elem_type != m.elem_type || v.count != m.count) differs(p, "array type or count changed");
    if (m.elem_type == ValueType::STRING) {
      for (uint64_t i = 0; i < m.count; ++i)
        if (v.strings[i] != m.strings[i]) differs(p, "string element " + num(i) + " changed");
    } else if (m.count && std::memcmp(v.array_data, m.array_bytes.data(), m.array_bytes.size()))
      differs(p, "array bytes changed");
  } else if (v.scalar_bits != m.scalar_bits) {
    differs(p, "scalar value changed");
  }
}

void verify(const std::string& tmp, const WriteSpec& spec, const Plan& plan, uint32_t version) {
  std::unique_ptr<WeightFile> wf;
  try {
    wf = read_gguf(MappedFile::open(tmp), kReadBack);
  } catch (const Error& e) {
    fail(Code::INTERNAL, std::string("written file fails the strict reader: ") + e.what(),
         kNoOffset, "write_gguf");
  }
  if (wf->version != version || wf->alignment != spec.alignment)
    differs("header", "version or alignment changed");
  if (!wf->warnings.empty()) differs("layout", wf->warnings.front());
  if (wf->metadata.size() != spec.metadata.size() + plan.append_alignment)
    differs("metadata", "entry count changed");
  for (size_t i = 0; i < spec.metadata.size(); ++i) compare_meta(wf->metadata[i], spec.metadata[i]);
  if (plan.append_alignment) {
    const MetaEntry& a = wf->metadata.back();
    if (a.key != kAlignmentKey || a.value.type != ValueType::U32 ||
        a.value.scalar_bits != spec.alignment)
      differs(kv_path(kAlignmentKey), "appended alignment entry changed");
  }
  if (wf->tensors.size() != spec.tensors.size()) differs("tensors", "tensor count changed");
  for (size_t i = 0; i < spec.tensors.size(); ++i) {
    const WriteTensor& t = spec.tensors[i];
    const TensorInfo& g = wf->tensors[i];
    const std::string p = tensor_path(t.name);
    if (g.name != t.name || g.dtype != t.dtype || g.shape != t.shape || g.nbytes != t.nbytes)
      differs(p, "name, dtype, shape or size changed");
    if (g.offset != wf->data_offset + plan.offsets[i]) differs(p, "data offset changed");
    if (t.nbytes && std::memcmp(g.data, t.data, t.nbytes) != 0) differs(p, "tensor bytes changed");
  }
}

}  // namespace

void write_gguf(const WriteSpec& spec, const std::string& path, uint32_t version) {
  const Plan plan = validate(spec, version);
  Buf b;
  b.u32(kMagic);
  b.u32(version);
  b.u64(spec.tensors.size());
  b.u64(spec.metadata.size() + plan.append_alignment);
  for (const auto& m : spec.metadata) encode_meta(b, m);
  if (plan.append_alignment) {
    WriteMeta a;
    a.key = std::string(kAlignmentKey);
    a.type = ValueType::U32;
    a.scalar_bits = spec.alignment;
    encode_meta(b, a);
  }
  for (size_t i = 0; i < spec.tensors.size(); ++i) {
    const WriteTensor& t = spec.tensors[i];
    b.str(t.name);
    b.u32(static_cast<uint32_t>(t.shape.size()));
    for (size_t j = t.shape.size(); j-- > 0;) b.u64(t.shape[j]);  // GGUF order: innermost first
    b.u32(static_cast<uint32_t>(t.dtype));
    b.u64(plan.offsets[i]);
  }
  // gguf-py pads the metadata to the alignment even when there are no tensors.
  const uint64_t meta_end = b.bytes.size();
  b.bytes.resize(checked_align_up(meta_end, spec.alignment, "data_section"), 0);

  AtomicFile out(path);
  out.write(b.bytes.data(), b.bytes.size());
  for (const auto& t : spec.tensors) {
    if (t.nbytes) out.write(t.data, t.nbytes);
    out.write_zeros(checked_align_up(t.nbytes, spec.alignment, "tensor padding") - t.nbytes);
  }
  out.commit([&](const std::string& tmp) { verify(tmp, spec, plan, version); });
}

namespace gguf {

WriteSpec spec_from_weight_file(const WeightFile& wf) {
  WriteSpec spec;
  spec.alignment = wf.alignment ? wf.alignment : kDefaultAlignment;
  spec.metadata.reserve(wf.metadata.size());
  for (const auto& e : wf.metadata) {
    WriteMeta& m = spec.metadata.emplace_back();
    m.key.assign(e.key);
    m.type = e.value.type;
    if (m.type == ValueType::STRING) {
      m.str.assign(e.value.str);
    } else if (m.type == ValueType::ARRAY) {
      m.elem_type = e.value.elem_type;
      m.count = e.value.count;
      if (m.elem_type == ValueType::STRING) {
        m.strings.assign(e.value.strings.begin(), e.value.strings.end());
      } else if (m.count) {
        const uint64_t n = m.count * value_type_size(m.elem_type);
        m.array_bytes.assign(e.value.array_data, e.value.array_data + n);
      }
    } else {
      m.scalar_bits = e.value.scalar_bits;
    }
  }
  spec.tensors.reserve(wf.tensors.size());
  for (const auto& t : wf.tensors)
    spec.tensors.push_back(WriteTensor{t.name, t.dtype, t.shape, wf.tensor_data(t), t.nbytes});
  return spec;
}

}  // namespace gguf
}  // namespace mwt::detail
