// The SIGBUS guard (core/sigbus_guard.hpp): the registry of mwt's mappings, the handler and the
// guarded regions.
//
// Async-signal safety: the handler touches only lock-free atomics (the slot table, the
// installed flag), one initial-exec thread-local (static TLS: reading it never allocates, on a
// thread that never entered a region as on any other), mmap and sigaction (system calls), and
// the previous handler. Registration, the paths and the checks run outside the handler under a
// mutex the handler never takes.
#include "core/sigbus_guard.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <vector>

#include "core/error.hpp"

namespace mwt::detail {
namespace {

// The most mappings guarded at once (shards of every open checkpoint); more stay unguarded.
constexpr int kSlots = 1 << 14;
// The most bytes one recovered fault replaces with zeros: the faulting page and those after it
// up to the mapping's end (all past the file's new end), so a large read faults rarely.
constexpr uintptr_t kZeroSpan = uintptr_t{1} << 20;

// A registered range [begin, end); begin 0 is a free slot. Registration stores end, then begin
// (release); removal clears begin first. The handler reads begin, end, then begin again and
// trusts the pair only when both reads of begin agree.
struct Slot {
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<uint32_t> faulted{0};
};
Slot g_slots[kSlots];
std::atomic<int> g_high{0};  // slots [0, g_high) may be in use
std::atomic<bool> g_any_fault{false};
std::atomic<bool> g_installed{false};
uintptr_t g_page = 4096;     // set before the handler is installed
struct sigaction g_previous  // the handler before ours (valid once g_installed)
{};

// Outside the handler only.
std::mutex g_mutex;
std::deque<int> g_free;            // freed slots, reused oldest first (a path outlives its slot)
std::vector<std::string> g_paths;  // by slot; kept after removal for late messages

struct ThreadState {
  int depth;        // guarded regions entered on this thread
  uint32_t faults;  // faults recovered on this thread (wraps)
  int last_slot;    // the slot of the latest
};
[[gnu::tls_model("initial-exec")]] thread_local ThreadState t_state = {0, 0, -1};

// The slot whose range holds address a, or -1 (async-signal-safe).
int find_slot(uintptr_t a, uintptr_t* begin, uintptr_t* end) noexcept {
  const int high = g_high.load(std::memory_order_acquire);
  for (int i = 0; i < high; ++i) {
    const uintptr_t b = g_slots[i].begin.load(std::memory_order_acquire);
    if (b == 0 || a < b) continue;
    const uintptr_t e = g_slots[i].end.load(std::memory_order_acquire);
    if (a >= e || g_slots[i].begin.load(std::memory_order_acquire) != b) continue;
    *begin = b;
    *end = e;
    return i;
  }
  return -1;
}

// Hands the signal to the handler installed before ours, as if ours were not there.
void chain(int sig, siginfo_t* info, void* context) noexcept {
  const struct sigaction& prev = g_previous;
  const bool sent = info == nullptr || info->si_code <= 0;  // kill/raise/sigqueue, not a fault
  if ((prev.sa_flags & SA_SIGINFO) != 0) {
    if (prev.sa_sigaction != nullptr) prev.sa_sigaction(sig, info, context);
    return;
  }
  if (prev.sa_handler == SIG_IGN && sent) return;  // a sent SIGBUS the host ignores
  if (prev.sa_handler == SIG_DFL || prev.sa_handler == SIG_IGN) {
    // The default action, as the kernel would have taken it (a fault cannot be ignored): with
    // SIG_DFL back in place, a fault happens again when the instruction resumes, and a sent
    // signal is raised again (blocked until this handler returns).
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(sig, &dfl, nullptr);
    if (sent) ::raise(sig);
    return;
  }
  prev.sa_handler(sig);
}

extern "C" void mwt_sigbus_handler(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  ThreadState& ts = t_state;
  if (ts.depth > 0 && info != nullptr && info->si_code > 0) {
    const auto a = reinterpret_cast<uintptr_t>(info->si_addr);
    uintptr_t begin = 0, end = 0;
    const int slot = find_slot(a, &begin, &end);
    if (slot >= 0) {
      const uintptr_t from = a & ~(g_page - 1);
      uintptr_t to = (end + g_page - 1) & ~(g_page - 1);
      if (to - from > kZeroSpan) to = from + kZeroSpan;
      void* p = ::mmap(reinterpret_cast<void*>(from), static_cast<size_t>(to - from), PROT_READ,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      if (p != MAP_FAILED) {
        g_slots[slot].faulted.store(1, std::memory_order_release);
        g_any_fault.store(true, std::memory_order_release);
        ts.faults += 1;
        ts.last_slot = slot;
        errno = saved_errno;
        return;  // the read resumes on zeros
      }
    }
  }
  errno = saved_errno;
  chain(sig, info, context);
}

bool guard_disabled_by_environment() noexcept {
  const char* v = std::getenv("MWT_NO_SIGBUS_GUARD");
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

void install_handler() noexcept {
  if (guard_disabled_by_environment()) return;
  const long page = ::sysconf(_SC_PAGESIZE);
  if (page > 0) g_page = static_cast<uintptr_t>(page);
  struct sigaction sa {};
  sa.sa_sigaction = mwt_sigbus_handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  // The previous handler is read before ours is in place, so a SIGBUS on another thread in
  // between never finds g_previous half-written.
  if (::sigaction(SIGBUS, nullptr, &g_previous) != 0) return;
  if (::sigaction(SIGBUS, &sa, nullptr) == 0) g_installed.store(true);
}

[[noreturn]] void fail_changed(int slot) {  // slot -1: the file is not known
  std::string path;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (slot >= 0 && static_cast<size_t>(slot) < g_paths.size()) path = g_paths[slot];
  }
  // Appended, not "'" + ...: GCC 12 warns falsely (-Wrestrict) about operator+ there.
  std::string msg;
  if (path.empty()) {
    msg = "a file mwt mapped";
  } else {
    msg = "'";
    msg += escape_for_message(path, 512);
    msg += '\'';
  }
  msg +=
      " changed while mapped: a read of it faulted (the file shrank, truncated or rewritten by "
      "another process, or its storage failed); open it again, or open files that may change "
      "with io.mmap=0";
  fail(Code::IO, msg);
}

}  // namespace

int register_mapping(const void* base, uint64_t size, const std::string& path) noexcept {
  static std::once_flag once;
  std::call_once(once, install_handler);
  if (base == nullptr || size == 0) return -1;
  try {
    std::lock_guard<std::mutex> lock(g_mutex);
    int slot;
    // Fresh slots first while few are in use, so a freed slot's path lasts for late messages.
    if (!g_free.empty() && (g_free.size() > 64 || g_high.load() >= kSlots)) {
      slot = g_free.front();
      g_free.pop_front();
    } else {
      slot = g_high.load(std::memory_order_relaxed);
      if (slot >= kSlots) return -1;
    }
    if (g_paths.size() <= static_cast<size_t>(slot)) g_paths.resize(static_cast<size_t>(slot) + 1);
    g_paths[slot] = path;
    Slot& s = g_slots[slot];
    s.faulted.store(0, std::memory_order_relaxed);
    s.end.store(reinterpret_cast<uintptr_t>(base) + size, std::memory_order_release);
    s.begin.store(reinterpret_cast<uintptr_t>(base), std::memory_order_release);
    if (slot >= g_high.load(std::memory_order_relaxed))
      g_high.store(slot + 1, std::memory_order_release);
    return slot;
  } catch (...) {
    return -1;  // no memory for the path: this mapping is unguarded
  }
}

void unregister_mapping(int slot) noexcept {
  if (slot < 0 || slot >= kSlots) return;
  g_slots[slot].begin.store(0, std::memory_order_release);
  g_slots[slot].end.store(0, std::memory_order_release);
  try {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_free.push_back(slot);
  } catch (...) {
    // The slot is lost to reuse (no memory for the free list); it stays empty.
  }
}

bool sigbus_guard_installed() noexcept { return g_installed.load(); }

SigbusScope::SigbusScope() noexcept : faults_at_entry_(t_state.faults) { ++t_state.depth; }
SigbusScope::~SigbusScope() { --t_state.depth; }
bool SigbusScope::faulted() const noexcept { return t_state.faults != faults_at_entry_; }
void SigbusScope::check() const {
  if (faulted()) fail_changed(t_state.last_slot);
}

bool in_sigbus_scope() noexcept { return t_state.depth > 0; }
uint32_t sigbus_fault_count() noexcept { return t_state.faults; }
void fail_changed_while_mapped() { fail_changed(t_state.last_slot); }

void require_unchanged(const void* p, uint64_t n) {
  if (!g_any_fault.load(std::memory_order_acquire) || p == nullptr || n == 0) return;
  const auto lo = reinterpret_cast<uintptr_t>(p);
  const uintptr_t hi = n > UINTPTR_MAX - lo ? UINTPTR_MAX : lo + static_cast<uintptr_t>(n);
  const int high = g_high.load(std::memory_order_acquire);
  for (int i = 0; i < high; ++i) {
    const Slot& s = g_slots[i];
    const uintptr_t b = s.begin.load(std::memory_order_acquire);
    if (b == 0 || s.faulted.load(std::memory_order_acquire) == 0) continue;
    if (lo < s.end.load(std::memory_order_acquire) && b < hi) fail_changed(i);
  }
}

}  // namespace mwt::detail
