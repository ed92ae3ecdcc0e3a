#!/usr/bin/env bash
# make lint: every style and structure check, each over the whole tracked tree.
#   tools/lint.sh        all of them, clang-tidy included (needs build/release's compile database)
#   tools/lint.sh fast   all but clang-tidy (make test runs this)
set -euo pipefail
cd "$(dirname "$0")/.."
VPY=${VPY:-.venv/bin/python}
status=0
step() { echo "== ${*:1:4}$([ $# -gt 4 ] && echo " ... ($# words)")"; "$@" || status=1; }

step python3 tools/check_layers.py
step python3 tools/check_lines.py

mapfile -t tracked < <(git ls-files -co --exclude-standard -- 'libmwt/*.h' 'libmwt/*.hpp' \
  'libmwt/*.cpp' 'bindings/*.hpp' 'bindings/*.cpp' 'tests/*.c' 'tests/*.h' 'tests/*.hpp' \
  'tests/*.cpp' 'examples/*.c' 'examples/*.cpp' 'benchmarks/*.cpp')
cxx=()
for f in "${tracked[@]}"; do [ -f "$f" ] && cxx+=("$f"); done  # not files deleted in the tree
step clang-format --dry-run --Werror "${cxx[@]}"

step "$VPY" -m ruff check python tests benchmarks examples tools
step "$VPY" -m mypy

if [ "${1:-}" != fast ]; then
  if [ ! -f build/release/compile_commands.json ]; then
    echo "clang-tidy needs build/release/compile_commands.json: run make build first" >&2
    exit 1
  fi
  step run-clang-tidy -p build/release -quiet -j "${JOBS:-2}" 'libmwt/src/'
fi
if [ $status -ne 0 ]; then echo "lint: FAILED" >&2; else echo "lint: ok"; fi
exit $status
