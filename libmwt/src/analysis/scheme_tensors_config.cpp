// Quantization settings written beside a checkpoint: quantize_config.json (AutoGPTQ /
// GPTQModel), quant_config.json (AutoAWQ) and config.json's "quantization_config" (transformers)
// or "quantization" (MLX). The files are untrusted: size-limited, parsed with simdjson, and any
// problem is a warning in the report, never an error.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <simdjson.h>

#include "analysis/scheme_tensors.hpp"

namespace mwt::detail::analysis {
namespace {

namespace dom = simdjson::dom;

constexpr uint64_t kMaxConfigBytes = uint64_t{16} << 20;
constexpr size_t kMaxConfigDepth = 64;
constexpr size_t kMaxOverrides = size_t{1} << 16;
constexpr size_t kMaxWarnings = 32;

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& ch : r) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return r;
}

class Absorber {
 public:
  Absorber(QuantConfig& c, std::string source) : c_(c), src_(std::move(source)) {}

  void warn(const std::string& w) {
    if (c_.warnings.size() < kMaxWarnings) c_.warnings.push_back(src_ + ": " + w);
  }

  // The member's value, or nullopt when absent or null.
  std::optional<dom::element> member(dom::object obj, std::string_view key) {
    dom::element e;
    if (obj[key].get(e) || e.is_null()) return std::nullopt;
    return e;
  }

  void int_field(dom::object obj, std::string_view key, std::optional<int64_t>& dst,
                 const char* name) {
    auto e = member(obj, key);
    if (!e) return;
    int64_t v;
    if (e->get_int64().get(v)) {
      warn(std::string(key) + " is not an integer");
      return;
    }
    set(dst, v, name);
  }
  void bool_field(dom::object obj, std::string_view key, std::optional<bool>& dst,
                  const char* name) {
    auto e = member(obj, key);
    if (!e) return;
    bool v;
    if (e->get_bool().get(v)) {
      warn(std::string(key) + " is not a boolean");
      return;
    }
    set(dst, v, name);
  }
  void str_field(dom::object obj, std::string_view key, std::string& dst, const char* name) {
    auto e = member(obj, key);
    if (!e) return;
    std::string_view v;
    if (e->get_string().get(v)) {
      warn(std::string(key) + " is not a string");
      return;
    }
    set_str(dst, lower(v), name);
  }

  template <typename T>
  void set(std::optional<T>& dst, T v, const char* name) {
    if (!dst) {
      dst = v;
      c_.fields.emplace_back(name, to_scalar(v));
    } else if (*dst != v) {
      warn(std::string(name) + " " + scalar_text(to_scalar(v)) + " differs from " +
           scalar_text(to_scalar(*dst)) + " read before; the first is kept");
    }
  }
  void set_str(std::string& dst, std::string v, const char* name) {
    if (dst.empty()) {
      dst = v;
      c_.fields.emplace_back(name, Scalar(std::move(v)));
    } else if (dst != v) {
      warn(std::string(name) + " " + v + " differs from " + dst +
           " read before; the first is kept");
    }
  }

  void absorb(dom::object obj, std::string_view default_method, bool mlx_overrides) {
    c_.found = true;
    c_.sources.push_back(src_);
    str_field(obj, "quant_method", c_.quant_method, "quant_method");
    if (c_.quant_method.empty() && !default_method.empty())
      set_str(c_.quant_method, std::string(default_method), "quant_method");
    int_field(obj, "bits", c_.bits, "bits");
    int_field(obj, "w_bit", c_.bits, "bits");
    int_field(obj, "group_size", c_.group_size, "group_size");
    int_field(obj, "q_group_size", c_.group_size, "group_size");
    bool_field(obj, "desc_act", c_.desc_act, "desc_act");
    bool_field(obj, "sym", c_.sym, "sym");
    bool_field(obj, "zero_point", c_.zero_point, "zero_point");
    str_field(obj, "version", c_.version, "version");
    str_field(obj, "checkpoint_format", c_.checkpoint_format, "checkpoint_format");
    str_field(obj, "format", c_.format, "format");
    str_field(obj, "fmt", c_.fp8_format, "fmt");
    str_field(obj, "activation_scheme", c_.activation_scheme, "activation_scheme");
    str_field(obj, "bnb_4bit_quant_type", c_.bnb_quant_type, "bnb_4bit_quant_type");
    bool_field(obj, "bnb_4bit_use_double_quant", c_.double_quant, "bnb_4bit_use_double_quant");
    bool_field(obj, "load_in_4bit", c_.load_in_4bit, "load_in_4bit");
    bool_field(obj, "load_in_8bit", c_.load_in_8bit, "load_in_8bit");
    str_field(obj, "bnb_4bit_compute_dtype", c_.compute_dtype, "bnb_4bit_compute_dtype");
    str_field(obj, "mode", c_.mode, "mode");
    if (auto e = member(obj, "weight_block_size")) block_size(*e);
    if (auto e = member(obj, "config_groups")) config_groups(*e);
    if (mlx_overrides) overrides(obj);
  }

