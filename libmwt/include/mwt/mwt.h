/*
 * mwt.h — the stable C ABI of libmwt (model weight tools).
 *
 * Conventions
 * - Opaque handles; functions are named mwt_<object>_<action>. Every *_free accepts NULL.
 * - Fallible calls return mwt_status*: NULL means success. A non-NULL status is owned by the
 *   caller and released with mwt_status_free. Results come back through out-pointers, which are
 *   left untouched on failure.
 * - No C++ exception crosses this boundary and no input makes the library abort.
 * - Strings taken from files are (pointer, length) pairs: they may contain NUL bytes and are not
 *   NUL-terminated unless stated. They stay valid while the handle they came from lives.
 * - Tensor shapes are in numpy order (outermost dimension first). GGUF stores dims innermost
 *   first; mwt reverses them.
 * - Error codes and enum values are pinned: they are never renumbered. Values < 1000 are stable.
 *
 * Stability tiers (each section heading below names its tier; a call marked [experimental]
 * inside a stable section is experimental)
 * - [stable]: name, signature, pinned values and documented behaviour hold for the whole ABI
 *   version (MWT_ABI_VERSION, the shared library's SOVERSION); later releases only add.
 * - [experimental]: exported and tested, but the signature or the output (JSON members, the
 *   per-tensor plan) may change in any release; the ABI version does not move for it.
 *
 * Thread safety
 * - Calls that take no handle (names, versions, dtype table, conversions, mwt_dequantize*,
 *   mwt_quantize*, mwt_can_*, mwt_detect_format, file-type names) are reentrant: any number of
 *   threads may call them at once, each on its own output buffer. The process-wide settings
 *   they read (MWT_NUM_THREADS, MWT_FORCE_ISA, the CPU's features) are read once, on first use,
 *   under C++'s thread-safe static initialisation.
 * - mwt_status: immutable once returned; its accessors may run concurrently. Free it once, when
 *   no other thread still uses it.
 * - mwt_options: any number of threads may read one handle at once (mwt_options_get_int, and
 *   mwt_file_open, which copies it). mwt_options_set_int must not overlap any other call on the
 *   same handle.
 * - mwt_file: every call that takes a const mwt_file* may run concurrently with the others on
 *   the same handle. The handle does not change after mwt_file_open with one exception, which is
 *   synchronised: the shards of a sharded safetensors checkpoint (an index or a directory) are
 *   memory-mapped when their data are first needed (mwt_file_tensor_data, or the data samples
 *   mwt_file_quantization reads), exactly once per shard under a once-flag, so concurrent first
 *   calls map it once and all get the same pointer (a failed mapping is retried by the next
 *   call). mwt_file_free must not overlap any other call on the handle; it ends the validity of
 *   every pointer the handle gave out.
 * - mwt_writer: not thread-safe: one thread at a time per writer. Distinct writers are
 *   independent (writing to distinct paths). Borrowed tensor data must stay unchanged until
 *   mwt_writer_write returns.
 *
 * Mapped files
 * - mwt_file_open maps each file read-only and shared (MAP_SHARED), as numpy.memmap does: the
 *   pointers it hands out (mwt_file_tensor_data, metadata strings and arrays) read the file
 *   itself. A file another process rewrites in place shows the new bytes; a file that shrinks
 *   (truncated, or rewritten through O_TRUNC) makes any read of a page past its new end raise
 *   SIGBUS, which kills the process. Replacing a file by rename() (as mwt_writer_write does) is
 *   safe: the map keeps the old file. For files that may change under a reader, set the option
 *   MWT_OPT_IO_MMAP to 0: the file is read into private memory instead (at the cost of that
 *   memory and the read time), and later changes cannot reach it.
 * - libmwt's own reads of mapped data are guarded: mwt_dequantize*, mwt_convert_*, mwt_quantize*,
 *   mwt_file_metadata_copy_array, mwt_file_copy_bytes, mwt_file_metadata_find (which answers -2),
 *   mwt_file_quantization, mwt_writer_write, mwt_detect_format and mwt_file_open itself: when the
 *   bytes they read lie in a map of an open mwt_file, they return MWT_E_IO naming the file and
 *   "changed while mapped" instead of dying, and so does every later such call over that map
 *   (its pages past the fault then read as zeros; mwt_writer_write publishes nothing). Reads by
 *   the caller through the pointers above are not guarded: they are the caller's, as with any
 *   mmap; mwt_file_copy_bytes is the guarded way to read them. The guard is a SIGBUS handler
 *   (sigaction, SA_SIGINFO | SA_ONSTACK) installed when the first file is mapped; it handles only
 *   faults inside mwt's maps on a thread inside one of those calls, and hands every other SIGBUS
 *   to the handler installed before it (the default action included). A host that installs its
 *   own SIGBUS handler later must chain to the previous one (the one sigaction returns) or mwt's
 *   reads of a shrunk file die as unguarded ones do. Off switch: the environment variable
 *   MWT_NO_SIGBUS_GUARD set to anything but "" or "0" when the first file is mapped (read once
 *   per process) installs no handler.
 */
#ifndef MWT_H
#define MWT_H

#include <stddef.h>
#include <stdint.h>

#include "mwt_version.h"

