// Shard files of a sharded safetensors checkpoint (safetensors_shards.hpp).
#include "formats/safetensors/safetensors_shards.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "core/error.hpp"
#include "core/json_text.hpp"

namespace mwt::detail {
namespace {

namespace fs = std::filesystem;

// Canonical path of `dir/name`, which must exist and resolve (through any symlink) inside
// `dir_real`.
std::string resolve_inside(const std::string& dir_real, const std::string& dir,
                           const std::string& name, uint64_t at, const std::string& field) {
  const fs::path full = fs::path(dir) / name;
  std::error_code ec;
  const fs::path real = fs::canonical(full, ec);
  if (ec)
    fail(Code::IO, "shard file " + shown(full.string()) + " cannot be opened: " + ec.message(), at,
         field);
  const std::string r = real.string();
  if (r.size() <= dir_real.size() || r.compare(0, dir_real.size(), dir_real) != 0 ||
      r[dir_real.size()] != '/')
    fail(Code::PATH_ESCAPE,
         "shard path " + shown(name) + " resolves to " + shown(r) +
             ", outside the model directory " + shown(dir_real),
         at, field);
  return r;
}

std::string canonical_dir(const std::string& dir) {
  std::error_code ec;
  const fs::path real = fs::canonical(dir.empty() ? fs::path(".") : fs::path(dir), ec);
  if (ec) fail(Code::IO, "cannot resolve directory " + shown(dir) + ": " + ec.message());
  return real.string() == "/" ? std::string()
                              : real.string();  // so that dir_real + '/' is a prefix
}

// Opens shard `name` inside the model directory: one openat2 call in the common case; when the
// kernel refuses or cannot, the canonical path is resolved and checked for containment, which
// accepts exactly what the fast path would plus in-directory absolute symlinks, and names the
// reason for anything it refuses.
std::shared_ptr<MappedFile> open_shard(const ModelDir& dir, const std::string& name, uint64_t at) {
  if (dir.fd >= 0)
    if (auto f = MappedFile::open_deferred_beneath(dir.fd, name, dir.real)) return f;
  const std::string field = "index.weight_map[shard \"" + escape_for_message(name) + "\"]";
  return MappedFile::open_deferred(resolve_inside(dir.real, dir.path, name, at, field));
}

}  // namespace

std::string shown(const std::string& path) {
  std::string s(1, '\'');
  s.append(escape_for_message(path, 512)).append(1, '\'');
  return s;
}

ModelDir::ModelDir(const std::string& dir)
    : path(dir.empty() ? "." : dir), real(canonical_dir(dir)) {
  fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);  // -1: the slow path only
}

ModelDir::~ModelDir() {
  if (fd >= 0) ::close(fd);
}

void check_shard_name(const std::string& name, uint64_t at, const std::string& field) {
  auto refuse = [&](const char* why) {
    fail(Code::PATH_ESCAPE, "shard path " + shown(name) + " " + why, at, field);
  };
  if (name.empty()) refuse("is empty");
  if (name.find('\0') != std::string::npos) refuse("contains a NUL character");
  if (name.front() == '/') refuse("is absolute");
  if (name.find('\\') != std::string::npos) refuse("contains a backslash");
  if (name.size() >= 2 && name[1] == ':') refuse("has a drive prefix");
  // `..` is allowed where it stays inside: "sub/../x.safetensors" is, "sub/../../x" is not.
  // Counted by components here; the kernel (openat2 RESOLVE_BENEATH) or the canonical-path
  // check in open_shard still has the last word, as "sub" may be a symlink.
  size_t start = 0, depth = 0;
  while (start <= name.size()) {
    const size_t slash = name.find('/', start);
    const std::string_view part = std::string_view(name).substr(
        start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") {
      if (depth == 0) refuse("has a '..' component that leaves the model directory");
      --depth;
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
}

std::unique_ptr<WeightFile> read_shard(const ModelDir& dir, const std::string& name, uint64_t at,
                                       const OpenOptions& opts) {
  std::shared_ptr<MappedFile> file = open_shard(dir, name, at);
  if (!opts.io_mmap) file->read_instead_of_mapping();  // before the file is shared
  try {
    return read_safetensors(std::move(file), opts, /*index=*/false);
  } catch (const Error& e) {
    throw Error(e.code(), "in shard " + shown(name) + ": " + e.detail(), e.offset(), e.field());
  }
}

unsigned shard_reader_count(size_t n) noexcept {
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(std::min<size_t>({n, hw, ShardPool::kMaxReaders}));
}

ShardPool::ShardPool(const ModelDir& dir, std::vector<std::string> names, std::vector<uint64_t> ats,
                     const OpenOptions& opts)
    : dir_(dir),
      opts_(opts),
      names_(std::move(names)),
      ats_(std::move(ats)),
      results_(names_.size()) {
  ats_.resize(names_.size(), kNoOffset);
}

ShardPool::~ShardPool() {
  next_ = names_.size();  // helpers stop after the shard they are reading
  join();
}

void ShardPool::work() noexcept {
  for (size_t i = next_++; i < names_.size(); i = next_++) {
    try {
      results_[i].wf = read_shard(dir_, names_[i], ats_[i], opts_);
    } catch (...) {
      results_[i].error = std::current_exception();
    }
  }
}

void ShardPool::join() noexcept {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void ShardPool::start(unsigned helpers) {
  try {
    for (unsigned t = 0; t < helpers; ++t) threads_.emplace_back([this] { work(); });
  } catch (const std::system_error&) {
    // No more threads available: finish() has the calling thread do the rest.
  }
}

std::vector<ShardResult> ShardPool::finish() {
  work();
  join();
  return std::move(results_);
}

}  // namespace mwt::detail