 private:
  static Scalar to_scalar(int64_t v) { return Scalar(v); }
  static Scalar to_scalar(bool v) { return Scalar(v); }

  void block_size(dom::element e) {
    dom::array a;
    std::vector<int64_t> v;
    if (!e.get_array().get(a)) {
      for (dom::element x : a) {
        int64_t n;
        if (x.get_int64().get(n) || v.size() >= 2) {
          v.clear();
          break;
        }
        v.push_back(n);
      }
    }
    if (v.size() != 2) {
      warn("weight_block_size is not a pair of integers");
      return;
    }
    if (!c_.block_size) {
      c_.block_size = std::array<int64_t, 2>{v[0], v[1]};
      c_.fields.emplace_back("weight_block_size", Scalar(v));
    }
  }

  // compressed-tensors: {"group_0": {"weights": {"num_bits": 4, ...}, "targets": [...]}, ...}
  void config_groups(dom::element e) {
    dom::object groups;
    if (e.get_object().get(groups)) {
      warn("config_groups is not an object");
      return;
    }
    size_t with_weights = 0;
    for (dom::key_value_pair kv : groups) {
      dom::object g, w;
      if (kv.value.get_object().get(g) || g["weights"].get_object().get(w)) continue;
      if (++with_weights > 1) continue;  // the first group with weights is the one reported
      int_field(w, "num_bits", c_.bits, "bits");
      int_field(w, "group_size", c_.group_size, "group_size");
      bool_field(w, "symmetric", c_.sym, "sym");
      str_field(w, "strategy", c_.strategy, "strategy");
      std::string type;
      str_field(w, "type", type, "weights_type");
      if (auto a = member(w, "actorder")) {
        bool b;
        std::string_view s;
        if (!a->get_bool().get(b))
          set(c_.desc_act, b, "actorder");
        else if (!a->get_string().get(s))
          set(c_.desc_act, true, "actorder");
      }
    }
    if (with_weights > 1) warn("several config_groups quantize weights; the first is reported");
  }

  // MLX: {"group_size": 64, "bits": 4, "model.layers.0.mlp.down_proj": {"group_size": 64, "bits":
  // 6}}
  void overrides(dom::object obj) {
    for (dom::key_value_pair kv : obj) {
      dom::object o;
      if (kv.value.get_object().get(o)) continue;
      int64_t b, g;
      if (o["bits"].get_int64().get(b) || o["group_size"].get_int64().get(g)) continue;
      if (c_.module_overrides.size() >= kMaxOverrides) {
        warn("more than 65536 per-module settings; the rest are ignored");
        return;
      }
      c_.module_overrides.emplace(std::string(kv.key), std::make_pair(b, g));
    }
  }

  QuantConfig& c_;
  std::string src_;
};

}  // namespace