#if defined(_WIN32)
#if defined(MWT_BUILDING_LIBRARY)
#define MWT_API __declspec(dllexport)
#else
#define MWT_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define MWT_API __attribute__((visibility("default")))
#else
#define MWT_API
#endif

#if defined(__GNUC__)
#define MWT_NODISCARD __attribute__((warn_unused_result))
#else
#define MWT_NODISCARD
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- status [stable] */

/* Every error code but MWT_OK, once: X(NAME, VALUE, "one-line description"). The enum below,
 * mwt_code_name and the library's internal codes are generated from this list, and bindings
 * export it, so a code is added here and nowhere else. VALUEs are pinned: a code keeps its
 * value forever, new codes take the next free value, and the values stay contiguous from 1 (a
 * caller may iterate 1.. until mwt_code_name says "UNKNOWN"). Codes 23..27, 29, 30 and 32 are
 * reserved for PyTorch pickle and zip readers this release does not have: no call returns them
 * yet (ARCHIVE_INCONSISTENT and PATH_ESCAPE are reported for sharded safetensors already). */
#define MWT_ERROR_CODES(X)                                                                      \
  X(INTERNAL, 1, "a bug in mwt: an unexpected exception reached the C ABI barrier")             \
  X(IO, 2, "the file could not be opened, read, mapped or written")                             \
  X(TRUNCATED, 3, "the data end before a structure does")                                       \
  X(BAD_MAGIC, 4, "the file does not start with a recognised signature")                        \
  X(UNSUPPORTED_VERSION, 5, "a format version mwt does not read (e.g. big-endian GGUF)")        \
  X(UNSUPPORTED_FORMAT, 6, "a format mwt recognises but does not read (yet)")                   \
  X(UNSUPPORTED_FEATURE, 7, "a feature of a known format that mwt does not implement")          \
  X(HEADER_TOO_LARGE, 8, "a header larger than the configured cap (limits.max_header)")         \
  X(BAD_ENCODING, 9, "text that is not valid in its declared encoding (UTF-8), or holds a NUL") \
  X(BAD_SYNTAX, 10, "malformed JSON or header syntax")                                          \
  X(DEPTH_LIMIT, 11, "nesting deeper than the configured limit (limits.max_json_depth)")        \
  X(LIMIT_EXCEEDED, 12, "a count or size above a configured limit (limits.* options)")          \
  X(DUPLICATE, 13, "a duplicated key or tensor name")                                           \
  X(BAD_DTYPE, 14, "an unknown element type, or one the target format cannot hold")             \
  X(BAD_SHAPE, 15, "an invalid shape (e.g. not a whole number of quantization blocks)")         \
  X(OVERFLOW, 16, "size arithmetic overflowed (e.g. a shape product)")                          \
  X(BAD_OFFSETS, 17, "tensor offsets that are malformed, unsorted, overlapping or leave gaps")  \
  X(SIZE_MISMATCH, 18, "a byte count that disagrees with the dtype and shape")                  \
  X(OUT_OF_BOUNDS, 19, "a byte range outside the file or record")                               \
  X(TRAILING_DATA, 20, "bytes after the end of the data")                                       \
  X(BAD_ALIGNMENT, 21, "an alignment that is not a power of two, or a misaligned offset")       \
  X(TYPE_MISMATCH, 22, "a value read or written as a type other than its own")                  \
  X(FORBIDDEN_GLOBAL, 23, "a pickle referencing a global outside the allowlist")                \
  X(UNSUPPORTED_OPCODE, 24, "a pickle opcode outside the allowlist")                            \
  X(BAD_PICKLE, 25, "a malformed pickle stream")                                                \
  X(BAD_STORAGE, 26, "a torch storage record that is missing or inconsistent")                  \
  X(PICKLE_DISALLOWED, 27, "data that would need unrestricted unpickling")                      \
  X(ARCHIVE_INCONSISTENT, 28, "archive or shard index entries that disagree with each other")   \
  X(ARCHIVE_OVERLAP, 29, "archive entries that overlap")                                        \
  X(CRC, 30, "a CRC that does not match the data")                                              \
  X(PATH_ESCAPE, 31, "a referenced path that leaves the model directory")                       \
  X(CYCLE, 32, "a reference cycle in the input")                                                \
  X(ARGUMENT, 33, "an invalid argument from the caller (NULL handle, bad index, unknown key)")  \
  X(NO_MEMORY, 34, "an allocation failed")

/* MWT_OK (0) is success; MWT_E_<NAME> = VALUE for each entry of MWT_ERROR_CODES. */
#define MWT_CODE_ENUMERATOR_(name, value, description) MWT_E_##name = value,
typedef enum mwt_code {
  MWT_OK = 0,
  MWT_ERROR_CODES(MWT_CODE_ENUMERATOR_)
  /* not a value: widens the enum to every int32, so in C++ an out-of-range value a C caller
   * passes is a checkable value (mwt refuses it) rather than undefined behaviour */
  MWT_CODE_MAX_ENUM_ = 0x7FFFFFFF
} mwt_code;
#undef MWT_CODE_ENUMERATOR_

typedef struct mwt_status mwt_status;

