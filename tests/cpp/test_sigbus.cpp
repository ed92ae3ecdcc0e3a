// The SIGBUS guard (core/sigbus_guard.hpp, docs/readers.md#files-that-change-while-mapped):
// libmwt's guarded reads of a map whose file shrank give Error(IO) / MWT_E_IO "changed while
// mapped" and the process lives on, on one thread, on the dequantizer's worker threads and on
// several caller threads at once; every other SIGBUS reaches the handler installed before the
// guard; the off switch leaves the fault fatal. The cases that need a fresh process (the
// guard installs once per process) run this binary again on a hidden test case.
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "code_of.hpp"
#include "core/mapped_file.hpp"
#include "core/sigbus_guard.hpp"
#include "mwt/mwt.h"

namespace {

using mwt::detail::Code;
using mwt::detail::MappedFile;

// 32768 Q8_0 blocks: 2^20 values, enough for the threaded decoder to use two threads.
constexpr size_t kBlocks = 32768;
constexpr size_t kBytes = kBlocks * 34;
constexpr size_t kValues = kBlocks * 32;

// A file of kBytes bytes (each Q8_0 block: scale 1.0 as F16, then 32 quants of 1).
std::string make_file(const std::string& tag) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("mwt-sigbus-" + std::to_string(::getpid()) + "-" + tag))
                               .string();
  std::vector<uint8_t> bytes(kBytes, 1);
  for (size_t b = 0; b < kBlocks; ++b) {
    bytes[b * 34] = 0x00;
    bytes[b * 34 + 1] = 0x3c;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  ::close(fd);
  return path;
}

// The status's code and whether its message names `path` and says "changed while mapped";
// frees the status.
bool is_changed_while_mapped(mwt_status* s, const std::string& path) {
  if (s == nullptr) return false;
  const std::string msg = mwt_status_message(s);
  const bool ok = mwt_status_code(s) == MWT_E_IO &&
                  msg.find("changed while mapped") != std::string::npos &&
                  msg.find(path) != std::string::npos;
  if (!ok) UNSCOPED_INFO("status: " << msg);
  mwt_status_free(s);
  return ok;
}

// Runs this test binary on the hidden test case `name` in a child process; returns the status
// waitpid gives.
int run_hidden_case(const char* name, bool guard_off) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (guard_off)
      ::setenv("MWT_NO_SIGBUS_GUARD", "1", 1);
    else
      ::unsetenv("MWT_NO_SIGBUS_GUARD");
    ::execl("/proc/self/exe", "mwt_tests", name, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return status;
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;  // ASan's own SIGBUS handler reports and exits instead of dying
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

// The child's own SIGBUS handler, installed before the guard: counts calls, remembers the
// si_code and, while a jump point is armed, leaves the faulting read.
volatile sig_atomic_t g_calls = 0;
volatile sig_atomic_t g_last_code = 0;
volatile sig_atomic_t g_jump_armed = 0;
sigjmp_buf g_jump;

extern "C" void test_handler(int, siginfo_t* info, void*) {
  g_calls = g_calls + 1;
  g_last_code = info != nullptr ? info->si_code : 0;
  if (g_jump_armed) {
    g_jump_armed = 0;
    siglongjmp(g_jump, 1);
  }
}

// Reads p[0] with the jump point armed; true when the test handler took the fault.
bool read_faults(const volatile uint8_t* p) {
  if (sigsetjmp(g_jump, 1) == 0) {
    g_jump_armed = 1;
    (void)p[0];
    g_jump_armed = 0;
    return false;
  }
  return true;
}

}  // namespace

