// Sharded safetensors: an index or a directory read as one table, index/shard agreement and
// path containment.
#include <unistd.h>  // symlink

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "formats/open.hpp"
#include "st_fixtures.hpp"

using namespace st_test;

namespace {

std::string index_json(uint64_t total,
                       const std::vector<std::pair<std::string, std::string>>& map) {
  std::string s = "{\"metadata\":{\"total_size\":" + std::to_string(total) + "},\"weight_map\":{";
  for (size_t i = 0; i < map.size(); ++i)
    s += (i ? "," : "") + std::string("\"") + map[i].first + "\":\"" + map[i].second + "\"";
  return s + "}}";
}

const std::string kShard1 = "model-00001-of-00002.safetensors";
const std::string kShard2 = "model-00002-of-00002.safetensors";

// Two shards: a (F32[2]) and b (U8[3]) in shard 1, c (F16[4]) in shard 2.
struct TwoShards {
  std::vector<Owned> s1{owned("a", "F32", {2}, 10), owned("b", "U8", {3}, 20)};
  std::vector<Owned> s2{owned("c", "F16", {4}, 30)};
  uint64_t total = 8 + 3 + 8;

  void write_shards(const std::string& dir) const {
    write_safetensors(spec_of(s1, {{"format", "pt"}}), dir + "/" + kShard1);
    write_safetensors(spec_of(s2, {{"format", "pt"}}), dir + "/" + kShard2);
  }
  // The index lists shard 2 first, so file order must come from the shard names.
  std::vector<std::pair<std::string, std::string>> map() const {
    return {{"c", kShard2}, {"a", kShard1}, {"b", kShard1}};
  }
  const Owned& find(const std::string& name) const {
    for (const auto* v : {&s1, &s2})
      for (const Owned& t : *v)
        if (t.name == name) return t;
    FAIL("no tensor " << name);
    return s1[0];
  }
};

void check_two_shards(const WeightFile& wf, const TwoShards& ts) {
  CHECK(wf.format == Format::SAFETENSORS_INDEX);
  REQUIRE(wf.files.size() == 2);
  CHECK(std::filesystem::path(wf.files[0]->path()).filename() == kShard1);
  CHECK(std::filesystem::path(wf.files[1]->path()).filename() == kShard2);
  REQUIRE(wf.tensors.size() == 3);
  const std::map<std::string, uint32_t> expect_file{{"a", 0}, {"b", 0}, {"c", 1}};
  for (const auto& [name, fi] : expect_file) {
    INFO(name);
    const TensorInfo& t = tensor(wf, name);
    const Owned& o = ts.find(name);
    CHECK(t.file_index == fi);
    CHECK(t.dtype == dtype_named(o.dtype));
    CHECK(t.shape == o.shape);
    CHECK(view(wf, t) == o.bytes);
    CHECK(wf.tensor_data(t) == wf.files[fi]->data() + t.offset);
  }
}

}  // namespace

TEST_CASE("sharded safetensors: the index path and its directory give one table over all shards",
          "[safetensors][sharded]") {
  TempDir dir;
  TwoShards ts;
  ts.write_shards(dir.path);
  dir.write("model.safetensors.index.json", index_json(ts.total, ts.map()));

  auto by_index = read_safetensors_sharded(dir / "model.safetensors.index.json", {});
  check_two_shards(*by_index, ts);
  CHECK(meta_value(*by_index, "total_size") == std::to_string(ts.total));
  CHECK(meta_value(*by_index, "format") == "pt");  // shard __metadata__ merged once

  auto by_dir = read_safetensors_sharded(dir.path, {});
  check_two_shards(*by_dir, ts);

  auto via_open = open_weight_file(dir / "model.safetensors.index.json", {});
  check_two_shards(*via_open, ts);
  auto via_open_dir = open_weight_file(dir.path, {});
  check_two_shards(*via_open_dir, ts);
}

TEST_CASE("sharded safetensors: file_index follows sorted shard names, not index order",
          "[safetensors][sharded]") {
  TempDir dir;
  const std::vector<Owned> in_b{owned("x", "F32", {1}, 1)}, in_a{owned("y", "F32", {1}, 2)};
  write_safetensors(spec_of(in_b), dir / "b.safetensors");
  write_safetensors(spec_of(in_a), dir / "a.safetensors");
  dir.write("model.safetensors.index.json",
            index_json(8, {{"x", "b.safetensors"}, {"y", "a.safetensors"}}));
  auto wf = read_safetensors_sharded(dir.path, {});
  CHECK(tensor(*wf, "y").file_index == 0);
  CHECK(tensor(*wf, "x").file_index == 1);
  CHECK(view(*wf, tensor(*wf, "x")) == in_b[0].bytes);
}