/* The code of a status; MWT_OK for NULL. */
MWT_API mwt_code mwt_status_code(const mwt_status* status);
/* Full message: "<CODE> at offset N in <field>: <detail>". "" for NULL. Owned by the status. */
MWT_API const char* mwt_status_message(const mwt_status* status);
/* File offset the error refers to, or UINT64_MAX when it has none (or status is NULL). */
MWT_API uint64_t mwt_status_offset(const mwt_status* status);
/* Field path, e.g. kv["general.alignment"] or tensors["w"].data_offsets[1]; "" if none. */
MWT_API const char* mwt_status_field(const mwt_status* status);
MWT_API void mwt_status_free(mwt_status* status);
/* "TRUNCATED", "BAD_MAGIC", ...; "UNKNOWN" for a value outside the enum. Static storage. */
MWT_API const char* mwt_code_name(mwt_code code);

/* ------------------------------------------------------------ version [stable] */

MWT_API const char* mwt_version_string(void); /* "0.1.0", static storage */
MWT_API uint32_t mwt_version_number(void);    /* MWT_VERSION_NUMBER of the built library */
MWT_API uint32_t mwt_abi_version(void);       /* MWT_ABI_VERSION of the built library */

/* ---------------------------------------------- dtypes and conversions [stable] */

/* Element types. 0..42 are ggml type ids verbatim; >= 100 are safetensors dtypes ggml lacks. */
typedef enum mwt_dtype {
  MWT_DTYPE_F32 = 0,
  MWT_DTYPE_F16 = 1,
  MWT_DTYPE_Q4_0 = 2,
  MWT_DTYPE_Q4_1 = 3,
  MWT_DTYPE_Q5_0 = 6,
  MWT_DTYPE_Q5_1 = 7,
  MWT_DTYPE_Q8_0 = 8,
  MWT_DTYPE_Q8_1 = 9,
  MWT_DTYPE_Q2_K = 10,
  MWT_DTYPE_Q3_K = 11,
  MWT_DTYPE_Q4_K = 12,
  MWT_DTYPE_Q5_K = 13,
  MWT_DTYPE_Q6_K = 14,
  MWT_DTYPE_Q8_K = 15,
  MWT_DTYPE_IQ2_XXS = 16,
  MWT_DTYPE_IQ2_XS = 17,
  MWT_DTYPE_IQ3_XXS = 18,
  MWT_DTYPE_IQ1_S = 19,
  MWT_DTYPE_IQ4_NL = 20,
  MWT_DTYPE_IQ3_S = 21,
  MWT_DTYPE_IQ2_S = 22,
  MWT_DTYPE_IQ4_XS = 23,
  MWT_DTYPE_I8 = 24,
  MWT_DTYPE_I16 = 25,
  MWT_DTYPE_I32 = 26,
  MWT_DTYPE_I64 = 27,
  MWT_DTYPE_F64 = 28,
  MWT_DTYPE_IQ1_M = 29,
  MWT_DTYPE_BF16 = 30,
  MWT_DTYPE_TQ1_0 = 34,
  MWT_DTYPE_TQ2_0 = 35,
  MWT_DTYPE_MXFP4 = 39,
  MWT_DTYPE_NVFP4 = 40,
  MWT_DTYPE_Q1_0 = 41,
  MWT_DTYPE_Q2_0 = 42,
  MWT_DTYPE_BOOL = 100,
  MWT_DTYPE_U8 = 101,
  MWT_DTYPE_U16 = 102,
  MWT_DTYPE_U32 = 103,
  MWT_DTYPE_U64 = 104,
  MWT_DTYPE_F8_E5M2 = 105,
  MWT_DTYPE_F8_E4M3 = 106,
  MWT_DTYPE_F8_E8M0 = 107,
  MWT_DTYPE_F8_E4M3FNUZ = 108,
  MWT_DTYPE_F8_E5M2FNUZ = 109,
  MWT_DTYPE_F4 = 110,
  MWT_DTYPE_F6_E2M3 = 111,
  MWT_DTYPE_F6_E3M2 = 112,
  MWT_DTYPE_C64 = 113,
  /* not a value: widens the enum to every int32, so in C++ an out-of-range value a C caller
   * passes is a checkable value (mwt refuses it) rather than undefined behaviour */
  MWT_DTYPE_MAX_ENUM_ = 0x7FFFFFFF
} mwt_dtype;

/* Name ("Q4_K", "BF16", "F8_E4M3"), or NULL for an invalid id. Static storage. */
MWT_API const char* mwt_dtype_name(mwt_dtype dtype);
/* Elements per block and bytes per block (1 and 4 for F32; 256 and 144 for Q4_K; 2 and 1 for
 * F4). Both 0 for an invalid id. */
MWT_API uint32_t mwt_dtype_block_size(mwt_dtype dtype);
MWT_API uint32_t mwt_dtype_type_size(mwt_dtype dtype);
/* Look up by name (ggml or safetensors spelling). MWT_E_BAD_DTYPE if unknown. */
MWT_API MWT_NODISCARD mwt_status* mwt_dtype_from_name(const char* name, mwt_dtype* out);

/* Convert n elements of a float dtype (F16, BF16, F8_*, F32, F64) to F32, exactly where F32
 * can hold the value (all of these but F64, which rounds to nearest-even). */
