// Run-time choice of the SIMD instruction set the kernels use: the CPU is probed once, and the
// environment variable MWT_FORCE_ISA=scalar|avx2 can narrow the choice (it can never enable an
// ISA the CPU lacks). The rule itself is select_isa, a pure function the tests call directly;
// active_isa() applies it to the real environment and CPU on first use and caches the result.
#pragma once
#include <cstdint>
#include <string>

namespace mwt::detail {

enum class Isa : uint8_t { Scalar, Avx2 };

// "scalar" or "avx2".
const char* isa_name(Isa isa) noexcept;

struct IsaSelection {
  Isa isa;
  // Empty when the selection is what was asked for (or the default); otherwise why it differs
  // from the request, e.g. an unknown MWT_FORCE_ISA value or avx2 asked on a CPU without it.
  std::string reason;
};

// The ISA for an MWT_FORCE_ISA value (nullptr or "" = unset: the best the CPU has). Values are
// matched case-insensitively: "scalar", "avx2"; anything else selects scalar with a reason.
IsaSelection select_isa(const char* env_value, bool cpu_has_avx2);

// Whether this CPU and OS run the AVX2 kernels: AVX2, FMA and F16C, with the YMM state enabled.
bool cpu_has_avx2() noexcept;

// The process-wide selection: select_isa(getenv("MWT_FORCE_ISA"), cpu_has_avx2()), computed
// once on first use (thread-safe); later changes to the environment are not seen.
const IsaSelection& active_selection();
Isa active() noexcept;
const char* active_isa() noexcept;         // isa_name(active())
const char* active_isa_reason() noexcept;  // active_selection().reason ("" when none)

}  // namespace mwt::detail
