// Fake-quant detection: float tensors whose rows (or fixed-size groups of a row) hold only a few
// values on an affine grid scale * (q - zero), i.e. quantized weights stored dequantized. Reads a
// bounded sample of rows of a bounded number of tensors.
#include <algorithm>
#include <cmath>
#include <limits>

#include "analysis/scheme_tensors.hpp"
#include "core/float_convert.hpp"

namespace mwt::detail::analysis {
namespace {

constexpr uint64_t kValueBudget = uint64_t{1} << 18;  // values read per tensor
constexpr uint64_t kMaxRows = 64;                     // rows sampled per tensor
constexpr uint64_t kMaxTensors = 256;                 // tensors sampled per file
constexpr uint64_t kMinGroup = 16;
// Group sizes tried, largest first (-1: the whole row).
constexpr int64_t kGroupSizes[] = {-1, 1024, 512, 256, 128, 64, 32, 16};
// A value may sit this far (in steps) from its grid point; a grid whose rounding error bound
// exceeds it is not told apart from the dtype's own value grid (bf16 holds any binade as an
// affine grid of ulps), so it is not reported.
constexpr double kMaxTolFraction = 0.45;
constexpr double kStepSlack = 0.1;  // fraction of a step a value may be off besides rounding

uint32_t element_size(DType d) { return d == DType::F32 ? 4 : 2; }

// Relative and absolute rounding error bounds (half an ulp) of a value stored in `d`.
void rounding_error(DType d, double& rel, double& abs) {
  switch (d) {
    case DType::F16:
      rel = std::ldexp(1.0, -11);
      abs = std::ldexp(1.0, -25);
      return;
    case DType::BF16:
      rel = std::ldexp(1.0, -8);
      abs = 0;
      return;
    default:
      rel = std::ldexp(1.0, -24);
      abs = 0;
      return;
  }
}

int bits_for_span(uint32_t span) {
  int b = 1;
  while ((uint32_t{1} << b) < span) ++b;
  return b;
}

struct GroupCheck {
  bool ok = false;
  uint32_t max_span = 0, max_distinct = 0;
  uint64_t nonconstant = 0;
};

// Every group of `gl` values in each of `nrows` rows of `row_len` values must be on a grid.
GroupCheck check_groups(const std::vector<float>& rows, uint64_t nrows, uint64_t row_len,
                        uint64_t gl, double rel, double abs) {
  GroupCheck r;
  std::vector<float> tmp;
  tmp.reserve(gl);
  for (uint64_t i = 0; i < nrows; ++i) {
    for (uint64_t g = 0; g + gl <= row_len; g += gl) {
      const float* p = rows.data() + i * row_len + g;
      tmp.assign(p, p + gl);
      uint32_t distinct = 0;
      const uint32_t span = affine_grid_span(tmp, rel, abs, distinct);
      if (span == 0) return r;
      r.max_span = std::max(r.max_span, span);
      r.max_distinct = std::max(r.max_distinct, distinct);
      if (span > 1) ++r.nonconstant;
    }
  }
  r.ok = true;
  return r;
}

}  // namespace

uint32_t affine_grid_span(std::vector<float>& v, double rel_eps, double abs_eps,
                          uint32_t& distinct) {
  distinct = 0;
  for (float x : v)
    if (!std::isfinite(x)) return 0;
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());  // -0 and +0 count as one value
  distinct = static_cast<uint32_t>(std::min<size_t>(v.size(), UINT32_MAX));
  if (v.empty()) return 0;
  if (v.size() == 1) return 1;
  if (v.size() > 256) return 0;
  const size_t n = v.size();
  auto err = [&](double x) { return rel_eps * std::fabs(x) + abs_eps; };
  const double v0 = v.front(), range = static_cast<double>(v.back()) - v0;
  const double e0 = err(v0), en = err(v.back());
  // The coarsest grid through the extremes that holds every value: levels may be missing
  // anywhere, so steps are tried from range / (n - 1) downwards rather than guessed from gaps.
  for (uint64_t k = n - 1; k <= 255; ++k) {
    const double step = range / static_cast<double>(k);
    // Position error bound of a value: its own rounding, v0's, and the step's (from both ends)
    // scaled by how far along the range it is. Finer grids only make this worse.
    if (kStepSlack + 2 * (e0 + en) / step > kMaxTolFraction) return 0;
    bool ok = true;
    int64_t prev = 0;
    for (size_t i = 1; i + 1 < n && ok; ++i) {
      const double x = (static_cast<double>(v[i]) - v0) / step;
      const double r = std::nearbyint(x);
      const double tol =
          kStepSlack + (err(v[i]) + e0 + (x / static_cast<double>(k)) * (en + e0)) / step;
      ok = std::fabs(x - r) <= tol && static_cast<int64_t>(r) > prev;
      prev = static_cast<int64_t>(r);
    }
    if (ok && prev < static_cast<int64_t>(k)) return static_cast<uint32_t>(k + 1);
  }
  return 0;
}

