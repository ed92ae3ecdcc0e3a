// read_safetensors_sharded: a *.safetensors.index.json (or a directory holding one, or holding
// bare *.safetensors shards) presented as one tensor table. The index and the shards must agree
// exactly; shard paths may not leave the model directory.
#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <map>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/error.hpp"
#include "formats/open.hpp"
#include "formats/safetensors/json_document.hpp"
#include "formats/safetensors/json_text.hpp"
#include "formats/safetensors/safetensors_header.hpp"

namespace mwt::detail {
namespace {

namespace fs = std::filesystem;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string shown(const std::string& path) { return "'" + escape_for_message(path, 512) + "'"; }

struct IndexEntry {
  std::string tensor;
  std::string shard;
  uint64_t offset;  // of the tensor's key in the index file
};

struct Index {
  std::vector<std::pair<std::string, std::string>> metadata;  // key, value (JSON text unless a string)
  std::vector<IndexEntry> weight_map;
};

// The index's "metadata" object: strings decoded, any other value kept as its JSON text
// (numbers such as total_size stay exactly as written).
void parse_index_metadata(od::value v, JsonDocument& doc, const MappedFile& f, Index& out) {
  const std::string field = "index.metadata";
  od::object obj;
  if (auto e = v.get_object().get(obj)) doc.fail_json(e, doc.offset_of(v), field, "\"metadata\" must be a JSON object");
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
      const size_t end = skip_json_container(f.data(), f.size(), vat, UINT64_MAX, 0, kfield.c_str());
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
    fail(Code::HEADER_TOO_LARGE, "index of " + std::to_string(f.size()) + " bytes exceeds limits.max_header (" +
                                     std::to_string(opts.max_header) + ")", 0, "index");
  require_utf8(f.data(), f.size(), 0, "index");
  const JsonExtent ext = scan_json_object(f.data(), f.size(), opts.max_json_depth, 0, "index");
  JsonDocument doc(f.data() + ext.begin, ext.end - ext.begin, ext.begin, opts.max_json_depth, "index");
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
        doc.fail_json(e, doc.offset_of(mv), "index.weight_map", "\"weight_map\" must be a JSON object");
      std::unordered_set<std::string_view> names;
      for (auto er : map) {
        od::field ent = next_field(std::move(er), doc, kat, "index.weight_map");
        const uint64_t tat = doc.key_offset(ent);
        const std::string_view name = field_key(ent, doc, "index.weight_map");
        auto tfield = [&] { return "index.weight_map[\"" + escape_for_message(name) + "\"]"; };
        if (!names.insert(name).second) fail(Code::DUPLICATE, "tensor listed twice in the index", tat, tfield());
        if (names.size() > opts.max_tensors)
          fail(Code::LIMIT_EXCEEDED, "more than limits.max_tensors (" + std::to_string(opts.max_tensors) +
                                         ") tensors in the index", tat, tfield());
        od::value sv = ent.value();
        idx.weight_map.push_back({std::string(name), std::string(get_json_string(sv, doc, tfield, "a shard file name")), tat});
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

// A shard name from the index must stay a relative path below the model directory.
void check_shard_name(const std::string& name, uint64_t at, const std::string& field) {
  auto refuse = [&](const char* why) {
    fail(Code::PATH_ESCAPE, "shard path " + shown(name) + " " + why, at, field);
  };
  if (name.empty()) refuse("is empty");
  if (name.find('\0') != std::string::npos) refuse("contains a NUL character");
  if (name.front() == '/') refuse("is absolute");
  if (name.find('\\') != std::string::npos) refuse("contains a backslash");
  if (name.size() >= 2 && name[1] == ':') refuse("has a drive prefix");
  size_t start = 0;
  while (start <= name.size()) {
    const size_t slash = name.find('/', start);
    const std::string_view part = std::string_view(name).substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") refuse("contains a '..' component");
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
}

// Canonical path of `dir/name`, which must exist and resolve (through any symlink) inside `dir_real`.
std::string resolve_inside(const std::string& dir_real, const std::string& dir, const std::string& name,
                           uint64_t at, const std::string& field) {
  const fs::path full = fs::path(dir) / name;
  std::error_code ec;
  const fs::path real = fs::canonical(full, ec);
  if (ec) fail(Code::IO, "shard file " + shown(full.string()) + " cannot be opened: " + ec.message(), at, field);
  const std::string r = real.string();
  if (r.size() <= dir_real.size() || r.compare(0, dir_real.size(), dir_real) != 0 || r[dir_real.size()] != '/')
    fail(Code::PATH_ESCAPE, "shard path " + shown(name) + " resolves to " + shown(r) + ", outside the model directory " +
                                shown(dir_real), at, field);
  return r;
}

std::string canonical_dir(const std::string& dir) {
  std::error_code ec;
  const fs::path real = fs::canonical(dir.empty() ? fs::path(".") : fs::path(dir), ec);
  if (ec) fail(Code::IO, "cannot resolve directory " + shown(dir) + ": " + ec.message());
  return real.string() == "/" ? std::string() : real.string();  // so that dir_real + '/' is a prefix
}

std::unique_ptr<WeightFile> read_shard(const std::string& real, const std::string& name, const OpenOptions& opts,
                                       bool index) {
  try {
    return read_safetensors(MappedFile::open_deferred(real), opts, index);
  } catch (const Error& e) {
    throw Error(e.code(), "in shard " + shown(name) + ": " + e.detail(), e.offset(), e.field());
  }
}


// Reads every shard, up to kMaxReaders at a time (opening a 30-shard checkpoint is mostly
// syscalls and header parsing, which overlap well). Each slot holds the shard or the error it
// raised; the caller reports the first failure in shard order, so errors are deterministic.
struct ShardResult {
  std::unique_ptr<WeightFile> wf;
  std::exception_ptr error;
};
constexpr unsigned kMaxReaders = 8;

std::vector<ShardResult> read_shards_parallel(const std::vector<std::string>& reals,
                                              const std::vector<std::string>& names,
                                              const OpenOptions& opts) {
  std::vector<ShardResult> out(reals.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < reals.size(); i = next++) {
      try {
        out[i].wf = read_shard(reals[i], names[i], opts, /*index=*/false);
      } catch (...) {
        out[i].error = std::current_exception();
      }
    }
  };
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const size_t n_threads = std::min<size_t>({reals.size(), hw, kMaxReaders});
  std::vector<std::thread> threads;
  try {
    for (size_t t = 1; t < n_threads; ++t) threads.emplace_back(work);
  } catch (const std::system_error&) {
    // No more threads available: the calling thread does the rest.
  }
  work();
  for (auto& t : threads) t.join();
  return out;
}

// Opens every shard the index (or the directory listing) names, in sorted name order, and merges
// them into one WeightFile. With an index, the index and the shards must agree exactly.
std::unique_ptr<WeightFile> read_sharded_impl(const std::string& dir, const Index& idx, bool has_index,
                                              const OpenOptions& opts) {
  const std::string dir_real = canonical_dir(dir);
  // Shard names, sorted and unique; each with the offset of the first index entry naming it.
  std::map<std::string, uint64_t> shard_at;
  for (const IndexEntry& e : idx.weight_map) shard_at.emplace(e.shard, e.offset);
  if (shard_at.size() > opts.max_shards)
    fail(Code::LIMIT_EXCEEDED, std::to_string(shard_at.size()) + " shards exceed limits.max_shards (" +
                                   std::to_string(opts.max_shards) + ")", kNoOffset, "index.weight_map");
  if (has_index && shard_at.empty()) fail(Code::BAD_SYNTAX, "the index's weight_map is empty", kNoOffset, "index.weight_map");

  // Names and paths are checked before any shard is read.
  std::vector<std::string> names, reals;
  std::vector<uint64_t> ats;
  for (const auto& [name, at] : shard_at) {
    const std::string field = "index.weight_map[shard \"" + escape_for_message(name) + "\"]";
    check_shard_name(name, at, field);
    reals.push_back(resolve_inside(dir_real, dir, name, at, field));
    names.push_back(name);
    ats.push_back(at);
  }
  std::vector<ShardResult> shards = read_shards_parallel(reals, names, opts);
  for (ShardResult& r : shards)
    if (r.error) std::rethrow_exception(r.error);

  // Where the index says each tensor lives.
  std::unordered_map<std::string_view, const IndexEntry*> expected;
  if (has_index) {
    expected.reserve(idx.weight_map.size());
    for (const IndexEntry& e : idx.weight_map) expected.emplace(e.tensor, &e);
  }

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
    fail(Code::LIMIT_EXCEEDED, "more than limits.max_tensors (" + std::to_string(opts.max_tensors) +
                                   ") tensors over all shards (" + std::to_string(total_tensors) + ")",
         kNoOffset, "index.weight_map");

  // Tensor name -> shard; the views point into the shard WeightFiles, which stay put until the
  // tensors are moved out below.
  std::unordered_map<std::string_view, uint32_t> owner;
  owner.reserve(total_tensors);
  std::unordered_map<std::string, std::string> shard_meta;  // __metadata__ merged over shards
  for (uint32_t si = 0; si < shards.size(); ++si) {
    const WeightFile& shard = *shards[si].wf;
    const std::string& name = names[si];
    if (si == 0) wf->data_offset = shard.data_offset;
    wf->total_size += shard.total_size;
    for (const std::string& w : shard.warnings) wf->warnings.push_back("shard " + shown(name) + ": " + w);
    for (const MetaEntry& m : shard.metadata) {
      const std::string key(m.key), value(m.value.str);
      auto [it, inserted] = shard_meta.emplace(key, value);
      if (!inserted) {
        if (it->second != value)
          wf->warnings.push_back("shard " + shown(name) + " has __metadata__[\"" + escape_for_message(key) +
                                 "\"] = \"" + escape_for_message(value) + "\", another shard \"" +
                                 escape_for_message(it->second) + "\"; the first is kept");
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
      auto [it, fresh] = owner.emplace(t.name, si);
      if (!fresh)
        fail(Code::DUPLICATE, "tensor \"" + escape_for_message(t.name) + "\" is in shard " + shown(name) +
                                  " and in shard " + shown(names[it->second]),
             t.offset, tfield());
      if (has_index) {
        auto e = expected.find(t.name);
        if (e == expected.end())
          fail(Code::ARCHIVE_INCONSISTENT, "tensor \"" + escape_for_message(t.name) + "\" is in shard " + shown(name) +
                                               " but not in the index's weight_map", t.offset, tfield());
        if (e->second->shard != name)
          fail(Code::ARCHIVE_INCONSISTENT, "the index puts tensor \"" + escape_for_message(t.name) + "\" in " +
                                               shown(e->second->shard) + " but it is in shard " + shown(name),
               e->second->offset, "index.weight_map[\"" + escape_for_message(t.name) + "\"]");
      }
    }
  }
  if (has_index && owner.size() != expected.size()) {
    for (const IndexEntry& e : idx.weight_map)
      if (!owner.count(e.tensor))
        fail(Code::ARCHIVE_INCONSISTENT, "the index lists tensor \"" + escape_for_message(e.tensor) + "\" in " +
                                             shown(e.shard) + " but that shard does not hold it",
             e.offset, "index.weight_map[\"" + escape_for_message(e.tensor) + "\"]");
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

std::unique_ptr<WeightFile> read_safetensors_sharded(const std::string& path, const OpenOptions& opts) {
  std::error_code ec;
  const bool is_dir = fs::is_directory(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) fail(Code::IO, "cannot stat " + shown(path) + ": " + ec.message());
  std::string dir, index_path;
  if (is_dir) {
    dir = path;
    std::vector<std::string> indexes, shards;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const std::string fname = entry.path().filename().string();
      if (ends_with(fname, ".safetensors.index.json")) indexes.push_back(fname);
      else if (ends_with(fname, ".safetensors") && fname.front() != '.') shards.push_back(fname);
    }
    if (ec) fail(Code::IO, "cannot list directory " + shown(path) + ": " + ec.message());
    std::sort(indexes.begin(), indexes.end());
    if (std::find(indexes.begin(), indexes.end(), "model.safetensors.index.json") != indexes.end()) {
      index_path = (fs::path(dir) / "model.safetensors.index.json").string();
    } else if (indexes.size() == 1) {
      index_path = (fs::path(dir) / indexes[0]).string();
    } else if (indexes.size() > 1) {
      fail(Code::ARGUMENT, "directory " + shown(path) + " holds " + std::to_string(indexes.size()) +
                               " index files and none is model.safetensors.index.json; open one of them");
    } else if (shards.empty()) {
      fail(Code::IO, "directory " + shown(path) + " holds no *.safetensors file and no *.safetensors.index.json");
    }
    if (index_path.empty()) {
      // No index: every shard in name order, checked only against each other.
      std::sort(shards.begin(), shards.end());
      Index none;
      for (const auto& s : shards) none.weight_map.push_back({std::string(), s, kNoOffset});
      return read_sharded_impl(dir, none, /*has_index=*/false, opts);
    }
  } else {
    index_path = path;
    dir = fs::path(path).parent_path().string();
  }
  const auto index_file = MappedFile::open(index_path);
  Index idx = parse_index(*index_file, opts);
  return read_sharded_impl(dir, idx, /*has_index=*/true, opts);
}

}  // namespace mwt::detail
