// POSIX mmap backend for MappedFile.
#include "core/mapped_file.hpp"

#include <fcntl.h>
#if defined(__linux__)
#include <linux/openat2.h>
#include <sys/syscall.h>
#endif
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "core/sigbus_guard.hpp"

namespace mwt::detail {
namespace {

// Appended, not "'" + escape_for_message(...) + "'": GCC 12 warns falsely (-Wrestrict, inside
// char_traits.h) about operator+(const char*, std::string&&).
std::string quoted(const std::string& path) {
  std::string q = "'";
  q += escape_for_message(path, 512);
  q += '\'';
  return q;
}

// What a non-regular file is, for the refusal message.
const char* kind_of(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISDIR(mode)) return "a directory";
  return "not a regular file";  // no other file types exist on Linux
}

// Refuses (closing fd) anything but a regular file, then clears O_NONBLOCK: the descriptor was
// opened non-blocking so that open() of a FIFO without a writer returns at once instead of
// waiting forever; fstat decides before any read can block.
void require_regular(int fd, const struct stat& st, const std::string& path) {
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    std::string msg = quoted(path);
    msg += " is ";
    msg += kind_of(st.st_mode);
    msg += " (only regular files are read)";
    fail(Code::IO, msg);
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    const int e = errno;
    ::close(fd);
    fail(Code::IO, "cannot set up " + quoted(path) + ": " + std::strerror(e));
  }
}

// Opens a regular file read-only and stats it; Error(IO) otherwise, without blocking.
int open_regular(const std::string& path, struct stat& st) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail(Code::IO, "cannot open " + quoted(path) + ": " + std::strerror(errno));
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    fail(Code::IO, "cannot stat " + quoted(path) + ": " + std::strerror(e));
  }
  require_regular(fd, st, path);
  return fd;
}

const uint8_t* map_fd(int fd, uint64_t size, const std::string& path) {
  void* p = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) fail(Code::IO, "cannot mmap " + quoted(path) + ": " + std::strerror(errno));
  return static_cast<const uint8_t*>(p);
}

// Reads bytes [offset, offset + n) of fd into out; a short file is Error(TRUNCATED).
void pread_all(int fd, uint64_t offset, uint64_t n, uint8_t* out, const std::string& path) {
  uint64_t done = 0;
  while (done < n) {
    const ssize_t r =
        ::pread(fd, out + done, static_cast<size_t>(n - done), static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0)
      fail(Code::IO, "cannot read " + quoted(path) + ": " + std::strerror(errno), offset + done);
    if (r == 0)
      fail(Code::TRUNCATED, quoted(path) + " ended early (it shrank while being read)",
           offset + done);
    done += static_cast<uint64_t>(r);
  }
}

}  // namespace

