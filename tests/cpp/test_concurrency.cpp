// Concurrency through the C ABI only (mwt.h's "Thread safety" section), 8 threads at once:
// each thread on its own handles, and all threads on one shared handle per file (a GGUF and a
// two-shard safetensors checkpoint whose shards are mapped by the first tensor-data call, under
// the once-flag). Every thread reads metadata (find, scalars, arrays, strings), the tensor
// table and tensor data, dequantizes (itself split over 2 threads), quantizes, and runs scheme
// detection (mwt_file_quantization); its results must equal, byte for byte, those of the same
// work done on one thread first. `make test-tsan` runs these under ThreadSanitizer, where any
// data race in the library fails the run. Catch2 assertions are not thread-safe, so workers
// only record results; the main thread checks them after joining.
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <latch>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "mwt/mwt.h"

namespace {

constexpr int kThreads = 8;
constexpr int kRounds = 2;

// A failed call as text (the status freed), or "" for success.
std::string err(mwt_status* s) {
  if (!s) return std::string();
  std::string msg = std::to_string(static_cast<int>(mwt_status_code(s))) + ": " +
                    (mwt_status_message(s) ? mwt_status_message(s) : "");
  mwt_status_free(s);
  return msg.empty() ? std::string("error") : msg;
}

void require_ok(mwt_status* s) {
  const std::string e = err(s);
  INFO(e);
  REQUIRE(e.empty());
}

std::vector<float> random_floats(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  std::vector<float> out(n);
  for (float& v : out) v = dist(rng);
  return out;
}

std::vector<uint8_t> quantized(mwt_dtype dtype, const std::vector<float>& src) {
  const size_t bytes =
      src.size() / mwt_dtype_block_size(dtype) * static_cast<size_t>(mwt_dtype_type_size(dtype));
  std::vector<uint8_t> out(bytes);
  require_ok(mwt_quantize(dtype, src.data(), src.size(), out.data(), out.size()));
  return out;
}

struct Source {
  const char* name;
  mwt_dtype dtype;
  std::vector<uint64_t> shape;
  std::vector<uint8_t> bytes;  // random normal floats quantized to dtype
};

// The files, written once per process with the library's writer into a fresh directory.
struct Fixture {
  std::string dir, gguf, sharded;
  std::vector<Source> tensors;

  Fixture() {
    char tmpl[] = "/tmp/mwt-concurrency-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    gguf = dir + "/model.gguf";
    sharded = dir + "/sharded";
    std::filesystem::create_directory(sharded);
    // 2^20 Q8_0 values: large enough for mwt_dequantize_threads to split over 2 threads.
    add("blk.0.attn_q.weight", MWT_DTYPE_Q8_0, {1024, 1024}, 1);
    add("blk.0.ffn_down.weight", MWT_DTYPE_Q4_K, {64, 512}, 2);
    add("output_norm.weight", MWT_DTYPE_F32, {512}, 3);
    write_gguf();
    write_shard("model-00001-of-00002.safetensors", 0, 2);
    write_shard("model-00002-of-00002.safetensors", 2, 3);
    std::ofstream(sharded + "/model.safetensors.index.json")
        << "{\"metadata\":{},\"weight_map\":{"
        << "\"blk.0.attn_q.weight\":\"model-00001-of-00002.safetensors\","
        << "\"blk.0.ffn_down.weight\":\"model-00001-of-00002.safetensors\","
        << "\"output_norm.weight\":\"model-00002-of-00002.safetensors\"}}";
  }
  ~Fixture() { std::filesystem::remove_all(dir); }

  void add(const char* name, mwt_dtype dtype, std::vector<uint64_t> shape, uint64_t seed) {
    uint64_t n = 1;
    for (uint64_t d : shape) n *= d;
    tensors.push_back({name, dtype, std::move(shape), quantized(dtype, random_floats(n, seed))});
  }

  void add_tensor(mwt_writer* w, const Source& s, mwt_dtype as) {
    const void* data = s.bytes.data();
    uint64_t nbytes = s.bytes.size();
    require_ok(mwt_writer_add_tensor(w, s.name, std::strlen(s.name), as, s.shape.size(),
                                     s.shape.data(), data, nbytes));
  }

