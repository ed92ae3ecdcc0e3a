/* mwt_stats.h: the integrity pass of the C ABI (`mwt validate`, `mwt inspect --stats`),
 * included by mwt.h (include mwt.h, not this file). Same conventions, thread-safety and tiers as
 * mwt.h states at its top. */
#ifndef MWT_STATS_H
#define MWT_STATS_H
#ifndef MWT_H
#error "include mwt/mwt.h, which includes mwt_stats.h"
#endif

/* -------------------------------------------- integrity and statistics [experimental] */

/* Progress of a long call: done_bytes of total_bytes of tensor data read so far. Return 0 to
 * go on, non-zero to cancel the call. Called on the thread that made the call only (never from
 * a worker thread), at most every ~50 ms, with done_bytes == 0 first and == total_bytes last
 * (unless cancelled). */
typedef int (*mwt_progress_fn)(uint64_t done_bytes, uint64_t total_bytes, void* user);

/* [experimental: the members may change] Reads every tensor of `file` once and reports, as one
 * JSON object (UTF-8, NUL-terminated, *len bytes without the NUL; free it with
 * mwt_string_free): per tensor its value statistics (count, finite, nan, inf, zero, min, max,
 * absmax, mean, std over the finite values; quantized types over their dequantized values),
 * a 64-bit content hash, and what the block-scale rules found; then the issues (NaN or Inf
 * values, all-zero tensors, non-finite or negative block scales, duplicated tensors), the
 * duplicate groups (equal bytes, confirmed by comparison), the counts of errors and warnings
 * and "ok" (no error). Members and rules: docs/validation.md.
 * n_threads: 0 = the default (MWT_NUM_THREADS or the CPU count); the numbers do not depend on
 * it. progress may be NULL; user is passed to it. A cancelled call succeeds with a report whose
 * "cancelled" is true, "ok" false and no tensors. Reads through the maps are guarded ("Mapped
 * files"): a file that shrank is MWT_E_IO. Thread-safety: as every const mwt_file* call; the
 * call starts and joins its own threads. */
MWT_API MWT_NODISCARD mwt_status* mwt_file_stats(const mwt_file* file, uint32_t n_threads,
                                                 mwt_progress_fn progress, void* user, char** json,
                                                 size_t* len);

#endif /* MWT_STATS_H */
