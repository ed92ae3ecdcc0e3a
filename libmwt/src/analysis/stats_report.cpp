// The report of the integrity pass as JSON (analysis/stats.hpp, docs/validation.md#the-report):
// the per-tensor statistics and the issues the rules find, each with its severity.
#include <cmath>
#include <cstdio>
#include <string>

#include "analysis/stats.hpp"
#include "core/json_writer.hpp"

namespace mwt::detail::analysis {
namespace {

std::string hex64(uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// min / max as reported: -0 and +0 compare equal, so which one a kernel kept is not
// meaningful; both are written as 0.
double reported(float v) { return static_cast<double>(v + 0.0f); }

void stats_json(JsonOut& j, const ValueStats& v) {
  j.begin_object();
  j.field("count", v.count).field("finite", v.finite()).field("nan", v.nan);
  j.field("inf", v.inf).field("zero", v.zero);
  if (v.finite() == 0) {
    j.key("min").null().key("max").null().key("absmax").null().key("mean").null();
    j.key("std").null();
  } else {
    j.field("min", reported(v.min)).field("max", reported(v.max));
    j.field("absmax", reported(std::fmax(-v.min, v.max)));
    j.field("mean", v.mean).field("std", std::sqrt(v.m2 / static_cast<double>(v.finite())));
  }
  j.end_object();
}

void scales_json(JsonOut& j, const ScaleFindings& f) {
  j.begin_object();
  j.field("blocks", f.blocks).field("nonfinite", f.nonfinite).field("negative", f.negative);
  j.field("negative_min", f.negative_min);
  j.end_object();
}

struct Counts {
  uint64_t errors = 0, warnings = 0, notes = 0;
};

void issue(JsonOut& j, Counts& c, const char* severity, const char* check,
           const std::string& tensor, uint64_t count, const std::string& message) {
  if (severity[0] == 'e') ++c.errors;
  if (severity[0] == 'w') ++c.warnings;
  if (severity[0] == 'i') ++c.notes;
  j.begin_object();
  j.field("severity", severity).field("check", check).field("tensor", tensor);
  j.field("count", count).field("message", message);
  j.end_object();
}

std::string first(uint64_t block) { return " (first: block " + std::to_string(block) + ")"; }

void tensor_issues(JsonOut& j, Counts& c, const TensorInfo& info, const TensorStats& t) {
  const std::string& n = info.name;
  const ValueStats& v = t.values;
  if (!t.decoded) {
    const DTypeInfo* d = dtype_info(static_cast<uint32_t>(info.dtype));
    const std::string type = d != nullptr ? std::string(d->name) : "this dtype";
    issue(j, c, "info", "not_decoded", n, 0,
          "mwt cannot decode " + type + ": values not checked (hashed only)");
    return;
  }
  if (v.nan > 0) issue(j, c, "error", "nan", n, v.nan, std::to_string(v.nan) + " NaN values");
  if (v.inf > 0) issue(j, c, "error", "inf", n, v.inf, std::to_string(v.inf) + " infinite values");
  if (v.count > 0 && v.zero == v.count)
    issue(j, c, "warning", "all_zero", n, v.count, "every value is zero");
  const ScaleFindings& s = t.scales;
  if (s.nonfinite > 0)
    issue(j, c, "error", "scale_nonfinite", n, s.nonfinite,
          std::to_string(s.nonfinite) + " blocks with a NaN or infinite scale" +
              first(s.first_nonfinite));
  if (s.negative > 0)
    issue(j, c, "error", "scale_negative", n, s.negative,
          std::to_string(s.negative) + " blocks with a negative scale d" + first(s.first_negative));
  if (s.negative_min > 0)
    issue(j, c, "warning", "min_negative", n, s.negative_min,
          std::to_string(s.negative_min) + " blocks with a negative dmin" +
              first(s.first_negative_min));
}

}  // namespace

std::string file_stats_json(const WeightFile& wf, const FileStats& fs) {
  JsonOut j;
  j.begin_object();
  j.field("format", format_name(wf.format));
  j.field("isa", isa_name(fs.isa)).field("threads", fs.threads).field("bytes", fs.bytes);
  j.field("cancelled", fs.cancelled);
  j.key("tensors").begin_array();
  for (size_t i = 0; i < fs.tensors.size(); ++i) {
    const TensorInfo& info = wf.tensors[i];
    const TensorStats& t = fs.tensors[i];
    const DTypeInfo* d = dtype_info(static_cast<uint32_t>(info.dtype));
    j.begin_object();
    j.field("name", info.name).field("dtype", d != nullptr ? d->name : std::string_view("?"));
    j.key("shape").begin_array();
    for (uint64_t dim : info.shape) j.value(dim);
    j.end_array();
    j.field("nbytes", info.nbytes).field("hash", hex64(t.hash));
    j.key("stats");
    if (t.decoded)
      stats_json(j, t.values);
    else
      j.null();
    j.key("scales");
    if (t.scales_checked)
      scales_json(j, t.scales);
    else
      j.null();
    j.end_object();
  }
  j.end_array();
  Counts c;
  j.key("issues").begin_array();
  for (size_t i = 0; i < fs.tensors.size(); ++i) tensor_issues(j, c, wf.tensors[i], fs.tensors[i]);
  for (const auto& group : fs.duplicates)
    for (size_t k = 1; k < group.size(); ++k)
      issue(j, c, "warning", "duplicate", wf.tensors[group[k]].name, group.size(),
            "the same bytes as " + wf.tensors[group[0]].name);
  j.end_array();
  j.key("duplicates").begin_array();
  for (const auto& group : fs.duplicates) {
    j.begin_object();
    j.field("hash", hex64(fs.tensors[group[0]].hash)).field("nbytes", wf.tensors[group[0]].nbytes);
    j.key("tensors").begin_array();
    for (size_t t : group) j.value(wf.tensors[t].name);
    j.end_array();
    j.end_object();
  }
  j.end_array();
  j.field("errors", c.errors).field("warnings", c.warnings).field("notes", c.notes);
  j.field("ok", !fs.cancelled && c.errors == 0);
  j.end_object();
  return j.take();
}

}  // namespace mwt::detail::analysis
