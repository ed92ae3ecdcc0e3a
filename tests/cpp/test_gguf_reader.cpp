// GGUF reader on valid files: every value type, arrays, alignments, empty and rank-0 tensors,
// every ggml dtype, plus the truncation and bit-flip sweeps over a small valid file.
#include <chrono>
#include <cstring>

#include <catch2/catch.hpp>

#include "core/dtype.hpp"
#include "gguf_bytes.hpp"

using namespace gguf_test;

namespace {

template <typename T>
T scalar(const MetaValue& v) {
  T x;
  std::memcpy(&x, &v.scalar_bits, sizeof x);
  return x;
}

const MetaValue& meta(const WeightFile& wf, std::string_view key) {
  const int64_t i = wf.find_metadata(key);
  REQUIRE(i >= 0);
  return wf.metadata[static_cast<size_t>(i)].value;
}

}  // namespace

TEST_CASE("every GGUF value type is read with its type and value", "[gguf]") {
  GgufBytes g;
  g.header(0, 13, 2);  // v2: same layout as v3
  g.kv("u8", T_U8).u8(200);
  g.kv("i8", T_I8).u8(0xFE);
  g.kv("u16", T_U16).u16(60000);
  g.kv("i16", T_I16).u16(0xFFFD);
  g.kv("u32", T_U32).u32(4000000000u);
  g.kv("i32", T_I32).put(int32_t{-5});
  g.kv("f32", T_F32).put(1.5f);
  g.kv("bool", T_BOOL).u8(1);
  g.kv_str("str", "h\xc3\xa9llo");
  g.kv("u64", T_U64).u64(UINT64_MAX);
  g.kv("i64", T_I64).put(int64_t{-7});
  g.kv("f64", T_F64).put(-2.25);
  const uint64_t arr_at = g.size();
  g.kv("arr", T_ARRAY).array(T_I16, 3).u16(1).u16(0xFFFF).u16(3);
  auto wf = open_bytes(g.b);
  CHECK(wf->format == Format::GGUF);
  CHECK(wf->version == 2);
  CHECK(wf->alignment == 32);
  CHECK(wf->tensors.empty());
  REQUIRE(wf->metadata.size() == 13);
  CHECK(wf->metadata[0].key == "u8");  // file order kept
  CHECK(wf->metadata[0].offset == 24);
  CHECK(wf->metadata[12].offset == arr_at);
  CHECK(meta(*wf, "u8").type == ValueType::U8);
  CHECK(scalar<uint8_t>(meta(*wf, "u8")) == 200);
  CHECK(scalar<int8_t>(meta(*wf, "i8")) == -2);
  CHECK(meta(*wf, "i8").scalar_bits == 0xFE);  // zero-extended raw bytes
  CHECK(scalar<uint16_t>(meta(*wf, "u16")) == 60000);
  CHECK(scalar<int16_t>(meta(*wf, "i16")) == -3);
  CHECK(scalar<uint32_t>(meta(*wf, "u32")) == 4000000000u);
  CHECK(scalar<int32_t>(meta(*wf, "i32")) == -5);
  CHECK(meta(*wf, "f32").type == ValueType::F32);
  CHECK(scalar<float>(meta(*wf, "f32")) == 1.5f);
  CHECK(meta(*wf, "bool").type == ValueType::BOOL);
  CHECK(meta(*wf, "bool").scalar_bits == 1);
  CHECK(meta(*wf, "str").type == ValueType::STRING);
  CHECK(meta(*wf, "str").str == "h\xc3\xa9llo");
  CHECK(scalar<uint64_t>(meta(*wf, "u64")) == UINT64_MAX);
  CHECK(scalar<int64_t>(meta(*wf, "i64")) == -7);
  CHECK(scalar<double>(meta(*wf, "f64")) == -2.25);
  const MetaValue& a = meta(*wf, "arr");
  CHECK(a.type == ValueType::ARRAY);
  CHECK(a.elem_type == ValueType::I16);
  REQUIRE(a.count == 3);
  int16_t v[3];
  std::memcpy(v, a.array_data, sizeof v);
  CHECK(v[0] == 1);
  CHECK(v[1] == -1);
  CHECK(v[2] == 3);
}

