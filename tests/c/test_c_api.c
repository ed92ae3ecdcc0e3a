/* End-to-end test of the C ABI from strict C99: write GGUF and safetensors with the writer, open
 * them, walk metadata through the typed getters, check error codes (TYPE_MISMATCH for GG-12,
 * IO, BAD_MAGIC, TRUNCATED, ARGUMENT), dequantize on several threads, and free everything.
 * Usage: test_c_api <scratch-dir>. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_api_harness.h"
#include "mwt/mwt.h"

/* ------------------------------------------------------------------ fixtures */

static const float k_w[6] = {1.0f, -2.0f, 3.5f, 0.25f, -0.0f, 1e-3f};
static const uint16_t k_h[4] = {0x3c00, 0xc000, 0x3800, 0x0000}; /* F16 1, -2, 0.5, 0 */
static unsigned char k_q8[34];                                   /* one Q8_0 block */
static const int8_t k_scores[8] = {-4, -3, -2, -1, 0, 1, 2, 3};
static const int32_t k_ints[3] = {7, -8, 9};
static const char* k_tokens[3] = {"<s>", "hello", "w\0rld"};
static const size_t k_token_lens[3] = {3, 5, 5};

static void test_version_and_names(void) {
  mwt_dtype d = MWT_DTYPE_F32;
  CHECK(strcmp(mwt_version_string(), MWT_VERSION_STRING) == 0);
  CHECK(mwt_version_number() == MWT_VERSION_NUMBER);
  CHECK(mwt_abi_version() == MWT_ABI_VERSION);
  CHECK(strcmp(mwt_code_name(MWT_E_TRUNCATED), "TRUNCATED") == 0);
  CHECK(strcmp(mwt_active_isa(), "scalar") == 0 || strcmp(mwt_active_isa(), "avx2") == 0);
  CHECK(strcmp(mwt_code_name(MWT_E_NO_MEMORY), "NO_MEMORY") == 0);
  CHECK(strcmp(mwt_code_name((mwt_code)999), "UNKNOWN") == 0);
  CHECK(strcmp(mwt_format_name(MWT_FORMAT_GGUF), "gguf") == 0);
  CHECK(strcmp(mwt_value_type_name(MWT_VALUE_U32), "UINT32") == 0);
  CHECK(mwt_value_type_name((mwt_value_type)13) == NULL);
  CHECK(mwt_value_type_size(MWT_VALUE_BOOL) == 1 && mwt_value_type_size(MWT_VALUE_I16) == 2);
  CHECK(mwt_value_type_size(MWT_VALUE_F32) == sizeof(float));
  CHECK(mwt_value_type_size(MWT_VALUE_F64) == sizeof(double));
  CHECK(mwt_value_type_size(MWT_VALUE_U64) == 8 && mwt_value_type_size(MWT_VALUE_I64) == 8);
  CHECK(mwt_value_type_size(MWT_VALUE_STRING) == 0 && mwt_value_type_size(MWT_VALUE_ARRAY) == 0);
  CHECK(mwt_value_type_size((mwt_value_type)13) == 0);
  CHECK(strcmp(mwt_dtype_name(MWT_DTYPE_Q4_K), "Q4_K") == 0);
  CHECK(mwt_dtype_block_size(MWT_DTYPE_Q4_K) == 256 && mwt_dtype_type_size(MWT_DTYPE_Q4_K) == 144);
  CHECK(mwt_dtype_block_size(MWT_DTYPE_F4) == 2 && mwt_dtype_type_size(MWT_DTYPE_F4) == 1);
  CHECK(mwt_dtype_name((mwt_dtype)4) == NULL); /* a removed ggml id */
  CHECK(mwt_dtype_type_size((mwt_dtype)4) == 0);
  OK(mwt_dtype_from_name("BF16", &d));
  CHECK(d == MWT_DTYPE_BF16);
  OK(mwt_dtype_from_name("F8_E4M3", &d));
  CHECK(d == MWT_DTYPE_F8_E4M3);
  FAILS(mwt_dtype_from_name("F128", &d), MWT_E_BAD_DTYPE);
  CHECK(d == MWT_DTYPE_F8_E4M3); /* out-pointer untouched on failure */
  FAILS(mwt_dtype_from_name(NULL, &d), MWT_E_ARGUMENT);
}

