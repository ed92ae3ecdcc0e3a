// Format sniffing: walks the format registry (formats/registry.hpp) for a directory, a file
// whose name a row claims (*.index.json), or a file's content. Sniffing never throws on
// content: it only names the one reader a file may be handed to (docs/readers.md, rule 5).
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "core/error.hpp"
#include "core/mapped_file.hpp"
#include "formats/open.hpp"
#include "formats/registry.hpp"

namespace mwt::detail {
namespace {

bool has_suffix(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Format detect_directory(const std::string& path) {
  for (const FormatRow& row : format_rows())
    if (row.sniff_directory != nullptr && row.sniff_directory(path)) return row.id;
  return Format::UNKNOWN;
}

}  // namespace

Format detect_format_bytes(const uint8_t* data, uint64_t size) {
  if (data == nullptr || size == 0) return Format::UNKNOWN;
  for (const FormatRow& row : format_rows()) {
    if (row.sniff == nullptr || row.name_suffix != nullptr) continue;
    const Format f = row.sniff(data, size);
    if (f != Format::UNKNOWN) return f;
  }
  return Format::UNKNOWN;
}

Format detect_format(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    fail(Code::IO, "cannot open '" + escape_for_message(path, 512) + "': " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return detect_directory(path);
  const auto file = MappedFile::open(path);  // IO error for sockets, devices, unreadable files
  const std::string name = std::filesystem::path(path).filename().string();
  bool named = false;
  for (const FormatRow& row : format_rows()) {
    if (row.name_suffix == nullptr || !has_suffix(name, row.name_suffix)) continue;
    named = true;
    const Format f = row.sniff != nullptr ? row.sniff(file->data(), file->size()) : row.id;
    if (f != Format::UNKNOWN) return f;
  }
  if (named) return Format::UNKNOWN;
  return detect_format_bytes(file->data(), file->size());
}

}  // namespace mwt::detail
