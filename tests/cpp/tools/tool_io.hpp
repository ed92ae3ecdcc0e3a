// What the test-only tokenizer drivers (tok_encode_tool, tok_models_tool) share: reading a file,
// writing ids and strings as JSON, and the main() that turns a library error into
// {"error", "message"} on stdout with exit status 2 (any other failure: a message on stderr and
// status 1).
#pragma once
#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/json_text.hpp"
#include "tokenizer/tokenizer.hpp"

namespace tok_tool {

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void str_json(std::string& out, std::string_view s) {
  mwt::detail::append_json_string(out, s);
}

inline void ids_json(std::string& out, const std::vector<mwt::detail::tok::TokenId>& ids) {
  out += '[';
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  out += ']';
}

// The body of main(): run(argc, argv), its errors reported as the header says.
inline int main_of(const char* name, int (*run)(int, char**), int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const mwt::detail::Error& e) {
    std::string out = "{\"error\": ";
    str_json(out, mwt::detail::code_name(e.code()));
    out += ", \"message\": ";
    str_json(out, e.what());
    out += "}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 1;
  }
}

}  // namespace tok_tool
