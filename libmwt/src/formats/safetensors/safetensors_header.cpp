// Parsing of the safetensors JSON header (docs/safetensors.md): every key is visited, so
// duplicate names are seen instead of silently keeping the last one as serde does.
#include "formats/safetensors/safetensors_header.hpp"

#include <algorithm>

#include "core/checked.hpp"
#include "core/error.hpp"
#include "core/json_document.hpp"
#include "core/json_text.hpp"

namespace mwt::detail {

std::string st_tensor_field(std::string_view name) {
  return "tensors[\"" + escape_for_message(name) + "\"]";
}

uint64_t st_element_bits(const DTypeInfo& d) {
  return static_cast<uint64_t>(d.block_bytes) * 8 / d.block_elems;
}

namespace {

bool all_digits(std::string_view s) noexcept {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

struct HeaderParser {
  JsonDocument& doc;
  const OpenOptions& opts;
  WeightFile& out;
  std::vector<uint64_t>& key_offsets;

  // A JSON integer in [0, max]; anything else is `bad` (BAD_SYNTAX when it is not JSON at all).
  uint64_t parse_uint(od::value v, const FieldName& field, Code bad, uint64_t max,
                      const char* what) {
    const uint64_t at = doc.offset_of(v);
    od::json_type t;
    if (auto e = v.type().get(t)) doc.fail_json(e, at, field, "malformed JSON value");
    if (t != od::json_type::number) {
      const char* phrase = json_type_phrase(v);
      validate_json_value(v, doc, kMaxJsonRecursion, field);
      fail(bad, std::string(what) + " must be a non-negative integer, found " + phrase, at,
           field.str());
    }
    const std::string_view tok = token_of(v);
    // Fast path: simdjson reads a plain non-negative integer (it refuses signs, fractions,
    // exponents, leading zeros and values past 2^64 - 1); the token must also be nothing but
    // digits, so the value is exactly what classify_number would give.
    uint64_t fast;
    if (!tok.empty() && tok.front() != '-' && v.get_uint64().get(fast) == simdjson::SUCCESS &&
        all_digits(tok)) {
      if (fast > max)
        fail(bad,
             std::string(what) + " " + escape_for_message(tok) +
                 " exceeds the largest allowed value " + std::to_string(max),
             at, field.str());
      return fast;
    }
    const NumberToken num = classify_number(tok);
    auto shown = [&] { return escape_for_message(tok); };
    switch (num.kind) {
      case NumberKind::INVALID:
        fail(Code::BAD_SYNTAX, "malformed JSON number '" + shown() + "'", at, field.str());
      case NumberKind::NEGATIVE:
        fail(bad, std::string(what) + " must be a non-negative integer, found " + shown(), at,
             field.str());
      case NumberKind::NOT_INTEGER:
        fail(bad, std::string(what) + " must be an integer, found " + shown(), at, field.str());
      case NumberKind::TOO_LARGE:
        fail(bad, std::string(what) + " " + shown() + " does not fit in 64 bits", at, field.str());
      case NumberKind::UINT: break;
    }
    if (num.value > max)
      fail(bad,
           std::string(what) + " " + shown() + " exceeds the largest allowed value " +
               std::to_string(max),
           at, field.str());
    uint64_t consumed;
    // Advances the ondemand cursor past the token, already validated above.
    [[maybe_unused]] const auto ignored = v.get_uint64().get(consumed);
    return num.value;
  }

  od::array get_array(od::value& v, const FieldName& field, Code bad, const char* what) {
    const uint64_t at = doc.offset_of(v);
    od::json_type t;
    if (auto e = v.type().get(t)) doc.fail_json(e, at, field, "malformed JSON value");
    if (t != od::json_type::array) {
      const char* phrase = json_type_phrase(v);
      validate_json_value(v, doc, kMaxJsonRecursion, field);
      fail(bad, std::string(what) + " must be a JSON array, found " + phrase, at, field.str());
    }
    od::array a;
    if (auto e = v.get_array().get(a)) doc.fail_json(e, at, field, "malformed JSON array");
    return a;
  }

  void parse_tensor(od::value v, std::string_view name, uint64_t key_at) {
    // Field paths for messages are built only when a check fails.
    auto field = [&] { return st_tensor_field(name); };
    auto sub = [&](const char* suffix) { return [&, suffix] { return field() + suffix; }; };
    const uint64_t at = doc.offset_of(v);
    od::json_type t;
    if (auto e = v.type().get(t)) doc.fail_json(e, at, field, "malformed JSON value");
    if (t != od::json_type::object) {
      const char* phrase = json_type_phrase(v);
      validate_json_value(v, doc, kMaxJsonRecursion, field);
      fail(Code::BAD_SYNTAX, "a tensor entry must be a JSON object, found " + std::string(phrase),
           at, field());
    }
    od::object entry;
    if (auto e = v.get_object().get(entry)) doc.fail_json(e, at, field, "malformed tensor entry");

    TensorInfo info;
    const DTypeInfo* dt = nullptr;
    bool have_shape = false, have_offsets = false;
    uint64_t begin = 0, end = 0, offsets_at = 0;
    std::vector<std::string_view> unknown;  // ignored fields, kept only to catch their duplicates
    for (auto fr : entry) {
      od::field f = next_field(std::move(fr), doc, at, field);
      const uint64_t fat = doc.key_offset(f);
      const std::string_view key = field_key(f, doc, field);
      const bool repeated = (key == "dtype" && dt) || (key == "shape" && have_shape) ||
                            (key == "data_offsets" && have_offsets);
      if (repeated)
        fail(Code::DUPLICATE,
             "field \"" + std::string(key) + "\" appears twice in the tensor entry", fat,
             field() + "." + std::string(key));
      if (key == "dtype") {
        od::value dv = f.value();
        const uint64_t dat = doc.offset_of(dv);
        const auto dtype_field = sub(".dtype");
        const std::string_view s = get_json_string(dv, doc, dtype_field, "dtype");
        dt = dtype_from_safetensors(s);
        if (!dt)
          fail(Code::BAD_DTYPE, "unknown safetensors dtype \"" + escape_for_message(s) + "\"", dat,
               dtype_field());
      } else if (key == "shape") {
        have_shape = true;
        info.shape.reserve(4);  // one allocation for the usual ranks
        od::value sv = f.value();
        od::array arr = get_array(sv, sub(".shape"), Code::BAD_SHAPE, "shape");
        for (auto er : arr) {
          const size_t dim = info.shape.size();
          auto dim_field = [&] { return field() + ".shape[" + std::to_string(dim) + "]"; };
          od::value ev = next_element(er, doc, fat, dim_field);
          if (info.shape.size() == kSafetensorsMaxRank)
            fail(Code::BAD_SHAPE,
                 "rank exceeds the maximum of " + std::to_string(kSafetensorsMaxRank),
                 doc.offset_of(ev), dim_field());
          info.shape.push_back(
              parse_uint(ev, dim_field, Code::BAD_SHAPE, kSafetensorsMaxDim, "a dimension"));
        }
      } else if (key == "data_offsets") {
        have_offsets = true;
        od::value ov = f.value();
        offsets_at = doc.offset_of(ov);
        od::array arr = get_array(ov, sub(".data_offsets"), Code::BAD_OFFSETS, "data_offsets");
        size_t count = 0;
        for (auto er : arr) {
          auto off_field = [&, count] {
            return field() + ".data_offsets[" + std::to_string(count) + "]";
          };
          od::value ev = next_element(er, doc, offsets_at, off_field);
          if (count == 2)
            fail(Code::BAD_OFFSETS, "data_offsets must hold exactly two integers, found more",
                 doc.offset_of(ev), off_field());
          const uint64_t x = parse_uint(ev, off_field, Code::BAD_OFFSETS, UINT64_MAX, "an offset");
          (count == 0 ? begin : end) = x;
          ++count;
        }
        if (count != 2)
          fail(Code::BAD_OFFSETS,
               "data_offsets must hold exactly two integers, found " + std::to_string(count),
               offsets_at, field() + ".data_offsets");
      } else {
        const std::string unknown_field = field() + "." + escape_for_message(key);
        for (std::string_view u : unknown)
          if (u == key)
            fail(Code::DUPLICATE, "field appears twice in the tensor entry", fat, unknown_field);
        unknown.push_back(key);
        if (opts.safetensors_strict)
          fail(Code::BAD_SYNTAX,
               "unknown field in a tensor entry (allowed: dtype, shape, data_offsets; "
               "safetensors.strict is on)",
               fat, unknown_field);
        validate_json_value(f.value(), doc, kMaxJsonRecursion, unknown_field);
        out.warnings.push_back("ignored unknown field " + unknown_field + " at offset " +
                               std::to_string(fat));
      }
    }
    const char* missing = !dt             ? "dtype"
                          : !have_shape   ? "shape"
                          : !have_offsets ? "data_offsets"
                                          : nullptr;
    if (missing)
      fail(Code::BAD_SYNTAX, std::string("tensor entry lacks the field \"") + missing + "\"",
           key_at, field());
    if (end < begin)
      fail(Code::BAD_OFFSETS,
           "data_offsets end " + std::to_string(end) + " is before begin " + std::to_string(begin),
           offsets_at, field() + ".data_offsets[1]");

    const auto shape_field = sub(".shape");
    uint64_t numel = 1;
    bool overflow = false;
    for (uint64_t d : info.shape) overflow |= __builtin_mul_overflow(numel, d, &numel);
    uint64_t nbits = 0;
    overflow |= __builtin_mul_overflow(numel, st_element_bits(*dt), &nbits);
    if (overflow)
      fail(Code::OVERFLOW,
           "the tensor's size in bits (shape product x dtype width) overflows 64 bits", key_at,
           shape_field());
    if (nbits % 8 != 0)
      fail(Code::SIZE_MISMATCH,
           std::to_string(numel) + " elements of " + std::string(dt->safetensors) +
               " do not fill whole bytes (" + std::to_string(nbits) + " bits)",
           key_at, shape_field());
    const uint64_t nbytes = nbits / 8;
    if (end - begin != nbytes)
      fail(Code::SIZE_MISMATCH,
           "data_offsets span " + std::to_string(end - begin) + " bytes but " +
               std::to_string(numel) + " elements of " + std::string(dt->safetensors) + " take " +
               std::to_string(nbytes),
           offsets_at, field() + ".data_offsets");
    info.name.assign(name);
    info.dtype = dt->id;
    info.numel = numel;
    info.nbytes = nbytes;
    info.offset = begin;
    out.tensors.push_back(std::move(info));
    key_offsets.push_back(key_at);
  }

  void parse_metadata(od::value v) {
    const std::string field = "__metadata__";
    const uint64_t at = doc.offset_of(v);
    od::json_type t;
    if (auto e = v.type().get(t)) doc.fail_json(e, at, field, "malformed JSON value");
    if (t == od::json_type::null) {  // the reference reads null as "no metadata" (an Option)
      bool is_null = false;
      if (v.is_null().get(is_null) || !is_null)
        fail(Code::BAD_SYNTAX, "malformed JSON literal", at, field);
      return;
    }
    if (t != od::json_type::object) {
      const char* phrase = json_type_phrase(v);
      validate_json_value(v, doc, kMaxJsonRecursion, field);
      fail(Code::BAD_SYNTAX,
           "__metadata__ must be a JSON object of strings, found " + std::string(phrase), at,
           field);
    }
    od::object obj;
    if (auto e = v.get_object().get(obj))
      doc.fail_json(e, at, field, "malformed __metadata__ object");
    // The duplicate check is WeightFile's metadata index (out.metadata is empty here: a header
    // has one __metadata__); field paths are built only when a check fails.
    for (auto fr : obj) {
      od::field f = next_field(std::move(fr), doc, at, field);
      const uint64_t kat = doc.key_offset(f);
      const std::string_view key = field_key(f, doc, field);
      auto kfield = [&] { return "__metadata__[\"" + escape_for_message(key) + "\"]"; };
      if (key.size() > opts.max_key)
        fail(Code::LIMIT_EXCEEDED,
             "key of " + std::to_string(key.size()) + " bytes exceeds limits.max_key (" +
                 std::to_string(opts.max_key) + ")",
             kat, kfield());
      if (key.find('\0') != std::string_view::npos)
        fail(Code::BAD_ENCODING, "key contains a NUL character", kat, kfield());
      if (out.index_next_metadata(key) >= 0)
        fail(Code::DUPLICATE, "metadata key appears twice", kat, kfield());
      if (out.metadata.size() + 1 > opts.max_kv)  // the distinct keys so far, this one included
        fail(Code::LIMIT_EXCEEDED,
             "more than limits.max_kv (" + std::to_string(opts.max_kv) + ") metadata entries", kat,
             kfield());
      od::value val = f.value();
      const std::string_view s = get_json_string(val, doc, kfield, "a __metadata__ value");
      if (s.size() > opts.max_string)
        fail(Code::LIMIT_EXCEEDED,
             "value of " + std::to_string(s.size()) + " bytes exceeds limits.max_string", kat,
             kfield());
      std::string both;  // key and value in one arena string: one allocation per entry
      both.reserve(key.size() + s.size());
      both.append(key).append(s);
      const std::string_view kept = out.intern(std::move(both));
      MetaEntry& e = out.metadata.emplace_back();
      e.key = kept.substr(0, key.size());
      e.value.type = ValueType::STRING;
      e.value.str = kept.substr(key.size());
      e.offset = kat;
    }
  }
};

}  // namespace

void parse_safetensors_header(const uint8_t* text, uint64_t n, uint64_t file_base,
                              const OpenOptions& opts, WeightFile& out,
                              std::vector<uint64_t>& key_offsets) {
  require_utf8(text, n, file_base, "header");
  const JsonExtent ext = scan_json_object(text, n, opts.max_json_depth, file_base, "header");
  JsonDocument doc(text + ext.begin, ext.end - ext.begin, file_base + ext.begin,
                   opts.max_json_depth, "header");
  HeaderParser hp{doc, opts, out, key_offsets};
  od::object root = doc.root();
  // (name, key offset) of every tensor: views into simdjson's string buffer, which lives as long
  // as `doc`. Duplicates are found by sorting once at the end (the entries are few and a hash
  // table would cost an allocation per name).
  std::vector<std::pair<std::string_view, uint64_t>> names;
  bool have_metadata = false;
  uint64_t last_at = file_base + ext.begin;
  for (auto fr : root) {
    od::field f = next_field(std::move(fr), doc, last_at, "header");
    const uint64_t key_at = doc.key_offset(f);
    last_at = key_at;
    const std::string_view key = field_key(f, doc, "header");
    if (key == "__metadata__") {
      if (have_metadata)
        fail(Code::DUPLICATE, "__metadata__ appears twice", key_at, "__metadata__");
      have_metadata = true;
      hp.parse_metadata(f.value());
      continue;
    }
    auto field = [&] { return st_tensor_field(key); };
    if (key.size() > opts.max_key)
      fail(Code::LIMIT_EXCEEDED,
           "tensor name of " + std::to_string(key.size()) + " bytes exceeds limits.max_key (" +
               std::to_string(opts.max_key) + ")",
           key_at, field());
    if (key.find('\0') != std::string_view::npos)
      // C callers see names as NUL-terminated strings: "a\0b" would pass for "a".
      fail(Code::BAD_ENCODING, "tensor name contains a NUL character", key_at, field());
    if (out.tensors.size() >= opts.max_tensors)
      fail(Code::LIMIT_EXCEEDED,
           "more than limits.max_tensors (" + std::to_string(opts.max_tensors) + ") tensors",
           key_at, field());
    names.emplace_back(key, key_at);
    hp.parse_tensor(f.value(), key, key_at);
  }
  std::sort(names.begin(), names.end());  // equal names end up adjacent, first offset first
  for (size_t i = 1; i < names.size(); ++i)
    if (names[i].first == names[i - 1].first)
      fail(
          Code::DUPLICATE,
          "tensor name appears twice (first at offset " + std::to_string(names[i - 1].second) + ")",
          names[i].second, st_tensor_field(names[i].first));
}

}  // namespace mwt::detail
