// The format table: every format mwt can name, in sniff order, with its reader and writer.
// Adding a format is one folder under formats/ (sniff, reader, optional writer and a header
// declaring them) plus one row here.
#include "formats/registry.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "formats/gguf/gguf.hpp"
#include "formats/recognised/recognised.hpp"
#include "formats/safetensors/safetensors.hpp"

namespace mwt::detail {
namespace {

// Row signatures over the readers' and writers' own (a map, a version argument).
std::unique_ptr<WeightFile> open_gguf(const std::string& path, const OpenOptions& opts) {
  return read_gguf(MappedFile::open(path, opts.io_mmap), opts);
}
std::unique_ptr<WeightFile> open_safetensors(const std::string& path, const OpenOptions& opts) {
  return read_safetensors(MappedFile::open(path, opts.io_mmap), opts);
}
void write_gguf_v3(const WriteSpec& spec, const std::string& path) { write_gguf(spec, path, 3); }

const FormatWriter kGgufWriter{
    .constant = "GGUF",
    .write = write_gguf_v3,
    .typed_metadata = true,
    .alignment = true,
    .empty_keys = false,  // an empty GGUF key is malformed (docs/gguf.md)
    .stores = [](const DTypeInfo& d) { return is_ggml_type(d.id); },
    .dtype_refusal = "GGUF (it has no ggml type id)",
};

const FormatWriter kSafetensorsWriter{
    .constant = "SAFETENSORS",
    .write = write_safetensors,
    .typed_metadata = false,  // __metadata__ is string -> string
    .alignment = false,
    .empty_keys = true,
    .stores = [](const DTypeInfo& d) { return !d.safetensors.empty(); },
    .dtype_refusal = "safetensors",
};

// Content sniffs run top to bottom and the first claim wins. The order matters where two
// sniffs could both claim a file: fixed magics (GGUF, npy, zip) before safetensors, whose
// header length is arbitrary bytes, and safetensors before the PyTorch tar and ONNX tests.
const FormatRow kBuiltinRows[] = {
    {.id = Format::GGUF,
     .name = "gguf",
     .label = "GGUF",
     .sniff = sniff_gguf,
     .open = open_gguf,
     .writer = &kGgufWriter},
    {.id = Format::NPY,
     .name = "npy",
     .label = "NumPy",
     .description = "a NumPy .npy array",
     .sniff = sniff_npy},
    // One sniff for the zip family: it names the three rows below it, or a plain zip.
    {.id = Format::ZIP,
     .name = "zip",
     .description = "a zip archive that is neither a PyTorch checkpoint nor an .npz",
     .sniff = sniff_zip},
    {.id = Format::TORCHSCRIPT,
     .name = "torchscript",
     .label = "PyTorch",
     .description = "a TorchScript archive (code/, constants.pkl)"},
    {.id = Format::PYTORCH_ZIP,
     .name = "pytorch",
     .label = "PyTorch",
     .description = "a PyTorch zip checkpoint (data.pkl)"},
    {.id = Format::NPZ, .name = "npz", .label = "NumPy", .description = "a NumPy .npz archive"},
    {.id = Format::SAFETENSORS,
     .name = "safetensors",
     .label = "safetensors",
     .sniff = sniff_safetensors,
     .open = open_safetensors,
     .writer = &kSafetensorsWriter},
    {.id = Format::PYTORCH_LEGACY,
     .name = "pytorch-legacy",
     .label = "PyTorch",
     .description = "a legacy (pre-1.6, non-zip) PyTorch checkpoint",
     .sniff = sniff_pytorch_legacy},
    {.id = Format::ONNX,
     .name = "onnx",
     .label = "ONNX",
     .description = "an ONNX model (protobuf ModelProto)",
     .sniff = sniff_onnx},
    // Recognised by path only: an *.index.json file, or a directory of shards.
    {.id = Format::SAFETENSORS_INDEX,
     .name = "safetensors-sharded",
     .label = "safetensors",
     .sniff = sniff_safetensors_index,
     .name_suffix = ".index.json",
     .sniff_directory = sniff_safetensors_directory,
     .directory_contents = "*.safetensors or *.safetensors.index.json file",
     .open = read_safetensors_sharded},
};

// Built-in rows, then test rows. Only ScopedFormatRow changes it (see its comment).
std::vector<FormatRow>& table() {
  static std::vector<FormatRow> rows(std::begin(kBuiltinRows), std::end(kBuiltinRows));
  return rows;
}

}  // namespace

std::span<const FormatRow> format_rows() noexcept { return table(); }

const FormatRow* find_format_row(Format id) noexcept {
  for (const FormatRow& row : table())
    if (row.id == id) return &row;
  return nullptr;
}

std::string list_format_rows(const char* (*field)(const FormatRow& row)) {
  std::vector<const FormatRow*> rows;
  for (const FormatRow& row : table()) rows.push_back(&row);
  std::stable_sort(rows.begin(), rows.end(), [](const FormatRow* a, const FormatRow* b) {
    return static_cast<uint32_t>(a->id) < static_cast<uint32_t>(b->id);
  });
  std::vector<std::string_view> items;
  for (const FormatRow* row : rows) {
    const char* item = field(*row);
    if (item != nullptr && std::find(items.begin(), items.end(), item) == items.end())
      items.emplace_back(item);
  }
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += i + 1 == items.size() ? " or " : ", ";
    out += items[i];
  }
  return out;
}

ScopedFormatRow::ScopedFormatRow(const FormatRow& row) : id_(row.id) {
  if (row.id == Format::UNKNOWN || row.name == nullptr)
    fail(Code::ARGUMENT, "a format row needs an id other than UNKNOWN and a name");
  if (find_format_row(row.id) != nullptr)
    fail(Code::ARGUMENT,
         "format id " + std::to_string(static_cast<uint32_t>(row.id)) + " already has a row");
  table().push_back(row);
}

ScopedFormatRow::~ScopedFormatRow() {
  auto& rows = table();
  rows.erase(
      std::remove_if(rows.begin(), rows.end(), [this](const FormatRow& r) { return r.id == id_; }),
      rows.end());
}

}  // namespace mwt::detail
