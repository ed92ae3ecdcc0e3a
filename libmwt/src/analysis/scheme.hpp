// Quantization scheme detection: what a weight file's tensors say about how it was quantized,
// rendered as the JSON "quantization" report of `mwt inspect` (C ABI: mwt_file_quantization).
//
// The report is one JSON object. Common members (scheme.cpp):
//   "scheme"  short name of what was found: a GGUF file type ("Q4_K_M"), a method of a
//             safetensors/PyTorch checkpoint ("GPTQ", "AWQ", "bitsandbytes-nf4", "FP8", ...),
//             "fake-quant", "mixed" or "none" (plain float weights).
// GGUF files (scheme_gguf.cpp): "file_type" (stated / inferred / agree), "histogram",
//   "bits_per_weight", "groups".
// Other formats (scheme_tensors*.cpp): "methods" (one entry per quantization method found,
//   with bits, group size, packing and method-specific fields), "fake_quant" (float tensors on a
//   small affine grid) with "fake_quant_checked" / "float_weights" counts, "config" (settings
//   read from quantize_config.json / quant_config.json / config.json beside the weights, with
//   warnings and disagreements with the tensors) and "unrecognized" (modules whose names look
//   quantized but fit no known layout).
// Detection reads names, dtypes and shapes, and for a few decisions (GPTQ desc_act, fake-quant
// levels) a bounded sample of tensor data; it never fails on odd input: what it cannot classify
// it leaves out. Errors only come from reading data (Error(IO) of a vanished shard).
#pragma once
#include <string>

#include "core/json_writer.hpp"
#include "formats/weight_file.hpp"

namespace mwt::detail::analysis {

// The whole report as a JSON object.
std::string quantization_report_json(const WeightFile& file);

// GGUF part: writes its members into the object `out` has open (scheme_gguf.cpp).
void describe_gguf_quantization(const WeightFile& file, JsonOut& out);

// safetensors / PyTorch / any tensor-table format: writes its members, "scheme" included, into
// the object `out` has open (scheme_tensors.cpp).
void describe_tensor_quantization(const WeightFile& file, JsonOut& out);

}  // namespace mwt::detail::analysis
