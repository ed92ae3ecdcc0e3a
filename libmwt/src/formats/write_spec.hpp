// WriteSpec: what a writer writes (tensors and metadata, data borrowed), the common input of
// every format's writer and of the C ABI writer handle that collects it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "formats/weight_file.hpp"

namespace mwt::detail {

// Data is borrowed: pointers must stay valid until write returns.
struct WriteTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<uint64_t> shape;  // numpy order
  const uint8_t* data = nullptr;
  uint64_t nbytes = 0;  // must equal dtype_nbytes(shape)
};
struct WriteMeta {
  std::string key;
  ValueType type = ValueType::STRING;
  ValueType elem_type = ValueType::U8;  // arrays
  uint64_t count = 0;                   // arrays
  uint64_t scalar_bits = 0;             // scalars: raw LE bytes
  std::string str;                      // STRING
  std::vector<uint8_t> array_bytes;     // numeric arrays: count * size
  std::vector<std::string> strings;     // string arrays
};
struct WriteSpec {
  std::vector<WriteMeta> metadata;   // written in this order (GGUF); safetensors: STRING only
  std::vector<WriteTensor> tensors;  // GGUF: in this order; safetensors: reference order
  uint32_t alignment = 32;           // GGUF only; written as general.alignment when != 32
};

}  // namespace mwt::detail
