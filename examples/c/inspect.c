/* inspect.c — print the format, metadata and tensor table of a weight file through the C ABI.
 * Usage: inspect <file-or-directory>. Output matches examples/cpp/inspect.cpp line for line. */
#include <stdio.h>
#include <string.h>

#include <mwt/mwt.h>

#define MAX_SHOWN 8 /* array elements and string bytes shown per value */

/* File strings may hold any bytes: print printable ASCII, escape the rest, cap the length. */
static void print_escaped(const char* s, size_t len) {
  size_t i, n = len < 64 ? len : 64;
  putchar('"');
  for (i = 0; i < n; ++i) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
      putchar(c);
    else
      printf("\\x%02x", c);
  }
  putchar('"');
  if (len > n) printf("...");
}

/* One element of a numeric metadata value; p may be unaligned, so it is copied out. */
static void print_number(mwt_value_type t, const unsigned char* p) {
  switch (t) {
    case MWT_VALUE_U8: { uint8_t v; memcpy(&v, p, 1); printf("%u", (unsigned)v); break; }
    case MWT_VALUE_I8: { int8_t v; memcpy(&v, p, 1); printf("%d", (int)v); break; }
    case MWT_VALUE_U16: { uint16_t v; memcpy(&v, p, 2); printf("%u", (unsigned)v); break; }
    case MWT_VALUE_I16: { int16_t v; memcpy(&v, p, 2); printf("%d", (int)v); break; }
    case MWT_VALUE_U32: { uint32_t v; memcpy(&v, p, 4); printf("%lu", (unsigned long)v); break; }
    case MWT_VALUE_I32: { int32_t v; memcpy(&v, p, 4); printf("%ld", (long)v); break; }
    case MWT_VALUE_U64: { uint64_t v; memcpy(&v, p, 8); printf("%llu", (unsigned long long)v); break; }
    case MWT_VALUE_I64: { int64_t v; memcpy(&v, p, 8); printf("%lld", (long long)v); break; }
    case MWT_VALUE_F32: { float v; memcpy(&v, p, 4); printf("%.9g", (double)v); break; }
    case MWT_VALUE_F64: { double v; memcpy(&v, p, 8); printf("%.17g", v); break; }
    case MWT_VALUE_BOOL: printf("%s", p[0] ? "true" : "false"); break;
    default: printf("?"); break;
  }
}

static size_t value_size(mwt_value_type t) {
  switch (t) {
    case MWT_VALUE_U8: case MWT_VALUE_I8: case MWT_VALUE_BOOL: return 1;
    case MWT_VALUE_U16: case MWT_VALUE_I16: return 2;
    case MWT_VALUE_U32: case MWT_VALUE_I32: case MWT_VALUE_F32: return 4;
    case MWT_VALUE_U64: case MWT_VALUE_I64: case MWT_VALUE_F64: return 8;
    default: return 0;
  }
}

/* Reads a scalar through the getter of its exact type; returns the status of that getter. */
static mwt_status* print_scalar(const mwt_file* f, size_t i, mwt_value_type t) {
  unsigned char buf[8];
  mwt_status* s = NULL;
  switch (t) {
    case MWT_VALUE_U8: s = mwt_file_metadata_get_u8(f, i, (uint8_t*)buf); break;
    case MWT_VALUE_I8: s = mwt_file_metadata_get_i8(f, i, (int8_t*)buf); break;
    case MWT_VALUE_U16: { uint16_t v = 0; s = mwt_file_metadata_get_u16(f, i, &v); memcpy(buf, &v, 2); break; }
    case MWT_VALUE_I16: { int16_t v = 0; s = mwt_file_metadata_get_i16(f, i, &v); memcpy(buf, &v, 2); break; }
    case MWT_VALUE_U32: { uint32_t v = 0; s = mwt_file_metadata_get_u32(f, i, &v); memcpy(buf, &v, 4); break; }
    case MWT_VALUE_I32: { int32_t v = 0; s = mwt_file_metadata_get_i32(f, i, &v); memcpy(buf, &v, 4); break; }
    case MWT_VALUE_U64: { uint64_t v = 0; s = mwt_file_metadata_get_u64(f, i, &v); memcpy(buf, &v, 8); break; }
    case MWT_VALUE_I64: { int64_t v = 0; s = mwt_file_metadata_get_i64(f, i, &v); memcpy(buf, &v, 8); break; }
    case MWT_VALUE_F32: { float v = 0; s = mwt_file_metadata_get_f32(f, i, &v); memcpy(buf, &v, 4); break; }
    case MWT_VALUE_F64: { double v = 0; s = mwt_file_metadata_get_f64(f, i, &v); memcpy(buf, &v, 8); break; }
    case MWT_VALUE_BOOL: { int v = 0; s = mwt_file_metadata_get_bool(f, i, &v); buf[0] = (unsigned char)v; break; }
    default: return NULL;
  }
  if (s == NULL) print_number(t, buf);
  return s;
}

