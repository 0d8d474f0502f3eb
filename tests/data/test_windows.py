"""Windows, scaling, splits, backtests and tf.data."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from attnflow.data.timeseries import from_frame
from attnflow.data.windows import (Scaler, chronological_split, make_dataset, make_windows,
                                   max_backtest_folds, rolling_origin_splits)


def make_series(n=20, nan=(), covariate=True):
    frame = pd.DataFrame({"t": pd.date_range("2020-01-01", periods=n, freq="D"),
                          "y": 10.0 + np.arange(n) ** 1.5, "x": np.cos(np.arange(n))})
    frame.loc[list(nan), "y"] = np.nan
    return from_frame(frame, "t", "y", covariates=["x"] if covariate else None)


def test_scaler_is_fitted_on_the_training_part_only():
    series = make_series(nan=(2,))
    scaler = Scaler.fit(series, stop=12)
    train = np.delete(series.values[:12, 0], 2)
    np.testing.assert_allclose(scaler.mean, [train.mean()])
    np.testing.assert_allclose(scaler.std, [train.std()])
    np.testing.assert_allclose(scaler.covariate_mean, [np.cos(np.arange(12)).mean()])
    changed_test = series.with_values(np.r_[series.values[:12, 0], np.full(8, 1e6)])
    np.testing.assert_allclose(Scaler.fit(changed_test, stop=12).mean, scaler.mean)


@pytest.mark.parametrize("transform", ["none", "log", "log1p", "sqrt"])
def test_scale_then_unscale_is_the_identity(transform):
    series = make_series()
    scaler = Scaler.fit(series, stop=15, transform=transform)
    np.testing.assert_allclose(scaler.unscale(scaler.scale(series.values)), series.values)
    if transform == "log":
        np.testing.assert_allclose(scaler.scale(series.values[:15]).mean(), 0.0, atol=1e-12)
    quantiles = np.stack([scaler.scale(series.values)] * 3, axis=-1)  # [T, 1, Q]
    np.testing.assert_allclose(scaler.unscale(quantiles, quantiles=True)[..., 2], series.values)
    one_quantile = quantiles[..., :1]  # Q = 1 = n_targets: said, not guessed
    np.testing.assert_allclose(scaler.unscale(one_quantile, quantiles=True), series.values[..., None])


def test_log_transform_rejects_non_positive_values():
    series = make_series().with_values(np.r_[0.0, np.ones(19)])
    with pytest.raises(ValueError, match=r"expected target values in the domain of transform='log'. "
                                         r"Received: minimum=0.0"):
        Scaler.fit(series, stop=10, transform="log")


def test_a_column_with_nothing_observed_in_the_training_part_is_named():
    series = make_series()
    blank = dataclasses.replace(series, covariates=np.where(np.arange(20)[:, None] < 15, np.nan, 1.0))
    with pytest.raises(ValueError, match=r"expected at least one observed value per column in the training "
                                         r"part. Received: unobserved_columns=\['x'\]$"):
        Scaler.fit(blank, stop=15)


def test_windows_match_explicit_indexing_and_mask_nan():
    series = make_series(nan=(5, 14))
    scaler = Scaler.fit(series, stop=15)
    windows = make_windows(series, scaler, context=4, horizon=3, origins=[4, 7, 13, 19])
    scaled = (series.values[:, 0] - scaler.mean[0]) / scaler.std[0]
    for i, origin in enumerate([4, 7, 13, 19]):
        for j in range(4):
            t = origin - 4 + j
            assert windows.observed[i, j, 0] == (t not in (5, 14))
            np.testing.assert_allclose(windows.context[i, j, 0], 0.0 if t in (5, 14) else scaled[t], rtol=1e-6)
            np.testing.assert_allclose(windows.covariates[i, j],
                                       [(np.cos(t) - scaler.covariate_mean[0]) / scaler.covariate_std[0], 1.0],
                                       rtol=1e-5, atol=1e-6)
        for h in range(3):
            t = origin + h
            expected_observed = t < 20 and t not in (5, 14)
            assert windows.target_observed[i, h, 0] == expected_observed
            np.testing.assert_allclose(windows.target[i, h, 0], scaled[t] if expected_observed else 0.0, rtol=1e-6)
            assert windows.future_covariates[i, h, 1] == (t < 20)
    for array in windows.inputs().values():
        assert array.dtype == np.float32 and np.isfinite(array).all()
    assert windows.context.shape == (4, 4, 1) and windows.future_covariates.shape == (4, 3, 2)


def test_windows_reject_origins_outside_the_series():
    series = make_series()
    with pytest.raises(ValueError, match=r"expected origins in \[context=4, len\(series\)=20\]"):
        make_windows(series, Scaler.fit(series, 10), context=4, horizon=2, origins=[3])


def test_chronological_split_tests_on_the_last_horizon_steps():
    split = chronological_split(length=30, context=5, horizon=4)
    assert (split.train_stop, split.test_stop, split.test_origin) == (26, 30, 26)
    np.testing.assert_array_equal(split.train_origins, np.arange(5, 23))  # last target step 25
    assert len(split.validation_origins) == 0


def test_validation_windows_follow_every_training_target():
    split = chronological_split(length=30, context=5, horizon=4, validation_windows=3)
    np.testing.assert_array_equal(split.validation_origins, [20, 21, 22])
    last_train_target = split.train_origins.max() + 4 - 1
    assert last_train_target < split.validation_origins.min()
    assert split.validation_origins.max() + 4 <= split.train_stop
    with pytest.raises(ValueError, match=r"expected a series long enough .* Received: length=12"):
        chronological_split(length=12, context=5, horizon=4)


def test_rolling_origin_backtest():
    folds = rolling_origin_splits(length=40, context=6, horizon=5, folds=3)
    assert [(f.train_stop, f.test_stop) for f in folds] == [(25, 30), (30, 35), (35, 40)]
    assert all(f.train_origins.max() + 5 <= f.train_stop for f in folds)
    overlapping = rolling_origin_splits(length=40, context=6, horizon=5, folds=2, step=1)
    assert [f.test_stop for f in overlapping] == [39, 40]


def test_dataset_yields_inputs_targets_and_mask_weights():
    series = make_series(nan=(9,))
    windows = make_windows(series, Scaler.fit(series, 15), context=4, horizon=3, origins=np.arange(4, 14))
    batches = list(make_dataset(windows, batch_size=4))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    inputs, target, weight = batches[0]
    assert set(inputs) == {"context", "observed", "covariates", "future_covariates"}
    assert tuple(inputs["context"].shape) == (4, 4, 1) and tuple(target.shape) == (4, 3, 1)
    np.testing.assert_array_equal(np.concatenate([b[2] for b in batches]), windows.target_observed)
    shuffled = np.concatenate([b[1] for b in make_dataset(windows, 4, shuffle=True, seed=1)])
    np.testing.assert_allclose(np.sort(shuffled.ravel()), np.sort(windows.target.ravel()))


@pytest.mark.parametrize("validation_windows", [0, 1, 3])
def test_max_backtest_folds_is_the_most_that_fit(validation_windows):
    for length, context, horizon in [(72, 12, 6), (40, 6, 5), (30, 3, 1), (25, 12, 6), (19, 12, 4)]:
        most = max_backtest_folds(length, context, horizon, validation_windows=validation_windows)
        if most:
            rolling_origin_splits(length, context, horizon, most, validation_windows=validation_windows)
        with pytest.raises(ValueError, match=rf"expected folds at most {most} for {length} steps"):
            rolling_origin_splits(length, context, horizon, most + 1, validation_windows=validation_windows)
    assert max_backtest_folds(72, 12, 6) == 9  # the oldest fold tests on steps 18..23


def test_too_many_folds_name_the_limit_not_a_negative_length():
    with pytest.raises(ValueError, match=r"^expected folds at most 9 for 72 steps with context=12, horizon=6, "
                                         r"step=6 and validation_windows=0\. Received: folds=50$"):
        rolling_origin_splits(72, 12, 6, folds=50)
