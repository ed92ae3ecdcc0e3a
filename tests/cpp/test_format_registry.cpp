// The format registry (formats/registry.hpp): the built-in rows keep the pinned mwt_format ids
// and their sniffing, opening and writing behaviour; and a toy format defined only in this file
// ("MWTTOY1\n", CONTRIBUTING.md's worked example), added through ScopedFormatRow, is detected,
// opened, read and written through the ordinary detect / open / C ABI paths.
#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "code_of.hpp"
#include "core/atomic_file.hpp"
#include "core/byte_reader.hpp"
#include "core/checked.hpp"
#include "formats/open.hpp"
#include "formats/registry.hpp"
#include "mwt/mwt.h"
#include "st_bytes.hpp"

using namespace mwt::detail;
using st_test::StBytes;
using st_test::TempDir;

namespace {

// ----------------------------------------------------------------- the toy format
// "MWTTOY1\n", u32 n, then n times {u32 name length, name, u32 mwt_dtype, u32 ndim,
// u64 dims[ndim] in numpy order}; then each tensor's bytes back to back in table order, and
// nothing after the last one.
constexpr std::string_view kToyMagic = "MWTTOY1\n";
constexpr auto kToy = static_cast<Format>(100);
constexpr uint64_t kToyMinEntryBytes = 4 + 4 + 4;  // empty name, dtype, rank 0

Format sniff_toy(const uint8_t* data, uint64_t size) noexcept {
  return size >= kToyMagic.size() && std::memcmp(data, kToyMagic.data(), kToyMagic.size()) == 0
             ? kToy
             : Format::UNKNOWN;
}

std::unique_ptr<WeightFile> read_toy(std::shared_ptr<MappedFile> file) {
  ByteReader r(file->data(), file->size());
  r.take(kToyMagic.size(), "magic");
  const uint64_t n = r.u32("n_tensors");
  if (n > r.remaining() / kToyMinEntryBytes)  // bound the count by the bytes before reserving
    fail(Code::TRUNCATED, "more tensors than bytes left", r.file_offset(), "n_tensors");
  auto wf = std::make_unique<WeightFile>();
  wf->format = kToy;
  wf->tensors.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    TensorInfo t;
    const uint32_t len = r.u32("name_len");
    const uint8_t* name = r.take(len, "name");
    t.name.assign(reinterpret_cast<const char*>(name), len);
    const uint64_t dtype_at = r.file_offset();
    const DTypeInfo* info = dtype_info(r.u32("dtype"));
    if (info == nullptr) fail(Code::BAD_DTYPE, "not an mwt_dtype", dtype_at, "dtype");
    t.dtype = info->id;
    const uint32_t ndim = r.u32("ndim");
    if (ndim > r.remaining() / 8) fail(Code::TRUNCATED, "dims past the end", r.file_offset());
    t.numel = 1;
    for (uint32_t d = 0; d < ndim; ++d) {
      t.shape.push_back(r.u64("dims"));
      t.numel = checked_mul(t.numel, t.shape.back(), "numel");
    }
    t.nbytes = dtype_nbytes(*info, t.numel, "nbytes", dtype_at);
    wf->tensors.push_back(std::move(t));
  }
  uint64_t at = r.pos();
  for (TensorInfo& t : wf->tensors) {
    if (t.nbytes > file->size() - at)
      fail(Code::OUT_OF_BOUNDS, "tensor data past the end of the file", at, t.name);
    t.offset = at;
    t.data = t.nbytes != 0 ? file->data() + at : nullptr;
    at += t.nbytes;
  }
  if (at != file->size()) fail(Code::TRAILING_DATA, "bytes after the last tensor", at);
  wf->total_size = file->size();
  wf->data_offset = r.pos();
  wf->files.push_back(std::move(file));
  wf->build_index();
  return wf;
}

void write_toy(const WriteSpec& spec, const std::string& path) {
  AtomicFile out(path);
  auto u32 = [&](uint32_t v) { out.write(&v, 4); };  // little-endian host
  out.write(kToyMagic.data(), kToyMagic.size());
  u32(static_cast<uint32_t>(spec.tensors.size()));
  for (const WriteTensor& t : spec.tensors) {
    u32(static_cast<uint32_t>(t.name.size()));
    out.write(t.name.data(), t.name.size());
    u32(static_cast<uint32_t>(t.dtype));
    u32(static_cast<uint32_t>(t.shape.size()));
    for (uint64_t d : t.shape) out.write(&d, 8);
  }
  for (const WriteTensor& t : spec.tensors) out.write(t.data, t.nbytes);
  out.commit([](const std::string& tmp) { read_toy(MappedFile::open(tmp)); });
}

