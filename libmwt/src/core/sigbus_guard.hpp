// The SIGBUS guard: a file mwt has mapped that shrinks (truncated or rewritten in place by
// another process) makes every read of a page past its new end raise SIGBUS, which kills the
// process by default. libmwt's own reads of mapped data run in guarded regions; a fault there
// becomes Error(IO) "'<path>' changed while mapped ..." and the process lives on
// (docs/readers.md#files-that-change-while-mapped).
//
// How it recovers (no longjmp, so no C++ frame is skipped and worker threads need nothing
// special): the handler, installed once with sigaction when the first mapping is registered,
// recovers a fault only when its address (si_addr) lies in a registered mwt mapping AND the
// faulting thread is inside a guarded region. It then maps anonymous zero pages over the
// faulting page (mmap MAP_FIXED), marks the mapping as faulted, counts the fault on the thread
// and returns: the read resumes on zeros, and the region that read them reports the error when
// it ends. Any other SIGBUS goes to the handler that was installed before (SIG_DFL: restored and
// re-delivered, so the process dies of SIGBUS as it would have; a function: called).
//
// Off switch: MWT_NO_SIGBUS_GUARD set to anything but "" or "0" when the first file is mapped
// (read once per process) installs no handler; reads of a shrunk file then die as before.
#pragma once
#include <cstdint>
#include <string>
#include <type_traits>

namespace mwt::detail {

// Registers [base, base + size) as a mapping of `path` (installing the handler on first use)
// and returns its slot, or -1 when the registry is full (the mapping is then unguarded).
int register_mapping(const void* base, uint64_t size, const std::string& path) noexcept;
// Removes the slot (before the range is unmapped). -1 is ignored.
void unregister_mapping(int slot) noexcept;

// Whether the handler is installed (false under the off switch or before the first mapping).
bool sigbus_guard_installed() noexcept;

// A guarded region on this thread (nestable; RAII). Thread-safe: each thread counts its own.
class SigbusScope {
 public:
  SigbusScope() noexcept;
  ~SigbusScope();
  SigbusScope(const SigbusScope&) = delete;
  SigbusScope& operator=(const SigbusScope&) = delete;
  // A fault on an mwt mapping was recovered on this thread since the scope began.
  bool faulted() const noexcept;
  // Throws Error(IO) "'<path>' changed while mapped ..." when faulted().
  void check() const;

 private:
  uint32_t faults_at_entry_;
};

// Whether this thread is inside a guarded region (run_split carries it to its workers).
bool in_sigbus_scope() noexcept;
// Faults recovered on this thread so far (wraps): a change across a span means one happened in
// it (AtomicFile refuses to publish a file written from zeros that way).
uint32_t sigbus_fault_count() noexcept;
// Error(IO) "'<path>' changed while mapped ..." naming the file of this thread's latest
// recovered fault.
[[noreturn]] void fail_changed_while_mapped();

// Runs fn in a guarded region. A fault recovered during it is Error(IO) naming the file, also
// when fn itself threw (e.g. a parser that met the zeros): that exception is replaced.
template <typename F>
void run_guarded(F&& fn) {
  SigbusScope scope;
  try {
    fn();
  } catch (...) {
    scope.check();
    throw;
  }
  scope.check();
}

// Error(IO) "'<path>' changed while mapped ..." when an mwt mapping overlapping [p, p + n) has
// faulted at any time (its pages past the fault read as zeros from then on). Cheap when no
// mapping ever faulted.
void require_unchanged(const void* p, uint64_t n);

}  // namespace mwt::detail
