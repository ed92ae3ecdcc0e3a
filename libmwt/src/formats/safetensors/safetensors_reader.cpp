// read_safetensors: one .safetensors file, validated completely (docs/safetensors.md, "mwt's
// validation rules") before a WeightFile with zero-copy tensor views into the map is returned.
#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>

#include "core/error.hpp"
#include "formats/open.hpp"
#include "formats/safetensors/safetensors_header.hpp"

namespace mwt::detail {
namespace {

// Bytes read at once from the start of a deferred file: the 8-byte length and the header of
// any shard of up to a few hundred tensors.
constexpr uint64_t kFirstRead = 16 * 1024;

// Per-thread buffer for the first read, kept between calls (opening a checkpoint reads dozens
// of small headers; this spares an allocation and a clear for each).
thread_local std::unique_ptr<uint8_t[]> t_first_read;

// Sorted by (begin, end) the offsets must tile [0, buffer) exactly: the rule that stops
// aliasing tensors and hidden bytes. Returns the buffer length.
uint64_t check_tiling(const WeightFile& wf, const std::vector<uint64_t>& key_offsets) {
  const auto& ts = wf.tensors;
  std::vector<uint32_t> order(ts.size());  // max_tensors is far below 2^32
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (ts[a].offset != ts[b].offset) return ts[a].offset < ts[b].offset;
    return ts[a].nbytes < ts[b].nbytes;
  });
  uint64_t expect = 0;
  const TensorInfo* prev = nullptr;
  for (uint32_t i : order) {
    const TensorInfo& t = ts[i];
    if (t.offset != expect) {
      const std::string what =
          t.offset < expect
              ? "data [" + std::to_string(t.offset) + ", " + std::to_string(t.offset + t.nbytes) +
                    ") overlaps tensor \"" + escape_for_message(prev->name) + "\", which ends at " +
                    std::to_string(expect)
              : "data starts at " + std::to_string(t.offset) + " but the bytes before it end at " +
                    std::to_string(expect) + ": a gap of " + std::to_string(t.offset - expect) +
                    " bytes";
      fail(Code::BAD_OFFSETS, what, key_offsets[i], st_tensor_field(t.name) + ".data_offsets[0]");
    }
    expect = t.offset + t.nbytes;  // == end, which was parsed as a 64-bit value
    prev = &t;
  }
  return expect;
}

}  // namespace

std::unique_ptr<WeightFile> read_safetensors(std::shared_ptr<MappedFile> file,
                                             const OpenOptions& opts, bool index) {
  if (!file) fail(Code::ARGUMENT, "no file given");
  const uint64_t size = file->size();
  if (size < 8)
    fail(Code::TRUNCATED,
         "file is " + std::to_string(size) +
             " bytes; a safetensors file starts with an "
             "8-byte header length",
         0, "header.length");
  // A deferred file is validated from its header alone (read, not mapped); tensor views then
  // resolve through WeightFile::tensor_data, which maps on first use.
  const bool deferred = file->deferred();
  const uint8_t* p = deferred ? nullptr : file->data();
  uint64_t n;
  // A deferred file's first read takes the length and, for most files, the whole header.
  const uint64_t first = std::min<uint64_t>(size, kFirstRead);
  uint8_t* head = nullptr;
  std::unique_ptr<uint8_t[]> whole;  // a header larger than the first read, read on
  if (deferred) {
    if (!t_first_read) t_first_read.reset(new uint8_t[kFirstRead]);
    head = t_first_read.get();
    file->read_into(0, first, head);
    std::memcpy(&n, head, 8);
  } else {
    std::memcpy(&n, p, 8);  // little-endian host (byte_reader.hpp)
  }
  if (n > opts.max_header)
    fail(Code::HEADER_TOO_LARGE,
         "header length " + std::to_string(n) + " exceeds limits.max_header (" +
             std::to_string(opts.max_header) + ")",
         0, "header.length");
  if (n > size - 8)
    fail(Code::TRUNCATED,
         "header of " + std::to_string(n) + " bytes runs past the end of the file (" +
             std::to_string(size) + " bytes)",
         0, "header.length");

  auto wf = std::make_unique<WeightFile>();
  wf->format = Format::SAFETENSORS;
  wf->total_size = size;
  wf->data_offset = 8 + n;
  std::vector<uint64_t> key_offsets;
  if (deferred) {
    if (8 + n > first) {  // the rest of a large header
      whole.reset(new uint8_t[8 + n]);
      std::memcpy(whole.get(), head, first);
      file->read_into(first, 8 + n - first, whole.get() + first);
      head = whole.get();
    }
    parse_safetensors_header(head + 8, n, 8, opts, *wf, key_offsets);
  } else {
    parse_safetensors_header(p + 8, n, 8, opts, *wf, key_offsets);
  }

  const uint64_t buffer = check_tiling(*wf, key_offsets);
  const uint64_t available = size - 8 - n;
  if (buffer != available) {
    // Name the tensor whose data ends last: it is the one that claims too much or too little.
    size_t last = 0;
    for (size_t i = 1; i < wf->tensors.size(); ++i)
      if (wf->tensors[i].offset + wf->tensors[i].nbytes >=
          wf->tensors[last].offset + wf->tensors[last].nbytes)
        last = i;
    const std::string field = wf->tensors.empty()
                                  ? "header"
                                  : st_tensor_field(wf->tensors[last].name) + ".data_offsets[1]";
    if (buffer > available)
      fail(Code::TRUNCATED,
           "tensor data needs " + std::to_string(buffer) +
               " bytes after the header but the file "
               "holds " +
               std::to_string(available) + " (file is " + std::to_string(size) + " bytes)",
           size, field);
    fail(Code::TRAILING_DATA,
         std::to_string(available - buffer) + " bytes follow the end of the tensor data",
         8 + n + buffer, field);
  }

  uint64_t misaligned = 0;
  const TensorInfo* first_misaligned = nullptr;
  for (TensorInfo& t : wf->tensors) {
    t.offset += 8 + n;
    t.data = deferred ? nullptr : p + t.offset;
    const DTypeInfo* d = dtype_info(static_cast<uint32_t>(t.dtype));
    const uint64_t width = d->block_elems == 1 ? d->block_bytes : 1;
    if (t.nbytes > 0 && t.offset % width != 0) {
      if (!first_misaligned) first_misaligned = &t;
      ++misaligned;
    }
  }
  if (misaligned > 0)
    // Old writers did not pad the header; such files are valid but their views are unaligned.
    wf->warnings.push_back(std::to_string(misaligned) +
                           " tensor(s) are not aligned to their element size "
                           "(legacy layout), first \"" +
                           escape_for_message(first_misaligned->name) + "\" at offset " +
                           std::to_string(first_misaligned->offset) +
                           "; read their data with unaligned loads");
  file->release_descriptor();  // data() re-opens by path when a view is first needed
  wf->files.push_back(std::move(file));
  if (index) wf->build_index();
  return wf;
}

}  // namespace mwt::detail
