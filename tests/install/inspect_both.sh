#!/bin/sh
# Runs the C and C++ inspect examples on the sample files write_sample writes into DIR (or on
# FILE) and requires both to succeed and print identical output; on the samples, also a few
# lines whose content the writer fixes. Used by run.sh (installed package) and by the ctest
# `examples` (in-tree build).
# Usage: inspect_both.sh INSPECT_C INSPECT_CPP WRITE_SAMPLE DIR [FILE]
set -eu

if [ $# -lt 4 ] || [ $# -gt 5 ]; then
  echo "usage: $0 INSPECT_C INSPECT_CPP WRITE_SAMPLE DIR [FILE]" >&2
  exit 2
fi
inspect_c=$1
inspect_cpp=$2
write_sample=$3
dir=$4
file=${5:-}

if [ -n "$file" ]; then
  files=$file
else
  "$write_sample" "$dir/sample.gguf" "$dir/sample.safetensors"
  files="$dir/sample.gguf $dir/sample.safetensors"
fi

for f in $files; do
  echo "== inspect $f"
  "$inspect_c" "$f" >"$dir/out_c.txt"
  "$inspect_cpp" "$f" >"$dir/out_cpp.txt"
  cat "$dir/out_c.txt"
  if ! cmp -s "$dir/out_c.txt" "$dir/out_cpp.txt"; then
    echo "C and C++ examples disagree on $f:" >&2
    diff "$dir/out_c.txt" "$dir/out_cpp.txt" >&2 || true
    exit 1
  fi
done

if [ -z "$file" ]; then
  # The sample's content is known, so check a few lines the writer must have produced.
  "$inspect_c" "$dir/sample.gguf" >"$dir/gguf.txt"
  for want in 'format: gguf, version 3, alignment 32' \
              '"tokenizer.ggml.scores": ARRAY = [FLOAT32 x 3] [0, -1.5, -2.5]' \
              '"blk.0.w" F32 [2, 3] 24 bytes' \
              '"test.flag": BOOL = true'; do
    grep -qF "$want" "$dir/gguf.txt" || { echo "missing in gguf output: $want" >&2; exit 1; }
  done
  # out_c.txt still holds the last file inspected, the safetensors sample.
  grep -qF '"model.w" F32 [3, 2] 24 bytes' "$dir/out_c.txt" ||
    { echo "missing model.w in safetensors output" >&2; exit 1; }
fi
echo "== inspect outputs agree"
