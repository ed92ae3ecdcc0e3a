// The tokenizer.ggml.pre table (gguf_pre.hpp) and make_gguf_pre_tokenizer: per pre-tokenizer
// type, the regex list llama.cpp's BPE tokenizer splits with, then one row per name its loader
// accepts. The patterns are llama.cpp's (its adapted spellings where it rewrote a
// tokenizer.json pattern, e.g. `(?i:'s)` as `'[sS]`), restated for PCRE2; classes of literal
// characters are written as \x{...} ranges. Table and sources: docs/tokenizers-gguf.md.
#include "tokenizer/gguf_pre.hpp"

#include <array>
#include <memory>
#include <utility>

#include "tokenizer/components.hpp"
#include "tokenizer/pre_tokenizers.hpp"

namespace mwt::detail::tok {
namespace {

// ---- the split patterns, one list per llama.cpp pre-tokenizer type ------------------------

// GPT-2's pattern as llama.cpp spells it (no trailing `|\s+`: unmatched text is kept as its own
// piece by the split anyway).
constexpr std::string_view kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";
// The cl100k family: contractions (case-insensitive, spelled out), letters with one optional
// leading non-letter, digits in threes, punctuation runs, newline runs, whitespace.
constexpr std::string_view kLlama3 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|)"
    R"(\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Qwen2: as LLaMA-3 but one digit per piece.
constexpr std::string_view kQwen2 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|)"
    R"(\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen35 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|)"
    R"(\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kJais2 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|)"
    R"(\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s{512}(?!\S)|\s{256}(?!\S)|)"
    R"(\s{128}(?!\S)|\s{64}(?!\S)|\s{32}(?!\S)|\s{16}(?!\S)|\s{8}(?!\S)|\s{4}(?!\S)|)"
    R"(\s{1,2}(?!\S)|\s{1})";
// CJK ideographs (U+4E00..U+9FA5), U+0800..U+4E00 and Hangul syllables to U+D7FF.
constexpr std::string_view kDeepseekCjk =
    R"([\x{4E00}-\x{9FA5}\x{0800}-\x{4E00}\x{AC00}-\x{D7FF}]+)";
// Cased letters (Lu, Ll, Lt) as DeepSeek's tokenizer.json lists them, with one optional space.
constexpr std::string_view kDeepseekCased =
    R"(\s?[\x{41}-\x{5A}\x{61}-\x{7A}\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF})"
    R"(\x{1C4}-\x{293}\x{295}-\x{2AF}\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386})"
    R"(\x{388}-\x{38A}\x{38C}\x{38E}-\x{3A1}\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F})"
    R"(\x{531}-\x{556}\x{10A0}-\x{10C5}\x{13A0}-\x{13F5}\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA})"
    R"(\x{1CBD}-\x{1CBF}\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15})"
    R"(\x{1F18}-\x{1F1D}\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B})"
    R"(\x{1F5D}\x{1F5F}-\x{1F7D}\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4})"
    R"(\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3}\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4})"
    R"(\x{1FF6}-\x{1FFC}\x{2102}\x{2107}\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124})"
    R"(\x{2126}\x{2128}\x{212A}-\x{212D}\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F})"
    R"(\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184}\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4})"
    R"(\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D}\x{A680}-\x{A69B}\x{A722}-\x{A76F})"
    R"(\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF}\x{FB00}-\x{FB06}\x{FB13}-\x{FB17})"
    R"(\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F}\x{104B0}-\x{104D3})"
    R"(\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2}\x{118A0}-\x{118DF})"
    R"(\x{1E900}-\x{1E943}]+)";
// ASCII punctuation and symbols, their full-width forms, curly quotes, U+3000..U+3002.
constexpr std::string_view kDeepseekPunct =
    R"(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)";
// CJK ideographs, Hiragana, Katakana.
constexpr std::string_view kCjkKana = R"([\x{4E00}-\x{9FA5}\x{3040}-\x{309F}\x{30A0}-\x{30FF}]+)";
constexpr std::string_view kDeepseek3Main =
    R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|)"
    R"( ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kSparkMain =
    R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|)"
    R"( ?[\p{P}\p{S}]+|[\r\n]|\s+(?!\S)|\s+)";
// Hangul syllables and jamo | CJK punctuation | Bopomofo | CJK and kana.
constexpr std::string_view kYoutuCjk =
    R"([\x{AC00}-\x{D7A3}\x{3131}-\x{318E}]+|[\x{FF01}\x{2026}\x{201C}\x{201D}\x{2018}\x{2019})"
    R"(\x{2014}\x{FF1A}\x{FF1B}\x{FF0C}\x{3001}-\x{303F}\x{FE30}-\x{FE4F}]+|[\x{3105}-\x{312F}]+|)"
    R"([\x{4E00}-\x{9FA5}\x{3040}-\x{309F}\x{30A0}-\x{30FF}]+)";