MWT_API MWT_NODISCARD mwt_status* mwt_convert_to_f32(mwt_dtype src_dtype, const void* src, size_t n,
                                                     float* dst);
/* Convert n F32 values to F16, BF16, F32, F64 or an F8 dtype, rounding to nearest-even, with
 * torch's overflow rules: F16, BF16, F8_E5M2 -> +-Inf; F8_E4M3 saturates to +-448; the FNUZ
 * formats -> their NaN (0x80); F8_E8M0 (a power-of-two scale) rounds its exponent up when a
 * normal input's mantissa is >= 1.5, Inf/NaN -> 0xFF. MWT_E_BAD_DTYPE for any other dtype. */
MWT_API MWT_NODISCARD mwt_status* mwt_convert_from_f32(mwt_dtype dst_dtype, const float* src,
                                                       size_t n, void* dst);

/* ------------------------------------------- dequantize and quantize [stable] */

/* Dequantize: decode n values of `dtype` from src (src_bytes bytes) into dst (n floats), with
 * the SIMD kernels of the active ISA (mwt_active_isa) where they exist and the scalar reference
 * decoders otherwise; every path is bit-identical to gguf-py's numpy dequantize. Accepts the ggml
 * block types for which mwt_can_dequantize is 1 and the plain dtypes (floats exactly as
 * mwt_convert_to_f32; integers and BOOL to the nearest float). Errors: MWT_E_BAD_DTYPE for an
 * invalid id (ggml's removed ids included); MWT_E_UNSUPPORTED_FEATURE for a valid dtype that
 * has no decoder; MWT_E_BAD_SHAPE when n is not a whole number of blocks; MWT_E_SIZE_MISMATCH
 * when src_bytes is not the size of n values; MWT_E_ARGUMENT for a NULL buffer with n > 0, or
 * when src and dst overlap. The caller owns both buffers. Runs on the default number of threads,
 * as mwt_dequantize_threads with n_threads 0 (small inputs stay on the calling thread). */
MWT_API MWT_NODISCARD mwt_status* mwt_dequantize(mwt_dtype dtype, const void* src, size_t src_bytes,
                                                 float* dst, size_t n);
/* Dequantize on up to n_threads threads: as mwt_dequantize, with dst bit-identical for every
 * thread count. Each thread decodes one contiguous range of whole blocks of at least a minimum
 * size (currently 2^19 values, a tuning constant), so smaller inputs run on the calling thread
 * alone. n_threads: 0 = the default, which is the environment variable MWT_NUM_THREADS when it
 * is a positive integer (read once per process), else the number of CPUs; 1 = only the calling
 * thread; counts above 256 count as 256. Threads are started by the call and joined before it
 * returns; if the system refuses a thread, its share runs on the calling thread. Errors: those
 * of mwt_dequantize, all checked before any thread starts, and MWT_E_ARGUMENT for a negative
 * n_threads. */
MWT_API MWT_NODISCARD mwt_status* mwt_dequantize_threads(mwt_dtype dtype, const void* src,
                                                         size_t src_bytes, float* dst, size_t n,
                                                         int n_threads);
/* 1 when mwt_dequantize (and mwt_dequantize_threads) accepts dtype, else 0 (invalid ids
 * included). */
MWT_API int mwt_can_dequantize(mwt_dtype dtype);
/* The instruction set mwt_dequantize's kernels use: "avx2" or "scalar" (a static string). Chosen
 * once per process from the CPU (AVX2 + FMA + F16C) and the environment variable
 * MWT_FORCE_ISA=scalar|avx2, which can only narrow the choice: avx2 on a CPU without it, or an
 * unknown value, selects "scalar". Results are bit-identical under every ISA. */
MWT_API const char* mwt_active_isa(void);

/* Quantize: encode n float32 values from src into dst (dst_bytes bytes) as `dtype`, with the
 * scalar reference encoders, byte-identical to gguf-py's numpy quantize. Accepts Q4_0, Q4_1,
 * Q5_0, Q5_1, Q8_0, TQ1_0, TQ2_0, MXFP4, the K-quants Q2_K, Q3_K, Q4_K, Q5_K, Q6_K (no
 * reference encoder exists: mwt's own deterministic scale search minimizing the squared error;
 * gguf-py decodes the blocks exactly as mwt_dequantize does) and the float targets F32, F16,
 * BF16 (rounded as mwt_convert_from_f32; all inputs, NaN and Inf included). Block types need
 * finite inputs: a NaN or +-Inf gives MWT_E_ARGUMENT naming its index, and nothing is written.
 * (Q4_1 / Q5_1 order -0 below +0 when a block's minimum or maximum is a zero of both signs;
 * numpy may store either sign.)
 * Errors: MWT_E_BAD_DTYPE for an invalid id; MWT_E_UNSUPPORTED_FEATURE for a valid dtype
 * without a quantizer;
 * MWT_E_BAD_SHAPE when n is not a whole number of blocks; MWT_E_SIZE_MISMATCH when dst_bytes
 * is not the size of n values; MWT_E_ARGUMENT for a NULL buffer with n > 0. src and dst must
 * not overlap; the caller owns both. */
MWT_API MWT_NODISCARD mwt_status* mwt_quantize(mwt_dtype dtype, const float* src, size_t n,
                                               void* dst, size_t dst_bytes);
