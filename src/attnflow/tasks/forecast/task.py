"""Task "forecast": a time series (built-in or a CSV/Parquet file) -> AttentionForecaster.

    attnflow train forecast [--dataset airpassengers|sunspots|co2|co2_monthly|elecdemand]
                            [--data FILE --time-col C --target T [T ...] --covariates C ...]
                            [--horizon H] [--context L] [--quantiles 0.1 0.5 0.9] [--backtest K]
    attnflow evaluate RUN [--data FILE]
    attnflow predict RUN [--data FILE] [--output forecast.csv] [--show-attention [--plots DIR]] [--top-k K]

The test part is the last `horizon` steps; the network (AttentionForecaster,
a seed ensemble of `options.ensemble` members) is compared on it with
seasonal naive, Holt-Winters, SARIMA and the same network without
attention. Settings: the task's defaults, then the preset of the
series (`attnflow.tasks.forecast.presets`; "default" for a user's file),
then a config file, then flags.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from attnflow._validation import fail
from attnflow.data.builtin_series import BUILTIN_SERIES, DEFAULT_SERIES
from attnflow.data.windows import make_dataset
from attnflow.models.attention_forecaster import (ATTENTION_ALIASES, ATTENTIONS, AttentionForecaster,
                                                   ForecasterConfig)
from attnflow.training.losses import MemberLosses, PercentageLoss, PinballLoss, PointLoss
from attnflow.tasks.forecast import output, panel
from attnflow.tasks.forecast.covariates import CALENDAR
from attnflow.tasks.forecast.data import ForecastData, scoring_data, training_data
from attnflow.tasks.forecast.flags import ForecastFlags
from attnflow.tasks.forecast.model import scaler_from_dict, scaler_to_dict, serving_function
from attnflow.tasks.forecast.options import FROM_DATA, ForecastOptions
from attnflow.tasks.forecast.predict import predict as predict_command
from attnflow.tasks.forecast.presets import preset
from attnflow.tasks.base import Task, TrainingData, with_faithfulness
from attnflow.tasks.forecast.baselines import REFERENCE_BASELINES, default_baselines
from attnflow.training.config import RunConfig, merge

class ForecastTask(ForecastFlags, Task):
    """A time series -> AttentionForecaster (a seed ensemble), beside the classical methods;
    flags in `attnflow.tasks.forecast.flags`."""

    options_class = ForecastOptions
    headline = ("mae", "lower")  # MASE for several targets or a panel (see headline_metric)

    def __init__(self):
        self.scaler = None  # the training data's, set by load_data
        self.loss_floor = None  # PercentageLoss's floor for the training data, set by load_data

    # -- settings ---------------------------------------------------------------

    def defaults(self, chosen: dict | None = None) -> dict:
        chosen = chosen or {}
        series = chosen.get("options", {}).get("dataset")
        if series is None and chosen.get("options", {}).get("id_col"):
            series = "panel"
        if series is None:
            series = "default" if chosen.get("data") else DEFAULT_SERIES
        return self.defaults_for(series)

    def defaults_for(self, series: str) -> dict:
        """The task's defaults under the preset of built-in series `series`
        ("default": a user's file)."""
        base = {"task": self.name, "epochs": 60, "batch_size": 16, "learning_rate": 3e-3,
                "schedule": "constant", "clipnorm": None, "early_stopping": 0,
                "options": dataclasses.asdict(ForecastOptions()), "model": {}}
        return merge(base, preset(series))

    def headline_metric(self, config: RunConfig) -> tuple[str, str]:
        """MAE, or MASE when values of different scales are scored together: several targets,
        or the series of a panel (MAE over all of them would be the largest series' MAE)."""
        options = self.options(config)
        return ("mase", "lower") if len(options.target) > 1 or options.is_panel else self.headline

    def check_config(self, config: RunConfig) -> None:
        options = self.options(config)
        if config.data is not None and options.dataset is not None:
            fail("either --data FILE or --dataset NAME", data=config.data, dataset=options.dataset)
        settable = sorted({f.name for f in dataclasses.fields(ForecasterConfig)} - FROM_DATA)
        unknown = sorted(set(config.model) - set(settable))
        if unknown:
            fail(f"model settings among {settable} (the others come from the data and options)",
                 unknown=unknown)
        attention = config.model.get("attention", "multihead")
        if ATTENTION_ALIASES.get(attention, attention) not in ATTENTIONS:
            fail(f"attention to be one of {ATTENTIONS}", attention=attention)

    # -- data and model -----------------------------------------------------------

    def load_data(self, config: RunConfig, data_path: str | None = None) -> ForecastData:
        """The run's data (and split), or with `data_path` a file to score the run on.

        Training fills the options left None (context, horizon, season_length,
        transform) with the series' values, records its columns (time_col,
        target, covariates: a built-in series' too, so a run can read a file
        of the same columns) and the scaler fitted on the training part
        (options.scaler), so that config.yaml holds all a forecast from raw
        data needs.
        """
        options = self.options(config)
        if options.is_panel:
            return self._load_panel(config, options, data_path)
        if data_path is not None:
            return scoring_data(options, data_path, scaler_from_dict(options.scaler))
        data = training_data(options, config.data)
        data.season_length = options.season_length or data.season_length
        series = data.series
        config.options.update(context=data.context, horizon=data.horizon, season_length=data.season_length,
                              transform=data.transform, scaler=scaler_to_dict(data.scaler),
                              freq=series.freq, time_col=series.time_col, target=list(series.target_names),
                              covariates=[name for name in series.covariate_names
                                          if name not in options.future_covariates and name not in CALENDAR
                                          and name not in options.static_covariates])
        self.scaler = data.scaler  # for serving_endpoint
        train = series.values[:data.split.train_stop]  # [T_train, n_targets]
        self.loss_floor = 0.1 * np.nan_to_num(np.nanmean(np.abs(train), axis=0))  # of a "mape" loss
        return data

    def _load_panel(self, config: RunConfig, options, data_path):
        if data_path is not None:
            return panel.scoring_panel(options, data_path, scaler_from_dict(options.scaler))
        data = panel.panel_training_data(options, config.data)
        config.options.update(context=data.context, horizon=data.horizon, season_length=data.season_length,
                              transform=data.transform, scaler=scaler_to_dict(data.scaler),
                              freq=data.series.freq, time_col=data.series.time_col, target=list(data.series.target_names),
                              id_col=data.panel.id_col if options.id_col else None)
        self.scaler = data.scaler
        self.loss_floor = np.full(len(data.series.target_names), 0.1)  # series divided by their own size
        return data

    def build_model(self, config: RunConfig, data: ForecastData) -> AttentionForecaster:
        """AttentionForecaster with config.model's settings; options.ensemble sets its members."""
        options = self.options(config)
        members = config.model.get("members", 1)
        if options.ensemble > 1 and members not in (1, options.ensemble):
            fail("options.ensemble or model.members, not both", ensemble=options.ensemble, members=members)
        settings = {**config.model, "context": data.context, "horizon": data.horizon,
                    "num_targets": len(data.series.target_names),
                    "num_covariates": 2 * len(data.series.covariate_names),
                    "season_length": data.season_length, "quantiles": list(options.quantiles),
                    "seed": config.seed}
        if data.series.future_known is not None:  # known-future covariates: the queries read them
            settings.setdefault("future_covariates", True)
        if options.ensemble > 1:
            settings["members"] = options.ensemble
        return AttentionForecaster(**settings)

    def training_data(self, model, data: ForecastData, config: RunConfig) -> TrainingData:
        train = make_dataset(data.train, config.batch_size, shuffle=True, seed=config.seed)
        validation = make_dataset(data.validation, 256) if data.validation is not None else None
        return TrainingData(train, validation, math.ceil(len(data.train) / config.batch_size))

    def compile_arguments(self, config: RunConfig) -> dict:
        options = self.options(config)
        if options.quantiles:
            return {"loss": PinballLoss(options.quantiles)}
        kinds = options.loss[:options.ensemble] if isinstance(options.loss, list) else [options.loss]
        if len(kinds) > 1:  # member i trains on loss[i % len(loss)]
            return {"loss": MemberLosses([self._point_loss(kind) for kind in kinds])}
        return {"loss": self._point_loss(kinds[0])}

    def _point_loss(self, kind: str):
        if kind == "mape":  # read back in the data's units (the scaler of the training data)
            return PercentageLoss(self.scaler.transform, self.scaler.mean, self.scaler.std, self.loss_floor)
        return PointLoss(kind)

    # -- scores -------------------------------------------------------------------

    def evaluate(self, model, data: ForecastData, config: RunConfig) -> dict:
        """The test part's scores; with a backtest, also their mean over the folds
        (the network refitted on each earlier fold)."""
        quantiles = self.options(config).quantiles
        if isinstance(data, panel.PanelData):
            forecast = output.point_forecast(panel.panel_forecast(model, data), quantiles)
            return {"test": panel.panel_scores(data, forecast), "model": describe(model, data)}
        scores = {"test": output.score(data, output.network_forecast(model, data), quantiles),
                  "model": describe(model, data)}
        if data.backtest:
            from attnflow.training.trainer import fit_model

            folds = []
            for split in data.backtest[:-1]:
                fold = data.fold(split)
                refitted = fit_model(self, _single_run(config), fold)
                folds.append(output.score(fold, output.network_forecast(refitted, fold), quantiles))
            scores["backtest"] = output.mean_scores(folds + [scores["test"]])
        return with_faithfulness(self, scores, model, data, config, data.split is not None)

    def baselines(self, data: ForecastData, config: RunConfig) -> dict:
        if not self.options(config).baselines:
            return {}
        if isinstance(data, panel.PanelData):
            results = {name: panel.panel_scores(data, forecast)
                       for name, forecast in panel.classical_panel_forecasts(data).items()}
            twin = self.no_attention_model(data, config)
            if twin is not None:
                forecast = output.point_forecast(panel.panel_forecast(twin, data), self.options(config).quantiles)
                results["no_attention"] = panel.panel_scores(data, forecast)
            return results
        results, specs = {}, self.classical_specs(data)
        for split in data.backtest or [data.split]:
            fold = data.fold(split)
            for name, forecast in output.classical_forecasts(fold, specs).items():
                results.setdefault(name, []).append(output.score(fold, forecast))
            twin = self.no_attention_model(fold, config)
            if twin is not None:
                results.setdefault("no_attention", []).append(
                    output.score(fold, output.network_forecast(twin, fold), self.options(config).quantiles))
        tested = {name: folds[-1] for name, folds in results.items()}
        if data.backtest:
            tested.update({f"{name} (backtest)": output.mean_scores(folds) for name, folds in results.items()})
        return tested

    def classical_specs(self, data: ForecastData) -> dict:
        """The reference baselines of a built-in series, else seasonal naive, Holt-Winters, SARIMA."""
        if data.name in REFERENCE_BASELINES and data.season_length == BUILTIN_SERIES[data.name].season_length:
            return REFERENCE_BASELINES[data.name]
        observed = data.train_values[~np.isnan(data.train_values)]
        return default_baselines(data.season_length, positive=bool(observed.min() > 0))

    def no_attention_model(self, data: ForecastData, config: RunConfig):
        """The same network, attention "none", trained on the same split (None if already so)."""
        from attnflow.training.trainer import fit_model

        if config.model.get("attention") == "none":
            return None
        # Without weights there is nothing to copy from: the twin of an "attended" anchor gets the
        # anchor that attending evenly to one phase of every season gives.
        changes = {"attention": "none", "lag_bias": False}
        if config.model.get("residual") == "attended":
            changes["residual"] = "seasonal_mean"
        twin = merge(_single_run(config).to_dict(), {"model": changes})
        return fit_model(self, RunConfig.from_dict(twin), data)

    def serving_endpoint(self, model: AttentionForecaster):
        """Raw context [B, L, T] and observed mask [B, L, T] (and with covariates their raw
        values and masks, past [B, L, C] and future [B, H, C]) -> raw forecasts."""
        import tensorflow as tf

        context, horizon, targets = model.context, model.horizon, model.num_targets
        covariates = model.num_covariates // 2
        specs = [tf.TensorSpec([None, context, targets], tf.float32, name="context"),
                 tf.TensorSpec([None, context, targets], tf.float32, name="observed")]
        if covariates:
            specs += [tf.TensorSpec([None, steps, covariates], tf.float32, name=name)
                      for steps, name in ((context, "covariates"), (context, "covariates_observed"),
                                          (horizon, "future_covariates"),
                                          (horizon, "future_covariates_observed"))]
        return serving_function(model, self.scaler, bool(model.quantiles)), specs

    # -- showing --------------------------------------------------------------------

    def explain(self, model, data: ForecastData, config: RunConfig, directory: Path) -> list[Path]:
        from attnflow.tasks.forecast.predict import write_attention, write_test_plot

        directory.mkdir(parents=True, exist_ok=True)
        if isinstance(data, panel.PanelData):
            return []
        quantiles = self.options(config).quantiles
        paths = [write_test_plot(model, data, quantiles, directory / "forecast.png")]
        if model.attention != "none":
            paths += write_attention(model, data, data.test_origin, directory / "test_attention.png",
                                     directory / "test_attention_top_k.json", k=5)
        return paths

    def attention_examples(self, model, data, config, split="test", count=8):
        from attnflow.tasks.forecast import attention_views

        return attention_views.examples(model, data, config, split, count)

    def faithfulness(self, model, data, config):
        from attnflow.tasks.forecast import attention_views

        if isinstance(data, panel.PanelData):
            return None
        return attention_views.faithfulness(model, data, config)

    def summarize(self, model, data: ForecastData, config: RunConfig, console) -> None:
        from rich.table import Table

        quantiles = self.options(config).quantiles
        if isinstance(data, panel.PanelData):
            console.print(f"{len(data.panel)} series of {data.name}: one network, test parts their last "
                          f"{data.horizon} steps")
            return
        forecast = output.point_forecast(output.network_forecast(model, data), quantiles)
        name = data.series.target_names[0]
        table = Table(title=f"test forecast of {name} ({data.name})")
        for column in (data.series.time_col, "forecast", "actual"):
            table.add_column(column, justify="right")
        times = data.series.times[data.test_origin:data.test_origin + data.horizon]
        for time, value, actual in zip(times, forecast[:, 0], data.test_values[:, 0]):
            table.add_row(str(time.date()) if time == time.normalize() else str(time),
                          f"{value:.4g}", "-" if np.isnan(actual) else f"{actual:.4g}")
        console.print(table)

    def predict(self, load_model, inputs: list[str], args: dict, config: RunConfig) -> None:
        predict_command(self, load_model, inputs, args, config)


def describe(model, data) -> dict:
    """What produced the test forecast (metrics.json's "model")."""
    members = getattr(model, "members", 1)
    trained_on = f"{len(data.panel)} series" if isinstance(data, panel.PanelData) else "one series"
    return {"name": "AttentionForecaster", "attention": model.attention,
            "description": f"{'a seed ensemble of ' + str(members) + ' networks' if members > 1 else 'one network'}"
                           f" (encoder {model.encoder}, residual {model.residual}), trained on {trained_on}",
            "loss": getattr(getattr(model, "loss", None), "name", None)}  # "mae_mape": members alternate


def _single_run(config: RunConfig) -> RunConfig:
    """The config of one more training inside a run: no backtest, no baselines."""
    return RunConfig.from_dict(merge(config.to_dict(), {"options": {"backtest": 0, "baselines": False}}))