// Upper-then-lower letter runs with an optional contraction (the o200k shape).
constexpr std::string_view kYoutuMain =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+)"
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|)"
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*)"
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|)"
    R"(\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kTinyAyaMain =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+)"
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|)"
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*)"
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|)"
    R"(\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// llama.cpp's rewrite of the upper/lower classes as "a letter that is not a-z / not A-Z".
constexpr std::string_view kTekken =
    R"([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|)"
    R"([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|)"
    R"(\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kGpt4o =
    R"([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+)"
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|)"
    R"([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*)"
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|)"
    R"(\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kGraniteEmbMulti =
    R"([^\r\n\p{L}\p{N}]?((?=[\p{L}\p{M}])([^a-z]))*((?=[\p{L}\p{M}])([^A-Z]))+)"
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|)"
    R"([^\r\n\p{L}\p{N}]?((?=[\p{L}\p{M}])([^a-z]))+((?=[\p{L}\p{M}])([^A-Z]))*)"
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|)"
    R"(\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Everything up to a space or one of . , ! ? and their CJK / Devanagari / Arabic forms.
constexpr std::string_view kBloom =
    R"( ?[^(\s|.,!?\x{2026}\x{3002}\x{FF0C}\x{3001}\x{0964}\x{06D4}\x{060C})]+)";
constexpr std::string_view kBailing =
    R"('(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|)"
    R"( ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+)";
constexpr std::string_view kSeedCoder =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|)"
    R"(\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kUfakzeka =
    R"([^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kExaoneMoe =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|)"
    R"([^\r\n\p{L}\p{N}]?(?:\p{L}\p{M}*(?: \p{L}\p{M}*)*)+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]?|)"
    R"(\s*[\r\n]|\s+(?!\S)|\s+)";
constexpr std::string_view kMiniCpm5 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|)"
    R"(\p{N}+| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

enum class Kind {
  DEFAULT,
  LLAMA3,
  JAIS2,
  DEEPSEEK_LLM,
  DEEPSEEK3_LLM,
  SPARK2_5,
  YOUTU,
  DEEPSEEK_CODER,
  FALCON,
  STARCODER,
  GPT2,
  QWEN2,
  QWEN35,
  BLOOM,
  CHATGLM4,
  VIKING,
  TEKKEN,
  CHAMELEON,
  GPT4O,
  GRANITE_EMB_MULTI,
  TINY_AYA,
  BAILINGMOE,
  SEED_CODER,
  UFAKZEKA,
  GROK_2,
  LAGUNA,
  EXAONE_MOE,
  MINICPM5,
};

struct KindRow {
  Kind kind;
  std::string_view name;
  std::vector<std::string_view> patterns;
};

const std::vector<KindRow>& kinds() {
  static const std::vector<KindRow> rows = {
      {Kind::DEFAULT,
       "DEFAULT",
       {R"([\p{P}\$\+<=>\^~\|]+)", kGpt2, R"(\p{N}+)", R"([0-9][0-9][0-9])"}},
      {Kind::LLAMA3, "LLAMA3", {kLlama3}},
      {Kind::JAIS2, "JAIS2", {kJais2}},
      {Kind::DEEPSEEK_LLM,
       "DEEPSEEK_LLM",
       {R"([\r\n])", kDeepseekCased, kDeepseekPunct, R"(\s+$)", kDeepseekCjk, R"(\p{N}+)"}},
      {Kind::DEEPSEEK3_LLM, "DEEPSEEK3_LLM", {R"(\p{N}{1,3})", kCjkKana, kDeepseek3Main}},
      {Kind::SPARK2_5, "SPARK2_5", {R"(\p{N}{1,3})", kCjkKana, kSparkMain, R"(\p{N})"}},
      {Kind::YOUTU, "YOUTU", {kYoutuCjk, kYoutuMain}},
      {Kind::DEEPSEEK_CODER,
       "DEEPSEEK_CODER",
       {R"([\r\n])", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kDeepseekCjk, R"(\p{N})"}},
      {Kind::FALCON, "FALCON", {R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2, R"([0-9][0-9][0-9])"}},
      {Kind::STARCODER, "STARCODER", {R"(\p{N})", kGpt2}},
      {Kind::GPT2, "GPT2", {kGpt2}},
      {Kind::QWEN2, "QWEN2", {kQwen2}},
      {Kind::QWEN35, "QWEN35", {kQwen35}},
      {Kind::BLOOM, "BLOOM", {kBloom}},
      {Kind::CHATGLM4, "CHATGLM4", {kLlama3}},
      {Kind::VIKING, "VIKING", {kBloom, R"(\p{N})"}},
      {Kind::TEKKEN, "TEKKEN", {kTekken}},
      {Kind::CHAMELEON,
       "CHAMELEON",
       {R"(<sentinel:[0-9]+>)", R"((IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z)", R"(([\t\n]|    |  ))",
        R"(\p{N})", R"([\p{P}!-/:-@\[-`{-~])", kGpt2}},
      {Kind::GPT4O, "GPT4O", {kGpt4o}},
      {Kind::GRANITE_EMB_MULTI, "GRANITE_EMB_MULTI", {kGraniteEmbMulti}},
      {Kind::TINY_AYA, "TINY_AYA", {R"(\d{1,3}(?=(?:\d{3})*\b))", kTinyAyaMain}},
      {Kind::BAILINGMOE, "BAILINGMOE", {kBailing}},
      {Kind::SEED_CODER, "SEED_CODER", {kSeedCoder}},
      {Kind::UFAKZEKA, "UFAKZEKA", {kUfakzeka}},
      {Kind::GROK_2, "GROK_2", {kQwen2}},
      {Kind::LAGUNA, "LAGUNA", {R"([^\n]+|[\n]+)", kQwen2}},
      {Kind::EXAONE_MOE, "EXAONE_MOE", {kExaoneMoe}},
      {Kind::MINICPM5, "MINICPM5", {R"(\p{N}{1,3})", kMiniCpm5}},
  };
  return rows;
}