static void test_status_and_null_safety(void) {
  CHECK(mwt_status_code(NULL) == MWT_OK);
  CHECK(strcmp(mwt_status_message(NULL), "") == 0);
  CHECK(strcmp(mwt_status_field(NULL), "") == 0);
  CHECK(mwt_status_offset(NULL) == UINT64_MAX);
  mwt_status_free(NULL);
  mwt_file_free(NULL);
  mwt_writer_free(NULL);
  mwt_options_free(NULL);
  CHECK(mwt_file_tensor_count(NULL) == 0);
  CHECK(mwt_file_metadata_count(NULL) == 0);
  CHECK(mwt_file_format(NULL) == MWT_FORMAT_UNKNOWN);
  CHECK(mwt_file_shard_path(NULL, 0) == NULL);
  CHECK(mwt_file_tensor_find(NULL, "x", 1) == -1);
  {
    size_t n = 0;
    const char* s = NULL;
    FAILS(mwt_file_tensor_name(NULL, 0, &s, &n), MWT_E_ARGUMENT);
    FAILS(mwt_file_open(NULL, NULL, NULL), MWT_E_ARGUMENT);
  }
}

static void test_conversions(void) {
  float out[4] = {0, 0, 0, 0};
  uint16_t bf[2] = {0, 0};
  const float src[2] = {1.0f, -2.0f};
  OK(mwt_convert_to_f32(MWT_DTYPE_F16, k_h, 4, out));
  CHECK(out[0] == 1.0f && out[1] == -2.0f && out[2] == 0.5f && out[3] == 0.0f);
  OK(mwt_convert_from_f32(MWT_DTYPE_BF16, src, 2, bf));
  CHECK(bf[0] == 0x3f80 && bf[1] == 0xc000);
  FAILS(mwt_convert_to_f32(MWT_DTYPE_Q4_K, k_h, 4, out), MWT_E_BAD_DTYPE);
  FAILS(mwt_convert_to_f32(MWT_DTYPE_F16, NULL, 4, out), MWT_E_ARGUMENT);
}

/* mwt_dequantize_threads: Q8_0 data large enough to split over threads (2^20 values) decode to
 * the same bits for every thread count, equal to d * q computed here. */
static void test_dequantize_threads(void) {
  const size_t n_blocks = (size_t)1 << 15, n = n_blocks * 32;
  unsigned char* raw = (unsigned char*)malloc(n_blocks * 34);
  float* one = (float*)malloc(n * sizeof(float));
  float* many = (float*)malloc(n * sizeof(float));
  size_t b, i;
  int threads;
  int exact = 1;
  if (raw == NULL || one == NULL || many == NULL) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  for (b = 0; b < n_blocks; ++b) {
    /* f16 scale 2^-k (k = 0..7), then 32 int8 quants */
    const uint16_t d = (uint16_t)(0x3c00 - ((b % 8) << 10));
    raw[b * 34] = (unsigned char)(d & 0xff);
    raw[b * 34 + 1] = (unsigned char)(d >> 8);
    for (i = 0; i < 32; ++i) raw[b * 34 + 2 + i] = (unsigned char)((b * 31u + i * 7u) & 0xff);
  }
  OK(mwt_dequantize_threads(MWT_DTYPE_Q8_0, raw, n_blocks * 34, one, n, 1));
  for (b = 0; b < n_blocks && exact; ++b)
    for (i = 0; i < 32; ++i) {
      const float want = (float)(int8_t)raw[b * 34 + 2 + i] / (float)(1u << (b % 8));
      if (one[b * 32 + i] != want) exact = 0;
    }
  CHECK(exact);
  for (threads = 0; threads <= 4; ++threads) {
    memset(many, 0xff, n * sizeof(float));
    OK(mwt_dequantize_threads(MWT_DTYPE_Q8_0, raw, n_blocks * 34, many, n, threads));
    CHECK(memcmp(one, many, n * sizeof(float)) == 0);
  }
  memset(many, 0xff, n * sizeof(float));
  OK(mwt_dequantize(MWT_DTYPE_Q8_0, raw, n_blocks * 34, many, n));
  CHECK(memcmp(one, many, n * sizeof(float)) == 0);
  FAILS(mwt_dequantize_threads(MWT_DTYPE_Q8_0, raw, n_blocks * 34, many, n, -1), MWT_E_ARGUMENT);
  FAILS(mwt_dequantize_threads(MWT_DTYPE_Q8_0, raw, n_blocks * 34, NULL, n, 2), MWT_E_ARGUMENT);
  FAILS(mwt_dequantize_threads(MWT_DTYPE_Q8_0, raw, n_blocks * 34, many, n - 1, 2),
        MWT_E_BAD_SHAPE);
  FAILS(mwt_dequantize_threads(MWT_DTYPE_Q8_0, raw, n_blocks * 34 - 1, many, n, 2),
        MWT_E_SIZE_MISMATCH);
  FAILS(mwt_dequantize_threads(MWT_DTYPE_F32, many, 64, many + 8, 16, 2), MWT_E_ARGUMENT);
  OK(mwt_dequantize_threads(MWT_DTYPE_Q8_0, NULL, 0, NULL, 0, 3));
  free(raw);
  free(one);
  free(many);
}