TEST_CASE("sharded safetensors: a directory of shards without an index works",
          "[safetensors][sharded]") {
  TempDir dir;
  TwoShards ts;
  ts.write_shards(dir.path);
  auto wf = read_safetensors_sharded(dir.path, {});
  check_two_shards(*wf, ts);
  CHECK(wf->find_metadata("total_size") == -1);
  check_two_shards(*open_weight_file(dir.path, {}), ts);
}

TEST_CASE("sharded safetensors: a missing shard is IO", "[safetensors][sharded]") {
  TempDir dir;
  TwoShards ts;
  ts.write_shards(dir.path);
  std::filesystem::remove(dir / kShard2);
  dir.write("model.safetensors.index.json", index_json(ts.total, ts.map()));
  auto e = expect_open_error([&] { return read_safetensors_sharded(dir.path, {}); }, Code::IO);
  CHECK(mentions(e, kShard2));
  CHECK(e.field() == "index.weight_map[shard \"" + kShard2 + "\"]");
}

TEST_CASE("sharded safetensors: index and shards that disagree are ARCHIVE_INCONSISTENT",
          "[safetensors][sharded]") {
  TempDir dir;
  TwoShards ts;
  ts.write_shards(dir.path);
  const std::string index = dir / "model.safetensors.index.json";
  auto open = [&] { return read_safetensors_sharded(index, {}); };

  SECTION("baseline: the matching index opens") {
    dir.write("model.safetensors.index.json", index_json(ts.total, ts.map()));
    CHECK(open()->tensors.size() == 3);
  }
  SECTION("a tensor in the index but not in its shard") {
    auto map = ts.map();
    map.push_back({"ghost", kShard1});
    const std::string text = index_json(ts.total, map);
    dir.write("model.safetensors.index.json", text);
    auto e = expect_open_error(open, Code::ARCHIVE_INCONSISTENT);
    CHECK(e.field() == "index.weight_map[\"ghost\"]");
    CHECK(e.offset() == text.find("\"ghost\""));
    CHECK(mentions(e, "does not hold it"));
  }
  SECTION("a tensor in a shard but not in the index") {
    dir.write("model.safetensors.index.json",
              index_json(ts.total, {{"c", kShard2}, {"a", kShard1}}));
    auto e = expect_open_error(open, Code::ARCHIVE_INCONSISTENT);
    CHECK(e.field() == "shard '" + kShard1 + "' tensors[\"b\"]");
    CHECK(mentions(e, "not in the index"));
  }
  SECTION("a tensor in a different shard than the index says") {
    const std::string text = index_json(ts.total, {{"c", kShard1}, {"a", kShard2}, {"b", kShard1}});
    dir.write("model.safetensors.index.json", text);
    auto e = expect_open_error(open, Code::ARCHIVE_INCONSISTENT);
    CHECK(e.field() == "index.weight_map[\"a\"]");
    CHECK(e.offset() == text.find("\"a\""));
    CHECK(mentions(e, "puts tensor \"a\""));
  }
}

TEST_CASE("sharded safetensors: shard names with .. or an absolute path are PATH_ESCAPE",
          "[safetensors][sharded]") {
  TempDir root;
  std::filesystem::create_directory(root / "model");
  const std::string model = root / "model";
  // A valid shard right outside the model directory: refused although it exists and parses.
  const std::vector<Owned> outside{owned("w", "F32", {2})};
  write_safetensors(spec_of(outside), root / "outside.safetensors");
  write_safetensors(spec_of({owned("v", "F32", {2})}), model + "/inside.safetensors");
  const std::string index = model + "/model.safetensors.index.json";

  // Baseline: the inside shard opens.
  TempDir::write_to(index, index_json(8, {{"v", "inside.safetensors"}}));
  REQUIRE(read_safetensors_sharded(index, {})->tensors.size() == 1);

  for (const std::string& name :
       {std::string("../outside.safetensors"), root / "outside.safetensors",
        std::string("sub/../../outside.safetensors"), std::string("./../outside.safetensors")}) {
    INFO(name);
    const std::string text = index_json(8, {{"w", name}});
    TempDir::write_to(index, text);
    auto e =
        expect_open_error([&] { return read_safetensors_sharded(index, {}); }, Code::PATH_ESCAPE);
    CHECK(e.field() == "index.weight_map[shard \"" + name + "\"]");
    CHECK(e.offset() == text.find("\"w\""));
  }
}