const FormatWriter kToyWriter{
    .constant = "TOY",
    .write = write_toy,
    .typed_metadata = false,
    .alignment = false,
    .empty_keys = true,
    .stores = [](const DTypeInfo& d) { return !d.quantized; },
    .dtype_refusal = "toy files (no block-quantized types)",
};

const FormatRow kToyRow{
    .id = kToy,
    .name = "mwt-toy",
    .label = "toy",
    .sniff = sniff_toy,
    .open = [](const std::string& path,
               const OpenOptions&) { return read_toy(MappedFile::open(path)); },
    .writer = &kToyWriter,
};

// Toy file bytes: "w" F32 [2, 3] counting from 0, "b" I16 [] = 7, "e" U8 [0].
std::vector<uint8_t> toy_bytes(std::vector<float>& w_out) {
  std::vector<uint8_t> b(kToyMagic.begin(), kToyMagic.end());
  auto put = [&](const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b.insert(b.end(), c, c + n);
  };
  auto u32 = [&](uint32_t v) { put(&v, 4); };
  auto u64 = [&](uint64_t v) { put(&v, 8); };
  auto entry = [&](const char* name, uint32_t dtype, const std::vector<uint64_t>& shape) {
    u32(1);
    put(name, 1);
    u32(dtype);
    u32(static_cast<uint32_t>(shape.size()));
    for (uint64_t d : shape) u64(d);
  };
  u32(3);
  entry("w", MWT_DTYPE_F32, {2, 3});
  entry("b", MWT_DTYPE_I16, {});
  entry("e", MWT_DTYPE_U8, {0});
  w_out = {0, 1, 2, 3, 4, 5};
  put(w_out.data(), 24);
  const int16_t seven = 7;
  put(&seven, 2);
  return b;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

// ----------------------------------------------------------------- byte builders
// The bytes of a string literal, embedded NULs included (no terminator).
template <size_t N>
std::vector<uint8_t> lit(const char (&s)[N]) {
  return {s, s + N - 1};
}

// A stored-only zip with the given entry names (empty contents): local headers, central
// directory and EOCD, as the sniff walks them.
std::vector<uint8_t> zip_with(const std::vector<std::string>& names) {
  std::vector<uint8_t> b;
  auto u16 = [&](uint32_t v) {
    b.push_back(static_cast<uint8_t>(v));
    b.push_back(static_cast<uint8_t>(v >> 8));
  };
  auto u32 = [&](uint32_t v) {
    u16(v & 0xffff);
    u16(v >> 16);
  };
  std::vector<uint32_t> local_at;
  for (const std::string& n : names) {
    local_at.push_back(static_cast<uint32_t>(b.size()));
    u32(0x04034b50);
    for (uint32_t v : {20, 0, 0, 0, 0}) u16(v);  // version, flags, method (stored), time, date
    for (int k = 0; k < 3; ++k) u32(0);          // crc, sizes: empty contents
    u16(static_cast<uint32_t>(n.size()));
    u16(0);  // extra field length
    b.insert(b.end(), n.begin(), n.end());
  }
  const auto cd_at = static_cast<uint32_t>(b.size());
  for (size_t i = 0; i < names.size(); ++i) {
    u32(0x02014b50);
    for (uint32_t v : {20, 20, 0, 0, 0, 0}) u16(v);  // made by, needed, flags, method, time, date
    for (int k = 0; k < 3; ++k) u32(0);              // crc, sizes
    u16(static_cast<uint32_t>(names[i].size()));
    for (int k = 0; k < 4; ++k) u16(0);  // extra, comment, disk, internal attributes
    u32(0);                              // external attributes
    u32(local_at[i]);
    b.insert(b.end(), names[i].begin(), names[i].end());
  }
  const auto cd_size = static_cast<uint32_t>(b.size() - cd_at);
  u32(0x06054b50);
  u16(0);                                    // this disk
  u16(0);                                    // the central directory's disk
  u16(static_cast<uint32_t>(names.size()));  // entries on this disk
  u16(static_cast<uint32_t>(names.size()));  // entries
  u32(cd_size);
  u32(cd_at);
  u16(0);  // comment length
  return b;
}

std::vector<uint8_t> safetensors_empty() { return StBytes().u64(2).raw("{}").b; }

}  // namespace

