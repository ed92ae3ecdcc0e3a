// MappedFile: a read-only memory map of a whole file, shared by every view into it.
// Tensor data views hold a shared_ptr to it, so the map outlives the WeightFile if needed.
//
// A file opened with open_deferred() is not mapped until data() is first called: readers that
// only need a header read it with read(), so listing the tensors of a 30-shard checkpoint costs
// no mmap/munmap (which serialise on the process's address-space lock). The first data() call
// re-opens the path and maps it only if it is still the same file (device, inode, size, mtime).
//
// Every map is registered with the SIGBUS guard (core/sigbus_guard.hpp), so libmwt's guarded
// reads of a file that shrinks under them fail with Error(IO) instead of killing the process.
// A file opened with map = false (option io.mmap 0) is read into private memory instead: later
// changes to the file cannot reach the bytes already read.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct stat;

namespace mwt::detail {

class MappedFile {
 public:
  // Throws Error(IO) naming the path and errno text on failure. An empty file maps to size 0.
  // Only regular files are read: a FIFO, socket, device or directory is refused with Error(IO)
  // naming what it is, without blocking (opened O_NONBLOCK and checked with fstat first).
  // map = false reads the whole file into private memory (pread) instead of mapping it; a file
  // that shrinks while being read is Error(TRUNCATED).
  static std::shared_ptr<MappedFile> open(const std::string& path, bool map = true);
  // Opens and stats the file but maps nothing yet (see above). Error(IO) as open().
  static std::shared_ptr<MappedFile> open_deferred(const std::string& path);
  // Opens `name` below the directory `dirfd` as open_deferred() does, resolved by the kernel in
  // one call (openat2 with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): every component, symlinks
  // included, must stay below the directory, absolute symlinks and ".." above it are refused.
  // The file's path() is `dir_path/name` (a re-open by that path before mapping must find the
  // same file: device, inode, size and mtime are checked as for open_deferred).
  // Returns nullptr, never throws for the file's sake, when the kernel refused or cannot (an
  // escape, a missing or non-regular file, a kernel or sandbox without openat2): the caller then
  // takes its slower checked path, which names the problem.
  static std::shared_ptr<MappedFile> open_deferred_beneath(int dirfd, const std::string& name,
                                                           const std::string& dir_path);
  // An in-memory "file" (fuzzers, tests, bytes handed over by a caller); `name` is its path.
  static std::shared_ptr<MappedFile> from_bytes(std::vector<uint8_t> bytes, std::string name);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // The whole file. Maps a deferred file on first use (thread-safe); Error(IO) if that fails
  // or the file changed since it was opened.
  const uint8_t* data() const;
  uint64_t size() const noexcept { return size_; }
  const std::string& path() const noexcept { return path_; }
  bool deferred() const noexcept { return deferred_; }  // opened by open_deferred()

  // Copies bytes [offset, offset + n) out of the file (pread, or from the map when there is
  // one). The caller has checked the range against size(); a short read is Error(TRUNCATED).
  std::vector<uint8_t> read(uint64_t offset, uint64_t n) const;
  // The same into dst[0, n).
  void read_into(uint64_t offset, uint64_t n, uint8_t* dst) const;
  // Closes the descriptor a deferred file keeps for read(); data() re-opens by path.
  void release_descriptor() const noexcept;
  // A deferred file, not yet shared: data() will read the file into private memory instead of
  // mapping it (as open() with map = false).
  void read_instead_of_mapping() noexcept { private_ = true; }
  // Error(IO) "... changed while mapped" when the map has lost pages to a SIGBUS the guard
  // recovered (the file shrank under a guarded read); nothing for unmapped or private data.
  void require_unchanged() const;

 private:
  MappedFile() = default;
  void map_now() const;
  // A deferred file over the open descriptor `fd` (owned from here on, closed on failure) of a
  // regular file with status `st`.
  static std::shared_ptr<MappedFile> adopt_deferred(int fd, const struct stat& st,
                                                    std::string path);

  mutable const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  std::string path_;
  mutable std::vector<uint8_t> owned_;  // from_bytes and private (not mapped) files
  // Atomic: require_unchanged() reads it while another thread may be in map_now() (found by
  // ThreadSanitizer, tests/cpp/test_concurrency.cpp); set after data_, so true means data_ is set.
  mutable std::atomic<bool> mapped_{false};
  mutable int guard_slot_ = -1;  // the map's slot in the SIGBUS guard's registry
  bool deferred_ = false;
  bool private_ = false;  // deferred: read into owned_ on first data() instead of mapping
  // Deferred files: identity checked before mapping, and the descriptor read() uses.
  mutable int fd_ = -1;
  uint64_t dev_ = 0, ino_ = 0;
  int64_t mtime_sec_ = 0, mtime_nsec_ = 0;
  mutable std::once_flag map_once_;
};

}  // namespace mwt::detail