TEST_CASE("sharded safetensors: a symlinked shard pointing outside the directory is PATH_ESCAPE",
          "[safetensors][sharded]") {
  TempDir root;
  std::filesystem::create_directories(root / "model/real");
  const std::string model = root / "model";
  write_safetensors(spec_of({owned("w", "F32", {2})}), root / "outside.safetensors");
  write_safetensors(spec_of({owned("v", "F32", {2})}), model + "/real/inner.safetensors");
  const std::string index = model + "/model.safetensors.index.json";

  // Baseline: a symlink that stays inside the directory is followed.
  REQUIRE(::symlink("real/inner.safetensors", (model + "/in.safetensors").c_str()) == 0);
  TempDir::write_to(index, index_json(8, {{"v", "in.safetensors"}}));
  const auto opened = read_safetensors_sharded(index, {});
  REQUIRE(view(*opened, tensor(*opened, "v")).size() == 8);

  REQUIRE(::symlink("../outside.safetensors", (model + "/link.safetensors").c_str()) == 0);
  TempDir::write_to(index, index_json(8, {{"w", "link.safetensors"}}));
  const std::string text = index_json(8, {{"w", "link.safetensors"}});
  TempDir::write_to(index, text);
  auto e =
      expect_open_error([&] { return read_safetensors_sharded(index, {}); }, Code::PATH_ESCAPE);
  CHECK(mentions(e, "outside the model directory"));
  // The link was also read ahead from the directory listing; the error still names the index
  // entry that refers to it.
  CHECK(e.offset() == text.find("\"w\""));
  CHECK(e.field() == "index.weight_map[shard \"link.safetensors\"]");

  // Without an index the directory listing finds the link, with the same result.
  std::filesystem::remove(index);
  expect_open_error([&] { return read_safetensors_sharded(model, {}); }, Code::PATH_ESCAPE);
}

TEST_CASE("sharded safetensors: an absolute symlink to a file inside the directory is followed",
          "[safetensors][sharded]") {
  // The kernel's RESOLVE_BENEATH refuses every absolute symlink; the checked slow path accepts
  // one whose target is inside the model directory, as before the fast path existed.
  TempDir dir;
  const std::vector<Owned> inner{owned("v", "F32", {2}, 4)};
  std::filesystem::create_directories(dir / "real");
  write_safetensors(spec_of(inner), dir / "real/inner.safetensors");
  const std::string target = std::filesystem::canonical(dir / "real/inner.safetensors").string();
  REQUIRE(::symlink(target.c_str(), (dir / "abs.safetensors").c_str()) == 0);
  dir.write("model.safetensors.index.json", index_json(8, {{"v", "abs.safetensors"}}));
  const auto wf = read_safetensors_sharded(dir.path, {});
  CHECK(view(*wf, tensor(*wf, "v")) == inner[0].bytes);
}

TEST_CASE("sharded safetensors: files beside the index that it does not name are never used",
          "[safetensors][sharded]") {
  // Shards are read ahead from the directory listing while the index is parsed; what the index
  // does not name is dropped, broken or not.
  TempDir dir;
  TwoShards ts;
  ts.write_shards(dir.path);
  dir.write("model.safetensors.index.json", index_json(ts.total, ts.map()));
  dir.write("consolidated.safetensors",
            std::string("\xff\xff\xff\xff\xff\xff\xff\x7fnot safetensors"));
  dir.write("a-truncated.safetensors", std::string("\x04"));
  write_safetensors(spec_of({owned("a", "F32", {2}, 99)}),
                    dir / "zz-stray.safetensors");  // a's name again
  check_two_shards(*read_safetensors_sharded(dir.path, {}), ts);
  check_two_shards(*read_safetensors_sharded(dir / "model.safetensors.index.json", {}), ts);
}

