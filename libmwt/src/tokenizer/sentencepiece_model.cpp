// The .model reader: protobuf wire format (varint / fixed32 / fixed64 / length-delimited; field
// numbers of sentencepiece_model.proto, docs/tokenizers-models.md#sentencepiece-model-files)
// into SpmModelProto, its validation as sentencepiece validates a model, and the Tokenizer.
#include "tokenizer/sentencepiece_model.hpp"

#include <cctype>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/normalizers_unicode.hpp"
#include "tokenizer/sentencepiece_model_vocab.hpp"
#include "tokenizer/unigram_trie.hpp"

namespace mwt::detail::tok {

namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

// A bounds-checked cursor over one message; `base` is the file offset of its first byte.
class Wire {
 public:
  Wire(const uint8_t* p, size_t n, uint64_t base, std::string path)
      : p_(p), n_(n), base_(base), path_(std::move(path)) {}

  bool done() const { return pos_ >= n_; }
  uint64_t offset() const { return base_ + pos_; }
  const std::string& path() const { return path_; }

  uint64_t varint(const std::string& field) {
    const uint64_t at = offset();
    uint64_t v = 0;
    for (int i = 0; i < 10; ++i) {
      if (pos_ >= n_) fail(Code::TRUNCATED, "varint runs past the end", at, field);
      const uint8_t b = p_[pos_++];
      if (i == 9 && b > 1) fail(Code::BAD_SYNTAX, "varint longer than 64 bits", at, field);
      v |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) return v;
    }
    fail(Code::BAD_SYNTAX, "varint longer than 10 bytes", at, field);
  }
  // Reads a tag; returns false at the end of the message.
  bool tag(uint32_t& number, uint32_t& wire) {
    if (done()) return false;
    const uint64_t at = offset();
    const uint64_t t = varint(path_ + ".<tag>");
    number = static_cast<uint32_t>(t >> 3);
    wire = static_cast<uint32_t>(t & 7);
    if ((t >> 3) == 0 || (t >> 3) > 0x1FFFFFFF)
      fail(Code::BAD_SYNTAX, "field number " + std::to_string(t >> 3) + " out of range", at, path_);
    return true;
  }
  // A length-delimited payload: [pointer, length], checked against what is left.
  std::pair<const uint8_t*, size_t> bytes(const std::string& field) {
    const uint64_t at = offset();
    const uint64_t len = varint(field);
    if (len > n_ - pos_)
      fail(Code::TRUNCATED,
           "length " + std::to_string(len) + " but " + std::to_string(n_ - pos_) + " bytes left",
           at, field);
    const uint8_t* q = p_ + pos_;
    pos_ += static_cast<size_t>(len);
    return {q, static_cast<size_t>(len)};
  }
  uint32_t fixed32(const std::string& field) {
    if (n_ - pos_ < 4) fail(Code::TRUNCATED, "fixed32 runs past the end", offset(), field);
    uint32_t v;
    std::memcpy(&v, p_ + pos_, 4);
    pos_ += 4;
    return v;
  }
  void skip(uint32_t wire, const std::string& field) {
    switch (wire) {
      case kVarint: (void)varint(field); return;
      case kFixed64:
        if (n_ - pos_ < 8) fail(Code::TRUNCATED, "fixed64 runs past the end", offset(), field);
        pos_ += 8;
        return;
      case kBytes: (void)bytes(field); return;
      case kFixed32: (void)fixed32(field); return;
      default:
        fail(Code::BAD_SYNTAX,
             "wire type " + std::to_string(wire) +
                 (wire == 3 || wire == 4 ? " (group) is not used by sentencepiece" : " is invalid"),
             offset(), field);
    }
  }
  void expect(uint32_t wire, uint32_t want, uint64_t at, const std::string& field) const {
    if (wire != want)
      fail(Code::BAD_SYNTAX,
           "wire type " + std::to_string(wire) + ", expected " + std::to_string(want), at, field);
  }
  uint64_t base_of(const uint8_t* q) const { return base_ + static_cast<uint64_t>(q - p_); }

 private:
  const uint8_t* p_;
  size_t n_;
  uint64_t base_;
  size_t pos_ = 0;
  std::string path_;
};

