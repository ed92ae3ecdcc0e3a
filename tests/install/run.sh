#!/bin/sh
# Install + consume test: `cmake --install` the main build into a temporary prefix, build the
# consumer project in tests/install against it with find_package(mwt), then run the C and C++
# inspect examples on sample files written through the installed writer (or on FILE) and
# require both to succeed and print identical output.
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
headers=$(cd "$tmp/prefix/include/mwt" && ls | sort | tr '\n' ' ')
if [ "$headers" != "mwt.h mwt.hpp mwt_version.h " ]; then
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

if [ -n "$file" ]; then
  files=$file
else
  "$tmp/consumer/write_sample" "$tmp/sample.gguf" "$tmp/sample.safetensors"
  files="$tmp/sample.gguf $tmp/sample.safetensors"
fi

for f in $files; do
  echo "== inspect $f"
  "$tmp/consumer/inspect_c" "$f" >"$tmp/out_c.txt"
  "$tmp/consumer/inspect_cpp" "$f" >"$tmp/out_cpp.txt"
  cat "$tmp/out_c.txt"
  if ! cmp -s "$tmp/out_c.txt" "$tmp/out_cpp.txt"; then
    echo "C and C++ examples disagree on $f:" >&2
    diff "$tmp/out_c.txt" "$tmp/out_cpp.txt" >&2 || true
    exit 1
  fi
done

if [ -z "$file" ]; then
  # The sample's content is known, so check a few lines the writer must have produced.
  "$tmp/consumer/inspect_c" "$tmp/sample.gguf" >"$tmp/gguf.txt"
  for want in 'format: gguf, version 3, alignment 32' \
              '"tokenizer.ggml.scores": ARRAY = [FLOAT32 x 3] [0, -1.5, -2.5]' \
              '"blk.0.w" F32 [2, 3] 24 bytes' \
              '"test.flag": BOOL = true'; do
    grep -qF "$want" "$tmp/gguf.txt" || { echo "missing in gguf output: $want" >&2; exit 1; }
  done
  # out_c.txt still holds the last file inspected, the safetensors sample.
  grep -qF '"model.w" F32 [3, 2] 24 bytes' "$tmp/out_c.txt" ||
    { echo "missing model.w in safetensors output" >&2; exit 1; }
fi
echo "== install test passed"
