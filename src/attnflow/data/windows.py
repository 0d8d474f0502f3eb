"""Sliding windows over a `TimeSeries`: scaling, splits, backtests, tf.data.

A window starts at an *origin*, the position of its first forecast step: its
context is the `context` steps before the origin and its target the `horizon`
steps from the origin on. Values that were not observed are 0 in the arrays,
with 0 in the matching observation mask, so no NaN ever reaches a model or a
loss; the target mask is the sample weight of the loss.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from attnflow._validation import check_choice, fail
from attnflow.data.timeseries import TimeSeries

TRANSFORMS = ("none", "log", "log1p", "sqrt")
_FORWARD = {"none": lambda x: x, "log": np.log, "log1p": np.log1p, "sqrt": np.sqrt}
_INVERSE = {"none": lambda x: x, "log": np.exp, "log1p": np.expm1, "sqrt": np.square}


def check_domain(values: np.ndarray, transform: str) -> None:
    """Raises ValueError when an observed value is outside what `transform` takes
    (log: > 0; log1p, sqrt: >= 0); NaN (missing) values are ignored."""
    lowest = np.nanmin(values) if np.isfinite(values).any() else 0.0
    if (transform == "log" and lowest <= 0) or (transform in ("log1p", "sqrt") and lowest < 0):
        fail(f"target values in the domain of transform={transform!r}", minimum=float(lowest))


@dataclasses.dataclass(frozen=True)
class Scaler:
    """A per-column transform then standardization, fitted on the training part only.

    Attributes:
        transform: "none", "log", "log1p" or "sqrt", applied to targets first.
        mean, std: per target, of the transformed training values [n_targets].
        covariate_mean, covariate_std: per covariate [n_covariates].
    """

    transform: str
    mean: np.ndarray
    std: np.ndarray
    covariate_mean: np.ndarray
    covariate_std: np.ndarray

    @classmethod
    def fit(cls, series: TimeSeries, stop: int, transform: str = "none") -> "Scaler":
        """Fits on the observed values of series[:stop] (the training part)."""
        check_choice("transform", transform, TRANSFORMS)
        train = series.values[:stop]
        check_domain(train, transform)
        mean, std = _moments(_FORWARD[transform](train), series.target_names)
        covariate_mean, covariate_std = _moments(series.covariates[:stop], series.covariate_names)
        return cls(transform, mean, std, covariate_mean, covariate_std)

    @classmethod
    def fit_values(cls, values: np.ndarray, covariates: np.ndarray, transform: str = "none",
                   names: tuple = (), covariate_names: tuple = ()) -> "Scaler":
        """Fits on the observed rows of `values` [T, n_targets] and `covariates` [T, C]
        (e.g. the training parts of many series, concatenated); the columns' names are
        for messages."""
        check_choice("transform", transform, TRANSFORMS)
        check_domain(values, transform)
        mean, std = _moments(_FORWARD[transform](values), names)
        covariate_mean, covariate_std = _moments(covariates, covariate_names)
        return cls(transform, mean, std, covariate_mean, covariate_std)

    def scale(self, values: np.ndarray) -> np.ndarray:
        """Targets [..., n_targets] to model units (NaN stays NaN)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return (_FORWARD[self.transform](values) - self.mean) / self.std

    def unscale(self, scaled: np.ndarray, quantiles: bool = False) -> np.ndarray:
        """Model units back to targets.

        Args:
            scaled: [..., n_targets], or with `quantiles` [..., n_targets, Q].
            quantiles: whether the last axis holds quantile levels (said, not
                guessed: Q may equal n_targets).
        """
        if quantiles:
            return np.moveaxis(self.unscale(np.moveaxis(scaled, -1, 0)), 0, -1)
        return _INVERSE[self.transform](scaled * self.std + self.mean)

    def scale_covariates(self, covariates: np.ndarray) -> np.ndarray:
        return (covariates - self.covariate_mean) / self.covariate_std


def _moments(values: np.ndarray, names=()) -> tuple[np.ndarray, np.ndarray]:
    if values.shape[1] == 0:
        return np.zeros(0), np.ones(0)
    observed = ~np.isnan(values)
    if not observed.any(axis=0).all():
        empty = np.flatnonzero(~observed.any(axis=0)).tolist()
        fail("at least one observed value per column in the training part",
             unobserved_columns=[names[j] for j in empty] if len(names) == values.shape[1] else empty)
    mean = np.nanmean(values, axis=0)
    std = np.nanstd(values, axis=0)
    return mean, np.where(std > 0, std, 1.0)


@dataclasses.dataclass(frozen=True)
class Windows:
    """Model-ready windows, float32, nothing NaN.

    Attributes:
        context: scaled past targets [N, L, n_targets], 0 where not observed.
        observed: 1.0 where the past target was observed [N, L, n_targets].
        covariates: scaled past covariates then their masks [N, L, 2 * n_covariates].
        future_covariates: the same over the forecast steps [N, H, 2 * n_covariates].
        target: scaled future targets [N, H, n_targets], 0 where not observed.
        target_observed: 1.0 where the target was observed [N, H, n_targets].
        origins: position in the series of each window's first forecast step [N].
    """

    context: np.ndarray
    observed: np.ndarray
    covariates: np.ndarray
    future_covariates: np.ndarray
    target: np.ndarray
    target_observed: np.ndarray
    origins: np.ndarray

    def __len__(self) -> int:
        return len(self.origins)

    def inputs(self) -> dict[str, np.ndarray]:
        """The model's input dict."""
        return {"context": self.context, "observed": self.observed, "covariates": self.covariates,
                "future_covariates": self.future_covariates}


