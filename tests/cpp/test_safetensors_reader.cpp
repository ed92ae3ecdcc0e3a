// safetensors reading of one file: every dtype with its size, rank-0 and empty tensors,
// __metadata__, zero-copy views and the legacy unaligned layout.
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

// ============================================================================ one file

TEST_CASE("safetensors reader: all 22 dtypes with their byte sizes and data views",
          "[safetensors][reader]") {
  std::vector<std::string> entries;
  std::vector<uint64_t> begins;
  uint64_t off = 0;
  for (const StDtype& d : kDtypes) {
    const uint64_t n = nbytes_of(d.bits, {2, 4});
    entries.push_back(entry(std::string("t_") + d.name, d.name, {2, 4}, off, off + n));
    begins.push_back(off);
    off += n;
  }
  const std::string h = object(entries);
  auto mf = MappedFile::from_bytes(file_bytes(h, off), "all.safetensors");
  const uint8_t* base = mf->data();
  auto wf = read_safetensors(mf, {});
  REQUIRE(wf->tensors.size() == kNumDtypes);
  CHECK(wf->format == Format::SAFETENSORS);
  CHECK(wf->data_offset == 8 + h.size());
  CHECK(wf->total_size == 8 + h.size() + off);
  for (size_t i = 0; i < kNumDtypes; ++i) {
    const StDtype& d = kDtypes[i];
    INFO(d.name);
    const TensorInfo& t = tensor(*wf, std::string("t_") + d.name);
    const DTypeInfo* info = dtype_info(static_cast<uint32_t>(t.dtype));
    REQUIRE(info != nullptr);
    CHECK(info->safetensors == d.name);
    CHECK(st_element_bits(*info) == d.bits);
    CHECK(t.shape == std::vector<uint64_t>{2, 4});
    CHECK(t.numel == 8);
    CHECK(t.nbytes == d.bits);  // 8 elements of d.bits bits
    CHECK(t.offset == 8 + h.size() + begins[i]);
    CHECK(t.data == base + 8 + h.size() + begins[i]);
    CHECK(t.file_index == 0);
  }
}

TEST_CASE("safetensors reader: tensors keep header order and are found by name",
          "[safetensors][reader]") {
  auto wf = open_bytes(
      file_bytes(object({entry("b", "F32", {2}, 8, 16), entry("a", "F32", {2}, 0, 8)}), 16));
  REQUIRE(wf->tensors.size() == 2);
  CHECK(wf->tensors[0].name == "b");
  CHECK(wf->tensors[1].name == "a");
  CHECK(wf->find_tensor("a") == 1);
  CHECK(wf->find_tensor("b") == 0);
  CHECK(wf->find_tensor("c") == -1);
  // The data of "a" is the first 8 bytes of the buffer although it is listed second.
  const std::vector<uint8_t> a = view(wf->tensors[1]);
  CHECK(a == std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8});
}

TEST_CASE("safetensors reader: rank-0 tensors hold one element", "[safetensors][reader]") {
  auto wf = open_bytes(
      file_bytes(object({entry("s", "F64", {}, 0, 8), entry("b", "BOOL", {}, 8, 9)}), 9));
  const TensorInfo& s = tensor(*wf, "s");
  CHECK(s.shape.empty());
  CHECK(s.numel == 1);
  CHECK(s.nbytes == 8);
  const TensorInfo& b = tensor(*wf, "b");
  CHECK(b.numel == 1);
  CHECK(b.nbytes == 1);
  CHECK(view(b) == std::vector<uint8_t>{9});
}

TEST_CASE(
    "safetensors reader: empty tensors (a zero dimension) have no bytes, anywhere in the buffer",
    "[safetensors][reader]") {
  auto wf = open_bytes(
      file_bytes(object({entry("e0", "F32", {0}, 0, 0), entry("w", "U8", {4}, 0, 4),
                         entry("e1", "BF16", {3, 0, 2}, 4, 4), entry("e2", "F4", {0}, 4, 4)}),
                 4));
  for (const char* name : {"e0", "e1", "e2"}) {
    INFO(name);
    const TensorInfo& t = tensor(*wf, name);
    CHECK(t.numel == 0);
    CHECK(t.nbytes == 0);
  }
  CHECK(tensor(*wf, "e1").shape == std::vector<uint64_t>{3, 0, 2});
  CHECK(tensor(*wf, "w").nbytes == 4);
  // A file of nothing but empty tensors has an empty buffer.
  wf = open_bytes(file_bytes(object({entry("e", "F32", {0, 5}, 0, 0)})));
  CHECK(wf->tensors.size() == 1);
}

