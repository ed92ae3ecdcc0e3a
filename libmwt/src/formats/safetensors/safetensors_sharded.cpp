// read_safetensors_sharded: a *.safetensors.index.json (or a directory holding one, or holding
// bare *.safetensors shards) presented as one tensor table. The index and the shards must agree
// exactly; shard paths may not leave the model directory.
#include <algorithm>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "core/error.hpp"
#include "core/json_document.hpp"
#include "core/json_text.hpp"
#include "formats/open.hpp"
#include "formats/safetensors/safetensors_header.hpp"
#include "formats/safetensors/safetensors_shards.hpp"

namespace mwt::detail {
namespace {

namespace fs = std::filesystem;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Sorted names of the non-hidden *.safetensors entries of `dir`; empty if it cannot be listed
// (the caller only reads ahead with them).
std::vector<std::string> list_shard_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string fname = entry.path().filename().string();
    if (ends_with(fname, ".safetensors") && fname.front() != '.') out.push_back(fname);
  }
  if (ec) return {};
  std::sort(out.begin(), out.end());
  return out;
}

// Stable copies of many short strings, in 64 KiB chunks: one allocation per chunk instead of
// one per string, and views that stay valid however the owner is moved.
class StringArena {
 public:
  std::string_view add(std::string_view s) {
    if (s.empty()) return {};
    if (s.size() > room_) {
      const size_t cap = std::max<size_t>(s.size(), 64 * 1024);
      chunks_.emplace_back(new char[cap]);
      next_ = chunks_.back().get();
      room_ = cap;
    }
    std::memcpy(next_, s.data(), s.size());
    const std::string_view v(next_, s.size());
    next_ += s.size();
    room_ -= s.size();
    return v;
  }

 private:
  std::vector<std::unique_ptr<char[]>> chunks_;
  char* next_ = nullptr;
  size_t room_ = 0;
};

struct IndexEntry {
  std::string_view tensor;   // in Index::names
  const std::string* shard;  // an element of Index::shards
  uint64_t offset;           // of the tensor's key in the index file
};

struct Index {
  std::vector<std::pair<std::string, std::string>>
      metadata;  // key, value (JSON text unless a string)
  StringArena names;
  // Each distinct shard name once, in order of first appearance with the offset of the first
  // entry naming it. A deque: elements never move, also when the Index is moved.
  std::deque<std::pair<std::string, uint64_t>> shards;
  std::vector<IndexEntry> weight_map;
  std::unordered_map<std::string_view, uint32_t> by_name;  // tensor -> weight_map position

  // The stored copy of shard name `s` (entries come grouped by shard: the last one is checked
  // first, the lookup table only when the shard changes).
  const std::string* intern_shard(std::string_view s, uint64_t at) {
    if (!shards.empty() && shards.back().first == s) return &shards.back().first;
    auto it = shard_lookup.find(s);
    if (it != shard_lookup.end()) return it->second;
    const std::string* stored = &shards.emplace_back(std::string(s), at).first;
    shard_lookup.emplace(*stored, stored);
    return stored;
  }

 private:
  std::unordered_map<std::string_view, const std::string*> shard_lookup;
};

