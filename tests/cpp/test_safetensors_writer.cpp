// The safetensors writer: round trips, the reference layout, byte-identical rewrites and
// refusals that leave nothing behind.
#include <unistd.h>  // symlink

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "st_fixtures.hpp"

using namespace st_test;
TEST_CASE("safetensors writer: round trip of every dtype, rank-0, empty tensors and metadata",
          "[safetensors][writer]") {
  TempDir dir;
  std::vector<Owned> ts;
  for (size_t i = 0; i < kNumDtypes; ++i)
    ts.push_back(owned(std::string("t.") + kDtypes[i].name, kDtypes[i].name, {2, 4},
                       static_cast<uint8_t>(i)));
  ts.push_back(owned("scalar", "F64", {}, 5));
  ts.push_back(owned("empty", "BF16", {3, 0}));
  ts.push_back(owned("caf\xc3\xa9 \"q\"\n", "U8", {5}, 6));
  const std::vector<std::pair<std::string, std::string>> meta{{"format", "pt"},
                                                              {"k\t\"", "v\\\x01\xe2\x82\xac"}};
  const std::string path = dir / "rt.safetensors";
  write_safetensors(spec_of(ts, meta), path);

  auto wf = read_safetensors(MappedFile::open(path), {});
  CHECK(wf->warnings.empty());
  REQUIRE(wf->tensors.size() == ts.size());
  for (const Owned& o : ts) {
    INFO(o.name);
    const TensorInfo& t = tensor(*wf, o.name);
    CHECK(t.dtype == dtype_named(o.dtype));
    CHECK(t.shape == o.shape);
    CHECK(t.nbytes == o.bytes.size());
    CHECK(view(t) == o.bytes);
  }
  REQUIRE(wf->metadata.size() == meta.size());
  for (size_t i = 0; i < meta.size(); ++i) {
    CHECK(wf->metadata[i].key == meta[i].first);
    CHECK(wf->metadata[i].value.str == meta[i].second);
  }
}

TEST_CASE(
    "safetensors writer: reference layout, ordered by dtype rank then name, header padded to 8 "
    "with spaces",
    "[safetensors][writer]") {
  TempDir dir;
  // Every dtype under two names, given in a scrambled order.
  std::vector<Owned> ts;
  for (size_t i = 0; i < kNumDtypes; ++i) {
    const StDtype& d = kDtypes[(i * 7) % kNumDtypes];
    ts.push_back(owned(std::string("z") + d.name, d.name, {4}, static_cast<uint8_t>(i)));
    ts.push_back(owned(std::string("a") + d.name, d.name, {4}, static_cast<uint8_t>(i + 50)));
  }
  const std::string path = dir / "layout.safetensors";
  write_safetensors(spec_of(ts, {{"format", "pt"}}), path);
  const std::vector<uint8_t> got = read_all(path);

  // The expected bytes, built from the layout rules: __metadata__ first, then tensors from the
  // highest-ranked dtype down and by name within a dtype, offsets contiguous from 0, compact JSON,
  // spaces to a multiple of 8, then the data in the same order.
  std::vector<const Owned*> order;
  for (size_t r = kNumDtypes; r-- > 0;)
    for (const char* prefix : {"a", "z"})
      for (const Owned& o : ts)
        if (o.name == std::string(prefix) + kDtypes[r].name) order.push_back(&o);
  REQUIRE(order.size() == ts.size());
  std::vector<std::string> entries{"\"__metadata__\":{\"format\":\"pt\"}"};
  std::vector<uint8_t> data;
  for (const Owned* o : order) {
    entries.push_back(
        entry(o->name, o->dtype, o->shape, data.size(), data.size() + o->bytes.size()));
    data.insert(data.end(), o->bytes.begin(), o->bytes.end());
  }
  std::string h = object(entries);
  const size_t pad = (8 - h.size() % 8) % 8;
  h.append(pad, ' ');
  StBytes expect;
  expect.header(h);
  expect.b.insert(expect.b.end(), data.begin(), data.end());
  CHECK(got.size() == expect.b.size());
  CHECK(got == expect.b);

  uint64_t n;
  std::memcpy(&n, got.data(), 8);
  CHECK(n % 8 == 0);
  // So every tensor's data is aligned to its element size within the file.
  auto wf = read_safetensors(MappedFile::open(path), {});
  CHECK(wf->warnings.empty());
  for (const TensorInfo& t : wf->tensors) {
    const DTypeInfo* d = dtype_info(static_cast<uint32_t>(t.dtype));
    if (d->block_elems == 1) CHECK(t.offset % d->block_bytes == 0);
  }
}

TEST_CASE("safetensors writer: the reference writer's own examples come out byte for byte",
          "[safetensors][writer]") {
  TempDir dir;
  // One F32 [1,2,3] named attn.0: a 64-byte header that needs no padding.
  // Sized first, then filled: appending each value with insert(end, b, b + 4) draws a false
  // GCC 12 -Wstringop-overflow ("region of size 0", inside stl_algobase.h).
  const float values[] = {0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f};
  std::vector<uint8_t> f32_data(sizeof values);
  std::memcpy(f32_data.data(), values, sizeof values);
  Owned attn{"attn.0", "F32", {1, 2, 3}, f32_data};
  write_safetensors(spec_of({attn}), dir / "a.safetensors");
  StBytes expect;
  expect.header("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}");
  CHECK(expect.size() == 8 + 64);
  expect.b.insert(expect.b.end(), f32_data.begin(), f32_data.end());
  CHECK(read_all(dir / "a.safetensors") == expect.b);

  // No tensors: "{}" and six spaces. Metadata only: padded from 35 to 40 bytes.
  write_safetensors(spec_of({}), dir / "empty.safetensors");
  CHECK(read_all(dir / "empty.safetensors") == StBytes().header("{}      ").b);
  write_safetensors(spec_of({}, {{"framework", "pt"}}), dir / "meta.safetensors");
  CHECK(read_all(dir / "meta.safetensors") ==
        StBytes().header("{\"__metadata__\":{\"framework\":\"pt\"}}     ").b);
}

