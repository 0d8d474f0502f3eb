"""Covariate roles without training: past-only blanked over the horizon, calendar phases,
future values read from a file, panel windows that never see a test value."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from attnflow.data.panel import panel_from_frame
from attnflow.data.timeseries import from_frame
from attnflow.data.windows import make_windows
from attnflow.tasks.forecast.covariates import extend_with_future, phase, with_calendar
from attnflow.tasks.forecast.data import raw_inputs
from attnflow.tasks.forecast.panel import fit_scaler, panel_windows


def frame(rows=20):
    steps = np.arange(rows, dtype=float)
    return pd.DataFrame({"time": pd.date_range("2020-01-01", periods=rows, freq="MS"), "y": 10 + steps,
                         "price": 100 + steps, "promo": steps % 2})


def test_past_only_covariates_are_blanked_over_the_forecast_steps():
    series = dataclasses.replace(from_frame(frame(), "time", "y", ["price", "promo"]), future_known=(False, True))
    raw = raw_inputs(series, [10], context=6, horizon=3)
    assert raw["future_covariates"].shape == (1, 3, 2)
    assert (raw["future_covariates"][0, :, 0] == 0).all() and (raw["future_covariates_observed"][0, :, 0] == 0).all()
    np.testing.assert_array_equal(raw["future_covariates"][0, :, 1], [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(raw["covariates"][0, :, 0], 100 + np.arange(4, 10))  # the past is read
    from attnflow.data.windows import Scaler

    windows = make_windows(series, Scaler.fit(series, 15), 6, 3, [10])
    future = windows.future_covariates[0]  # [H, 2C]: values, then masks
    assert (future[:, [0, 2]] == 0).all() and (future[:, 3] == 1).all()


def test_calendar_phase_follows_the_season_and_extends_past_the_end():
    times = pd.date_range("2021-11-01", periods=4, freq="MS")
    np.testing.assert_allclose(phase(times, 12), np.array([10, 11, 0, 1]) / 12)
    np.testing.assert_allclose(phase(pd.date_range("2021-01-01", periods=3, freq="QS-JAN"), 4), [0, .25, .5])
    np.testing.assert_allclose(phase(pd.bdate_range("2024-01-04", periods=4), 5), [.6, .8, 0, .2])  # Th F M Tu
    with pytest.raises(ValueError, match="expected a season length of 4, 5, 7, 12, 24, 48 or 52 for --calendar"):
        phase(times, 6)
    series = with_calendar(from_frame(frame(), "time", "y"), 12)
    longer = extend_with_future(series, None, 3, [], "time", season_length=12)
    assert longer.covariate_names == ("calendar_sin", "calendar_cos") and len(longer) == 23
    np.testing.assert_allclose(longer.covariates[-3:, 0], np.sin(2 * np.pi * np.array([8, 9, 10]) / 12),
                               atol=1e-12)


def test_future_values_come_from_the_file_and_missing_ones_are_named():
    series = dataclasses.replace(from_frame(frame(), "time", "y", ["promo"]), future_known=(True,))
    future = pd.DataFrame({"time": ["2021-09-01", "2021-10-01", "2021-11-01"], "promo": [1.0, 0.0, 1.0]})
    longer = extend_with_future(series, future, 3, ["promo"], "time")
    np.testing.assert_array_equal(longer.covariates[-3:, 0], [1.0, 0.0, 1.0])
    assert not longer.observed[-3:].any()
    with pytest.raises(ValueError, match=r"Received: series='a', missing=\['2021-10-01'\]"):
        extend_with_future(series, future.drop(index=1), 3, ["promo"], "time", label="a")


def test_panel_windows_never_see_a_test_value_and_scale_all_series_alike():
    parts = [frame(20).assign(id="a"), frame(14).assign(id="b", y=lambda f: 1000 * f["y"])]
    panel = panel_from_frame(pd.concat(parts), "id", "time", ["y"])
    scaler = fit_scaler(panel, 4, "log1p")
    windows = panel_windows(panel, scaler, context=6, horizon=4)
    assert len(windows) == (16 - 6) + (10 - 6)  # origins context .. T_i - H - 1 of each series
    # the last window of "a" has its first target step observed, the rest (test part) masked
    last_a = 16 - 6 - 1
    np.testing.assert_array_equal(windows.target_observed[last_a, :, 0], [1, 0, 0, 0])
    assert windows.target_observed.sum() == sum(min(4, 16 - o) for o in range(6, 16)) + \
        sum(min(4, 10 - o) for o in range(6, 10))


def test_each_series_is_scaled_by_its_own_size():
    from attnflow.models.attention_forecaster import AttentionForecaster
    from attnflow.tasks.forecast.panel import PanelData, panel_forecast

    base = frame(20).assign(y=lambda f: 5 + np.sin(np.arange(20)))
    parts = [base.assign(id="a"), base.assign(id="b", y=1000 * base["y"])]
    panel = panel_from_frame(pd.concat(parts), "id", "time", ["y"])
    data = PanelData(panel, 6, 4, 1, "log1p", scaler=fit_scaler(panel, 4, "log1p"))
    model = AttentionForecaster(context=6, horizon=4, units=8, residual="level", seed=0)
    forecast = panel_forecast(model, data)  # [2, H, 1]
    np.testing.assert_allclose(forecast[1], 1000 * forecast[0], rtol=1e-5)


def test_options_that_need_a_panel_or_exclude_one():
    from attnflow.tasks.forecast.options import ForecastOptions
    from attnflow.tasks.forecast.panel import panel_training_data

    with pytest.raises(ValueError, match="expected --id-col with --static-covariates"):
        ForecastOptions(static_covariates=["region"])
    assert ForecastOptions(dataset="tourism_yearly").is_panel and not ForecastOptions().is_panel
    with pytest.raises(ValueError, match="expected no --backtest with a panel.*Received: backtest=2"):
        panel_training_data(ForecastOptions(id_col="store", target=["y"], backtest=2), "unused.csv")
    from attnflow.tasks.forecast.covariates import file_columns

    with pytest.raises(ValueError, match="expected a column in --covariates or --future-covariates, not both"):
        file_columns(ForecastOptions(covariates=["promo"], future_covariates=["promo"]))
