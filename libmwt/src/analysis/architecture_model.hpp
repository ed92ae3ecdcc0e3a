// The model as the tensor names place it (architecture*.cpp): tensors assigned to components,
// parts, blocks and canonical roles, with their logical shapes. Internal to the architecture
// report.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "analysis/architecture.hpp"

namespace mwt::detail::analysis {

struct RoleTensor {
  int64_t tensor = -1;          // the weight (or packed weight) tensor; -1 when only a bias
  std::vector<uint64_t> shape;  // its logical shape
  bool bias = false;
  uint64_t bias_len = 0;
};

struct BlockInfo {
  std::map<std::string, RoleTensor> roles;  // "attn.q", "moe.experts.E.up" (first expert's)
  std::set<int64_t> experts;
};

struct PartInfo {
  std::map<int64_t, BlockInfo> blocks;
  std::map<std::string, RoleTensor> top;  // "embed.tokens", "final_norm", "lm_head", ...
  const RoleTensor* top_role(const std::string& r) const {
    auto it = top.find(r);
    return it == top.end() ? nullptr : &it->second;
  }
};

struct Model {
  Naming naming = Naming::HF;
  bool named = false;              // some tensor matched the name table
  const Family* family = nullptr;  // the table used for placing names
  std::vector<const Family*> candidates;
  std::string family_how;
  Source family_source = Source::UNDETERMINED;
  std::string unknown_arch;               // a GGUF architecture the table does not list
  std::map<std::string, PartInfo> parts;  // "" (decoder-only), "encoder.", "decoder."
  std::vector<Placed> placed;             // per tensor
  std::vector<std::string> unplaced;      // LM tensors no row matched (first few)
  uint64_t unplaced_count = 0;
};

// Places every tensor and chooses the family (architecture_place.cpp).
Model place_tensors(const WeightFile& file, const TensorFacts& tf, const StatedValues& sv);

}  // namespace mwt::detail::analysis