  void write_gguf() {
    mwt_writer* w = nullptr;
    require_ok(mwt_writer_create(MWT_FORMAT_GGUF, &w));
    const std::string arch = "llama";
    require_ok(
        mwt_writer_add_metadata_string(w, "general.architecture", 20, arch.data(), arch.size()));
    const uint32_t file_type = 7;  // MOSTLY_Q8_0
    require_ok(mwt_writer_add_metadata(w, "general.file_type", 17, MWT_VALUE_U32, &file_type));
    std::vector<uint32_t> arr(1000);
    for (size_t j = 0; j < arr.size(); ++j) arr[j] = static_cast<uint32_t>(j * 3);
    require_ok(
        mwt_writer_add_metadata_array(w, "test.array", 10, MWT_VALUE_U32, arr.data(), arr.size()));
    std::vector<std::string> toks;
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (int j = 0; j < 300; ++j) toks.push_back("tok" + std::to_string(j));
    for (const auto& t : toks) {
      ptrs.push_back(t.data());
      lens.push_back(t.size());
    }
    require_ok(mwt_writer_add_metadata_string_array(w, "tokenizer.ggml.tokens", 21, ptrs.data(),
                                                    lens.data(), toks.size()));
    for (const Source& s : tensors) add_tensor(w, s, s.dtype);
    require_ok(mwt_writer_write(w, gguf.c_str()));
    mwt_writer_free(w);
  }