QuantConfig parse_quant_config(const std::vector<ConfigText>& texts) {
  QuantConfig c;
  for (const ConfigText& t : texts) {
    Absorber top(c, t.file);
    dom::parser parser;
    if (parser.allocate(std::max<size_t>(t.text.size(), 64), kMaxConfigDepth)) {
      top.warn("cannot allocate a JSON parser");
      continue;
    }
    simdjson::padded_string padded(t.text);
    dom::element root;
    if (auto err = parser.parse(padded).get(root)) {
      top.warn(std::string("invalid JSON (") + simdjson::error_message(err) + ")");
      continue;
    }
    dom::object obj;
    if (root.get_object().get(obj)) {
      top.warn("top level is not a JSON object");
      continue;
    }
    if (t.file != "config.json") {
      top.absorb(obj, t.file == "quant_config.json" ? "awq" : "gptq", false);
      continue;
    }
    for (const char* key : {"quantization_config", "quantization"}) {
      dom::element e;
      if (obj[key].get(e) || e.is_null()) continue;
      dom::object q;
      Absorber a(c, t.file + ":" + key);
      if (e.get_object().get(q)) {
        a.warn("not a JSON object");
        continue;
      }
      // MLX writes "quantization" (and the same under "quantization_config") without a method.
      const bool mlx = std::string_view(key) == "quantization" ||
                       (q["quant_method"].error() == simdjson::NO_SUCH_FIELD &&
                        obj["quantization"].error() != simdjson::NO_SUCH_FIELD);
      a.absorb(q, mlx ? "mlx" : "", mlx);
    }
  }
  return c;
}

namespace {

// Reads the regular file `p` (at most kMaxConfigBytes) into `text`; false, with a warning when
// it exists but cannot be read. Opened non-blocking and checked with fstat on the descriptor,
// so a FIFO (or a file swapped for one after a stat) is refused instead of waited on.
bool read_config_file(const std::filesystem::path& p, const char* name, std::string& text,
                      std::vector<std::string>& warnings) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno != ENOENT)
      warnings.push_back(std::string(name) + ": cannot open (" + std::strerror(errno) + ")");
    return false;
  }
  struct stat st {};
  std::string problem;
  if (::fstat(fd, &st) != 0) {
    problem = "cannot stat (" + std::string(std::strerror(errno)) + ")";
  } else if (!S_ISREG(st.st_mode)) {
    problem = "not a regular file; not read";
  } else if (static_cast<uint64_t>(st.st_size) > kMaxConfigBytes) {
    problem = std::to_string(st.st_size) + " bytes, over the 16 MiB limit; not read";
  } else {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) problem = "cannot be read";
  }
  if (!problem.empty()) {
    warnings.push_back(std::string(name) + ": " + problem);
    ::close(fd);
    return false;
  }
  text.assign(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t r = ::read(fd, text.data() + done, text.size() - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    done += static_cast<size_t>(r);
  }
  ::close(fd);
  if (done != text.size()) {
    warnings.push_back(std::string(name) + ": cannot be read");
    return false;
  }
  return true;
}

}  // namespace

bool read_file_beside(const WeightFile& file, const char* name, std::string& text,
                      std::vector<std::string>& warnings) {
  namespace fs = std::filesystem;
  if (file.files.empty() || !file.files[0]) return false;
  std::error_code ec;
  const fs::path weights(file.files[0]->path());
  if (weights.empty() || !fs::is_regular_file(weights, ec)) return false;
  fs::path dir = weights.parent_path();
  if (dir.empty()) dir = ".";
  return read_config_file(dir / name, name, text, warnings);
}

QuantConfig read_quant_config(const WeightFile& file) {
  namespace fs = std::filesystem;
  if (file.files.empty() || !file.files[0]) return {};
  std::error_code ec;
  const fs::path weights(file.files[0]->path());
  // An in-memory file has a name but no directory of its own to look in.
  if (weights.empty() || !fs::is_regular_file(weights, ec)) return {};
  fs::path dir = weights.parent_path();
  if (dir.empty()) dir = ".";
  std::vector<ConfigText> texts;
  std::vector<std::string> warnings;
  for (const char* name : {"quantize_config.json", "quant_config.json", "config.json"}) {
    const fs::path p = dir / name;
    std::string text;
    if (!read_config_file(p, name, text, warnings)) continue;
    texts.push_back({name, std::move(text)});
  }
  QuantConfig c = parse_quant_config(texts);
  c.warnings.insert(c.warnings.begin(), warnings.begin(), warnings.end());
  return c;
}

}  // namespace mwt::detail::analysis
