"""Forecaster: the `forecast` task from Python, on a pandas DataFrame."""

from __future__ import annotations

from attnflow._validation import fail
from attnflow.estimators.base import Estimator

# The naming of statsforecast and neuralforecast, read when no column is named.
ID, TIME, TARGET = "unique_id", "ds", "y"


class Forecaster(Estimator):
    """A series -> an attention forecaster, its baselines and its run (`attnflow train forecast`).

    Every argument defaults to None: the task's default (the CLI's; for a
    user's series, the "default" preset).

    Args:
        horizon: H, steps forecast (and the test part).
        context: L, past steps the model reads.
        quantiles: e.g. [0.1, 0.5, 0.9]: quantile forecasts with the pinball loss.
        backtest: K > 0: rolling-origin evaluation over the last K windows.
        attention_type: "multihead", "bahdanau" or "none" (model.attention).
        epochs, batch_size, seed, learning_rate, early_stopping: as `attnflow train`'s.
        model: other model settings (config.model), e.g. {"units": 32}.
        options: other task settings (config.options), e.g. {"ensemble": 3}.
        verbose: Keras's verbosity of fit ("auto", 0, 1 or 2).

    Example:
        >>> model = Forecaster(horizon=12).fit(df)          # columns ds, y
        >>> model.predict()                                  # the next 12 steps
        >>> model.evaluate()["test"]["mape"], model.attention()
    """

    task_name = "forecast"
    _option_arguments = ("horizon", "context", "quantiles", "backtest")

    def __init__(self, *, horizon=None, context=None, quantiles=None, backtest=None,
                 attention_type=None, epochs=None, batch_size=None, seed=None, learning_rate=None,
                 early_stopping=None, model=None, options=None, verbose="auto"):
        self._keep(locals())  # one attribute per argument, as scikit-learn expects

    def fit(self, df, *, time_col: str | None = None, target=None, id_col: str | None = None,
            covariates=None, future_covariates=None) -> "Forecaster":
        """Trains on the series in `df`, as `attnflow train forecast --data FILE` would.

        Args:
            df: a pandas DataFrame, one row per time step (and series).
            time_col: the time column (default "ds" when `df` has it).
            target: the target column, or a list of them (default "y" when `df` has it).
            id_col: the series id column (default "unique_id" when `df` has it); with
                several series, one network is trained on all of them (a panel).
            covariates: columns whose past values the model reads.
            future_covariates: columns known over the forecast steps too (`predict`
                then needs their future values: its `future` argument).
        """
        frame, columns = self._table(df, time_col, target, id_col, covariates, future_covariates)
        return self._fit_table(frame, columns)

    def _table(self, df, time_col, target, id_col, covariates, future_covariates):
        import pandas as pd

        if not isinstance(df, pd.DataFrame):
            fail("a pandas DataFrame", df=type(df).__name__)
        time_col = time_col or (TIME if TIME in df.columns else None)
        if time_col is None:
            fail(f"time_col naming the time column (or a column {TIME!r})",
                 columns=[str(c) for c in df.columns][:10])
        if target is None:
            target = TARGET if TARGET in df.columns else None
        if target is None:
            fail(f"target naming the target column(s) (or a column {TARGET!r})",
                 columns=[str(c) for c in df.columns][:10])
        targets = [target] if isinstance(target, str) else list(target)
        covariates = [covariates] if isinstance(covariates, str) else list(covariates or [])
        future_covariates = [future_covariates] if isinstance(future_covariates, str) \
            else list(future_covariates or [])
        id_col = id_col or (ID if ID in df.columns else None)
        for name, column in [("time_col", time_col), *[("target", t) for t in targets],
                             *[("covariates", c) for c in [*covariates, *future_covariates]],
                             *([("id_col", id_col)] if id_col else [])]:
            if column not in df.columns:
                fail(f"{name} to name a column of df {[str(c) for c in df.columns][:10]}",
                     **{name: column})
        panel = id_col is not None and (df[id_col].nunique(dropna=False) > 1 or self._panel_run())
        frame = df[[*([id_col] if panel else []), time_col, *targets, *covariates, *future_covariates]]
        return frame, {"time_col": time_col, "target": targets, "covariates": covariates,
                       "future_covariates": future_covariates, **({"id_col": id_col} if panel else {})}

    def _panel_run(self) -> bool:
        config = getattr(self, "config_", None)
        return config is not None and bool(config.options.get("id_col"))

    def predict(self, df=None, future=None):
        """The forecast of the `horizon` steps after the end of `df` (default: the
        series the model was trained on): a DataFrame with the time column (after the
        id column of a panel: one row per series and time), the target(s) and, when
        trained with quantiles, `target_q0.1` ... columns. `future`: a DataFrame of the
        future covariates over the forecast steps (id, time and their columns)."""
        frame, _, _, _ = self._next(df, future)
        return frame

    def _next(self, df=None, future=None):
        import tempfile
        from pathlib import Path

        from attnflow.tasks.forecast.predict import forecast_next

        self._check_fitted()
        options = self.config_.options
        if future is not None and not options.get("future_covariates"):
            fail("future=None (the model reads no future covariates)", future=type(future).__name__)
        task = self._task()
        with tempfile.TemporaryDirectory(prefix="attnflow-") as scratch:
            path = None
            if df is not None:
                frame, _ = self._table(df, options["time_col"], options["target"], options.get("id_col"),
                                       options["covariates"], options.get("future_covariates"))
                path = Path(scratch) / "series.csv"
                frame.to_csv(path, index=False)
            if options.get("id_col"):
                from attnflow.tasks.forecast.panel import forecast_panel_next

                frame = forecast_panel_next(lambda: self.model_, task.options(self.config_),
                                            str(path) if path else self.config_.data, future)
                return frame, None, None, None
            return forecast_next(task, lambda: self.model_, self.config_, str(path) if path else None, future)

    def _evaluation_table(self, df):
        options = self.config_.options
        return self._table(df, options["time_col"], options["target"], options.get("id_col"),
                           options["covariates"], options.get("future_covariates"))[0]

    def attention(self, df=None):
        """The attention of the next-horizon forecast over its context, as a tidy
        DataFrame: forecast_step, forecast_time, context_step (-L .. -1),
        context_time, weight (each forecast step's weights sum to 1)."""
        from attnflow.tasks.forecast.predict import attention_frame

        self._check_attention()
        _, model, data, origin = self._next(df)
        return attention_frame(model, data, origin)

    def plot_attention(self, df=None):
        """A matplotlib Figure: each forecast step's weight over the past steps, the
        series above (the picture `attnflow predict --show-attention` writes)."""
        from attnflow.explain.forecast_plot import plot_attention_over_past

        self._check_attention()
        _, model, data, origin = self._next(df)
        weights = self.attention(df)
        matrix = weights.pivot(index="forecast_step", columns="context_step", values="weight")
        series, context = data.series, data.context
        name = series.target_names[0]
        forecast_times = list(weights.drop_duplicates("forecast_step")["forecast_time"])
        return plot_attention_over_past(matrix.to_numpy(), series.times[origin - context:origin],
                                        series.values[origin - context:origin, 0], forecast_times,
                                        None, name=name,
                                        title=f"attention of the forecast of {name}")

    def _check_attention(self) -> None:
        self._check_fitted()
        if self.config_.model.get("attention") == "none":
            fail("a model with attention", attention="none")