TEST_CASE("safetensors writer: rewriting a file that was read gives byte-identical output",
          "[safetensors][writer]") {
  TempDir dir;
  SECTION("a file in the reference layout written by hand") {
    // Reference layout: F32 before U8 (dtype rank), names in byte order within a dtype,
    // control characters escaped as the reference does, padded with spaces.
    std::string h = "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"a\\u0001\\n\\\"b\\\"\"},";
    h += entry("emb", "F32", {2}, 0, 8) + "," + entry("w\\t1", "F32", {1}, 8, 12) + ",";
    h += entry("mask", "U8", {3}, 12, 15) + "}";
    h.append((8 - h.size() % 8) % 8, ' ');
    const std::vector<uint8_t> original = file_bytes(h, 15);
    dir.write("orig.safetensors", original);
    auto wf = read_safetensors(MappedFile::open(dir / "orig.safetensors"), {});
    CHECK(wf->warnings.empty());
    write_safetensors(spec_from(*wf), dir / "copy.safetensors");
    CHECK(read_all(dir / "copy.safetensors") == original);
  }
  SECTION("a file this writer produced") {
    const std::vector<Owned> ts{owned("b", "BF16", {2, 3}), owned("a", "I64", {2}),
                                owned("f4", "F4", {6}), owned("s", "C64", {})};
    write_safetensors(spec_of(ts, {{"k", "v"}, {"format", "pt"}}), dir / "one.safetensors");
    auto wf = read_safetensors(MappedFile::open(dir / "one.safetensors"), {});
    write_safetensors(spec_from(*wf), dir / "two.safetensors");
    CHECK(read_all(dir / "two.safetensors") == read_all(dir / "one.safetensors"));
  }
  SECTION("in place, over the file that is still mapped") {
    const std::vector<Owned> ts{owned("w", "F32", {16}, 3)};
    const std::string path = dir / "inplace.safetensors";
    write_safetensors(spec_of(ts), path);
    const std::vector<uint8_t> before = read_all(path);
    auto wf = read_safetensors(MappedFile::open(path), {});
    write_safetensors(spec_from(*wf), path);  // the views still point into the old map
    CHECK(read_all(path) == before);
  }
}

TEST_CASE("safetensors writer: invalid specs are refused and leave no file or temp file",
          "[safetensors][writer]") {
  TempDir dir;
  const std::string path = dir / "out.safetensors";
  const std::vector<Owned> good{owned("w", "F32", {2})};
  std::vector<uint8_t> q4(144, 0);

  struct Case {
    const char* what;
    Code code;
    WriteSpec spec;
  };
  std::vector<Case> cases;
  {
    WriteSpec s = spec_of(good);
    s.tensors[0].dtype = DType::Q4_K;
    s.tensors[0].shape = {256};
    s.tensors[0].data = q4.data();
    s.tensors[0].nbytes = q4.size();
    cases.push_back({"a quantized dtype (Q4_K)", Code::BAD_DTYPE, s});
  }
  {
    WriteSpec s = spec_of(good);
    s.tensors[0].nbytes = 7;
    cases.push_back({"nbytes that do not match the shape", Code::SIZE_MISMATCH, s});
  }
  {
    WriteSpec s = spec_of({owned("w", "F32", {2}), owned("w", "U8", {8})});
    cases.push_back({"a duplicate tensor name", Code::DUPLICATE, s});
  }
  {
    WriteSpec s = spec_of({owned("__metadata__", "F32", {2})});
    cases.push_back({"a tensor named __metadata__", Code::BAD_SYNTAX, s});
  }
  {
    WriteSpec s = spec_of(good, {{"k", "1"}, {"k", "2"}});
    cases.push_back({"a duplicate metadata key", Code::DUPLICATE, s});
  }
  {
    WriteSpec s = spec_of(good, {{"k", "1"}});
    s.metadata[0].type = ValueType::U32;
    cases.push_back({"a metadata value that is not a string", Code::TYPE_MISMATCH, s});
  }
  {
    WriteSpec s = spec_of({owned("w", "F4", {2})});
    s.tensors[0].shape = {3};
    cases.push_back({"F4 with an odd element count", Code::SIZE_MISMATCH, s});
  }

  // Baseline: the unmodified spec writes.
  write_safetensors(spec_of(good), dir / "good.safetensors");
  REQUIRE(read_safetensors(MappedFile::open(dir / "good.safetensors"), {})->tensors.size() == 1);
  std::filesystem::remove(dir / "good.safetensors");

  for (const Case& c : cases) {
    INFO(c.what);
    auto e = expect_open_error(
        [&]() -> std::unique_ptr<WeightFile> {
          write_safetensors(c.spec, path);
          return read_safetensors(MappedFile::open(path), {});
        },
        c.code);
    CHECK(dir.files().empty());
  }

  // Over an existing file: refused, and the old bytes are untouched.
  write_safetensors(spec_of(good), path);
  const std::vector<uint8_t> before = read_all(path);
  for (const Case& c : cases) {
    INFO(c.what);
    CHECK_THROWS_AS(write_safetensors(c.spec, path), Error);
    CHECK(read_all(path) == before);
    CHECK(dir.files() == std::vector<std::string>{"out.safetensors"});
  }
}
