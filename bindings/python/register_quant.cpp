// Quant area: dequantization (mwt_dequantize_threads, mwt_can_dequantize) and quantization
// (mwt_quantize, mwt_quantize_weighted, mwt_can_quantize). Inputs are pinned buffer views or
// arrays the call owns, so the coding runs without the GIL. Large fresh float32 outputs come
// from OutputPool, which recycles the memory of the last one dropped.
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <optional>
#include <string>

#include "native.hpp"

namespace mwt_py {
namespace {

// Memory for large fresh dequantize outputs. Writing memory new to the process costs more than
// decoding into it: every page is faulted in and zeroed by the kernel first (and, in a VM, may be
// supplied by the host again), which runs below the kernels' own output rate even on 2 MiB huge
// pages (benchmarks/bench_dequant.py measures both). So each output of at least kMinBytes gets an
// anonymous mapping of its own, 2 MiB-aligned and asked for transparent huge pages (a no-op when
// THP is "never"), and when its array dies the mapping is kept, already faulted in, for the next
// output it fits (at most twice that output's size); only the most recently dropped one is kept,
// so what stays mapped is at most one output the caller had anyway. Smaller outputs are numpy's.
class OutputPool {
 public:
  // Below this, numpy's allocation (glibc keeps freed blocks under its 32 MiB mmap threshold
  // in the heap, so their pages are reused already).
  static constexpr size_t kMinBytes = size_t{32} << 20;

  struct Block {
    void* base = nullptr;
    size_t len = 0;
  };

  // Never destroyed: arrays (and the capsules that return their blocks) can outlive static
  // destruction at interpreter exit.
  static OutputPool& get() {
    static OutputPool* pool = new OutputPool;
    return *pool;
  }

  // A block of at least `bytes` bytes: the kept one when it fits, else a new mapping.
  // std::bad_alloc (MemoryError in Python) when the system has no memory for it.
  Block take(size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (kept_.base != nullptr && kept_.len >= bytes && kept_.len / 2 <= bytes) {
        Block b = kept_;
        kept_ = Block{};
        return b;
      }
    }
    return map(bytes);
  }

  // Keeps b for the next take, releasing the block kept before it.
  void give_back(Block b) noexcept {
    Block old;
    {
      std::lock_guard<std::mutex> lock(mu_);
      old = kept_;
      kept_ = b;
    }
    if (old.base != nullptr) ::munmap(old.base, old.len);
  }

 private:
  static constexpr size_t kHuge = size_t{2} << 20;

  // A new mapping of `bytes` rounded up to 2 MiB, starting on a 2 MiB boundary so that every
  // 2 MiB of it can be one huge page: map 2 MiB more, then unmap the unaligned head and tail.
  static Block map(size_t bytes) {
    if (bytes > SIZE_MAX - 2 * kHuge) throw std::bad_alloc();
    const size_t len = (bytes + kHuge - 1) / kHuge * kHuge;
    void* p =
        ::mmap(nullptr, len + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    const auto start = reinterpret_cast<uintptr_t>(p);
    const uintptr_t aligned = (start + kHuge - 1) / kHuge * kHuge;
    if (aligned > start) ::munmap(p, aligned - start);
    if (const size_t tail = start + kHuge - aligned; tail > 0)
      ::munmap(reinterpret_cast<void*>(aligned + len), tail);
#ifdef MADV_HUGEPAGE
    // Advice only: refused (old kernel, THP compiled out) it still works on 4 KiB pages.
    (void)::madvise(reinterpret_cast<void*>(aligned), len, MADV_HUGEPAGE);
#endif
    return Block{reinterpret_cast<void*>(aligned), len};
  }

  std::mutex mu_;
  Block kept_;
};

// A new 1-D float32 array of n values, contents undefined: from OutputPool when large (its base
// a capsule that gives the block back when the array and every view of it are gone), else
// numpy's.
py::array_t<float> new_output(size_t n) {
  const auto len = static_cast<py::ssize_t>(n);
  if (n < OutputPool::kMinBytes / sizeof(float)) return py::array_t<float>(len);
  if (n > SIZE_MAX / sizeof(float)) throw std::bad_alloc();
  OutputPool& pool = OutputPool::get();
  OutputPool::Block* block = nullptr;
  const OutputPool::Block taken = pool.take(n * sizeof(float));
  py::capsule owner;
  try {
    block = new OutputPool::Block(taken);
    owner = py::capsule(block, [](void* p) {
      auto* b = static_cast<OutputPool::Block*>(p);
      OutputPool::get().give_back(*b);
      delete b;
    });
  } catch (...) {  // no capsule owns the block yet
    delete block;
    pool.give_back(taken);
    throw;
  }
  // Failing from here on, the capsule's destructor gives the block back.
  return py::array_t<float>({len}, {static_cast<py::ssize_t>(sizeof(float))},
                            static_cast<float*>(taken.base), owner);
}

mwt_dtype lookup_dtype(const std::string& name) {
  mwt_dtype dt;
  check(mwt_dtype_from_name(name.c_str(), &dt));
  return dt;
}

// A writable C-contiguous float32 numpy array to dequantize into, pinned (no resize, no
// release) while this lives; create and destroy it with the GIL held, use data() without it.
// Every way `out` can be unfit is reported as the mwt error a caller would look for.
class OutputView {
 public:
  OutputView(const py::object& out, size_t n) {
    if (!py::isinstance<py::array>(out))
      fail(MWT_E_ARGUMENT, "out must be a numpy.ndarray of float32, not " +
                               std::string(py::str(py::type::of(out).attr("__name__"))));
    const auto arr = py::reinterpret_borrow<py::array>(out);
    if (!arr.dtype().equal(py::dtype::of<float>()))
      fail(MWT_E_TYPE_MISMATCH, "out has dtype " + std::string(py::str(arr.dtype())) +
                                    "; it must be float32 (native byte order)");
    if (static_cast<size_t>(arr.size()) != n)
      fail(MWT_E_SIZE_MISMATCH, "out holds " + std::to_string(arr.size()) +
                                    " values; the tensor has " + std::to_string(n));
    if (!(arr.flags() & py::array::c_style)) fail(MWT_E_ARGUMENT, "out must be C-contiguous");
    if (!arr.writeable()) fail(MWT_E_ARGUMENT, "out is read-only");
    if (PyObject_GetBuffer(out.ptr(), &view_, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) != 0)
      throw py::error_already_set();
  }
  ~OutputView() { PyBuffer_Release(&view_); }
  OutputView(const OutputView&) = delete;
  OutputView& operator=(const OutputView&) = delete;
  float* data() const noexcept { return static_cast<float*>(view_.buf); }

