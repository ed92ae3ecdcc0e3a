// open_weight_file: sniff once, then hand the path to the single reader its format names
// (formats.md rule 5). Recognised-but-unread formats and unknown content are clear errors.
#include <sys/stat.h>

#include <string>

#include "core/error.hpp"
#include "core/mapped_file.hpp"
#include "formats/open.hpp"

namespace mwt::detail {
namespace {

// What each recognised-but-unread format is, for the UNSUPPORTED_FORMAT message.
const char* describe_unsupported(Format f) {
  switch (f) {
    case Format::PYTORCH_ZIP: return "a PyTorch zip checkpoint (data.pkl)";
    case Format::TORCHSCRIPT: return "a TorchScript archive (code/, constants.pkl)";
    case Format::ONNX: return "an ONNX model (protobuf ModelProto)";
    case Format::NPY: return "a NumPy .npy array";
    case Format::NPZ: return "a NumPy .npz archive";
    case Format::PYTORCH_LEGACY: return "a legacy (pre-1.6, non-zip) PyTorch checkpoint";
    case Format::ZIP: return "a zip archive that is neither a PyTorch checkpoint nor an .npz";
    default: return nullptr;
  }
}

// Every format mwt knows needs at least 8 bytes before its first variable-length field
// (safetensors' header length, GGUF's magic + version, the npy magic + version, a zip EOCD),
// so shorter unknown content is reported as truncated rather than as a wrong magic (ST-01).
constexpr uint64_t kMinHeaderBytes = 8;

[[noreturn]] void fail_unknown(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    fail(Code::BAD_MAGIC, "directory '" + escape_for_message(path, 512) +
                              "' holds no *.safetensors or *.safetensors.index.json file");
  const auto file = MappedFile::open(path);
  const uint64_t size = file->size();
  if (size == 0) fail(Code::TRUNCATED, "file is empty", 0, "magic");
  const std::string_view head(reinterpret_cast<const char*>(file->data()),
                              size < 16 ? static_cast<size_t>(size) : 16);
  const std::string shown = "\"" + escape_for_message(head, 16) + "\"";
  if (size < kMinHeaderBytes)
    fail(Code::TRUNCATED,
         "file is " + std::to_string(size) + " bytes (" + shown +
             "), too short for any weight format", 0, "magic");
  fail(Code::BAD_MAGIC,
       "unrecognised content; first bytes " + shown +
           " are not GGUF, safetensors, PyTorch, ONNX or NumPy", 0, "magic");
}

}  // namespace

std::unique_ptr<WeightFile> open_weight_file(const std::string& path, const OpenOptions& opts) {
  const Format format = detect_format(path);
  switch (format) {
    case Format::GGUF: return read_gguf(MappedFile::open(path), opts);
    case Format::SAFETENSORS: return read_safetensors(MappedFile::open(path), opts);
    case Format::SAFETENSORS_INDEX: return read_safetensors_sharded(path, opts);
    case Format::UNKNOWN: fail_unknown(path);
    default: break;
  }
  const char* what = describe_unsupported(format);
  fail(Code::UNSUPPORTED_FORMAT,
       "'" + escape_for_message(path, 512) + "' is " + (what ? what : format_name(format)) +
           "; mwt cannot read this format yet");
}

}  // namespace mwt::detail
