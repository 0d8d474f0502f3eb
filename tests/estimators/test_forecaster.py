"""Forecaster: the forecast task from a DataFrame (statsforecast's ds/y naming too)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import attnflow
from tests.cli.conftest import run_cli
from tests.cli.test_forecast_cli import monthly_frame

TINY = dict(horizon=6, context=12, epochs=2, model={"units": 8}, options={"ensemble": 1}, verbose=0)


@pytest.fixture(scope="module")
def fitted():
    frame = monthly_frame().rename(columns={"month": "ds", "sales": "y"})
    return attnflow.Forecaster(**TINY, quantiles=[0.1, 0.5, 0.9]).fit(frame)


def test_predict_is_the_next_horizon_with_quantile_columns(fitted):
    forecast = fitted.predict()
    assert list(forecast.columns) == ["ds", "y", "y_q0.1", "y_q0.5", "y_q0.9"]
    assert len(forecast) == 6
    assert pd.to_datetime(forecast["ds"]).iloc[0] == pd.Timestamp("2020-01-01")
    assert (forecast["y_q0.1"] <= forecast["y_q0.9"]).all()


def test_evaluate_has_the_test_scores_and_the_baselines(fitted):
    metrics = fitted.evaluate()
    assert metrics["task"] == "forecast"
    assert {"mae", "rmse", "mape", "mase"} <= set(metrics["test"])
    assert "seasonal_naive" in metrics["baselines"]


def test_attention_is_a_tidy_frame_whose_steps_sum_to_one(fitted):
    weights = fitted.attention()
    assert list(weights.columns) == ["forecast_step", "forecast_time", "context_step",
                                     "context_time", "weight"]
    assert len(weights) == 6 * 12
    assert sorted(weights["context_step"].unique()) == list(range(-12, 0))
    np.testing.assert_allclose(weights.groupby("forecast_step")["weight"].sum(), 1.0, atol=1e-4)
    figure = fitted.plot_attention()
    assert type(figure).__name__ == "Figure"


def test_predict_after_other_data_forecasts_after_its_end(fitted):
    longer = monthly_frame(66).rename(columns={"month": "ds", "sales": "y"})
    forecast = fitted.predict(longer)
    assert pd.to_datetime(forecast["ds"]).iloc[0] == pd.Timestamp("2020-07-01")


def test_saved_runs_open_in_python_and_in_the_cli(fitted, tmp_path, capsys):
    path = fitted.save(tmp_path / "run")
    loaded = attnflow.load(path)
    pd.testing.assert_frame_equal(loaded.predict(), fitted.predict())
    code, _, err = run_cli(capsys, "predict", path, "--output", tmp_path / "fc.csv")
    assert code == 0, err
    written = pd.read_csv(tmp_path / "fc.csv")
    np.testing.assert_allclose(written["y"], fitted.predict()["y"], rtol=1e-4)


@pytest.mark.parametrize("frame, arguments, message", [
    (pd.DataFrame({"date": ["2020-01-01"], "y": [1.0]}), {}, "time_col naming the time column"),
    (pd.DataFrame({"ds": ["2020-01-01"], "sales": [1.0]}), {}, "target naming the target"),
    (pd.DataFrame({"ds": ["2020-01-01"], "y": [1.0]}), {"covariates": ["price"]},
     "covariates to name a column of df"),
    (pd.DataFrame({"unique_id": ["a", "b"], "ds": ["2020-01-01"] * 2, "y": [1.0, 2.0]}), {},
     "expected at least 3 timestamps to infer a frequency.*\\(series unique_id=a\\)"),  # a panel now
    ([1, 2, 3], {}, "a pandas DataFrame. Received: df='list'"),
])
def test_bad_input_is_one_value_error_and_leaves_no_run(frame, arguments, message, scratch_root):
    with pytest.raises(ValueError, match=message):
        attnflow.Forecaster(**TINY).fit(frame, **arguments)
    assert list(scratch_root.iterdir()) == []


def test_a_series_too_short_is_named_before_a_run_exists(scratch_root):
    with pytest.raises(ValueError, match="Received"):
        attnflow.Forecaster(**TINY).fit(monthly_frame(10).rename(columns={"month": "ds", "sales": "y"}))
    assert list(scratch_root.iterdir()) == []


def test_a_panel_with_future_covariates_from_a_dataframe():
    from tests.tasks.forecast.test_panel import panel_frame

    frame = panel_frame().rename(columns={"store": "unique_id", "date": "ds", "sales": "y"})
    model = attnflow.Forecaster(horizon=4, context=12, epochs=1, model={"units": 8},
                                options={"baselines": False, "ensemble": 1}, verbose=0)
    model.fit(frame[["unique_id", "ds", "y", "promo"]], future_covariates=["promo"])
    ends = frame.groupby("unique_id")["ds"].max()
    future = pd.DataFrame([{"unique_id": key, "ds": time, "promo": 0.0} for key, end in ends.items()
                           for time in pd.date_range(end, periods=5, freq="MS")[1:]])
    forecast = model.predict(future=future)
    assert list(forecast.columns) == ["unique_id", "ds", "y"] and len(forecast) == 12
    with pytest.raises(ValueError, match="expected future covariates \\['promo'\\] for every forecast step"):
        model.predict(future=future.iloc[1:])


def test_a_python_program_fits_and_loads_without_tensorflow_log_lines_or_its_deprecations(tmp_path):
    # TensorFlow's first operation prints "E0000 ... failed call to cuInit" on a machine
    # without a GPU; fit and load start it quietly. A library's DeprecationWarning caught
    # during fit stays hidden, as Python hides it without attnflow.
    frame = tmp_path / "sales.csv"
    monthly_frame().rename(columns={"month": "ds", "sales": "y"}).to_csv(frame, index=False)
    fit = (f"import attnflow, pandas\n"
           f"attnflow.Forecaster(horizon=6, context=12, epochs=1, model={{'units': 4}}, verbose=0, "
           f"options={{'ensemble': 1, 'baselines': False}}).fit(pandas.read_csv({str(frame)!r}))"
           f".save({str(tmp_path / 'run')!r})")
    load = f"import attnflow\nprint(len(attnflow.load({str(tmp_path / 'run')!r}).predict()))"
    for code, printed in ((fit, ""), (load, "6")):
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"})
        assert result.stdout.strip() == printed
        assert result.stderr == "", result.stderr
