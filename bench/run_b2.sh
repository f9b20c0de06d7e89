#!/usr/bin/env bash
# B2 (memory): peak RSS of a 3-operator streamflow pipeline at 0.5M, 1M and 2M rows,
# with a run directory (LMDB run store, as a long job has) and without one.
# Target: flat across sizes and under 300 MB. Input files are generated when missing.
# Usage: bash bench/run_b2.sh            (SIZES="500000 1000000 2000000" by default)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
SIZES=${SIZES:-500000 1000000 2000000}
RESULTS=bench/data/b2_results.jsonl

mkdir -p bench/data
echo "# $($PY --version), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB" >&2
# shellcheck disable=SC2086  # SIZES is a list of numbers
$PY bench/b2_memory.py --data-dir bench/data --sizes $SIZES | tee "$RESULTS"
# shellcheck disable=SC2086
$PY bench/b2_memory.py --data-dir bench/data --sizes $SIZES --no-run-dir | tee -a "$RESULTS"
