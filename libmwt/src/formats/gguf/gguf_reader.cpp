// GGUF v2/v3 reader: validates a whole file as hostile input (docs/gguf.md, the rules of
// docs/readers.md, the cases of docs/malformed-inputs.md#gguf-cases) and returns a WeightFile
// whose strings, arrays and tensor data are zero-copy views into the map.
#include <cstdio>
#include <cstring>

#include "core/checked.hpp"
#include "core/dtype.hpp"
#include "core/json_text.hpp"
#include "formats/gguf/gguf.hpp"
#include "formats/gguf/gguf_layout.hpp"

namespace mwt::detail {
namespace {

using namespace gguf;

inline constexpr uint64_t kNoIndex = UINT64_MAX;

std::string num(uint64_t v) { return std::to_string(v); }

// Parses one file. Field paths are only spelled out when a check fails, so the per-element
// loops (150k-string tokenizer arrays) build no strings.
class Parser {
 public:
  Parser(std::shared_ptr<MappedFile> file, const OpenOptions& opts)
      : file_(std::move(file)), opts_(opts), data_(file_->data()), size_(file_->size()) {}

  std::unique_ptr<WeightFile> run() {
    auto wf = std::make_unique<WeightFile>();
    wf_ = wf.get();
    read_header();
    read_kvs();
    read_tensor_infos();
    place_tensor_data();
    wf->format = Format::GGUF;
    wf->version = version_;
    wf->total_size = size_;
    wf->data_offset = data_start_;
    wf->alignment = alignment_;
    wf->files.push_back(file_);  // no build_index(): read_kvs and read_tensor_infos indexed
    return wf;
  }

 private:
  enum class Rec { HEADER, KV, TENSOR };

  // ---- failure reporting -------------------------------------------------------------------
  std::string path(const char* suffix, uint64_t idx) const {
    std::string p;
    switch (rec_) {
      case Rec::HEADER: p = "header"; break;
      case Rec::KV: p = named_ ? kv_path(name_) : "kv[#" + num(rec_index_) + "]"; break;
      case Rec::TENSOR:
        p = named_ ? tensor_path(name_) : "tensors[#" + num(rec_index_) + "]";
        break;
    }
    p += suffix;
    if (idx != kNoIndex) p += "[" + num(idx) + "]";
    return p;
  }
  [[noreturn]] void die(Code c, const std::string& msg, uint64_t off, const char* suffix,
                        uint64_t idx = kNoIndex) const {
    fail(c, msg, off, path(suffix, idx));
  }
  void begin(Rec r, uint64_t index) {
    rec_ = r;
    rec_index_ = index;
    named_ = false;
  }
  void name_record(std::string_view n) {
    name_ = n;
    named_ = true;
  }

  // ---- bounds-checked cursor ---------------------------------------------------------------
  uint64_t remaining() const { return size_ - pos_; }
  void need(uint64_t n, const char* suffix, uint64_t idx = kNoIndex) const {
    if (n > remaining())
      die(Code::TRUNCATED, "need " + num(n) + " bytes, " + num(remaining()) + " left in file", pos_,
          suffix, idx);
  }
  template <typename T>
  T rd(const char* suffix, uint64_t idx = kNoIndex) {
    need(sizeof(T), suffix, idx);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));  // unaligned-safe; the host is little-endian
    pos_ += sizeof(T);
    return v;
  }
  // u64 length + bytes. A length the rest of the file cannot hold is TRUNCATED (checked first:
  // it is the more specific finding for a 2^64-1 length); a length over `cap` is LIMIT_EXCEEDED.
  std::string_view str(uint64_t cap, const char* cap_name, const char* suffix,
                       uint64_t idx = kNoIndex) {
    const uint64_t at = pos_;
    const uint64_t len = rd<uint64_t>(suffix, idx);
    if (len > remaining())
      die(Code::TRUNCATED,
          "string length " + num(len) + " exceeds the " + num(remaining()) + " bytes left in file",
          at, suffix, idx);
    if (len > cap)
      die(Code::LIMIT_EXCEEDED,
          "string length " + num(len) + " exceeds " + cap_name + " = " + num(cap), at, suffix, idx);
    std::string_view s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    check_utf8(s, at, suffix, idx);
    pos_ += len;
    return s;
  }
  // GGUF strings are UTF-8 (docs/gguf.md#strings). The error names the string's offset (its
  // length field) and the field; the message names the first bad byte and where it is. Linear
  // and scalar: tokenizer strings are a few bytes each, so a SIMD call would cost more.
  void check_utf8(std::string_view s, uint64_t at, const char* suffix, uint64_t idx) const {
    if (opts_.gguf_allow_invalid_utf8) return;
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    const size_t bad = find_invalid_utf8(p, s.size());
    if (bad == kNoPosition) return;
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", p[bad]);
    die(Code::BAD_ENCODING,
        std::string("string is not valid UTF-8 (byte ") + hex + " at offset " + num(pos_ + bad) +
            "; gguf.allow_invalid_utf8 accepts it)",
        at, suffix, idx);
  }