/* [experimental] Quantize with importance weights: as mwt_quantize, with `weights` holding row_len
 * non-negative finite floats applied to each row of row_len values of src (n must be whole
 * rows, row_len whole blocks); the K-quant encoders then minimize the weighted squared error.
 * weights NULL (with row_len 0) is mwt_quantize. MWT_E_ARGUMENT for weights with a type other
 * than a K-quant, a bad row_len, or a NaN / Inf / negative weight. */
MWT_API MWT_NODISCARD mwt_status* mwt_quantize_weighted(mwt_dtype dtype, const float* src, size_t n,
                                                        void* dst, size_t dst_bytes,
                                                        const float* weights, size_t row_len);
/* 1 when mwt_quantize accepts dtype, else 0 (invalid ids included). */
MWT_API int mwt_can_quantize(mwt_dtype dtype);

/* ------------------------------------------------------------ options [stable] */

/* String-keyed open options, so new settings never change the ABI. The keys: */
#define MWT_OPT_LIMITS_MAX_TENSORS "limits.max_tensors"
#define MWT_OPT_LIMITS_MAX_KV "limits.max_kv"
#define MWT_OPT_LIMITS_MAX_STRING "limits.max_string"
#define MWT_OPT_LIMITS_MAX_KEY "limits.max_key"
#define MWT_OPT_LIMITS_MAX_ARRAY "limits.max_array"
#define MWT_OPT_LIMITS_MAX_HEADER "limits.max_header"
#define MWT_OPT_LIMITS_MAX_JSON_DEPTH "limits.max_json_depth"
#define MWT_OPT_LIMITS_MAX_SHARDS "limits.max_shards"
#define MWT_OPT_SAFETENSORS_STRICT "safetensors.strict"
#define MWT_OPT_GGUF_STRICT_BOOL "gguf.strict_bool"
#define MWT_OPT_GGUF_CONTIGUOUS "gguf.contiguous"
#define MWT_OPT_GGUF_ALLOW_INVALID_UTF8 "gguf.allow_invalid_utf8"
#define MWT_OPT_IO_MMAP "io.mmap"
#define MWT_OPT_ANALYSIS_CONFIG_JSON "analysis.config_json"

/* Every option once, with its default and accepted range; the library's option table is
 * generated from this list. X(ID, KEY, KIND, DEFAULT, MIN, MAX, "meaning"): KEY is MWT_OPT_<ID>;
 * KIND is LIMIT (a count or byte size a file may not exceed: exceeding it is
 * MWT_E_LIMIT_EXCEEDED unless the meaning names another code) or FLAG (0 or 1). A value
 * outside [MIN, MAX] is MWT_E_ARGUMENT. */
#define MWT_OPTION_KEYS(X)                                                                        \
  X(LIMITS_MAX_TENSORS, MWT_OPT_LIMITS_MAX_TENSORS, LIMIT, 1048576, 0, INT64_MAX,                 \
    "tensors in one file or checkpoint (GGUF n_tensors, safetensors entries, index weight_map)")  \
  X(LIMITS_MAX_KV, MWT_OPT_LIMITS_MAX_KV, LIMIT, 1048576, 0, INT64_MAX,                           \
    "metadata entries (GGUF n_kv, safetensors __metadata__ members)")                             \
  X(LIMITS_MAX_STRING, MWT_OPT_LIMITS_MAX_STRING, LIMIT, 1073741824, 0, INT64_MAX,                \
    "bytes of one metadata string value, string-array elements included")                         \
  X(LIMITS_MAX_KEY, MWT_OPT_LIMITS_MAX_KEY, LIMIT, 65536, 0, INT64_MAX,                           \
    "bytes of one metadata key or safetensors tensor name")                                       \
  X(LIMITS_MAX_ARRAY, MWT_OPT_LIMITS_MAX_ARRAY, LIMIT, 1073741824, 0, INT64_MAX,                  \
    "elements of one GGUF metadata array")                                                        \
  X(LIMITS_MAX_HEADER, MWT_OPT_LIMITS_MAX_HEADER, LIMIT, 100000000, 0, INT64_MAX,                 \
    "bytes of a safetensors JSON header or index file (MWT_E_HEADER_TOO_LARGE)")                  \
  X(LIMITS_MAX_JSON_DEPTH, MWT_OPT_LIMITS_MAX_JSON_DEPTH, LIMIT, 64, 0, INT64_MAX,                \
    "nesting depth of a safetensors header or index JSON document (MWT_E_DEPTH_LIMIT)")           \
  X(LIMITS_MAX_SHARDS, MWT_OPT_LIMITS_MAX_SHARDS, LIMIT, 4096, 0, INT64_MAX,                      \
    "shard files of a sharded safetensors checkpoint")                                            \
  X(SAFETENSORS_STRICT, MWT_OPT_SAFETENSORS_STRICT, FLAG, 1, 0, 1,                                \
    "1: an unknown field in a tensor entry is MWT_E_BAD_SYNTAX; 0: it is ignored with a warning") \
  X(GGUF_STRICT_BOOL, MWT_OPT_GGUF_STRICT_BOOL, FLAG, 1, 0, 1,                                    \
    "1: a BOOL value other than 0 or 1 is MWT_E_BAD_DTYPE; 0: any non-zero byte reads as 1")      \
  X(GGUF_CONTIGUOUS, MWT_OPT_GGUF_CONTIGUOUS, FLAG, 0, 0, 1,                                      \
    "1: tensor offsets must follow ggml's contiguous layout (else MWT_E_BAD_OFFSETS); "           \
    "0: gaps between tensors give a warning")                                                     \
  X(GGUF_ALLOW_INVALID_UTF8, MWT_OPT_GGUF_ALLOW_INVALID_UTF8, FLAG, 0, 0, 1,                      \
    "0: a key, tensor name or string value that is not UTF-8 is MWT_E_BAD_ENCODING; "             \
    "1: such strings are accepted as raw bytes")                                                  \
  X(IO_MMAP, MWT_OPT_IO_MMAP, FLAG, 1, 0, 1,                                                      \
    "1: files are memory-mapped (zero-copy views; see \"Mapped files\" above); "                  \
    "0: each file is read into private memory (pread), so later changes cannot reach it")         \
  X(ANALYSIS_CONFIG_JSON, MWT_OPT_ANALYSIS_CONFIG_JSON, FLAG, 1, 0, 1,                            \
    "1: mwt_file_architecture reads a config.json beside the weights (shard 0's directory); "     \
    "0: only the file itself")

