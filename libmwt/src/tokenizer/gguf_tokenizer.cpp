// Assembling a Tokenizer from a GGUF vocabulary (gguf_tokenizer.hpp) the way llama.cpp's
// llama-vocab runs each tokenizer.ggml.model: the model, its pipeline, the special ids with
// llama.cpp's defaults, add_bos / add_eos, and the control / user-defined tokens matched before
// the model sees the text. Which defaults and why: docs/tokenizers-gguf.md#models.
#include "tokenizer/gguf_tokenizer.hpp"

#include <span>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/gguf_pre.hpp"
#include "tokenizer/gguf_tokenizer_parts.hpp"

namespace mwt::detail::tok {
namespace {

std::string field_of(std::string_view key) { return "kv[\"" + std::string(key) + "\"]"; }

// Token texts llama.cpp treats as control tokens whatever their stored type: it marks them
// CONTROL (and end-of-generation) when it loads a vocabulary, so they are matched as specials.
// The first kEotTextCount are also the texts it looks for, in this order, when no eot / eom id
// key is present.
constexpr std::string_view kControlTexts[] = {
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|end_of_text|>",
    "<EOT>",
    "_<EOT>",
    "[EOT]",
    "<\xEF\xBD\x9C"
    "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
    "<end_of_utterance>",
    "<|eom_id|>",
    "<|return|>",
    "<|call|>",
    "</s>",
    "[EOS]",
};
constexpr size_t kEotTextCount = 11;

struct Defaults {
  TokenId bos = -1, eos = -1, unk = -1, sep = -1, pad = -1, mask = -1;
  bool add_bos = false, add_eos = false;
};

int32_t type_at(const GgufVocab& v, size_t i) {
  return v.types.empty() ? TOKEN_NORMAL : v.types[i];
}

// A default id survives only inside the vocabulary (llama.cpp disables it otherwise); a key
// always wins.
TokenId pick(std::optional<int32_t> key, TokenId fallback, size_t n) {
  if (key) return *key;
  return fallback >= 0 && static_cast<size_t>(fallback) < n ? fallback : -1;
}

std::optional<TokenId> find_text(const GgufVocab& v, std::string_view text) {
  for (size_t i = 0; i < v.tokens.size(); ++i)
    if (v.tokens[i] == text) return static_cast<TokenId>(i);
  return std::nullopt;
}

// The BERT vocabulary back in WordPiece spelling: llama.cpp's converter wrote word-initial
// pieces with a U+2581 prefix and continuations bare; "[...]" tokens were kept as they are.
std::vector<std::string> wordpiece_vocab(const std::vector<std::string>& tokens) {
  std::vector<std::string> out;
  out.reserve(tokens.size());
  for (const auto& t : tokens) {
    if (t.size() >= 2 && t.front() == '[' && t.back() == ']')
      out.push_back(t);
    else if (t.rfind("\xE2\x96\x81", 0) == 0 && t.size() > 3)
      out.push_back(t.substr(3));
    else
      out.push_back("##" + t);
  }
  return out;
}

void build_bpe(GgufVocab& v, Tokenizer& tok, Defaults& d, bool& clean_spaces) {
  const std::string pre = v.pre.empty() ? "default" : v.pre;
  const auto row = find_gguf_pre(pre);
  if (!row)
    fail(Code::UNSUPPORTED_FEATURE,
         "pre-tokenizer \"" + escape_for_message(pre) + "\" is not one mwt implements", kNoOffset,
         field_of("tokenizer.ggml.pre"));
  if (!v.has_merges)
    fail(Code::BAD_SYNTAX, "a \"gpt2\" vocabulary needs its merges", kNoOffset,
         field_of("tokenizer.ggml.merges"));
  BpeConfig c;
  c.vocab = v.tokens;
  c.merges = std::move(v.merges);
  c.ignore_merges = row->ignore_merges;
  tok.model = make_bpe(std::move(c));
  tok.pre_tokenizer = make_gguf_pre_tokenizer(pre);
  tok.decoder = make_byte_level_decoder();
  d.bos = row->default_bos ? 11 : -1;  // llama.cpp's BPE defaults (Falcon's <|endoftext|>)
  d.eos = 11;
  d.add_bos = row->add_bos;
  clean_spaces = row->clean_spaces;
}

std::string json_bool(bool b) { return b ? "true" : "false"; }

// "gemma4": BPE over merges (not scores) on text whose spaces are spelled U+2581, with no
// pre-tokenizer split, no added prefix space and byte fallback through the <0xXX> pieces (as
// Gemma's tokenizer.json: a Replace normalizer, a BPE model, Replace + ByteFallback + Fuse).
void build_gemma4(GgufVocab& v, Tokenizer& tok, Defaults& d) {
  if (!v.has_merges)
    fail(Code::BAD_SYNTAX, "a \"gemma4\" vocabulary needs its merges", kNoOffset,
         field_of("tokenizer.ggml.merges"));
  BpeConfig c;
  c.vocab = v.tokens;
  c.merges = std::move(v.merges);
  c.byte_fallback = true;
  const TokenId unk = pick(v.unk, 3, v.tokens.size());
  if (unk >= 0) c.unk_token = v.tokens[static_cast<size_t>(unk)];
  tok.model = make_bpe(std::move(c));
  tok.normalizer =
      normalizer_from_text(R"({"type":"Replace","pattern":{"String":" "},"content":"\u2581"})");
  tok.decoder = decoder_from_text(
      R"({"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"\u2581"},)"
      R"("content":" "},{"type":"ByteFallback"},{"type":"Fuse"}]})");
  d.bos = 2;  // Gemma's <pad> <eos> <bos> <unk> order
  d.eos = 1;
  d.unk = 3;
  d.pad = 0;
  d.add_bos = true;
}

