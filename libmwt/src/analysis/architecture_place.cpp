// Placing tensors (docs/analysis.md#families): multimodal wrappers split off (vision tower,
// projector, language model), the family chosen by how many tensor names its rows match and by
// the roles that tell look-alike families apart, and each tensor given its canonical part, block
// and role.
#include <algorithm>

#include "analysis/architecture_model.hpp"

namespace mwt::detail::analysis {
namespace {

constexpr size_t kMaxUnplacedListed = 8;

// Name prefixes of multimodal checkpoints: the language model's are rewritten to the plain
// model's names; vision towers and projectors are components of their own.
struct Wrapper {
  std::string_view from, to, component;
};
constexpr Wrapper kWrappers[] = {
    {"model.language_model.", "model.", "lm"},
    {"language_model.model.", "model.", "lm"},
    {"language_model.lm_head.", "lm_head.", "lm"},
    {"model.vision_tower.", "", "vision_tower"},
    {"vision_tower.", "", "vision_tower"},
    {"model.visual.", "", "vision_tower"},
    {"visual.", "", "vision_tower"},
    {"vision_model.", "", "vision_tower"},
    {"model.multi_modal_projector.", "", "projector"},
    {"multi_modal_projector.", "", "projector"},
    {"model.mm_projector.", "", "projector"},
    {"mm_projector.", "", "projector"},
};
// GGUF multimodal projector files (general.architecture "clip").
constexpr Wrapper kGgufWrappers[] = {{"v.", "", "vision_tower"}, {"mm.", "", "projector"}};

// Roles that tell families with the same module names apart: all of `require` present and none
// of `forbid` (a role with "#bias" means that role's bias).
struct Signature {
  std::string_view family;
  std::initializer_list<std::string_view> require, forbid;
};
const Signature kSignatures[] = {
    {"llama", {}, {"moe.router"}},
    {"mistral", {}, {"moe.router"}},
    {"mixtral", {"moe.router"}, {}},
    {"qwen2", {"attn.q#bias"}, {"moe.router"}},
    {"qwen2_moe", {"moe.shared_gate"}, {}},
    {"qwen3", {"attn.q_norm"}, {"moe.router"}},
    {"qwen3_moe", {"attn.q_norm", "moe.router"}, {}},
    {"gemma", {}, {"moe.router"}},
    {"gemma2", {"post_mlp_norm", "mlp_norm"}, {"attn.q_norm"}},
    {"gemma3_text", {"post_mlp_norm", "mlp_norm", "attn.q_norm"}, {}},
    {"olmo2", {"post_mlp_norm"}, {"attn_norm"}},
    {"deepseek_v2", {"attn.kv_a"}, {}},
    {"deepseek_v3", {"attn.kv_a", "moe.router_correction"}, {}},
    {"falcon", {}, {"embed.norm"}},
    {"bloom", {"embed.norm"}, {}},
};

// The canonical pattern of a row split into part ("encoder." / "decoder." / ""), role (block
// prefix removed) and, for kExact rows, the suffix written in the pattern.
void split_canonical(const NameRow& row, std::string& part, std::string& role,
                     std::string& suffix) {
  std::string_view c = row.canonical;
  part.clear();
  for (std::string_view p : {"encoder.", "decoder."})
    if (c.substr(0, p.size()) == p) {
      part = std::string(p);
      c.remove_prefix(p.size());
    }
  if (c.substr(0, 11) == "blocks.{N}.") c.remove_prefix(11);
  if (row.flags & kExact) {
    const size_t dot = c.rfind('.');
    suffix = std::string(c.substr(dot + 1));
    c = c.substr(0, dot);
  }
  // "{E}" is written as "E" in a role.
  role.clear();
  for (size_t i = 0; i < c.size(); ++i) {
    if (c.substr(i, 3) == "{E}") {
      role += 'E';
      i += 2;
    } else {
      role += c[i];
    }
  }
}

struct Candidate {
  std::string name;  // the name matched (wrapper rewritten)
  std::string component;
};

std::optional<NameMatch> match_lm(const Family& f, const std::string& name, Naming naming) {
  return match_loose(f, name, naming);
}

}  // namespace

Model place_tensors(const WeightFile& file, const TensorFacts& tf, const StatedValues& sv) {
  Model model;
  const size_t n = file.tensors.size();
  model.placed.resize(n);
  const bool gguf = file.format == Format::GGUF;
  model.naming = gguf ? Naming::GGUF : Naming::HF;
  if (!gguf)
    for (const TensorInfo& t : file.tensors)
      if (t.name.rfind("blk.", 0) == 0 || t.name == "token_embd.weight")
        model.naming = Naming::GGUF;

  std::vector<Candidate> names(n);
  for (size_t i = 0; i < n; ++i) {
    names[i] = {file.tensors[i].name, "lm"};
    for (const Wrapper& w :
         gguf ? std::span<const Wrapper>(kGgufWrappers) : std::span<const Wrapper>(kWrappers)) {
      if (names[i].name.compare(0, w.from.size(), w.from) != 0) continue;
      names[i].component = std::string(w.component);
      if (w.component == "lm")
        names[i].name = std::string(w.to) + names[i].name.substr(w.from.size());
      break;
    }
  }

  // The families to try: GGUF files name their architecture.
  std::vector<const Family*> pool;
  if (model.naming == Naming::GGUF && !sv.gguf_arch.empty()) {
    pool = families_of_gguf_arch(sv.gguf_arch);
    if (pool.empty() && sv.gguf_arch != "clip") {
      model.unknown_arch = sv.gguf_arch;
      pool.push_back(find_family("llama"));  // GGUF block names are shared across architectures
    }
  } else {
    for (const Family& f : families()) pool.push_back(&f);
  }

  struct Score {
    const Family* f;
    uint64_t matched = 0;
    int specific = 0;  // required roles satisfied
    bool ok = true;
  };
  std::vector<Score> scores;
  for (const Family* f : pool) {
    if (f == nullptr) continue;
    Score s{f};
    std::set<std::string> roles;
    std::string part, role, suffix;
    for (size_t i = 0; i < n; ++i) {
      if (names[i].component != "lm") continue;
      const auto m = match_lm(*f, names[i].name, model.naming);
      if (!m) continue;
      ++s.matched;
      split_canonical(*m->row, part, role, suffix);
      roles.insert(role);
      if (m->suffix == "bias" || suffix == "bias") roles.insert(role + "#bias");
    }
    for (const Signature& sig : kSignatures) {
      if (sig.family != f->name) continue;
      for (std::string_view r : sig.require) s.ok = s.ok && roles.count(std::string(r)) > 0;
      for (std::string_view r : sig.forbid) s.ok = s.ok && roles.count(std::string(r)) == 0;
      s.specific = static_cast<int>(sig.require.size());
    }
    if (s.matched > 0) scores.push_back(s);
  }
  // Best: the most names matched, then the most specific signature; ties are candidates.
  std::stable_sort(scores.begin(), scores.end(), [](const Score& a, const Score& b) {
    if (a.ok != b.ok) return a.ok;
    if (a.matched != b.matched) return a.matched > b.matched;
    return a.specific > b.specific;
  });
  if (!scores.empty()) {
    const Score& top = scores.front();
    for (const Score& s : scores)
      if (s.ok == top.ok && s.matched == top.matched && s.specific == top.specific)
        model.candidates.push_back(s.f);
    model.family = top.f;
    model.named = true;
  }

  std::string part, role, suffix;
  for (size_t i = 0; i < n; ++i) {
    Placed& p = model.placed[i];
    p.component = names[i].component;
    if (p.component != "lm" || model.family == nullptr || tf.buffer[i]) continue;
    const auto m = match_lm(*model.family, names[i].name, model.naming);
    if (!m) {
      if (++model.unplaced_count <= kMaxUnplacedListed) model.unplaced.push_back(names[i].name);
      continue;
    }
    split_canonical(*m->row, part, role, suffix);
    p.part = part;
    p.role = role;
    p.block = m->block;
    p.expert = m->expert;
    p.suffix = (m->row->flags & kExact) ? suffix : m->suffix;
    if (!part.empty()) p.component = part.substr(0, part.size() - 1);
    PartInfo& pi = model.parts[part];
    RoleTensor* rt = nullptr;
    if (p.block >= 0) {
      BlockInfo& b = pi.blocks[p.block];
      if (p.expert >= 0) b.experts.insert(p.expert);
      auto [it, fresh] = b.roles.try_emplace(role);
      // Per-expert roles keep the first expert's tensors.
      if (!fresh && p.expert >= 0 && p.expert != *b.experts.begin()) continue;
      rt = &it->second;
    } else {
      rt = &pi.top[role];
    }
    if (p.suffix == "bias") {
      rt->bias = true;
      rt->bias_len = file.tensors[i].numel;
    } else if (!tf.logical_shape[i].empty() && tf.logical[i] > 0) {
      rt->tensor = static_cast<int64_t>(i);
      rt->shape = tf.logical_shape[i];
    }
  }
  return model;
}

}  // namespace mwt::detail::analysis