TEST_CASE("registry: one row per pinned mwt_format id, with the ABI's names",
          "[formats][registry]") {
  const std::vector<std::pair<mwt_format, std::string>> pinned = {
      {MWT_FORMAT_GGUF, "gguf"},
      {MWT_FORMAT_SAFETENSORS, "safetensors"},
      {MWT_FORMAT_PYTORCH_ZIP, "pytorch"},
      {MWT_FORMAT_ONNX, "onnx"},
      {MWT_FORMAT_NPY, "npy"},
      {MWT_FORMAT_NPZ, "npz"},
      {MWT_FORMAT_SAFETENSORS_INDEX, "safetensors-sharded"},
      {MWT_FORMAT_PYTORCH_LEGACY, "pytorch-legacy"},
      {MWT_FORMAT_TORCHSCRIPT, "torchscript"},
      {MWT_FORMAT_ZIP, "zip"},
  };
  CHECK(format_rows().size() == pinned.size());
  for (const auto& [id, name] : pinned) {
    const FormatRow* row = find_format_row(static_cast<Format>(id));
    REQUIRE(row != nullptr);
    CHECK(row->name == name);
    CHECK(std::string(mwt_format_name(id)) == name);
    // Every format is readable, or says what it is when refused.
    CHECK((row->open != nullptr) != (row->description != nullptr));
  }
  CHECK(find_format_row(Format::UNKNOWN) == nullptr);
  CHECK(std::string(format_name(Format::UNKNOWN)) == "unknown");
  CHECK(std::string(mwt_format_name(static_cast<mwt_format>(11))) == "unknown");
  // Readable: GGUF and safetensors (single and sharded); writable: GGUF and safetensors.
  for (const FormatRow& row : format_rows()) {
    const bool st = row.id == Format::SAFETENSORS || row.id == Format::SAFETENSORS_INDEX;
    CHECK((row.open != nullptr) == (row.id == Format::GGUF || st));
    CHECK((row.writer != nullptr) == (row.id == Format::GGUF || row.id == Format::SAFETENSORS));
  }
}

TEST_CASE("registry: content sniffing names each built-in format, in table order",
          "[formats][registry]") {
  auto detect = [](const std::vector<uint8_t>& b) {
    return detect_format_bytes(b.data(), b.size());
  };
  CHECK(detect(lit("GGUF\x03\0\0\0\0\0\0\0\0\0\0\0")) == Format::GGUF);
  CHECK(detect(safetensors_empty()) == Format::SAFETENSORS);
  CHECK(detect(lit("\x93NUMPY\x01\x00v\x00{'descr': '<f4'}")) == Format::NPY);
  CHECK(detect(zip_with({"archive/data.pkl", "archive/data/0"})) == Format::PYTORCH_ZIP);
  CHECK(detect(zip_with({"m/data.pkl", "m/code/__torch__.py", "m/constants.pkl"})) ==
        Format::TORCHSCRIPT);
  CHECK(detect(zip_with({"x.npy", "y.npy"})) == Format::NPZ);
  CHECK(detect(zip_with({"readme.txt"})) == Format::ZIP);
  CHECK(detect(zip_with({})) == Format::ZIP);  // an empty archive is only an EOCD record
  CHECK(detect(lit("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e")) ==
        Format::PYTORCH_LEGACY);
  std::vector<uint8_t> tar(512, 0);
  std::memcpy(tar.data() + 257, "ustar", 5);
  CHECK(detect(tar) == Format::PYTORCH_LEGACY);
  CHECK(detect(lit("\x08\x07\x12\x04"
                   "abcd")) == Format::ONNX);              // ir_version, producer
  CHECK(detect(lit("\x08\x07\x28\x05")) == Format::ONNX);  // ir_version, model_version
  CHECK(detect(lit("plain text, not weights")) == Format::UNKNOWN);
  CHECK(detect({}) == Format::UNKNOWN);

  // Order: a zip signature whose byte 8 onwards reads "{}" stays a zip; a safetensors header
  // holding "ustar" at byte 257 stays safetensors; GGUF whose n_tensors bytes read "{}" too.
  CHECK(detect(lit("PK\x03\x04\xff\xff\xff\xff{}")) == Format::ZIP);
  std::string header = "{\"__metadata__\":{\"pad\":\"" + std::string(300, 'x') + "\"}}";
  header.replace(257 - 8, 5, "ustar");
  CHECK(detect(StBytes().u64(header.size()).raw(header).b) == Format::SAFETENSORS);
  CHECK(detect(lit("GGUF\x03\0\0\0{}\0\0\0\0\0\0")) == Format::GGUF);
}