std::shared_ptr<MappedFile> MappedFile::open(const std::string& path, bool map) {
  struct stat st {};
  const int fd = open_regular(path, st);
  std::shared_ptr<MappedFile> f;
  try {
    f.reset(new MappedFile());
    f->path_ = path;
    f->size_ = static_cast<uint64_t>(st.st_size);
    if (f->size_ > 0 && map) {
      f->data_ = map_fd(fd, f->size_, path);
      f->mapped_ = true;
      f->guard_slot_ = register_mapping(f->data_, f->size_, f->path_);
    } else if (f->size_ > 0) {
      f->owned_.resize(static_cast<size_t>(f->size_));
      pread_all(fd, 0, f->size_, f->owned_.data(), path);
      f->data_ = f->owned_.data();
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);  // the mapping stays valid without the descriptor
  return f;
}

std::shared_ptr<MappedFile> MappedFile::open_deferred(const std::string& path) {
  struct stat st {};
  const int fd = open_regular(path, st);
  return adopt_deferred(fd, st, path);
}

std::shared_ptr<MappedFile> MappedFile::adopt_deferred(int fd, const struct stat& st,
                                                       std::string path) {
  std::shared_ptr<MappedFile> f;
  try {
    f.reset(new MappedFile());
  } catch (...) {
    ::close(fd);
    throw;
  }
  f->path_ = std::move(path);
  f->size_ = static_cast<uint64_t>(st.st_size);
  f->fd_ = fd;
  f->deferred_ = true;
  f->dev_ = static_cast<uint64_t>(st.st_dev);
  f->ino_ = static_cast<uint64_t>(st.st_ino);
  f->mtime_sec_ = static_cast<int64_t>(st.st_mtim.tv_sec);
  f->mtime_nsec_ = static_cast<int64_t>(st.st_mtim.tv_nsec);
  return f;
}

std::shared_ptr<MappedFile> MappedFile::open_deferred_beneath(int dirfd, const std::string& name,
                                                              const std::string& dir_path) {
#if defined(__linux__) && defined(SYS_openat2)
  struct open_how how {};
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;  // a FIFO must not block (open_regular)
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  int fd;
  do {
    fd = static_cast<int>(::syscall(SYS_openat2, dirfd, name.c_str(), &how, sizeof how));
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return nullptr;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return nullptr;  // the checked path re-opens it and names what it is
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    ::close(fd);
    return nullptr;
  }
  std::string path;
  path.reserve(dir_path.size() + 1 + name.size());
  path.append(dir_path).append(1, '/').append(name);
  return adopt_deferred(fd, st, std::move(path));
#else
  (void)dirfd, (void)name, (void)dir_path;
  return nullptr;
#endif
}

std::shared_ptr<MappedFile> MappedFile::from_bytes(std::vector<uint8_t> bytes, std::string name) {
  std::shared_ptr<MappedFile> f(new MappedFile());
  f->owned_ = std::move(bytes);
  f->path_ = std::move(name);
  f->size_ = f->owned_.size();
  f->data_ = f->owned_.empty() ? nullptr : f->owned_.data();
  return f;
}

void MappedFile::map_now() const {
  int fd = fd_;
  bool own_fd = false;
  if (fd < 0) {
    struct stat st {};
    fd = open_regular(path_, st);
    own_fd = true;
    if (static_cast<uint64_t>(st.st_dev) != dev_ || static_cast<uint64_t>(st.st_ino) != ino_ ||
        static_cast<uint64_t>(st.st_size) != size_ ||
        static_cast<int64_t>(st.st_mtim.tv_sec) != mtime_sec_ ||
        static_cast<int64_t>(st.st_mtim.tv_nsec) != mtime_nsec_) {
      ::close(fd);
      fail(Code::IO, quoted(path_) + " changed since it was opened and validated; open it again");
    }
  }
  try {
    if (private_) {
      owned_.resize(static_cast<size_t>(size_));
      pread_all(fd, 0, size_, owned_.data(), path_);
      data_ = owned_.data();
    } else {
      data_ = map_fd(fd, size_, path_);
      mapped_ = true;
      guard_slot_ = register_mapping(data_, size_, path_);
    }
  } catch (...) {
    if (own_fd) ::close(fd);
    throw;
  }
  if (own_fd) ::close(fd);
}

const uint8_t* MappedFile::data() const {
  // call_once orders the mapping before every reader of data_; a throw leaves the flag unset,
  // so a later call tries again.
  if (deferred_ && size_ > 0) std::call_once(map_once_, [this] { map_now(); });
  return data_;
}

std::vector<uint8_t> MappedFile::read(uint64_t offset, uint64_t n) const {
  if (offset > size_ || n > size_ - offset)
    fail(Code::TRUNCATED,
         "read of " + std::to_string(n) + " bytes at " + std::to_string(offset) +
             " runs past the end of " + quoted(path_),
         offset);
  std::vector<uint8_t> out(static_cast<size_t>(n));
  read_into(offset, n, out.data());
  return out;
}

void MappedFile::read_into(uint64_t offset, uint64_t n, uint8_t* out) const {
  if (offset > size_ || n > size_ - offset)
    fail(Code::TRUNCATED,
         "read of " + std::to_string(n) + " bytes at " + std::to_string(offset) +
             " runs past the end of " + quoted(path_),
         offset);
  if (n == 0) return;
  if (!deferred_ || fd_ < 0) {
    const uint8_t* src = data() + offset;
    run_guarded([&] { std::memcpy(out, src, static_cast<size_t>(n)); });
    if (mapped_) mwt::detail::require_unchanged(src, n);
    return;
  }
  pread_all(fd_, offset, n, out, path_);
}

void MappedFile::require_unchanged() const {
  if (mapped_) mwt::detail::require_unchanged(data_, size_);
}

void MappedFile::release_descriptor() const noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

MappedFile::~MappedFile() {
  unregister_mapping(guard_slot_);  // before the range can be mapped again by anyone
  if (mapped_) ::munmap(const_cast<uint8_t*>(data_), static_cast<size_t>(size_));
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace mwt::detail