// The index's "metadata" object: strings decoded, any other value kept as its JSON text
// (numbers such as total_size stay exactly as written).
void parse_index_metadata(od::value v, JsonDocument& doc, const MappedFile& f, Index& out) {
  const std::string field = "index.metadata";
  od::object obj;
  if (auto e = v.get_object().get(obj))
    doc.fail_json(e, doc.offset_of(v), field, "\"metadata\" must be a JSON object");
  std::unordered_set<std::string_view> keys;
  for (auto fr : obj) {
    od::field fld = next_field(std::move(fr), doc, doc.offset_of(v), field);
    const uint64_t kat = doc.key_offset(fld);
    const std::string_view key = field_key(fld, doc, field);
    const std::string kfield = field + "[\"" + escape_for_message(key) + "\"]";
    if (!keys.insert(key).second) fail(Code::DUPLICATE, "metadata key appears twice", kat, kfield);
    od::value val = fld.value();
    const uint64_t vat = doc.offset_of(val);
    od::json_type t;
    if (auto e = val.type().get(t)) doc.fail_json(e, vat, kfield, "malformed JSON value");
    std::string text;
    if (t == od::json_type::string) {
      text = std::string(get_json_string(val, doc, kfield, "value"));
    } else if (t == od::json_type::array || t == od::json_type::object) {
      const size_t end =
          skip_json_container(f.data(), f.size(), vat, UINT64_MAX, 0, kfield.c_str());
      text.assign(reinterpret_cast<const char*>(f.data()) + vat, end - vat);
      validate_json_value(val, doc, kMaxJsonRecursion, kfield);
    } else {
      text = std::string(token_of(val));
      validate_json_value(val, doc, kMaxJsonRecursion, kfield);
    }
    out.metadata.emplace_back(std::string(key), std::move(text));
  }
}

Index parse_index(const MappedFile& f, const OpenOptions& opts) {
  if (f.size() > opts.max_header)
    fail(Code::HEADER_TOO_LARGE,
         "index of " + std::to_string(f.size()) + " bytes exceeds limits.max_header (" +
             std::to_string(opts.max_header) + ")",
         0, "index");
  require_utf8(f.data(), f.size(), 0, "index");
  const JsonExtent ext = scan_json_object(f.data(), f.size(), opts.max_json_depth, 0, "index");
  JsonDocument doc(f.data() + ext.begin, ext.end - ext.begin, ext.begin, opts.max_json_depth,
                   "index");
  Index idx;
  bool have_metadata = false, have_map = false;
  for (auto fr : doc.root()) {
    od::field fld = next_field(std::move(fr), doc, ext.begin, "index");
    const uint64_t kat = doc.key_offset(fld);
    const std::string_view key = field_key(fld, doc, "index");
    if (key == "metadata") {
      if (have_metadata) fail(Code::DUPLICATE, "\"metadata\" appears twice", kat, "index.metadata");
      have_metadata = true;
      parse_index_metadata(fld.value(), doc, f, idx);
    } else if (key == "weight_map") {
      if (have_map) fail(Code::DUPLICATE, "\"weight_map\" appears twice", kat, "index.weight_map");
      have_map = true;
      od::value mv = fld.value();
      od::object map;
      if (auto e = mv.get_object().get(map))
        doc.fail_json(e, doc.offset_of(mv), "index.weight_map",
                      "\"weight_map\" must be a JSON object");
      for (auto er : map) {
        od::field ent = next_field(std::move(er), doc, kat, "index.weight_map");
        const uint64_t tat = doc.key_offset(ent);
        const std::string_view name = field_key(ent, doc, "index.weight_map");
        auto tfield = [&] { return "index.weight_map[\"" + escape_for_message(name) + "\"]"; };
        if (idx.by_name.count(name))
          fail(Code::DUPLICATE, "tensor listed twice in the index", tat, tfield());
        if (idx.weight_map.size() >= opts.max_tensors)
          fail(Code::LIMIT_EXCEEDED,
               "more than limits.max_tensors (" + std::to_string(opts.max_tensors) +
                   ") tensors in the index",
               tat, tfield());
        od::value sv = ent.value();
        const std::string_view stored = idx.names.add(name);
        idx.by_name.emplace(stored, static_cast<uint32_t>(idx.weight_map.size()));
        const std::string_view shard = get_json_string(sv, doc, tfield, "a shard file name");
        idx.weight_map.push_back({stored, idx.intern_shard(shard, tat), tat});
      }
    } else {
      // Tools add their own keys; they carry nothing mwt reads, so they are checked and named.
      const std::string ufield = "index." + escape_for_message(key);
      validate_json_value(fld.value(), doc, kMaxJsonRecursion, ufield);
    }
  }
  if (!have_map) fail(Code::BAD_SYNTAX, "the index has no \"weight_map\"", ext.begin, "index");
  return idx;
}