TEST_CASE("strings and arrays are zero-copy views into the file", "[gguf]") {
  GgufBytes g;
  g.header(0, 2).kv_str("s", "abc");
  g.kv("a", T_ARRAY).array(T_F32, 2).put(1.0f).put(2.0f);
  auto file = MappedFile::from_bytes(g.b, "v.gguf");
  auto wf = read_gguf(file, {});
  const uint8_t* lo = file->data();
  const uint8_t* hi = lo + file->size();
  const auto* s = reinterpret_cast<const uint8_t*>(meta(*wf, "s").str.data());
  CHECK((s >= lo && s < hi));
  const uint8_t* arr = meta(*wf, "a").array_data;
  CHECK((arr >= lo && arr + 8 <= hi));
  const auto* key = reinterpret_cast<const uint8_t*>(wf->metadata[0].key.data());
  CHECK((key >= lo && key < hi));
  CHECK(wf->files.size() == 1);
  CHECK(wf->files[0] == file);
}

TEST_CASE("string arrays, empty arrays and empty strings", "[gguf]") {
  GgufBytes g;
  g.header(0, 5);
  g.kv("tokens", T_ARRAY).array(T_STRING, 4).str("<s>").str("").str("\xe2\x96\x81the").str("z");
  g.kv("empty_u32", T_ARRAY).array(T_U32, 0);
  g.kv("empty_str", T_ARRAY).array(T_STRING, 0);
  g.kv_str("empty", "");
  g.kv("bools", T_ARRAY).array(T_BOOL, 2).u8(1).u8(0);
  auto wf = open_bytes(g.b);
  const MetaValue& t = meta(*wf, "tokens");
  CHECK(t.elem_type == ValueType::STRING);
  REQUIRE(t.strings.size() == 4);
  CHECK(t.count == 4);
  CHECK(t.strings[0] == "<s>");
  CHECK(t.strings[1].empty());
  CHECK(t.strings[2] == "\xe2\x96\x81the");
  CHECK(t.strings[3] == "z");
  CHECK(meta(*wf, "empty_u32").count == 0);
  CHECK(meta(*wf, "empty_u32").elem_type == ValueType::U32);
  CHECK(meta(*wf, "empty_str").strings.empty());
  CHECK(meta(*wf, "empty").str.empty());
  CHECK(meta(*wf, "bools").array_data[0] == 1);
}

TEST_CASE("tensor table: shapes reversed to numpy order, absolute offsets, data views", "[gguf]") {
  GgufBytes g;
  g.header(3, 1).kv_str("general.architecture", "llama");
  g.tensor_info("tok_embd", {4, 3}, 0, 0);   // 12 F32 = 48 bytes
  g.tensor_info("norm", {4}, 1, 64);         // 4 F16 = 8 bytes
  g.tensor_info("blk.0.q", {32, 2}, 8, 96);  // 2 Q8_0 blocks = 68 bytes
  g.pad_to(32);
  const uint64_t data_start = g.size();
  g.data(48, 1).pad_to(32).data(8, 100).pad_to(32).data(68, 200);
  g.zeros(5);  // trailing bytes after the last tensor are allowed
  auto wf = open_bytes(g.b);
  CHECK(wf->data_offset == data_start);
  CHECK(wf->total_size == g.size());
  CHECK(wf->warnings.empty());
  REQUIRE(wf->tensors.size() == 3);
  const TensorInfo& e = wf->tensors[0];
  CHECK(e.name == "tok_embd");
  CHECK(e.dtype == DType::F32);
  CHECK(e.shape == std::vector<uint64_t>{3, 4});
  CHECK(e.numel == 12);
  CHECK(e.nbytes == 48);
  CHECK(e.offset == data_start);
  REQUIRE(e.data != nullptr);
  CHECK(e.data[0] == 1);
  CHECK(e.data[47] == 48);
  const TensorInfo& q = wf->tensors[2];
  CHECK(q.dtype == DType::Q8_0);
  CHECK(q.shape == std::vector<uint64_t>{2, 32});
  CHECK(q.nbytes == 68);
  CHECK(q.offset == data_start + 96);
  CHECK(q.data[0] == 200);
  CHECK(wf->find_tensor("norm") == 1);
  CHECK(wf->find_tensor("nope") == -1);
  CHECK(wf->tensors[1].data[0] == 100);
}

