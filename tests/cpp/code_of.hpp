// The error code a call raises: Code::OK when it returns normally.
#pragma once
#include <functional>

#include "core/error.hpp"

inline mwt::detail::Code code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const mwt::detail::Error& e) {
    return e.code();
  }
  return mwt::detail::Code::OK;
}
