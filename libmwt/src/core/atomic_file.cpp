// POSIX implementation of AtomicFile: destination resolution (symlinks followed, non-regular
// files refused), stale-temp cleanup, O_TMPFILE + linkat with a named mkstemp fallback.
#include "core/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/sigbus_guard.hpp"

namespace mwt::detail {
namespace {

constexpr const char* kTempMark = ".mwt-tmp-";
constexpr size_t kTempSuffix = 6;  // the XXXXXX of mkstemp and of our own link names
constexpr int kMaxSymlinkHops = 40;

std::string dir_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Built by appending: GCC 12's -Wrestrict misfires on "'" + std::string&&.
std::string quoted(const std::string& path) {
  std::string q = "'";
  q += escape_for_message(path, 512);
  q += '\'';
  return q;
}

[[noreturn]] void io_fail(const std::string& what, const std::string& path, int err) {
  fail(Code::IO, what + " " + quoted(path) + ": " + std::strerror(err));
}

const char* kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

// Follows symlinks from `dest` to the path a write should replace: the first path that does
// not exist or is not a symlink. Resolved once, here; the writer then uses only that path.
std::string resolve(const std::string& dest, struct stat* st, bool* exists) {
  std::string p = dest;
  for (int hop = 0; hop <= kMaxSymlinkHops; ++hop) {
    if (::lstat(p.c_str(), st) != 0) {
      if (errno == ENOENT) {
        *exists = false;
        return p;
      }
      io_fail("cannot inspect the destination", p, errno);
    }
    if (!S_ISLNK(st->st_mode)) {
      *exists = true;
      return p;
    }
    std::vector<char> buf(PATH_MAX + 1);
    const ssize_t n = ::readlink(p.c_str(), buf.data(), buf.size() - 1);
    if (n < 0) io_fail("cannot read the symlink", p, errno);
    const std::string link(buf.data(), static_cast<size_t>(n));
    p = (!link.empty() && link[0] == '/') ? link : dir_of(p) + "/" + link;
  }
  io_fail("cannot resolve the destination", dest, ELOOP);
}

bool is_temp_name(const char* name) {
  if (name[0] != '.') return false;
  const char* mark = std::strstr(name, kTempMark);
  if (mark == nullptr) return false;
  for (const char* next; (next = std::strstr(mark + 1, kTempMark)) != nullptr;) mark = next;
  return std::strlen(mark + std::strlen(kTempMark)) == kTempSuffix;
}

bool older(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

// Removes `.NAME.mwt-tmp-XXXXXX` regular files last modified before `start`: temps of writers
// killed before they finished. A live writer's named temp is newer (it touches the file just
// before naming it; a named-fallback temp is modified by every write). Errors are ignored: the
// cleanup is a courtesy, not part of this write.
void remove_stale_temps(const std::string& dir, const struct timespec& start) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  const int dfd = ::dirfd(d);
  while (const struct dirent* e = ::readdir(d)) {
    if (!is_temp_name(e->d_name)) continue;
    struct stat st;
    if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISREG(st.st_mode) && older(st.st_mtim, start)) ::unlinkat(dfd, e->d_name, 0);
  }
  ::closedir(d);
}

std::string random_suffix() {
  static std::atomic<uint64_t> counter{0};
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t x = static_cast<uint64_t>(ts.tv_nsec) ^ (static_cast<uint64_t>(ts.tv_sec) << 30) ^
               (static_cast<uint64_t>(::getpid()) << 40) ^
               (counter.fetch_add(1) * 0x9E3779B97F4A7C15u);
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string s;
  for (size_t i = 0; i < kTempSuffix; ++i) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    s += kChars[(x >> 33) % 62];
  }
  return s;
}

}  // namespace

