/* The tokenizer section of the C ABI from strict C99 (mwt_tokenizer.h through mwt.h): write a
 * GGUF file holding a byte-level BPE vocabulary with the writer, open its tokenizer by path and
 * from the open file, encode (one text and a batch), decode, look tokens up, read the info JSON
 * and free everything. Expected ids follow from the vocabulary: ids 0..255 are the bytes, then
 * one token per merge. Usage: test_c_tokenizer <scratch-dir>. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_api_harness.h"
#include "mwt/mwt.h"

#define N_TOKENS 261

static char g_alphabet[256][3]; /* GPT-2's byte alphabet: byte b as UTF-8 of its code point */
static const char* g_tokens[N_TOKENS];
static size_t g_lens[N_TOKENS];
static int32_t g_types[N_TOKENS];

static void make_alphabet(void) {
  unsigned next = 256, b;
  for (b = 0; b < 256; ++b) {
    const int printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    const unsigned cp = printable ? b : next++;
    if (cp < 0x80) {
      g_alphabet[b][0] = (char)cp;
      g_alphabet[b][1] = 0;
    } else {
      g_alphabet[b][0] = (char)(0xC0 | (cp >> 6));
      g_alphabet[b][1] = (char)(0x80 | (cp & 0x3F));
      g_alphabet[b][2] = 0;
    }
    g_tokens[b] = g_alphabet[b];
    g_lens[b] = strlen(g_alphabet[b]);
    g_types[b] = 1;
  }
}

static int write_vocab(const char* path) {
  static const char* merged[4] = {"he", "ll", "hell", "hello"};
  static const char* merges[4] = {"h e", "l l", "he ll", "hell o"};
  size_t merge_lens[4];
  mwt_writer* w = NULL;
  int ok = 1, i;
  for (i = 0; i < 4; ++i) {
    g_tokens[256 + i] = merged[i];
    g_lens[256 + i] = strlen(merged[i]);
    g_types[256 + i] = 1;
    merge_lens[i] = strlen(merges[i]);
  }
  g_tokens[260] = "<|endoftext|>";
  g_lens[260] = 13;
  g_types[260] = 3; /* CONTROL */
  if (!OK(mwt_writer_create(MWT_FORMAT_GGUF, &w))) return 0;
  ok &= OK(mwt_writer_add_metadata_string(w, "tokenizer.ggml.model", 20, "gpt2", 4));
  ok &= OK(mwt_writer_add_metadata_string(w, "tokenizer.ggml.pre", 18, "gpt-2", 5));
  ok &= OK(mwt_writer_add_metadata_string_array(w, "tokenizer.ggml.tokens", 21, g_tokens, g_lens,
                                                N_TOKENS));
  ok &= OK(mwt_writer_add_metadata_array(w, "tokenizer.ggml.token_type", 25, MWT_VALUE_I32, g_types,
                                         N_TOKENS));
  ok &= OK(
      mwt_writer_add_metadata_string_array(w, "tokenizer.ggml.merges", 21, merges, merge_lens, 4));
  ok &= OK(mwt_writer_write(w, path));
  mwt_writer_free(w);
  return ok;
}

static int same_ids(const int32_t* a, size_t na, const int32_t* b, size_t nb) {
  return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

static void check_tokenizer(const mwt_tokenizer* t) {
  static const char text[] = "hello hello<|endoftext|>";
  const int32_t want[4] = {259, 32, 259, 260}; /* "hello", the space byte, "hello", control */
  int32_t* ids = NULL;
  uint64_t* offsets = NULL;
  size_t n = 0, len = 0;
  char* out = NULL;
  const char* tok = NULL;
  int32_t id = 0;
  const char* texts[3] = {"hello", text, ""};
  const size_t lens[3] = {5, sizeof text - 1, 0};
  if (OK(mwt_tokenizer_encode(t, text, sizeof text - 1, 1, &ids, &n))) {
    CHECK(same_ids(ids, n, want, 4));
    if (OK(mwt_tokenizer_decode(t, ids, n, 0, &out, &len))) {
      CHECK(len == sizeof text - 1 && strcmp(out, text) == 0);
      mwt_string_free(out);
    }
    if (OK(mwt_tokenizer_decode(t, ids, n, 1, &out, &len))) {
      CHECK(strcmp(out, "hello hello") == 0);
      mwt_string_free(out);
    }
    mwt_tokenizer_buffer_free(ids);
  }
  if (OK(mwt_tokenizer_encode_batch(t, texts, lens, 3, 1, 2, &ids, &offsets, &n))) {
    CHECK(n == 5 && offsets[0] == 0 && offsets[1] == 1 && offsets[2] == 5 && offsets[3] == 5);
    CHECK(ids[0] == 259 && same_ids(ids + 1, 4, want, 4));
    mwt_tokenizer_buffer_free(ids);
    mwt_tokenizer_buffer_free(offsets);
  }
  CHECK(mwt_tokenizer_vocab_size(t) == N_TOKENS);
  if (OK(mwt_tokenizer_token_to_id(t, "hell", 4, &id))) CHECK(id == 258);
  if (OK(mwt_tokenizer_token_to_id(t, "nope", 4, &id))) CHECK(id == -1);
  if (OK(mwt_tokenizer_id_to_token(t, 257, &tok, &len)))
    CHECK(len == 2 && memcmp(tok, "ll", 2) == 0);
  if (OK(mwt_tokenizer_id_to_token(t, N_TOKENS, &tok, &len))) CHECK(tok == NULL && len == 0);
  if (OK(mwt_tokenizer_info(t, &out, &len))) {
    CHECK(contains(out, "\"source\":\"gguf\""));
    CHECK(contains(out, "\"gguf_pre\":\"gpt-2\""));
    CHECK(strlen(out) == len);
    mwt_string_free(out);
  }
  FAILS(mwt_tokenizer_encode(t, NULL, 2, 1, &ids, &n), MWT_E_ARGUMENT);
}

int main(int argc, char** argv) {
  char path[4200];
  mwt_tokenizer* t = NULL;
  mwt_file* f = NULL;
  if (argc != 2 || strlen(argv[1]) >= sizeof g_dir) {
    fprintf(stderr, "usage: %s <scratch-dir>\n", argv[0]);
    return 2;
  }
  strcpy(g_dir, argv[1]);
  make_alphabet();
  path_in_dir("tokenizer.gguf", path, sizeof path);
  if (write_vocab(path)) {
    if (OK(mwt_tokenizer_open(path, NULL, &t))) {
      check_tokenizer(t);
      mwt_tokenizer_free(t);
    }
    if (OK(mwt_file_open(path, NULL, &f))) {
      if (OK(mwt_tokenizer_from_file(f, NULL, &t))) {
        mwt_file_free(f); /* the tokenizer does not reference the file */
        check_tokenizer(t);
        mwt_tokenizer_free(t);
      } else {
        mwt_file_free(f);
      }
    }
  }
  path_in_dir("missing.gguf", path, sizeof path);
  FAILS(mwt_tokenizer_open(path, NULL, &t), MWT_E_IO);
  path_in_dir("junk.bin", path, sizeof path);
  write_bytes(path, "not a model", 11);
  FAILS(mwt_tokenizer_open(path, NULL, &t), MWT_E_BAD_MAGIC);
  mwt_tokenizer_free(NULL);
  mwt_tokenizer_buffer_free(NULL);
  printf("test_c_tokenizer: %d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
