"""`attnflow train/evaluate/predict` for task forecast, end to end on a tiny monthly CSV."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from attnflow import cli
from tests.cli.conftest import run_cli
from tests.cli.test_bad_input import assert_one_line_error
from tests.shared_runs import shared

MONTHS = 60
TINY = ["--horizon", "6", "--context", "12", "--epochs", "2", "--set", "model.units=8",
        "--set", "options.ensemble=1"]


def monthly_frame(rows: int = MONTHS) -> pd.DataFrame:
    """Trend + yearly season + noise, one value missing (NaN) in the training part."""
    rng = np.random.default_rng(0)
    steps = np.arange(rows)
    sales = 100 + 0.5 * steps + 10 * np.sin(2 * np.pi * steps / 12) + rng.normal(0, 1, rows)
    sales[min(20, rows - 1)] = np.nan
    times = pd.date_range("2015-01-01", periods=rows, freq="MS").strftime("%Y-%m-%d")
    return pd.DataFrame({"month": times, "sales": sales})


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("series") / "sales.csv"
    monthly_frame().to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def forecast_run(tmp_path_factory, worker_id):
    def build(folder):
        data = folder / "sales.csv"
        monthly_frame().to_csv(data, index=False)
        out = folder / "forecast"
        code = cli.main(["train", "forecast", "--data", str(data), "--time-col", "month",
                         "--target", "sales", "--quantiles", "0.1", "0.5", "0.9", "--backtest", "2",
                         "--out", str(out), *TINY])
        assert code == 0
        return out

    return shared(tmp_path_factory, worker_id, "forecast_run", build)


def test_train_writes_metrics_with_every_baseline_and_the_pictures(forecast_run):
    metrics = json.loads((forecast_run / "metrics.json").read_text())
    assert metrics["task"] == "forecast"
    for scores in (metrics["test"], metrics["backtest"]):
        assert set(scores) == {"mae", "rmse", "mape", "mase", "pinball"}
        assert all(np.isfinite(v) and v >= 0 for v in scores.values())
    names = {"seasonal_naive", "holt_winters", "arima", "no_attention"}
    assert names | {f"{name} (backtest)" for name in names} == set(metrics["baselines"])
    for scores in metrics["baselines"].values():
        assert {"mae", "rmse", "mape", "mase"} <= set(scores)
    # Holt-Winters on a clean seasonal series is far better than seasonal naive.
    assert metrics["baselines"]["holt_winters"]["mae"] < metrics["baselines"]["seasonal_naive"]["mae"]
    assert (forecast_run / "attention" / "forecast.png").stat().st_size > 5000
    assert (forecast_run / "attention" / "test_attention.png").is_file()
    options = yaml.safe_load((forecast_run / "config.yaml").read_text())["options"]
    assert options["context"] == 12 and options["horizon"] == 6 and options["season_length"] == 12
    # a positive series is modelled in logs (the transform follows the data when not set)
    assert options["transform"] == options["scaler"]["transform"] == "log" and len(options["scaler"]["mean"]) == 1


def test_evaluate_scores_the_run_again(forecast_run, csv_file, capsys):
    metrics = json.loads((forecast_run / "metrics.json").read_text())
    code, out, _ = run_cli(capsys, "evaluate", forecast_run, "--data", csv_file)
    assert code == 0
    assert f"{metrics['test']['mae']:.4f}" in out  # the same test part, the same forecast


def test_predict_writes_the_next_horizon_as_csv(forecast_run, csv_file, tmp_path, capsys):
    target = tmp_path / "out" / "forecast.csv"
    target.parent.mkdir()
    code, out, _ = run_cli(capsys, "predict", forecast_run, "--data", csv_file, "--output", target)
    assert code == 0 and str(target) in out
    lines = target.read_text().splitlines()
    assert lines[1].startswith("2020-01-01,")  # a date, as the input wrote it, not "... 00:00:00"
    # the input's values have 15+ decimals (computed): 6 significant digits
    assert all(len(value.replace(".", "").lstrip("0")) <= 6 for value in lines[1].split(",")[1:])
    frame = pd.read_csv(target)
    assert list(frame.columns) == ["month", "sales", "sales_q0.1", "sales_q0.5", "sales_q0.9"]
    assert list(frame["month"]) == [f"2020-{m:02d}-01" for m in range(1, 7)]
    assert np.allclose(frame["sales"], frame["sales_q0.5"])
    assert (frame["sales_q0.1"] <= frame["sales_q0.5"]).all() and (frame["sales_q0.5"] <= frame["sales_q0.9"]).all()
    assert frame["sales"].between(50, 200).all()

    # The SavedModel takes the raw window and its mask and gives the same forecast.
    import tensorflow as tf

    raw = monthly_frame()["sales"].to_numpy()[-12:]
    loaded = tf.saved_model.load(str(forecast_run / "saved_model"))  # referenced while it serves
    served = loaded.serve(
        tf.constant(np.nan_to_num(raw)[None, :, None], tf.float32),
        tf.constant((~np.isnan(raw))[None, :, None], tf.float32)).numpy()
    assert served.shape == (1, 6, 1, 3)
    assert np.allclose(served[0, :, 0, 1], frame["sales"], rtol=1e-4)

    code, out, _ = run_cli(capsys, "predict", forecast_run)  # the run's own file, printed
    assert code == 0 and "2020-06-01" in out and "sales_q0.9" in out


def test_predict_show_attention_writes_a_heatmap_and_the_top_k_past_steps(forecast_run, tmp_path, capsys):
    plots = tmp_path / "plots"
    code, out, _ = run_cli(capsys, "predict", forecast_run, "--output", tmp_path / "f.csv",
                           "--show-attention", "--top-k", "3", "--plots", plots)
    assert code == 0
    picture, top_k = plots / "forecast_attention.png", plots / "forecast_attention_top_k.json"
    assert str(picture) in out and str(top_k) in out and picture.stat().st_size > 5000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.csv", "plots"]
    document = json.loads(top_k.read_text())
    assert document["target"] == "sales" and len(document["forecast_steps"]) == 6
    for step, entry in enumerate(document["forecast_steps"], 1):
        assert entry["step"] == step and entry["time"].startswith(f"2020-{step:02d}-01")
        weights = [past["weight"] for past in entry["top"]]
        assert len(weights) == 3 and weights == sorted(weights, reverse=True) and sum(weights) <= 1.0001
        for past in entry["top"]:
            lag_time = pd.Timestamp(entry["time"]) - pd.DateOffset(months=past["lag"])
            assert step <= past["lag"] <= step + 11 and pd.Timestamp(past["time"]) == lag_time


def test_predict_reads_the_file_as_its_writer_meant(forecast_run, csv_file, tmp_path, capsys):
    target = tmp_path / "iso.csv"
    assert run_cli(capsys, "predict", forecast_run, "--data", csv_file, "--output", target)[0] == 0
    expected = pd.read_csv(target)

    # Dates written day first (01/02/2015 is 1 February): read so, the same forecast.
    frame = monthly_frame()
    frame["month"] = pd.to_datetime(frame["month"]).dt.strftime("%d/%m/%Y")
    code, _, _ = run_cli(capsys, "predict", forecast_run, "--data", write(tmp_path, frame, "dayfirst.csv"),
                         "--output", tmp_path / "dayfirst_fc.csv")
    assert code == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "dayfirst_fc.csv"), expected)

    # Rows added for the months to forecast, with no sales yet: the forecast follows the last sale.
    blank = pd.concat([monthly_frame(), pd.DataFrame({"month": ["2020-01-01", "2020-02-01"]})])
    with pytest.warns(UserWarning, match=r"the last 2 step\(s\) of the data have no value of sales: "
                                         r"the forecast follows 2019-12-01"):
        code, _, _ = run_cli(capsys, "predict", forecast_run, "--data", write(tmp_path, blank, "blank.csv"),
                             "--output", tmp_path / "blank_fc.csv")
    assert code == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "blank_fc.csv"), expected)

    # A file at another frequency than the run's: one line, nothing written.
    daily = monthly_frame()
    daily["month"] = pd.date_range("2015-01-01", periods=MONTHS, freq="D").strftime("%Y-%m-%d")
    code, _, err = run_cli(capsys, "predict", forecast_run, "--data", write(tmp_path, daily, "daily.csv"),
                           "--output", tmp_path / "daily_fc.csv")
    assert_one_line_error(code, err, "expected the timestamps to follow freq='MS'. Received: inferred='D'")
    assert not (tmp_path / "daily_fc.csv").exists()


def test_show_attention_writes_only_where_told(forecast_run, tmp_path, capsys):
    # Files beside --output that happen to have the plots' names are the user's: left alone.
    mine = {"fc_out.csv": "old forecast", "forecast_attention.png": "my picture",
            "forecast_attention_top_k.json": "my notes"}
    for name, text in mine.items():
        (tmp_path / name).write_text(text)
    code, out, _ = run_cli(capsys, "predict", forecast_run, "--output", tmp_path / "fc_out.csv",
                           "--show-attention")
    assert code == 0
    default = forecast_run / "attention" / "predicted"
    assert f"attention over the past: {default / 'forecast_attention.png'}" in out
    assert (default / "forecast_attention_top_k.json").is_file()
    assert {p.name: p.read_text() for p in tmp_path.iterdir() if p.name != "fc_out.csv"} == {
        name: text for name, text in mine.items() if name != "fc_out.csv"}
    assert (tmp_path / "fc_out.csv").read_text().startswith("month,sales")

    # An --output folder that does not exist, or --plots naming a file: one line, nothing written.
    code, _, err = run_cli(capsys, "predict", forecast_run, "--output", tmp_path / "no" / "f.csv")
    assert_one_line_error(code, err, "expected --output in an existing folder")
    code, _, err = run_cli(capsys, "predict", forecast_run, "--output", tmp_path / "g.csv",
                           "--show-attention", "--plots", tmp_path / "forecast_attention.png")
    assert_one_line_error(code, err, "expected --plots to name a folder, not a file")
    assert not (tmp_path / "no").exists() and not (tmp_path / "g.csv").exists()
    assert (tmp_path / "forecast_attention.png").read_text() == "my picture"


def write(tmp_path, frame, name="series.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def bad_frame(kind):
    frame = monthly_frame()
    if kind == "unparsable":
        frame.loc[7, "month"] = "not a date"
    elif kind == "duplicated":
        frame.loc[7, "month"] = frame.loc[6, "month"]
    elif kind == "non_numeric":
        frame["sales"] = frame["sales"].astype(object)
        frame.loc[3, "sales"] = "lots"
    elif kind == "irregular":
        days = np.cumsum(np.random.default_rng(1).integers(1, 40, MONTHS))
        frame["month"] = (pd.Timestamp("2015-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    elif kind == "one_irregular":
        frame.loc[40, "month"] = "2018-05-17"  # 2018-05-01 mistyped
    return frame


@pytest.mark.parametrize("kind, argv, expected", [
    ("unparsable", [], "expected parsable timestamps in 'month'. Received: row=7, value='not a date'"),
    ("duplicated", [], "expected unique timestamps in 'month'"),
    ("non_numeric", [], "expected a numeric target column 'sales'"),
    ("clean", ["--target", "revenue"], "expected a target among the columns ['month', 'sales']"),
    ("clean", ["--horizon", "30"], "expected a horizon the data can support"),
    ("clean", ["--context", "56"], "expected a series of at least context + horizon = 62 steps"),
    ("irregular", [], "expected a regular time index"),
    ("one_irregular", [], "Received: irregular step at row 40: 2018-04-01 -> 2018-05-17"),
    ("empty", [], "expected a CSV with a header and rows. Received: path='"),
    ("clean", ["--backtest", "50"],
     "expected --backtest at most 7 for 60 steps with context 12 and horizon 6. Received: --backtest=50"),
    ("clean", ["--dataset", "sunspots"], "expected either --data FILE or --dataset NAME"),
    ("clean", ["--set", "model.no_such_setting=1"], "Received: unknown=['no_such_setting']"),
])
def test_bad_input_is_one_line_and_leaves_nothing(tmp_path, capsys, kind, argv, expected):
    path = write(tmp_path, bad_frame(kind))
    if kind == "empty":
        path.write_text("")
    flags = ["--horizon", "6", "--context", "12", "--target", "sales"]
    code, _, err = run_cli(capsys, "train", "forecast", "--data", path, "--time-col", "month",
                           *flags, *argv, "--epochs", "1", "--out", tmp_path / "run")
    assert_one_line_error(code, err, expected)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_file_without_target_and_bad_predict_inputs(forecast_run, tmp_path, capsys):
    path = write(tmp_path, monthly_frame())
    code, _, err = run_cli(capsys, "train", "forecast", "--data", path, "--out", tmp_path / "run")
    assert_one_line_error(code, err, "expected --target COLUMN")
    short = write(tmp_path, monthly_frame(8), "short.csv")
    code, _, err = run_cli(capsys, "predict", forecast_run, "--data", short)
    assert_one_line_error(code, err, "expected a series of at least context=12 steps")
    code, _, err = run_cli(capsys, "predict", forecast_run, "some text")
    assert_one_line_error(code, err, "expected no INPUT arguments")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["series.csv", "short.csv"]


def test_a_run_in_mixed_bfloat16_exports_a_saved_model_that_serves_float32(csv_file, tmp_path, capsys):
    import tensorflow as tf

    out = tmp_path / "bf16"
    code, _, err = run_cli(capsys, "train", "forecast", "--data", csv_file, "--time-col", "month",
                           "--target", "sales", "--precision", "mixed_bfloat16", "--out", out, *TINY,
                           "--set", "options.baselines=false")
    assert code == 0, err[-2000:]
    served = tf.saved_model.load(str(out / "saved_model")).signatures["serving_default"]
    context = tf.fill([1, 12, 1], 100.0)
    outputs = served(context=context, observed=tf.ones([1, 12, 1]))
    forecast = next(iter(outputs.values()))
    assert forecast.dtype == tf.float32 and forecast.shape == (1, 6, 1)
    assert bool(tf.reduce_all(tf.math.is_finite(forecast)))
