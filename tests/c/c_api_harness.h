/* The checking harness of test_c_api.c (C99): CHECK / OK / FAILS with their counters, and the
 * scratch-directory helpers. Included by that one file only, so its statics are defined once. */
#ifndef MWT_TEST_C_API_HARNESS_H
#define MWT_TEST_C_API_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mwt/mwt.h"

static int g_checks = 0;
static int g_failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    ++g_checks;                                                                \
    if (!(cond)) {                                                             \
      ++g_failures;                                                            \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

/* Expect success; print the status message otherwise. Frees the status. */
#define OK(call) expect_code((call), MWT_OK, __LINE__, #call)
#define FAILS(call, code) expect_code((call), (code), __LINE__, #call)

static int expect_code(mwt_status* s, mwt_code want, int line, const char* what) {
  mwt_code got = mwt_status_code(s);
  ++g_checks;
  if (got != want) {
    ++g_failures;
    fprintf(stderr, "%s:%d: %s gave %s (%s), expected %s\n", __FILE__, line, what,
            mwt_code_name(got), mwt_status_message(s), mwt_code_name(want));
  }
  mwt_status_free(s);
  return got == want;
}

static int contains(const char* haystack, const char* needle) {
  return haystack != NULL && strstr(haystack, needle) != NULL;
}

static char g_dir[4096];

static const char* path_in_dir(const char* name, char* buf, size_t cap) {
  int n = snprintf(buf, cap, "%s/%s", g_dir, name);
  if (n < 0 || (size_t)n >= cap) {
    fprintf(stderr, "scratch path too long\n");
    exit(2);
  }
  return buf;
}

static void write_bytes(const char* path, const void* data, size_t n) {
  FILE* f = fopen(path, "wb");
  if (f == NULL || (n != 0 && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(2);
  }
}

#endif /* MWT_TEST_C_API_HARNESS_H */
