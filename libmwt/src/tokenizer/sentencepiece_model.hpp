// SentencePiece .model files (a serialized ModelProto): a strict protobuf wire-format reader and
// the Tokenizer that reproduces sentencepiece's Encode / DecodeIds on it, plus the normalizer
// and decoder of that pipeline for other loaders. Facts and decisions:
// docs/tokenizers-models.md#sentencepiece-model-files.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace mwt::detail::tok {

// What mwt reads of a ModelProto (sentencepiece_model.proto's field numbers in the .cpp).
struct SpmModelProto {
  struct Piece {
    std::string piece;
    float score = 0;
    int32_t type = 1;  // SentencePiece.Type, NORMAL by default
  };
  std::vector<Piece> pieces;
  // trainer_spec
  int32_t model_type = 1;  // UNIGRAM 1, BPE 2, WORD 3, CHAR 4
  bool byte_fallback = false;
  bool treat_whitespace_as_suffix = false;
  int32_t unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
  std::string unk_piece = "<unk>", bos_piece = "<s>", eos_piece = "</s>", pad_piece = "<pad>";
  std::string unk_surface = " \xE2\x81\x87 ";
  // normalizer_spec
  std::string normalizer_name;
  std::string precompiled_charsmap;
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
  // denormalizer_spec: only whether it has rules (mwt does not apply them)
  bool has_denormalizer_rules = false;
};

// Parses the wire format strictly: bounds-checked varints (at most 10 bytes) and lengths, wire
// types checked against every known field, strings UTF-8, unknown fields skipped, groups refused.
// Errors name the byte offset and the field path (pieces[3].score, trainer_spec.byte_fallback).
SpmModelProto parse_sentencepiece_model(const uint8_t* p, size_t n);

// A finalized Tokenizer equal to sentencepiece's SentencePieceProcessor on this model: its
// Encode (no BOS/EOS added; info.add_bos / add_eos stay false) and DecodeIds. Rejects what
// sentencepiece rejects (no or several unknown pieces, duplicate or empty pieces, byte pieces
// without byte_fallback or missing ones with it) and what mwt does not implement
// (treat_whitespace_as_suffix, denormalization rules) as UNSUPPORTED_FEATURE.
std::unique_ptr<Tokenizer> load_sentencepiece_model(const uint8_t* p, size_t n);

// sentencepiece's Normalizer::Normalize: user-defined symbols kept whole, the charsmap applied
// longest match first, invalid UTF-8 bytes to U+FFFD, extra whitespace removed, the dummy
// prefix added and spaces escaped to U+2581 as the flags say. `charsmap` empty: no rules.
std::unique_ptr<Normalizer> make_spm_normalizer(std::string_view charsmap, bool add_dummy_prefix,
                                                bool remove_extra_whitespaces,
                                                bool escape_whitespaces,
                                                std::vector<std::string> user_defined);

// sentencepiece's Decode over token strings: control pieces vanish, the unknown piece becomes
// `unk_surface`, byte-piece runs are decoded as UTF-8 (each invalid byte U+FFFD), U+2581 becomes
// a space and the leading one(s) go as the normalizer flags say.
struct SpmDecoderPieces {
  std::vector<std::string> pieces;  // id order
  std::vector<int32_t> types;
  int32_t unk = -1;
};
std::unique_ptr<Decoder> make_spm_decoder(SpmDecoderPieces pieces, std::string unk_surface,
                                          bool add_dummy_prefix, bool remove_extra_whitespaces);

}  // namespace mwt::detail::tok
