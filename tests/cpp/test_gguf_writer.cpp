// GGUF writer: round trips, gguf-py's layout, byte-identical rewrites, spec validation, and the
// atomic-replace guarantee (a failed write leaves the destination and no temp file behind).
#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <catch2/catch.hpp>

#include "core/dtype.hpp"
#include "formats/gguf/gguf_layout.hpp"
#include "gguf_bytes.hpp"

using namespace gguf_test;

namespace {

// A fresh directory per test case, removed (with its files) at the end.
struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/mwt-gguf-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    for (const auto& f : files()) ::unlink((path + "/" + f).c_str());
    ::rmdir(path.c_str());
  }
  std::vector<std::string> files() const {  // including dot files (temp files start with '.')
    std::vector<std::string> out;
    if (DIR* d = ::opendir(path.c_str())) {
      while (dirent* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
          out.push_back(e->d_name);
      ::closedir(d);
    }
    return out;
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
  std::string path;
};

std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

WriteMeta scalar_meta(std::string key, ValueType t, uint64_t bits) {
  WriteMeta m;
  m.key = std::move(key);
  m.type = t;
  m.scalar_bits = bits;
  return m;
}
WriteMeta str_meta(std::string key, std::string s) {
  WriteMeta m;
  m.key = std::move(key);
  m.type = ValueType::STRING;
  m.str = std::move(s);
  return m;
}
WriteMeta array_meta(std::string key, ValueType et, uint64_t count, std::vector<uint8_t> bytes) {
  WriteMeta m;
  m.key = std::move(key);
  m.type = ValueType::ARRAY;
  m.elem_type = et;
  m.count = count;
  m.array_bytes = std::move(bytes);
  return m;
}
WriteMeta str_array_meta(std::string key, std::vector<std::string> strs) {
  WriteMeta m;
  m.key = std::move(key);
  m.type = ValueType::ARRAY;
  m.elem_type = ValueType::STRING;
  m.count = strs.size();
  m.strings = std::move(strs);
  return m;
}

// Tensor data lives here so WriteTensor's borrowed pointers stay valid.
struct SpecWithData {
  WriteSpec spec;
  std::vector<std::vector<uint8_t>> data;
  void add(std::string name, DType dt, std::vector<uint64_t> shape, uint64_t nbytes) {
    auto& d = data.emplace_back(nbytes);
    for (uint64_t i = 0; i < nbytes; ++i) d[i] = static_cast<uint8_t>(i * 7 + data.size());
    spec.tensors.push_back(WriteTensor{std::move(name), dt, std::move(shape), d.data(), nbytes});
  }
};

// Every value type, string and empty arrays, and tensors of several dtypes and ranks.
SpecWithData rich_spec() {
  SpecWithData s;
  s.data.reserve(8);
  auto& md = s.spec.metadata;
  md.push_back(str_meta("general.architecture", "llama"));
  md.push_back(scalar_meta("u8", ValueType::U8, 200));
  md.push_back(scalar_meta("i8", ValueType::I8, 0xFE));
  md.push_back(scalar_meta("u16", ValueType::U16, 60000));
  md.push_back(scalar_meta("i16", ValueType::I16, 0xFFFD));
  md.push_back(scalar_meta("u32", ValueType::U32, 4000000000u));
  md.push_back(scalar_meta("i32", ValueType::I32, 0xFFFFFFFBu));
  md.push_back(scalar_meta("f32", ValueType::F32, 0x3FC00000u));  // 1.5f
  md.push_back(scalar_meta("bool", ValueType::BOOL, 1));
  md.push_back(scalar_meta("u64", ValueType::U64, UINT64_MAX));
  md.push_back(scalar_meta("i64", ValueType::I64, uint64_t(-7)));
  md.push_back(scalar_meta("f64", ValueType::F64, 0xC002000000000000ull));  // -2.25
  md.push_back(str_array_meta("tokenizer.ggml.tokens", {"<s>", "", "\xe2\x96\x81the"}));
  md.push_back(
      array_meta("tokenizer.ggml.scores", ValueType::F32, 2, std::vector<uint8_t>(8, 0x3F)));
  md.push_back(array_meta("empty", ValueType::I32, 0, {}));
  md.push_back(str_array_meta("empty_strs", {}));
  s.add("token_embd.weight", DType::F16, {3, 5}, 30);
  s.add("blk.0.attn_q.weight", DType::Q4_K, {2, 256}, 288);
  s.add("blk.0.ffn.weight", DType::Q8_0, {1, 2, 32}, 68);
  s.add("empty", DType::F32, {0, 4}, 0);
  s.add("scale", DType::F32, {}, 4);
  return s;
}

void check_matches(const WeightFile& wf, const WriteSpec& spec) {
  REQUIRE(wf.tensors.size() == spec.tensors.size());
  for (size_t i = 0; i < spec.tensors.size(); ++i) {
    const auto& t = spec.tensors[i];
    const auto& g = wf.tensors[i];
    CHECK(g.name == t.name);
    CHECK(g.dtype == t.dtype);
    CHECK(g.shape == t.shape);
    CHECK(g.nbytes == t.nbytes);
    if (t.nbytes) CHECK(std::memcmp(g.data, t.data, t.nbytes) == 0);
  }
  for (const auto& m : spec.metadata) {
    const int64_t i = wf.find_metadata(m.key);
    REQUIRE(i >= 0);
    const MetaValue& v = wf.metadata[static_cast<size_t>(i)].value;
    CHECK(v.type == m.type);
    CHECK(v.scalar_bits == m.scalar_bits);
    CHECK(v.str == m.str);
    CHECK(v.count == m.count);
    CHECK(std::vector<std::string>(v.strings.begin(), v.strings.end()) == m.strings);
  }
}

uint64_t pad(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

}  // namespace

TEST_CASE("writer round trip: read(write(spec)) == spec", "[gguf][writer]") {
  TempDir dir;
  auto s = rich_spec();
  write_gguf(s.spec, dir / "out.gguf");
  auto wf = read_gguf(MappedFile::open(dir / "out.gguf"), {});
  CHECK(wf->version == 3);
  CHECK(wf->alignment == 32);
  CHECK(wf->metadata.size() == s.spec.metadata.size());  // no general.alignment at 32
  CHECK(wf->find_metadata("general.alignment") == -1);
  CHECK(wf->warnings.empty());
  for (size_t i = 0; i < s.spec.metadata.size(); ++i)
    CHECK(wf->metadata[i].key == s.spec.metadata[i].key);  // spec order
  check_matches(*wf, s.spec);
  CHECK(dir.files() == std::vector<std::string>{"out.gguf"});  // no temp file left
}

TEST_CASE("writer layout is gguf-py's: contiguous offsets, every tensor padded", "[gguf][writer]") {
  TempDir dir;
  for (uint32_t align : {1u, 32u, 64u}) {
    auto s = rich_spec();
    s.spec.alignment = align;
    const std::string path = dir / ("a" + std::to_string(align) + ".gguf");
    write_gguf(s.spec, path, 2);
    auto wf = read_gguf(MappedFile::open(path), {});
    CHECK(wf->version == 2);
    CHECK(wf->alignment == align);
    CHECK(wf->data_offset % align == 0);
    uint64_t expect = wf->data_offset;
    for (size_t i = 0; i < wf->tensors.size(); ++i) {
      CHECK(wf->tensors[i].offset == expect);
      expect += pad(wf->tensors[i].nbytes, align);
    }
    CHECK(wf->total_size == expect);  // padding after the last tensor too
    const int64_t ai = wf->find_metadata("general.alignment");
    if (align == 32) {
      CHECK(ai == -1);
    } else {  // appended after the spec's entries
      CHECK(ai == static_cast<int64_t>(s.spec.metadata.size()));
      CHECK(wf->metadata[static_cast<size_t>(ai)].value.type == ValueType::U32);
      CHECK(wf->metadata[static_cast<size_t>(ai)].value.scalar_bits == align);
    }
    OpenOptions strict;
    strict.gguf_contiguous = true;  // ggml's own offset rule holds
    CHECK_NOTHROW(read_gguf(MappedFile::open(path), strict));
  }
}

TEST_CASE("general.alignment in the spec is kept in place and must match", "[gguf][writer]") {
  TempDir dir;
  auto s = rich_spec();
  s.spec.metadata.insert(s.spec.metadata.begin() + 1,
                         scalar_meta("general.alignment", ValueType::U32, 32));
  write_gguf(s.spec, dir / "a.gguf");
  auto wf = read_gguf(MappedFile::open(dir / "a.gguf"), {});
  CHECK(wf->find_metadata("general.alignment") == 1);
  CHECK(wf->metadata.size() == s.spec.metadata.size());

  s.spec.alignment = 64;  // disagrees with the entry
  auto code_of_write = [&] {
    try {
      write_gguf(s.spec, dir / "b.gguf");
    } catch (const Error& e) {
      return e.code();
    }
    return Code::OK;
  };
  CHECK(code_of_write() == Code::ARGUMENT);
  s.spec.metadata[1].type = ValueType::I32;  // right value, wrong type
  s.spec.alignment = 32;
  CHECK(code_of_write() == Code::ARGUMENT);
  CHECK(dir.files() == std::vector<std::string>{"a.gguf"});
}

TEST_CASE("writing is deterministic and rewriting a read file is byte-identical",
          "[gguf][writer]") {
  TempDir dir;
  auto s = rich_spec();
  s.spec.alignment = 64;
  write_gguf(s.spec, dir / "1.gguf");
  write_gguf(s.spec, dir / "2.gguf");
  const auto first = slurp(dir / "1.gguf");
  CHECK(first == slurp(dir / "2.gguf"));

  auto wf = read_gguf(MappedFile::open(dir / "1.gguf"), {});
  const WriteSpec again = gguf::spec_from_weight_file(*wf);
  write_gguf(again, dir / "3.gguf", wf->version);
  CHECK(first == slurp(dir / "3.gguf"));

  // The same for a hand-built file in gguf-py's layout (alignment 32, every tensor padded).
  GgufBytes g;
  g.header(2, 2).kv_str("general.architecture", "x");
  g.kv("v", T_ARRAY).array(T_STRING, 2).str("a").str("bc");
  g.tensor_info("w", {3}, 0, 0).tensor_info("b", {2, 2}, 30, 32);
  g.pad_to(32).data(12).pad_to(32).data(8).pad_to(32);
  auto hand = read_gguf(MappedFile::from_bytes(g.b, "hand.gguf"), {});
  write_gguf(gguf::spec_from_weight_file(*hand), dir / "4.gguf");
  CHECK(slurp(dir / "4.gguf") == g.b);
}

TEST_CASE("writer rejects invalid specs with exact codes and writes nothing", "[gguf][writer]") {
  TempDir dir;
  const std::string dest = dir / "keep.gguf";
  {
    std::ofstream f(dest, std::ios::binary);
    f << "old contents";
  }
  auto expect_reject = [&](const WriteSpec& spec, Code code) {
    try {
      write_gguf(spec, dest);
      FAIL("expected " << code_name(code));
    } catch (const Error& e) {
      INFO(e.what());
      CHECK(code_name(e.code()) == std::string(code_name(code)));
      CHECK_FALSE(e.field().empty());
    }
    auto bytes = slurp(dest);
    CHECK(std::string(bytes.begin(), bytes.end()) == "old contents");
    CHECK(dir.files() == std::vector<std::string>{"keep.gguf"});
  };
  {
    auto s = rich_spec();
    s.spec.metadata.push_back(str_meta("u8", "again"));
    expect_reject(s.spec, Code::DUPLICATE);
  }
  {
    auto s = rich_spec();
    s.add("empty", DType::F32, {1}, 4);
    expect_reject(s.spec, Code::DUPLICATE);
  }
  for (DType bad : {DType::BOOL, DType::U8, DType::F8_E4M3, static_cast<DType>(4)}) {
    auto s = rich_spec();
    s.add("x", bad, {4}, 4);
    expect_reject(s.spec, Code::BAD_DTYPE);
  }
  {
    auto s = rich_spec();
    s.add("x", DType::F32, {4}, 12);  // needs 16
    expect_reject(s.spec, Code::SIZE_MISMATCH);
  }
  {
    auto s = rich_spec();
    s.add(std::string(64, 'n'), DType::F32, {1}, 4);
    expect_reject(s.spec, Code::BAD_SYNTAX);
  }
  {
    auto s = rich_spec();
    s.spec.metadata.push_back(str_meta("", "v"));
    expect_reject(s.spec, Code::BAD_SYNTAX);
  }
  {
    auto s = rich_spec();
    s.spec.metadata.push_back(array_meta("nested", ValueType::ARRAY, 0, {}));
    expect_reject(s.spec, Code::UNSUPPORTED_FEATURE);
  }
  {
    auto s = rich_spec();
    s.add("q", DType::Q4_0, {2, 16}, 18);  // innermost 16 is half a Q4_0 block
    expect_reject(s.spec, Code::BAD_SHAPE);
  }
  {
    auto s = rich_spec();
    s.spec.metadata.push_back(array_meta("short", ValueType::U32, 3, std::vector<uint8_t>(8)));
    expect_reject(s.spec, Code::SIZE_MISMATCH);
  }
  {
    auto s = rich_spec();
    s.spec.metadata.push_back(scalar_meta("wide", ValueType::U8, 0x100));
    expect_reject(s.spec, Code::ARGUMENT);
  }
  {
    auto s = rich_spec();
    s.spec.alignment = 48;
    expect_reject(s.spec, Code::BAD_ALIGNMENT);
  }
  {
    auto s = rich_spec();
    try {
      write_gguf(s.spec, dest, 1);
      FAIL("v1 written");
    } catch (const Error& e) {
      CHECK(e.code() == Code::UNSUPPORTED_VERSION);
    }
  }
}

TEST_CASE("writer I/O failure leaves no file behind", "[gguf][writer]") {
  TempDir dir;
  auto s = rich_spec();
  try {
    write_gguf(s.spec, dir / "missing-subdir/out.gguf");
    FAIL("wrote into a directory that does not exist");
  } catch (const Error& e) {
    CHECK(e.code() == Code::IO);
  }
  CHECK(dir.files().empty());
  // An existing destination is replaced only by a complete, verified file.
  const std::string dest = dir / "x.gguf";
  {
    std::ofstream f(dest, std::ios::binary);
    f << "old";
  }
  write_gguf(s.spec, dest);
  CHECK(slurp(dest).size() > 3);
  CHECK(dir.files() == std::vector<std::string>{"x.gguf"});
}
