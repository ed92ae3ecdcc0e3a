/* inspect.c — print the format, metadata and tensor table of a weight file through the C ABI.
 * Usage: inspect <file-or-directory>. Output matches examples/cpp/inspect.cpp line for line. */
#include <mwt/mwt.h>
#include <stdio.h>
#include <string.h>

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

/* One numeric metadata value of any type. */
typedef union {
  uint8_t u8;
  int8_t i8;
  uint16_t u16;
  int16_t i16;
  uint32_t u32;
  int32_t i32;
  uint64_t u64;
  int64_t i64;
  float f32;
  double f64;
} number;

static void print_number(mwt_value_type t, const number* v) {
  switch (t) {
    case MWT_VALUE_U8: printf("%u", (unsigned)v->u8); break;
    case MWT_VALUE_I8: printf("%d", (int)v->i8); break;
    case MWT_VALUE_U16: printf("%u", (unsigned)v->u16); break;
    case MWT_VALUE_I16: printf("%d", (int)v->i16); break;
    case MWT_VALUE_U32: printf("%lu", (unsigned long)v->u32); break;
    case MWT_VALUE_I32: printf("%ld", (long)v->i32); break;
    case MWT_VALUE_U64: printf("%llu", (unsigned long long)v->u64); break;
    case MWT_VALUE_I64: printf("%lld", (long long)v->i64); break;
    case MWT_VALUE_F32: printf("%.9g", (double)v->f32); break;
    case MWT_VALUE_F64: printf("%.17g", v->f64); break;
    case MWT_VALUE_BOOL: printf("%s", v->u8 ? "true" : "false"); break;
    default: printf("?"); break;
  }
}

/* Reads a scalar through the getter of its exact type; returns the status of that getter. */
static mwt_status* print_scalar(const mwt_file* f, size_t i, mwt_value_type t) {
  number v;
  int b = 0;
  mwt_status* s = NULL;
  memset(&v, 0, sizeof v);
  switch (t) {
    case MWT_VALUE_U8: s = mwt_file_metadata_get_u8(f, i, &v.u8); break;
    case MWT_VALUE_I8: s = mwt_file_metadata_get_i8(f, i, &v.i8); break;
    case MWT_VALUE_U16: s = mwt_file_metadata_get_u16(f, i, &v.u16); break;
    case MWT_VALUE_I16: s = mwt_file_metadata_get_i16(f, i, &v.i16); break;
    case MWT_VALUE_U32: s = mwt_file_metadata_get_u32(f, i, &v.u32); break;
    case MWT_VALUE_I32: s = mwt_file_metadata_get_i32(f, i, &v.i32); break;
    case MWT_VALUE_U64: s = mwt_file_metadata_get_u64(f, i, &v.u64); break;
    case MWT_VALUE_I64: s = mwt_file_metadata_get_i64(f, i, &v.i64); break;
    case MWT_VALUE_F32: s = mwt_file_metadata_get_f32(f, i, &v.f32); break;
    case MWT_VALUE_F64: s = mwt_file_metadata_get_f64(f, i, &v.f64); break;
    case MWT_VALUE_BOOL:
      s = mwt_file_metadata_get_bool(f, i, &b);
      v.u8 = (uint8_t)b;
      break;
    default: return NULL;
  }
  if (s == NULL) print_number(t, &v);
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
      /* A zero-copy view of the packed little-endian elements, possibly unaligned: each is
       * copied out, mwt_value_type_size bytes apart. */
      const void* data;
      const size_t stride = mwt_value_type_size(et);
      if ((s = mwt_file_metadata_get_array(f, i, et, &data, &count)) != NULL) return s;
      for (j = 0; j < count && j < MAX_SHOWN; ++j) {
        number v;
        memset(&v, 0, sizeof v);
        memcpy(&v, (const unsigned char*)data + j * stride, stride);
        fputs(j ? ", " : "", stdout);
        print_number(et, &v);
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
