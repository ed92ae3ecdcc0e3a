// Test helper for the safetensors tests: builds safetensors bytes (u64 LE header length, header
// text, data bytes) piece by piece, so a malformed case says exactly which part it breaks, and
// opens them through read_safetensors with error checks. Also a temporary directory for the
// tests that need real files (shards, the writer).
#pragma once
#include <stdlib.h>  // mkdtemp

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "core/mapped_file.hpp"
#include "formats/open.hpp"

namespace st_test {

using namespace mwt::detail;

// One tensor entry of a header, `"name":{"dtype":..,"shape":[..],"data_offsets":[b,e]}`, in the
// reference writer's compact spelling. The name is written verbatim (the caller escapes it).
inline std::string entry(std::string_view name, std::string_view dtype,
                         const std::vector<uint64_t>& shape, uint64_t begin, uint64_t end) {
  std::string s =
      "\"" + std::string(name) + "\":{\"dtype\":\"" + std::string(dtype) + "\",\"shape\":[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "],\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(end) + "]}";
}

// `{e1,e2,...}` from entries (tensor entries or "\"__metadata__\":{...}").
inline std::string object(const std::vector<std::string>& entries) {
  std::string s = "{";
  for (size_t i = 0; i < entries.size(); ++i) s += (i ? "," : "") + entries[i];
  return s + "}";
}

class StBytes {
 public:
  StBytes& u64(uint64_t v) {
    uint8_t tmp[8];
    std::memcpy(tmp, &v, 8);  // little-endian host
    b.insert(b.end(), tmp, tmp + 8);
    return *this;
  }
  StBytes& raw(std::string_view s) {
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  // The header length and the header text: N = header.size().
  StBytes& header(std::string_view h) { return u64(h.size()).raw(h); }
  // `n` bytes counting up from `seed`, so a wrong data view shows up as wrong bytes.
  StBytes& data(uint64_t n, uint8_t seed = 1) {
    for (uint64_t i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(seed + i));
    return *this;
  }
  StBytes& zeros(uint64_t n) {
    b.insert(b.end(), n, 0);
    return *this;
  }
  size_t size() const { return b.size(); }

  std::vector<uint8_t> b;
};

// A whole file: header `h` (N = its size) then `data_bytes` bytes of counting data.
inline std::vector<uint8_t> file_bytes(std::string_view h, uint64_t data_bytes = 0,
                                       uint8_t seed = 1) {
  return StBytes().header(h).data(data_bytes, seed).b;
}

inline std::unique_ptr<WeightFile> open_bytes(std::vector<uint8_t> bytes,
                                              const OpenOptions& opts = {}) {
  return read_safetensors(MappedFile::from_bytes(std::move(bytes), "test.safetensors"), opts);
}

// Checks an error from opening `size` bytes: the code, an offset inside the file (or its end)
// and a field, both carried in what().
inline void check_error(const Error& e, uint64_t size, Code code) {
  INFO(e.what());
  CHECK(code_name(e.code()) == std::string(code_name(code)));
  CHECK(e.offset() != kNoOffset);
  CHECK(e.offset() <= size);
  CHECK_FALSE(e.field().empty());
  const std::string what = e.what();
  CHECK(what.find("at offset " + std::to_string(e.offset())) != std::string::npos);
  CHECK(what.find(e.field()) != std::string::npos);
}

// Opens `bytes` expecting failure with `code` and checks it (check_error) and that no
// WeightFile came back; `before` and `after` run right around the reader call only (so a caller
// can measure the reader's work without the test's own copy of the bytes). Returns the error.
template <typename Before, typename After>
Error expect_error_around(const std::vector<uint8_t>& bytes, Code code, const OpenOptions& opts,
                          Before before, After after) {
  std::shared_ptr<MappedFile> file = MappedFile::from_bytes(bytes, "test.safetensors");
  std::unique_ptr<WeightFile> wf;
  try {
    before();
    wf = read_safetensors(std::move(file), opts);
    after();
  } catch (const Error& e) {
    after();
    check_error(e, bytes.size(), code);
    CHECK(wf == nullptr);
    return e;
  }
  FAIL("expected " << code_name(code) << ", but the file opened");
  return Error(Code::OK, "");
}

inline Error expect_error(const std::vector<uint8_t>& bytes, Code code,
                          const OpenOptions& opts = {}) {
  return expect_error_around(
      bytes, code, opts, [] {}, [] {});
}

inline bool mentions(const Error& e, const std::string& s) {
  return std::string(e.what()).find(s) != std::string::npos;
}

// Offset in the file of the first occurrence of `needle` in the header text (which starts at
// byte 8). For the expected offsets of errors, so no offset is typed in by hand.
inline uint64_t header_pos(const std::string& header, std::string_view needle, size_t from = 0) {
  const size_t p = header.find(needle, from);
  REQUIRE(p != std::string::npos);
  return 8 + p;
}

// A fresh directory under the system temp directory; removed (recursively) at scope exit.
struct TempDir {
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mwt-st-test-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    REQUIRE(::mkdtemp(buf.data()) != nullptr);
    path = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string operator/(const std::string& name) const { return path + "/" + name; }
  // Names in the directory, dot files included (the writer's temp files start with '.').
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path))
      out.push_back(e.path().filename().string());
    return out;
  }
  // Plain (non-atomic) writes of test input: `name` inside the directory, or any path.
  void write(const std::string& name, const std::vector<uint8_t>& bytes) const {
    write_to(*this / name, bytes);
  }
  void write(const std::string& name, const std::string& text) const {
    write_to(*this / name, text);
  }
  static void write_to(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
    f.close();
    REQUIRE(f.good());
  }
  static void write_to(const std::string& path, const std::string& text) {
    write_to(path, std::vector<uint8_t>(text.begin(), text.end()));
  }

  std::string path;
};

inline std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f.good());
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// One F32[2] tensor "w" over [0, 8): the smallest useful valid file.
inline std::string one_f32() { return object({entry("w", "F32", {2}, 0, 8)}); }

// A header whose only tensor entry is `w` spelled by hand (for malformed entries).
inline std::vector<uint8_t> with_w(const std::string& w_json, uint64_t data_bytes) {
  return file_bytes("{\"w\":" + w_json + "}", data_bytes);
}

// Seconds the reader takes to refuse `bytes` with `expect` (the test's own copying excluded).
inline double seconds_to_fail(const std::vector<uint8_t>& bytes, Code expect,
                              const OpenOptions& opts, Error* out = nullptr) {
  using clock = std::chrono::steady_clock;
  clock::time_point t0, t1;
  Error e = expect_error_around(
      bytes, expect, opts, [&] { t0 = clock::now(); }, [&] { t1 = clock::now(); });
  if (out) *out = e;
  return std::chrono::duration<double>(t1 - t0).count();
}

}  // namespace st_test