  // ---- header ------------------------------------------------------------------------------
  void read_header() {
    begin(Rec::HEADER, 0);
    static constexpr uint8_t magic[4] = {'G', 'G', 'U', 'F'};
    const uint64_t have = size_ < 4 ? size_ : 4;
    if (have > 0 && std::memcmp(data_, magic, have) != 0)
      die(Code::BAD_MAGIC,
          "expected \"GGUF\", found \"" +
              escape_for_message(std::string_view(reinterpret_cast<const char*>(data_), have)) +
              "\"",
          0, ".magic");
    rd<uint32_t>(".magic");  // TRUNCATED for a file shorter than the magic
    const uint64_t ver_at = pos_;
    version_ = rd<uint32_t>(".version");
    if (version_ == 0)
      die(Code::UNSUPPORTED_VERSION, "GGUF version 0 is not valid (supported: 2, 3)", ver_at,
          ".version");
    if ((version_ & 0xFFFFu) == 0)
      die(Code::UNSUPPORTED_VERSION,
          "version field " + num(version_) +
              " looks byte-swapped: big-endian GGUF is not supported (only little-endian files)",
          ver_at, ".version");
    if (version_ == 1)
      die(Code::UNSUPPORTED_VERSION, "GGUF v1 is not supported (supported: 2, 3)", ver_at,
          ".version");
    if (version_ > kMaxVersion)
      die(Code::UNSUPPORTED_VERSION,
          "GGUF version " + num(version_) + " is newer than supported (2, 3)", ver_at, ".version");
    n_tensors_ = rd<uint64_t>(".n_tensors");
    n_kv_ = rd<uint64_t>(".n_kv");
    check_count(n_tensors_, opts_.max_tensors, "limits.max_tensors", 8, ".n_tensors");
    check_count(n_kv_, opts_.max_kv, "limits.max_kv", 16, ".n_kv");
    // R1: both tables together must fit in what is left, before anything is reserved. Counts
    // are compared by division so a huge count cannot wrap the product.
    if (n_kv_ > remaining() / kMinKvBytes)
      die(Code::TRUNCATED,
          num(n_kv_) + " key-value pairs need at least " + num(kMinKvBytes) + " bytes each, " +
              num(remaining()) + " bytes left in file",
          16, ".n_kv");
    const uint64_t kv_min = n_kv_ * kMinKvBytes;  // <= remaining(), so no wrap
    if (n_tensors_ > (remaining() - kv_min) / kMinTensorInfoBytes)
      die(Code::TRUNCATED,
          num(n_tensors_) + " tensor infos need at least " + num(kMinTensorInfoBytes) +
              " bytes each after the key-value pairs, " + num(remaining() - kv_min) +
              " bytes left in file",
          8, ".n_tensors");
  }

  void check_count(uint64_t n, uint64_t cap, const char* cap_name, uint64_t at,
                   const char* suffix) const {
    if (n > cap)
      die(Code::LIMIT_EXCEEDED, "count " + num(n) + " exceeds " + cap_name + " = " + num(cap), at,
          suffix);
  }

  // ---- key-value pairs ---------------------------------------------------------------------
  void read_kvs() {
    auto& md = wf_->metadata;
    md.reserve(n_kv_);  // both counts bounded by R1 in read_header
    // One flat table per kind serves the duplicate checks here and the lookups after.
    wf_->reserve_index(n_kv_, n_tensors_);
    for (uint64_t i = 0; i < n_kv_; ++i) {
      begin(Rec::KV, i);
      const uint64_t entry_at = pos_;
      const std::string_view key = str(opts_.max_key, "limits.max_key", ".key");
      if (key.empty()) die(Code::BAD_SYNTAX, "empty key", entry_at, ".key");
      name_record(key);
      const int64_t first = wf_->index_next_metadata(key);
      if (first >= 0)
        die(Code::DUPLICATE,
            "duplicate key (first defined at offset " + num(md[static_cast<size_t>(first)].offset) +
                ")",
            entry_at, ".key");
      MetaEntry& e = md.emplace_back();
      e.key = key;
      e.offset = entry_at;
      const uint64_t type_at = pos_;
      const uint32_t t = rd<uint32_t>(".type");
      if (t >= kValueTypeCount)
        die(Code::BAD_DTYPE, "value type " + num(t) + " is not a GGUF type (0..12)", type_at,
            ".type");
      e.value.type = static_cast<ValueType>(t);
      const uint64_t value_at = pos_;
      read_value(e.value);
      if (key == kAlignmentKey) alignment_ = check_alignment(e.value, entry_at, value_at);
    }
  }