 private:
  Py_buffer view_{};
};

// n values of `dtype_name` from the bytes of `raw` (any C-contiguous buffer) -> float32: a new
// 1-D array, or `out` (OutputView's rules) filled and returned. The library checks that n is
// whole blocks, that raw holds exactly n values and that raw and out do not overlap. threads:
// 0 = the library's default, 1 = this thread only (mwt_dequantize_threads).
py::object dequantize(const py::object& raw, const std::string& dtype_name, size_t n,
                      const py::object& out, int threads) {
  const mwt_dtype dt = lookup_dtype(dtype_name);
  BufferView src(raw);
  py::object result;
  float* dst = nullptr;
  std::optional<OutputView> pinned;
  if (out.is_none()) {
    py::array_t<float> fresh = new_output(n);
    dst = fresh.mutable_data();
    result = std::move(fresh);
  } else {
    pinned.emplace(out, n);
    dst = pinned->data();
    result = out;
  }
  {
    py::gil_scoped_release nogil;
    check(mwt_dequantize_threads(dt, src.data(), src.size(), dst, n, threads));
  }
  return result;
}

// A float32 array (any shape, converted to C order) -> 1-D uint8 array of the packed `dtype`
// bytes. Sizes the output from the dtype table when the length is whole blocks; otherwise the
// library reports BAD_SHAPE (or UNSUPPORTED_FEATURE / BAD_DTYPE first). `importance`: None or
// float32 weights (converted, C order) applied to each row of importance.size values
// (mwt_quantize_weighted; the library checks them).
py::array_t<uint8_t> quantize(
    const py::array_t<float, py::array::c_style | py::array::forcecast>& x,
    const std::string& dtype_name, const py::object& importance) {
  const mwt_dtype dt = lookup_dtype(dtype_name);
  const size_t n = static_cast<size_t>(x.size());
  const uint32_t block = mwt_dtype_block_size(dt), type_size = mwt_dtype_type_size(dt);
  size_t nbytes = 0;
  if (block != 0 && n % block == 0) nbytes = n / block * type_size;
  py::array_t<uint8_t> out(static_cast<py::ssize_t>(nbytes));
  const float* src = x.data();
  uint8_t* dst = out.mutable_data();
  py::array_t<float, py::array::c_style | py::array::forcecast> w;
  const float* weights = nullptr;
  size_t row_len = 0;
  if (!importance.is_none()) {
    w = py::array_t<float, py::array::c_style | py::array::forcecast>(importance);
    row_len = static_cast<size_t>(w.size());
    weights = row_len > 0 ? w.data() : nullptr;
  }
  {
    py::gil_scoped_release nogil;
    if (weights == nullptr)
      check(mwt_quantize(dt, src, n, dst, nbytes));
    else
      check(mwt_quantize_weighted(dt, src, n, dst, nbytes, weights, row_len));
  }
  return out;
}

}  // namespace

void register_quant(py::module_& m) {
  m.def(
      "active_isa", [] { return std::string(mwt_active_isa()); },
      "The instruction set dequantize's kernels use: \"avx2\" or \"scalar\".");
  m.def("dequantize", &dequantize, py::arg("raw"), py::arg("dtype"), py::arg("n"),
        py::arg("out") = py::none(), py::arg("threads") = 0,
        "n values of packed `dtype` bytes (any C-contiguous buffer) -> a new 1-D float32 array, "
        "or `out` (a writable C-contiguous float32 ndarray of n values) filled and returned; "
        "`threads`: 0 = default, 1 = this thread only.");
  m.def(
      "can_dequantize",
      [](const std::string& name) { return mwt_can_dequantize(lookup_dtype(name)) != 0; },
      py::arg("dtype"), "Whether `dtype` (a name) has a dequantizer.");
  m.def("quantize", &quantize, py::arg("x"), py::arg("dtype"), py::arg("importance") = py::none(),
        "float32 values (any shape, read in C order) -> 1-D uint8 array of packed `dtype` bytes; "
        "`importance`: None or per-row float32 weights (K-quants only).");
  m.def(
      "can_quantize",
      [](const std::string& name) { return mwt_can_quantize(lookup_dtype(name)) != 0; },
      py::arg("dtype"), "Whether `dtype` (a name) has a quantizer.");
}

}  // namespace mwt_py