void build_spm(const GgufVocab& v, Tokenizer& tok, Defaults& d) {
  SpmBpeConfig c;
  c.pieces = v.tokens;
  c.scores = v.scores.empty() ? std::vector<float>(v.tokens.size(), 0.0f) : v.scores;
  c.types = v.types.empty() ? std::vector<int32_t>(v.tokens.size(), TOKEN_NORMAL) : v.types;
  c.unk = pick(v.unk, 0, v.tokens.size());
  c.byte_fallback = true;
  tok.model = make_spm_bpe(std::move(c));
  // llama.cpp writes a space before every run of text (the first, and each one after a special
  // token) and escapes spaces, exactly what HF's LLaMA normalizer does per split.
  const bool prefix = v.add_space_prefix.value_or(true);
  const std::string escape = R"({"type":"Replace","pattern":{"String":" "},"content":"▁"})";
  tok.normalizer = normalizer_from_text(
      prefix
          ? R"({"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"},)" + escape + "]}"
          : escape);
  tok.decoder = decoder_from_text(
      std::string(R"({"type":"Sequence","decoders":[)"
                  R"({"type":"Replace","pattern":{"String":"▁"},"content":" "},)"
                  R"({"type":"ByteFallback"},{"type":"Fuse"})") +
      (prefix ? R"(,{"type":"Strip","content":" ","start":1,"stop":0})" : "") + "]}");
  d.bos = 1;
  d.eos = 2;
  d.unk = 0;
  d.add_bos = true;
}

