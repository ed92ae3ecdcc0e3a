// The shard files of a sharded safetensors checkpoint: the model directory they must stay in,
// opening one (path containment checked), and a pool of threads that reads many in parallel.
#pragma once
#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/mapped_file.hpp"
#include "formats/open.hpp"
#include "formats/weight_file.hpp"

namespace mwt::detail {

// "'path'", escaped and truncated for messages.
std::string shown(const std::string& path);

// The model directory: its canonical path (for the containment check of the slow path and its
// messages) and a descriptor the kernel resolves shard names beneath.
struct ModelDir {
  std::string path, real;
  int fd = -1;
  explicit ModelDir(const std::string& dir);
  ~ModelDir();
  ModelDir(const ModelDir&) = delete;
  ModelDir& operator=(const ModelDir&) = delete;
};

// A shard name from the index must stay a relative path below the model directory:
// PATH_ESCAPE (at `at`, naming `field`) otherwise.
void check_shard_name(const std::string& name, uint64_t at, const std::string& field);

// Opens and validates shard `name` (checked by check_shard_name) of `dir`; its errors name the
// shard, path errors the index entry at `at`.
std::unique_ptr<WeightFile> read_shard(const ModelDir& dir, const std::string& name, uint64_t at,
                                       const OpenOptions& opts);

// One shard's outcome: the file, or the error reading it raised.
struct ShardResult {
  std::unique_ptr<WeightFile> wf;
  std::exception_ptr error;
};

// Reads the shards `names` (offsets `ats` for path errors) on up to kMaxReaders threads
// (opening a 30-shard checkpoint is mostly syscalls and header parsing, which overlap well).
// start() launches the helper threads and returns at once; finish() has the calling thread
// read what is left, waits for the helpers, and returns one result per name, in order. The
// destructor stops and joins helpers still running (a caller that failed meanwhile).
class ShardPool {
 public:
  static constexpr unsigned kMaxReaders = 8;
  ShardPool(const ModelDir& dir, std::vector<std::string> names, std::vector<uint64_t> ats,
            const OpenOptions& opts);
  ~ShardPool();
  ShardPool(const ShardPool&) = delete;
  ShardPool& operator=(const ShardPool&) = delete;

  // helpers: threads besides the caller (0: the caller does everything in finish()).
  void start(unsigned helpers);
  std::vector<ShardResult> finish();
  const std::vector<std::string>& names() const noexcept { return names_; }

 private:
  void work() noexcept;
  void join() noexcept;

  const ModelDir& dir_;
  const OpenOptions& opts_;
  std::vector<std::string> names_;
  std::vector<uint64_t> ats_;
  std::vector<ShardResult> results_;
  std::atomic<size_t> next_{0};
  std::vector<std::thread> threads_;
};

// How many threads a pool over n shards should use in all (caller included).
unsigned shard_reader_count(size_t n) noexcept;

}  // namespace mwt::detail
