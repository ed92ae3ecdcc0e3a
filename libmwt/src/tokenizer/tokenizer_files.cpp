// Opening a tokenizer from a path (tokenizer_files.hpp): what a path names is decided by what
// it is (directory or file) and by its name (*.json, *.model; anything else is a weight file,
// sniffed by content). Files are read whole, each under its size cap, after an fstat that
// refuses non-regular files.
#include "tokenizer/tokenizer_files.hpp"

#include <filesystem>
#include <system_error>
#include <vector>

#include "core/error.hpp"
#include "core/mapped_file.hpp"
#include "formats/open.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/gguf_tokenizer.hpp"
#include "tokenizer/sentencepiece_model.hpp"

namespace mwt::detail::tok {
namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix.data(), suffix.size()) == 0;
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// The file's bytes when it exists, "" otherwise (the optional files of a tokenizer directory).
std::string read_optional(const fs::path& p, uint64_t cap) {
  return is_file(p) ? read_capped_file(p.string(), cap) : std::string();
}

std::unique_ptr<Tokenizer> from_json_file(const fs::path& json_path) {
  const std::string json = read_capped_file(json_path.string(), kMaxTokenizerJsonBytes);
  const fs::path dir = json_path.parent_path();
  const std::string config = read_optional(dir / "tokenizer_config.json", kMaxTokenizerConfigBytes);
  const std::string special =
      read_optional(dir / "special_tokens_map.json", kMaxTokenizerConfigBytes);
  return load_tokenizer_json(json, config, special);
}

std::unique_ptr<Tokenizer> from_model_file(const fs::path& model_path) {
  const std::string bytes = read_capped_file(model_path.string(), kMaxSentencePieceBytes);
  auto tok = load_sentencepiece_model(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  // SentencePiece's own encode adds nothing. With add_special_tokens a .model's tokenizer adds
  // what llama.cpp adds for its vocabulary type (and transformers' LLaMA / T5 tokenizers do):
  // BOS for a BPE model, EOS for a Unigram one, when the model has that piece.
  const std::string_view type = tok->model->type();
  tok->info.add_bos = type == "BPE" && tok->special.bos >= 0;
  tok->info.add_eos = type == "Unigram" && tok->special.eos >= 0;
  // A .model holds no chat template or add flags; transformers keeps them in
  // tokenizer_config.json beside it (add_bos_token / add_eos_token override the defaults).
  const fs::path config_path = model_path.parent_path() / "tokenizer_config.json";
  if (is_file(config_path)) {
    const std::string config = read_capped_file(config_path.string(), kMaxTokenizerConfigBytes);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(config).get(root) == simdjson::SUCCESS) {
      std::string_view tmpl;
      bool flag = false;
      if (root["chat_template"].get(tmpl) == simdjson::SUCCESS)
        tok->info.chat_template = std::string(tmpl);
      if (root["add_bos_token"].get(flag) == simdjson::SUCCESS)
        tok->info.add_bos = flag && tok->special.bos >= 0;
      if (root["add_eos_token"].get(flag) == simdjson::SUCCESS)
        tok->info.add_eos = flag && tok->special.eos >= 0;
    }
  }
  return tok;
}

// The tokenizer files of a directory, in HF's order of preference; nullptr when it has none.
std::unique_ptr<Tokenizer> from_directory(const fs::path& dir) {
  if (is_file(dir / "tokenizer.json")) return from_json_file(dir / "tokenizer.json");
  if (is_file(dir / "tokenizer.model")) return from_model_file(dir / "tokenizer.model");
  return nullptr;
}

[[noreturn]] void no_tokenizer(const fs::path& dir, const std::string& what) {
  fail(Code::IO, what + ": no tokenizer.json or tokenizer.model in '" +
                     escape_for_message(dir.string(), 512) + "'");
}

}  // namespace

std::string read_capped_file(const std::string& path, uint64_t cap) {
  const auto file = MappedFile::open_deferred(path);  // IO for missing and non-regular files
  if (file->size() > cap)
    fail(Code::LIMIT_EXCEEDED, "'" + escape_for_message(path, 512) + "' holds " +
                                   std::to_string(file->size()) + " bytes, more than the " +
                                   std::to_string(cap) + " a tokenizer file may have");
  std::vector<uint8_t> bytes = file->read(0, file->size());
  return std::string(bytes.begin(), bytes.end());
}

std::unique_ptr<Tokenizer> tokenizer_from_weight_file(const WeightFile& wf) {
  if (has_gguf_tokenizer(wf)) return load_gguf_tokenizer(wf);
  if (wf.files.empty() || !wf.files[0]) fail(Code::ARGUMENT, "the weight file has no files");
  const fs::path dir = fs::path(wf.files[0]->path()).parent_path();
  if (auto tok = from_directory(dir.empty() ? fs::path(".") : dir)) return tok;
  if (wf.format == Format::GGUF)
    fail(Code::BAD_SYNTAX,
         "the GGUF file has no tokenizer, and no tokenizer.json or tokenizer.model is beside it",
         kNoOffset, "kv[\"tokenizer.ggml.model\"]");
  no_tokenizer(dir, std::string(format_name(wf.format)) + " weights");
}

std::unique_ptr<Tokenizer> open_tokenizer(const std::string& path, const OpenOptions& opts) {
  std::error_code ec;
  const fs::path p(path);
  if (fs::is_directory(p, ec)) {
    if (auto tok = from_directory(p)) return tok;
    // A directory holding one GGUF file and nothing else that names a tokenizer: its keys.
    std::vector<fs::path> ggufs;
    for (fs::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec))
      if (ends_with(it->path().filename().string(), ".gguf") && is_file(it->path()))
        ggufs.push_back(it->path());
    if (ggufs.size() == 1) return open_tokenizer(ggufs[0].string(), opts);
    no_tokenizer(p, "a directory");
  }
  const std::string name = p.filename().string();
  if (ends_with(name, ".json") && !ends_with(name, ".index.json")) return from_json_file(p);
  if (ends_with(name, ".model")) return from_model_file(p);
  const auto wf = open_weight_file(path, opts);
  return tokenizer_from_weight_file(*wf);
}

}  // namespace mwt::detail::tok
