#!/usr/bin/env bash
# The machine's limits behind docs/performance.md's "ceiling": the FMA peak
# and the cost of exp over the N = 4096 scores held in cache. Needs gcc and
# an AVX-512 CPU; not part of the test suite.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
for program in peak_fma exp_in_cache; do
  gcc -O3 -march=native -fopenmp "$here/$program.c" -o "$build/$program" -lm
  OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}" "$build/$program"
done
