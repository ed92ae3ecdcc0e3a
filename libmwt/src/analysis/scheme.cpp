// The quantization report's top level (analysis/scheme.hpp): the format, then the GGUF or the
// tensor-table part.
#include "analysis/scheme.hpp"

namespace mwt::detail::analysis {

std::string quantization_report_json(const WeightFile& file) {
  JsonOut out;
  out.begin_object();
  out.field("format", format_name(file.format));
  if (file.format == Format::GGUF)
    describe_gguf_quantization(file, out);
  else
    describe_tensor_quantization(file, out);
  out.end_object();
  return out.take();
}

}  // namespace mwt::detail::analysis
