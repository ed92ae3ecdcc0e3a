/* mwt_analysis.h: the architecture and tensor-name section of the C ABI, included by mwt.h
 * (include mwt.h, not this file). Same conventions, thread-safety and tiers as mwt.h states at
 * its top. */
#ifndef MWT_ANALYSIS_H
#define MWT_ANALYSIS_H
#ifndef MWT_H
#error "include mwt/mwt.h, which includes mwt_analysis.h"
#endif

/* ------------------------------------------- architecture analysis [experimental] */

/* [experimental: the members may change] The model architecture the file's tensor names and
 * shapes show, as one JSON object (UTF-8, NUL-terminated, *len bytes without the NUL) allocated
 * for the caller: free it with mwt_string_free. Schema 1 (docs/analysis.md): "schema",
 * "naming", "family", "model_type", "num_layers", "hidden_size", "num_heads", "num_kv_heads",
 * "head_dim", "intermediate_size", "vocab_size", "max_position_embeddings", "activation",
 * "gated_mlp", "norm", "qk_norm", "position", "rotary_dim", "tied_embeddings",
 * "attention_bias", "mlp_bias", "fused_qkv" (each {"value", "source", "how", "candidates"?,
 * "stated"?}), "moe", "mla", "components", "parameter_count", "disagreements", "notes".
 * Values the shapes do not decide come from the file's metadata or, unless options sets
 * MWT_OPT_ANALYSIS_CONFIG_JSON to 0, a config.json in the directory of the (first) file; a
 * malformed config.json is a note, not an error. options may be NULL (defaults). Thread safety:
 * like every const mwt_file call, it may run concurrently with others on the same handle (it
 * reads tensor data only to compare lm_head with the embedding and to decode quantized layouts,
 * guarded as mwt_file_quantization is). */
MWT_API MWT_NODISCARD mwt_status* mwt_file_architecture(const mwt_file* file,
                                                        const mwt_options* options, char** json,
                                                        size_t* len);

/* [experimental: the table grows] Maps one tensor name of `family` (a transformers model_type
 * such as "llama", "qwen2_moe", "t5"; see mwt_name_families) from whichever naming it is in
 * (transformers, GGUF or mwt's canonical `blocks.N.<role>.<suffix>`) to the naming `to`: "hf",
 * "gguf" or "canonical". The suffix (weight, bias, qweight, scales, weight_scale, ...) is kept.
 * The result is allocated for the caller (free with mwt_string_free). A name the table does not
 * map, or a role the target naming has no name for, is not an error: NULL is returned with *out
 * = NULL and *len = 0. An unknown family or `to` is MWT_E_ARGUMENT. Reentrant. */
MWT_API MWT_NODISCARD mwt_status* mwt_name_map(const char* name, const char* family, const char* to,
                                               char** out, size_t* len);

/* [experimental: the table grows] The families mwt_name_map knows, as a JSON array of
 * {"name", "gguf_arch", "kind", "same_names_as", "roles"} (allocated for the caller: free with
 * mwt_string_free). Reentrant. */
MWT_API MWT_NODISCARD mwt_status* mwt_name_families(char** json, size_t* len);

#endif /* MWT_ANALYSIS_H */