AtomicFile::AtomicFile(const std::string& dest)
    : dest_(dest), sigbus_faults_(sigbus_fault_count()) {
  if (base_of(dest).empty())
    fail(Code::ARGUMENT, "destination path '" + escape_for_message(dest) + "' names no file");
  struct timespec start;
  ::clock_gettime(CLOCK_REALTIME, &start);
  struct stat st;
  bool exists = false;
  target_ = resolve(dest, &st, &exists);
  const std::string shown =
      target_ == dest ? quoted(dest) : quoted(dest) + " (a symlink to " + quoted(target_) + ")";
  if (exists && !S_ISREG(st.st_mode))
    fail(Code::IO,
         "destination " + shown + " is " + kind_of(st.st_mode) + "; mwt writes only regular files");
  if (base_of(target_).empty()) fail(Code::ARGUMENT, "destination " + shown + " names no file");
  dir_ = dir_of(target_);
  remove_stale_temps(dir_, start);

  // Unnamed temp first: it needs /proc to be linked into place (linkat AT_EMPTY_PATH would need
  // CAP_DAC_READ_SEARCH), and a filesystem without O_TMPFILE says EOPNOTSUPP / EISDIR / EINVAL.
  if (::access("/proc/self/fd", X_OK) == 0) {
    fd_ = ::open(dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd_ >= 0) {
      unnamed_ = true;
      tmp_ = "/proc/self/fd/" + std::to_string(fd_);
      return;
    }
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
      io_fail("cannot create the output file", dest, errno);
  }
  std::string tmpl = dir_ + "/." + base_of(target_) + kTempMark + "XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  fd_ = ::mkostemp(buf.data(), O_CLOEXEC);
  if (fd_ < 0) io_fail("cannot create the output file", dest, errno);
  tmp_.assign(buf.data());
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !unnamed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, uint64_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    const size_t chunk = n > (1u << 30) ? (1u << 30) : static_cast<size_t>(n);
    const ssize_t w = ::write(fd_, p, chunk);
    if (w < 0) {
      if (errno == EINTR) continue;
      io_fail("write failed for", dest_, errno);
    }
    if (w == 0) io_fail("write made no progress for", dest_, EIO);
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
  if (::fsync(fd_) != 0) io_fail("fsync failed for", dest_, errno);
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd_, 0666 & ~mask) != 0) io_fail("fchmod failed for", dest_, errno);
}

// Links the verified unnamed file at target_: directly when the name is free, else under a
// temp name renamed over the target (linkat cannot replace). A crash between the two leaves a
// named temp with a fresh mtime that the next writer's cleanup removes.
void AtomicFile::link_unnamed() {
  if (::futimens(fd_, nullptr) != 0) io_fail("cannot touch the output file", dest_, errno);
  if (::linkat(AT_FDCWD, tmp_.c_str(), AT_FDCWD, target_.c_str(), AT_SYMLINK_FOLLOW) == 0) return;
  if (errno != EEXIST) io_fail("cannot link the output file into place at", target_, errno);
  const std::string prefix = dir_ + "/." + base_of(target_) + kTempMark;
  for (int attempt = 0;; ++attempt) {
    const std::string name = prefix + random_suffix();
    if (::linkat(AT_FDCWD, tmp_.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
      if (::rename(name.c_str(), target_.c_str()) != 0) {
        const int err = errno;
        ::unlink(name.c_str());
        io_fail("cannot rename the output file onto", target_, err);
      }
      return;
    }
    if (errno != EEXIST || attempt >= 100)
      io_fail("cannot link the output file beside", target_, errno);
  }
}

void AtomicFile::publish() {
  if (sigbus_fault_count() != sigbus_faults_) fail_changed_while_mapped();  // nothing published
  if (unnamed_) {
    link_unnamed();
  } else if (::rename(tmp_.c_str(), target_.c_str()) != 0) {
    io_fail("cannot rename the temporary file onto", target_, errno);
  }
  committed_ = true;
  const int fd = fd_;
  fd_ = -1;
  ::close(fd);  // after fsync, a close error cannot lose data that fsync reported written
  const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {  // the file is in place; a directory that cannot be synced is not a lost file
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace mwt::detail
