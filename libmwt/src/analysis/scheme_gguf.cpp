// GGUF part of the quantization report (analysis/scheme.hpp): the stated general.file_type, the
// file type inferred from the tensor types, the per-type histogram and bits per weight overall
// and per tensor group.
//
// Inference runs llama.cpp's per-tensor rules (analysis/ftype.hpp) for every file type they model
// and keeps the one predicting the most quantizable tensors' types (ties go to the more common
// file type, in kPriority order). When even the best candidate's base type is not the file's
// majority type (IQ / TQ / MXFP4 mixes, whose rules are not modelled), it falls back to
// llama.cpp's own guess: the file type named after the majority type.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "analysis/ftype.hpp"
#include "analysis/scheme.hpp"

namespace mwt::detail::analysis {
namespace {

struct Totals {
  uint64_t tensors = 0, params = 0, bytes = 0;
  void add(const TensorInfo& t) {
    ++tensors;
    params += t.numel;
    bytes += t.nbytes;
  }
};

double bpw(const Totals& t) {
  return t.params == 0 ? 0.0 : 8.0 * static_cast<double>(t.bytes) / static_cast<double>(t.params);
}

std::string_view type_name(DType t) {
  const DTypeInfo* i = dtype_info(static_cast<uint32_t>(t));
  return i != nullptr ? i->name : std::string_view("?");
}

// "blk.7.attn_v.weight" -> "attn_v"; "token_embd.weight" -> "token_embd"; biases of a group
// count with it ("attn_q.bias" -> "attn_q").
std::string group_of(std::string_view name) {
  if (name.substr(0, 4) == "blk.") {
    const size_t dot = name.find('.', 4);
    if (dot != std::string_view::npos) name.remove_prefix(dot + 1);
  }
  for (std::string_view tail : {".weight", ".bias"})
    if (name.size() > tail.size() && name.substr(name.size() - tail.size()) == tail) {
      name.remove_suffix(tail.size());
      break;
    }
  return std::string(name);
}

// Order in which equally good candidates win: the common mixes first.
constexpr uint32_t kPriority[] = {15, 17, 18, 7, 14, 16, 12, 13, 11, 10, 21, 2, 3, 8, 9, 1, 32, 0};

// llama.cpp's guess from the majority type (llama_model_loader's ftype guess).
const FileTypeInfo* guess_from_majority(DType t) {
  switch (t) {
    case DType::F32: return file_type_info(0);
    case DType::F16: return file_type_info(1);
    case DType::BF16: return file_type_info(32);
    case DType::Q4_0: return file_type_info(2);
    case DType::Q4_1: return file_type_info(3);
    case DType::Q5_0: return file_type_info(8);
    case DType::Q5_1: return file_type_info(9);
    case DType::Q8_0: return file_type_info(7);
    case DType::Q2_K: return file_type_info(10);
    case DType::Q3_K: return file_type_info(12);
    case DType::Q4_K: return file_type_info(15);
    case DType::Q5_K: return file_type_info(17);
    case DType::Q6_K: return file_type_info(18);
    case DType::IQ2_XXS: return file_type_info(19);
    case DType::IQ2_XS: return file_type_info(20);
    case DType::IQ2_S: return file_type_info(28);
    case DType::IQ3_XXS: return file_type_info(23);
    case DType::IQ3_S: return file_type_info(26);
    case DType::IQ1_S: return file_type_info(24);
    case DType::IQ1_M: return file_type_info(31);
    case DType::IQ4_NL: return file_type_info(25);
    case DType::IQ4_XS: return file_type_info(30);
    case DType::TQ1_0: return file_type_info(36);
    case DType::TQ2_0: return file_type_info(37);
    case DType::MXFP4: return file_type_info(38);
    default: return nullptr;
  }
}

struct Stated {
  bool present = false;
  bool integer = false;
  uint64_t value = 0;
  std::string stored_type;
};

Stated read_stated(const WeightFile& f) {
  Stated s;
  const int64_t i = f.find_metadata("general.file_type");
  if (i < 0) return s;
  s.present = true;
  const MetaValue& v = f.metadata[static_cast<size_t>(i)].value;
  s.stored_type = value_type_name(v.type);
  switch (v.type) {
    case ValueType::U8:
    case ValueType::U16:
    case ValueType::U32:
    case ValueType::U64:
      s.integer = true;
      s.value = v.scalar_bits;
      break;
    case ValueType::I8:
    case ValueType::I16:
    case ValueType::I32:
    case ValueType::I64: {
      const uint64_t sign = uint64_t{1} << (value_type_size(v.type) * 8 - 1);
      if ((v.scalar_bits & sign) == 0) {
        s.integer = true;
        s.value = v.scalar_bits;
      }
      break;
    }
    default: break;
  }
  return s;
}

struct Inferred {
  const FileTypeInfo* ft = nullptr;
  const char* method = "";
  uint64_t matched = 0, of = 0;
  std::vector<size_t> mismatches;  // tensor indices (first few)
  std::vector<DType> expected;     // the winning plan
};

Inferred infer(const WeightFile& f) {
  Inferred r;
  std::vector<PlanTensor> plan;
  plan.reserve(f.tensors.size());
  std::vector<bool> quantizable(f.tensors.size());
  std::map<DType, std::pair<uint64_t, uint64_t>> counts;  // type -> (tensors, params)
  for (size_t i = 0; i < f.tensors.size(); ++i) {
    const TensorInfo& t = f.tensors[i];
    plan.push_back({t.name, t.dtype, t.shape});
    quantizable[i] = is_quantizable(t.name, t.shape);
    if (quantizable[i]) {
      ++r.of;
      auto& c = counts[t.dtype];
      ++c.first;
      c.second += t.numel;
    }
  }
  if (r.of == 0) return r;
  DType majority = counts.begin()->first;
  for (const auto& [type, c] : counts) {
    const auto& best = counts[majority];
    if (c.first > best.first || (c.first == best.first && c.second > best.second)) majority = type;
  }
  const ModelFacts facts = model_facts(f);
  uint64_t best_score = 0;
  for (uint32_t value : kPriority) {
    const FileTypeInfo* ft = file_type_info(value);
    std::vector<DType> want = plan_tensor_types(*ft, facts, plan);
    uint64_t score = 0;
    for (size_t i = 0; i < want.size(); ++i)
      if (quantizable[i] && want[i] == f.tensors[i].dtype) ++score;
    if (r.ft == nullptr || score > best_score) {
      r.ft = ft;
      best_score = score;
      r.expected = std::move(want);
    }
  }
  r.method = "rules";
  r.matched = best_score;
  if (r.ft->base != majority && best_score < r.of) {
    if (const FileTypeInfo* g = guess_from_majority(majority)) {
      r.ft = g;
      r.method = "majority";
      r.matched = counts[majority].first;
      r.expected.clear();
      return r;
    }
  }
  for (size_t i = 0; i < r.expected.size() && r.mismatches.size() < 8; ++i)
    if (quantizable[i] && r.expected[i] != f.tensors[i].dtype) r.mismatches.push_back(i);
  return r;
}

}  // namespace

void describe_gguf_quantization(const WeightFile& f, JsonOut& out) {
  const Stated stated = read_stated(f);
  const FileTypeInfo* stated_ft =
      stated.integer
          ? file_type_info(static_cast<uint32_t>(stated.value & ~uint64_t{kFileTypeGuessed}))
          : nullptr;
  if (stated.integer && stated.value > UINT32_MAX) stated_ft = nullptr;
  const Inferred inferred = infer(f);

  // A file without tensors (llama.cpp's vocab-only GGUFs) is not quantized at all, whatever
  // general.file_type it states: naming that type would claim weights that are not there.
  const std::string_view scheme = f.tensors.empty()        ? std::string_view("no tensors")
                                  : stated_ft != nullptr   ? stated_ft->name
                                  : inferred.ft != nullptr ? inferred.ft->name
                                                           : std::string_view("none");
  out.field("scheme", scheme);

  out.key("file_type").begin_object();
  out.key("stated");
  if (!stated.present) {
    out.null();
  } else {
    out.begin_object();
    if (stated.integer)
      out.field("value", stated.value);
    else
      out.key("value").null();
    if (stated_ft != nullptr) {
      out.field("name", stated_ft->name);
      out.field("guessed", (stated.value & kFileTypeGuessed) != 0);
    } else {
      out.key("name").null();
      out.field("error", stated.integer
                             ? std::string("general.file_type ") + std::to_string(stated.value) +
                                   " is not a known llama_ftype"
                             : "general.file_type holds " + stated.stored_type +
                                   ", not a non-negative integer");
    }
    out.end_object();
  }
  out.key("inferred");
  if (inferred.ft == nullptr) {
    out.null();
  } else {
    out.begin_object();
    out.field("value", inferred.ft->value);
    out.field("name", inferred.ft->name);
    out.field("method", inferred.method);
    out.field("matched", inferred.matched);
    out.field("of", inferred.of);
    out.key("mismatches").begin_array();
    for (size_t i : inferred.mismatches) {
      out.begin_object();
      out.field("tensor", std::string_view(f.tensors[i].name));
      out.field("type", type_name(f.tensors[i].dtype));
      out.field("rule", type_name(inferred.expected[i]));
      out.end_object();
    }
    out.end_array();
    out.end_object();
  }
  out.key("agree");
  if (stated_ft != nullptr && inferred.ft != nullptr)
    out.value(stated_ft->value == inferred.ft->value);
  else
    out.null();
  out.end_object();

  // Histogram by type (largest share of bytes first), overall and per-group bits per weight.
  std::map<DType, Totals> by_type;
  std::vector<std::pair<std::string, Totals>> groups;
  std::map<std::string, size_t> group_index;
  std::vector<std::map<DType, uint64_t>> group_types;
  Totals all, quantizable;
  for (const TensorInfo& t : f.tensors) {
    by_type[t.dtype].add(t);
    all.add(t);
    if (is_quantizable(t.name, t.shape)) quantizable.add(t);
    const std::string g = group_of(t.name);
    auto [it, fresh] = group_index.emplace(g, groups.size());
    if (fresh) {
      groups.emplace_back(g, Totals{});
      group_types.emplace_back();
    }
    groups[it->second].second.add(t);
    ++group_types[it->second][t.dtype];
  }
  std::vector<std::pair<DType, Totals>> hist(by_type.begin(), by_type.end());
  std::stable_sort(hist.begin(), hist.end(),
                   [](const auto& a, const auto& b) { return a.second.bytes > b.second.bytes; });
  out.key("histogram").begin_array();
  for (const auto& [type, tot] : hist) {
    out.begin_object();
    out.field("type", type_name(type));
    out.field("tensors", tot.tensors);
    out.field("params", tot.params);
    out.field("bytes", tot.bytes);
    out.field("bits_per_weight", bpw(tot));
    out.end_object();
  }
  out.end_array();
  out.field("params", all.params);
  out.field("bytes", all.bytes);
  out.field("bits_per_weight", bpw(all));
  out.field("quantizable_bits_per_weight", bpw(quantizable));
  out.key("groups").begin_array();
  for (size_t i = 0; i < groups.size(); ++i) {
    out.begin_object();
    out.field("group", std::string_view(groups[i].first));
    out.field("tensors", groups[i].second.tensors);
    out.field("params", groups[i].second.params);
    out.field("bytes", groups[i].second.bytes);
    out.field("bits_per_weight", bpw(groups[i].second));
    out.key("types").begin_object();
    for (const auto& [type, n] : group_types[i]) out.field(type_name(type), n);
    out.end_object();
    out.end_object();
  }
  out.end_array();
}

}  // namespace mwt::detail::analysis
