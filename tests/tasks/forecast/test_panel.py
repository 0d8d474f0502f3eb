"""The forecast task on a panel through the CLI: one network over many series, known-future
covariates, per-series test parts, predict's long output, and every bad input as one line."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from attnflow import cli
from attnflow.tasks.forecast.output import value_decimals
from tests.cli.conftest import run_cli
from tests.cli.test_bad_input import assert_one_line_error
from tests.shared_runs import shared

TINY = ["--epochs", "1", "--context", "12", "--horizon", "4", "--set", "model.units=8",
        "--set", "options.ensemble=1"]  # one network: the ensemble has a test of its own


def panel_frame(lengths=(30, 26, 34), freq="MS", start=2000):
    parts = []
    for number, length in enumerate(lengths):
        steps = np.arange(length)
        scale = 10.0 ** number  # series of very different sizes
        promo = (steps % 5 == 0).astype(float)
        sales = scale * (5 + np.sin(2 * np.pi * steps / 12) + promo)
        parts.append(pd.DataFrame({"store": f"s{number}", "date": pd.date_range(f"{start + number}-01-01",
                                   periods=length, freq=freq), "sales": sales, "promo": promo,
                                   "price": 1.0 + steps / 100, "region": "north" if number else "south"}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="session")
def panel_run(tmp_path_factory, worker_id):
    def build(folder):
        data = folder / "panel.csv"
        panel_frame().to_csv(data, index=False)
        out = folder / "run"
        code = cli.main(["train", "forecast", "--data", str(data), "--id-col", "store", "--time-col", "date",
                         "--target", "sales", "--covariates", "price", "--future-covariates", "promo",
                         "--static-covariates", "region", "--calendar", "--quantiles", "0.1", "0.5", "0.9",
                         "--out", str(out), *TINY])
        assert code == 0
        return folder, out

    return shared(tmp_path_factory, worker_id, "panel_run", build)


def test_a_panel_trains_one_network_scored_over_all_series(panel_run):
    _, out = panel_run
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"mape", "mase"} <= set(metrics["test"])
    assert metrics["model"]["name"] == "AttentionForecaster" and "3 series" in metrics["model"]["description"]
    assert {"seasonal_naive", "ets", "theta", "no_attention"} <= set(metrics["baselines"])
    from tests.explain.test_attention_images import image_tags  # TensorBoard: a series' attention per epoch

    assert image_tags(out / "logs")["attention/example_1"] == {0}
    # The best of the run by MASE: the series' sizes differ 100-fold, so MAE would be the largest's.
    best = metrics["best"]
    assert best["metric"] == "mase" and best["attention_model"] == metrics["test"]["mase"]
    everyone = {"attention_model": metrics["test"], **metrics["baselines"]}
    assert best["value"] == min(scores["mase"] for scores in everyone.values())


def test_ensemble_members_trained_on_mae_and_mape_alternately(tmp_path):
    import keras

    from attnflow.training.losses import MemberLosses, PercentageLoss, PointLoss

    data, out = tmp_path / "panel.csv", tmp_path / "run"
    panel_frame().to_csv(data, index=False)
    code = cli.main(["train", "forecast", "--data", str(data), "--id-col", "store", "--time-col", "date",
                     "--target", "sales", "--out", str(out), *TINY, "--set", "options.loss=[mae,mape]",
                     "--set", "options.ensemble=3", "--set", "options.baselines=false"])
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"]["loss"] == "mae_mape" and "ensemble of 3" in metrics["model"]["description"]
    assert np.isfinite(metrics["test"]["mape"])
    model = keras.models.load_model(out / "model.keras")
    assert isinstance(model.loss, MemberLosses)
    assert [type(model.loss.member_loss(i)) for i in range(3)] == [PointLoss, PercentageLoss, PointLoss]
    scaler = model.loss.member_loss(1)
    assert scaler.transform == "log1p" and scaler.floor == [0.1]  # series divided by their own size


def test_predict_reads_the_future_covariates_and_writes_one_row_per_series_and_time(panel_run, capsys):
    folder, out = panel_run
    future = pd.DataFrame([{"store": f"s{n}", "date": date, "promo": 1.0}
                           for n, end in ((0, "2002-06-01"), (1, "2003-02-01"), (2, "2004-10-01"))
                           for date in pd.date_range(end, periods=4, freq="MS", inclusive="neither")
                           .union(pd.date_range(end, periods=5, freq="MS")[1:])])
    future.to_csv(folder / "future.csv", index=False)
    code, _, err = run_cli(capsys, "predict", out, "--data", folder / "panel.csv", "--future",
                           folder / "future.csv", "--output", folder / "fc.csv")
    assert code == 0, err
    forecast = pd.read_csv(folder / "fc.csv")
    assert list(forecast.columns) == ["store", "date", "sales", "sales_q0.1", "sales_q0.5", "sales_q0.9"]
    assert forecast.groupby("store").size().to_dict() == {"s0": 4, "s1": 4, "s2": 4}
    assert forecast.query("store == 's1'")["date"].tolist()[0] == "2003-03-01"
    decimals = value_decimals(pd.read_csv(folder / "panel.csv")["sales"])  # as the input was written
    lines = (folder / "fc.csv").read_text().splitlines()
    assert decimals is not None and all(len(line.split(",")[2].partition(".")[2]) == decimals
                                        for line in lines[1:]), lines[:3]
    # series of very different sizes: each forecast is near its own series' size
    means = forecast.groupby("store")["sales"].mean()
    assert means["s0"] < 50 < means["s1"] < 500 < means["s2"]


def test_future_covariates_missing_for_part_of_the_horizon(panel_run, capsys):
    folder, out = panel_run
    future = pd.DataFrame({"store": "s0", "date": pd.date_range("2002-07-01", periods=4, freq="MS"),
                           "promo": 0.0})
    future.to_csv(folder / "short_future.csv", index=False)
    code, _, err = run_cli(capsys, "predict", out, "--data", folder / "panel.csv", "--future",
                           folder / "short_future.csv", "--output", folder / "never.csv")
    assert_one_line_error(code, err, "expected future covariates ['promo'] for every forecast step. "
                                     "Received: series='s1', missing=['2003-03-01'")
    assert not (folder / "never.csv").exists()


def test_a_future_file_for_a_run_without_future_covariates(tmp_path, capsys):
    data = tmp_path / "panel.csv"
    panel_frame().to_csv(data, index=False)
    out = tmp_path / "run"
    assert cli.main(["train", "forecast", "--data", str(data), "--id-col", "store", "--time-col", "date",
                     "--target", "sales", "--out", str(out), *TINY, "--set", "options.baselines=false"]) == 0
    capsys.readouterr()
    code, _, err = run_cli(capsys, "predict", out, "--future", data, "--output", tmp_path / "fc.csv")
    assert_one_line_error(code, err, "expected no --future FILE for a run trained without --future-covariates")
    assert not (tmp_path / "fc.csv").exists()


@pytest.mark.parametrize("change, expected", [
    (lambda f: pd.concat([f, f.iloc[[2]]]), "expected one row per (store, date) pair"),
    (lambda f: f.assign(store=f["store"].where(f.index != 3, "")), "expected an id in every row of 'store'"),
    (lambda f: pd.concat([f[f.store != "s1"], panel_frame((0, 30), "QS-JAN").query("store == 's1'")]),
     "expected every series at one frequency"),
    (lambda f: f[f.store == "s0"].head(10), "expected at least one series of 16 steps or more"),
])
def test_bad_panels_exit_2_and_write_nothing(tmp_path, capsys, change, expected):
    data = tmp_path / "panel.csv"
    change(panel_frame()).to_csv(data, index=False)
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", "forecast", "--data", data, "--id-col", "store", "--time-col",
                           "date", "--target", "sales", "--out", out, *TINY)
    assert_one_line_error(code, err, expected)
    assert not out.exists() and not list(tmp_path.glob("run*"))


def test_short_series_are_skipped_with_one_warning(tmp_path, capsys):
    data = tmp_path / "panel.csv"
    frame = panel_frame((30, 9, 26, 28))
    last = frame.index[frame.store == "s3"][-4:]
    frame.loc[last, "sales"] = np.nan  # s3: nothing to score in its test part (its last 4 steps)
    frame.to_csv(data, index=False)
    out = tmp_path / "run"
    with pytest.warns(UserWarning) as record:
        code, printed, err = run_cli(capsys, "train", "forecast", "--data", data, "--id-col", "store",
                                     "--time-col", "date", "--target", "sales", "--out", out, *TINY,
                                     "--set", "options.baselines=false")
    assert code == 0, err
    assert re.search(r"^1 epoch in \d+ s$", printed, re.M), printed
    messages = [str(w.message) for w in record if "skipped" in str(w.message)]
    assert len(messages) == 2, messages
    assert re.search(r"skipped 1 of 4 series shorter than 16 steps .*: s1 \(9 steps\)", messages[0])
    assert messages[1] == ("skipped 1 of 3 series with no observed value in their test part (their last 4 "
                           "steps): s3 (28 steps)")
    assert "2 series" in json.loads((out / "metrics.json").read_text())["model"]["description"]

    # predict: s3 is forecast from its last sale (its blank steps cut, with one warning).
    with pytest.warns(UserWarning, match=r"1 series end with steps that have no target value \(first: "
                                         r"store=s3\): each forecast follows its series' last step with one"):
        code, _, err = run_cli(capsys, "predict", out, "--output", tmp_path / "fc.csv")
    assert code == 0, err
    forecast = pd.read_csv(tmp_path / "fc.csv")
    s3 = frame[frame.store == "s3"].dropna(subset=["sales"])
    first = pd.Timestamp(s3["date"].iloc[-1]) + pd.DateOffset(months=1)
    assert forecast[forecast.store == "s3"]["date"].iloc[0] == first.strftime("%Y-%m-%d")
    assert sorted(forecast["store"].unique()) == ["s0", "s2", "s3"]


def test_explore_draws_each_series_test_forecast_over_its_own_context(panel_run, capsys):
    folder, out = panel_run
    code, _, err = run_cli(capsys, "explore", out, "--examples", "3")
    assert code == 0, err
    page = (out / "explorer.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script id="explorer-data" type="application/json">(.*?)</script>',
                                page, re.S).group(1))
    assert data["kind"] == "forecast" and [e["name"].split(":")[0] for e in data["examples"]] == ["s0", "s1", "s2"]
    frame = panel_frame()
    context = 12
    for example, (store, part) in zip(data["examples"], frame.groupby("store", sort=True)):
        sales = part["sales"].to_numpy()
        np.testing.assert_allclose(example["series"]["values"], sales[-4 - context:-4], rtol=1e-6)
        assert example["truth"] == ", ".join(f"{v:.4g}" for v in sales[-4:])
        weights = np.array(example["views"][0]["heads"][0]["weights"])  # [H, L], the heads' mean
        assert weights.shape == (4, context)
        np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)
        forecast = np.array([float(v) for v in example["prediction"].split(", ")])
        assert np.all(np.abs(forecast - sales[-4:].mean()) < 0.5 * sales[-4:].mean())  # its own size


@pytest.mark.parametrize("freq, lengths, horizon, expected", [
    ("MS", (60, 70), None, (24, 12, 12)),  # two seasons: 24 months before a 12-month horizon
    ("QS", (40, 50), 8, (8, 8, 4)),  # two seasons, but not fewer steps than the horizon
    ("YS", (30, 40), 4, (8, 4, 1)),  # no season: twice the horizon
    ("MS", (30, 60), 12, (18, 12, 12)),  # the shortest series still keeps its test part
])
def test_the_default_context_is_two_seasons_and_at_least_the_horizon(freq, lengths, horizon, expected):
    from attnflow.data.panel import panel_from_frame
    from attnflow.tasks.forecast.options import ForecastOptions
    from attnflow.tasks.forecast.panel import panel_settings

    panel = panel_from_frame(panel_frame(lengths, freq), "store", "date", ["sales"])
    context, horizon, season, _ = panel_settings(ForecastOptions(horizon=horizon), panel, "file")
    assert (context, horizon, season) == expected
    assert panel_settings(ForecastOptions(horizon=horizon, context=5), panel, "file")[0] == 5
