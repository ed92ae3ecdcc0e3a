// CPU probing and the MWT_FORCE_ISA rule (dispatch.hpp). Compiled without any -m flags: it must
// run on every x86-64 CPU, so it only asks which ISA to use and never runs AVX2 code itself.
#include "core/isa.hpp"

#include <cstdlib>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>

#include <xsimd/xsimd.hpp>
#endif

namespace mwt::detail {
namespace {

bool equals_ignore_case(const char* a, const char* b) noexcept {
  for (; *a != '\0' && *b != '\0'; ++a, ++b) {
    const char ca = (*a >= 'A' && *a <= 'Z') ? static_cast<char>(*a - 'A' + 'a') : *a;
    if (ca != *b) return false;
  }
  return *a == *b;
}

}  // namespace

const char* isa_name(Isa isa) noexcept { return isa == Isa::Avx2 ? "avx2" : "scalar"; }

IsaSelection select_isa(const char* env_value, bool cpu_has_avx2) {
  const Isa best = cpu_has_avx2 ? Isa::Avx2 : Isa::Scalar;
  if (env_value == nullptr || *env_value == '\0') return {best, ""};
  if (equals_ignore_case(env_value, "scalar")) return {Isa::Scalar, ""};
  if (equals_ignore_case(env_value, "avx2")) {
    if (cpu_has_avx2) return {Isa::Avx2, ""};
    return {Isa::Scalar,
            "MWT_FORCE_ISA=avx2, but this CPU (or OS) lacks AVX2/FMA/F16C; using scalar"};
  }
  return {Isa::Scalar, "MWT_FORCE_ISA=\"" + std::string(env_value) +
                           "\" is not one of scalar, avx2; using scalar"};
}

bool cpu_has_avx2() noexcept {
#if (defined(__x86_64__) || defined(_M_X64)) && defined(MWT_KERNELS_X86_AVX2)
  // xsimd reads the CPUID feature bits; __builtin_cpu_supports additionally checks that the OS
  // saves the YMM registers (XGETBV). F16C, which xsimd 8 does not report and clang's builtin
  // does not know, is CPUID leaf 1, ECX bit 29.
  const auto arch = xsimd::available_architectures();
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
  return arch.avx2 && arch.fma3_avx2 && __builtin_cpu_supports("avx2") &&
         __builtin_cpu_supports("fma") && f16c;
#else
  return false;
#endif
}

const IsaSelection& active_selection() {
  static const IsaSelection selection = select_isa(std::getenv("MWT_FORCE_ISA"), cpu_has_avx2());
  return selection;
}

Isa active() noexcept { return active_selection().isa; }
const char* active_isa() noexcept { return isa_name(active()); }
const char* active_isa_reason() noexcept { return active_selection().reason.c_str(); }

}  // namespace mwt::detail