TEST_CASE("safetensors reader: __metadata__ maps strings to strings, escapes decoded",
          "[safetensors][reader]") {
  const std::string h =
      "{\"__metadata__\":{\"format\":\"pt\",\"q\\\"k\":\"line\\nbreak \\u00e9 \\\\ "
      "\\/\",\"empty\":\"\"},"
      "\"w\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}";
  auto wf = open_bytes(file_bytes(h, 2));
  REQUIRE(wf->metadata.size() == 3);
  CHECK(wf->metadata[0].key == "format");
  CHECK(wf->metadata[0].offset == header_pos(h, "\"format\""));
  CHECK(meta_value(*wf, "format") == "pt");
  CHECK(meta_value(*wf, "q\"k") == "line\nbreak \xc3\xa9 \\ /");
  CHECK(meta_value(*wf, "empty").empty());
  CHECK(wf->find_metadata("w") == -1);  // tensors are not metadata
  REQUIRE(wf->tensors.size() == 1);
  // Metadata anywhere in the object, not only first.
  wf =
      open_bytes(file_bytes("{\"w\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"__"
                            "metadata__\":{\"a\":\"b\"}}",
                            2));
  CHECK(meta_value(*wf, "a") == "b");
}

TEST_CASE("safetensors reader: data views are zero-copy pointers at 8 + N + begin",
          "[safetensors][reader]") {
  const std::string h = object({entry("a", "F32", {2}, 0, 8), entry("b", "I16", {3}, 8, 14)});
  auto mf = MappedFile::from_bytes(file_bytes(h, 14, 100), "zc.safetensors");
  auto wf = read_safetensors(mf, {});
  REQUIRE(wf->files.size() == 1);
  CHECK(wf->files[0].get() == mf.get());
  CHECK(tensor(*wf, "a").data == mf->data() + 8 + h.size());
  CHECK(tensor(*wf, "b").data == mf->data() + 8 + h.size() + 8);
  CHECK(view(tensor(*wf, "b")) == std::vector<uint8_t>{108, 109, 110, 111, 112, 113});

  // The same through a real memory map of a file on disk.
  TempDir dir;
  dir.write("zc.safetensors", file_bytes(h, 14, 100));
  auto disk = read_safetensors(MappedFile::open(dir / "zc.safetensors"), {});
  const TensorInfo& b = tensor(*disk, "b");
  CHECK(b.data == disk->files[0]->data() + 8 + h.size() + 8);
  CHECK(view(b) == std::vector<uint8_t>{108, 109, 110, 111, 112, 113});
  // The map outlives the WeightFile when a view's owner keeps it.
  std::shared_ptr<MappedFile> keep = disk->files[0];
  const uint8_t* p = b.data;
  disk.reset();
  CHECK(p[0] == 108);
}

TEST_CASE("safetensors reader: a legacy unaligned header is a warning, not an error",
          "[safetensors][reader]") {
  std::string h = object({entry("w", "F32", {2}, 0, 8), entry("u", "U8", {3}, 8, 11)});
  // Pad so that the data starts at 8 + N with (8 + N) % 4 == 1: every F32 view is unaligned.
  while ((8 + h.size()) % 4 != 1) h += ' ';
  auto wf = open_bytes(file_bytes(h, 11));
  REQUIRE(wf->tensors.size() == 2);
  REQUIRE(wf->warnings.size() == 1);
  CHECK(wf->warnings[0].find("1 tensor(s) are not aligned") != std::string::npos);
  CHECK(wf->warnings[0].find("\"w\"") != std::string::npos);
  CHECK(view(tensor(*wf, "w")) == std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8});
  // Padded to a multiple of 8 (the reference writer's layout) there is nothing to warn about.
  while ((8 + h.size()) % 8 != 0) h += ' ';
  wf = open_bytes(file_bytes(h, 11));
  CHECK(wf->warnings.empty());
  // Byte-wide dtypes are never misaligned.
  std::string hu = object({entry("u", "U8", {3}, 0, 3)}) + " ";
  CHECK(open_bytes(file_bytes(hu, 3))->warnings.empty());
}

TEST_CASE("safetensors reader: open_weight_file sniffs and reads a .safetensors file",
          "[safetensors][reader]") {
  TempDir dir;
  dir.write("m.safetensors", file_bytes(object({entry("w", "F32", {2}, 0, 8)}), 8));
  auto wf = open_weight_file(dir / "m.safetensors", {});
  CHECK(wf->format == Format::SAFETENSORS);
  CHECK(view(tensor(*wf, "w")) == std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8});
}

// ============================================================================ sharded
