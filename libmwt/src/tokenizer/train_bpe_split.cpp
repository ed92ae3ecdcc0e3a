// The trainer's pre-tokenization: GPT-2's byte -> character table and its split pattern over
// PCRE2 (JIT), kept inside the trainer so it does not depend on the encoder's pre-tokenizers.
// Facts: docs/tokenizers-train.md#pre-tokenization.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>
#include <memory>

#include "core/error.hpp"
#include "tokenizer/train_bpe.hpp"

namespace mwt::detail::tok::train {
namespace {

// Byte b maps to itself when it is printable Latin-1 ('!'..'~', U+00A1..U+00AC,
// U+00AE..U+00FF); the other 68 bytes map, in increasing order, to U+0100, U+0101, ...
struct ByteTable {
  std::array<std::array<char, 3>, 256> utf8{};  // NUL-padded UTF-8 of each byte's character
  std::array<uint8_t, 256> len{};
  std::array<int16_t, 512> byte_of{};  // code point (< 512) -> byte, -1 for none
  ByteTable() {
    byte_of.fill(-1);
    unsigned next = 256;
    for (unsigned b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      const unsigned cp = printable ? b : next++;
      byte_of[cp] = static_cast<int16_t>(b);
      if (cp < 0x80) {
        utf8[b][0] = static_cast<char>(cp);
        len[b] = 1;
      } else {
        utf8[b][0] = static_cast<char>(0xC0 | (cp >> 6));
        utf8[b][1] = static_cast<char>(0x80 | (cp & 0x3F));
        len[b] = 2;
      }
    }
  }
};

const ByteTable& table() {
  static const ByteTable t;
  return t;
}

// GPT-2's pattern with `\s` written out as Unicode White_Space (Oniguruma's \s): tab..CR,
// space, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
#define MWT_WS                                                                \
  "\\t\\n\\x0B\\f\\r\\x20\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}" \
  "\\x{2029}\\x{202F}\\x{205F}\\x{3000}"
constexpr const char* kPattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" MWT_WS
                                 "\\p{L}\\p{N}]+|[" MWT_WS "]+(?![^" MWT_WS "])|[" MWT_WS "]+";
#undef MWT_WS

}  // namespace

std::string_view byte_level_char(uint8_t b) noexcept {
  const ByteTable& t = table();
  return {t.utf8[b].data(), t.len[b]};
}

std::string byte_level_string(std::string_view raw) {
  const ByteTable& t = table();
  std::string out;
  out.reserve(raw.size() * 2);
  for (const char c : raw) {
    const auto b = static_cast<uint8_t>(c);
    out.append(t.utf8[b].data(), t.len[b]);
  }
  return out;
}

int byte_of_byte_level_char(std::string_view c) noexcept {
  unsigned cp = 0;
  if (c.size() == 1 && static_cast<uint8_t>(c[0]) < 0x80) {
    cp = static_cast<uint8_t>(c[0]);
  } else if (c.size() == 2 && (static_cast<uint8_t>(c[0]) & 0xE0) == 0xC0 &&
             (static_cast<uint8_t>(c[1]) & 0xC0) == 0x80) {
    cp = ((static_cast<uint8_t>(c[0]) & 0x1Fu) << 6) | (static_cast<uint8_t>(c[1]) & 0x3Fu);
  } else {
    return -1;
  }
  return cp < 512 ? table().byte_of[cp] : -1;
}

struct Gpt2Splitter::Impl {
  pcre2_code* code = nullptr;
  bool jit = false;
};

namespace {

// Match data and a JIT stack for one thread, re-made when the thread meets another splitter.
// A 1 MiB JIT stack: the pattern's repeats are single-character classes, which need no stack
// per repetition, so this holds for lines of any length.
struct ThreadMatch {
  const void* owner = nullptr;
  pcre2_match_data* md = nullptr;
  pcre2_match_context* mc = nullptr;
  pcre2_jit_stack* stack = nullptr;
  ThreadMatch() = default;
  ThreadMatch(const ThreadMatch&) = delete;
  ThreadMatch& operator=(const ThreadMatch&) = delete;
  ~ThreadMatch() { release(); }
  void release() {
    pcre2_match_data_free(md);
    pcre2_match_context_free(mc);
    pcre2_jit_stack_free(stack);
    md = nullptr;
    mc = nullptr;
    stack = nullptr;
    owner = nullptr;
  }
};

ThreadMatch& thread_match(const void* owner, pcre2_code* code, bool jit) {
  thread_local ThreadMatch tm;
  if (tm.owner != owner) {
    tm.release();
    tm.md = pcre2_match_data_create_from_pattern(code, nullptr);
    tm.mc = pcre2_match_context_create(nullptr);
    if (tm.md == nullptr || tm.mc == nullptr) throw std::bad_alloc();
    if (jit) {
      tm.stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, nullptr);
      if (tm.stack == nullptr) throw std::bad_alloc();
      pcre2_jit_stack_assign(tm.mc, nullptr, tm.stack);
    }
    tm.owner = owner;
  }
  return tm;
}

}  // namespace

Gpt2Splitter::Gpt2Splitter() : impl_(new Impl) {
  int err = 0;
  PCRE2_SIZE at = 0;
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kPattern), PCRE2_ZERO_TERMINATED,
                              PCRE2_UTF, &err, &at, nullptr);
  if (impl_->code == nullptr) {
    std::array<PCRE2_UCHAR, 256> msg{};
    pcre2_get_error_message(err, msg.data(), msg.size());
    delete impl_;
    fail(Code::INTERNAL, std::string("GPT-2 split pattern does not compile at ") +
                             std::to_string(at) + ": " + reinterpret_cast<const char*>(msg.data()));
  }
  impl_->jit = pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE) == 0;
}

Gpt2Splitter::~Gpt2Splitter() {
  pcre2_code_free(impl_->code);
  delete impl_;
}

void Gpt2Splitter::split(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
  ThreadMatch& tm = thread_match(this, impl_->code, impl_->jit);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  const size_t n = text.size();
  size_t pos = 0;
  while (pos < n) {
    const int rc =
        impl_->jit ? pcre2_jit_match(impl_->code, subject, n, pos, PCRE2_NO_UTF_CHECK, tm.md, tm.mc)
                   : pcre2_match(impl_->code, subject, n, pos, PCRE2_NO_UTF_CHECK, tm.md, tm.mc);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      std::array<PCRE2_UCHAR, 256> msg{};
      pcre2_get_error_message(rc, msg.data(), msg.size());
      fail(Code::INTERNAL,
           std::string("GPT-2 split failed: ") + reinterpret_cast<const char*>(msg.data()), pos);
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(tm.md);
    const size_t b = ov[0], e = ov[1];
    if (b > pos) out.emplace_back(pos, b);  // an unmatched gap is a piece too (HF Isolated)
    if (e == b) {  // no alternative matches empty; step one character if one ever did
      size_t next = e + 1;
      while (next < n && (static_cast<uint8_t>(text[next]) & 0xC0) == 0x80) ++next;
      out.emplace_back(e, next);
      pos = next;
      continue;
    }
    out.emplace_back(b, e);
    pos = e;
  }
  if (pos < n) out.emplace_back(pos, n);
}

void Gpt2Splitter::split(std::string_view text,
                         const std::function<void(size_t, size_t)>& fn) const {
  std::vector<std::pair<size_t, size_t>> pieces;
  split(text, pieces);
  for (const auto& [b, e] : pieces) fn(b, e);
}

}  // namespace mwt::detail::tok::train
