// Writes a small GGUF and safetensors file through the installed mwt.hpp, for run.sh to inspect.
// Usage: write_sample <out.gguf> <out.safetensors>
#include <cstdint>
#include <cstdio>
#include <mwt/mwt.hpp>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <out.gguf> <out.safetensors>\n", argv[0]);
    return 2;
  }
  const std::vector<float> w = {1.0f, -2.0f, 0.5f, 4.0f, -0.25f, 8.0f};
  const std::vector<uint16_t> h = {0x3c00, 0xc000};  // F16 1, -2
  try {
    mwt::Writer g(MWT_FORMAT_GGUF);
    g.add_string("general.architecture", "llama")
        .add("llama.context_length", uint32_t{2048})
        .add("llama.rope.freq_base", 10000.0f)
        .add_bool("test.flag", true)
        .add_array("tokenizer.ggml.scores", std::vector<float>{0.0f, -1.5f, -2.5f})
        .add_string_array("tokenizer.ggml.tokens", {"<s>", "</s>", "hi"})
        .add_tensor("blk.0.w", MWT_DTYPE_F32, {2, 3}, w.data(), w.size() * sizeof(float))
        .add_tensor("blk.0.h", MWT_DTYPE_F16, {2}, h.data(), h.size() * sizeof(uint16_t));
    g.write(argv[1]);

    mwt::Writer s(MWT_FORMAT_SAFETENSORS);
    s.add_string("format", "pt")
        .add_tensor("model.w", MWT_DTYPE_F32, {3, 2}, w.data(), w.size() * sizeof(float))
        .add_tensor("model.h", MWT_DTYPE_F16, {2}, h.data(), h.size() * sizeof(uint16_t));
    s.write(argv[2]);
  } catch (const mwt::Error& e) {
    std::fprintf(stderr, "write_sample: %s\n", e.what());
    return 1;
  }
  return 0;
}