static mwt_status* print_value(const mwt_file* f, size_t i) {
  mwt_value_type t;
  mwt_status* s = mwt_file_metadata_type(f, i, &t);
  if (s != NULL) return s;
  printf("%s = ", mwt_value_type_name(t));
  if (t == MWT_VALUE_STRING) {
    const char* str;
    size_t len;
    if ((s = mwt_file_metadata_get_string(f, i, &str, &len)) != NULL) return s;
    print_escaped(str, len);
  } else if (t == MWT_VALUE_ARRAY) {
    mwt_value_type et;
    uint64_t count, j;
    if ((s = mwt_file_metadata_array_info(f, i, &et, &count)) != NULL) return s;
    printf("[%s x %llu] [", mwt_value_type_name(et), (unsigned long long)count);
    if (et == MWT_VALUE_STRING) {
      for (j = 0; j < count && j < MAX_SHOWN; ++j) {
        const char* str;
        size_t len;
        if ((s = mwt_file_metadata_get_array_string(f, i, j, &str, &len)) != NULL) return s;
        fputs(j ? ", " : "", stdout);
        print_escaped(str, len);
      }
    } else {
      const void* data;
      if ((s = mwt_file_metadata_get_array(f, i, et, &data, &count)) != NULL) return s;
      for (j = 0; j < count && j < MAX_SHOWN; ++j) {
        fputs(j ? ", " : "", stdout);
        print_number(et, (const unsigned char*)data + j * value_size(et));
      }
    }
    printf("%s]", count > MAX_SHOWN ? ", ..." : "");
  } else {
    s = print_scalar(f, i, t);
  }
  return s;
}

static mwt_status* print_tensor(const mwt_file* f, size_t i) {
  const char* name;
  size_t len, ndim, d, shard;
  const uint64_t* dims;
  mwt_dtype dtype;
  uint64_t nbytes, offset;
  mwt_status* s;
  if ((s = mwt_file_tensor_name(f, i, &name, &len)) != NULL) return s;
  if ((s = mwt_file_tensor_dtype(f, i, &dtype)) != NULL) return s;
  if ((s = mwt_file_tensor_shape(f, i, &ndim, &dims)) != NULL) return s;
  if ((s = mwt_file_tensor_nbytes(f, i, &nbytes)) != NULL) return s;
  if ((s = mwt_file_tensor_offset(f, i, &offset, &shard)) != NULL) return s;
  printf("  ");
  print_escaped(name, len);
  printf(" %s [", mwt_dtype_name(dtype) ? mwt_dtype_name(dtype) : "?");
  for (d = 0; d < ndim; ++d) printf("%s%llu", d ? ", " : "", (unsigned long long)dims[d]);
  printf("] %llu bytes at %llu (shard %lu)\n", (unsigned long long)nbytes,
         (unsigned long long)offset, (unsigned long)shard);
  return NULL;
}

static int report(mwt_status* s, const char* path) {
  fprintf(stderr, "inspect: %s: %s\n", path, mwt_status_message(s));
  mwt_status_free(s);
  return 1;
}

int main(int argc, char** argv) {
  mwt_file* f = NULL;
  mwt_status* s;
  size_t i, n;
  if (argc != 2) {
    fprintf(stderr, "usage: %s <weight file or directory>\n", argv[0]);
    return 2;
  }
  if ((s = mwt_file_open(argv[1], NULL, &f)) != NULL) return report(s, argv[1]);
  printf("mwt %s\n", mwt_version_string());
  printf("format: %s, version %lu, alignment %lu\n", mwt_format_name(mwt_file_format(f)),
         (unsigned long)mwt_file_version(f), (unsigned long)mwt_file_alignment(f));
  printf("size: %llu bytes, data offset %llu, shards %lu\n", (unsigned long long)mwt_file_size(f),
         (unsigned long long)mwt_file_data_offset(f), (unsigned long)mwt_file_shard_count(f));
  n = mwt_file_metadata_count(f);
  printf("metadata: %lu\n", (unsigned long)n);
  for (i = 0; i < n; ++i) {
    const char* key;
    size_t len;
    if ((s = mwt_file_metadata_key(f, i, &key, &len)) != NULL) break;
    printf("  ");
    print_escaped(key, len);
    printf(": ");
    if ((s = print_value(f, i)) != NULL) break;
    printf("\n");
  }
  if (s == NULL) {
    n = mwt_file_tensor_count(f);
    printf("tensors: %lu\n", (unsigned long)n);
    for (i = 0; i < n && s == NULL; ++i) s = print_tensor(f, i);
  }
  for (i = 0; s == NULL && i < mwt_file_warning_count(f); ++i)
    printf("warning: %s\n", mwt_file_warning(f, i));
  mwt_file_free(f);
  return s ? report(s, argv[1]) : 0;
}