/* Every error code of the list: contiguous pinned values 1.., each named by mwt_code_name. */
static void test_error_code_list(void) {
  int n = 0;
#define CHECK_CODE(name, value, description)              \
  ++n;                                                    \
  CHECK(MWT_E_##name == value && value == n);             \
  CHECK(strcmp(mwt_code_name(MWT_E_##name), #name) == 0); \
  CHECK(strlen(description) > 0);
  MWT_ERROR_CODES(CHECK_CODE)
#undef CHECK_CODE
  CHECK(n == 34); /* INTERNAL = 1 ... NO_MEMORY = 34 */
  CHECK(strcmp(mwt_code_name((mwt_code)(n + 1)), "UNKNOWN") == 0);
  CHECK(strcmp(mwt_code_name(MWT_OK), "OK") == 0);
}

/* One key of MWT_OPTION_KEYS: a fresh handle holds its default, min and max are accepted and
 * kept, one past either end is refused and changes nothing. */
static void check_option(const char* key, int64_t def, int64_t min, int64_t max,
                         const char* description) {
  mwt_options* o = NULL;
  int64_t v = 0;
  CHECK(strchr(key, '.') != NULL && strlen(description) > 0);
  if (!OK(mwt_options_create(&o))) return;
  CHECK(OK(mwt_options_get_int(o, key, &v)) && v == def);
  CHECK(OK(mwt_options_set_int(o, key, max)));
  CHECK(OK(mwt_options_get_int(o, key, &v)) && v == max);
  CHECK(OK(mwt_options_set_int(o, key, min)));
  CHECK(OK(mwt_options_get_int(o, key, &v)) && v == min);
  if (min > INT64_MIN) FAILS(mwt_options_set_int(o, key, min - 1), MWT_E_ARGUMENT);
  if (max < INT64_MAX) FAILS(mwt_options_set_int(o, key, max + 1), MWT_E_ARGUMENT);
  CHECK(OK(mwt_options_get_int(o, key, &v)) && v == min);
  mwt_options_free(o);
}

static void test_option_table(void) {
  int n = 0;
#define CHECK_OPTION(id, key, kind, def, min, max, description) \
  ++n;                                                          \
  check_option(MWT_OPT_##id, def, min, max, description);
  MWT_OPTION_KEYS(CHECK_OPTION)
#undef CHECK_OPTION
  CHECK(n == 14);
}

static void test_options(void) {
  mwt_options* o = NULL;
  int64_t v = 0;
  if (!OK(mwt_options_create(&o))) return;
  OK(mwt_options_get_int(o, MWT_OPT_LIMITS_MAX_TENSORS, &v));
  CHECK(v == 1048576);
  OK(mwt_options_set_int(o, MWT_OPT_LIMITS_MAX_TENSORS, 16));
  OK(mwt_options_get_int(o, MWT_OPT_LIMITS_MAX_TENSORS, &v));
  CHECK(v == 16);
  OK(mwt_options_get_int(o, MWT_OPT_GGUF_CONTIGUOUS, &v));
  CHECK(v == 0);
  FAILS(mwt_options_set_int(o, MWT_OPT_GGUF_STRICT_BOOL, 2), MWT_E_ARGUMENT);
  FAILS(mwt_options_set_int(o, MWT_OPT_LIMITS_MAX_KV, -1), MWT_E_ARGUMENT);
  FAILS(mwt_options_set_int(o, "no.such.key", 1), MWT_E_ARGUMENT);
  FAILS(mwt_options_get_int(o, "no.such.key", &v), MWT_E_ARGUMENT);
  mwt_options_free(o);
}

/* ------------------------------------------------------------------ GGUF */

static int write_gguf(const char* path) {
  mwt_writer* w = NULL;
  const uint32_t ctx = 4096;
  const int8_t i8 = -5;
  const float eps = 1e-5f;
  const uint8_t yes = 1;
  const uint64_t big = 0x123456789abcdef0ull;
  const double pi = 3.141592653589793;
  const uint64_t shape_w[2] = {2, 3};
  const uint64_t shape_h[1] = {4};
  const uint64_t shape_q[2] = {1, 32};
  int ok = 1;
  if (!OK(mwt_writer_create(MWT_FORMAT_GGUF, &w))) return 0;
  ok &= OK(mwt_writer_add_metadata_string(w, "general.architecture", 20, "llama", 5));
  ok &= OK(mwt_writer_add_metadata(w, "llama.context_length", 20, MWT_VALUE_U32, &ctx));
  ok &= OK(mwt_writer_add_metadata(w, "test.i8", 7, MWT_VALUE_I8, &i8));
  ok &= OK(mwt_writer_add_metadata(w, "test.eps", 8, MWT_VALUE_F32, &eps));
  ok &= OK(mwt_writer_add_metadata(w, "test.flag", 9, MWT_VALUE_BOOL, &yes));
  ok &= OK(mwt_writer_add_metadata(w, "test.u64", 8, MWT_VALUE_U64, &big));
  ok &= OK(mwt_writer_add_metadata(w, "test.f64", 8, MWT_VALUE_F64, &pi));
  ok &= OK(mwt_writer_add_metadata_array(w, "test.ints", 9, MWT_VALUE_I32, k_ints, 3));
  ok &= OK(mwt_writer_add_metadata_string_array(w, "tokenizer.ggml.tokens", 21, k_tokens,
                                                k_token_lens, 3));
  /* GG-12: scores stored as INT8[8]. */
  ok &=
      OK(mwt_writer_add_metadata_array(w, "tokenizer.ggml.scores", 21, MWT_VALUE_I8, k_scores, 8));
  ok &= OK(mwt_writer_add_tensor(w, "w", 1, MWT_DTYPE_F32, 2, shape_w, k_w, sizeof k_w));
  ok &= OK(mwt_writer_add_tensor(w, "h", 1, MWT_DTYPE_F16, 1, shape_h, k_h, sizeof k_h));
  ok &= OK(mwt_writer_add_tensor(w, "q", 1, MWT_DTYPE_Q8_0, 2, shape_q, k_q8, sizeof k_q8));
  /* Mistakes are reported where they are made and leave the writer usable. */
  FAILS(mwt_writer_add_tensor(w, "w", 1, MWT_DTYPE_F32, 2, shape_w, k_w, sizeof k_w),
        MWT_E_DUPLICATE);
  FAILS(mwt_writer_add_tensor(w, "x", 1, MWT_DTYPE_F32, 2, shape_w, k_w, 20), MWT_E_SIZE_MISMATCH);
  FAILS(mwt_writer_add_tensor(w, "x", 1, MWT_DTYPE_U16, 1, shape_h, k_h, sizeof k_h),
        MWT_E_BAD_DTYPE);
  FAILS(mwt_writer_add_metadata(w, "test.i8", 7, MWT_VALUE_I8, &i8), MWT_E_DUPLICATE);
  FAILS(mwt_writer_add_metadata(w, "test.s", 6, MWT_VALUE_STRING, "x"), MWT_E_ARGUMENT);
  FAILS(mwt_writer_set_alignment(w, 24), MWT_E_ARGUMENT);
  FAILS(mwt_writer_write(w, NULL), MWT_E_ARGUMENT);
  ok &= OK(mwt_writer_write(w, path));
  mwt_writer_free(w);
  return ok;
}

/* Reads every entry with the getter its stored type names and checks the known values. */
static void check_gguf_metadata(const mwt_file* f) {
  size_t i, n = mwt_file_metadata_count(f);
  int seen = 0;
  CHECK(n == 10);
  for (i = 0; i < n; ++i) {
    const char* key = NULL;
    size_t key_len = 0;
    mwt_value_type t = MWT_VALUE_U8;
    if (!OK(mwt_file_metadata_key(f, i, &key, &key_len))) continue;
    if (!OK(mwt_file_metadata_type(f, i, &t))) continue;
    CHECK(mwt_file_metadata_find(f, key, key_len) == (int64_t)i);
    if (t == MWT_VALUE_STRING) {
      const char* s = NULL;
      size_t len = 0;
      OK(mwt_file_metadata_get_string(f, i, &s, &len));
      CHECK(len == 5 && memcmp(s, "llama", 5) == 0);
      ++seen;
    } else if (t == MWT_VALUE_U32) {
      uint32_t v = 0;
      int32_t wrong = 0;
      OK(mwt_file_metadata_get_u32(f, i, &v));
      CHECK(v == 4096);
      /* An INT32 getter never reads a UINT32. */
      FAILS(mwt_file_metadata_get_i32(f, i, &wrong), MWT_E_TYPE_MISMATCH);
      ++seen;
    } else if (t == MWT_VALUE_I8) {
      int8_t v = 0;
      OK(mwt_file_metadata_get_i8(f, i, &v));
      CHECK(v == -5);
      ++seen;
    } else if (t == MWT_VALUE_F32) {
      float v = 0;
      OK(mwt_file_metadata_get_f32(f, i, &v));
      CHECK(v == 1e-5f);
      ++seen;
    } else if (t == MWT_VALUE_BOOL) {
      int v = 0;
      OK(mwt_file_metadata_get_bool(f, i, &v));
      CHECK(v == 1);
      ++seen;
    } else if (t == MWT_VALUE_U64) {
      uint64_t v = 0;
      OK(mwt_file_metadata_get_u64(f, i, &v));
      CHECK(v == 0x123456789abcdef0ull);
      ++seen;
    } else if (t == MWT_VALUE_F64) {
      double v = 0;
      OK(mwt_file_metadata_get_f64(f, i, &v));
      CHECK(v == 3.141592653589793);
      ++seen;
    } else if (t == MWT_VALUE_ARRAY) {
      mwt_value_type et = MWT_VALUE_U8;
      uint64_t count = 0;
      OK(mwt_file_metadata_array_info(f, i, &et, &count));
      if (et == MWT_VALUE_I32) {
        int32_t v[3] = {0, 0, 0};
        CHECK(count == 3);
        OK(mwt_file_metadata_copy_array(f, i, MWT_VALUE_I32, v, 3));
        CHECK(v[0] == 7 && v[1] == -8 && v[2] == 9);
        FAILS(mwt_file_metadata_copy_array(f, i, MWT_VALUE_I32, v, 2), MWT_E_ARGUMENT);
        ++seen;
      } else if (et == MWT_VALUE_STRING) {
        const char* s = NULL;
        size_t len = 0;
        CHECK(count == 3);
        OK(mwt_file_metadata_get_array_string(f, i, 2, &s, &len));
        CHECK(len == 5 && memcmp(s, "w\0rld", 5) == 0); /* embedded NUL kept */
        FAILS(mwt_file_metadata_get_array_string(f, i, 3, &s, &len), MWT_E_ARGUMENT);
        ++seen;
      } else if (et == MWT_VALUE_I8) {
        ++seen; /* tokenizer.ggml.scores: checked in test_gg12 */
      }
    }
  }
  CHECK(seen == 10);
  CHECK(mwt_file_metadata_find(f, "absent", 6) == -1);
}

/* docs/malformed-inputs.md GG-12: INT8[8] scores read through the f32 array getters. */
static void test_gg12(const mwt_file* f) {
  int64_t i = mwt_file_metadata_find(f, "tokenizer.ggml.scores", 21);
  float as_f32[8];
  int8_t as_i8[8];
  const void* view = NULL;
  uint64_t count = 0;
  mwt_status* s;
  CHECK(i >= 0);
  if (i < 0) return;
  s = mwt_file_metadata_copy_array(f, (size_t)i, MWT_VALUE_F32, as_f32, 8);
  CHECK(mwt_status_code(s) == MWT_E_TYPE_MISMATCH);
  CHECK(contains(mwt_status_message(s), "tokenizer.ggml.scores"));
  CHECK(contains(mwt_status_message(s), "INT8"));
  CHECK(contains(mwt_status_message(s), "FLOAT32"));
  CHECK(contains(mwt_status_field(s), "tokenizer.ggml.scores"));
  CHECK(mwt_status_offset(s) != UINT64_MAX);
  mwt_status_free(s);
  FAILS(mwt_file_metadata_get_array(f, (size_t)i, MWT_VALUE_F32, &view, &count),
        MWT_E_TYPE_MISMATCH);
  CHECK(view == NULL && count == 0);
  OK(mwt_file_metadata_get_array(f, (size_t)i, MWT_VALUE_I8, &view, &count));
  CHECK(count == 8 && view != NULL && memcmp(view, k_scores, 8) == 0);
  OK(mwt_file_metadata_copy_array(f, (size_t)i, MWT_VALUE_I8, as_i8, 8));
  CHECK(memcmp(as_i8, k_scores, 8) == 0);
}

static void check_tensor(const mwt_file* f, const char* name, mwt_dtype dtype, size_t ndim,
                         const uint64_t* shape, const void* data, uint64_t nbytes) {
  int64_t i = mwt_file_tensor_find(f, name, strlen(name));
  mwt_dtype d = MWT_DTYPE_F32;
  size_t got_ndim = 99, shard = 99;
  const uint64_t* dims = NULL;
  uint64_t n = 0, off = 0;
  const void* p = NULL;
  CHECK(i >= 0);
  if (i < 0) return;
  OK(mwt_file_tensor_dtype(f, (size_t)i, &d));
  CHECK(d == dtype);
  OK(mwt_file_tensor_shape(f, (size_t)i, &got_ndim, &dims));
  CHECK(got_ndim == ndim && (ndim == 0 || memcmp(dims, shape, ndim * sizeof *dims) == 0));
  OK(mwt_file_tensor_nbytes(f, (size_t)i, &n));
  CHECK(n == nbytes);
  OK(mwt_file_tensor_offset(f, (size_t)i, &off, &shard));
  CHECK(shard == 0 && off >= mwt_file_data_offset(f) && off + n <= mwt_file_size(f));
  OK(mwt_file_tensor_data(f, (size_t)i, &p));
  CHECK(nbytes == 0 ? p == NULL : (p != NULL && memcmp(p, data, (size_t)nbytes) == 0));
}

/* The quantization report and llama.cpp's per-tensor plan through the C ABI. The tensors "w",
 * "h" and "q" are not `*weight` tensors, so llama.cpp would leave every one as it is. */
static void check_quantization_report(const mwt_file* f) {
  char* json = NULL;
  size_t len = 0;
  uint32_t ft = 0;
  mwt_dtype types[3] = {MWT_DTYPE_F32, MWT_DTYPE_F32, MWT_DTYPE_F32};
  if (OK(mwt_file_quantization(f, &json, &len))) {
    CHECK(json != NULL && strlen(json) == len);
    CHECK(strncmp(json, "{\"format\":\"gguf\",\"scheme\":", 26) == 0);
    CHECK(strstr(json, "\"histogram\":[") != NULL);
    CHECK(json[len - 1] == '}');
  }
  mwt_string_free(json);
  mwt_string_free(NULL);
  FAILS(mwt_file_quantization(NULL, &json, &len), MWT_E_ARGUMENT);
  FAILS(mwt_file_quantization(f, NULL, &len), MWT_E_ARGUMENT);
  CHECK(strcmp(mwt_file_type_name(15), "Q4_K_M") == 0);
  CHECK(strcmp(mwt_file_type_name(15 | 1024), "Q4_K_M") == 0);
  CHECK(mwt_file_type_name(4) == NULL);
  OK(mwt_file_type_from_name("q4_k_m", &ft));
  CHECK(ft == 15);
  FAILS(mwt_file_type_from_name("Q4_K", &ft), MWT_E_ARGUMENT);
  if (OK(mwt_file_plan_quantization(f, 15, types, 3))) {
    CHECK(types[0] == MWT_DTYPE_F32 && types[1] == MWT_DTYPE_F16 && types[2] == MWT_DTYPE_Q8_0);
  }
  FAILS(mwt_file_plan_quantization(f, 15, types, 2), MWT_E_ARGUMENT);
  FAILS(mwt_file_plan_quantization(f, 4, types, 3), MWT_E_ARGUMENT);
}

/* The architecture report and the name map through the C ABI. */
static void check_architecture(const mwt_file* f) {
  char* json = NULL;
  size_t len = 0;
  mwt_options* o = NULL;
  if (OK(mwt_file_architecture(f, NULL, &json, &len))) {
    CHECK(json != NULL && strlen(json) == len);
    CHECK(strncmp(json, "{\"schema\":1,", 12) == 0);
    CHECK(strstr(json, "\"parameter_count\":{\"total\":") != NULL);
  }
  mwt_string_free(json);
  json = NULL;
  if (OK(mwt_options_create(&o))) {
    OK(mwt_options_set_int(o, MWT_OPT_ANALYSIS_CONFIG_JSON, 0));
    if (OK(mwt_file_architecture(f, o, &json, &len))) CHECK(json != NULL && json[len] == '\0');
    mwt_string_free(json);
    mwt_options_free(o);
  }
  FAILS(mwt_file_architecture(NULL, NULL, &json, &len), MWT_E_ARGUMENT);
  FAILS(mwt_file_architecture(f, NULL, NULL, &len), MWT_E_ARGUMENT);
  json = NULL;
  if (OK(mwt_name_map("blk.7.ffn_down.weight", "qwen2", "hf", &json, &len))) {
    CHECK(json != NULL && strcmp(json, "model.layers.7.mlp.down_proj.weight") == 0);
    CHECK(len == strlen("model.layers.7.mlp.down_proj.weight"));
  }
  mwt_string_free(json);
  json = (char*)1;
  if (OK(mwt_name_map("blk.7.no_such_role.weight", "qwen2", "hf", &json, &len)))
    CHECK(json == NULL && len == 0);
  FAILS(mwt_name_map("x", "qwen2", "safetensors", &json, &len), MWT_E_ARGUMENT);
  FAILS(mwt_name_map("x", "no_such_family", "hf", &json, &len), MWT_E_ARGUMENT);
  FAILS(mwt_name_map(NULL, "qwen2", "hf", &json, &len), MWT_E_ARGUMENT);
  json = NULL;
  if (OK(mwt_name_families(&json, &len))) CHECK(json != NULL && json[0] == '[');
  mwt_string_free(json);
}

static void test_gguf_roundtrip(void) {
  char path[4200];
  mwt_file* f = NULL;
  mwt_options* o = NULL;
  mwt_format fmt = MWT_FORMAT_UNKNOWN;
  const uint64_t shape_w[2] = {2, 3}, shape_h[1] = {4}, shape_q[2] = {1, 32};
  size_t i;
  for (i = 0; i < sizeof k_q8; ++i) k_q8[i] = (unsigned char)(i * 7u + 1u);
  path_in_dir("c_api.gguf", path, sizeof path);
  if (!write_gguf(path)) return;
  OK(mwt_detect_format(path, &fmt));
  CHECK(fmt == MWT_FORMAT_GGUF);
  if (!OK(mwt_options_create(&o))) return;
  OK(mwt_options_set_int(o, MWT_OPT_LIMITS_MAX_TENSORS, 3));
  if (OK(mwt_file_open(path, o, &f))) {
    CHECK(mwt_file_format(f) == MWT_FORMAT_GGUF);
    CHECK(mwt_file_version(f) == 3);
    CHECK(mwt_file_alignment(f) == 32);
    CHECK(mwt_file_data_offset(f) % 32 == 0);
    CHECK(mwt_file_shard_count(f) == 1);
    CHECK(mwt_file_shard_path(f, 0) != NULL && mwt_file_shard_path(f, 1) == NULL);
    CHECK(mwt_file_tensor_count(f) == 3);
    check_gguf_metadata(f);
    test_gg12(f);
    check_tensor(f, "w", MWT_DTYPE_F32, 2, shape_w, k_w, sizeof k_w);
    check_tensor(f, "h", MWT_DTYPE_F16, 1, shape_h, k_h, sizeof k_h);
    check_tensor(f, "q", MWT_DTYPE_Q8_0, 2, shape_q, k_q8, sizeof k_q8);
    check_quantization_report(f);
    check_architecture(f);
    {
      const void* p = NULL;
      uint32_t v = 0;
      FAILS(mwt_file_tensor_data(f, 3, &p), MWT_E_ARGUMENT);
      FAILS(mwt_file_metadata_get_u32(f, 1000, &v), MWT_E_ARGUMENT);
      FAILS(mwt_file_tensor_data(f, 0, NULL), MWT_E_ARGUMENT);
    }
    mwt_file_free(f);
  }
  /* The same file over a tensor limit of 2 is refused. */
  OK(mwt_options_set_int(o, MWT_OPT_LIMITS_MAX_TENSORS, 2));
  f = NULL;
  FAILS(mwt_file_open(path, o, &f), MWT_E_LIMIT_EXCEEDED);
  CHECK(f == NULL);
  mwt_options_free(o);
}

/* ------------------------------------------------------------------ safetensors */

static void test_safetensors_roundtrip(void) {
  char path[4200];
  mwt_writer* w = NULL;
  mwt_file* f = NULL;
  const uint16_t bf[4] = {0x3f80, 0xc000, 0x0000, 0x4040};
  const int64_t ids[3] = {-1, 0, 1};
  const uint64_t shape_bf[2] = {2, 2}, shape_ids[1] = {3}, shape_empty[2] = {0, 5};
  const uint32_t n = 1;
  int64_t i;
  path_in_dir("c_api.safetensors", path, sizeof path);
  if (!OK(mwt_writer_create(MWT_FORMAT_SAFETENSORS, &w))) return;
  OK(mwt_writer_add_metadata_string(w, "format", 6, "pt", 2));
  FAILS(mwt_writer_add_metadata(w, "n", 1, MWT_VALUE_U32, &n), MWT_E_TYPE_MISMATCH);
  FAILS(mwt_writer_add_metadata_array(w, "a", 1, MWT_VALUE_I64, ids, 3), MWT_E_TYPE_MISMATCH);
  FAILS(mwt_writer_set_alignment(w, 64), MWT_E_ARGUMENT);
  FAILS(mwt_writer_add_tensor(w, "q", 1, MWT_DTYPE_Q4_K, 1, shape_ids, bf, 8), MWT_E_BAD_DTYPE);
  OK(mwt_writer_add_tensor(w, "model.bf", 8, MWT_DTYPE_BF16, 2, shape_bf, bf, sizeof bf));
  OK(mwt_writer_add_tensor(w, "model.ids", 9, MWT_DTYPE_I64, 1, shape_ids, ids, sizeof ids));
  OK(mwt_writer_add_tensor(w, "model.empty", 11, MWT_DTYPE_U8, 2, shape_empty, NULL, 0));
  if (!OK(mwt_writer_write(w, path))) {
    mwt_writer_free(w);
    return;
  }
  mwt_writer_free(w);
  if (!OK(mwt_file_open(path, NULL, &f))) return;
  CHECK(mwt_file_format(f) == MWT_FORMAT_SAFETENSORS);
  CHECK(mwt_file_version(f) == 0);
  CHECK(mwt_file_tensor_count(f) == 3);
  CHECK(mwt_file_metadata_count(f) == 1);
  i = mwt_file_metadata_find(f, "format", 6);
  CHECK(i == 0);
  if (i == 0) {
    const char* s = NULL;
    size_t len = 0;
    uint8_t u = 0;
    mwt_value_type t = MWT_VALUE_U8;
    OK(mwt_file_metadata_type(f, 0, &t));
    CHECK(t == MWT_VALUE_STRING);
    OK(mwt_file_metadata_get_string(f, 0, &s, &len));
    CHECK(len == 2 && memcmp(s, "pt", 2) == 0);
    FAILS(mwt_file_metadata_get_u8(f, 0, &u), MWT_E_TYPE_MISMATCH);
  }
  check_tensor(f, "model.bf", MWT_DTYPE_BF16, 2, shape_bf, bf, sizeof bf);
  check_tensor(f, "model.ids", MWT_DTYPE_I64, 1, shape_ids, ids, sizeof ids);
  check_tensor(f, "model.empty", MWT_DTYPE_U8, 2, shape_empty, NULL, 0);
  mwt_file_free(f);
}

/* ------------------------------------------------------------------ errors */

static void test_open_errors(void) {
  char path[4200];
  mwt_file* f = NULL;
  mwt_format fmt = MWT_FORMAT_GGUF;
  mwt_status* s;
  const char text[] = "hello world, these are not weights";
  FAILS(mwt_file_open(path_in_dir("does-not-exist.gguf", path, sizeof path), NULL, &f), MWT_E_IO);
  FAILS(mwt_detect_format(path, &fmt), MWT_E_IO);
  CHECK(fmt == MWT_FORMAT_GGUF && f == NULL);

  path_in_dir("not-weights.bin", path, sizeof path);
  write_bytes(path, text, sizeof text - 1);
  OK(mwt_detect_format(path, &fmt));
  CHECK(fmt == MWT_FORMAT_UNKNOWN);
  s = mwt_file_open(path, NULL, &f);
  CHECK(mwt_status_code(s) == MWT_E_BAD_MAGIC);
  CHECK(mwt_status_offset(s) == 0);
  CHECK(contains(mwt_status_message(s), "hello world"));
  mwt_status_free(s);

  path_in_dir("empty.safetensors", path, sizeof path);
  write_bytes(path, "", 0);
  FAILS(mwt_file_open(path, NULL, &f), MWT_E_TRUNCATED);

  /* Recognised but not read yet: an .npy file. */
  path_in_dir("array.npy", path, sizeof path);
  write_bytes(path, "\x93NUMPY\x01\x00\x06\x00{}    ", 16);
  s = mwt_file_open(path, NULL, &f);
  CHECK(mwt_status_code(s) == MWT_E_UNSUPPORTED_FORMAT);
  CHECK(contains(mwt_status_message(s), "NumPy"));
  mwt_status_free(s);
  CHECK(f == NULL);
}

int main(int argc, char** argv) {
  if (argc != 2 || strlen(argv[1]) >= sizeof g_dir) {
    fprintf(stderr, "usage: %s <scratch-dir>\n", argv[0]);
    return 2;
  }
  strcpy(g_dir, argv[1]);
  test_version_and_names();
  test_status_and_null_safety();
  test_conversions();
  test_dequantize_threads();
  test_error_code_list();
  test_option_table();
  test_options();
  test_gguf_roundtrip();
  test_safetensors_roundtrip();
  test_open_errors();
  printf("test_c_api: %d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
