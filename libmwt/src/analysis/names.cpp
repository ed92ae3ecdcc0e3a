// Matching tensor names against the name table (names_table.cpp) and rendering them in another
// naming. Patterns are plain text with `{N}` / `{E}` standing for a run of decimal digits; the
// suffix after a module pattern is kept as it is (docs/analysis.md#naming).
#include "analysis/names.hpp"

#include <algorithm>
#include <cstring>

#include "analysis/scheme_tensors.hpp"
#include "core/json_writer.hpp"

namespace mwt::detail::analysis {
namespace {

constexpr size_t kMaxDigits = 9;  // block and expert numbers stay far below 10^9

// Matches `pat` at the start of `name`; returns the length of name consumed, or npos.
size_t match_pattern(std::string_view pat, std::string_view name, int64_t& block, int64_t& expert) {
  size_t i = 0, j = 0;
  while (i < pat.size()) {
    if (pat[i] == '{' && i + 2 < pat.size() && pat[i + 2] == '}' &&
        (pat[i + 1] == 'N' || pat[i + 1] == 'E')) {
      size_t k = j;
      int64_t v = 0;
      while (k < name.size() && k - j < kMaxDigits && name[k] >= '0' && name[k] <= '9')
        v = v * 10 + (name[k++] - '0');
      if (k == j || (k < name.size() && name[k] >= '0' && name[k] <= '9'))
        return std::string_view::npos;
      if (k - j > 1 && name[j] == '0') return std::string_view::npos;  // no leading zeros
      (pat[i + 1] == 'N' ? block : expert) = v;
      j = k;
      i += 3;
      continue;
    }
    if (j >= name.size() || name[j] != pat[i]) return std::string_view::npos;
    ++i;
    ++j;
  }
  return j;
}

// A suffix mwt carries over: weight, bias, or one of the quantization roles
// (analysis/scheme_tensors.hpp: qweight, scales, weight_scale, weight.absmax, ...).
bool known_suffix(std::string_view s) {
  if (s == "bias" || s == "weight") return true;
  const auto r = split_role(s);
  return r && r->first.empty();
}

void substitute(std::string& out, std::string_view pat, int64_t block, int64_t expert) {
  for (size_t i = 0; i < pat.size(); ++i) {
    if (pat[i] == '{' && i + 2 < pat.size() && pat[i + 2] == '}' &&
        (pat[i + 1] == 'N' || pat[i + 1] == 'E')) {
      out += std::to_string(pat[i + 1] == 'N' ? block : expert);
      i += 2;
      continue;
    }
    out += pat[i];
  }
}

}  // namespace

const char* naming_name(Naming n) noexcept {
  switch (n) {
    case Naming::HF: return "hf";
    case Naming::GGUF: return "gguf";
    case Naming::CANONICAL: return "canonical";
  }
  return "?";
}

std::optional<Naming> naming_from(std::string_view s) noexcept {
  for (Naming n : {Naming::HF, Naming::GGUF, Naming::CANONICAL})
    if (s == naming_name(n)) return n;
  return std::nullopt;
}

const char* model_kind_name(ModelKind k) noexcept {
  switch (k) {
    case ModelKind::DECODER: return "decoder";
    case ModelKind::ENCODER: return "encoder";
    case ModelKind::ENCODER_DECODER: return "encoder-decoder";
  }
  return "?";
}

const Family* find_family(std::string_view name) noexcept {
  for (const Family& f : families())
    if (name == f.name) return &f;
  return nullptr;
}

std::vector<const Family*> families_of_gguf_arch(std::string_view arch) {
  std::vector<const Family*> out;
  if (arch.empty()) return out;
  for (const Family& f : families())
    if (arch == f.gguf_arch) out.push_back(&f);
  return out;
}

std::optional<NameMatch> match_name(const Family& f, std::string_view name, Naming from) {
  std::optional<NameMatch> best;
  size_t best_len = 0;
  bool best_exact = false;
  for (const NameRow& row : f.rows) {
    const std::string_view pat = row.pattern(from);
    if (pat.empty()) continue;
    int64_t block = -1, expert = -1;
    const size_t n = match_pattern(pat, name, block, expert);
    if (n == std::string_view::npos) continue;
    const bool exact = (row.flags & kExact) != 0;
    std::string_view suffix;
    if (exact) {
      if (n != name.size()) continue;
    } else {
      if (n + 1 >= name.size() || name[n] != '.') continue;
      suffix = name.substr(n + 1);
      if (!known_suffix(suffix)) continue;
    }
    // An exact row beats a module row; among module rows the longest module wins.
    if (best && (best_exact && !exact)) continue;
    if (best && best_exact == exact && n <= best_len) continue;
    best = NameMatch{&row, from, block, expert, std::string(suffix)};
    best_len = n;
    best_exact = exact;
  }
  return best;
}

std::optional<NameMatch> match_loose(const Family& f, std::string_view name, Naming from) {
  if (auto m = match_name(f, name, from)) return m;
  if (from != Naming::HF) return std::nullopt;
  // A base model saved on its own leaves out its task model's prefix ("model.", "transformer."),
  // and a task model adds one to a base model's names ("bert.").
  for (std::string_view p : {"model.", "transformer."}) {
    std::string full(p);
    full.append(name);
    if (auto m = match_name(f, full, from)) return m;
  }
  for (std::string_view p : {"bert.", "roberta."})
    if (name.substr(0, p.size()) == p)
      if (auto m = match_name(f, name.substr(p.size()), from)) return m;
  return std::nullopt;
}

std::optional<NameMatch> match_any(const Family& f, std::string_view name) {
  for (Naming n : {Naming::HF, Naming::GGUF, Naming::CANONICAL})
    if (auto m = match_loose(f, name, n)) return m;
  return std::nullopt;
}

std::optional<std::string> render_name(const NameMatch& m, Naming to) {
  const std::string_view pat = m.row->pattern(to);
  if (pat.empty()) return std::nullopt;
  const bool needs_block = std::strstr(pat.data(), "{N}") != nullptr;
  const bool needs_expert = std::strstr(pat.data(), "{E}") != nullptr;
  if ((needs_block && m.block < 0) || (needs_expert && m.expert < 0)) return std::nullopt;
  std::string out;
  substitute(out, pat, m.block, m.expert);
  if (!(m.row->flags & kExact)) {
    out += '.';
    out += m.suffix;
  }
  return out;
}

std::optional<std::string> map_name(std::string_view name, const Family& f, Naming to) {
  const auto m = match_any(f, name);
  if (!m) return std::nullopt;
  return render_name(*m, to);
}

std::string families_json() {
  JsonOut out;
  out.begin_array();
  for (const Family& f : families()) {
    out.begin_object();
    out.field("name", f.name);
    out.field("gguf_arch", f.gguf_arch);
    out.field("kind", model_kind_name(f.kind));
    out.field("same_names_as", f.same_names_as);
    out.key("roles").begin_array();
    std::vector<std::string_view> seen;
    for (const NameRow& r : f.rows) {
      const std::string_view c = r.canonical;
      if (std::find(seen.begin(), seen.end(), c) != seen.end()) continue;
      seen.push_back(c);
      out.value(c);
    }
    out.end_array();
    out.end_object();
  }
  out.end_array();
  return out.take();
}

}  // namespace mwt::detail::analysis