std::string field_path(const Wire& w, const char* name) { return w.path() + "." + name; }

bool read_bool(Wire& w, uint32_t wire, const std::string& f) {
  const uint64_t at = w.offset();
  w.expect(wire, kVarint, at, f);
  const uint64_t v = w.varint(f);
  if (v > 1) fail(Code::BAD_SYNTAX, "bool value " + std::to_string(v), at, f);
  return v == 1;
}

int32_t read_int32(Wire& w, uint32_t wire, const std::string& f) {
  const uint64_t at = w.offset();
  w.expect(wire, kVarint, at, f);
  const uint64_t v = w.varint(f);
  // int32 is sign-extended to 64 bits on the wire
  if (v > 0x7FFFFFFFull && v < 0xFFFFFFFF80000000ull)
    fail(Code::BAD_SYNTAX, "value " + std::to_string(v) + " does not fit int32", at, f);
  return static_cast<int32_t>(static_cast<uint32_t>(v));
}

std::string read_string(Wire& w, uint32_t wire, const std::string& f, bool utf8) {
  const uint64_t at = w.offset();
  w.expect(wire, kBytes, at, f);
  auto [q, len] = w.bytes(f);
  std::string s(reinterpret_cast<const char*>(q), len);
  if (utf8 && !utf8_valid(s)) fail(Code::BAD_ENCODING, "string is not UTF-8", w.base_of(q), f);
  return s;
}

void parse_piece(Wire w, SpmModelProto::Piece& out) {
  uint32_t num, wire;
  while (true) {
    const uint64_t at = w.offset();
    if (!w.tag(num, wire)) break;
    switch (num) {
      case 1: out.piece = read_string(w, wire, field_path(w, "piece"), true); break;
      case 2: {
        const std::string f = field_path(w, "score");
        w.expect(wire, kFixed32, at, f);
        const uint32_t bits = w.fixed32(f);
        std::memcpy(&out.score, &bits, 4);
        break;
      }
      case 3: {
        const std::string f = field_path(w, "type");
        const int32_t t = read_int32(w, wire, f);
        if (t < kSpmNormal || t > kSpmByte)
          fail(Code::BAD_SYNTAX, "unknown piece type " + std::to_string(t), at, f);
        out.type = t;
        break;
      }
      default: w.skip(wire, w.path() + ".<field " + std::to_string(num) + ">");
    }
  }
}

void parse_trainer(Wire w, SpmModelProto& m) {
  uint32_t num, wire;
  while (true) {
    const uint64_t at = w.offset();
    if (!w.tag(num, wire)) break;
    switch (num) {
      case 3: {
        const std::string f = field_path(w, "model_type");
        m.model_type = read_int32(w, wire, f);
        if (m.model_type < 1 || m.model_type > 4)
          fail(Code::UNSUPPORTED_FEATURE, "model_type " + std::to_string(m.model_type), at, f);
        break;
      }
      case 24:
        m.treat_whitespace_as_suffix =
            read_bool(w, wire, field_path(w, "treat_whitespace_as_suffix"));
        break;
      case 35: m.byte_fallback = read_bool(w, wire, field_path(w, "byte_fallback")); break;
      case 40: m.unk_id = read_int32(w, wire, field_path(w, "unk_id")); break;
      case 41: m.bos_id = read_int32(w, wire, field_path(w, "bos_id")); break;
      case 42: m.eos_id = read_int32(w, wire, field_path(w, "eos_id")); break;
      case 43: m.pad_id = read_int32(w, wire, field_path(w, "pad_id")); break;
      case 44: m.unk_surface = read_string(w, wire, field_path(w, "unk_surface"), true); break;
      case 45: m.unk_piece = read_string(w, wire, field_path(w, "unk_piece"), true); break;
      case 46: m.bos_piece = read_string(w, wire, field_path(w, "bos_piece"), true); break;
      case 47: m.eos_piece = read_string(w, wire, field_path(w, "eos_piece"), true); break;
      case 48: m.pad_piece = read_string(w, wire, field_path(w, "pad_piece"), true); break;
      default: w.skip(wire, w.path() + ".<field " + std::to_string(num) + ">");
    }
  }
}

