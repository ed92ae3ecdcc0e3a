// The oracle of the integrity pass's tests (test_stats_kernels.cpp, test_stats_blocks.cpp,
// test_stats_file.cpp): the textbook statistics of a list of float values, in two passes and long
// double, independent of the kernels' run-and-merge scheme.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace stats_test {

struct Oracle {
  uint64_t count = 0, nan = 0, inf = 0, zero = 0, finite = 0;
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  double mean = 0, m2 = 0, absmean = 0;
  // The scale the mean and M2 are compared on: mean(|x|) + std.
  double scale() const {
    return finite == 0 ? 0.0 : absmean + std::sqrt(m2 / static_cast<double>(finite));
  }
};

inline Oracle oracle(const std::vector<float>& v) {
  Oracle o;
  long double sum = 0, abs_sum = 0;
  for (float x : v) {
    ++o.count;
    if (std::isnan(x)) {
      ++o.nan;
    } else if (std::isinf(x)) {
      ++o.inf;
    } else {
      if (x == 0.0f) ++o.zero;
      o.min = std::min(o.min, x);
      o.max = std::max(o.max, x);
      sum += x;
      abs_sum += std::fabs(x);
      ++o.finite;
    }
  }
  if (o.finite == 0) return o;
  o.mean = static_cast<double>(sum / o.finite);
  o.absmean = static_cast<double>(abs_sum / o.finite);
  long double m2 = 0;
  for (float x : v)
    if (std::isfinite(x)) m2 += (x - static_cast<long double>(o.mean)) * (x - o.mean);
  o.m2 = static_cast<double>(m2);
  return o;
}

}  // namespace stats_test
