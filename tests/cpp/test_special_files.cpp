// Non-regular inputs (FIFO, character device): every API that opens an input path refuses them
// with IO naming the path and what it is, without blocking. Each call runs on a worker thread
// with a deadline, so a regression that blocks in open() fails the test instead of hanging CI.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "mwt/mwt.h"

namespace fs = std::filesystem;

namespace {

struct Outcome {
  mwt_code code = MWT_OK;
  std::string message;
};

Outcome outcome_of(mwt_status* s) {
  Outcome o;
  if (s == nullptr) return o;
  o.code = mwt_status_code(s);
  o.message = mwt_status_message(s);
  mwt_status_free(s);
  return o;
}

// Runs `call` on a thread; if it has not returned within the deadline, the test fails and the
// FIFO `unblock` is opened for writing until it returns, which releases a reader stuck in open().
Outcome run_guarded(const std::function<Outcome()>& call, const fs::path& unblock) {
  std::packaged_task<Outcome()> task(call);
  std::future<Outcome> result = task.get_future();
  std::thread worker(std::move(task));
  if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    FAIL_CHECK("the call blocked on a non-regular file");
    do {
      const int fd = ::open(unblock.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd >= 0) ::close(fd);
    } while (result.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready);
  }
  worker.join();
  return result.get();
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/mwt_special_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

Outcome open_file(const fs::path& p) {
  return run_guarded(
      [p] {
        mwt_file* f = nullptr;
        Outcome o = outcome_of(mwt_file_open(p.c_str(), nullptr, &f));
        if (f != nullptr) mwt_file_free(f);
        return o;
      },
      p);
}

Outcome detect(const fs::path& p, const fs::path& unblock) {
  return run_guarded(
      [p] {
        mwt_format fmt = MWT_FORMAT_UNKNOWN;
        return outcome_of(mwt_detect_format(p.c_str(), &fmt));
      },
      unblock);
}

bool mentions(const Outcome& o, const std::string& what) {
  return o.message.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("a FIFO is refused at once by open and detect", "[special]") {
  TempDir dir;
  for (const char* name : {"pipe.gguf", "pipe.safetensors", "pipe"}) {
    const fs::path fifo = dir.path / name;
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const Outcome opened = open_file(fifo);
    CHECK(opened.code == MWT_E_IO);
    CHECK(mentions(opened, name));
    CHECK(mentions(opened, "is a FIFO"));
    const Outcome detected = detect(fifo, fifo);
    CHECK(detected.code == MWT_E_IO);
    CHECK(mentions(detected, "is a FIFO"));
  }
}

TEST_CASE("a FIFO named by a shard index is refused at once", "[special]") {
  TempDir dir;
  const fs::path shard = dir.path / "model-00001-of-00001.safetensors";
  REQUIRE(::mkfifo(shard.c_str(), 0600) == 0);
  const fs::path index = dir.path / "model.safetensors.index.json";
  std::ofstream(index) << R"({"metadata": {}, "weight_map": {"w": ")" << shard.filename().string()
                       << "\"}}";
  for (const fs::path& input : {index, dir.path}) {
    const Outcome o = run_guarded(
        [input] {
          mwt_file* f = nullptr;
          Outcome r = outcome_of(mwt_file_open(input.c_str(), nullptr, &f));
          if (f != nullptr) mwt_file_free(f);
          return r;
        },
        shard);
    CHECK(o.code == MWT_E_IO);
    CHECK(mentions(o, "model-00001-of-00001.safetensors"));
    CHECK(mentions(o, "is a FIFO"));
  }
}

TEST_CASE("a character device is refused and named as one", "[special]") {
  const Outcome o = open_file("/dev/null");
  CHECK(o.code == MWT_E_IO);
  CHECK(mentions(o, "/dev/null"));
  CHECK(mentions(o, "is a character device"));
}

TEST_CASE("a directory without a model is still not a file error", "[special]") {
  TempDir dir;
  mwt_format fmt = MWT_FORMAT_GGUF;
  CHECK(outcome_of(mwt_detect_format(dir.path.c_str(), &fmt)).code == MWT_OK);
  CHECK(fmt == MWT_FORMAT_UNKNOWN);
}

TEST_CASE("a FIFO named config.json beside a checkpoint is a warning, not a wait", "[special]") {
  TempDir dir;
  const fs::path model = dir.path / "model.safetensors";
  const std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  std::string bytes(8, '\0');
  for (int b = 0; b < 8; ++b) bytes[b] = static_cast<char>((header.size() >> (8 * b)) & 0xff);
  bytes += header + std::string(4, '\0');
  std::ofstream(model, std::ios::binary) << bytes;
  const fs::path fifo = dir.path / "config.json";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string json;
  const Outcome o = run_guarded(
      [&model, &json] {
        mwt_file* f = nullptr;
        Outcome r = outcome_of(mwt_file_open(model.c_str(), nullptr, &f));
        if (r.code != MWT_OK) return r;
        char* text = nullptr;
        size_t len = 0;
        r = outcome_of(mwt_file_quantization(f, &text, &len));
        if (text != nullptr) json.assign(text, len);
        mwt_string_free(text);
        mwt_file_free(f);
        return r;
      },
      fifo);
  CHECK(o.code == MWT_OK);
  CHECK(json.find("config.json: not a regular file") != std::string::npos);
}