TEST_CASE("registry: path rules, and the errors open_weight_file gives for each row",
          "[formats][registry]") {
  TempDir dir;
  auto at = [&](const std::string& name, const std::vector<uint8_t>& b) {
    dir.write(name, b);
    return dir / name;
  };
  // *.index.json is judged by the index row alone: GGUF bytes under that name are unknown.
  CHECK(detect_format(at("x.index.json", lit("GGUF\x03\0\0\0\0\0\0\0"))) == Format::UNKNOWN);
  CHECK(detect_format(at("m.index.json", lit("{\"weight\\u005fmap\": {}}"))) ==
        Format::SAFETENSORS_INDEX);
  CHECK(detect_format(at("plain.json", lit("{\"weight_map\": {}}"))) == Format::UNKNOWN);

  const std::string empty_dir = dir / "empty";
  std::filesystem::create_directory(empty_dir);
  CHECK(detect_format(empty_dir) == Format::UNKNOWN);
  std::string msg = message_of([&] { open_weight_file(empty_dir, {}); });
  CHECK(code_of([&] { open_weight_file(empty_dir, {}); }) == Code::BAD_MAGIC);
  CHECK(contains(msg, "holds no *.safetensors or *.safetensors.index.json file"));
  const std::string shards = dir / "shards";
  std::filesystem::create_directory(shards);
  TempDir::write_to(shards + "/model.safetensors", safetensors_empty());
  CHECK(detect_format(shards) == Format::SAFETENSORS_INDEX);
  CHECK(open_weight_file(shards, {})->format == Format::SAFETENSORS_INDEX);
  CHECK(open_weight_file(at("one.safetensors", safetensors_empty()), {})->format ==
        Format::SAFETENSORS);

  const std::vector<std::pair<std::vector<uint8_t>, std::string>> unread = {
      {zip_with({"a/data.pkl"}), "is a PyTorch zip checkpoint (data.pkl)"},
      {zip_with({"a/code/x.py", "a/constants.pkl"}), "is a TorchScript archive"},
      {zip_with({"x.npy"}), "is a NumPy .npz archive"},
      {zip_with({"notes.txt"}), "is a zip archive that is neither a PyTorch checkpoint nor an"},
      {lit("\x93NUMPY\x01\x00v\x00{}"), "is a NumPy .npy array"},
      {lit("\x08\x07\x12\x04"
           "abcd"),
       "is an ONNX model (protobuf ModelProto)"},
      {lit("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e"),
       "is a legacy (pre-1.6, non-zip) PyTorch checkpoint"},
  };
  int i = 0;
  for (const auto& [bytes, what] : unread) {
    const std::string path = at("unread" + std::to_string(i++), bytes);
    CHECK(code_of([&] { open_weight_file(path, {}); }) == Code::UNSUPPORTED_FORMAT);
    msg = message_of([&] { open_weight_file(path, {}); });
    CHECK(contains(msg, what));
    CHECK(contains(msg, "mwt cannot read this format yet"));
  }

  const std::string text = at("text", lit("plain text, not weights"));
  CHECK(code_of([&] { open_weight_file(text, {}); }) == Code::BAD_MAGIC);
  CHECK(contains(message_of([&] { open_weight_file(text, {}); }),
                 "are not GGUF, safetensors, PyTorch, ONNX or NumPy"));
  const std::string tiny = at("tiny", lit("abc"));
  CHECK(code_of([&] { open_weight_file(tiny, {}); }) == Code::TRUNCATED);
  CHECK(code_of([&] { detect_format(dir / "absent"); }) == Code::IO);
}

