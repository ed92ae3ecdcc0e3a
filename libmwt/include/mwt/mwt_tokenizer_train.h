/* mwt_tokenizer_train.h: training a byte-level BPE tokenizer (`mwt tokenizer train`), the
 * section of the C ABI that mwt.h includes (include mwt.h, not this file). Same conventions,
 * thread-safety and tiers as mwt.h states at its top. Semantics: docs/tokenizers-train.md. */
#ifndef MWT_TOKENIZER_TRAIN_H
#define MWT_TOKENIZER_TRAIN_H
#ifndef MWT_H
#error "include mwt/mwt.h, which includes mwt_tokenizer_train.h"
#endif

/* ------------------------------------------------ tokenizer training [experimental] */

/* What mwt_tokenizer_train_* trains, by string key (all int64), so new settings never change
 * the ABI. X(ID, KEY, DEFAULT, MIN, MAX, "meaning"); KEY is MWT_TRAIN_<ID>. A value outside
 * [MIN, MAX] or an unknown key is MWT_E_ARGUMENT. */
#define MWT_TRAIN_VOCAB_SIZE "train.vocab_size"
#define MWT_TRAIN_MIN_FREQUENCY "train.min_frequency"
#define MWT_TRAIN_THREADS "train.threads"
#define MWT_TRAIN_BYTE_LEVEL_ALPHABET "train.byte_level_alphabet"
#define MWT_TRAIN_LIMIT_ALPHABET "train.limit_alphabet"
#define MWT_TRAIN_MAX_TOKEN_LENGTH "train.max_token_length"
#define MWT_TRAIN_KEYS(X)                                                                      \
  X(VOCAB_SIZE, MWT_TRAIN_VOCAB_SIZE, 30000, 0, 4294967294,                                    \
    "tokens in the vocabulary: special tokens, the alphabet and merged tokens (at least the "  \
    "special tokens and the alphabet are kept)")                                               \
  X(MIN_FREQUENCY, MWT_TRAIN_MIN_FREQUENCY, 2, 0, INT64_MAX,                                   \
    "a pair occurring fewer times is not merged (2 as HF ByteLevelBPETokenizer.train)")        \
  X(THREADS, MWT_TRAIN_THREADS, 0, 0, 256,                                                     \
    "threads counting words; 0: MWT_NUM_THREADS or the CPU count. The result does not depend " \
    "on it")                                                                                   \
  X(BYTE_LEVEL_ALPHABET, MWT_TRAIN_BYTE_LEVEL_ALPHABET, 1, 0, 1,                               \
    "1: all 256 byte-level characters are in the vocabulary (HF initial_alphabet = "           \
    "ByteLevel.alphabet()); 0: only the characters the corpus has")                            \
  X(LIMIT_ALPHABET, MWT_TRAIN_LIMIT_ALPHABET, -1, -1, 256,                                     \
    "keep at most this many characters, the rarest dropped (HF limit_alphabet); -1: no limit") \
  X(MAX_TOKEN_LENGTH, MWT_TRAIN_MAX_TOKEN_LENGTH, -1, -1, INT64_MAX,                           \
    "merges never make a token of this many characters or more, except the pairs the words "   \
    "start with (as HF max_token_length); -1: none")

typedef struct mwt_train_options mwt_train_options;
/* A handle holding every key's DEFAULT and no special tokens. */
MWT_API MWT_NODISCARD mwt_status* mwt_train_options_create(mwt_train_options** out);
MWT_API void mwt_train_options_free(mwt_train_options* options);
MWT_API MWT_NODISCARD mwt_status* mwt_train_options_set_int(mwt_train_options* options,
                                                            const char* key, int64_t value);
MWT_API MWT_NODISCARD mwt_status* mwt_train_options_get_int(const mwt_train_options* options,
                                                            const char* key, int64_t* out);
/* Appends a special token (len bytes of UTF-8, copied): special tokens take ids 0, 1, ... in
 * the order added; one added twice keeps its first id. Empty or not UTF-8 is
 * MWT_E_ARGUMENT / MWT_E_BAD_ENCODING. */
MWT_API MWT_NODISCARD mwt_status* mwt_train_options_add_special_token(mwt_train_options* options,
                                                                      const char* token,
                                                                      size_t len);
/* The special tokens added so far. */
MWT_API size_t mwt_train_options_special_token_count(const mwt_train_options* options);

/* Stages a training call reports: counting words (done/total in corpus bytes), then merging
 * (done/total in new tokens; total is vocab_size minus the special tokens and alphabet). */
typedef enum mwt_train_stage {
  MWT_TRAIN_STAGE_COUNT = 0,
  MWT_TRAIN_STAGE_MERGE = 1,
  MWT_TRAIN_STAGE_MAX_ENUM_ = 0x7FFFFFFF
} mwt_train_stage;
/* Return 0 to go on, non-zero to cancel. Called on the calling thread only (never from a
 * worker), at most every ~50 ms plus once at the start and end of each stage. */
typedef int (*mwt_train_progress_fn)(mwt_train_stage stage, uint64_t done, uint64_t total,
                                     void* user);

/* Trains a byte-level BPE tokenizer on n_paths files, each line (up to and including its '\n')
 * one sequence, as Hugging Face's Tokenizer.train(files, BpeTrainer) reads them. On success
 * *tokenizer_json is tokenizer.json (NUL-terminated UTF-8, *tokenizer_json_len bytes without
 * the NUL; free it with mwt_string_free), which HF `tokenizers` loads; summary_json may be NULL,
 * else it receives a JSON object (vocab_size, merges, merge_steps, special_tokens,
 * alphabet_size, last_merge_count, stopped_by, corpus_bytes, sequences, words, unique_words,
 * seconds; free it likewise). options may be NULL (defaults); progress may be NULL. A file that
 * is not UTF-8 is MWT_E_BAD_ENCODING naming it and the offset of its first bad byte; one that
 * cannot be read, MWT_E_IO. A cancelled call succeeds with *tokenizer_json NULL, length 0 (and
 * *summary_json NULL). Reentrant: the call starts and joins its own threads. */
MWT_API MWT_NODISCARD mwt_status* mwt_tokenizer_train_files(
    const char* const* paths, size_t n_paths, const mwt_train_options* options,
    mwt_train_progress_fn progress, void* user, char** tokenizer_json, size_t* tokenizer_json_len,
    char** summary_json, size_t* summary_len);
/* The same over n_texts texts in memory (texts[i] of lens[i] bytes, borrowed for the call), each
 * text one sequence, as HF's Tokenizer.train_from_iterator takes its items. A text that is not
 * UTF-8 is MWT_E_BAD_ENCODING naming texts[i]. */
MWT_API MWT_NODISCARD mwt_status* mwt_tokenizer_train_texts(
    const char* const* texts, const size_t* lens, size_t n_texts, const mwt_train_options* options,
    mwt_train_progress_fn progress, void* user, char** tokenizer_json, size_t* tokenizer_json_len,
    char** summary_json, size_t* summary_len);

#endif /* MWT_TOKENIZER_TRAIN_H */