void build_ugm(const GgufVocab& v, Tokenizer& tok, Defaults& d) {
  UnigramConfig c;
  c.pieces.reserve(v.tokens.size());
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    // llama.cpp scores user-defined pieces 0, so they win over any split of their text.
    const bool user = type_at(v, i) == TOKEN_USER_DEFINED;
    c.pieces.emplace_back(v.tokens[i], user || v.scores.empty() ? 0.0 : v.scores[i]);
  }
  // Every character a Unigram vocabulary lacks becomes its unknown token: without one, text
  // could not be encoded at all, so such a vocabulary is refused when it is loaded.
  const TokenId unk = pick(v.unk, 2, v.tokens.size());
  if (unk < 0)
    fail(Code::BAD_SYNTAX, "a \"t5\" vocabulary needs an unknown token", kNoOffset,
         field_of("tokenizer.ggml.unknown_token_id"));
  c.unk_id = unk;
  tok.model = make_unigram(std::move(c));
  const bool prefix = v.add_space_prefix.value_or(false);
  const bool merge = v.remove_extra_whitespaces.value_or(false);
  std::vector<std::unique_ptr<Normalizer>> parts;
  if (v.precompiled_charsmap) parts.push_back(make_precompiled(*v.precompiled_charsmap));
  parts.push_back(make_ugm_spaces(prefix, merge));
  tok.normalizer = make_sequence_normalizer(std::move(parts));
  std::vector<std::unique_ptr<Decoder>> dec;
  dec.push_back(make_byte_fallback_decoder());
  dec.push_back(make_metaspace_decoder("\xE2\x96\x81", prefix || merge));
  tok.decoder = make_sequence_decoder(std::move(dec));
  d.eos = 1;
  d.unk = 2;
  d.pad = 0;
  d.add_eos = true;
}

void build_wpm(const GgufVocab& v, Tokenizer& tok, Defaults& d) {
  WordPieceConfig c;
  c.vocab = wordpiece_vocab(v.tokens);
  const TokenId unk = pick(v.unk, 100, v.tokens.size());
  if (unk < 0)
    fail(Code::BAD_SYNTAX, "a \"bert\" vocabulary needs an unknown token", kNoOffset,
         field_of("tokenizer.ggml.unknown_token_id"));
  c.unk_token = c.vocab[static_cast<size_t>(unk)];
  tok.model = make_wordpiece(std::move(c));
  const bool lower = v.lowercase.value_or(true);
  const bool strip = v.strip_accents.value_or(lower);
  tok.normalizer = normalizer_from_text(
      R"({"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":)" +
      json_bool(strip) + R"(,"lowercase":)" + json_bool(lower) + "}");
  tok.pre_tokenizer = pre_tokenizer_from_text(R"({"type":"BertPreTokenizer"})");
  tok.decoder = decoder_from_text(R"({"type":"WordPiece","prefix":"##","cleanup":true})");
  d.bos = 101;
  d.unk = 100;
  d.sep = 102;
  d.pad = 0;
  d.mask = 103;
  d.add_bos = true;
}

}  // namespace