TEST_CASE("sharded safetensors: a shard in a subdirectory (not in the listing) is read too",
          "[safetensors][sharded]") {
  TempDir dir;
  TwoShards ts;
  std::filesystem::create_directories(dir / "part");
  write_safetensors(spec_of(ts.s1, {{"format", "pt"}}), dir / kShard1);
  write_safetensors(spec_of(ts.s2, {{"format", "pt"}}), dir / ("part/" + kShard2));
  dir.write("model.safetensors.index.json",
            index_json(ts.total, {{"c", "part/" + kShard2}, {"a", kShard1}, {"b", kShard1}}));
  const auto wf = read_safetensors_sharded(dir.path, {});
  REQUIRE(wf->files.size() == 2);
  CHECK(view(*wf, tensor(*wf, "c")) == ts.s2[0].bytes);
  CHECK(view(*wf, tensor(*wf, "a")) == ts.s1[0].bytes);
}

TEST_CASE("sharded safetensors: a broken shard the index names is reported the same either way",
          "[safetensors][sharded]") {
  TempDir dir;
  TwoShards ts;
  ts.write_shards(dir.path);
  dir.write("model.safetensors.index.json", index_json(ts.total, ts.map()));
  std::filesystem::resize_file(dir / kShard2, std::filesystem::file_size(dir / kShard2) - 1);
  auto by_dir =
      expect_open_error([&] { return read_safetensors_sharded(dir.path, {}); }, Code::TRUNCATED);
  auto by_index = expect_open_error(
      [&] { return read_safetensors_sharded(dir / "model.safetensors.index.json", {}); },
      Code::TRUNCATED);
  CHECK(mentions(by_dir, "in shard '" + kShard2 + "'"));
  CHECK(std::string(by_dir.what()) == by_index.what());
  CHECK(by_dir.offset() == by_index.offset());
}

TEST_CASE("sharded safetensors: shard headers around and past the first read (16 KiB)",
          "[safetensors][sharded]") {
  // A shard's first read takes 16 KiB; longer headers are read on. Sizes straddle the edge.
  for (size_t n_tensors : {size_t{1}, size_t{150}, size_t{400}, size_t{2000}}) {
    for (size_t pad : {size_t{0}, size_t{7}, size_t{100}}) {
      INFO(n_tensors << " tensors, metadata of " << pad << " bytes");
      TempDir dir;
      std::vector<Owned> many;
      for (size_t i = 0; i < n_tensors; ++i)
        many.push_back(owned("layer." + std::to_string(i) + ".w", "F16", {i % 3 + 1},
                             static_cast<uint8_t>(i)));
      write_safetensors(spec_of(many, {{"note", std::string(pad, 'x')}}), dir / "big.safetensors");
      write_safetensors(spec_of({owned("z", "U8", {1})}), dir / "small.safetensors");
      std::vector<std::pair<std::string, std::string>> map{{"z", "small.safetensors"}};
      for (const Owned& t : many) map.emplace_back(t.name, "big.safetensors");
      dir.write("model.safetensors.index.json", index_json(0, map));
      const auto wf = read_safetensors_sharded(dir.path, {});
      REQUIRE(wf->tensors.size() == n_tensors + 1);
      for (size_t i = 0; i < n_tensors; i += 37)
        CHECK(view(*wf, tensor(*wf, many[i].name)) == many[i].bytes);
      CHECK(view(*wf, tensor(*wf, many.back().name)) == many.back().bytes);
    }
  }
}

TEST_CASE(
    "sharded safetensors: the same tensor in two shards of an index-less directory is DUPLICATE",
    "[safetensors][sharded]") {
  TempDir dir;
  write_safetensors(spec_of({owned("a", "F32", {2}, 1), owned("x", "U8", {1})}),
                    dir / "s1.safetensors");
  write_safetensors(spec_of({owned("b", "F32", {2}, 2)}), dir / "s2.safetensors");
  REQUIRE(read_safetensors_sharded(dir.path, {})->tensors.size() == 3);  // baseline
  write_safetensors(spec_of({owned("b", "F32", {2}, 2), owned("x", "U8", {1}, 9)}),
                    dir / "s2.safetensors");
  auto e =
      expect_open_error([&] { return read_safetensors_sharded(dir.path, {}); }, Code::DUPLICATE);
  CHECK(e.field() == "shard 's2.safetensors' tensors[\"x\"]");
  CHECK(mentions(e, "s1.safetensors"));
}