def make_windows(series: TimeSeries, scaler: Scaler, context: int, horizon: int,
                 origins) -> Windows:
    """Cuts windows at the given origins; targets past the end are unobserved.

    Args:
        series: the series.
        scaler: fitted on the training part.
        context: L, past steps per window; every origin must be >= L.
        horizon: H, forecast steps per window.
        origins: positions of the first forecast step, each in [L, len(series)].
    """
    origins = np.asarray(origins, dtype=np.int64).reshape(-1)
    if len(origins) and (origins.min() < context or origins.max() > len(series)):
        fail(f"origins in [context={context}, len(series)={len(series)}]",
             origins=[int(origins.min()), int(origins.max())])
    # Pad H unobserved steps at the end so windows may reach past the last value.
    values = np.concatenate([scaler.scale(series.values), np.full((horizon, series.values.shape[1]), np.nan)])
    covs = scaler.scale_covariates(series.covariates)
    covs = np.concatenate([covs, np.full((horizon, covs.shape[1]), np.nan)])
    covs = np.concatenate([np.nan_to_num(covs), ~np.isnan(covs)], axis=1)  # [T + H, 2C]
    past = origins[:, None] + np.arange(-context, 0)[None, :]  # [N, L]
    future = origins[:, None] + np.arange(horizon)[None, :]  # [N, H]
    known = np.ones(series.covariates.shape[1], bool) if series.future_known is None \
        else np.asarray(series.future_known, bool)
    as32 = lambda array: array.astype(np.float32)  # noqa: E731
    return Windows(
        context=as32(np.nan_to_num(values[past])), observed=as32(~np.isnan(values[past])),
        covariates=as32(covs[past]), future_covariates=as32(covs[future] * np.concatenate([known, known])),
        target=as32(np.nan_to_num(values[future])), target_observed=as32(~np.isnan(values[future])),
        origins=origins)


@dataclasses.dataclass(frozen=True)
class Split:
    """A chronological split of a series of `length` steps.

    Attributes:
        train_stop: series[:train_stop] is the training part (the scaler is
            fitted there); the test part is series[train_stop:test_stop].
        test_stop: end of the test part (len(series) for the default split).
        train_origins: origins of the training windows (targets before the
            validation tail).
        validation_origins: origins of the windows whose targets fill the
            validation tail of the training part (for early stopping).
        test_origin: origin of the test window (= train_stop).
    """

    train_stop: int
    test_stop: int
    train_origins: np.ndarray
    validation_origins: np.ndarray

    @property
    def test_origin(self) -> int:
        return self.train_stop


def chronological_split(length: int, context: int, horizon: int, validation_windows: int = 0,
                        test_stop: int | None = None) -> Split:
    """The test part is the last `horizon` steps (before `test_stop`); train on what precedes.

    The validation windows are the last `validation_windows` windows of the
    training part; training windows have every target step before the first
    validation target, so early stopping never sees a trained-on target.
    """
    test_stop = length if test_stop is None else test_stop
    if validation_windows < 0:
        fail("validation_windows >= 0", validation_windows=validation_windows)
    train_stop = test_stop - horizon
    last_origin = train_stop - horizon  # the last window whose target ends before the test part
    first_validation = last_origin - validation_windows + 1
    last_train = last_origin if validation_windows == 0 else first_validation - horizon
    if last_train < context:
        fail(f"a series long enough for a training window of context={context} + horizon={horizon} "
             f"before {validation_windows} validation windows and the test part", length=test_stop)
    return Split(train_stop=train_stop, test_stop=test_stop,
                 train_origins=np.arange(context, last_train + 1),
                 validation_origins=np.arange(first_validation, last_origin + 1))


def max_backtest_folds(length: int, context: int, horizon: int, step: int | None = None,
                       validation_windows: int = 0) -> int:
    """The most rolling-origin folds a series of `length` steps allows (0: not even one).

    The oldest fold still needs a training window (and its validation windows)
    of `context + horizon` steps before its test part; see `chronological_split`.
    """
    step = horizon if step is None else step
    # The shortest test_stop with a training window: last_train >= context in chronological_split.
    shortest = context + 2 * horizon + (validation_windows - 1 + horizon if validation_windows else 0)
    return max(0, (length - shortest) // step + 1) if length >= shortest else 0


def rolling_origin_splits(length: int, context: int, horizon: int, folds: int,
                          step: int | None = None, validation_windows: int = 0) -> list[Split]:
    """A rolling-origin backtest over the last `folds` windows, oldest first.

    Fold k (counting back from the end) tests on the `horizon` steps ending
    `k * step` steps before the end (step defaults to horizon, so the test
    parts do not overlap) and trains on everything before them.
    """
    step = horizon if step is None else step
    if folds <= 0 or step <= 0:
        fail("folds > 0 and step > 0", folds=folds, step=step)
    most = max_backtest_folds(length, context, horizon, step, validation_windows)
    if folds > most:
        fail(f"folds at most {most} for {length} steps with context={context}, horizon={horizon}, "
             f"step={step} and validation_windows={validation_windows}", folds=folds)
    return [chronological_split(length, context, horizon, validation_windows, test_stop=length - k * step)
            for k in reversed(range(folds))]


def make_dataset(windows: Windows, batch_size: int = 32, shuffle: bool = False,
                 seed: int | None = None) -> tf.data.Dataset:
    """(inputs, target, sample_weight) batches; the weight masks unobserved targets."""
    data = tf.data.Dataset.from_tensor_slices((windows.inputs(), windows.target, windows.target_observed))
    if shuffle:
        data = data.shuffle(len(windows), seed=seed, reshuffle_each_iteration=True)
    return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)