typedef struct mwt_options mwt_options;
/* A handle holding every key's DEFAULT. */
MWT_API MWT_NODISCARD mwt_status* mwt_options_create(mwt_options** out);
/* MWT_E_ARGUMENT for an unknown key (keys are case-sensitive) or a value outside [MIN, MAX]. */
MWT_API MWT_NODISCARD mwt_status* mwt_options_set_int(mwt_options* options, const char* key,
                                                      int64_t value);
MWT_API MWT_NODISCARD mwt_status* mwt_options_get_int(const mwt_options* options, const char* key,
                                                      int64_t* out);
MWT_API void mwt_options_free(mwt_options* options);

/* ------------------------------------------------------------ formats [stable] */

typedef enum mwt_format {
  MWT_FORMAT_UNKNOWN = 0,
  MWT_FORMAT_GGUF = 1,
  MWT_FORMAT_SAFETENSORS = 2,
  MWT_FORMAT_PYTORCH_ZIP = 3,
  MWT_FORMAT_ONNX = 4,
  MWT_FORMAT_NPY = 5,
  MWT_FORMAT_NPZ = 6,
  MWT_FORMAT_SAFETENSORS_INDEX = 7,
  MWT_FORMAT_PYTORCH_LEGACY = 8,
  MWT_FORMAT_TORCHSCRIPT = 9,
  MWT_FORMAT_ZIP = 10,
  /* not a value: widens the enum to every int32, so in C++ an out-of-range value a C caller
   * passes is a checkable value (mwt refuses it) rather than undefined behaviour */
  MWT_FORMAT_MAX_ENUM_ = 0x7FFFFFFF
} mwt_format;

/* "gguf", "safetensors", "safetensors-sharded", "pytorch", "onnx", "npy", "npz", ... */
MWT_API const char* mwt_format_name(mwt_format format);
/* Sniff a file or directory by content. Unknown content is MWT_FORMAT_UNKNOWN, not an error. */
MWT_API MWT_NODISCARD mwt_status* mwt_detect_format(const char* path, mwt_format* out);

/* --------------------------------------------------------------- file [stable] */

typedef struct mwt_file mwt_file;

/* Open and fully validate a weight file (GGUF, safetensors), a model.safetensors.index.json
 * or a directory of safetensors shards. options may be NULL (defaults). On success *out owns
 * the file; tensor data are zero-copy views into a memory map (see "Mapped files" above), or
 * into private memory with MWT_OPT_IO_MMAP 0. Formats mwt recognises but does not read yet
 * give MWT_E_UNSUPPORTED_FORMAT naming them. */
MWT_API MWT_NODISCARD mwt_status* mwt_file_open(const char* path, const mwt_options* options,
                                                mwt_file** out);
MWT_API void mwt_file_free(mwt_file* file);

MWT_API mwt_format mwt_file_format(const mwt_file* file);
MWT_API uint32_t mwt_file_version(const mwt_file* file);     /* GGUF version; 0 otherwise */
MWT_API uint64_t mwt_file_size(const mwt_file* file);        /* bytes over all shards */
MWT_API uint64_t mwt_file_data_offset(const mwt_file* file); /* start of tensor data */
MWT_API uint32_t mwt_file_alignment(const mwt_file* file);   /* GGUF alignment; 0 otherwise */
MWT_API size_t mwt_file_shard_count(const mwt_file* file);
/* Path of shard i (NUL-terminated, owned by file); NULL if i is out of range. */
MWT_API const char* mwt_file_shard_path(const mwt_file* file, size_t i);
MWT_API size_t mwt_file_warning_count(const mwt_file* file);
MWT_API const char* mwt_file_warning(const mwt_file* file, size_t i); /* NUL-terminated */

