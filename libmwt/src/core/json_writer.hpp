// A small streaming JSON writer for reports the library renders itself (the quantization
// report of analysis/scheme.hpp). Commas and nesting are tracked here so callers only say what
// comes next; strings are escaped as the safetensors writer escapes them, and a byte that is not
// part of well-formed UTF-8 (a GGUF string read under gguf.allow_invalid_utf8) is written as
// U+FFFD, one per byte, so every report is valid UTF-8 JSON (docs/gguf.md#strings). Doubles are
// written with up to 17 significant digits (round-trippable); NaN and Inf, which JSON lacks, as
// null.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_text.hpp"

namespace mwt::detail {

class JsonOut {
 public:
  JsonOut& begin_object() {
    value_prefix();
    out_ += '{';
    first_.push_back(true);
    return *this;
  }
  JsonOut& end_object() {
    out_ += '}';
    first_.pop_back();
    return *this;
  }
  JsonOut& begin_array() {
    value_prefix();
    out_ += '[';
    first_.push_back(true);
    return *this;
  }
  JsonOut& end_array() {
    out_ += ']';
    first_.pop_back();
    return *this;
  }
  // Inside an object: the next member's key; a value call must follow.
  JsonOut& key(std::string_view k) {
    separator();
    append_text(out_, k);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  JsonOut& value(std::string_view s) {
    value_prefix();
    append_text(out_, s);
    return *this;
  }
  JsonOut& value(const char* s) { return value(std::string_view(s)); }
  JsonOut& value(bool b) {
    value_prefix();
    out_ += b ? "true" : "false";
    return *this;
  }
  JsonOut& value(uint64_t v) {
    value_prefix();
    out_ += std::to_string(v);
    return *this;
  }
  JsonOut& value(int64_t v) {
    value_prefix();
    out_ += std::to_string(v);
    return *this;
  }
  JsonOut& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonOut& value(unsigned v) { return value(static_cast<uint64_t>(v)); }
  JsonOut& value(double v) {
    value_prefix();
    if (!std::isfinite(v)) {
      out_ += "null";
      return *this;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    // Prefer the shortest of %.6g .. %.17g that reads back exactly.
    for (int prec = 6; prec < 17; ++prec) {
      char shorter[32];
      std::snprintf(shorter, sizeof shorter, "%.*g", prec, v);
      if (std::strtod(shorter, nullptr) == v) {
        out_ += shorter;
        return *this;
      }
    }
    out_ += buf;
    return *this;
  }
  JsonOut& null() {
    value_prefix();
    out_ += "null";
    return *this;
  }
  // key(k).value(v) in one call.
  template <typename T>
  JsonOut& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

  const std::string& str() const noexcept { return out_; }
  std::string take() { return std::move(out_); }

  // append_json_string of `s` with each byte outside well-formed UTF-8 replaced by U+FFFD.
  static void append_text(std::string& out, std::string_view s) {
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    size_t bad = find_invalid_utf8(p, s.size());
    if (bad == kNoPosition) {
      append_json_string(out, s);
      return;
    }
    std::string clean;
    clean.reserve(s.size() + 16);
    size_t i = 0;  // s[i..] is still to copy; s[i + bad] is a bad byte
    while (bad != kNoPosition) {
      clean.append(s.substr(i, bad));
      clean += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      i += bad + 1;
      bad = find_invalid_utf8(p + i, s.size() - i);
    }
    clean.append(s.substr(i));
    append_json_string(out, clean);
  }

 private:
  void separator() {
    if (!first_.empty()) {
      if (!first_.back()) out_ += ',';
      first_.back() = false;
    }
  }
  void value_prefix() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    separator();
  }

  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace mwt::detail
