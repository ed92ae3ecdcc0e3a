/* mwt_tokenizer.h: the tokenizer section of the C ABI, included by mwt.h (include mwt.h, not
 * this file). Same conventions, thread-safety and tiers as mwt.h states at its top.
 *
 * A tokenizer comes from a GGUF file's tokenizer.ggml.* keys (run as llama.cpp runs them), from
 * a Hugging Face tokenizer.json (with tokenizer_config.json and special_tokens_map.json), or
 * from a SentencePiece .model. Encoding and decoding give the ids and text Hugging Face
 * `tokenizers` gives for the same files (llama.cpp's for GGUF). Text is UTF-8 as
 * (pointer, length); ids are int32.
 *
 * Thread safety: an mwt_tokenizer does not change after it is made; any number of threads may
 * call the functions that take a const mwt_tokenizer* at once. mwt_tokenizer_free must not
 * overlap any other call on the handle. */
#ifndef MWT_TOKENIZER_H
#define MWT_TOKENIZER_H
#ifndef MWT_H
#error "include mwt/mwt.h, which includes mwt_tokenizer.h"
#endif

/* ----------------------------------------------------------- tokenizers [experimental] */

typedef struct mwt_tokenizer mwt_tokenizer;

/* [experimental] Opens the tokenizer `path` names: a directory (its tokenizer.json, with
 * tokenizer_config.json and special_tokens_map.json when present; else its tokenizer.model;
 * else its only *.gguf file), a *.json file (a tokenizer.json, with the two configuration files
 * beside it when present), a *.model file (SentencePiece), or a weight file (GGUF: its
 * tokenizer.ggml.* keys, or the tokenizer files beside it when it has none; safetensors: the
 * tokenizer files in its directory). options (may be NULL) applies to opening a weight file.
 * Files are size-capped (tokenizer.json and .model 256 MiB, configuration files 16 MiB:
 * MWT_E_LIMIT_EXCEEDED). Errors: MWT_E_IO when there is no tokenizer at the path; the codes of
 * the readers (MWT_E_BAD_SYNTAX, MWT_E_TYPE_MISMATCH, MWT_E_OUT_OF_BOUNDS, MWT_E_SIZE_MISMATCH,
 * MWT_E_DUPLICATE, ...) naming the key or field at fault; MWT_E_UNSUPPORTED_FEATURE for a model
 * or pre-tokenizer mwt does not implement. On success *out owns the tokenizer (free with
 * mwt_tokenizer_free); it keeps no reference to the files. */
MWT_API MWT_NODISCARD mwt_status* mwt_tokenizer_open(const char* path, const mwt_options* options,
                                                     mwt_tokenizer** out);
/* [experimental] The tokenizer of an open weight file: as mwt_tokenizer_open on the file's path,
 * without opening it again. options is reserved and may be NULL. The tokenizer does not
 * reference the file: free them in any order. Thread-safety: as every const mwt_file* call
 * (the keys are read through the file's map, guarded as mwt.h's "Mapped files" says). */
MWT_API MWT_NODISCARD mwt_status* mwt_tokenizer_from_file(const mwt_file* file,
                                                          const mwt_options* options,
                                                          mwt_tokenizer** out);
/* [experimental] A tokenizer from the text of a tokenizer.json (tokenizer_json_len bytes) and,
 * optionally, of tokenizer_config.json and special_tokens_map.json (NULL with length 0 when
 * absent). The texts are copied as needed; the caller keeps ownership. */
MWT_API MWT_NODISCARD mwt_status* mwt_tokenizer_from_json(
    const char* tokenizer_json, size_t tokenizer_json_len, const char* config_json,
    size_t config_json_len, const char* special_tokens_map_json, size_t special_tokens_map_len,
    mwt_tokenizer** out);
MWT_API void mwt_tokenizer_free(mwt_tokenizer* tokenizer);

/* [experimental] Encodes len bytes of text into ids. The text must be UTF-8 (else
 * MWT_E_BAD_ENCODING naming the first bad byte: Hugging Face takes only str). add_special_tokens
 * non-zero adds what the tokenizer adds (BOS / EOS, templates). *ids is allocated for the caller
 * (free with mwt_tokenizer_buffer_free; NULL when *n_ids is 0). text may be NULL when len is 0. */
