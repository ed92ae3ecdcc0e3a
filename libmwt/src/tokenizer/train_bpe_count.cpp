// Word counting for the trainer: the corpus cut into chunks of whole lines, threads taking
// chunks from a shared counter, each splitting its lines (GPT-2 split) into a private hash table
// of words, the tables merged at the end. The counts do not depend on the thread count.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "core/error.hpp"
#include "core/json_text.hpp"
#include "core/mapped_file.hpp"
#include "core/thread_split.hpp"
#include "tokenizer/train_bpe.hpp"

namespace mwt::detail::tok::train {
namespace {

constexpr size_t kChunkBytes = size_t{1} << 20;
constexpr auto kProgressEvery = std::chrono::milliseconds(50);

uint64_t hash_bytes(const char* p, size_t n) noexcept {
  // 8 bytes at a time, multiply-xorshift mixing; words are short, so the tail loop matters.
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xC2B2AE3D27D4EB4Full);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 32;
  h *= 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}

// Open addressing, linear probing, kept under half full; words stored in an arena.
class WordTable {
 public:
  WordTable() { slots_.resize(1 << 12); }
  void add(const char* p, size_t n, uint64_t count) {
    const uint64_t h = hash_bytes(p, n);
    size_t i = h & (slots_.size() - 1);
    for (;;) {
      Slot& s = slots_[i];
      if (s.count == 0) break;
      if (s.hash == h && s.len == n && std::memcmp(arena_.data() + s.off, p, n) == 0) {
        s.count += count;
        return;
      }
      i = (i + 1) & (slots_.size() - 1);
    }
    if (n > UINT32_MAX) fail(Code::LIMIT_EXCEEDED, "a pre-tokenized word above 4 GiB");
    slots_[i] = Slot{h, count, arena_.size(), static_cast<uint32_t>(n)};
    arena_.append(p, n);
    if (++size_ * 2 > slots_.size()) grow();
  }
  void merge_into(WordTable& into) const {
    for (const Slot& s : slots_)
      if (s.count != 0) into.add(arena_.data() + s.off, s.len, s.count);
  }
  void export_to(WordCounts& out) const {
    out.arena.reserve(arena_.size());
    out.spans.reserve(size_);
    out.counts.reserve(size_);
    for (const Slot& s : slots_) {
      if (s.count == 0) continue;
      out.spans.emplace_back(out.arena.size(), s.len);
      out.arena.append(arena_.data() + s.off, s.len);
      out.counts.push_back(s.count);
    }
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint64_t count = 0;  // 0: empty
    uint64_t off = 0;
    uint32_t len = 0;
  };
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.count == 0) continue;
      size_t i = s.hash & (slots_.size() - 1);
      while (slots_[i].count != 0) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
  std::string arena_;
};

// One unit of work: sequences [begin, end) of one source. For a file the sequences are its
// lines; for in-memory texts the chunk is a run of whole texts.
struct Chunk {
  size_t source = 0;            // file index, or the first text's index
  uint64_t begin = 0, end = 0;  // byte range in the file; for texts, [first, last) text index
  uint64_t bytes = 0;
};

struct Source {
  std::string name;  // the error field: the path, or texts[i]
  const char* data = nullptr;
  size_t size = 0;
};

struct Worker {
  WordTable table;
  uint64_t sequences = 0, words = 0;
  std::vector<std::pair<size_t, size_t>> pieces;
};

// Splits one sequence and counts its words.
void count_sequence(const Gpt2Splitter& splitter, Worker& w, std::string_view seq) {
  w.pieces.clear();
  splitter.split(seq, w.pieces);
  for (const auto& [b, e] : w.pieces) w.table.add(seq.data() + b, e - b, 1);
  w.words += w.pieces.size();
  ++w.sequences;
}

// Joins every thread of `pool` when it goes; when it goes during unwinding it first tells
// them to stop.
struct JoinAll {
  JoinAll(std::vector<std::thread>& p, std::atomic<bool>& c) : pool(p), cancelled(c) {}
  std::vector<std::thread>& pool;
  std::atomic<bool>& cancelled;
  int exceptions = std::uncaught_exceptions();
  void finish() {
    for (auto& t : pool)
      if (t.joinable()) t.join();
  }
  JoinAll(const JoinAll&) = delete;
  JoinAll& operator=(const JoinAll&) = delete;
  ~JoinAll() {
    if (std::uncaught_exceptions() > exceptions) cancelled = true;
    finish();
  }
};

