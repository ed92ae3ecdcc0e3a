// POSIX implementation of AtomicFile (mkstemp in the destination directory + rename).
#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/error.hpp"

namespace mwt::detail {
namespace {

std::string dir_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

[[noreturn]] void io_fail(const std::string& what, const std::string& path, int err) {
  fail(Code::IO, what + " '" + escape_for_message(path, 512) + "': " + std::strerror(err));
}

}  // namespace

AtomicFile::AtomicFile(const std::string& dest) : dest_(dest) {
  const auto slash = dest.find_last_of('/');
  const std::string base = slash == std::string::npos ? dest : dest.substr(slash + 1);
  if (base.empty())
    fail(Code::ARGUMENT, "destination path '" + escape_for_message(dest) + "' names no file");
  std::string tmpl = dir_of(dest) + "/." + base + ".mwt-tmp-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  fd_ = ::mkostemp(buf.data(), O_CLOEXEC);
  if (fd_ < 0) io_fail("cannot create a temporary file for", dest, errno);
  tmp_.assign(buf.data());
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, uint64_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    const size_t chunk = n > (1u << 30) ? (1u << 30) : static_cast<size_t>(n);
    const ssize_t w = ::write(fd_, p, chunk);
    if (w < 0) {
      if (errno == EINTR) continue;
      io_fail("write failed for", tmp_, errno);
    }
    if (w == 0) io_fail("write made no progress for", tmp_, EIO);
    p += w;
    n -= static_cast<uint64_t>(w);
    written_ += static_cast<uint64_t>(w);
  }
}

void AtomicFile::write_zeros(uint64_t n) {
  static const uint8_t zeros[4096] = {};
  while (n > 0) {
    const uint64_t k = n < sizeof zeros ? n : sizeof zeros;
    write(zeros, k);
    n -= k;
  }
}

void AtomicFile::finish_file() {
  if (::fsync(fd_) != 0) io_fail("fsync failed for", tmp_, errno);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd_, 0666 & ~mask) != 0) io_fail("fchmod failed for", tmp_, errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) io_fail("close failed for", tmp_, errno);
}

void AtomicFile::publish() {
  if (::rename(tmp_.c_str(), dest_.c_str()) != 0)
    io_fail("cannot rename temporary file onto", dest_, errno);
  committed_ = true;
  const int dfd = ::open(dir_of(dest_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {  // the rename is done; a directory that cannot be synced is not a lost file
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace mwt::detail
