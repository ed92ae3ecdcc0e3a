// inspect.cpp — print the format, metadata and tensor table of a weight file through mwt.hpp.
// Usage: inspect <file-or-directory>. Output matches examples/c/inspect.c line for line.
#include <cstdio>
#include <mwt/mwt.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr size_t kMaxShown = 8;  // array elements shown per value

// File strings may hold any bytes: print printable ASCII, escape the rest, cap the length.
void print_escaped(std::string_view s) {
  const size_t n = s.size() < 64 ? s.size() : 64;
  std::putchar('"');
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
      std::putchar(c);
    else
      std::printf("\\x%02x", c);
  }
  std::putchar('"');
  if (s.size() > n) std::printf("...");
}

void print_number(uint8_t v) { std::printf("%u", static_cast<unsigned>(v)); }
void print_number(int8_t v) { std::printf("%d", static_cast<int>(v)); }
void print_number(uint16_t v) { std::printf("%u", static_cast<unsigned>(v)); }
void print_number(int16_t v) { std::printf("%d", static_cast<int>(v)); }
void print_number(uint32_t v) { std::printf("%lu", static_cast<unsigned long>(v)); }
void print_number(int32_t v) { std::printf("%ld", static_cast<long>(v)); }
void print_number(uint64_t v) { std::printf("%llu", static_cast<unsigned long long>(v)); }
void print_number(int64_t v) { std::printf("%lld", static_cast<long long>(v)); }
void print_number(float v) { std::printf("%.9g", static_cast<double>(v)); }
void print_number(double v) { std::printf("%.17g", v); }
void print_number(bool v) { std::printf("%s", v ? "true" : "false"); }

template <typename T>
void print_list(const std::vector<T>& values, uint64_t count) {
  for (size_t j = 0; j < values.size() && j < kMaxShown; ++j) {
    if (j) std::printf(", ");
    print_number(static_cast<T>(values[j]));
  }
  std::printf("%s]", count > kMaxShown ? ", ..." : "");
}

void print_array(const mwt::File& f, size_t i) {
  const auto [et, count] = f.array_info(i);
  std::printf("[%s x %llu] [", mwt::value_type_name(et), static_cast<unsigned long long>(count));
  switch (et) {
    case MWT_VALUE_U8: return print_list(f.get_array<uint8_t>(i), count);
    case MWT_VALUE_I8: return print_list(f.get_array<int8_t>(i), count);
    case MWT_VALUE_U16: return print_list(f.get_array<uint16_t>(i), count);
    case MWT_VALUE_I16: return print_list(f.get_array<int16_t>(i), count);
    case MWT_VALUE_U32: return print_list(f.get_array<uint32_t>(i), count);
    case MWT_VALUE_I32: return print_list(f.get_array<int32_t>(i), count);
    case MWT_VALUE_U64: return print_list(f.get_array<uint64_t>(i), count);
    case MWT_VALUE_I64: return print_list(f.get_array<int64_t>(i), count);
    case MWT_VALUE_F32: return print_list(f.get_array<float>(i), count);
    case MWT_VALUE_F64: return print_list(f.get_array<double>(i), count);
    case MWT_VALUE_BOOL: return print_list(f.get_bool_array(i), count);
    case MWT_VALUE_STRING:
      for (uint64_t j = 0; j < count && j < kMaxShown; ++j) {
        if (j) std::printf(", ");
        print_escaped(f.get_array_string(i, j));
      }
      std::printf("%s]", count > kMaxShown ? ", ..." : "");
      return;
    default: std::printf("]"); return;
  }
}

void print_value(const mwt::File& f, size_t i) {
  const mwt_value_type t = f.metadata_type(i);
  std::printf("%s = ", mwt::value_type_name(t));
  switch (t) {
    case MWT_VALUE_U8: return print_number(f.get<uint8_t>(i));
    case MWT_VALUE_I8: return print_number(f.get<int8_t>(i));
    case MWT_VALUE_U16: return print_number(f.get<uint16_t>(i));
    case MWT_VALUE_I16: return print_number(f.get<int16_t>(i));
    case MWT_VALUE_U32: return print_number(f.get<uint32_t>(i));
    case MWT_VALUE_I32: return print_number(f.get<int32_t>(i));
    case MWT_VALUE_U64: return print_number(f.get<uint64_t>(i));
    case MWT_VALUE_I64: return print_number(f.get<int64_t>(i));
    case MWT_VALUE_F32: return print_number(f.get<float>(i));
    case MWT_VALUE_F64: return print_number(f.get<double>(i));
    case MWT_VALUE_BOOL: return print_number(f.get_bool(i));
    case MWT_VALUE_STRING: return print_escaped(f.get_string(i));
    case MWT_VALUE_ARRAY: return print_array(f, i);
    default: std::printf("?"); return;  // a value type newer than this program
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <weight file or directory>\n", argv[0]);
    return 2;
  }
  try {
    const mwt::File f(argv[1]);
    std::printf("mwt %s\n", mwt::version_string());
    std::printf("format: %s, version %lu, alignment %lu\n", mwt::format_name(f.format()),
                static_cast<unsigned long>(f.version()), static_cast<unsigned long>(f.alignment()));
    std::printf("size: %llu bytes, data offset %llu, shards %lu\n",
                static_cast<unsigned long long>(f.size()),
                static_cast<unsigned long long>(f.data_offset()),
                static_cast<unsigned long>(f.shard_count()));
    std::printf("metadata: %lu\n", static_cast<unsigned long>(f.metadata_count()));
    for (size_t i = 0; i < f.metadata_count(); ++i) {
      std::printf("  ");
      print_escaped(f.metadata_key(i));
      std::printf(": ");
      print_value(f, i);
      std::printf("\n");
    }
    std::printf("tensors: %lu\n", static_cast<unsigned long>(f.tensor_count()));
    for (size_t i = 0; i < f.tensor_count(); ++i) {
      const mwt::Tensor t = f.tensor(i);
      std::printf("  ");
      print_escaped(t.name);
      std::printf(" %s [", mwt::dtype_name(t.dtype));
      for (size_t d = 0; d < t.shape.size(); ++d)
        std::printf("%s%llu", d ? ", " : "", static_cast<unsigned long long>(t.shape[d]));
      std::printf("] %llu bytes at %llu (shard %lu)\n", static_cast<unsigned long long>(t.nbytes),
                  static_cast<unsigned long long>(t.offset), static_cast<unsigned long>(t.shard));
    }
    for (const std::string& w : f.warnings()) std::printf("warning: %s\n", w.c_str());
  } catch (const mwt::Error& e) {
    std::fprintf(stderr, "inspect: %s: %s\n", argv[1], e.what());
    return 1;
  }
  return 0;
}