// Every shard of `names` read, one result per name in order. `guessed`, when given, is a pool
// that has been reading the directory's *.safetensors files while the index was parsed: its
// results for files the index names are used; any it failed on is read again here (with the
// index offset its path errors should name), and its files the index does not name are dropped.
std::vector<ShardResult> read_all(const ModelDir& dir, const std::vector<std::string>& names,
                                  const std::vector<uint64_t>& ats, const OpenOptions& opts,
                                  ShardPool* guessed) {
  std::vector<ShardResult> out(names.size());
  std::vector<std::string> rest_names;
  std::vector<uint64_t> rest_ats;
  std::vector<size_t> rest_pos;
  std::vector<ShardResult> early = guessed ? guessed->finish() : std::vector<ShardResult>();
  const std::vector<std::string> no_guesses;
  const std::vector<std::string>& g = guessed ? guessed->names() : no_guesses;  // sorted
  for (size_t i = 0; i < names.size(); ++i) {
    const auto it = std::lower_bound(g.begin(), g.end(), names[i]);
    const size_t j = static_cast<size_t>(it - g.begin());
    if (it != g.end() && *it == names[i] && early[j].wf) {
      out[i] = std::move(early[j]);
      continue;
    }
    rest_names.push_back(names[i]);
    rest_ats.push_back(ats[i]);
    rest_pos.push_back(i);
  }
  if (!rest_names.empty()) {
    const unsigned readers = shard_reader_count(rest_names.size());
    ShardPool pool(dir, std::move(rest_names), std::move(rest_ats), opts);
    pool.start(readers - 1);
    std::vector<ShardResult> rest = pool.finish();
    for (size_t k = 0; k < rest.size(); ++k) out[rest_pos[k]] = std::move(rest[k]);
  }
  return out;
}