  // safetensors has no ggml block types: the bytes go in as U8 rows of the same size.
  void write_shard(const char* name, size_t from, size_t to) {
    mwt_writer* w = nullptr;
    require_ok(mwt_writer_create(MWT_FORMAT_SAFETENSORS, &w));
    for (size_t i = from; i < to; ++i) {
      const Source& s = tensors[i];
      if (s.dtype == MWT_DTYPE_F32) {
        add_tensor(w, s, MWT_DTYPE_F32);
      } else {
        const uint64_t shape[1] = {s.bytes.size()};
        require_ok(mwt_writer_add_tensor(w, s.name, std::strlen(s.name), MWT_DTYPE_U8, 1, shape,
                                         s.bytes.data(), s.bytes.size()));
      }
    }
    require_ok(mwt_writer_write(w, (sharded + "/" + name).c_str()));
    mwt_writer_free(w);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// What one thread computes from one open file: everything must match the reference run.
struct Result {
  std::string errors;                         // every failed call, in order
  std::string metadata;                       // key, type, value of a few entries, as text
  std::string quant_json;                     // mwt_file_quantization
  std::vector<const void*> data;              // tensor data pointers (shared handle: all equal)
  std::vector<std::vector<float>> deq;        // dequantized tensors (GGUF)
  std::vector<std::vector<uint8_t>> requant;  // the dequantized values quantized again
};

void note(Result& r, mwt_status* s, const char* what) {
  const std::string e = err(s);
  if (!e.empty()) r.errors += std::string(what) + ": " + e + "\n";
}

void read_metadata(const mwt_file* f, Result& r) {
  const size_t n = mwt_file_metadata_count(f);
  r.metadata += std::to_string(n) + ";";
  for (size_t i = 0; i < n; ++i) {
    const char* key = nullptr;
    size_t len = 0;
    note(r, mwt_file_metadata_key(f, i, &key, &len), "key");
    if (!key) continue;
    if (mwt_file_metadata_find(f, key, len) != static_cast<int64_t>(i)) r.errors += "find\n";
    mwt_value_type t;
    note(r, mwt_file_metadata_type(f, i, &t), "type");
    r.metadata += std::string(key, len) + "=" + std::to_string(static_cast<int>(t)) + ":";
    if (t == MWT_VALUE_STRING) {
      const char* s = nullptr;
      size_t sl = 0;
      note(r, mwt_file_metadata_get_string(f, i, &s, &sl), "string");
      if (s) r.metadata.append(s, sl);
    } else if (t == MWT_VALUE_U32) {
      uint32_t v = 0;
      note(r, mwt_file_metadata_get_u32(f, i, &v), "u32");
      r.metadata += std::to_string(v);
    } else if (t == MWT_VALUE_ARRAY) {
      mwt_value_type elem;
      uint64_t count = 0;
      note(r, mwt_file_metadata_array_info(f, i, &elem, &count), "array_info");
      if (elem == MWT_VALUE_STRING) {
        for (uint64_t j = 0; j < count; j += 37) {
          const char* s = nullptr;
          size_t sl = 0;
          note(r, mwt_file_metadata_get_array_string(f, i, j, &s, &sl), "array_string");
          if (s) r.metadata.append(s, sl).append(",");
        }
      } else if (elem == MWT_VALUE_U32) {
        std::vector<uint32_t> v(count);
        note(r, mwt_file_metadata_copy_array(f, i, elem, v.data(), count), "copy_array");
        uint64_t sum = 0;
        for (uint32_t x : v) sum += x;
        r.metadata += std::to_string(sum);
      }
    }
    r.metadata += ";";
  }
  // A failing lookup makes a status per thread, concurrently.
  uint32_t v = 0;
  mwt_status* s = mwt_file_metadata_get_u32(f, n, &v);
  if (!s) r.errors += "out-of-range index accepted\n";
  mwt_status_free(s);
  if (mwt_file_metadata_find(f, "no.such.key", 11) != -1) r.errors += "found no.such.key\n";
}

void work(const mwt_file* f, bool dequantize, Result& r) {
  read_metadata(f, r);
  char* json = nullptr;
  size_t json_len = 0;
  note(r, mwt_file_quantization(f, &json, &json_len), "quantization");
  if (json) r.quant_json.assign(json, json_len);
  mwt_string_free(json);
  const size_t n = mwt_file_tensor_count(f);
  for (size_t i = 0; i < n; ++i) {
    const char* name = nullptr;
    size_t len = 0;
    note(r, mwt_file_tensor_name(f, i, &name, &len), "tensor_name");
    if (name && mwt_file_tensor_find(f, name, len) != static_cast<int64_t>(i))
      r.errors += "tensor_find\n";
    mwt_dtype dtype;
    uint64_t nbytes = 0;
    const void* data = nullptr;
    note(r, mwt_file_tensor_dtype(f, i, &dtype), "tensor_dtype");
    note(r, mwt_file_tensor_nbytes(f, i, &nbytes), "tensor_nbytes");
    note(r, mwt_file_tensor_data(f, i, &data), "tensor_data");
    r.data.push_back(data);
    if (!dequantize || !data) continue;
    const uint64_t values = nbytes / mwt_dtype_type_size(dtype) * mwt_dtype_block_size(dtype);
    std::vector<float> out(values);
    note(r, mwt_dequantize_threads(dtype, data, nbytes, out.data(), out.size(), 2), "dequantize");
    std::vector<uint8_t> again(nbytes);
    note(r, mwt_quantize(dtype, out.data(), out.size(), again.data(), again.size()), "quantize");
    r.deq.push_back(std::move(out));
    r.requant.push_back(std::move(again));
  }
}

mwt_file* open_file(const std::string& path) {
  mwt_file* f = nullptr;
  require_ok(mwt_file_open(path.c_str(), nullptr, &f));
  return f;
}

Result reference(const std::string& path, bool dequantize) {
  mwt_file* f = open_file(path);
  Result r;
  work(f, dequantize, r);
  mwt_file_free(f);
  REQUIRE(r.errors.empty());
  return r;
}

void check_same(const Result& got, const Result& want, bool same_pointers) {
  INFO(got.errors);
  CHECK(got.errors.empty());
  CHECK(got.metadata == want.metadata);
  CHECK(got.quant_json == want.quant_json);
  CHECK(got.deq == want.deq);
  CHECK(got.requant == want.requant);
  CHECK(got.data.size() == want.data.size());
  if (same_pointers) CHECK(got.data == want.data);
}

// Runs body(t) on kThreads threads released together.
template <class F>
void run_threads(F body) {
  std::latch start(kThreads);
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t)
    pool.emplace_back([&, t] {
      start.arrive_and_wait();
      body(t);
    });
  for (auto& th : pool) th.join();
}

}  // namespace

TEST_CASE("8 threads, each on its own handles, give the single-thread results", "[concurrency]") {
  Fixture& fx = fixture();
  const Result want_gguf = reference(fx.gguf, true);
  const Result want_st = reference(fx.sharded, false);
  REQUIRE(want_gguf.deq.size() == fx.tensors.size());
  REQUIRE(want_st.data.size() == fx.tensors.size());
  std::vector<Result> gguf(kThreads * kRounds), st(kThreads * kRounds);
  run_threads([&](int t) {
    for (int round = 0; round < kRounds; ++round) {
      for (bool is_gguf : {true, false}) {
        mwt_file* f = nullptr;
        Result& r = (is_gguf ? gguf : st)[static_cast<size_t>(t * kRounds + round)];
        note(r, mwt_file_open((is_gguf ? fx.gguf : fx.sharded).c_str(), nullptr, &f), "open");
        if (f) work(f, is_gguf, r);
        mwt_file_free(f);
      }
    }
  });
  for (const Result& r : gguf) check_same(r, want_gguf, false);
  for (const Result& r : st) check_same(r, want_st, false);
}

TEST_CASE("8 threads on one shared handle per file give the single-thread results",
          "[concurrency]") {
  Fixture& fx = fixture();
  const Result want_gguf = reference(fx.gguf, true);
  const Result want_st = reference(fx.sharded, false);
  // Fresh handles: no shard of the checkpoint is mapped yet, so the threads race to map each
  // one (mwt_file_tensor_data), and must all get the same pointers.
  mwt_file* shared_gguf = open_file(fx.gguf);
  mwt_file* shared_st = open_file(fx.sharded);
  std::vector<Result> gguf(kThreads), st(kThreads);
  run_threads([&](int t) {
    // Half the threads start with the checkpoint, so first touches of both files overlap.
    const auto i = static_cast<size_t>(t);
    if (t % 2) work(shared_st, false, st[i]);
    work(shared_gguf, true, gguf[i]);
    if (!(t % 2)) work(shared_st, false, st[i]);
  });
  for (const Result& r : gguf) check_same(r, gguf[0], true);
  for (const Result& r : st) check_same(r, st[0], true);
  check_same(gguf[0], want_gguf, false);
  check_same(st[0], want_st, false);
  mwt_file_free(shared_gguf);
  mwt_file_free(shared_st);
}

TEST_CASE("8 threads quantize and dequantize buffers with no handle at once", "[concurrency]") {
  const std::vector<float> src = random_floats(1 << 16, 11);
  const mwt_dtype types[] = {MWT_DTYPE_Q8_0, MWT_DTYPE_Q4_K, MWT_DTYPE_F32};
  std::vector<std::vector<uint8_t>> want_q;
  std::vector<std::vector<float>> want_d;
  for (mwt_dtype d : types) {
    want_q.push_back(quantized(d, src));
    want_d.emplace_back(src.size());
    require_ok(mwt_dequantize_threads(d, want_q.back().data(), want_q.back().size(),
                                      want_d.back().data(), src.size(), 1));
  }
  std::vector<std::string> errors(kThreads);
  std::atomic<int> mismatches{0};
  run_threads([&](int t) {
    const auto ti = static_cast<size_t>(t);
    for (size_t k = 0; k < 3; ++k) {
      const size_t j = (ti + k) % 3;
      std::vector<uint8_t> q(want_q[j].size());
      std::vector<float> d(src.size());
      errors[ti] += err(mwt_quantize(types[j], src.data(), src.size(), q.data(), q.size()));
      errors[ti] += err(mwt_dequantize(types[j], q.data(), q.size(), d.data(), d.size()));
      if (q != want_q[j] || std::memcmp(d.data(), want_d[j].data(), d.size() * 4) != 0)
        mismatches.fetch_add(1);
    }
  });
  for (const std::string& e : errors) CHECK(e.empty());
  CHECK(mismatches.load() == 0);
}