  void read_value(MetaValue& v) {
    switch (v.type) {
      case ValueType::STRING: v.str = str(opts_.max_string, "limits.max_string", ".value"); return;
      case ValueType::ARRAY: read_array(v); return;
      default: {
        const uint64_t at = pos_;
        const uint32_t n = value_type_size(v.type);
        need(n, ".value");
        std::memcpy(&v.scalar_bits, data_ + pos_, n);  // zero-extended: scalar_bits starts at 0
        pos_ += n;
        if (v.type == ValueType::BOOL && v.scalar_bits > 1) {
          if (opts_.gguf_strict_bool)
            die(Code::BAD_DTYPE, "BOOL value " + num(v.scalar_bits) + " is not 0 or 1", at,
                ".value");
          v.scalar_bits = 1;  // ggml's reading: any nonzero byte is true
        }
      }
    }
  }

  void read_array(MetaValue& v) {
    const uint64_t et_at = pos_;
    const uint32_t et = rd<uint32_t>(".elem_type");
    if (et >= kValueTypeCount)
      die(Code::BAD_DTYPE, "array element type " + num(et) + " is not a GGUF type (0..12)", et_at,
          ".elem_type");
    if (et == static_cast<uint32_t>(ValueType::ARRAY))
      die(Code::UNSUPPORTED_FEATURE, "nested arrays (array of arrays) are not supported", et_at,
          ".elem_type");
    v.elem_type = static_cast<ValueType>(et);
    const uint64_t count_at = pos_;
    const uint64_t count = rd<uint64_t>(".count");
    if (count > opts_.max_array)
      die(Code::LIMIT_EXCEEDED,
          "array count " + num(count) + " exceeds limits.max_array = " + num(opts_.max_array),
          count_at, ".count");
    v.count = count;
    if (v.elem_type == ValueType::STRING) {
      if (count > remaining() / kMinStringBytes)
        die(Code::TRUNCATED,
            "string array of " + num(count) + " elements needs at least " +
                num(count * kMinStringBytes) + " bytes, " + num(remaining()) + " left in file",
            count_at, ".count");
      v.strings.reserve(count);
      for (uint64_t i = 0; i < count; ++i)
        v.strings.push_back(str(opts_.max_string, "limits.max_string", ".value", i));
      return;
    }
    const uint32_t sz = value_type_size(v.elem_type);
    if (count > remaining() / sz)
      die(Code::TRUNCATED,
          "array of " + num(count) + " x " + num(sz) + "-byte elements exceeds the " +
              num(remaining()) + " bytes left in file",
          count_at, ".count");
    v.array_data = data_ + pos_;
    // Non-strict BOOL arrays keep their raw bytes (a view cannot be normalised): readers of
    // the view treat any nonzero byte as true, as ggml does.
    if (v.elem_type == ValueType::BOOL && opts_.gguf_strict_bool)
      for (uint64_t i = 0; i < count; ++i)
        if (v.array_data[i] > 1)
          die(Code::BAD_DTYPE, "BOOL value " + num(v.array_data[i]) + " is not 0 or 1", pos_ + i,
              ".value", i);
    pos_ += count * sz;
  }

  uint32_t check_alignment(const MetaValue& v, uint64_t entry_at, uint64_t value_at) const {
    if (v.type != ValueType::U32)
      die(Code::BAD_ALIGNMENT,
          std::string("general.alignment must be UINT32, found ") + value_type_name(v.type),
          entry_at, ".type");
    if (!is_pow2(v.scalar_bits) || v.scalar_bits > kMaxAlignment)
      die(Code::BAD_ALIGNMENT,
          "alignment " + num(v.scalar_bits) + " is not a power of two from 1 to " +
              num(kMaxAlignment),
          value_at, ".value");
    return static_cast<uint32_t>(v.scalar_bits);
  }

