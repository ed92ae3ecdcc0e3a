// Range splitting, the thread runner and the default thread count (core/thread_split.hpp).
#include "core/thread_split.hpp"

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <system_error>
#include <thread>
#include <vector>

#include "core/sigbus_guard.hpp"

namespace mwt::detail {
namespace {

// Joins every started thread on scope exit, so no path (an exception included) leaves a
// joinable std::thread behind, whose destructor would call std::terminate.
class ThreadGroup {
 public:
  explicit ThreadGroup(size_t capacity) { threads_.reserve(capacity); }
  ThreadGroup(const ThreadGroup&) = delete;
  ThreadGroup& operator=(const ThreadGroup&) = delete;
  ~ThreadGroup() { join(); }

  // False when the system cannot start another thread (std::system_error from std::thread).
  template <typename F>
  bool try_start(F&& f) {
    try {
      threads_.emplace_back(std::forward<F>(f));  // capacity reserved: never reallocates
      return true;
    } catch (const std::system_error&) {
      return false;
    }
  }

  void join() noexcept {
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

 private:
  std::vector<std::thread> threads_;
};

}  // namespace

Range split_range(uint64_t n, unsigned parts, unsigned i) noexcept {
  const uint64_t base = n / parts, extra = n % parts;
  const uint64_t begin = i * base + std::min<uint64_t>(i, extra);
  return {begin, begin + base + (i < extra ? 1 : 0)};
}

void run_split(uint64_t n, unsigned parts, const std::function<void(Range)>& fn) {
  if (parts <= 1) {
    fn({0, n});
    return;
  }
  // One slot per range; each is written only by the thread running that range, and read here
  // after every thread has been joined.
  std::vector<std::exception_ptr> errors(parts);
  // A caller inside a SIGBUS-guarded region (core/sigbus_guard.hpp) has each range guarded
  // too, on whichever thread runs it: a fault there is that range's Error(IO).
  const bool guarded = in_sigbus_scope();
  auto run_part = [&fn, &errors, n, parts, guarded](unsigned i) noexcept {
    try {
      if (guarded)
        run_guarded([&] { fn(split_range(n, parts, i)); });
      else
        fn(split_range(n, parts, i));
    } catch (...) {
      errors[i] = std::current_exception();
    }
  };
  {
    ThreadGroup group(parts - 1);
    unsigned i = 1;
    for (; i < parts; ++i)
      if (!group.try_start([&run_part, i] { run_part(i); })) break;
    for (; i < parts; ++i) run_part(i);  // threads refused: finish on this thread
    run_part(0);
  }  // joins
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

unsigned select_thread_count(const char* env_value, unsigned cpu_count) noexcept {
  const unsigned fallback = std::clamp(cpu_count, 1u, kMaxThreads);
  if (env_value == nullptr || *env_value == '\0') return fallback;
  uint64_t value = 0;
  for (const char* p = env_value; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') return fallback;
    value = std::min<uint64_t>(value * 10 + static_cast<uint64_t>(*p - '0'), kMaxThreads);
  }
  return value == 0 ? fallback : static_cast<unsigned>(value);
}

unsigned cpu_thread_count() noexcept { return std::max(std::thread::hardware_concurrency(), 1u); }

unsigned default_thread_count() noexcept {
  static const unsigned count =
      select_thread_count(std::getenv("MWT_NUM_THREADS"), cpu_thread_count());
  return count;
}

}  // namespace mwt::detail