// ============================================================================ writer

TEST_CASE(
    "sharded safetensors: shards are validated from their headers and mapped on first data access",
    "[safetensors][sharded]") {
  TempDir dir;
  TwoShards ts;
  ts.write_shards(dir.path);
  dir.write("model.safetensors.index.json", index_json(ts.total, ts.map()));
  auto wf = read_safetensors_sharded(dir.path, {});
  for (const auto& f : wf->files) CHECK(f->deferred());
  for (const TensorInfo& t : wf->tensors) CHECK(t.data == nullptr);  // nothing mapped yet
  // Many threads asking at once all get the one mapping.
  const TensorInfo& c = tensor(*wf, "c");
  std::vector<const uint8_t*> seen(8, nullptr);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < seen.size(); ++i)
    threads.emplace_back([&, i] { seen[i] = wf->tensor_data(c); });
  for (auto& t : threads) t.join();
  for (const uint8_t* p : seen) CHECK(p == seen[0]);
  CHECK(view(*wf, c) == ts.find("c").bytes);
}

TEST_CASE(
    "sharded safetensors: a shard replaced after opening is IO on first data access, not a stale "
    "view",
    "[safetensors][sharded]") {
  TempDir dir;
  TwoShards ts;
  ts.write_shards(dir.path);
  dir.write("model.safetensors.index.json", index_json(ts.total, ts.map()));
  auto wf = read_safetensors_sharded(dir.path, {});
  // The writer renames a new file over the old one: a different inode at the same path.
  TwoShards other;
  other.s2 = {owned("c", "F16", {4}, 99)};
  write_safetensors(spec_of(other.s2, {{"format", "pt"}}), dir / kShard2);
  try {
    (void)wf->tensor_data(tensor(*wf, "c"));
    FAIL("expected an IO error");
  } catch (const Error& e) {
    CHECK(e.code() == Code::IO);
    CHECK(mentions(e, "changed since it was opened"));
  }
  // Shard 1 was not touched: its data maps as usual.
  CHECK(view(*wf, tensor(*wf, "a")) == ts.find("a").bytes);
}

TEST_CASE("sharded safetensors: a '..' that stays inside the directory is followed",
          "[safetensors][sharded]") {
  // "sub/../x" names x beside the index: the path never leaves the directory, so it opens (it
  // was PATH_ESCAPE); one that climbs out is still refused by the same component count.
  TempDir dir;
  const std::vector<Owned> inner{owned("v", "F32", {2}, 4)};
  std::filesystem::create_directories(dir / "sub");
  write_safetensors(spec_of(inner), dir / "inside.safetensors");
  for (const std::string& name :
       {std::string("sub/../inside.safetensors"), std::string("./sub/./../inside.safetensors")}) {
    INFO(name);
    dir.write("model.safetensors.index.json", index_json(8, {{"v", name}}));
    const auto wf = read_safetensors_sharded(dir.path, {});
    CHECK(view(*wf, tensor(*wf, "v")) == inner[0].bytes);
  }
  dir.write("model.safetensors.index.json", index_json(8, {{"v", "sub/../../inside.safetensors"}}));
  auto e =
      expect_open_error([&] { return read_safetensors_sharded(dir.path, {}); }, Code::PATH_ESCAPE);
  CHECK(mentions(e, "leaves the model directory"));
}

TEST_CASE("sharded safetensors: a weight_map that is not an object is BAD_SYNTAX, not BAD_MAGIC",
          "[safetensors][sharded]") {
  TempDir dir;
  for (const std::string& value : {std::string("[\"a\", \"b\"]"), std::string("\"x\""),
                                   std::string("null"), std::string("7")}) {
    INFO(value);
    dir.write("model.safetensors.index.json", "{\"metadata\": {}, \"weight_map\": " + value + "}");
    const std::string path = dir / "model.safetensors.index.json";
    CHECK(detect_format(path) == Format::SAFETENSORS_INDEX);
    auto e = expect_open_error([&] { return open_weight_file(path, {}); }, Code::BAD_SYNTAX);
    CHECK(e.field() == "index.weight_map");
    CHECK(mentions(e, "must be a JSON object"));
  }
}