// normalizer_spec (into m) or denormalizer_spec (only whether it carries rules).
void parse_normalizer(Wire w, SpmModelProto& m, bool denormalizer) {
  uint32_t num, wire;
  while (true) {
    if (!w.tag(num, wire)) break;
    if (denormalizer) {
      if (num == 2) {
        const std::string f = field_path(w, "precompiled_charsmap");
        if (!read_string(w, wire, f, false).empty()) m.has_denormalizer_rules = true;
      } else {
        w.skip(wire, w.path() + ".<field " + std::to_string(num) + ">");
      }
      continue;
    }
    switch (num) {
      case 1: m.normalizer_name = read_string(w, wire, field_path(w, "name"), true); break;
      case 2:
        m.precompiled_charsmap = read_string(w, wire, field_path(w, "precompiled_charsmap"), false);
        break;
      case 3: m.add_dummy_prefix = read_bool(w, wire, field_path(w, "add_dummy_prefix")); break;
      case 4:
        m.remove_extra_whitespaces = read_bool(w, wire, field_path(w, "remove_extra_whitespaces"));
        break;
      case 5: m.escape_whitespaces = read_bool(w, wire, field_path(w, "escape_whitespaces")); break;
      default: w.skip(wire, w.path() + ".<field " + std::to_string(num) + ">");
    }
  }
}

}  // namespace

SpmModelProto parse_sentencepiece_model(const uint8_t* p, size_t n) {
  SpmModelProto m;
  Wire w(p, n, 0, "ModelProto");
  uint32_t num, wire;
  while (true) {
    const uint64_t at = w.offset();
    if (!w.tag(num, wire)) break;
    const auto sub = [&](const std::string& f) {
      w.expect(wire, kBytes, at, f);
      auto [q, len] = w.bytes(f);
      return Wire(q, len, w.base_of(q), f);
    };
    switch (num) {
      case 1: {
        if (m.pieces.size() >= static_cast<size_t>(INT32_MAX))
          fail(Code::LIMIT_EXCEEDED, "more than 2^31 - 1 pieces", at, "pieces");
        m.pieces.emplace_back();
        parse_piece(sub("pieces[" + std::to_string(m.pieces.size() - 1) + "]"), m.pieces.back());
        break;
      }
      case 2: parse_trainer(sub("trainer_spec"), m); break;  // repeated: merged, as protobuf
      case 3: parse_normalizer(sub("normalizer_spec"), m, false); break;
      case 5: parse_normalizer(sub("denormalizer_spec"), m, true); break;
      default: w.skip(wire, "ModelProto.<field " + std::to_string(num) + ">");
    }
  }
  return m;
}