TEST_CASE("custom alignments 1, 64 and 65536", "[gguf]") {
  for (uint32_t align : {1u, 2u, 64u, 65536u}) {
    GgufBytes g;
    g.header(2, 1).kv_u32("general.alignment", align);
    const uint64_t b_off = (12 + align - 1) / align * align;  // PAD(12)
    g.tensor_info("a", {3}, 0, 0).tensor_info("b", {5}, 0, b_off);
    g.pad_to(align);
    const uint64_t data_start = g.size();
    g.data(12).pad_to(align).data(20, 77);
    auto wf = open_bytes(g.b);
    CHECK(wf->alignment == align);
    CHECK(wf->data_offset == data_start);
    CHECK(data_start % align == 0);
    CHECK(wf->tensors[1].offset == data_start + b_off);
    CHECK(wf->tensors[1].data[0] == 77);
    CHECK(wf->warnings.empty());
  }
}

TEST_CASE("empty and rank-0 tensors", "[gguf]") {
  GgufBytes g;
  g.header(3, 0);
  g.tensor_info("empty", {0, 8}, 12, 0);  // Q4_K with 0 columns: no data
  g.tensor_info("scalar", {}, 0, 0);      // rank 0: one F32 element
  g.tensor_info("after", {2}, 0, 32);
  g.pad_to(32).data(4).pad_to(32).data(8);
  auto wf = open_bytes(g.b);
  REQUIRE(wf->tensors.size() == 3);
  CHECK(wf->tensors[0].shape == std::vector<uint64_t>{8, 0});
  CHECK(wf->tensors[0].numel == 0);
  CHECK(wf->tensors[0].nbytes == 0);
  CHECK(wf->tensors[0].data == nullptr);
  CHECK(wf->tensors[1].shape.empty());
  CHECK(wf->tensors[1].numel == 1);
  CHECK(wf->tensors[1].nbytes == 4);
  CHECK(wf->tensors[1].data != nullptr);
  CHECK(wf->warnings.empty());

  GgufBytes only_empty;  // the data section of a file whose only tensor is empty ends the file
  only_empty.header(1, 0).tensor_info("e", {0}, 0, 0).pad_to(32);
  CHECK(open_bytes(only_empty.b)->tensors[0].nbytes == 0);
}

TEST_CASE("every ggml dtype with its block size opens and one element short of a block fails",
          "[gguf]") {
  int n_types = 0;
  for (uint32_t id = 0; id < kGgmlTypeCount; ++id) {
    const DTypeInfo* dt = dtype_info(id);
    if (!dt) continue;
    ++n_types;
    INFO(dt->name);
    const uint64_t ne0 = dt->block_elems * 2;
    const uint64_t nbytes = uint64_t{dt->block_bytes} * 2 * 3;
    GgufBytes g;
    g.header(1, 0).tensor_info("w", {ne0, 3}, id, 0).pad_to(32).data(nbytes);
    auto wf = open_bytes(g.b);
    CHECK(wf->tensors[0].dtype == dt->id);
    CHECK(wf->tensors[0].shape == std::vector<uint64_t>{3, ne0});
    CHECK(wf->tensors[0].numel == ne0 * 3);
    CHECK(wf->tensors[0].nbytes == nbytes);
    if (dt->block_elems > 1) {
      GgufBytes bad;
      bad.header(1, 0).tensor_info("w", {ne0 - 1, 3}, id, 0).pad_to(32).data(nbytes);
      expect_error(bad.b, Code::BAD_SHAPE);
    }
  }
  CHECK(n_types == 35);  // 43 ids minus the 8 removed ones
}

