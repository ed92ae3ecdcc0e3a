#!/usr/bin/env bash
# Build the libFuzzer targets with clang (ASan + UBSan + coverage) and run each for SECONDS
# (default 600), two at a time. Seeds come from make_seeds.py; corpora persist under
# tests/fuzz/corpus-<target>/ (git-ignored); crash/leak/timeout/oom inputs go to
# build/fuzz/findings/<target>-*.
# Prints one summary line per target (executions, corpus size, crashes).
set -euo pipefail
SECONDS_EACH="${1:-600}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="$ROOT/build/fuzz"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
PARALLEL="${FUZZ_PARALLEL:-2}"

CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMWT_BUILD_FUZZ=ON -DMWT_BUILD_TESTS=OFF -DMWT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$BUILD" -j "$PARALLEL"

FINDINGS="$BUILD/findings"
mkdir -p "$FINDINGS"
SEEDS="$BUILD/seeds"
rm -rf "$SEEDS"
"$PY" "$ROOT/tests/fuzz/make_seeds.py" "$SEEDS"

targets=()
for src in "$ROOT"/tests/fuzz/fuzz_*.cpp; do
  targets+=("$(basename "$src" .cpp)")
done

run_one() {
  local t="$1" short="${1#fuzz_}"
  local corpus="$ROOT/tests/fuzz/corpus-$short"
  mkdir -p "$corpus"
  local log="$BUILD/$t.log"
  (cd "$corpus" && "$BUILD/tests/fuzz/$t" -max_total_time="$SECONDS_EACH" -timeout=10 \
      -artifact_prefix="$FINDINGS/$short-" \
      -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 "$corpus" "$SEEDS/$short" \
      >"$log" 2>&1) || true
  local execs crashes
  execs=$(grep -E "^stat::number_of_executed_units" "$log" | awk '{print $2}')
  crashes=$(ls "$FINDINGS" | grep -cE "^$short-(crash|leak|timeout|oom)-" || true)
  echo "$t: ${SECONDS_EACH}s, ${execs:-?} executions, corpus $(ls "$corpus" | wc -l) files," \
    "findings: $crashes (log $log)"
}

status=0
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$PARALLEL" ]; then wait -n || status=1; running=$((running - 1)); fi
done
wait || status=1
if [ -n "$(ls -A "$FINDINGS")" ]; then
  echo "fuzzing found problems: $(ls "$FINDINGS" | tr '\n' ' ')(in $FINDINGS)"; exit 1
fi
exit $status
