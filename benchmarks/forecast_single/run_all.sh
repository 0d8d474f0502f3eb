#!/usr/bin/env bash
# Trains the default forecaster on every CSV of make_csvs.py, one run at a time, then
# prints the table of docs/forecasting-single.md.
#   benchmarks/forecast_single/run_all.sh OUT_DIR [extra flags for every run, e.g. --set epochs=30]
set -euo pipefail
out=${1:?usage: run_all.sh OUT_DIR [flags...]}; shift
data=${DATA:-/tmp/forecast_single}
series=${SERIES:-"elnino m3_n1679 m3_n866 lynx nile airpassengers sunspots co2_monthly"}
for name in $series; do
  start=$(date +%s)
  attnflow train forecast --data "$data/$name.csv" --time-col time --target value \
      --out "$out/$name" "$@" > "$out.$name.log" 2>&1 || echo "$name failed (see $out.$name.log)"
  echo "$name: $(( $(date +%s) - start )) s"
done
python "$(dirname "$0")/summarize.py" "$out"