/* Metadata value types: GGUF's numbering. safetensors __metadata__ values are STRING. */
typedef enum mwt_value_type {
  MWT_VALUE_U8 = 0,
  MWT_VALUE_I8 = 1,
  MWT_VALUE_U16 = 2,
  MWT_VALUE_I16 = 3,
  MWT_VALUE_U32 = 4,
  MWT_VALUE_I32 = 5,
  MWT_VALUE_F32 = 6,
  MWT_VALUE_BOOL = 7,
  MWT_VALUE_STRING = 8,
  MWT_VALUE_ARRAY = 9,
  MWT_VALUE_U64 = 10,
  MWT_VALUE_I64 = 11,
  MWT_VALUE_F64 = 12,
  /* not a value: widens the enum to every int32, so in C++ an out-of-range value a C caller
   * passes is a checkable value (mwt refuses it) rather than undefined behaviour */
  MWT_VALUE_MAX_ENUM_ = 0x7FFFFFFF
} mwt_value_type;
MWT_API const char* mwt_value_type_name(mwt_value_type type); /* "UINT32", ...; NULL if invalid */
/* Bytes of one scalar of a value type (1 for U8, I8 and BOOL; 8 for U64, I64 and F64): the
 * element stride of mwt_file_metadata_get_array. 0 for STRING, ARRAY and invalid values. */
MWT_API uint32_t mwt_value_type_size(mwt_value_type type);

/* Metadata entries in file order. Index arguments out of range give MWT_E_ARGUMENT. */
MWT_API size_t mwt_file_metadata_count(const mwt_file* file);
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_key(const mwt_file* file, size_t i,
                                                        const char** key, size_t* len);
/* Index of key (len bytes), or -1 if absent (or file is NULL). -2 when the file changed while
 * mapped: the lookup reads the keys in the map ("Mapped files"), and a map that has lost pages
 * cannot answer "absent" truthfully. */
MWT_API int64_t mwt_file_metadata_find(const mwt_file* file, const char* key, size_t len);
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_type(const mwt_file* file, size_t i,
                                                         mwt_value_type* type);
/* Arrays: element type and element count; MWT_E_TYPE_MISMATCH if entry i is not an array. */
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_array_info(const mwt_file* file, size_t i,
                                                               mwt_value_type* elem_type,
                                                               uint64_t* count);

/* Typed scalar getters: MWT_E_TYPE_MISMATCH unless the stored type is exactly the one asked
 * for (an INT32 is never read as UINT32, an INT8 array never as f32). */
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_get_u8(const mwt_file* f, size_t i,
                                                           uint8_t* out);
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_get_i8(const mwt_file* f, size_t i,
                                                           int8_t* out);
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_get_u16(const mwt_file* f, size_t i,
                                                            uint16_t* out);
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_get_i16(const mwt_file* f, size_t i,
                                                            int16_t* out);
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_get_u32(const mwt_file* f, size_t i,
                                                            uint32_t* out);
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_get_i32(const mwt_file* f, size_t i,
                                                            int32_t* out);
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_get_u64(const mwt_file* f, size_t i,
                                                            uint64_t* out);
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_get_i64(const mwt_file* f, size_t i,
                                                            int64_t* out);
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_get_f32(const mwt_file* f, size_t i,
                                                            float* out);
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_get_f64(const mwt_file* f, size_t i,
                                                            double* out);
/* BOOL: *out is 0 or 1 (a stored non-zero byte other than 1 only exists with gguf.strict_bool=0
 * and reads as 1). */
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_get_bool(const mwt_file* f, size_t i, int* out);
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_get_string(const mwt_file* f, size_t i,
                                                               const char** str, size_t* len);
/* Numeric array: a view of the raw little-endian elements (possibly unaligned: copy with
 * memcpy) when the element type is exactly elem_type; MWT_E_TYPE_MISMATCH otherwise. */
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_get_array(const mwt_file* f, size_t i,
                                                              mwt_value_type elem_type,
                                                              const void** data, uint64_t* count);
/* Copy a numeric array into out (count elements of elem_type's size, aligned for it). */
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_copy_array(const mwt_file* f, size_t i,
                                                               mwt_value_type elem_type, void* out,
                                                               uint64_t count);
/* Element j of a string array. */
MWT_API MWT_NODISCARD mwt_status* mwt_file_metadata_get_array_string(const mwt_file* f, size_t i,
                                                                     uint64_t j, const char** str,
                                                                     size_t* len);

/* Copy n bytes at src, a pointer this handle gave out (a metadata key, string or array, or tensor
 * data), to dst (any memory; overlap allowed), guarded as libmwt's own reads are ("Mapped
 * files"): a file that shrank under src gives MWT_E_IO "changed while mapped" instead of a SIGBUS.
 * This is how a caller reads the handle's strings safely when another process may truncate the
 * file (mwt's Python bindings read every string this way). Thread-safety: as every const
 * mwt_file* call. n == 0 copies nothing (src and dst may then be NULL). */
MWT_API MWT_NODISCARD mwt_status* mwt_file_copy_bytes(const mwt_file* f, const void* src, size_t n,
                                                      void* dst);

/* Tensors in file order (sharded safetensors: shard order, then each shard's order). */
MWT_API size_t mwt_file_tensor_count(const mwt_file* file);
/* Index of the tensor named name (len bytes), or -1. */
MWT_API int64_t mwt_file_tensor_find(const mwt_file* file, const char* name, size_t len);
MWT_API MWT_NODISCARD mwt_status* mwt_file_tensor_name(const mwt_file* f, size_t i,
                                                       const char** name, size_t* len);
