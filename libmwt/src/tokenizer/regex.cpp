// Regex over PCRE2 (8-bit, UTF + UCP + MULTILINE, JIT when the library has it). Patterns are
// tokenizer.json's Oniguruma dialect, rewritten first (regex_syntax.hpp); matches are iterated
// the way the Rust `onig` crate's find_iter does, which is what HF tokenizers uses.
// Invalid UTF-8 input is BAD_ENCODING, never undefined behaviour: docs/tokenizers-core.md#regex.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/regex.hpp"

#include <pcre2.h>

#include <string>

#include <simdjson.h>

#include "core/error.hpp"
#include "core/json_text.hpp"
#include "tokenizer/regex_syntax.hpp"

namespace mwt::detail::tok {
namespace {

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  const int n = pcre2_get_error_message(code, buf, sizeof buf);
  return n < 0 ? "PCRE2 error " + std::to_string(code) : std::string(reinterpret_cast<char*>(buf));
}

// Per-thread matching state, shared by every pattern: one ovector pair is all find_all reads
// (PCRE2 returns 0 instead of failing when captures do not fit), and the JIT stack grows to
// 4 MiB before a match falls back to the interpreter, whose heap use PCRE2 bounds itself.
struct ThreadMatch {
  pcre2_match_data* data = nullptr;
  pcre2_jit_stack* jit_stack = nullptr;
  pcre2_match_context* context = nullptr;
  ThreadMatch() {
    data = pcre2_match_data_create(1, nullptr);
    context = pcre2_match_context_create(nullptr);
    jit_stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, nullptr);
    if (!data || !context) throw std::bad_alloc();
    if (jit_stack) pcre2_jit_stack_assign(context, nullptr, jit_stack);
  }
  ~ThreadMatch() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(jit_stack);
  }
  ThreadMatch(const ThreadMatch&) = delete;
  ThreadMatch& operator=(const ThreadMatch&) = delete;
};

ThreadMatch& thread_match() {
  thread_local ThreadMatch t;
  return t;
}

size_t char_len_at(std::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  size_t n = 1;
  if (c >= 0xF0) {
    n = 4;
  } else if (c >= 0xE0) {
    n = 3;
  } else if (c >= 0xC0) {
    n = 2;
  }
  return i + n <= text.size() ? n : text.size() - i;
}

}  // namespace

struct Regex::Impl {
  pcre2_code* code = nullptr;
  bool jit = false;
  std::string pattern;  // as given, for messages
  ~Impl() { pcre2_code_free(code); }

  // One search from `start`; false when there is no match. Throws on PCRE2 failures.
  bool search(std::string_view text, size_t start, size_t& s, size_t& e) const {
    ThreadMatch& t = thread_match();
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    int rc;
    if (jit) {
      rc = pcre2_jit_match(code, subject, text.size(), start, 0, t.data, t.context);
      if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
        rc = pcre2_match(code, subject, text.size(), start, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT,
                         t.data, t.context);
      }
    } else {
      rc = pcre2_match(code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, t.data, t.context);
    }
    if (rc == PCRE2_ERROR_NOMATCH) return false;
    if (rc < 0) {
      const Code c = (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
                      rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_NOMEMORY)
                         ? Code::LIMIT_EXCEEDED
                         : Code::INTERNAL;
      fail(c, "regex \"" + escape_for_message(pattern) + "\" failed at text offset " +
                  std::to_string(start) + ": " + pcre2_message(rc));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(t.data);
    s = ov[0];
    e = ov[1];
    // \K in a lookahead can report a start after the end; treat the match as empty at its end.
    if (s > e) s = e;
    return true;
  }
};

Regex::Regex(std::string_view pattern) : impl_(std::make_unique<Impl>()) {
  impl_->pattern = std::string(pattern);
  const std::string translated = translate_onig_pattern(pattern);
  pcre2_compile_context* cc = pcre2_compile_context_create(nullptr);
  if (!cc) throw std::bad_alloc();
  pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
  int err = 0;
  PCRE2_SIZE err_at = 0;
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                              PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE, &err, &err_at, cc);
  pcre2_compile_context_free(cc);
  if (!impl_->code) {
    fail(Code::ARGUMENT, "regex \"" + escape_for_message(pattern) + "\" does not compile: " +
                             pcre2_message(err) + " at offset " + std::to_string(err_at) +
                             " of its PCRE2 form \"" + escape_for_message(translated) + "\"");
  }
  uint32_t have_jit = 0;
  pcre2_config(PCRE2_CONFIG_JIT, &have_jit);
  impl_->jit = have_jit && pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() = default;

void Regex::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
  if (!simdjson::validate_utf8(text.data(), text.size())) {
    const size_t at = find_invalid_utf8(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    fail(Code::BAD_ENCODING, "text given to regex \"" + escape_for_message(impl_->pattern) +
                                 "\" is not valid UTF-8 at byte " + std::to_string(at));
  }
  find_all_valid(text, out);
}

// The onig crate's iteration: an empty match right where the previous match ended is not
// reported; the search then restarts one character further on.
void Regex::find_all_valid(std::string_view text,
                           std::vector<std::pair<size_t, size_t>>& out) const {
  size_t pos = 0;
  bool have_last = false;
  size_t last_end = 0;
  while (pos <= text.size()) {
    size_t s = 0;
    size_t e = 0;
    if (!impl_->search(text, pos, s, e)) break;
    if (s == e && have_last && last_end == e) {
      pos += pos < text.size() ? char_len_at(text, pos) : 1;
      continue;
    }
    out.emplace_back(s, e);
    pos = e;
    last_end = e;
    have_last = true;
  }
}

bool Regex::uses_jit() const { return impl_->jit; }

}  // namespace mwt::detail::tok
