"""Classical baselines: by hand on tiny series, and the issue's figures on AirPassengers."""

import numpy as np
import pytest

from attnflow.data.builtin_series import load_series
from attnflow.tasks.forecast.baselines import (REFERENCE_BASELINES, BaselineSpec, arima, autoregressive,
                                               default_baselines, holt_winters, run_baselines,
                                               seasonal_naive)
from attnflow.training.forecast_metrics import mape


def test_seasonal_naive_by_hand_and_walking_back_over_gaps():
    train = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    np.testing.assert_array_equal(seasonal_naive(train, 5, season_length=3), [5.0, 6.0, 7.0, 5.0, 6.0])
    np.testing.assert_array_equal(seasonal_naive(train, 2), [7.0, 7.0])
    gappy = np.array([1.0, 2.0, 3.0, 4.0, np.nan, 6.0, 7.0])
    np.testing.assert_array_equal(seasonal_naive(gappy, 3, season_length=3), [5.0 - 3.0, 6.0, 7.0])
    two_columns = np.stack([train, 10 * train], axis=1)
    np.testing.assert_array_equal(seasonal_naive(two_columns, 1, 3), [[5.0, 50.0]])
    with pytest.raises(ValueError, match="expected an observed value in every season phase"):
        seasonal_naive(np.array([np.nan, 1.0]), 1, season_length=2)


def test_holt_winters_continues_a_clean_seasonal_trend():
    t = np.arange(60.0)
    series = 50 + 0.5 * t + 5 * np.sin(2 * np.pi * t / 6)
    forecast = holt_winters(series[:48], 12, season_length=6, trend="add", seasonal="add")
    np.testing.assert_allclose(forecast, series[48:], atol=0.5)
    gappy = series[:48].copy()
    gappy[[10, 30]] = np.nan  # carried forward, not a crash
    assert np.isfinite(holt_winters(gappy, 12, season_length=6)).all()
    np.testing.assert_allclose(holt_winters(series[:48], 12, season_length=6, max_observations=36),
                               holt_winters(series[12:48], 12, season_length=6), rtol=1e-9)


def test_default_holt_winters_does_not_carry_the_last_step_across_the_horizon():
    # A daily season whose weekend days have another shape, like half-hourly demand: the
    # least-squares fit drives the level and trend weights to 1, so the trend is the last
    # step's change. The old default (undamped, all history) had MAE 1.09 here, 21 times
    # seasonal naive's 0.052; a single daily season cannot do much better than 0.4.
    season = 12
    rng = np.random.default_rng(2)
    t = np.arange(season * 46)
    weekend = (t // season) % 7 >= 5
    series = (10 + np.where(weekend, 0.5, 2.0) * np.sin(2 * np.pi * t / season) - weekend
              + 0.05 * rng.normal(size=len(t)))
    train, test = series[:-season], series[-season:]
    params = default_baselines(season, positive=True)["holt_winters"].params
    assert params["damped_trend"] and params["max_observations"] == 500
    assert np.abs(holt_winters(train, season, **params) - test).mean() < 0.6


def test_arima_and_ar_on_an_ar1_series():
    rng = np.random.default_rng(0)
    values = np.zeros(400)
    for t in range(1, 400):
        values[t] = 0.8 * values[t - 1] + rng.normal()
    expected = values[-1] * 0.8 ** np.arange(1, 4)
    np.testing.assert_allclose(arima(values, 3, order=(1, 0, 0)), expected, atol=0.3)
    np.testing.assert_allclose(autoregressive(values, 3, lags=1), expected, atol=0.3)
    with_gaps = values.copy()
    with_gaps[[50, 51, 200]] = np.nan  # the Kalman filter skips them
    assert np.isfinite(arima(with_gaps, 3, order=(1, 0, 0))).all()
    with pytest.raises(ValueError, match="expected positive values for log=True"):
        arima(values, 3, log=True)


def test_reference_baselines_reproduce_the_issue_on_airpassengers():
    series = load_series("airpassengers")
    train, test = series.values[:-12, 0], series.values[-12:, 0]
    forecasts = run_baselines(train, 12, REFERENCE_BASELINES["airpassengers"])
    figures = {name: round(mape(test, forecast), 2) for name, forecast in forecasts.items()}
    assert figures == {"seasonal_naive": 9.99, "holt_winters_multiplicative": 2.21, "sarima_log": 2.9}


def test_default_baselines_and_unknown_kind():
    specs = default_baselines(season_length=4, positive=True)
    assert set(specs) == {"seasonal_naive", "holt_winters", "arima"}
    assert specs["holt_winters"].params["seasonal"] == "mul"
    assert default_baselines(1)["arima"].params["seasonal_order"] == (0, 0, 0, 0)
    train = 10 + np.sin(np.arange(40.0)) + np.arange(40.0) * 0.1
    forecasts = run_baselines(train, 4, default_baselines(4, positive=True))
    assert all(f.shape == (4,) and np.isfinite(f).all() for f in forecasts.values())
    with pytest.raises(ValueError, match=r"expected kind to be one of .* Received: kind='prophet'"):
        run_baselines(train, 4, {"x": BaselineSpec("prophet")})


def test_arima_on_the_last_observations_only():
    rng = np.random.default_rng(1)
    recent = np.zeros(300)
    for t in range(1, 300):
        recent[t] = 0.8 * recent[t - 1] + rng.normal()
    values = np.concatenate([rng.normal(50.0, 1.0, 2000), recent])  # an old regime, far off
    capped = arima(values, 3, order=(1, 0, 0), max_observations=300)
    np.testing.assert_allclose(capped, arima(recent, 3, order=(1, 0, 0)), rtol=1e-6, atol=1e-9)
    assert default_baselines(48)["arima"].params["max_observations"] == 960
    assert default_baselines(12)["arima"].params["max_observations"] == 500
    assert default_baselines(48)["holt_winters"].params["max_observations"] == 960