std::unique_ptr<Tokenizer> build_gguf_tokenizer(GgufVocab v) {
  auto tok = std::make_unique<Tokenizer>();
  Defaults d;
  bool clean_spaces = false;
  const bool wpm = v.model == "bert";
  if (v.model == "gpt2") {
    build_bpe(v, *tok, d, clean_spaces);
  } else if (v.model == "llama") {
    build_spm(v, *tok, d);
  } else if (v.model == "t5") {
    build_ugm(v, *tok, d);
  } else if (v.model == "gemma4") {
    build_gemma4(v, *tok, d);
  } else if (wpm) {
    build_wpm(v, *tok, d);
    clean_spaces = true;
  } else {
    fail(Code::UNSUPPORTED_FEATURE,
         "tokenizer model \"" + escape_for_message(v.model) +
             "\" is not one mwt implements (gpt2, llama, t5, bert, gemma4)",
         kNoOffset, field_of("tokenizer.ggml.model"));
  }

  const size_t n = v.tokens.size();
  SpecialIds& s = tok->special;
  // A WordPiece vocabulary's BOS is its [CLS]: convert_hf_to_gguf writes cls_token_id and no
  // bos_token_id for BERT, and llama.cpp frames the text with that id.
  s.bos = pick(wpm && !v.bos ? v.cls : v.bos, d.bos, n);
  s.eos = pick(v.eos, d.eos, n);
  s.unk = pick(v.unk, d.unk, n);
  s.sep = pick(v.sep, d.sep, n);
  s.pad = pick(v.pad, d.pad, n);
  s.mask = pick(v.mask, d.mask, n);
  s.cls = v.cls.value_or(-1);
  std::optional<TokenId> eot = v.eot, eom = v.eom;
  for (std::string_view t : std::span(kControlTexts).first(kEotTextCount))
    if (!eot) eot = find_text(v, t);
  if (!eom) eom = find_text(v, "<|eom_id|>");
  if (eot) s.eot.push_back(*eot);
  if (eom && eom != eot) s.eot.push_back(*eom);

  const bool add_bos = v.add_bos.value_or(d.add_bos);
  const bool add_eos = v.add_eos.value_or(d.add_eos);
  if (add_bos && s.bos < 0)
    fail(Code::BAD_SYNTAX, "add_bos_token is true, but no bos_token_id is set", kNoOffset,
         field_of("tokenizer.ggml.add_bos_token"));
  if (add_eos && s.eos < 0)
    fail(Code::BAD_SYNTAX, "add_eos_token is true, but no eos_token_id is set", kNoOffset,
         field_of("tokenizer.ggml.add_eos_token"));
  std::vector<TokenId> prefix, suffix, pair_prefix;
  if (wpm) {
    // llama.cpp frames every BERT sequence as [CLS] text [SEP], whatever add_bos says; the
    // cls key, when written, names the start token.
    const TokenId start = s.cls >= 0 ? s.cls : s.bos;
    if (start < 0 || s.sep < 0)
      fail(Code::BAD_SYNTAX, "a \"bert\" vocabulary needs its [CLS] and [SEP] ids", kNoOffset,
           field_of(start < 0 ? "tokenizer.ggml.cls_token_id"
                              : "tokenizer.ggml.seperator_token_id"));
    prefix = {start};
    suffix = {s.sep};
  } else {
    if (add_bos) prefix = pair_prefix = {s.bos};
    if (add_eos) suffix = {s.eos};
  }
  tok->post_processor =
      make_gguf_framing(std::move(prefix), std::move(suffix), std::move(pair_prefix));

  // Control, unknown and user-defined tokens are split out of the text before the model runs,
  // matched on the raw text (llama.cpp's special-token partition); the first two are special.
  const std::vector<std::string>* texts = &v.tokens;
  std::vector<std::string> wordpieces;
  if (wpm) {
    wordpieces = wordpiece_vocab(v.tokens);
    texts = &wordpieces;
  }
  for (size_t i = 0; i < n; ++i) {
    int32_t type = type_at(v, i);
    if (type == TOKEN_NORMAL || type == TOKEN_UNDEFINED)
      for (std::string_view t : kControlTexts)
        if (v.tokens[i] == t) type = TOKEN_CONTROL;
    if (type != TOKEN_CONTROL && type != TOKEN_UNKNOWN && type != TOKEN_USER_DEFINED) continue;
    AddedToken a;
    a.content = (*texts)[i];
    a.id = static_cast<TokenId>(i);
    a.special = type != TOKEN_USER_DEFINED;
    a.normalized = false;
    tok->added.push_back(std::move(a));
  }

  TokenizerInfo& info = tok->info;
  info.source = "gguf";
  info.gguf_model = v.model;
  info.gguf_pre = v.pre;
  info.chat_template = std::move(v.chat_template);
  const auto text_of = [&](TokenId id) { return id >= 0 ? (*texts)[id] : std::string(); };
  info.bos_token = text_of(s.bos);
  info.eos_token = text_of(s.eos);
  info.unk_token = text_of(s.unk);
  info.pad_token = text_of(s.pad);
  info.add_bos = wpm || add_bos;
  info.add_eos = add_eos;
  info.clean_up_tokenization_spaces = clean_spaces;
  tok->finalize();
  return tok;
}

std::unique_ptr<Tokenizer> load_gguf_tokenizer(const WeightFile& wf) {
  if (wf.format != Format::GGUF)
    fail(Code::ARGUMENT, std::string("a ") + format_name(wf.format) +
                             " file has no tokenizer.ggml.* keys: only GGUF files carry one");
  return build_gguf_tokenizer(read_gguf_vocab(wf));
}

}  // namespace mwt::detail::tok