TEST_CASE("registry: the built-in writers' rules come from their rows", "[formats][registry]") {
  auto message = [](mwt_status* st, mwt_code code) {
    CHECK(mwt_status_code(st) == code);
    const std::string m = st != nullptr ? mwt_status_message(st) : "";
    mwt_status_free(st);
    return m;
  };
  const uint32_t one = 1;
  const uint64_t shape[] = {32};
  const std::vector<uint8_t> q4(18, 0), bools(32, 1);
  mwt_writer* gguf = nullptr;
  REQUIRE(mwt_writer_create(MWT_FORMAT_GGUF, &gguf) == nullptr);
  CHECK(contains(message(mwt_writer_add_metadata(gguf, "", 0, MWT_VALUE_U32, &one), MWT_E_ARGUMENT),
                 "GGUF metadata keys must not be empty"));
  CHECK(mwt_writer_add_metadata(gguf, "k", 1, MWT_VALUE_U32, &one) == nullptr);
  CHECK(mwt_writer_set_alignment(gguf, 64) == nullptr);
  CHECK(contains(
      message(mwt_writer_add_tensor(gguf, "b", 1, MWT_DTYPE_BOOL, 1, shape, bools.data(), 32),
              MWT_E_BAD_DTYPE),
      "BOOL cannot be stored in GGUF (it has no ggml type id)"));
  CHECK(mwt_writer_add_tensor(gguf, "q", 1, MWT_DTYPE_Q4_0, 1, shape, q4.data(), 18) == nullptr);
  mwt_writer_free(gguf);

  mwt_writer* st = nullptr;
  REQUIRE(mwt_writer_create(MWT_FORMAT_SAFETENSORS, &st) == nullptr);
  CHECK(mwt_writer_add_metadata_string(st, "", 0, "v", 1) == nullptr);  // empty keys are fine
  CHECK(contains(
      message(mwt_writer_add_metadata(st, "k", 1, MWT_VALUE_U32, &one), MWT_E_TYPE_MISMATCH),
      "safetensors metadata values are strings; cannot store UINT32 under \"k\""));
  CHECK(contains(message(mwt_writer_set_alignment(st, 64), MWT_E_ARGUMENT),
                 "alignment applies to GGUF only"));
  CHECK(contains(message(mwt_writer_add_tensor(st, "q", 1, MWT_DTYPE_Q4_0, 1, shape, q4.data(), 18),
                         MWT_E_BAD_DTYPE),
                 "Q4_0 cannot be stored in safetensors"));
  CHECK(mwt_writer_add_tensor(st, "b", 1, MWT_DTYPE_BOOL, 1, shape, bools.data(), 32) == nullptr);
  mwt_writer_free(st);

  mwt_writer* none = nullptr;
  CHECK(contains(message(mwt_writer_create(MWT_FORMAT_ONNX, &none), MWT_E_ARGUMENT),
                 "format 4 cannot be written (GGUF or SAFETENSORS only)"));
  CHECK(none == nullptr);
}

