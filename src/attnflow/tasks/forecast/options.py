"""The forecast task's settings (RunConfig.options)."""

from __future__ import annotations

from dataclasses import dataclass, field

from attnflow._validation import check_choice, check_non_negative_int, check_positive_int, fail
from attnflow.data.builtin_panels import BUILTIN_PANELS
from attnflow.data.builtin_series import BUILTIN_SERIES
from attnflow.data.windows import TRANSFORMS

LOSSES = ("mae", "mse", "huber", "mape")
# AttentionForecaster arguments set from the data and the options, not from config.model.
FROM_DATA = {"context", "horizon", "num_targets", "num_covariates", "season_length", "quantiles", "seed"}


@dataclass
class ForecastOptions:
    """The forecast task's settings (RunConfig.options); None: from the series."""

    dataset: str | None = None  # built-in series or panel (default airpassengers unless --data)
    id_col: str | None = None  # the file's series id column: a panel of many series (long format)
    time_col: str = "time"  # the file's time column
    target: list = field(default_factory=list)  # the file's target column(s)
    covariates: list = field(default_factory=list)  # the file's covariate columns (past values read)
    future_covariates: list = field(default_factory=list)  # covariates known for the horizon too
    static_covariates: list = field(default_factory=list)  # per-series constants (panels)
    calendar: bool = False  # month/quarter/day-of-week features from the time index, as future covariates
    limit: int | None = None  # panels: only the first N series (for scaling measurements)
    context: int | None = None  # L, past steps read (None: the series' default)
    horizon: int | None = None  # H, steps forecast = the test part (None: the series' default)
    season_length: int | None = None  # m of seasonal naive, MASE and the model (None: the series')
    transform: str | None = None  # of the targets before scaling: none, log, log1p, sqrt
    loss: str | list = "mae"  # "mae", "mse", "huber", "mape", or a list: ensemble member i trains on
    # loss[i % len(loss)] (so one network, loss[0]); pinball when quantiles are set
    ensemble: int = 1  # networks trained with seeds seed .. seed + N - 1, forecasts averaged
    quantiles: list = field(default_factory=list)  # e.g. [0.1, 0.5, 0.9]: intervals, pinball loss
    backtest: int = 0  # K > 0: rolling-origin evaluation over the last K windows (refits)
    validation_windows: int = 0  # last training windows held out for early stopping (0: none)
    baselines: bool = True  # fit the classical baselines and the no-attention twin
    scaler: dict | None = None  # written by training: the scaler fitted on the training part
    freq: str | None = None  # written by training: the series' frequency, which files to score must have

    def __post_init__(self):
        if self.dataset is not None:
            check_choice("dataset", self.dataset, {**BUILTIN_SERIES, **BUILTIN_PANELS})
        check_positive_int("limit", self.limit, allow_none=True)
        for name in ("context", "horizon", "season_length"):
            check_positive_int(name, getattr(self, name), allow_none=True)
        check_positive_int("ensemble", self.ensemble)
        if self.transform is not None:
            check_choice("transform", self.transform, TRANSFORMS)
        losses = self.loss if isinstance(self.loss, list) else [self.loss]
        if not losses:
            fail("one loss or a list of them", loss=self.loss)
        for loss in losses:
            check_choice("loss", loss, LOSSES)
        for name in ("backtest", "validation_windows"):
            check_non_negative_int(name, getattr(self, name))
        if self.freq is not None and not isinstance(self.freq, str):
            fail("freq to be a pandas frequency alias such as 'MS'", freq=self.freq)
        if self.scaler is not None and not isinstance(self.scaler, dict):
            fail("scaler to be the mapping training writes", scaler=self.scaler)
        for name in ("target", "covariates", "future_covariates", "static_covariates", "quantiles"):
            if not isinstance(getattr(self, name), list):
                fail(f"{name} to be a list", **{name: getattr(self, name)})
        if any(isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 < q < 1
               for q in self.quantiles) or sorted(set(self.quantiles)) != list(self.quantiles):
            fail("increasing quantiles in (0, 1), e.g. 0.1 0.5 0.9", quantiles=self.quantiles)
        if self.id_col is None and self.dataset not in BUILTIN_PANELS and self.static_covariates:
            fail("--id-col with --static-covariates (they are per series of a panel)",
                 static_covariates=self.static_covariates)

    @property
    def is_panel(self) -> bool:
        """Whether the run reads many series (--id-col or a built-in panel)."""
        return self.id_col is not None or self.dataset in BUILTIN_PANELS
