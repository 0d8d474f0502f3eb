"""The forecast task without the CLI: presets, ensembles, masked targets, raw scaling, CSV, top-k."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from attnflow import cli
from attnflow.data.builtin_series import BUILTIN_SERIES
from attnflow.data.timeseries import from_frame
from attnflow.data.windows import Scaler, make_windows
from attnflow.tasks import get_task
from attnflow.tasks.forecast.data import check_varies, raw_inputs, series_settings, training_data
from attnflow.tasks.forecast.options import ForecastOptions
from attnflow.tasks.forecast.model import (raw_forecast, scaled_inputs, scaler_from_dict, scaler_to_dict,
                                            serving_function)
from attnflow.tasks.forecast.output import forecast_frame, top_k_attention
from attnflow.tasks.forecast.presets import preset
from attnflow.training.config import RunConfig, merge, resolve_config
from attnflow.training.trainer import fit_model


def series_frame(rows=48, missing=(5, 17, 30)):
    steps = np.arange(rows)
    values = 50 + steps + 8 * np.sin(2 * np.pi * steps / 12)
    values[list(missing)] = np.nan
    return pd.DataFrame({"time": pd.date_range("2010-01-01", periods=rows, freq="MS"), "y": values})


def tiny_config(tmp_path, **options):
    path = tmp_path / "series.csv"
    series_frame().to_csv(path, index=False)
    task = get_task("forecast")
    cli.build_parser(task, "train").parse_args(["train", "forecast", "--target", "y"])
    values = merge(task.defaults(), {"data": str(path), "epochs": 1, "model": {"units": 8},
                                     "options": {"target": ["y"], "context": 12, "horizon": 4, **options}})
    return task, RunConfig.from_dict(values)


def test_presets_follow_the_chosen_series_and_flags_override_them():
    task = get_task("forecast")
    assert task.defaults()["epochs"] == preset("airpassengers")["epochs"]
    assert task.defaults()["options"]["ensemble"] == preset("airpassengers")["options"]["ensemble"]
    for chosen, name in (({"options": {"dataset": "sunspots"}}, "sunspots"),
                         ({"data": "my.csv", "options": {"target": ["y"]}}, "default")):
        task = get_task("forecast")
        chosen = merge(chosen, {"epochs": 2})
        config = resolve_config(task.defaults(chosen), chosen)
        assert config.epochs == 2 and config.learning_rate == preset(name)["learning_rate"]
        assert config.model == preset(name)["model"]
        # the task's own values (constant rate, no clipping, no early stopping) unless the preset sets them
        expected = {"schedule": "constant", "clipnorm": None, "early_stopping": 0}
        expected.update({key: preset(name)[key] for key in expected if key in preset(name)})
        assert {key: getattr(config, key) for key in expected} == expected


def test_weekly_co2_gets_what_a_users_file_of_it_gets_in_logs():
    co2, default = preset("co2"), preset("default")
    assert co2["options"].pop("transform") == "log"  # as for a user's positive series
    assert co2 == default


def test_a_files_transform_is_log_for_a_positive_series_unless_set():
    positive = from_frame(series_frame(), "time", "y")  # NaN gaps are ignored
    with_zero = from_frame(series_frame().assign(y=lambda frame: frame.y - 50), "time", "y")
    assert series_settings(ForecastOptions(), positive, "my.csv") == (36, 12, 12, "log")
    assert series_settings(ForecastOptions(), with_zero, "my.csv")[3] == "none"
    assert series_settings(ForecastOptions(transform="none"), positive, "my.csv")[3] == "none"
    assert series_settings(ForecastOptions(), positive, "sunspots")[3] == BUILTIN_SERIES["sunspots"].transform
    # A short horizon still gets a context of one season, which the seasonal anchor reads.
    assert series_settings(ForecastOptions(horizon=1), positive, "my.csv")[:3] == (12, 1, 12)


def test_a_series_too_short_for_the_default_window_says_the_window_was_chosen(tmp_path):
    path = tmp_path / "short.csv"
    series_frame().iloc[:50].to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"Received: horizon=12 \(context=36 and horizon=12 chosen for a series "
                                         r"of season 12, as none was given: set them lower for a short series\)$"):
        training_data(ForecastOptions(target=["y"]), str(path))
    with pytest.raises(ValueError, match=r"Received: horizon=12$"):  # given: the user's own numbers
        training_data(ForecastOptions(target=["y"], context=36, horizon=12), str(path))
    assert training_data(ForecastOptions(target=["y"], context=12, horizon=6), str(path)).horizon == 6


def test_a_series_that_does_not_vary_before_its_test_part_fails_before_training():
    flat = series_frame().assign(y=lambda frame: np.where(np.arange(len(frame)) < len(frame) - 12, 5.0, 6.0))
    with pytest.raises(ValueError, match="expected a series that varies before its test part .*"
                                         "Received: first_value=5.0"):
        check_varies(from_frame(flat, "time", "y"), horizon=12, season_length=12)
    check_varies(from_frame(series_frame(), "time", "y"), horizon=12, season_length=12)  # varies: no error


def test_ensemble_members_train_apart_and_the_forecast_is_their_mean(tmp_path):
    task, config = tiny_config(tmp_path, ensemble=3)
    data = task.load_data(config)
    model = fit_model(task, config, data)
    assert model.members == 3
    inputs = data.train.inputs()
    members = np.stack([np.asarray(m(inputs, training=False)) for m in model.member_models])  # [N, B, H, T]
    assert np.allclose(np.asarray(model(inputs, training=False)), members.mean(axis=0), atol=1e-5)
    assert np.abs(members[0] - members[1]).max() > 1e-4  # other seeds, other networks


def test_nan_targets_are_masked_out_of_the_loss(tmp_path):
    task, config = tiny_config(tmp_path)
    data = task.load_data(config)
    fit = task.training_data(task.build_model(config, data), data, config)
    batches = list(fit.train)
    assert len(batches) == fit.steps_per_epoch
    target = tf.concat([b[1] for b in batches], axis=0)  # [N, H, T]
    weight = tf.concat([b[2] for b in batches], axis=0)  # [N, H, T]
    context = np.concatenate([b[0]["context"].numpy() for b in batches])
    assert np.isfinite(target.numpy()).all() and np.isfinite(context).all()
    assert 0 < np.sum(weight.numpy() == 0) and set(np.unique(weight.numpy())) == {0.0, 1.0}
    # Whatever sits under a 0 weight does not change the loss.
    loss = task.compile_arguments(config)["loss"]
    prediction = tf.zeros_like(target)
    garbage = tf.where(weight > 0, target, 1e6)
    assert np.isclose(float(loss(target, prediction, sample_weight=weight)),
                      float(loss(garbage, prediction, sample_weight=weight)))
    observed = weight.numpy() > 0
    expected = np.abs(target.numpy()[observed]).sum() / target.numpy().size  # Keras: mean over all elements
    assert np.isclose(float(loss(target, prediction, sample_weight=weight)), expected, rtol=1e-5)


def test_raw_windows_scale_as_training_does_and_the_serving_function_agrees(tmp_path):
    series = from_frame(series_frame(), "time", "y")
    scaler = scaler_from_dict(scaler_to_dict(Scaler.fit(series, 36, "log")))
    origins = [12, 20, 40]
    windows = make_windows(series, scaler, 12, 4, origins)
    scaled = scaled_inputs(scaler, raw_inputs(series, origins, 12, 4))
    assert np.allclose(scaled["context"], windows.context, atol=1e-6)
    assert np.array_equal(scaled["observed"], windows.observed)

    task, config = tiny_config(tmp_path, transform="log")
    data = task.load_data(config)
    model = task.build_model(config, data)
    raw = raw_inputs(data.series, origins, 12, 4)
    raw["context"][raw["observed"] == 0] = np.nan  # the serving function ignores unobserved values
    served = serving_function(model, data.scaler, quantiles=False)(
        tf.constant(raw["context"]), tf.constant(raw["observed"]))
    assert np.allclose(served.numpy(), raw_forecast(model, data.scaler, raw_inputs(data.series, origins, 12, 4)),
                       rtol=1e-4)
    # An untrained model forecasts its anchor: positive values in the data's units.
    assert (served.numpy() > 0).all()


def test_forecast_frame_columns_and_point_forecast():
    times = pd.date_range("2021-01-01", periods=2, freq="MS")
    forecast = np.arange(2 * 2 * 3, dtype=float).reshape(2, 2, 3)  # [H, T, Q]
    frame = forecast_frame(times, forecast, ("a", "b"), "when", quantiles=[0.1, 0.5, 0.9])
    assert list(frame.columns) == ["when", "a", "b", "a_q0.1", "a_q0.5", "a_q0.9", "b_q0.1", "b_q0.5", "b_q0.9"]
    assert list(frame["a"]) == [1.0, 7.0] and list(frame["b_q0.9"]) == [5.0, 11.0]
    point = forecast_frame(times, forecast[..., 0], ("a", "b"), "when")
    assert list(point.columns) == ["when", "a", "b"] and list(point["b"]) == [3.0, 9.0]


def test_top_k_lists_the_heaviest_past_steps_with_their_lags():
    weights = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]])  # [H=2, L=3]
    context_times = pd.date_range("2020-01-01", periods=3, freq="D")
    forecast_times = pd.date_range("2020-01-04", periods=2, freq="D")
    entries = top_k_attention(weights, context_times, forecast_times, k=2)
    assert [e["step"] for e in entries] == [1, 2]
    assert entries[0]["top"] == [{"time": "2020-01-02 00:00:00", "lag": 2, "weight": 0.6},
                                 {"time": "2020-01-03 00:00:00", "lag": 1, "weight": 0.3}]
    assert [(p["lag"], p["weight"]) for p in entries[1]["top"]] == [(4, 0.5), (2, 0.3)]


def test_bad_settings_fail_before_any_data_is_read(tmp_path):
    task, config = tiny_config(tmp_path)
    for change, message in (({"options": {"loss": "smape"}}, "Received: loss='smape'"),
                            ({"options": {"loss": []}}, "Received: loss=[]"),
                            ({"options": {"loss": ["mae", "l1"]}}, "Received: loss='l1'"),
                            ({"options": {"quantiles": [0.9, 0.1]}}, "expected increasing quantiles"),
                            ({"model": {"context": 5}}, "Received: unknown=['context']"),
                            ({"options": {"ensemble": 2}, "model": {"members": 3}}, "not both")):
        bad = RunConfig.from_dict(merge(config.to_dict(), change))
        with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
            task.check_config(bad)
            task.build_model(bad, task.load_data(bad))
    assert dataclasses.asdict(task.options(config))["target"] == ["y"]


def test_new_data_outside_the_runs_transform_is_a_clear_error():
    scaler = Scaler("log", np.zeros(1), np.ones(1), np.zeros(0), np.ones(0))
    raw = {"context": np.array([[[3.0], [0.0], [np.nan]]]), "observed": np.array([[[1.0], [1.0], [0.0]]])}
    with pytest.raises(ValueError, match=r"expected target values in the domain of transform='log'. "
                                         r"Received: minimum=0.0"):
        scaled_inputs(scaler, raw)
    raw["observed"][0, 1, 0] = 0.0  # an unobserved step's value is never read
    assert np.isfinite(scaled_inputs(scaler, raw)["context"]).all()


def test_attention_names_are_the_other_tasks_and_multi_head_still_reads(tmp_path):
    task, config = tiny_config(tmp_path)
    assert config.model["attention"] == "multihead" and task.attention_names == ("multihead", "bahdanau", "none")
    assert all(p["model"]["attention"] == "multihead" for p in map(preset, ("default", "airpassengers", "sunspots")))
    old = RunConfig.from_dict(merge(config.to_dict(), {"model": {"attention": "multi_head"}}))
    task.check_config(old)  # a run trained before the rename
    assert task.build_model(old, task.load_data(old)).attention == "multihead"
    bad = RunConfig.from_dict(merge(config.to_dict(), {"model": {"attention": "luong"}}))
    with pytest.raises(ValueError, match=r"^expected attention to be one of \('multihead', 'bahdanau', 'none'\)\. "
                                         r"Received: attention='luong'$"):
        task.check_config(bad)


def test_too_many_backtest_folds_fail_before_training(tmp_path):
    task, config = tiny_config(tmp_path, backtest=50)  # 48 steps, context 12, horizon 4
    with pytest.raises(ValueError, match=r"^expected --backtest at most 8 for 48 steps with context 12 and "
                                         r"horizon 4\. Received: backtest=50$"):
        task.load_data(config)
    config = RunConfig.from_dict(merge(config.to_dict(), {"options": {"backtest": 8}}))
    assert len(task.load_data(config).backtest) == 8  # the oldest fold trains on one window
    held = RunConfig.from_dict(merge(config.to_dict(), {"options": {"validation_windows": 2}}))
    with pytest.raises(ValueError, match=r"at most 6 for 48 steps with context 12 and horizon 4 and 2 "
                                         r"validation windows\. Received: backtest=8"):
        task.load_data(held)


def test_the_forecast_table_is_written_as_the_input_was():
    from attnflow.tasks.forecast.output import as_written, value_decimals

    times = pd.date_range("1961-01-01", periods=2, freq="MS")
    frame = forecast_frame(times, np.array([[468.65109152283674], [np.nan]]), ("passengers",), "month")
    history = pd.date_range("1949-01-01", periods=3, freq="MS")
    counts = as_written(frame, "month", np.array([112.0, 118.0, np.nan]), history)
    assert counts.to_csv(index=False) == "month,passengers\n1961-01-01,469\n1961-02-01,\n"
    tenths = as_written(frame, "month", np.array([1.5, 2.25]), history)
    assert list(tenths["passengers"]) == ["468.65", ""]
    computed = as_written(frame, "month", np.array([1 / 3, 2.0]), history)
    assert list(computed["passengers"]) == ["468.651", ""]  # 6 significant digits
    hourly = pd.date_range("2020-01-01 00:30", periods=2, freq="h")
    timed = as_written(forecast_frame(hourly, np.ones((2, 1)), ("load",), "t"), "t", [1.0], hourly)
    assert list(timed["t"]) == ["2020-01-01 00:30", "2020-01-01 01:30"]
    assert value_decimals([0.1, 0.25, 3.0]) == 2 and value_decimals([1e-7]) is None
    assert value_decimals([1.471e-10, 2.2e-10]) is None  # not 0 decimals: they would all read 0
    assert value_decimals([0.0, 0.0]) == 0 and value_decimals([1234.5, 17.0]) == 1


def test_a_mape_member_loss_reads_the_runs_scaler_and_floors_at_a_tenth_of_the_mean_size(tmp_path):
    from attnflow.training.losses import MemberLosses, PercentageLoss, PointLoss

    task, config = tiny_config(tmp_path, loss=["mae", "mape"], ensemble=2)
    data = task.load_data(config)
    loss = task.compile_arguments(config)["loss"]
    assert isinstance(loss, MemberLosses)
    point, percentage = loss.member_loss(0), loss.member_loss(1)
    assert isinstance(point, PointLoss) and isinstance(percentage, PercentageLoss)
    train = data.series.values[:data.split.train_stop, 0]
    assert np.isnan(train).any() and percentage.floor == pytest.approx([0.1 * np.nanmean(np.abs(train))])
    assert (percentage.transform, percentage.mean, percentage.std) == (
        data.scaler.transform, list(data.scaler.mean), list(data.scaler.std))
    one = RunConfig.from_dict(merge(config.to_dict(), {"options": {"ensemble": 1}}))
    alone = task.compile_arguments(one)["loss"]  # one network: the first loss of the list
    assert isinstance(alone, PointLoss) and alone.kind == "mae"
