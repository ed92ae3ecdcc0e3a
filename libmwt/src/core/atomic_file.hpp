// AtomicFile: write a new file in the destination's directory and make it the destination only
// on commit(). The file is an unnamed O_TMPFILE where the filesystem has them (a crash leaves
// nothing), else a named `.NAME.mwt-tmp-XXXXXX`; a named temp left by a crash is removed by the
// next AtomicFile in that directory. Every write is checked (short writes, EINTR); commit fsyncs
// the file, runs the caller's verification on it, links or renames it into place and fsyncs the
// directory. A destination that exists and is not a regular file is refused; a symlink
// destination is written through to its target (docs/readers.md#writers-nothing-lost).
#pragma once
#include <cstdint>
#include <string>

namespace mwt::detail {

class AtomicFile {
 public:
  explicit AtomicFile(const std::string& dest);  // Error(IO) if dest is refused or unwritable
  ~AtomicFile();                                 // discards the temp file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, uint64_t n);  // Error(IO) on failure
  void write_zeros(uint64_t n);
  uint64_t written() const noexcept { return written_; }
  // A path that opens the temp file while it is being written (for O_TMPFILE: /proc/self/fd/N).
  const std::string& temp_path() const noexcept { return tmp_; }
  // The file the destination resolves to (the final target when dest is a symlink).
  const std::string& target() const noexcept { return target_; }
  // fsync + fchmod 0666 & ~umask, then `verify(temp_path())` on the finished file (a throw from it
  // aborts the commit), then link/rename into place + fsync(dir) + close. Error(IO) on failure.
  template <typename F>
  void commit(F&& verify) {
    finish_file();
    verify(tmp_);
    publish();
  }
  void commit() {
    finish_file();
    publish();
  }

 private:
  void finish_file();
  void publish();
  void link_unnamed();
  std::string dest_;    // as given, for messages
  std::string target_;  // resolved final path
  std::string dir_;
  std::string tmp_;
  int fd_ = -1;
  bool unnamed_ = false;  // O_TMPFILE: tmp_ is /proc/self/fd/N and nothing to unlink
  uint64_t written_ = 0;
  bool committed_ = false;
  // This thread's SIGBUS-guard fault count at construction: a fault recovered while the file
  // was written means some of its bytes came from a shrunk map, and publish() refuses it.
  uint32_t sigbus_faults_;
};

}  // namespace mwt::detail