TEST_CASE("truncating a valid file at every byte fails with a defined code", "[gguf]") {
  const auto full = small_valid_file();
  auto wf = open_bytes(full);
  REQUIRE(wf->tensors.size() == 2);
  const uint64_t data_start = wf->data_offset;
  for (size_t len = 0; len < full.size(); ++len) {
    INFO("truncated to " << len << " bytes");
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
    // Up to the data section the file is short of a field (TRUNCATED); inside the data
    // section every field is whole and a tensor's data runs past EOF (OUT_OF_BOUNDS).
    expect_error(cut, len < data_start ? Code::TRUNCATED : Code::OUT_OF_BOUNDS);
  }
}

TEST_CASE("flipping every bit of the metadata never crashes", "[gguf]") {
  const auto full = small_valid_file();
  const uint64_t meta_end = open_bytes(full)->data_offset;
  int opened = 0, refused = 0;
  for (uint64_t byte = 0; byte < meta_end; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      auto b = full;
      b[byte] ^= static_cast<uint8_t>(1u << bit);
      try {
        auto wf = open_bytes(b);
        for (const auto& t : wf->tensors)  // every view lies inside the file
          CHECK((t.nbytes == 0 || t.offset + t.nbytes <= b.size()));
        ++opened;
      } catch (const Error& e) {
        CHECK(e.code() != Code::INTERNAL);
        CHECK(e.offset() != kNoOffset);
        ++refused;
      }
    }
  }
  CHECK(refused > 0);
  CHECK(opened + refused == static_cast<int>(meta_end * 8));
}

TEST_CASE("a 70B-shaped file opens quickly", "[gguf]") {
  // 723 tensors and a 150k-entry tokenizer (tokens, scores, types), like a Llama-3-70B GGUF
  // but with 1-element tensors so the file stays small.
  const int n_vocab = 150000, n_tensors = 723;
  GgufBytes g;
  g.header(n_tensors, 4).kv_str("general.architecture", "llama");
  g.kv("tokenizer.ggml.tokens", T_ARRAY).array(T_STRING, n_vocab);
  for (int i = 0; i < n_vocab; ++i) g.str("tok" + std::to_string(i));
  g.kv("tokenizer.ggml.scores", T_ARRAY).array(T_F32, n_vocab).zeros(4ull * n_vocab);
  g.kv("tokenizer.ggml.token_type", T_ARRAY).array(T_I32, n_vocab).zeros(4ull * n_vocab);
  for (int i = 0; i < n_tensors; ++i)
    g.tensor_info("blk." + std::to_string(i / 9) + ".w" + std::to_string(i % 9), {8}, 0, 32ull * i);
  g.pad_to(32);
  for (int i = 0; i < n_tensors; ++i) g.data(32);
  const auto t0 = std::chrono::steady_clock::now();
  auto wf = open_bytes(g.b);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  CHECK(wf->tensors.size() == static_cast<size_t>(n_tensors));
  CHECK(meta(*wf, "tokenizer.ggml.tokens").strings.size() == static_cast<size_t>(n_vocab));
  CHECK(meta(*wf, "tokenizer.ggml.tokens").strings[149999] == "tok149999");
  INFO("opened 723 tensors + 3 x 150k-entry arrays in " << ms << " ms");
  CHECK(ms < 1000.0);  // generous: sanitizer Debug builds on a shared 2-core machine
}
