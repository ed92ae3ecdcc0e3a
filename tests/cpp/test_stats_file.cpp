// mwt_file_stats through the C++ wrapper (mwt.hpp): the report of a written GGUF file (planted
// NaN, a duplicate, a tensor spanning several chunks), the same numbers on every thread count,
// progress calls and cancellation, and argument errors.
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "mwt/mwt.hpp"
#include "st_bytes.hpp"  // st_test::TempDir

namespace {

struct Calls {
  std::vector<std::pair<uint64_t, uint64_t>> seen;
  int cancel_after = -1;  // cancel on this call (0-based), -1 never
};

int record(uint64_t done, uint64_t total, void* user) {
  auto* c = static_cast<Calls*>(user);
  c->seen.emplace_back(done, total);
  return c->cancel_after >= 0 && static_cast<int>(c->seen.size()) > c->cancel_after ? 1 : 0;
}

// The report without its "threads" member (the only one that names the thread count).
std::string without_threads(std::string s) {
  const size_t at = s.find("\"threads\":");
  REQUIRE(at != std::string::npos);
  const size_t end = s.find(',', at);
  return s.erase(at, end - at + 1);
}

}  // namespace

TEST_CASE("mwt_file_stats: a written file's report", "[stats]") {
  st_test::TempDir dir;
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> big(3u << 20);  // 12 MiB: three chunks
  for (auto& x : big) x = normal(rng);
  std::vector<float> small(100, 1.0f);
  small[17] = std::nanf("");
  std::vector<float> twin(big.begin(), big.begin() + 256);
  std::vector<float> copy = twin;
  const std::string path = dir / "x.gguf";
  {
    mwt::Writer w(MWT_FORMAT_GGUF);
    w.add_tensor("big", MWT_DTYPE_F32, {3u << 20}, big.data(), big.size() * 4);
    w.add_tensor("small", MWT_DTYPE_F32, {100}, small.data(), small.size() * 4);
    w.add_tensor("twin", MWT_DTYPE_F32, {256}, twin.data(), twin.size() * 4);
    w.add_tensor("copy", MWT_DTYPE_F32, {256}, copy.data(), copy.size() * 4);
    w.write(path);
  }
  mwt::File f(path);
  const std::string one = f.stats(1);
  CHECK(one.find("\"ok\":false") != std::string::npos);
  CHECK(one.find("\"check\":\"nan\",\"tensor\":\"small\",\"count\":1") != std::string::npos);
  CHECK(one.find("\"tensors\":[\"twin\",\"copy\"]") != std::string::npos);
  CHECK(one.find("\"errors\":1,\"warnings\":1") != std::string::npos);
  // Chunks merge in order: identical numbers (and hashes) on 1, 2 and 3 threads.
  CHECK(without_threads(f.stats(2)) == without_threads(one));
  CHECK(without_threads(f.stats(3)) == without_threads(one));

  Calls calls;
  (void)f.stats(2, record, &calls);
  REQUIRE(calls.seen.size() >= 2);
  const uint64_t total = calls.seen.front().second;
  CHECK(total == (big.size() + small.size() + 2 * twin.size()) * 4);
  CHECK(calls.seen.front().first == 0);
  CHECK(calls.seen.back().first == total);

  Calls cancel;
  cancel.cancel_after = 0;
  const std::string stopped = f.stats(1, record, &cancel);
  CHECK(cancel.seen.size() == 1);
  CHECK(stopped.find("\"cancelled\":true") != std::string::npos);
  CHECK(stopped.find("\"tensors\":[]") != std::string::npos);
  CHECK(stopped.find("\"ok\":false") != std::string::npos);
}

TEST_CASE("mwt_file_stats: argument errors", "[stats]") {
  char* json = nullptr;
  size_t len = 0;
  mwt_status* s = mwt_file_stats(nullptr, 0, nullptr, nullptr, &json, &len);
  REQUIRE(s != nullptr);
  CHECK(mwt_status_code(s) == MWT_E_ARGUMENT);
  mwt_status_free(s);
  CHECK(json == nullptr);
}