// Opens every shard the index (or the directory listing) names, in sorted name order, and merges
// them into one WeightFile. With an index, the index and the shards must agree exactly.
std::unique_ptr<WeightFile> read_sharded_impl(const ModelDir& model_dir, const Index& idx,
                                              bool has_index, const OpenOptions& opts,
                                              ShardPool* guessed) {
  // Shard names, sorted; each with the offset of the first index entry naming it.
  std::vector<const std::pair<std::string, uint64_t>*> sorted;
  sorted.reserve(idx.shards.size());
  for (const auto& s : idx.shards) sorted.push_back(&s);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  if (sorted.size() > opts.max_shards)
    fail(Code::LIMIT_EXCEEDED,
         std::to_string(sorted.size()) + " shards exceed limits.max_shards (" +
             std::to_string(opts.max_shards) + ")",
         kNoOffset, "index.weight_map");
  if (has_index && sorted.empty())
    fail(Code::BAD_SYNTAX, "the index's weight_map is empty", kNoOffset, "index.weight_map");

  // Names are checked before any shard is opened; paths as each is opened.
  std::vector<std::string> names;
  std::vector<uint64_t> ats;
  for (const auto* s : sorted) {
    check_shard_name(s->first, s->second,
                     "index.weight_map[shard \"" + escape_for_message(s->first) + "\"]");
    names.push_back(s->first);
    ats.push_back(s->second);
  }
  std::vector<ShardResult> shards = read_all(model_dir, names, ats, opts, guessed);
  for (ShardResult& r : shards)
    if (r.error) std::rethrow_exception(r.error);

  // Where the index says each tensor lives (idx.by_name), and the shard each index entry was
  // found in (+1; 0 = not yet).
  std::vector<uint32_t> found_in(has_index ? idx.weight_map.size() : 0, 0);

  auto wf = std::make_unique<WeightFile>();
  wf->format = Format::SAFETENSORS_INDEX;
  for (const auto& [k, v] : idx.metadata) {
    MetaEntry m;
    m.key = wf->intern(k);
    m.value.type = ValueType::STRING;
    m.value.str = wf->intern(v);
    wf->metadata.push_back(std::move(m));
  }
  size_t total_tensors = 0;
  for (const ShardResult& r : shards) total_tensors += r.wf->tensors.size();
  if (total_tensors > opts.max_tensors)
    fail(Code::LIMIT_EXCEEDED,
         "more than limits.max_tensors (" + std::to_string(opts.max_tensors) +
             ") tensors over all shards (" + std::to_string(total_tensors) + ")",
         kNoOffset, "index.weight_map");

  // Without an index: tensor name -> shard, to find a tensor held by two shards (with one, the
  // index entries' found_in does that). The views point into the shard WeightFiles, which stay
  // put until the tensors are moved out below.
  std::unordered_map<std::string_view, uint32_t> owner;
  if (!has_index) owner.reserve(total_tensors);
  size_t matched = 0;
  std::unordered_map<std::string, std::string> shard_meta;  // __metadata__ merged over shards
  for (uint32_t si = 0; si < shards.size(); ++si) {
    const WeightFile& shard = *shards[si].wf;
    const std::string& name = names[si];
    if (si == 0) wf->data_offset = shard.data_offset;
    wf->total_size += shard.total_size;
    for (const std::string& w : shard.warnings)
      wf->warnings.push_back("shard " + shown(name) + ": " + w);
    for (const MetaEntry& m : shard.metadata) {
      const std::string key(m.key), value(m.value.str);
      auto [it, inserted] = shard_meta.emplace(key, value);
      if (!inserted) {
        if (it->second != value)
          wf->warnings.push_back("shard " + shown(name) + " has __metadata__[\"" +
                                 escape_for_message(key) + "\"] = \"" + escape_for_message(value) +
                                 "\", another shard \"" + escape_for_message(it->second) +
                                 "\"; the first is kept");
        continue;
      }
      bool in_index = false;
      for (const auto& im : idx.metadata) in_index = in_index || im.first == key;
      if (in_index) continue;  // the index's own metadata wins over a shard's
      MetaEntry e;
      e.key = wf->intern(key);
      e.value.type = ValueType::STRING;
      e.value.str = wf->intern(value);
      e.offset = m.offset;
      wf->metadata.push_back(std::move(e));
    }
    for (const TensorInfo& t : shard.tensors) {
      auto tfield = [&] { return "shard " + shown(name) + " " + st_tensor_field(t.name); };
      auto twice = [&](uint32_t other) {
        fail(Code::DUPLICATE,
             "tensor \"" + escape_for_message(t.name) + "\" is in shard " + shown(name) +
                 " and in shard " + shown(names[other]),
             t.offset, tfield());
      };
      if (!has_index) {
        auto [it, fresh] = owner.emplace(t.name, si);
        if (!fresh) twice(it->second);
        continue;
      }
      auto e = idx.by_name.find(t.name);
      if (e == idx.by_name.end())
        fail(Code::ARCHIVE_INCONSISTENT,
             "tensor \"" + escape_for_message(t.name) + "\" is in shard " + shown(name) +
                 " but not in the index's weight_map",
             t.offset, tfield());
      if (found_in[e->second] != 0) twice(found_in[e->second] - 1);
      found_in[e->second] = si + 1;
      ++matched;
      const IndexEntry& entry = idx.weight_map[e->second];
      if (*entry.shard != name)
        fail(Code::ARCHIVE_INCONSISTENT,
             "the index puts tensor \"" + escape_for_message(t.name) + "\" in " +
                 shown(*entry.shard) + " but it is in shard " + shown(name),
             entry.offset, "index.weight_map[\"" + escape_for_message(t.name) + "\"]");
    }
  }
  if (has_index && matched != idx.weight_map.size()) {
    for (size_t i = 0; i < idx.weight_map.size(); ++i)
      if (found_in[i] == 0) {
        const IndexEntry& e = idx.weight_map[i];
        fail(Code::ARCHIVE_INCONSISTENT,
             "the index lists tensor \"" + escape_for_message(e.tensor) + "\" in " +
                 shown(*e.shard) + " but that shard does not hold it",
             e.offset, "index.weight_map[\"" + escape_for_message(e.tensor) + "\"]");
      }
  }
  owner.clear();  // its views are about to move
  wf->tensors.reserve(total_tensors);
  for (uint32_t si = 0; si < shards.size(); ++si) {
    for (TensorInfo& t : shards[si].wf->tensors) {
      t.file_index = si;
      wf->tensors.push_back(std::move(t));
    }
    wf->files.push_back(shards[si].wf->files.at(0));
  }
  wf->build_index();
  return wf;
}

}  // namespace