// What a name sets besides its kind (llama.cpp's loader, per name).
enum Flag : unsigned {
  IGNORE_MERGES = 1,  // ignore_merges = true
  ADD_BOS = 2,        // add_bos defaults to true
  KEEP_SPACES = 4,    // clean_spaces = false
  NO_BOS_ID = 8,      // the default bos id is cleared
};

struct NameRow {
  std::string_view name;
  Kind kind;
  unsigned flags;
};

// One row per tokenizer.ggml.pre value llama.cpp's loader accepts for BPE vocabularies.
constexpr NameRow kNames[] = {
    {"default", Kind::DEFAULT, 0},
    {"llama3", Kind::LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"llama-v3", Kind::LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"llama-bpe", Kind::LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"falcon3", Kind::LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"falcon-h1", Kind::LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"pixtral", Kind::LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"midm-2.0", Kind::LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"lfm2", Kind::LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"jina-v5-nano", Kind::LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"dbrx", Kind::LLAMA3, 0},
    {"smaug-bpe", Kind::LLAMA3, 0},
    {"minicpm5", Kind::MINICPM5, IGNORE_MERGES},
    {"deepseek-llm", Kind::DEEPSEEK_LLM, KEEP_SPACES},
    {"deepseek-coder", Kind::DEEPSEEK_CODER, KEEP_SPACES},
    {"deepseek-v3", Kind::DEEPSEEK3_LLM, KEEP_SPACES},
    {"hunyuan-dense", Kind::DEEPSEEK3_LLM, KEEP_SPACES},
    {"hy_v4", Kind::DEEPSEEK3_LLM, KEEP_SPACES},
    {"joyai-llm", Kind::DEEPSEEK3_LLM, KEEP_SPACES},
    {"spark2_5", Kind::SPARK2_5, KEEP_SPACES},
    {"youtu", Kind::YOUTU, KEEP_SPACES | IGNORE_MERGES},
    {"falcon", Kind::FALCON, 0},
    {"mpt", Kind::GPT2, 0},
    {"starcoder", Kind::STARCODER, 0},
    {"refact", Kind::STARCODER, 0},
    {"command-r", Kind::STARCODER, KEEP_SPACES},
    {"smollm", Kind::STARCODER, KEEP_SPACES},
    {"codeshell", Kind::STARCODER, 0},
    {"exaone", Kind::STARCODER, 0},
    {"minerva-7b", Kind::STARCODER, 0},
    {"mellum2", Kind::STARCODER, 0},
    {"gpt-2", Kind::GPT2, 0},
    {"phi-2", Kind::GPT2, 0},
    {"jina-es", Kind::GPT2, 0},
    {"jina-de", Kind::GPT2, 0},
    {"gigachat", Kind::GPT2, 0},
    {"jina-v2-es", Kind::GPT2, 0},
    {"jina-v2-de", Kind::GPT2, 0},
    {"a.x-4.0", Kind::GPT2, 0},
    {"mellum", Kind::GPT2, 0},
    {"modern-bert", Kind::GPT2, 0},
    {"jina-v1-en", Kind::GPT2, 0},
    {"jina-v2-code", Kind::GPT2, 0},
    {"roberta-bpe", Kind::GPT2, 0},
    {"olmo", Kind::GPT2, 0},
    {"jais", Kind::GPT2, 0},
    {"exaone4", Kind::GPT2, 0},
    {"trillion", Kind::GPT2, KEEP_SPACES},
    {"granite-docling", Kind::GPT2, KEEP_SPACES},
    {"jais-2", Kind::JAIS2, 0},
    {"qwen2", Kind::QWEN2, KEEP_SPACES},
    {"deepseek-r1-qwen", Kind::QWEN2, KEEP_SPACES},
    {"kormo", Kind::QWEN2, KEEP_SPACES},
    {"f2llmv2", Kind::QWEN2, KEEP_SPACES},
    {"megrez", Kind::QWEN2, 0},
    {"stablelm2", Kind::QWEN2, 0},
    {"hunyuan", Kind::QWEN2, KEEP_SPACES},
    {"solar-open", Kind::QWEN2, KEEP_SPACES},
    {"qwen35", Kind::QWEN35, KEEP_SPACES},
    {"poro-chat", Kind::BLOOM, KEEP_SPACES},
    {"bloom", Kind::BLOOM, 0},
    {"gpt3-finnish", Kind::BLOOM, 0},
    {"glm4", Kind::CHATGLM4, NO_BOS_ID},
    {"chatglm-bpe", Kind::CHATGLM4, NO_BOS_ID},
    {"viking", Kind::VIKING, KEEP_SPACES},
    {"tekken", Kind::TEKKEN, KEEP_SPACES | IGNORE_MERGES | ADD_BOS},
    {"chameleon", Kind::CHAMELEON, ADD_BOS | KEEP_SPACES},
    {"gpt-4o", Kind::GPT4O, KEEP_SPACES},
    {"llama4", Kind::GPT4O, KEEP_SPACES},
    {"kanana2", Kind::GPT4O, KEEP_SPACES},
    {"talkie", Kind::GPT4O, KEEP_SPACES},
    {"minimax-m2", Kind::GPT4O, KEEP_SPACES},
    {"granite-embed-multi-97m", Kind::GRANITE_EMB_MULTI, KEEP_SPACES | IGNORE_MERGES},
    {"tiny_aya", Kind::TINY_AYA, KEEP_SPACES},
    {"cohere2moe", Kind::TINY_AYA, KEEP_SPACES},
    {"bailingmoe", Kind::BAILINGMOE, KEEP_SPACES},
    {"bailingmoe2", Kind::BAILINGMOE, KEEP_SPACES},
    {"llada-moe", Kind::BAILINGMOE, KEEP_SPACES},
    {"seed-coder", Kind::SEED_CODER, KEEP_SPACES},
    {"ufakzeka", Kind::UFAKZEKA, KEEP_SPACES},
    {"grok-2", Kind::GROK_2, KEEP_SPACES},
    {"laguna", Kind::LAGUNA, KEEP_SPACES},
    {"exaone-moe", Kind::EXAONE_MOE, 0},
};

