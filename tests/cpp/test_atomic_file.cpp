// AtomicFile's destination rules and temp-file hygiene: non-regular destinations refused,
// symlinks written through, no named temp while writing, stale temps of killed writers removed.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "code_of.hpp"
#include "core/atomic_file.hpp"
#include "st_bytes.hpp"

using namespace mwt::detail;
using st_test::TempDir;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void write_text(const std::string& path, const std::string& text) {
  AtomicFile out(path);
  out.write(text.data(), text.size());
  out.commit();
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool is_symlink(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

}  // namespace

TEST_CASE("AtomicFile refuses a FIFO, a directory and a socket destination", "[atomic_file]") {
  TempDir d;
  REQUIRE(::mkfifo((d / "fifo").c_str(), 0644) == 0);
  REQUIRE(::mkdir((d / "dir").c_str(), 0755) == 0);
  CHECK(code_of([&] { write_text(d / "fifo", "x"); }) == Code::IO);
  CHECK(message_of([&] { write_text(d / "fifo", "x"); }).find("is a FIFO") != std::string::npos);
  CHECK(message_of([&] { write_text(d / "dir", "x"); }).find("is a directory") !=
        std::string::npos);
  const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(s >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string sp = d / "sock";
  if (sp.size() < sizeof addr.sun_path) {
    std::copy(sp.begin(), sp.end(), addr.sun_path);
    REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    CHECK(message_of([&] { write_text(sp, "x"); }).find("is a socket") != std::string::npos);
  }
  ::close(s);
  struct stat st;
  REQUIRE(::lstat((d / "fifo").c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));  // still the FIFO, not replaced by a regular file
  std::vector<std::string> names = d.files();
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"dir", "fifo", "sock"});
}

TEST_CASE("AtomicFile refuses a character device", "[atomic_file]") {
  // A private node like /dev/null (1:3), so that a broken writer replaces only a test file.
  TempDir d;
  const std::string dev = d / "null";
  if (::mknod(dev.c_str(), S_IFCHR | 0666, ::makedev(1, 3)) != 0) {
    WARN("mknod not permitted here; character-device case skipped");
    return;
  }
  const std::string msg = message_of([&] { write_text(dev, "x"); });
  CHECK(msg.find("is a character device") != std::string::npos);
  CHECK(msg.find(dev) != std::string::npos);
  struct stat after;
  REQUIRE(::lstat(dev.c_str(), &after) == 0);
  CHECK(S_ISCHR(after.st_mode));
  CHECK(d.files() == std::vector<std::string>{"null"});
}

TEST_CASE("AtomicFile writes through a symlink to its target", "[atomic_file]") {
  TempDir d;
  REQUIRE(::mkdir((d / "real").c_str(), 0755) == 0);
  write_text(d / "real/target.bin", "old");
  REQUIRE(::symlink("real/target.bin", (d / "link").c_str()) == 0);      // relative
  REQUIRE(::symlink((d / "link").c_str(), (d / "link2").c_str()) == 0);  // chain, absolute
  write_text(d / "link2", "new contents");
  CHECK(is_symlink(d / "link"));
  CHECK(is_symlink(d / "link2"));
  CHECK(slurp(d / "real/target.bin") == "new contents");
  std::vector<std::string> names = d.files();
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"link", "link2", "real"});
  CHECK(d.files().size() == 3);

  // A dangling symlink creates its target when the target's directory exists ...
  REQUIRE(::symlink("real/fresh.bin", (d / "dangling").c_str()) == 0);
  write_text(d / "dangling", "fresh");
  CHECK(is_symlink(d / "dangling"));
  CHECK(slurp(d / "real/fresh.bin") == "fresh");
  // ... and is an IO error naming the destination when it does not.
  REQUIRE(::symlink("nowhere/x.bin", (d / "lost").c_str()) == 0);
  const std::string msg = message_of([&] { write_text(d / "lost", "x"); });
  CHECK(msg.find("IO") != std::string::npos);
  CHECK(msg.find(d / "lost") != std::string::npos);
  // A symlink to a FIFO is refused like the FIFO.
  REQUIRE(::mkfifo((d / "real/fifo").c_str(), 0644) == 0);
  REQUIRE(::symlink("real/fifo", (d / "tofifo").c_str()) == 0);
  CHECK(message_of([&] { write_text(d / "tofifo", "x"); }).find("is a FIFO") != std::string::npos);
}

TEST_CASE("AtomicFile leaves no named file while writing or after an abort", "[atomic_file]") {
  TempDir d;
  write_text(d / "out.bin", "old");
  {
    AtomicFile out(d / "out.bin");
    out.write("partial", 7);
    CHECK(d.files() == std::vector<std::string>{"out.bin"});  // O_TMPFILE: nothing named
    CHECK(slurp(out.temp_path()) == "partial");               // readable for verification
  }
  CHECK(d.files() == std::vector<std::string>{"out.bin"});
  CHECK(slurp(d / "out.bin") == "old");
  {
    AtomicFile out(d / "out.bin");
    out.write("new", 3);
    CHECK(code_of([&] { out.commit([](const std::string&) { fail(Code::INTERNAL, "no"); }); }) ==
          Code::INTERNAL);
  }
  CHECK(d.files() == std::vector<std::string>{"out.bin"});
  CHECK(slurp(d / "out.bin") == "old");
  // The verifier sees the finished bytes before they are in place.
  AtomicFile out(d / "out.bin");
  out.write("newer", 5);
  std::string seen;
  out.commit([&](const std::string& p) {
    seen = slurp(p);
    CHECK(slurp(d / "out.bin") == "old");
  });
  CHECK(seen == "newer");
  CHECK(slurp(d / "out.bin") == "newer");
  CHECK(d.files() == std::vector<std::string>{"out.bin"});
}

TEST_CASE("AtomicFile removes stale temps of killed writers, not fresh ones", "[atomic_file]") {
  TempDir d;
  const std::string stale = d / ".out.bin.mwt-tmp-AbC123";
  const std::string fresh = d / ".other.mwt-tmp-ZZZ999";
  const std::string unrelated = d / ".out.bin.mwt-tmp-toolongsuffix";
  for (const auto& p : {stale, fresh, unrelated}) TempDir::write_to(p, std::string("junk"));
  struct timeval old_times[2] = {{1000000000, 0}, {1000000000, 0}};
  REQUIRE(::utimes(stale.c_str(), old_times) == 0);
  REQUIRE(::utimes(unrelated.c_str(), old_times) == 0);
  struct timeval future[2] = {{4000000000, 0}, {4000000000, 0}};
  REQUIRE(::utimes(fresh.c_str(), future) == 0);
  write_text(d / "out.bin", "x");
  std::vector<std::string> names = d.files();
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{".other.mwt-tmp-ZZZ999", ".out.bin.mwt-tmp-toolongsuffix",
                                          "out.bin"});
}
