// The format registry: one row per format mwt can name (its mwt_format id, names, how it is
// sniffed, opened and written). detect_format, open_weight_file, format_name and the C ABI's
// writer all walk this table instead of switching on Format, so a new format is a folder under
// formats/ plus one row in registry.cpp (CONTRIBUTING.md, "Adding a format").
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/dtype.hpp"
#include "formats/weight_file.hpp"
#include "formats/write_spec.hpp"

namespace mwt::detail {

// Content sniff over a whole mapped file (never throws on content). Returns the row's own id,
// for a family the member it recognises (the zip row names PyTorch, TorchScript and npz
// archives), or Format::UNKNOWN to let later rows look.
using SniffFn = Format (*)(const uint8_t* data, uint64_t size);
// Whether a directory is this format's (Error(IO) if it cannot be listed).
using SniffDirectoryFn = bool (*)(const std::string& dir);
// Opens a sniffed path with the format's strict reader; the result is indexed (find_*).
using OpenFn = std::unique_ptr<WeightFile> (*)(const std::string& path, const OpenOptions& opts);

// What the C ABI writer (capi/writer.cpp) needs to know about a writable format: the write
// itself plus the per-format rules it checks up front, where each mistake is made.
struct FormatWriter {
  const char* constant = nullptr;  // "GGUF": its MWT_FORMAT_* name, listed in refusals
  void (*write)(const WriteSpec& spec, const std::string& path) = nullptr;  // atomic, re-read
  bool typed_metadata = false;  // numeric scalars and arrays besides strings; else string only
  bool alignment = false;       // honours WriteSpec::alignment (mwt_writer_set_alignment)
  bool empty_keys = false;      // an empty metadata key is well-formed
  bool (*stores)(const DTypeInfo& dtype) = nullptr;  // whether a tensor of `dtype` fits
  const char* dtype_refusal = nullptr;  // ends "<dtype> cannot be stored in ": "safetensors"
};

struct FormatRow {
  Format id = Format::UNKNOWN;  // the mwt_format value (pinned in mwt.h; never renumbered)
  const char* name = nullptr;   // format_name / mwt_format_name / mwt.detect_format: "gguf"
  // The family in messages ("GGUF", "PyTorch"): the unknown-content error lists the distinct
  // labels in id order, and writer errors name the format by it. nullptr for rows that are
  // not a weight format of their own (a plain zip archive).
  const char* label = nullptr;
  // What a recognised-but-unread file is, for UNSUPPORTED_FORMAT ("a NumPy .npy array").
  const char* description = nullptr;
  // Content sniff, tried in table order (the order is part of the behaviour: a zip is tested
  // before safetensors, safetensors before a tar). nullptr: named by a family row's sniff, or
  // recognised by path only.
  SniffFn sniff = nullptr;
  // A file whose name ends with this is judged by the rows with this suffix alone (their sniff
  // decides, or without a sniff the name alone claims it; a miss is UNKNOWN, never another
  // reader's). Such rows sniff no other file.
  const char* name_suffix = nullptr;
  SniffDirectoryFn sniff_directory = nullptr;
  const char* directory_contents = nullptr;  // "holds no <this>": what a claimed directory has
  OpenFn open = nullptr;                     // nullptr: recognised, UNSUPPORTED_FORMAT
  const FormatWriter* writer = nullptr;      // nullptr: not writable
};

// The built-in rows in table order, then any rows a ScopedFormatRow added.
std::span<const FormatRow> format_rows() noexcept;
// The row of `id`, or nullptr (UNKNOWN and ids mwt does not know have none).
const FormatRow* find_format_row(Format id) noexcept;

// "a, b or c": the distinct non-null field(row) values over all rows, in id order (so the
// lists in messages read the same whatever the sniff order).
std::string list_format_rows(const char* (*field)(const FormatRow& row));

// Test hook: adds `row` after the built-in rows for this object's lifetime (the built-in rows
// themselves are constant data). Registration is not synchronised with detect/open running on other
// threads: a test registers before it opens anything. Error(ARGUMENT) if the id is UNKNOWN or
// already has a row, or the row has no name.
class ScopedFormatRow {
 public:
  explicit ScopedFormatRow(const FormatRow& row);
  ~ScopedFormatRow();
  ScopedFormatRow(const ScopedFormatRow&) = delete;
  ScopedFormatRow& operator=(const ScopedFormatRow&) = delete;

 private:
  Format id_;
};

}  // namespace mwt::detail
