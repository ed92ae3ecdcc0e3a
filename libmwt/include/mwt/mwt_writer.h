/* mwt_writer.h: the writer section of the C ABI, included by mwt.h (include mwt.h, not this
 * file). Same conventions, thread-safety and tiers as mwt.h states at its top. */
#ifndef MWT_WRITER_H
#define MWT_WRITER_H
#ifndef MWT_H
#error "include mwt/mwt.h, which includes mwt_writer.h"
#endif

/* ------------------------------------------------------------- writer [stable] */

/* Collects metadata and tensors, then writes a GGUF (v3) or safetensors file atomically (an
 * unnamed O_TMPFILE, or a marked temp, in the destination directory; fsync; linked or renamed
 * into place; fsync of the directory), re-read with the strict reader and compared first. On
 * failure the destination is untouched. */
typedef struct mwt_writer mwt_writer;

/* format: MWT_FORMAT_GGUF or MWT_FORMAT_SAFETENSORS (else MWT_E_ARGUMENT). */
MWT_API MWT_NODISCARD mwt_status* mwt_writer_create(mwt_format format, mwt_writer** out);
MWT_API void mwt_writer_free(mwt_writer* writer);
/* GGUF alignment (power of two); written as general.alignment (UINT32) when not 32. */
MWT_API MWT_NODISCARD mwt_status* mwt_writer_set_alignment(mwt_writer* w, uint32_t alignment);
/* Scalar metadata: value points at one value of `type` (BOOL: one byte 0/1). Keys are copied.
 * safetensors takes only STRING values (else MWT_E_TYPE_MISMATCH); duplicate keys are
 * MWT_E_DUPLICATE. */
MWT_API MWT_NODISCARD mwt_status* mwt_writer_add_metadata(mwt_writer* w, const char* key,
                                                          size_t key_len, mwt_value_type type,
                                                          const void* value);
MWT_API MWT_NODISCARD mwt_status* mwt_writer_add_metadata_string(mwt_writer* w, const char* key,
                                                                 size_t key_len, const char* str,
                                                                 size_t len);
/* Numeric array (copied): count elements of elem_type, packed little-endian. GGUF only. */
MWT_API MWT_NODISCARD mwt_status* mwt_writer_add_metadata_array(mwt_writer* w, const char* key,
                                                                size_t key_len,
                                                                mwt_value_type elem_type,
                                                                const void* data, uint64_t count);
/* String array (copied): strs[j] of lens[j] bytes. GGUF only. */
MWT_API MWT_NODISCARD mwt_status* mwt_writer_add_metadata_string_array(
    mwt_writer* w, const char* key, size_t key_len, const char* const* strs, const size_t* lens,
    uint64_t count);
/* A tensor. data is BORROWED: it must stay valid and unchanged until mwt_writer_write returns.
 * nbytes must equal the dtype's size for the shape (numpy order). Duplicate names are
 * MWT_E_DUPLICATE; GGUF takes only ggml dtypes (else MWT_E_BAD_DTYPE). */
MWT_API MWT_NODISCARD mwt_status* mwt_writer_add_tensor(mwt_writer* w, const char* name,
                                                        size_t name_len, mwt_dtype dtype,
                                                        size_t ndim, const uint64_t* shape,
                                                        const void* data, uint64_t nbytes);
/* Writes the file at path atomically: the new file is complete, verified and fsynced before it
 * replaces path; on any error path is untouched. A symlink path is written through to its final
 * target (the links stay); a path that exists and is not a regular file (directory, device,
 * FIFO, socket) is MWT_E_IO naming it and what it is. A killed writer leaves no file behind
 * (O_TMPFILE) or a marked `.NAME.mwt-tmp-XXXXXX` that the next write to the directory removes
 * (docs/readers.md#writers-nothing-lost). */
MWT_API MWT_NODISCARD mwt_status* mwt_writer_write(mwt_writer* w, const char* path);

#endif /* MWT_WRITER_H */
