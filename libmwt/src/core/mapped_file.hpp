// MappedFile: a read-only memory map of a whole file, shared by every view into it.
// Tensor data views hold a shared_ptr to it, so the map outlives the WeightFile if needed.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mwt::detail {

class MappedFile {
 public:
  // Throws Error(IO) naming the path and errno text on failure. An empty file maps to size 0.
  static std::shared_ptr<MappedFile> open(const std::string& path);
  // An in-memory "file" (fuzzers, tests, bytes handed over by a caller); `name` is its path.
  static std::shared_ptr<MappedFile> from_bytes(std::vector<uint8_t> bytes, std::string name);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const noexcept { return data_; }
  uint64_t size() const noexcept { return size_; }
  const std::string& path() const noexcept { return path_; }

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  std::string path_;
  std::vector<uint8_t> owned_;  // from_bytes only
  bool mapped_ = false;
};

}  // namespace mwt::detail
