// Test-only driver for tests/python/test_kernels_rope_hf.py: prints the RoPE inverse frequencies
// and attention factor that kernels/rope.cpp computes for one configuration, as JSON, so they
// can be compared with transformers' ROPE_INIT_FUNCTIONS without exposing anything to Python.
//   rope_freq_tool none|linear|llama3|yarn KEY=VALUE...
// KEYs are RopeConfig's fields (kernels/ops.hpp): head_dim, rot_dims, theta, factor,
// original_max_positions, low_freq_factor, high_freq_factor, beta_fast, beta_slow, truncate
// (0/1), attention_factor, mscale, mscale_all_dim.
// Output: {"inv_freq": [..], "attention_factor": x}; on a refused configuration
// {"error": "ARGUMENT", "message": ".."} and exit status 2; exit 1 on bad usage.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "kernels/ops.hpp"

namespace k = mwt::detail::kernels;

namespace {

bool set(k::RopeConfig& c, const std::string& key, double v) {
  if (key == "head_dim")
    c.head_dim = static_cast<uint32_t>(v);
  else if (key == "rot_dims")
    c.rot_dims = static_cast<uint32_t>(v);
  else if (key == "theta")
    c.theta = v;
  else if (key == "factor")
    c.factor = v;
  else if (key == "original_max_positions")
    c.original_max_positions = v;
  else if (key == "low_freq_factor")
    c.low_freq_factor = v;
  else if (key == "high_freq_factor")
    c.high_freq_factor = v;
  else if (key == "beta_fast")
    c.beta_fast = v;
  else if (key == "beta_slow")
    c.beta_slow = v;
  else if (key == "truncate")
    c.truncate = v != 0.0;
  else if (key == "attention_factor")
    c.attention_factor = v;
  else if (key == "mscale")
    c.mscale = v;
  else if (key == "mscale_all_dim")
    c.mscale_all_dim = v;
  else
    return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: rope_freq_tool none|linear|llama3|yarn KEY=VALUE...\n");
    return 1;
  }
  k::RopeConfig c;
  const std::string scaling = argv[1];
  if (scaling == "none")
    c.scaling = k::RopeScaling::None;
  else if (scaling == "linear")
    c.scaling = k::RopeScaling::Linear;
  else if (scaling == "llama3")
    c.scaling = k::RopeScaling::Llama3;
  else if (scaling == "yarn")
    c.scaling = k::RopeScaling::Yarn;
  else {
    std::fprintf(stderr, "unknown scaling %s\n", argv[1]);
    return 1;
  }
  for (int i = 2; i < argc; ++i) {
    const char* eq = std::strchr(argv[i], '=');
    char* end = nullptr;
    const double v = eq != nullptr ? std::strtod(eq + 1, &end) : 0.0;
    if (eq == nullptr || end == eq + 1 || *end != '\0' ||
        !set(c, std::string(argv[i], static_cast<size_t>(eq - argv[i])), v)) {
      std::fprintf(stderr, "bad argument %s\n", argv[i]);
      return 1;
    }
  }
  try {
    const k::RopeFreqs f = k::rope_freqs(c);
    std::printf("{\"inv_freq\": [");
    for (size_t i = 0; i < f.inv_freq.size(); ++i)
      std::printf("%s%.9g", i == 0 ? "" : ", ", static_cast<double>(f.inv_freq[i]));
    std::printf("], \"attention_factor\": %.9g}\n", static_cast<double>(f.attention_factor));
  } catch (const mwt::detail::Error& e) {
    std::printf("{\"error\": \"%s\", \"message\": \"%s\"}\n", mwt::detail::code_name(e.code()),
                e.detail().c_str());
    return 2;
  }
  return 0;
}