  // ---- tensor infos ------------------------------------------------------------------------
  void read_tensor_infos() {
    if (n_tensors_ > remaining() / kMinTensorInfoBytes)  // R1 again, now that the KVs are read
      fail(Code::TRUNCATED,
           num(n_tensors_) + " tensor infos need at least " + num(kMinTensorInfoBytes) +
               " bytes each, " + num(remaining()) + " bytes left in file",
           pos_, "header.n_tensors");
    auto& ts = wf_->tensors;
    ts.reserve(n_tensors_);
    offset_field_at_.reserve(n_tensors_);
    std::vector<uint64_t> info_at_of(n_tensors_);  // where each tensor info starts (messages)
    uint64_t prev_end = 0;
    for (uint64_t i = 0; i < n_tensors_; ++i) {
      begin(Rec::TENSOR, i);
      const uint64_t info_at = pos_;
      const std::string_view name = str(UINT64_MAX, "no limit", ".name");
      // An empty name cannot be looked up, and the R1 minimum above counts a 1-byte name.
      if (name.empty()) die(Code::BAD_SYNTAX, "empty tensor name", info_at, ".name");
      if (name.size() > kMaxNameBytes)
        die(Code::BAD_SYNTAX,
            "tensor name is " + num(name.size()) + " bytes; ggml allows at most " +
                num(kMaxNameBytes),
            info_at, ".name");
      name_record(name);
      const int64_t first = wf_->index_next_tensor(name);
      if (first >= 0)
        die(Code::DUPLICATE,
            "duplicate tensor name (first defined at offset " +
                num(info_at_of[static_cast<size_t>(first)]) + ")",
            info_at, ".name");
      info_at_of[i] = info_at;
      const uint64_t ndims_at = pos_;
      const uint32_t n_dims = rd<uint32_t>(".n_dims");
      if (n_dims > kMaxDims)
        die(Code::BAD_SHAPE, "n_dims " + num(n_dims) + " exceeds ggml's maximum of 4", ndims_at,
            ".n_dims");
      uint64_t ne[kMaxDims] = {1, 1, 1, 1};
      const uint64_t dims_at = pos_;
      for (uint32_t j = 0; j < n_dims; ++j) {
        const uint64_t at = pos_;
        ne[j] = rd<uint64_t>(".dims", j);
        if (ne[j] > static_cast<uint64_t>(INT64_MAX))
          die(Code::BAD_SHAPE,
              "dimension " + num(ne[j]) + " is negative as ggml's int64 (must be < 2^63)", at,
              ".dims", j);
      }
      const uint64_t type_at = pos_;
      const uint32_t type = rd<uint32_t>(".type");
      const DTypeInfo* dt = type < kGgmlTypeCount ? dtype_info(type) : nullptr;
      if (!dt)
        die(Code::BAD_DTYPE, "ggml type " + num(type) + " is not a valid or supported type id",
            type_at, ".type");
      const uint64_t off_at = pos_;
      const uint64_t rel = rd<uint64_t>(".offset");

      if (ne[0] % dt->block_elems != 0)
        die(Code::BAD_SHAPE,
            "innermost dimension " + num(ne[0]) + " is not a multiple of the " +
                std::string(dt->name) + " block size " + num(dt->block_elems),
            n_dims > 0 ? dims_at : ndims_at, ".dims", 0);
      uint64_t numel = 0;
      if (ne[0] && ne[1] && ne[2] && ne[3]) {  // a zero dim is an empty tensor: no overflow check
        numel = 1;
        for (uint32_t j = 0; j < kMaxDims; ++j)
          if (__builtin_mul_overflow(numel, ne[j], &numel) || numel > uint64_t{INT64_MAX})
            die(Code::OVERFLOW, "element count overflows int64 (ggml's element count type)",
                dims_at, ".dims");
      }
      const std::string nbytes_path = path(".nbytes", kNoIndex);
      const uint64_t nbytes = dtype_nbytes(*dt, numel, nbytes_path.c_str(), dims_at);
      // The padded size is what ggml sums; a padding that wraps fails here as OVERFLOW.
      checked_align_up(nbytes, alignment_, nbytes_path.c_str(), dims_at);
      check_relative_offset(rel, nbytes, prev_end, i, off_at);
      prev_end = rel + nbytes;  // no wrap: checked in check_relative_offset

      TensorInfo& t = ts.emplace_back();
      t.name.assign(name);
      t.dtype = dt->id;
      t.shape.assign(n_dims, 0);
      for (uint32_t j = 0; j < n_dims; ++j) t.shape[n_dims - 1 - j] = ne[j];  // numpy order
      t.numel = numel;  // 1 for a rank-0 tensor (all ne are 1)
      t.nbytes = nbytes;
      t.offset = rel;  // relative until place_tensor_data knows where the data section starts
      offset_field_at_.push_back(off_at);
    }
  }

