"""The table of docs/forecasting-single.md from the runs of run_all.sh.

    python benchmarks/forecast_single/summarize.py RUNS_DIR [RUNS_DIR ...] [--markdown]

One row per run (RUNS_DIR/NAME/metrics.json and config.yaml): length,
frequency, transform, season, context, horizon, the network's test MASE and MAE, seasonal
naive's, the best classical baseline's (seasonal naive, Holt-Winters,
ARIMA), the no-attention twin's, whether the network beats seasonal naive
and whether it is within 10% of the best classical MASE.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import yaml

CLASSICAL = ("seasonal_naive", "holt_winters", "arima")


def row(run: Path) -> dict:
    metrics = json.loads((run / "metrics.json").read_text())
    config = yaml.safe_load((run / "config.yaml").read_text())
    options = config["options"]
    times = pd.to_datetime(pd.read_csv(config["data"])[options["time_col"]])
    baselines = metrics["baselines"]
    classical = {name: scores for name, scores in baselines.items() if name in CLASSICAL}
    best = min(classical, key=lambda name: classical[name]["mase"])
    model, naive = metrics["test"], baselines["seasonal_naive"]
    return {"series": run.name, "length": len(times), "freq": pd.infer_freq(times),
            "transform": options["transform"], "season": options["season_length"], "context": options["context"],
            "horizon": options["horizon"], "MASE": model["mase"], "MAE": model["mae"],
            "naive MASE": naive["mase"], "best classical": best, "best MASE": classical[best]["mase"],
            "twin MASE": baselines.get("no_attention", {}).get("mase", float("nan")),
            "beats naive": model["mase"] < naive["mase"],
            "within 10%": model["mase"] <= 1.1 * classical[best]["mase"],
            "seconds": metrics.get("train_seconds")}


def main() -> None:
    directories = [argument for argument in sys.argv[1:] if argument != "--markdown"]
    rows = [{"run": Path(directory).name, **row(path.parent)} for directory in directories
            for path in sorted(Path(directory).glob("*/metrics.json"))]
    table = pd.DataFrame(rows).sort_values(["series", "run"], kind="stable")
    if "--markdown" in sys.argv:
        print(table.to_markdown(index=False, floatfmt=".3f"))
        return
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 3):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