std::unique_ptr<WeightFile> read_safetensors_sharded(const std::string& path,
                                                     const OpenOptions& opts) {
  std::error_code ec;
  const bool is_dir = fs::is_directory(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    fail(Code::IO, "cannot stat " + shown(path) + ": " + ec.message());
  std::string dir, index_path;
  std::vector<std::string> guesses;  // *.safetensors files beside the index, sorted
  if (is_dir) {
    dir = path;
    std::vector<std::string> indexes, shards;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const std::string fname = entry.path().filename().string();
      if (ends_with(fname, ".safetensors.index.json"))
        indexes.push_back(fname);
      else if (ends_with(fname, ".safetensors") && fname.front() != '.')
        shards.push_back(fname);
    }
    if (ec) fail(Code::IO, "cannot list directory " + shown(path) + ": " + ec.message());
    std::sort(indexes.begin(), indexes.end());
    if (std::find(indexes.begin(), indexes.end(), "model.safetensors.index.json") !=
        indexes.end()) {
      index_path = (fs::path(dir) / "model.safetensors.index.json").string();
    } else if (indexes.size() == 1) {
      index_path = (fs::path(dir) / indexes[0]).string();
    } else if (indexes.size() > 1) {
      fail(Code::ARGUMENT,
           "directory " + shown(path) + " holds " + std::to_string(indexes.size()) +
               " index files and none is model.safetensors.index.json; open one of them");
    } else if (shards.empty()) {
      fail(Code::IO, "directory " + shown(path) +
                         " holds no *.safetensors file and no *.safetensors.index.json");
    }
    std::sort(shards.begin(), shards.end());
    if (index_path.empty()) {
      // No index: every shard in name order, checked only against each other.
      Index none;
      for (const auto& s : shards) none.intern_shard(s, kNoOffset);
      const ModelDir model_dir(dir);
      return read_sharded_impl(model_dir, none, /*has_index=*/false, opts, nullptr);
    }
    guesses = std::move(shards);
  } else {
    index_path = path;
    dir = fs::path(path).parent_path().string();
    guesses = list_shard_files(dir.empty() ? "." : dir);
  }
  const ModelDir model_dir(dir);
  // The directory's shard files are read while the index is parsed (most checkpoints' index
  // names exactly those); a listing larger than limits.max_shards is not read ahead.
  std::optional<ShardPool> ahead;
  if (!guesses.empty() && guesses.size() <= opts.max_shards) {
    const unsigned readers = shard_reader_count(guesses.size());
    ahead.emplace(model_dir, std::move(guesses), std::vector<uint64_t>(), opts);
    ahead->start(readers);
  }
  const auto index_file = MappedFile::open(index_path);
  Index idx = parse_index(*index_file, opts);
  return read_sharded_impl(model_dir, idx, /*has_index=*/true, opts, ahead ? &*ahead : nullptr);
}

}  // namespace mwt::detail
