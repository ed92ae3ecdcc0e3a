#!/bin/sh
# Install + consume test: `cmake --install` the main build into a temporary prefix, build the
# consumer project in tests/install against it with find_package(mwt), then run the C and C++
# inspect examples on sample files written through the installed writer (or on FILE) and
# require both to succeed and print identical output (inspect_both.sh).
# The C99 ABI test of tests/c is built and run against the installed library too.
# Usage: run.sh BUILD_DIR SOURCE_DIR [FILE]
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 BUILD_DIR SOURCE_DIR [FILE]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
file=${3:-}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mwt-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "== install $build -> $tmp/prefix"
cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" || {
  cat "$tmp/install.log" >&2
  exit 1
}

# Only the public headers may be installed: internals stay private to the library.
headers=$(cd "$tmp/prefix/include/mwt" && ls | LC_ALL=C sort | tr '\n' ' ')
want="mwt.h mwt.hpp mwt_analysis.h mwt_stats.h mwt_tokenizer.h mwt_tokenizer.hpp"
want="$want mwt_tokenizer_train.h mwt_version.h mwt_writer.h "
if [ "$headers" != "$want" ]; then
  echo "unexpected installed headers: $headers" >&2
  exit 1
fi

echo "== configure and build the consumer"
cmake -S "$src/tests/install" -B "$tmp/consumer" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" -DMWT_EXAMPLES_DIR="$src/examples" >"$tmp/configure.log" || {
  cat "$tmp/configure.log" >&2
  exit 1
}
cmake --build "$tmp/consumer" -j 2 >"$tmp/build.log" || {
  cat "$tmp/build.log" >&2
  exit 1
}

echo "== C99 ABI test against the installed library"
mkdir -p "$tmp/c_api_scratch"
"$tmp/consumer/test_c_api_installed" "$tmp/c_api_scratch"
# It must have loaded the installed shared library, not the build tree's.
if command -v ldd >/dev/null 2>&1; then
  ldd "$tmp/consumer/test_c_api_installed" | grep -q "$tmp/prefix" ||
    { echo "test_c_api_installed does not link the installed libmwt" >&2; exit 1; }
fi

sh "$src/tests/install/inspect_both.sh" "$tmp/consumer/inspect_c" "$tmp/consumer/inspect_cpp" \
  "$tmp/consumer/write_sample" "$tmp" ${file:+"$file"}
echo "== install test passed"