TEST_CASE("registry: a toy format added at run time is detected, opened, read and written",
          "[formats][registry]") {
  TempDir dir;
  std::vector<float> w;
  const std::vector<uint8_t> bytes = toy_bytes(w);
  const std::string path = dir / "model.toy";
  dir.write("model.toy", bytes);

  // Not shipped: without its row the file is unknown content.
  CHECK(detect_format(path) == Format::UNKNOWN);
  CHECK(code_of([&] { open_weight_file(path, {}); }) == Code::BAD_MAGIC);
  CHECK(std::string(mwt_format_name(static_cast<mwt_format>(kToy))) == "unknown");
  mwt_writer* writer = nullptr;
  mwt_status* st = mwt_writer_create(static_cast<mwt_format>(kToy), &writer);
  CHECK(mwt_status_code(st) == MWT_E_ARGUMENT);
  CHECK(contains(mwt_status_message(st), "(GGUF or SAFETENSORS only)"));
  mwt_status_free(st);

  {
    const ScopedFormatRow toy(kToyRow);
    CHECK(code_of([&] { ScopedFormatRow again(kToyRow); }) == Code::ARGUMENT);
    FormatRow nameless = kToyRow;
    nameless.id = static_cast<Format>(101);
    nameless.name = nullptr;
    CHECK(code_of([&] { ScopedFormatRow bad(nameless); }) == Code::ARGUMENT);

    CHECK(detect_format(path) == kToy);
    CHECK(detect_format_bytes(bytes.data(), bytes.size()) == kToy);
    CHECK(std::string(format_name(kToy)) == "mwt-toy");
    CHECK(std::string(mwt_format_name(static_cast<mwt_format>(kToy))) == "mwt-toy");
    // Built-in formats still sniff as before with the extra row present.
    CHECK(detect_format_bytes(safetensors_empty().data(), 10) == Format::SAFETENSORS);

    auto wf = open_weight_file(path, {});
    CHECK(wf->format == kToy);
    REQUIRE(wf->tensors.size() == 3);
    const TensorInfo& t = wf->tensors[wf->find_tensor("w")];
    CHECK(t.dtype == DType::F32);
    CHECK(t.shape == std::vector<uint64_t>{2, 3});
    REQUIRE(t.nbytes == 24);
    std::vector<float> got(6);
    std::memcpy(got.data(), wf->tensor_data(t), 24);
    CHECK(got == w);
    const TensorInfo& b = wf->tensors[wf->find_tensor("b")];
    CHECK(b.shape.empty());
    int16_t seven = 0;
    std::memcpy(&seven, wf->tensor_data(b), 2);
    CHECK(seven == 7);
    CHECK(wf->tensors[wf->find_tensor("e")].data == nullptr);

    // The unknown-content message lists the new family after the built-in ones.
    const std::string text = dir / "text";
    dir.write("text", lit("plain text, not weights"));
    CHECK(contains(message_of([&] { open_weight_file(text, {}); }),
                   "are not GGUF, safetensors, PyTorch, ONNX, NumPy or toy"));

    // The same file through the C ABI: mwt_file_open, then the zero-copy tensor view.
    mwt_file* f = nullptr;
    REQUIRE(mwt_file_open(path.c_str(), nullptr, &f) == nullptr);
    CHECK(mwt_file_format(f) == static_cast<mwt_format>(kToy));
    const void* view = nullptr;
    REQUIRE(mwt_file_tensor_data(f, static_cast<size_t>(mwt_file_tensor_find(f, "w", 1)), &view) ==
            nullptr);
    CHECK(std::memcmp(view, w.data(), 24) == 0);
    mwt_file_free(f);

    // The C ABI writer dispatches to the row's writer and checks the row's rules.
    REQUIRE(mwt_writer_create(static_cast<mwt_format>(kToy), &writer) == nullptr);
    const uint32_t one = 1;
    st = mwt_writer_add_metadata(writer, "k", 1, MWT_VALUE_U32, &one);
    CHECK(mwt_status_code(st) == MWT_E_TYPE_MISMATCH);
    CHECK(contains(mwt_status_message(st), "toy metadata values are strings"));
    mwt_status_free(st);
    st = mwt_writer_set_alignment(writer, 64);
    CHECK(mwt_status_code(st) == MWT_E_ARGUMENT);
    CHECK(contains(mwt_status_message(st), "alignment applies to GGUF only"));
    mwt_status_free(st);
    const uint64_t q_shape[] = {32};
    const std::vector<uint8_t> q_block(18, 0);
    st = mwt_writer_add_tensor(writer, "q", 1, MWT_DTYPE_Q4_0, 1, q_shape, q_block.data(), 18);
    CHECK(mwt_status_code(st) == MWT_E_BAD_DTYPE);
    CHECK(contains(mwt_status_message(st), "Q4_0 cannot be stored in toy files"));
    mwt_status_free(st);
    const uint64_t shape[] = {2, 3};
    REQUIRE(mwt_writer_add_tensor(writer, "w", 1, MWT_DTYPE_F32, 2, shape, w.data(), 24) ==
            nullptr);
    const std::string out = dir / "written.toy";
    REQUIRE(mwt_writer_write(writer, out.c_str()) == nullptr);
    mwt_writer_free(writer);
    auto back = open_weight_file(out, {});
    CHECK(back->format == kToy);
    REQUIRE(back->tensors.size() == 1);
    CHECK(std::memcmp(back->tensor_data(back->tensors[0]), w.data(), 24) == 0);

    // A format with no writer is refused, naming every writable one.
    st = mwt_writer_create(MWT_FORMAT_NPY, &writer);
    CHECK(contains(mwt_status_message(st), "(GGUF, SAFETENSORS or TOY only)"));
    mwt_status_free(st);
  }

  // The row is gone with its scope.
  CHECK(detect_format(path) == Format::UNKNOWN);
  CHECK(format_rows().size() == 10);
  st = mwt_writer_create(static_cast<mwt_format>(kToy), &writer);
  CHECK(mwt_status_code(st) == MWT_E_ARGUMENT);
  mwt_status_free(st);
}
