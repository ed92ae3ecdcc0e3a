// AtomicFile: write a new file beside the destination and rename it over the destination only
// on commit(). Every write is checked (short writes, EINTR); commit fsyncs the file, checks
// close, renames, and fsyncs the directory. If commit() is never reached the temp file is
// removed and the destination is untouched.
#pragma once
#include <cstdint>
#include <string>

namespace mwt::detail {

class AtomicFile {
 public:
  explicit AtomicFile(const std::string& dest);  // Error(IO) if the temp file cannot be made
  ~AtomicFile();                                 // unlinks the temp file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, uint64_t n);  // Error(IO) on failure
  void write_zeros(uint64_t n);
  uint64_t written() const noexcept { return written_; }
  const std::string& temp_path() const noexcept { return tmp_; }
  // fsync + close + fchmod 0644 (umask applied) + rename + fsync(dir). Error(IO) on failure.
  // `verify` runs on the finished temp file before the rename; a throw from it aborts the commit.
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
  std::string dest_;
  std::string tmp_;
  int fd_ = -1;
  uint64_t written_ = 0;
  bool committed_ = false;
};

}  // namespace mwt::detail