std::unique_ptr<Tokenizer> load_sentencepiece_model(const uint8_t* p, size_t n) {
  SpmModelProto m = parse_sentencepiece_model(p, n);
  if (m.pieces.empty()) fail(Code::BAD_SYNTAX, "the model has no pieces", kNoOffset, "pieces");
  if (m.treat_whitespace_as_suffix)
    fail(Code::UNSUPPORTED_FEATURE, "treat_whitespace_as_suffix is not implemented", kNoOffset,
         "trainer_spec.treat_whitespace_as_suffix");
  if (m.has_denormalizer_rules)
    fail(Code::UNSUPPORTED_FEATURE, "denormalization rules are not implemented", kNoOffset,
         "denormalizer_spec.precompiled_charsmap");
  // sentencepiece's InitializePieces checks.
  StringMap seen;
  int32_t unk = -1;
  std::vector<bool> has_byte(256, false);
  std::vector<std::string> user_defined;
  for (size_t i = 0; i < m.pieces.size(); ++i) {
    const auto& sp = m.pieces[i];
    const std::string f = "pieces[" + std::to_string(i) + "]";
    if (sp.piece.empty()) fail(Code::BAD_SYNTAX, "empty piece", kNoOffset, f + ".piece");
    if (!seen.emplace(sp.piece, static_cast<int32_t>(i)).second)
      fail(Code::DUPLICATE, "piece \"" + escape_for_message(sp.piece) + "\" is already defined",
           kNoOffset, f + ".piece");
    if (sp.type == kSpmUnknown) {
      if (unk >= 0) fail(Code::BAD_SYNTAX, "a second unknown piece", kNoOffset, f + ".type");
      unk = static_cast<int32_t>(i);
    }
    if (sp.type == kSpmUserDefined) user_defined.push_back(sp.piece);
    if (sp.type == kSpmByte) {
      if (!m.byte_fallback)
        fail(Code::BAD_SYNTAX, "byte piece without trainer_spec.byte_fallback", kNoOffset,
             f + ".type");
      unsigned v = 0;
      const auto& s = sp.piece;
      const bool ok = s.size() == 6 && s.compare(0, 3, "<0x") == 0 && s[5] == '>' &&
                      std::isxdigit(static_cast<unsigned char>(s[3])) &&
                      std::isxdigit(static_cast<unsigned char>(s[4])) &&
                      std::sscanf(s.c_str() + 3, "%2x", &v) == 1;
      if (!ok)
        fail(Code::BAD_SYNTAX, "byte piece \"" + escape_for_message(s) + "\" is not <0xXX>",
             kNoOffset, f + ".piece");
      has_byte[v] = true;
    }
  }
  if (unk < 0) fail(Code::BAD_SYNTAX, "no piece of type UNKNOWN", kNoOffset, "pieces");
  if (m.byte_fallback)
    for (int b = 0; b < 256; ++b)
      if (!has_byte[static_cast<size_t>(b)])
        fail(Code::BAD_SYNTAX,
             "byte_fallback is set but byte " + std::to_string(b) + " has no piece", kNoOffset,
             "pieces");

  auto tok = std::make_unique<Tokenizer>();
  SpmVocabConfig vc;
  SpmDecoderPieces dp;
  for (auto& sp : m.pieces) {
    vc.pieces.push_back(sp.piece);
    vc.scores.push_back(sp.score);
    vc.types.push_back(sp.type);
  }
  dp.pieces = vc.pieces;
  dp.types = vc.types;
  dp.unk = unk;
  vc.unk = unk;
  vc.byte_fallback = m.byte_fallback;
  // Special ids as SentencePieceProcessor finds them: by piece, of the expected type.
  auto special = [&](const std::string& piece, int32_t type) -> TokenId {
    auto it = seen.find(piece);
    if (it == seen.end() || m.pieces[static_cast<size_t>(it->second)].type != type) return -1;
    return it->second;
  };
  tok->special.unk = special(m.unk_piece, kSpmUnknown);
  tok->special.bos = special(m.bos_piece, kSpmControl);
  tok->special.eos = special(m.eos_piece, kSpmControl);
  tok->special.pad = special(m.pad_piece, kSpmControl);
  if (tok->special.unk >= 0) tok->info.unk_token = m.unk_piece;
  if (tok->special.bos >= 0) tok->info.bos_token = m.bos_piece;
  if (tok->special.eos >= 0) tok->info.eos_token = m.eos_piece;
  if (tok->special.pad >= 0) tok->info.pad_token = m.pad_piece;
  tok->info.source = "sentencepiece";

  tok->normalizer =
      make_spm_normalizer(m.precompiled_charsmap, m.add_dummy_prefix, m.remove_extra_whitespaces,
                          m.escape_whitespaces, std::move(user_defined));
  switch (m.model_type) {
    case 1: tok->model = make_spm_unigram(std::move(vc)); break;
    case 2: {
      SpmBpeConfig bc;
      bc.pieces = std::move(vc.pieces);
      bc.scores = std::move(vc.scores);
      bc.types = std::move(vc.types);
      bc.unk = vc.unk;
      bc.byte_fallback = vc.byte_fallback;
      tok->model = make_spm_bpe(std::move(bc));
      break;
    }
    case 3: tok->model = make_spm_word(std::move(vc)); break;
    default: tok->model = make_spm_char(std::move(vc)); break;
  }
  tok->decoder = make_spm_decoder(std::move(dp), m.unk_surface, m.add_dummy_prefix,
                                  m.remove_extra_whitespaces);
  tok->finalize();
  return tok;
}

}  // namespace mwt::detail::tok
