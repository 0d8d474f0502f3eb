"""Forecast metrics against hand-computed values."""

import numpy as np
import pytest

from attnflow.training.forecast_metrics import (forecast_metrics, mae, mape, mase, pinball, rmse,
                                                seasonal_naive_scale)

Y = np.array([10.0, 20.0, 40.0])
F = np.array([12.0, 15.0, 40.0])  # errors 2, -5, 0


def test_point_metrics_by_hand():
    assert mae(Y, F) == pytest.approx(7 / 3)
    assert rmse(Y, F) == pytest.approx(np.sqrt(29 / 3))
    assert mape(Y, F) == pytest.approx(100 * (0.2 + 0.25 + 0) / 3)


def test_missing_truth_is_skipped_by_nan_or_mask():
    with_nan = np.array([10.0, np.nan, 40.0])
    assert mae(with_nan, F) == pytest.approx(1.0)
    assert mae(Y, F, observed=[True, False, True]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="expected at least one observed value in y_true"):
        mae([np.nan], [1.0])
    with pytest.raises(ValueError, match=r"expected forecasts without NaN .* Received: nan_count=1"):
        mae(Y, [1.0, np.nan, 2.0])


def test_mase_uses_the_seasonal_naive_scale_of_the_training_part():
    train = np.array([1.0, 2.0, 4.0, 3.0, 6.0, 5.0])  # lag-2 differences: 3, 1, 2, 2 -> mean 2
    assert seasonal_naive_scale(train, 2) == pytest.approx(2.0)
    assert seasonal_naive_scale(train, 1) == pytest.approx((1 + 2 + 1 + 3 + 1) / 5)
    assert mase(Y, F, train, season_length=2) == pytest.approx((7 / 3) / 2)
    with_gap = np.array([1.0, 2.0, np.nan, 3.0, 6.0, 5.0])  # pairs (1,nan),(2,3),(nan,6),(3,5): 1, 2
    assert seasonal_naive_scale(with_gap, 2) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="expected a training part longer than season_length=6"):
        seasonal_naive_scale(train, 6)


def test_pinball_by_hand():
    # y = 10; q=0.1 forecast 8 (under by 2 -> 0.1*2=0.2), q=0.9 forecast 13 (over by 3 -> 0.1*3=0.3)
    assert pinball([10.0], [[8.0, 13.0]], [0.1, 0.9]) == pytest.approx((0.2 + 0.3) / 2)
    # median forecast: pinball = MAE / 2
    assert pinball(Y, F[:, None], [0.5]) == pytest.approx(mae(Y, F) / 2)
    assert pinball([10.0, np.nan], [[8.0, 13.0], [0.0, 0.0]], [0.1, 0.9]) == pytest.approx(0.25)
    with pytest.raises(ValueError, match=r"expected quantile_forecasts \[..., Q\]"):
        pinball(Y, F[:, None], [0.1, 0.9])


def test_forecast_metrics_names_and_zero_truth():
    metrics = forecast_metrics(Y, F, np.arange(10.0), season_length=1)
    assert set(metrics) == {"mae", "rmse", "mape", "mase"}
    assert metrics["mase"] == pytest.approx(7 / 3)
    assert np.isnan(forecast_metrics([0.0, 1.0], [1.0, 1.0], np.arange(5.0))["mape"])
    with pytest.raises(ValueError, match="expected no zero in y_true"):
        mape([0.0, 1.0], [1.0, 1.0])