std::optional<FakeQuantFinding> fake_quant_tensor(const WeightFile& file, const TensorInfo& t) {
  if (!is_float_dtype(t.dtype) || t.shape.size() != 2) return std::nullopt;
  const uint64_t rows = t.shape[0], cols = t.shape[1];
  if (rows == 0 || cols < kMinGroup) return std::nullopt;
  const auto numel = shape_numel(t.shape);
  const uint64_t es = element_size(t.dtype);
  if (!numel || *numel > UINT64_MAX / es) return std::nullopt;
  const uint8_t* base = tensor_bytes(file, t, *numel * es);
  if (base == nullptr) return std::nullopt;
  double rel = 0, abs = 0;
  rounding_error(t.dtype, rel, abs);

  const bool whole_rows = cols <= kValueBudget;
  if (!whole_rows && cols % kMinGroup != 0) return std::nullopt;  // no group size fits
  const uint64_t row_len = whole_rows ? cols : kValueBudget;
  auto load = [&](const std::vector<uint64_t>& which, std::vector<float>& out) {
    out.resize(which.size() * row_len);
    for (size_t i = 0; i < which.size(); ++i)
      convert_to_f32(t.dtype, base + which[i] * cols * es, row_len, out.data() + i * row_len);
  };

  // Quick rejection on a few values of two rows: any aligned block of a quantized group is on
  // the group's grid, so a block off every grid rules out all group sizes at once.
  {
    const uint64_t block = (cols % kMinGroup == 0) ? kMinGroup : row_len;
    const uint64_t n = std::min<uint64_t>(row_len, std::max<uint64_t>(block, 64));
    std::vector<uint64_t> which{0};
    if (rows > 1) which.push_back(rows / 2);
    std::vector<float> buf(which.size() * n);
    for (size_t i = 0; i < which.size(); ++i)
      convert_to_f32(t.dtype, base + which[i] * cols * es, n, buf.data() + i * n);
    if (!check_groups(buf, which.size(), n, std::min(block, n), rel, abs).ok) return std::nullopt;
  }

  const uint64_t nrows = std::min({rows, kMaxRows, std::max<uint64_t>(1, kValueBudget / row_len)});
  std::vector<uint64_t> which;
  for (uint64_t i = 0; i < nrows; ++i) which.push_back(i * rows / nrows);
  std::vector<float> values;
  load(which, values);

  for (int64_t g : kGroupSizes) {
    uint64_t gl;
    if (g < 0) {
      if (!whole_rows) continue;
      gl = cols;
    } else {
      gl = static_cast<uint64_t>(g);
      if (gl >= cols || cols % gl != 0 || gl > row_len) continue;
    }
    const GroupCheck c = check_groups(values, nrows, row_len, gl, rel, abs);
    // A constant tensor or one holding two values (masks, identities) is no evidence.
    if (!c.ok || c.nonconstant == 0 || c.max_distinct < 3) continue;
    FakeQuantFinding f;
    f.tensor = t.name;
    f.bits = bits_for_span(c.max_span);
    f.group_size = g;
    f.levels = c.max_distinct;
    return f;
  }
  return std::nullopt;
}

FakeQuantReport detect_fake_quant(const WeightFile& file, const std::vector<size_t>& candidates) {
  FakeQuantReport r;
  r.float_tensors = candidates.size();
  const uint64_t n = std::min<uint64_t>(candidates.size(), kMaxTensors);
  r.checked = n;
  for (uint64_t i = 0; i < n; ++i) {
    // Spread over the whole list so a long model is sampled end to end.
    const size_t idx = candidates[static_cast<size_t>(i * candidates.size() / n)];
    if (auto f = fake_quant_tensor(file, file.tensors[idx])) r.found.push_back(std::move(*f));
  }
  return r;
}

}  // namespace mwt::detail::analysis