MWT_API MWT_NODISCARD mwt_status* mwt_tokenizer_encode(const mwt_tokenizer* tokenizer,
                                                       const char* text, size_t len,
                                                       int add_special_tokens, int32_t** ids,
                                                       size_t* n_ids);
/* [experimental] Encodes `count` texts (texts[i] of lens[i] bytes) on up to n_threads threads
 * (0: MWT_NUM_THREADS or the CPU count; threads are started and joined by the call). The ids of
 * every text are concatenated into *ids (*n_ids in all); text i's ids are
 * (*ids)[(*offsets)[i] .. (*offsets)[i + 1]), *offsets holding count + 1 values. Both arrays
 * are allocated for the caller: free each with mwt_tokenizer_buffer_free. The ids do not depend
 * on n_threads. */
MWT_API MWT_NODISCARD mwt_status* mwt_tokenizer_encode_batch(
    const mwt_tokenizer* tokenizer, const char* const* texts, const size_t* lens, size_t count,
    int add_special_tokens, uint32_t n_threads, int32_t** ids, uint64_t** offsets, size_t* n_ids);
/* [experimental] Decodes n ids into text (UTF-8, NUL-terminated, *len bytes without the NUL;
 * free it with mwt_string_free). skip_special_tokens non-zero leaves special tokens out. Ids the
 * tokenizer does not know are skipped, as Hugging Face does; byte tokens that do not form
 * UTF-8 become U+FFFD. */
MWT_API MWT_NODISCARD mwt_status* mwt_tokenizer_decode(const mwt_tokenizer* tokenizer,
                                                       const int32_t* ids, size_t n,
                                                       int skip_special_tokens, char** text,
                                                       size_t* len);
/* [experimental] The id of a token (added tokens first, then the model's vocabulary): *id is -1
 * when the tokenizer has no such token, which is not an error. */
MWT_API MWT_NODISCARD mwt_status* mwt_tokenizer_token_to_id(const mwt_tokenizer* tokenizer,
                                                            const char* token, size_t len,
                                                            int32_t* id);
/* [experimental] The token of an id, as the vocabulary spells it (byte-level BPE: in its byte
 * alphabet). *token points into the tokenizer (valid until mwt_tokenizer_free, not
 * NUL-terminated); NULL with *len 0 for an id the tokenizer does not have (not an error). */
MWT_API MWT_NODISCARD mwt_status* mwt_tokenizer_id_to_token(const mwt_tokenizer* tokenizer,
                                                            int32_t id, const char** token,
                                                            size_t* len);
/* [experimental] The vocabulary size with the added tokens (Hugging Face get_vocab_size with
 * added tokens); 0 for NULL. */
MWT_API size_t mwt_tokenizer_vocab_size(const mwt_tokenizer* tokenizer);
/* [experimental: the members may grow] What the tokenizer is and what its source said, as one
 * JSON object (UTF-8, NUL-terminated, *len bytes without the NUL; free with mwt_string_free):
 * "source" ("tokenizer.json", "gguf", "sentencepiece"), "model_type" ("BPE", "Unigram",
 * "WordPiece", "WordLevel"), "vocab_size", "gguf_model", "gguf_pre", "chat_template",
 * "bos_token", "eos_token", "unk_token", "pad_token" (null when absent), "special_ids" {"bos",
 * "eos", "unk", "pad", "sep", "cls", "mask" (an id or null), "eot" (an array)}, "add_bos",
 * "add_eos", "added_tokens" [{"id", "content", "special", "single_word", "lstrip", "rstrip",
 * "normalized"}], "clean_up_tokenization_spaces", "model_max_length" (null when unknown). */
MWT_API MWT_NODISCARD mwt_status* mwt_tokenizer_info(const mwt_tokenizer* tokenizer, char** json,
                                                     size_t* len);
/* [experimental] Releases an id or offset array a tokenizer call allocated (NULL is accepted). */
MWT_API void mwt_tokenizer_buffer_free(void* buffer);

#endif /* MWT_TOKENIZER_H */
