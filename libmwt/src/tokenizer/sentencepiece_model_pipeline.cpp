// The two ends of sentencepiece's pipeline: Normalizer::Normalize (charsmap, whitespace, dummy
// prefix, U+2581) and SentencePieceProcessor::Decode over piece strings.
#include <string>
#include <utility>

#include "tokenizer/decoders.hpp"
#include "tokenizer/normalizers_precompiled.hpp"
#include "tokenizer/normalizers_unicode.hpp"
#include "tokenizer/sentencepiece_model.hpp"
#include "tokenizer/sentencepiece_model_vocab.hpp"
#include "tokenizer/unigram_trie.hpp"

namespace mwt::detail::tok {

namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581, sentencepiece's space symbol
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

class SpmNormalizer final : public Normalizer {
 public:
  SpmNormalizer(std::string_view charsmap, bool dummy, bool remove_ws, bool escape,
                std::vector<std::string> user)
      : map_(charsmap, "normalizer_spec.precompiled_charsmap"),
        user_strings_(std::move(user)),
        dummy_(dummy),
        remove_ws_(remove_ws),
        escape_(escape) {
    std::vector<std::pair<std::string_view, int32_t>> keys;
    for (const auto& s : user_strings_) keys.emplace_back(s, 0);
    user_.build(std::move(keys));
  }

  void normalize(std::string& text) const override {
    const std::string_view in = text;
    size_t pos = 0;
    if (remove_ws_) {  // heading whitespace
      while (pos < in.size()) {
        const auto [sp, len] = prefix(in, pos);
        if (sp != " ") break;
        pos += len;
      }
    }
    if (pos >= in.size()) {
      text.clear();
      return;
    }
    const std::string_view space = escape_ ? kSpace : std::string_view(" ");
    std::string out;
    out.reserve(in.size() * 3 / 2 + 4);
    if (dummy_) out.append(space);
    bool prev_space = remove_ws_;
    while (pos < in.size()) {
      auto [sp, len] = prefix(in, pos);
      if (prev_space)
        while (!sp.empty() && sp.front() == ' ') sp.remove_prefix(1);
      if (!sp.empty()) {
        for (char c : sp) {
          if (escape_ && c == ' ')
            out.append(kSpace);
          else
            out.push_back(c);
        }
        prev_space = sp.back() == ' ';
      }
      pos += len;
      if (!remove_ws_) prev_space = false;
    }
    if (remove_ws_)  // trailing whitespace
      while (out.size() >= space.size() &&
             out.compare(out.size() - space.size(), space.size(), space) == 0)
        out.resize(out.size() - space.size());
    text.swap(out);
  }

 private:
  // Normalizer::NormalizePrefix: (replacement, bytes consumed) at in[pos].
  std::pair<std::string_view, size_t> prefix(std::string_view in, size_t pos) const {
    if (!user_.empty()) {
      const size_t ul = user_.longest_prefix(in, pos).first;
      if (ul > 0) return {in.substr(pos, ul), ul};
    }
    if (!map_.empty()) {
      if (auto r = map_.longest_prefix(in.substr(pos))) return {r->second, r->first};
    }
    char32_t cp;
    const size_t len = utf8_decode(in, pos, cp);
    if (cp == kInvalidCp) return {kReplacement, 1};  // one byte consumed per invalid byte
    return {in.substr(pos, len), len};
  }

  CharsMap map_;
  std::vector<std::string> user_strings_;
  ByteTrie user_;
  bool dummy_, remove_ws_, escape_;
};

class SpmDecoder final : public Decoder {
 public:
  SpmDecoder(SpmDecoderPieces p, std::string unk_surface, bool dummy, bool remove_ws)
      : p_(std::move(p)),
        unk_surface_(std::move(unk_surface)),
        dummy_(dummy),
        remove_ws_(remove_ws) {
    for (size_t i = 0; i < p_.pieces.size(); ++i) ids_[p_.pieces[i]] = static_cast<int32_t>(i);
  }

  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string text;
    std::string bytes;
    auto flush_bytes = [&] {
      // Each invalid byte becomes U+FFFD; valid characters are copied.
      for (size_t i = 0; i < bytes.size();) {
        char32_t cp;
        const size_t len = utf8_decode(bytes, i, cp);
        if (cp == kInvalidCp) {
          text.append(kReplacement);
          i += 1;
        } else {
          text.append(bytes, i, len);
          i += len;
        }
      }
      bytes.clear();
    };
    bool is_bos_ws = true, bos_ws_seen = false;
    for (const std::string& t : tokens) {
      auto it = ids_.find(t);
      // A string outside the vocabulary is PieceToId's unk: it decodes to itself.
      int32_t type = it == ids_.end() ? kSpmUnknown : p_.types[static_cast<size_t>(it->second)];
      if (type == kSpmByte) {
        const int b = parse_byte_token(t);
        if (b >= 0) {
          bytes.push_back(static_cast<char>(b));
          continue;
        }
        type = kSpmNormal;  // a byte piece not spelled <0xXX> decodes as text
      }
      flush_bytes();
      if (bos_ws_seen || !text.empty()) is_bos_ws = false;
      bos_ws_seen = false;
      if (type == kSpmControl) continue;
      if (type == kSpmUnknown) {
        text += (it != ids_.end() && it->second == p_.unk) ? unk_surface_ : t;
        continue;
      }
      std::string_view piece = t;
      if (is_bos_ws && (dummy_ || remove_ws_)) {
        if (piece.substr(0, kSpace.size()) == kSpace) {
          piece.remove_prefix(kSpace.size());
          bos_ws_seen = !remove_ws_;  // removing extra whitespace removes every leading one
        }
      }
      for (size_t at = piece.find(kSpace); at != std::string_view::npos; at = piece.find(kSpace)) {
        text.append(piece.substr(0, at));
        text.push_back(' ');
        piece.remove_prefix(at + kSpace.size());
      }
      text.append(piece);
    }
    flush_bytes();
    tokens.assign(1, std::move(text));
  }

 private:
  SpmDecoderPieces p_;
  StringMap ids_;
  std::string unk_surface_;
  bool dummy_, remove_ws_;
};

}  // namespace

std::unique_ptr<Normalizer> make_spm_normalizer(std::string_view charsmap, bool add_dummy_prefix,
                                                bool remove_extra_whitespaces,
                                                bool escape_whitespaces,
                                                std::vector<std::string> user_defined) {
  return std::make_unique<SpmNormalizer>(charsmap, add_dummy_prefix, remove_extra_whitespaces,
                                         escape_whitespaces, std::move(user_defined));
}

std::unique_ptr<Decoder> make_spm_decoder(SpmDecoderPieces pieces, std::string unk_surface,
                                          bool add_dummy_prefix, bool remove_extra_whitespaces) {
  return std::make_unique<SpmDecoder>(std::move(pieces), std::move(unk_surface), add_dummy_prefix,
                                      remove_extra_whitespaces);
}

}  // namespace mwt::detail::tok