TEST_CASE("a guarded read of a shrunk map is Error(IO) and the process lives on", "[sigbus]") {
  const std::string path = make_file("guarded");
  auto f = MappedFile::open(path);
  const uint8_t* p = f->data();
  REQUIRE(mwt::detail::sigbus_guard_installed());
  std::vector<float> dst(kValues);
  REQUIRE(mwt_dequantize(MWT_DTYPE_Q8_0, p, kBytes, dst.data(), kValues) == nullptr);
  CHECK(dst[kValues - 1] == 1.0f);
  REQUIRE(::truncate(path.c_str(), 0) == 0);

  SECTION("MappedFile::read_into") {
    std::vector<uint8_t> out(kBytes);
    try {
      f->read_into(0, kBytes, out.data());
      FAIL("no error");
    } catch (const mwt::detail::Error& e) {
      CHECK(e.code() == Code::IO);
      CHECK_THAT(e.what(), Catch::Contains("changed while mapped") && Catch::Contains(path));
    }
  }
  SECTION("the C ABI, on the dequantizer's worker threads and again on the marked map") {
    CHECK(is_changed_while_mapped(
        mwt_dequantize_threads(MWT_DTYPE_Q8_0, p, kBytes, dst.data(), kValues, 4), path));
    CHECK(is_changed_while_mapped(mwt_convert_to_f32(MWT_DTYPE_F32, p + 34 * 100, 1000, dst.data()),
                                  path));
    CHECK(is_changed_while_mapped(mwt_dequantize(MWT_DTYPE_Q8_0, p, kBytes, dst.data(), kValues),
                                  path));
  }
  SECTION("several caller threads at once") {
    constexpr int kThreads = 4;
    std::vector<int> ok(kThreads, 0);
    std::vector<std::vector<float>> outs(kThreads, std::vector<float>(kValues));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        mwt_status* s = mwt_dequantize_threads(MWT_DTYPE_Q8_0, p, kBytes, outs[t].data(), kValues,
                                               t % 2 == 0 ? 1 : 2);
        ok[t] = s != nullptr && mwt_status_code(s) == MWT_E_IO ? 1 : 0;
        mwt_status_free(s);
      });
    for (auto& th : threads) th.join();
    CHECK(ok == std::vector<int>(kThreads, 1));
  }
  // Other maps are not affected.
  const std::string other = make_file("other");
  auto g = MappedFile::open(other);
  CHECK(mwt_dequantize(MWT_DTYPE_Q8_0, g->data(), kBytes, dst.data(), kValues) == nullptr);
  CHECK(dst[0] == 1.0f);
  f.reset();
  g.reset();
  std::filesystem::remove(path);
  std::filesystem::remove(other);
}

TEST_CASE("metadata reads of a shrunk map: mwt_file_copy_bytes and find", "[sigbus]") {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("mwt-sigbus-" + std::to_string(::getpid()) + "-meta.gguf"))
                               .string();
  mwt_writer* w = nullptr;
  REQUIRE(mwt_writer_create(MWT_FORMAT_GGUF, &w) == nullptr);
  const std::string name(6000, 'n');  // more than a page of header
  REQUIRE(mwt_writer_add_metadata_string(w, "general.name", 12, name.data(), name.size()) ==
          nullptr);
  REQUIRE(mwt_writer_add_metadata_string(w, "general.last", 12, "x", 1) == nullptr);
  REQUIRE(mwt_writer_write(w, path.c_str()) == nullptr);
  mwt_writer_free(w);
  mwt_file* f = nullptr;
  REQUIRE(mwt_file_open(path.c_str(), nullptr, &f) == nullptr);
  const char* s = nullptr;
  size_t n = 0;
  REQUIRE(mwt_file_metadata_get_string(f, 0, &s, &n) == nullptr);
  std::string copy(n, '\0');
  REQUIRE(mwt_file_copy_bytes(f, s, n, copy.data()) == nullptr);  // unchanged: a plain copy
  CHECK(copy == name);
  CHECK(mwt_file_metadata_find(f, "general.last", 12) == 1);
  CHECK(mwt_file_metadata_find(f, "absent", 6) == -1);
  REQUIRE(::truncate(path.c_str(), 0) == 0);
  CHECK(is_changed_while_mapped(mwt_file_copy_bytes(f, s, n, copy.data()), path));
  CHECK(mwt_file_metadata_find(f, "general.last", 12) == -2);  // not a wrong "absent"
  CHECK(mwt_file_metadata_find(f, "absent", 6) == -2);
  CHECK(mwt_file_copy_bytes(f, nullptr, 0, nullptr) == nullptr);
  mwt_file_free(f);
  std::filesystem::remove(path);
}

