// The split machinery every pre-tokenizer shares (HF's NormalizedString::split and its
// SplitDelimiterBehavior) and the adapter between the streaming and the list interfaces.
#include <algorithm>

#include "core/error.hpp"
#include "tokenizer/pre_tokenizers.hpp"

namespace mwt::detail::tok {
namespace {

struct Run {
  size_t s, e;
  bool match;
};

// Collects streamed pieces back into Piece records for the list interface.
class Collector final : public PieceSink {
 public:
  Collector(std::vector<Piece>& out, const Piece& parent) : out_(out), parent_(parent) {}
  void piece(std::string_view text, size_t begin) override {
    Piece p;
    p.text = std::string(text);
    p.begin = std::clamp(begin, parent_.begin, parent_.end);
    p.end = std::min(p.begin + text.size(), parent_.end);
    out_.push_back(std::move(p));
  }

 private:
  std::vector<Piece>& out_;
  const Piece& parent_;
};

}  // namespace

void StreamPreTokenizer::split(std::vector<Piece>& pieces) const {
  std::vector<Piece> out;
  out.reserve(pieces.size());
  for (Piece& p : pieces) {
    if (p.added >= 0) {
      out.push_back(std::move(p));
      continue;
    }
    Collector c(out, p);
    stream(p.text, p.begin, c);
  }
  pieces.swap(out);
}

void stream_any(const PreTokenizer& pre, std::string_view text, size_t begin, PieceSink& sink) {
  if (const auto* s = dynamic_cast<const StreamPreTokenizer*>(&pre)) {
    s->stream(text, begin, sink);
    return;
  }
  std::vector<Piece> pieces(1);
  pieces[0].text = std::string(text);
  pieces[0].begin = begin;
  pieces[0].end = begin + text.size();
  pre.split(pieces);
  for (const Piece& p : pieces) {
    if (p.added >= 0) {
      fail(Code::ARGUMENT, "a pre-tokenizer produced an added-token piece from plain text");
    }
    if (!p.text.empty()) sink.piece(p.text, p.begin);
  }
}

void emit_splits(std::string_view text, size_t begin, const Matches& matches,
                 SplitBehavior behavior, bool invert, PieceSink& sink) {
  if (text.empty()) return;
  if (behavior == SplitBehavior::Isolated) {  // everything kept, nothing merged: no lists
    size_t prev = 0;
    for (const auto& [s, e] : matches) {
      if (prev != s) sink.piece(text.substr(prev, s - prev), begin + prev);
      if (e > s) sink.piece(text.substr(s, e - s), begin + s);
      prev = e;
    }
    if (prev != text.size()) sink.piece(text.substr(prev), begin + prev);
    return;
  }
  // The runs: matches and the gaps between them, covering the text.
  Scratch<std::vector<Run>> runs;
  size_t prev = 0;
  for (const auto& [s, e] : matches) {
    if (prev != s) runs->push_back({prev, s, invert});
    runs->push_back({s, e, !invert});
    prev = e;
  }
  if (prev != text.size()) runs->push_back({prev, text.size(), invert});

  // What each behaviour keeps and merges, as HF's fold over the runs does it.
  Scratch<Matches> keep;
  bool prev_match = false;
  switch (behavior) {
    case SplitBehavior::Isolated:
      for (const Run& r : *runs) keep->emplace_back(r.s, r.e);
      break;
    case SplitBehavior::Removed:
      for (const Run& r : *runs) {
        if (!r.match) keep->emplace_back(r.s, r.e);
      }
      break;
    case SplitBehavior::Contiguous:
      for (const Run& r : *runs) {
        if (r.match == prev_match && !keep->empty()) {
          keep->back().second = r.e;
        } else {
          keep->emplace_back(r.s, r.e);
        }
        prev_match = r.match;
      }
      break;
    case SplitBehavior::MergedWithPrevious:
      for (const Run& r : *runs) {
        if (r.match && !prev_match && !keep->empty()) {
          keep->back().second = r.e;
        } else {
          keep->emplace_back(r.s, r.e);
        }
        prev_match = r.match;
      }
      break;
    case SplitBehavior::MergedWithNext:
      for (size_t i = runs->size(); i-- > 0;) {
        const Run& r = (*runs)[i];
        if (r.match && !prev_match && !keep->empty()) {
          keep->back().first = r.s;
        } else {
          keep->emplace_back(r.s, r.e);
        }
        prev_match = r.match;
      }
      std::reverse(keep->begin(), keep->end());
      break;
  }
  for (const auto& [s, e] : *keep) {
    if (e > s) sink.piece(text.substr(s, e - s), begin + s);
  }
}

}  // namespace mwt::detail::tok