// Runs `work(chunk, worker)` over every chunk on `threads` threads (the caller's among them),
// reporting progress from the caller's thread. A failing chunk's exception is rethrown, the one
// of the lowest failing chunk so the error does not depend on timing; chunks after it are
// skipped. Returns false when progress cancelled.
template <typename Work>
bool run_chunks(const std::vector<Chunk>& chunks, uint64_t total_bytes, unsigned threads,
                const Progress& progress, std::vector<Worker>& workers, const Work& work) {
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> done_bytes{0};
  std::atomic<bool> cancelled{false};
  std::atomic<size_t> first_error{SIZE_MAX};
  std::mutex mu;
  std::condition_variable cv;
  std::exception_ptr error;
  size_t running = 0;

  auto loop = [&](Worker& w, const auto& after_chunk) {
    for (;;) {
      const size_t i = next.fetch_add(1);
      if (i >= chunks.size() || cancelled.load() || i > first_error.load()) return;
      try {
        work(chunks[i], w);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (i < first_error.load()) {
          first_error = i;
          error = std::current_exception();
        }
      }
      done_bytes += chunks[i].bytes;
      after_chunk();
    }
  };

  threads = std::max(
      1u, std::min<unsigned>(threads, static_cast<unsigned>(std::max<size_t>(1, chunks.size()))));
  workers.resize(threads);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  {
    // Whatever leaves this block (a throwing progress callback included) stops and joins the
    // workers first: no thread outlives the call.
    JoinAll join{pool, cancelled};
    for (unsigned t = 1; t < threads; ++t) {
      {
        std::lock_guard<std::mutex> lock(mu);
        ++running;
      }
      try {
        pool.emplace_back([&, t] {
          loop(workers[t], [] {});
          std::lock_guard<std::mutex> lock(mu);
          --running;
          cv.notify_all();
        });
      } catch (const std::system_error&) {  // no more threads: the ones started do the work
        std::lock_guard<std::mutex> lock(mu);
        --running;
        break;
      }
    }
    auto last_report = std::chrono::steady_clock::now();
    auto report = [&](bool force) {
      if (!progress || cancelled.load()) return;
      const auto now = std::chrono::steady_clock::now();
      if (!force && now - last_report < kProgressEvery) return;
      last_report = now;
      if (!progress(Stage::COUNT, std::min(done_bytes.load(), total_bytes), total_bytes))
        cancelled = true;
    };
    report(true);
    // The caller's share, one chunk at a time so it can report between chunks.
    loop(workers[0], [&] { report(false); });
    {
      std::unique_lock<std::mutex> lock(mu);
      while (running > 0) {
        cv.wait_for(lock, kProgressEvery);
        lock.unlock();
        report(false);
        lock.lock();
      }
    }
    join.finish();
    if (!error && !cancelled.load()) report(true);
  }
  if (error) std::rethrow_exception(error);
  return !cancelled.load();
}

WordCounts collect(std::vector<Worker>& workers, uint64_t bytes) {
  WordCounts out;
  out.bytes = bytes;
  for (size_t t = 1; t < workers.size(); ++t) {
    workers[t].table.merge_into(workers[0].table);
    workers[t].table = WordTable();
  }
  for (const Worker& w : workers) {
    out.sequences += w.sequences;
    out.total_words += w.words;
  }
  if (!workers.empty()) workers[0].table.export_to(out);
  return out;
}

unsigned thread_count(unsigned threads) {
  return threads == 0 ? default_thread_count() : std::min(threads, kMaxThreads);
}

const Gpt2Splitter& splitter() {
  static const Gpt2Splitter s;
  return s;
}

}  // namespace

std::optional<WordCounts> count_words_in_files(const std::vector<std::string>& paths,
                                               unsigned threads, const Progress& progress) {
  std::vector<std::shared_ptr<MappedFile>> files;
  std::vector<Source> sources;
  std::vector<Chunk> chunks;
  uint64_t total = 0;
  for (size_t f = 0; f < paths.size(); ++f) {
    files.push_back(MappedFile::open(paths[f]));
    const auto* data = reinterpret_cast<const char*>(files.back()->data());
    const size_t size = files.back()->size();
    sources.push_back(Source{paths[f], data, size});
    total += size;
    // Chunks end just after a '\n' (or at the end of the file), so no line is cut.
    size_t begin = 0;
    while (begin < size) {
      size_t end = std::min(size, begin + kChunkBytes);
      if (end < size) {
        const void* nl = std::memchr(data + end, '\n', size - end);
        end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data) + 1 : size;
      }
      chunks.push_back(Chunk{f, begin, end, end - begin});
      begin = end;
    }
  }
  const Gpt2Splitter& sp = splitter();
  std::vector<Worker> workers;
  auto work = [&](const Chunk& c, Worker& w) {
    const Source& src = sources[c.source];
    const char* p = src.data + c.begin;
    const size_t n = c.end - c.begin;
    require_utf8(reinterpret_cast<const uint8_t*>(p), n, c.begin, src.name.c_str());
    size_t i = 0;
    while (i < n) {
      const void* nl = std::memchr(p + i, '\n', n - i);
      const size_t e = nl ? static_cast<size_t>(static_cast<const char*>(nl) - p) + 1 : n;
      count_sequence(sp, w, std::string_view(p + i, e - i));
      i = e;
    }
  };
  if (!run_chunks(chunks, total, thread_count(threads), progress, workers, work))
    return std::nullopt;
  return collect(workers, total);
}

std::optional<WordCounts> count_words_in_texts(std::span<const std::string_view> texts,
                                               unsigned threads, const Progress& progress) {
  std::vector<Chunk> chunks;
  uint64_t total = 0;
  size_t first = 0;
  uint64_t bytes = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    bytes += texts[i].size();
    total += texts[i].size();
    if (bytes >= kChunkBytes || i + 1 == texts.size()) {
      chunks.push_back(Chunk{first, first, i + 1, bytes});
      first = i + 1;
      bytes = 0;
    }
  }
  const Gpt2Splitter& sp = splitter();
  std::vector<Worker> workers;
  auto work = [&](const Chunk& c, Worker& w) {
    for (uint64_t i = c.begin; i < c.end; ++i) {
      const std::string_view t = texts[i];
      require_utf8(reinterpret_cast<const uint8_t*>(t.data()), t.size(), 0,
                   ("texts[" + std::to_string(i) + "]").c_str());
      count_sequence(sp, w, t);
    }
  };
  if (!run_chunks(chunks, total, thread_count(threads), progress, workers, work))
    return std::nullopt;
  return collect(workers, total);
}

}  // namespace mwt::detail::tok::train