  // Offsets relative to the data section: aligned, in file order, not overlapping. A gap is
  // legal GGUF but ggml's loader rejects it, so it is a warning (an error under gguf.contiguous).
  void check_relative_offset(uint64_t rel, uint64_t nbytes, uint64_t prev_end, uint64_t i,
                             uint64_t off_at) {
    if (rel % alignment_ != 0)
      die(Code::BAD_OFFSETS,
          "data offset " + num(rel) + " is not a multiple of the alignment " + num(alignment_),
          off_at, ".offset");
    uint64_t end;
    if (__builtin_add_overflow(rel, nbytes, &end))
      die(Code::OUT_OF_BOUNDS,
          "data offset " + num(rel) + " + " + num(nbytes) + " bytes wraps past 2^64", off_at,
          ".offset");
    if (rel < prev_end)
      die(Code::BAD_OFFSETS,
          "data [" + num(rel) + ", " + num(end) +
              ") starts before the previous tensor's data ends (" + num(prev_end) +
              "): tensor data must be in file order without overlap",
          off_at, ".offset");
    // rel is aligned and >= prev_end, so it is past PAD(prev_end) exactly when the difference
    // reaches a whole alignment unit; PAD(prev_end) <= rel then cannot wrap.
    const bool gap = i == 0 ? rel != 0 : rel - prev_end >= alignment_;
    if (gap) {
      const uint64_t expected = prev_end + (alignment_ - prev_end % alignment_) % alignment_;
      if (opts_.gguf_contiguous)
        die(Code::BAD_OFFSETS,
            "data offset " + num(rel) + ", expected " + num(expected) +
                " (gguf.contiguous: offsets must be the running sum of padded sizes)",
            off_at, ".offset");
      if (n_gaps_++ == 0)
        first_gap_ =
            path("", kNoIndex) + " at data offset " + num(rel) + ", expected " + num(expected);
    }
  }

  // ---- data section ------------------------------------------------------------------------
  void place_tensor_data() {
    auto& ts = wf_->tensors;
    data_start_ = pos_;
    if (!ts.empty()) {
      data_start_ = checked_align_up(pos_, alignment_, "data_section", pos_);
      if (data_start_ > size_)
        fail(Code::TRUNCATED,
             "data section starts at " + num(data_start_) + " after alignment padding, file has " +
                 num(size_) + " bytes",
             pos_, "data_section");
    }
    for (size_t i = 0; i < ts.size(); ++i) {
      TensorInfo& t = ts[i];
      uint64_t abs, end;
      if (__builtin_add_overflow(data_start_, t.offset, &abs) ||
          __builtin_add_overflow(abs, t.nbytes, &end))
        fail(Code::OUT_OF_BOUNDS,
             "data start " + num(data_start_) + " + offset " + num(t.offset) + " + " +
                 num(t.nbytes) + " bytes wraps past 2^64",
             offset_field_at_[i], tensor_path(t.name) + ".offset");
      if (end > size_)
        fail(Code::OUT_OF_BOUNDS,
             "data [" + num(abs) + ", " + num(end) + ") extends past the end of the file (" +
                 num(size_) + " bytes)",
             offset_field_at_[i], tensor_path(t.name) + ".offset");
      t.offset = abs;
      t.data = t.nbytes ? data_ + abs : nullptr;
    }
    if (n_gaps_ > 0)
      wf_->warnings.push_back("non-contiguous layout: " + num(n_gaps_) +
                              " tensor(s) start after a gap (first: " + first_gap_ +
                              "); ggml's loader requires contiguous offsets");
  }

  std::shared_ptr<MappedFile> file_;
  const OpenOptions& opts_;
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  WeightFile* wf_ = nullptr;

  uint32_t version_ = 0;
  uint64_t n_tensors_ = 0;
  uint64_t n_kv_ = 0;
  uint32_t alignment_ = kDefaultAlignment;
  uint64_t data_start_ = 0;
  std::vector<uint64_t> offset_field_at_;  // file offset of each tensor's offset field
  uint64_t n_gaps_ = 0;
  std::string first_gap_;

  Rec rec_ = Rec::HEADER;
  uint64_t rec_index_ = 0;
  std::string_view name_;
  bool named_ = false;
};

}  // namespace

std::unique_ptr<WeightFile> read_gguf(std::shared_ptr<MappedFile> file, const OpenOptions& opts) {
  if (!file) fail(Code::ARGUMENT, "read_gguf: no file");
  return Parser(std::move(file), opts).run();
}

Format sniff_gguf(const uint8_t* data, uint64_t size) noexcept {
  return size >= 4 && std::memcmp(data, "GGUF", 4) == 0 ? Format::GGUF : Format::UNKNOWN;
}

}  // namespace mwt::detail
