// Sniffs of the formats mwt recognises but does not read yet (NumPy, PyTorch zip / legacy /
// TorchScript, plain zip, ONNX): naming them lets open_weight_file say what a file is
// (UNSUPPORTED_FORMAT) instead of "unknown". A reader for one of them gets its own folder and
// takes its sniff along.
#pragma once
#include <cstdint>

#include "formats/weight_file.hpp"

namespace mwt::detail {

// Format::NPY for the magic "\x93NUMPY".
Format sniff_npy(const uint8_t* data, uint64_t size) noexcept;
// A zip (local header or a bare EOCD first), told apart by its central directory:
// TORCHSCRIPT, PYTORCH_ZIP, NPZ, or ZIP for any other archive.
Format sniff_zip(const uint8_t* data, uint64_t size) noexcept;
// Pre-1.6 torch.save: the pickle magic-number prefix, or a tar archive ("ustar" at 257).
Format sniff_pytorch_legacy(const uint8_t* data, uint64_t size) noexcept;
// An ONNX ModelProto, by the shape of its first two protobuf fields.
Format sniff_onnx(const uint8_t* data, uint64_t size) noexcept;

}  // namespace mwt::detail
