// open_weight_file: sniff once, then hand the path to the single reader its registry row names
// (docs/readers.md, rule 5). Recognised-but-unread formats and unknown content are clear errors.
#include "formats/open.hpp"

#include <sys/stat.h>

#include <string>

#include "core/error.hpp"
#include "core/mapped_file.hpp"
#include "formats/registry.hpp"

namespace mwt::detail {
namespace {

// Every format mwt knows needs at least 8 bytes before its first variable-length field
// (safetensors' header length, GGUF's magic + version, the npy magic + version, a zip EOCD),
// so shorter unknown content is reported as truncated rather than as a wrong magic (ST-01).
constexpr uint64_t kMinHeaderBytes = 8;

[[noreturn]] void fail_unknown(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    fail(Code::BAD_MAGIC,
         "directory '" + escape_for_message(path, 512) + "' holds no " +
             list_format_rows([](const FormatRow& r) { return r.directory_contents; }));
  const auto file = MappedFile::open(path);
  const uint64_t size = file->size();
  if (size == 0) fail(Code::TRUNCATED, "file is empty", 0, "magic");
  const std::string_view head(reinterpret_cast<const char*>(file->data()),
                              size < 16 ? static_cast<size_t>(size) : 16);
  const std::string shown = "\"" + escape_for_message(head, 16) + "\"";
  if (size < kMinHeaderBytes)
    fail(Code::TRUNCATED,
         "file is " + std::to_string(size) + " bytes (" + shown +
             "), too short for any weight format",
         0, "magic");
  fail(Code::BAD_MAGIC,
       "unrecognised content; first bytes " + shown + " are not " +
           list_format_rows([](const FormatRow& r) { return r.label; }),
       0, "magic");
}

}  // namespace

std::unique_ptr<WeightFile> open_weight_file(const std::string& path, const OpenOptions& opts) {
  const Format format = detect_format(path);
  if (format == Format::UNKNOWN) fail_unknown(path);
  const FormatRow* row = find_format_row(format);
  if (row != nullptr && row->open != nullptr) return row->open(path, opts);
  const char* what =
      row != nullptr && row->description != nullptr ? row->description : format_name(format);
  fail(Code::UNSUPPORTED_FORMAT,
       "'" + escape_for_message(path, 512) + "' is " + what + "; mwt cannot read this format yet");
}

}  // namespace mwt::detail
