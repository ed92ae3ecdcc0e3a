// fuzz_safetensors: arbitrary bytes -> read_safetensors. Must return a WeightFile or throw
// mwt::detail::Error; never crash, overflow the stack on deep JSON, or read out of bounds.
// When a file opens, the tensor views must tile the data section exactly (rule 6/10).
#include <cstdint>
#include <vector>

#include "core/error.hpp"
#include "core/mapped_file.hpp"
#include "formats/open.hpp"

using namespace mwt::detail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const OpenOptions opts = [] {
    OpenOptions o;
    o.max_tensors = 4096;
    o.max_header = 1 << 20;
    return o;
  }();
  const auto file =
      MappedFile::from_bytes(std::vector<uint8_t>(data, data + size), "fuzz.safetensors");
  std::unique_ptr<WeightFile> wf;
  try {
    wf = read_safetensors(file, opts);
  } catch (const Error& e) {
    if (e.code() == Code::INTERNAL) __builtin_trap();
    return 0;
  }
  uint64_t covered = 0;
  volatile uint64_t sink = 0;
  for (const TensorInfo& t : wf->tensors) {
    if (t.offset < wf->data_offset || t.offset > file->size() || t.nbytes > file->size() - t.offset)
      __builtin_trap();
    if (t.data != file->data() + t.offset) __builtin_trap();
    for (uint64_t i = 0; i < t.nbytes; ++i) sink = sink + t.data[i];
    covered += t.nbytes;
  }
  if (wf->data_offset + covered != file->size()) __builtin_trap();  // no gap, overlap or trailer
  for (const MetaEntry& m : wf->metadata)
    for (char c : m.value.str) sink = sink + static_cast<uint8_t>(c);
  return 0;
}