MWT_API MWT_NODISCARD mwt_status* mwt_file_tensor_dtype(const mwt_file* f, size_t i,
                                                        mwt_dtype* out);
/* Shape in numpy order; *dims points into the file handle. A rank-0 tensor has ndim 0. */
MWT_API MWT_NODISCARD mwt_status* mwt_file_tensor_shape(const mwt_file* f, size_t i, size_t* ndim,
                                                        const uint64_t** dims);
MWT_API MWT_NODISCARD mwt_status* mwt_file_tensor_nbytes(const mwt_file* f, size_t i,
                                                         uint64_t* out);
/* Absolute byte offset of the data within its shard, and which shard holds it. */
MWT_API MWT_NODISCARD mwt_status* mwt_file_tensor_offset(const mwt_file* f, size_t i,
                                                         uint64_t* offset, size_t* shard);
/* Zero-copy pointer to the tensor's bytes, valid until mwt_file_free. May be unaligned for
 * legacy safetensors files; NULL for a tensor of 0 bytes. A shard of a sharded safetensors
 * checkpoint is mapped by the first call for one of its tensors: MWT_E_IO if that fails or the
 * shard changed on disk since mwt_file_open. */
MWT_API MWT_NODISCARD mwt_status* mwt_file_tensor_data(const mwt_file* f, size_t i,
                                                       const void** data);

/* ------------------------------------------- quantization analysis [experimental] */

/* [experimental: the members and the schemes named may change] What the file's tensors say
 * about how it was quantized, as one JSON object (UTF-8, NUL-terminated, *len bytes without
 * the NUL), allocated for the caller: free it with mwt_string_free. Members: "format";
 * "scheme" (a GGUF file type such as "Q4_K_M", or for other formats "GPTQ", "AWQ",
 * "bitsandbytes-nf4", "FP8", "compressed-tensors", "MLX", "fake-quant", "mixed", "none");
 * GGUF: "file_type" {"stated", "inferred", "agree"}, "histogram", "bits_per_weight", "groups";
 * other formats: "methods", "fake_quant", "config", "unrecognized". The members and their
 * meaning are documented with the Python API (mwt.WeightFile.quantization).
 * Reads names, dtypes, shapes and bounded samples of tensor data. */
MWT_API MWT_NODISCARD mwt_status* mwt_file_quantization(const mwt_file* file, char** json,
                                                        size_t* len);

/* ------------------------------------------------------ library strings [stable] */

/* Releases a string the library allocated for the caller (NULL is accepted). */
MWT_API void mwt_string_free(char* str);

/* ------------------------------------------------------ GGUF file types [stable] */

/* GGUF file types (llama_ftype, general.file_type). Name of a value ("Q4_K_M", "F16", "F32";
 * the GUESSED flag 1024 is ignored), or NULL for an unknown value. */
MWT_API const char* mwt_file_type_name(uint32_t file_type);
/* Value for a name (case-insensitive; "MOSTLY_" prefix and "ALL_F32" accepted); MWT_E_ARGUMENT
 * for an unknown name. */
MWT_API MWT_NODISCARD mwt_status* mwt_file_type_from_name(const char* name, uint32_t* out);
/* [experimental] The type llama.cpp's quantizer would give each tensor of a GGUF `file` when
 * quantizing it to `file_type`: types[i] for tensor i (n must be the tensor count). Tensors it
 * does not quantize (norms, biases, 1-D, routers, ...) keep their type. Uses the file's
 * metadata (architecture, block_count, head counts, expert_count). Modelled: F32, F16, BF16,
 * Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q2_K_S, Q3_K_S/M/L, Q4_K_S/M, Q5_K_S/M, Q6_K; other file
 * types give their base type to every quantizable tensor. MWT_E_ARGUMENT for an unknown file
 * type or a wrong n. Experimental because the rules follow llama.cpp's, which change. */
MWT_API MWT_NODISCARD mwt_status* mwt_file_plan_quantization(const mwt_file* file,
                                                             uint32_t file_type, mwt_dtype* types,
                                                             size_t n);

/* The writer calls (mwt_writer_*) live in mwt_writer.h, part of this header. */
#include "mwt_writer.h" /* IWYU pragma: export */
/* The integrity pass (mwt_file_stats) lives in mwt_stats.h, part of this header. */
#include "mwt_stats.h" /* IWYU pragma: export */

/* The architecture and tensor-name calls (mwt_file_architecture, mwt_name_*) live in
 * mwt_analysis.h, part of this header. */
#include "mwt_analysis.h" /* IWYU pragma: export */

/* The tokenizer calls (mwt_tokenizer_*) live in mwt_tokenizer.h, part of this header. */
#include "mwt_tokenizer.h" /* IWYU pragma: export */

/* Training a byte-level BPE tokenizer (mwt_tokenizer_train_*, mwt_train_options_*) lives in
 * mwt_tokenizer_train.h, part of this header. */
#include "mwt_tokenizer_train.h" /* IWYU pragma: export */

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MWT_H */