const KindRow& kind_row(Kind k) {
  for (const auto& r : kinds())
    if (r.kind == k) return r;
  return kinds().front();  // unreachable: every Kind has a row (checked by the tests)
}

}  // namespace

std::optional<GgufPre> find_gguf_pre(std::string_view name) {
  for (const NameRow& n : kNames) {
    if (n.name != name) continue;
    const KindRow& k = kind_row(n.kind);
    GgufPre out;
    out.name = n.name;
    out.split_kind = k.name;
    out.patterns = k.patterns;
    out.ignore_merges = (n.flags & IGNORE_MERGES) != 0;
    out.add_bos = (n.flags & ADD_BOS) != 0;
    out.clean_spaces = (n.flags & KEEP_SPACES) == 0;
    out.default_bos = (n.flags & NO_BOS_ID) == 0;
    return out;
  }
  return std::nullopt;
}

std::vector<std::string_view> gguf_pre_names() {
  std::vector<std::string_view> out;
  for (const NameRow& n : kNames) out.push_back(n.name);
  return out;
}

std::unique_ptr<PreTokenizer> make_gguf_pre_tokenizer(std::string_view pre_name) {
  const auto row = find_gguf_pre(pre_name);
  if (!row) return nullptr;
  std::vector<std::unique_ptr<PreTokenizer>> parts;
  for (std::string_view p : row->patterns) parts.push_back(make_regex_split(p));
  parts.push_back(make_byte_level(false, false));  // the byte alphabet only, no second regex
  return make_sequence_pre_tokenizer(std::move(parts));
}

}  // namespace mwt::detail::tok
