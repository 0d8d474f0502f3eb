#!/bin/bash
# The Tourism figures and the scaling table of docs/forecasting-panels.md:
#
#     bash benchmarks/forecast_panels/scaling.sh [OUT_DIR]   (default /tmp/forecast_panels)
#
# Runs `attnflow train forecast` with the defaults on the three Tourism subsets and on
# the first 50 / 100 / 200 monthly series (--limit), one after the other, and prints
# each run's wall seconds, the load average, and its MAPE / MASE beside the baselines.
# Run it on a quiet machine: the times are only comparable within one run of this script.
set -euo pipefail
out=${1:-/tmp/forecast_panels}
mkdir -p "$out"
for spec in "yearly" "quarterly" "monthly 50" "monthly 100" "monthly 200" "monthly"; do
    set -- $spec
    subset=$1 limit=${2:-}
    run="$out/$subset${limit:+-$limit}"
    rm -rf "$run"
    start=$(date +%s.%N)
    attnflow train forecast --dataset "tourism_$subset" ${limit:+--limit "$limit"} --out "$run" > "$run.log" 2>&1
    end=$(date +%s.%N)
    python3 - "$run" "$subset" "${limit:-all}" "$start" "$end" <<'PY'
import json, os, sys
run, subset, limit, start, end = sys.argv[1:]
metrics = json.load(open(os.path.join(run, "metrics.json")))
scores = {"attnflow": metrics["test"], **metrics.get("baselines", {})}
print(f"{subset} {limit}: wall {float(end) - float(start):.0f} s, train {metrics['train_seconds']:.0f} s, "
      f"load {os.getloadavg()[0]:.1f}; MAPE / MASE "
      + ", ".join(f"{name} {s['mape']:.2f} / {s['mase']:.3f}" for name, s in scores.items()))
PY
done
