// Splitting kernel work over threads: [0, n) is cut into contiguous ranges of near-equal size,
// one per thread, on plain std::thread (started per call, joined before returning, so no thread
// outlives a call). How many threads a call may use by default is decided here too: the CPU
// count, or the environment variable MWT_NUM_THREADS.
#pragma once
#include <cstdint>
#include <functional>

namespace mwt::detail {

// The most threads one call starts, whatever it asks for.
inline constexpr unsigned kMaxThreads = 256;

struct Range {
  uint64_t begin;
  uint64_t end;
};

// Part `i` (0-based, i < parts) of [0, n) cut into `parts` contiguous ranges: the first n % parts
// ranges hold n / parts + 1 units, the rest n / parts. parts must be >= 1.
Range split_range(uint64_t n, unsigned parts, unsigned i) noexcept;

// Calls fn on each of the `parts` ranges of [0, n) (split_range), ranges 1.. on new threads and
// range 0 on the caller's, and returns once all have finished. parts <= 1 calls fn(0, n) on the
// caller's thread only. When the system refuses a thread, that range and the ones after it run
// on the caller's thread instead, so the call still completes. If any call of fn throws, every
// range still runs to its end, then the exception of the lowest-numbered failing range is
// rethrown here. fn must be safe to call concurrently on disjoint ranges.
void run_split(uint64_t n, unsigned parts, const std::function<void(Range)>& fn);

// The MWT_NUM_THREADS rule as a pure function: a decimal integer >= 1 (clamped to kMaxThreads)
// is the thread count; nullptr, "" or anything else (signs, spaces, 0, non-digits) gives
// `cpu_count` (at least 1, at most kMaxThreads).
unsigned select_thread_count(const char* env_value, unsigned cpu_count) noexcept;

// std::thread::hardware_concurrency(), or 1 when that is unknown (0).
unsigned cpu_thread_count() noexcept;

// The process-wide default: select_thread_count(getenv("MWT_NUM_THREADS"), cpu_thread_count()),
// computed once on first use (thread-safe); later changes to the environment are not seen.
unsigned default_thread_count() noexcept;

}  // namespace mwt::detail