TEST_CASE("io.mmap 0 reads into private memory that a truncation cannot reach", "[sigbus]") {
  const std::string path = make_file("private");
  auto f = MappedFile::open(path, /*map=*/false);
  const uint8_t* p = f->data();
  REQUIRE(::truncate(path.c_str(), 0) == 0);
  std::vector<float> dst(kValues);
  CHECK(mwt_dequantize(MWT_DTYPE_Q8_0, p, kBytes, dst.data(), kValues) == nullptr);
  CHECK(dst[kValues - 1] == 1.0f);
  CHECK(p[kBytes - 1] == 1);  // a plain read of the bytes too
  std::filesystem::remove(path);
}

TEST_CASE("SIGBUS outside the guard's reach goes to the previous handler", "[sigbus]") {
  const int status = run_hidden_case("sigbus child: the previous handler is chained", false);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("the off switch leaves a guarded read of a shrunk map fatal", "[sigbus]") {
  const int status = run_hidden_case("sigbus child: off switch", true);
  if (kAsan)
    CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));
  else
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS));
}

TEST_CASE("sigbus child: the previous handler is chained", "[.sigbus_child]") {
  REQUIRE(!mwt::detail::sigbus_guard_installed());  // a fresh process
  struct sigaction sa {};
  sa.sa_sigaction = test_handler;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  REQUIRE(::sigaction(SIGBUS, &sa, nullptr) == 0);

  const std::string path = make_file("chain");
  auto f = MappedFile::open(path);
  REQUIRE(mwt::detail::sigbus_guard_installed());  // installed over the test handler

  // A sent SIGBUS (no fault) reaches the test handler.
  ::raise(SIGBUS);
  CHECK(g_calls == 1);
  CHECK(g_last_code <= 0);

  // A guarded read of mwt's shrunk map is the guard's: the test handler is not called.
  REQUIRE(::truncate(path.c_str(), 0) == 0);
  std::vector<uint8_t> out(kBytes);
  CHECK(code_of([&] { f->read_into(0, kBytes, out.data()); }) == Code::IO);
  CHECK(g_calls == 1);

  // A fault on a map that is not mwt's, inside a guarded region, is passed on.
  const std::string foreign_path = make_file("foreign");
  const int fd = ::open(foreign_path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  void* foreign = ::mmap(nullptr, kBytes, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  REQUIRE(foreign != MAP_FAILED);
  REQUIRE(::truncate(foreign_path.c_str(), 0) == 0);
  bool took = false;
  mwt::detail::run_guarded([&] { took = read_faults(static_cast<const uint8_t*>(foreign)); });
  CHECK(took);
  CHECK(g_calls == 2);
  CHECK(g_last_code == BUS_ADRERR);

  // A fault on mwt's own map outside any guarded region (a caller's view) is passed on too.
  const std::string view_path = make_file("view");
  auto v = MappedFile::open(view_path);
  REQUIRE(::truncate(view_path.c_str(), 0) == 0);
  CHECK(read_faults(v->data() + kBytes / 2));
  CHECK(g_calls == 3);
  CHECK(g_last_code == BUS_ADRERR);

  ::munmap(foreign, kBytes);
  std::filesystem::remove(path);
  std::filesystem::remove(foreign_path);
  std::filesystem::remove(view_path);
}

TEST_CASE("sigbus child: off switch", "[.sigbus_child]") {
  REQUIRE(std::getenv("MWT_NO_SIGBUS_GUARD") != nullptr);
  const std::string path = make_file("off");
  auto f = MappedFile::open(path);
  REQUIRE(!mwt::detail::sigbus_guard_installed());
  REQUIRE(::truncate(path.c_str(), 0) == 0);
  std::filesystem::remove(path);  // the child dies below: leave nothing behind
  std::vector<uint8_t> out(kBytes);
  f->read_into(0, kBytes, out.data());  // SIGBUS
  FAIL("the read of a shrunk map returned");
}
