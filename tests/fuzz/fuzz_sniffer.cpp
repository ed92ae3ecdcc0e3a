// F11 fuzz_sniffer: arbitrary bytes -> detect_format_bytes, which must never crash or throw,
// must name a valid format and must be deterministic. Inputs that look like JSON also go
// through detect_format on a file named *.index.json, to reach the weight_map scanner.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "formats/open.hpp"

using mwt::detail::Format;

namespace {

std::string index_json_path() {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/mwt_fuzz_sniffer." +
         std::to_string(::getpid()) + ".index.json";
}

// Removes the scratch file when the fuzzer exits normally.
struct ScratchFile {
  std::string path = index_json_path();
  ~ScratchFile() { ::unlink(path.c_str()); }
};

bool valid(Format f) { return static_cast<uint32_t>(f) <= static_cast<uint32_t>(Format::ZIP); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Format f = mwt::detail::detect_format_bytes(data, size);
  if (!valid(f) || mwt::detail::detect_format_bytes(data, size) != f) __builtin_trap();

  if (size > 0 && (data[0] == '{' || data[0] == ' ' || data[0] == '\n')) {
    static const ScratchFile scratch;
    const std::string& path = scratch.path;
    std::FILE* out = std::fopen(path.c_str(), "wb");
    if (out == nullptr) return 0;
    const bool written = std::fwrite(data, 1, size, out) == size;
    if (std::fclose(out) != 0 || !written) return 0;
    try {
      const Format g = mwt::detail::detect_format(path);
      // An *.index.json file is either a shard index or nothing: never another reader's format.
      if (g != Format::SAFETENSORS_INDEX && g != Format::UNKNOWN) __builtin_trap();
    } catch (const mwt::detail::Error& e) {
      // Only the file system may fail here (IO); content must never make sniffing throw.
      if (e.code() != mwt::detail::Code::IO) __builtin_trap();
    }
  }
  return 0;
}
