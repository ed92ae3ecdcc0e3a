// ByteReader: a bounds-checked little-endian cursor over a byte range of a file. Every read
// names the field it reads, so a short file fails as TRUNCATED with offset and field.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace mwt::detail {

class ByteReader {
 public:
  // `base` is the file offset of data[0], used in messages.
  ByteReader(const uint8_t* data, uint64_t size, uint64_t base = 0) noexcept
      : data_(data), size_(size), base_(base) {}

  uint64_t pos() const noexcept { return pos_; }  // relative to data
  uint64_t file_offset() const noexcept { return base_ + pos_; }
  uint64_t remaining() const noexcept { return size_ - pos_; }
  uint64_t size() const noexcept { return size_; }
  const uint8_t* data() const noexcept { return data_; }

  // Ensures n bytes are available; otherwise TRUNCATED naming `field`.
  void require(uint64_t n, std::string_view field) const {
    if (n > remaining())
      fail(Code::TRUNCATED,
           "need " + std::to_string(n) + " bytes, " + std::to_string(remaining()) + " left in file",
           file_offset(), std::string(field));
  }
  const uint8_t* take(uint64_t n, std::string_view field) {
    require(n, field);
    const uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  void seek(uint64_t pos, std::string_view field) {
    if (pos > size_)
      fail(Code::TRUNCATED,
           "position " + std::to_string(base_ + pos) + " is past end of file (" +
               std::to_string(base_ + size_) + " bytes)",
           base_ + size_, std::string(field));
    pos_ = pos;
  }

  template <typename T>
  T read(std::string_view field) {
    T v;
    std::memcpy(&v, take(sizeof(T), field), sizeof(T));  // host is little-endian (checked at build)
    return v;
  }
  uint8_t u8(std::string_view f) { return read<uint8_t>(f); }
  uint16_t u16(std::string_view f) { return read<uint16_t>(f); }
  uint32_t u32(std::string_view f) { return read<uint32_t>(f); }
  uint64_t u64(std::string_view f) { return read<uint64_t>(f); }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t base_;
  uint64_t pos_ = 0;
};

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "mwt reads little-endian formats in place");

}  // namespace mwt::detail
