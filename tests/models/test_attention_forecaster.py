"""AttentionForecaster: shapes, masks, anchors, losses, config and the .keras round trip."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.models import AttentionForecaster, ForecasterConfig
from attnflow.models.forecast_blocks import (anchor_and_level, attended_values, context_scale,
                                             seasonal_difference_features)
from attnflow.training.losses import PointLoss
from tests.models.mixed_precision import assert_mixed_precision_matches_float32

L, H = 7, 3  # distinct sizes so swapped axes cannot pass


def inputs(batch=2, targets=1, covariates=0, seed=0, unobserved=()):
    rng = np.random.default_rng(seed)
    observed = np.ones((batch, L, targets), np.float32)
    for step in unobserved:
        observed[:, step] = 0.0
    data = {"context": (rng.normal(size=(batch, L, targets)) * observed).astype(np.float32), "observed": observed}
    if covariates:
        data["covariates"] = rng.normal(size=(batch, L, covariates)).astype(np.float32)
        data["future_covariates"] = rng.normal(size=(batch, H, covariates)).astype(np.float32)
    return data


VARIANTS = [
    dict(encoder="lstm", attention="multihead"),
    dict(encoder="gru", attention="bahdanau", query="state"),
    dict(encoder="transformer", num_layers=2, attention="multihead", query="state"),
    dict(encoder="none", attention="multihead", num_heads=1, highway=True, scale_by_context=True,
         residual="level", season_length=2),
    dict(encoder="lstm", attention="none"),
    dict(encoder="none", attention="multihead", residual="attended", lag_bias=True, season_length=2),
]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: f"{v['encoder']}-{v['attention']}")
def test_shapes_and_weights(variant):
    model = AttentionForecaster(context=L, horizon=H, num_targets=2, num_covariates=4, future_covariates=True,
                                units=8, seed=1, **variant)
    data = inputs(targets=2, covariates=4, unobserved=(1, 4))
    forecast = model(data)
    assert tuple(forecast.shape) == (2, H, 2) and np.isfinite(forecast).all()
    if variant["attention"] == "none":
        with pytest.raises(ValueError, match="expected return_attention_scores=False for a model with attention='none'"):
            model(data, return_attention_scores=True)
        return
    weights = np.asarray(model.attention_weights(data))
    expected = (2, variant.get("num_heads", 2), H, L) if variant["attention"] == "multihead" else (2, H, L)
    assert weights.shape == expected
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    assert np.all(weights[..., [1, 4]] == 0.0)  # unobserved steps are never attended to


def test_quantiles_are_sorted_and_anchor_adds_to_all():
    model = AttentionForecaster(context=L, horizon=H, units=8, quantiles=(0.1, 0.5, 0.9), seed=0,
                                residual="seasonal_naive", season_length=2)
    forecast = np.asarray(model(inputs()))
    assert forecast.shape == (2, H, 1, 3) and np.all(np.diff(forecast, axis=-1) >= 0)


def test_anchors_by_hand():
    context = np.array([[[1.0], [2.0], [3.0], [4.0], [5.0], [6.0], [8.0]]], np.float32)  # [1, 7, 1]
    observed = np.ones_like(context)
    observed[0, 5] = 0.0  # 6.0 is not observed
    context[0, 5] = 0.0
    anchor, level = anchor_and_level(context, observed, 4, "seasonal_naive", 3)
    # last season: positions 4, 5, 6 = 5, (missing), 8 -> level 6.5; phase 1 missing -> level
    np.testing.assert_allclose(np.asarray(level).ravel(), [6.5])
    np.testing.assert_allclose(np.asarray(anchor).ravel(), [5.0, 6.5, 8.0, 5.0])
    anchor, _ = anchor_and_level(context, observed, 2, "level", 3)
    np.testing.assert_allclose(np.asarray(anchor).ravel(), [6.5, 6.5])
    anchor, _ = anchor_and_level(context, observed, 2, "none", 3)
    np.testing.assert_allclose(np.asarray(anchor).ravel(), [0.0, 0.0])
    # seasonal_mean: seasons [2, 3, 4] (mean 3: -1, 0, 1) and [5, -, 8] (mean 6.5: -1.5, -, 1.5)
    anchor, _ = anchor_and_level(context, observed, 4, "seasonal_mean", 3)
    np.testing.assert_allclose(np.asarray(anchor).ravel(), [6.5 - 1.25, 6.5 + 0.0, 6.5 + 1.25, 6.5 - 1.25])
    differences = np.asarray(seasonal_difference_features(context, observed, 3)).ravel()
    np.testing.assert_allclose(differences, [0, 0, 0, 3, 3, 0, 4])  # 4-1, 5-2, (6 missing), 8-4
    scale = np.asarray(context_scale(context, observed, level)).ravel()
    expected = np.sqrt(np.mean((np.array([1, 2, 3, 4, 5, 8.0]) - 6.5) ** 2))
    np.testing.assert_allclose(scale, [expected], rtol=1e-6)


def attended_values_reference(context, observed, level, m):
    """float64, step by step: x[l] - mean of its season (counted back from the end) + level."""
    context, observed, level = (np.asarray(a, np.float64) for a in (context, observed, level))
    values = np.broadcast_to(level, context.shape).copy()
    length = context.shape[1]
    for step in range(length):
        if m == 1:
            season = [step]
        else:
            end = length - (length - 1 - step) // m * m  # one past the last step of its season
            season = list(range(max(0, end - m), end))
        for b in range(context.shape[0]):
            for t in range(context.shape[2]):
                if observed[b, step, t] > 0:
                    seen = [s for s in season if observed[b, s, t] > 0]
                    mean = 0.0 if m == 1 else np.mean(context[b, seen, t])
                    values[b, step, t] = context[b, step, t] - mean + (0.0 if m == 1 else level[b, 0, t])
    return values


@pytest.mark.parametrize("m", [1, 2, 3])
def test_attended_values_match_a_float64_reference(m):
    data = inputs(batch=3, targets=2, unobserved=(0, 5))
    _, level = anchor_and_level(data["context"], data["observed"], H, "level", m)
    values = attended_values(data["context"], data["observed"], level, m)
    np.testing.assert_allclose(values, attended_values_reference(data["context"], data["observed"], level, m),
                               rtol=1e-5, atol=1e-6)


def test_attending_evenly_to_one_phase_of_every_season_gives_the_seasonal_mean_anchor():
    context, m, horizon = 12, 4, 6  # three whole seasons
    data = {"context": np.random.default_rng(3).normal(size=(2, context, 1)).astype(np.float32)}
    data["observed"] = np.ones_like(data["context"])
    want, level = anchor_and_level(data["context"], data["observed"], horizon, "seasonal_mean", m)
    weights = np.zeros((horizon, context))
    for h in range(horizon):
        weights[h, context - m + h % m::-m] = 1.0 / 3.0  # the same phase in each season
    values = attended_values(data["context"], data["observed"], level, m)
    np.testing.assert_allclose(np.einsum("hl,blt->bht", weights, values), want, rtol=1e-5, atol=1e-6)


def test_an_attended_anchor_is_the_weighted_mean_of_the_values():
    # head_output starts at zero, so an untrained model forecasts its anchor exactly.
    data = inputs(batch=3, targets=2, unobserved=(2,))
    model = AttentionForecaster(context=L, horizon=H, num_targets=2, units=8, encoder="none", seed=0,
                                residual="attended", season_length=3, lag_bias=True)
    forecast, weights = model(data, return_attention_scores=True)
    _, level = anchor_and_level(data["context"], data["observed"], H, "level", 3)
    values = attended_values(data["context"], data["observed"], level, 3)
    np.testing.assert_allclose(forecast, np.einsum("bhl,blt->bht", np.mean(weights, axis=1), values),
                               rtol=1e-5, atol=1e-6)
    # With nothing observed there is nothing to attend to: the anchor is the level (0).
    empty = inputs(batch=1, targets=2, unobserved=range(L))
    np.testing.assert_allclose(model(empty), np.zeros((1, H, 2)), atol=1e-6)


def test_with_a_season_the_lag_bias_starts_on_the_same_phase_of_earlier_seasons():
    from attnflow.tasks.forecast.attention_views import weight_at_lags

    model = AttentionForecaster(context=12, horizon=4, season_length=4, units=8, encoder="none", seed=0,
                                lag_bias=True, residual="attended")
    data = {"context": np.random.default_rng(1).normal(size=(8, 12, 1)).astype(np.float32)}
    data["observed"] = np.ones_like(data["context"])
    seasonal = weight_at_lags(np.mean(model.attention_weights(data), axis=1), [4, 8, 12])  # [8, 4]
    assert 0.97 <= seasonal.min() and seasonal.max() <= 1.0
    flat = AttentionForecaster(context=12, horizon=4, season_length=1, units=8, encoder="none", seed=0,
                               lag_bias=True)
    assert not np.any(flat.lag_bias_table.numpy())  # no season: no lag preferred at the start


def test_the_lag_bias_scores_each_pair_by_its_lag():
    model = AttentionForecaster(context=L, horizon=H, units=8, encoder="none", seed=0, lag_bias=True)
    model(model.dummy_inputs())
    table = np.zeros((2, L + H - 1), np.float32)
    table[0, 3 - 1] = 5.0  # head 0: lag 3
    table[1, 1 - 1] = 5.0  # head 1: lag 1 (the last step, for the first forecast step)
    model.lag_bias_table.assign(table)
    weights = np.asarray(model.attention_weights(inputs()))  # [2, 2, H, L]
    for h in range(H):
        assert weights[:, 0, h].argmax(-1).tolist() == [L - 3 + h] * 2  # lag 3 of forecast step h
        if h == 0:
            assert weights[:, 1, h].argmax(-1).tolist() == [L - 1] * 2
        else:  # lag 1 lies in the future: the head spreads over the context
            assert weights[:, 1, h].max() < 0.5


def test_a_nan_free_gradient_when_targets_and_context_are_missing():
    model = AttentionForecaster(context=L, horizon=H, units=8, seed=0, encoder="transformer")
    data = inputs(unobserved=range(L))  # nothing observed at all
    with tf.GradientTape() as tape:
        loss = PointLoss()(np.zeros((2, H, 1), np.float32), model(data, training=True),
                           sample_weight=np.zeros((2, H, 1), np.float32))
    gradients = tape.gradient(loss, model.trainable_variables)
    assert all(np.isfinite(tf.convert_to_tensor(g)).all() for g in gradients if g is not None)


def test_fit_reduces_the_loss_on_a_learnable_pattern():
    rng = np.random.default_rng(0)
    context = rng.normal(size=(64, L, 1)).astype(np.float32)
    target = context[:, -H:] * 2.0  # a fixed map from the recent past
    data = {"context": context, "observed": np.ones_like(context)}
    model = AttentionForecaster(context=L, horizon=H, units=8, encoder="none", seed=0)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=PointLoss("mse"))
    history = model.fit(data, target, epochs=30, batch_size=32, verbose=0).history["loss"]
    assert history[-1] < 0.3 * history[0]


def test_keras_round_trip(tmp_path):
    model = AttentionForecaster(context=L, horizon=H, num_covariates=2, future_covariates=True, units=8,
                                encoder="transformer", quantiles=(0.25, 0.75), residual="seasonal_mean",
                                season_length=3, seasonal_differences=True, highway=True, seed=3)
    attended = AttentionForecaster(context=L, horizon=H, units=8, encoder="none", residual="attended",
                                   lag_bias=True, season_length=3, seed=3)
    data = inputs(covariates=2)
    attended(data)
    attended.lag_bias_table.assign(np.random.default_rng(0).normal(size=(2, L + H - 1)).astype(np.float32))
    expected = np.asarray(model(data))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(data)), expected, rtol=1e-5, atol=1e-6)
    attended.save(tmp_path / "a.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "a.keras").attention_weights(data),
                               attended.attention_weights(data), rtol=1e-5, atol=1e-6)
    config = loaded.get_config()
    assert {f.name for f in dataclasses.fields(ForecasterConfig)} <= set(config)
    assert tuple(config["quantiles"]) == (0.25, 0.75) and config["encoder"] == "transformer"
    assert loaded.get_build_config()["weights_layout"] == 2


def test_from_forecaster_config():
    config = ForecasterConfig(context=L, horizon=H, units=8, attention="bahdanau")
    model = AttentionForecaster.from_forecaster_config(config)
    assert model.attention == "bahdanau" and model.context == L


@pytest.mark.parametrize("kwargs, message", [
    (dict(context=0), "expected context to be a positive integer. Received: context=0"),
    (dict(encoder="cnn"), r"expected encoder to be one of .* Received: encoder='cnn'"),
    (dict(attention="luong"), r"expected attention to be one of \('multihead', 'bahdanau', 'none'\)\. "
                              r"Received: attention='luong'"),
    (dict(residual="drift"), r"expected residual to be one of .* Received: residual='drift'"),
    (dict(quantiles=(0.9, 0.1)), r"expected increasing quantiles in \(0, 1\). Received: quantiles=\(0.9, 0.1\)"),
    (dict(units=9, num_heads=2), "expected units divisible by num_heads=2. Received: units=9"),
    (dict(residual="seasonal_naive", season_length=8), r"expected season_length <= context=7 .* Received: season_length=8"),
    (dict(future_covariates=True), "expected num_covariates > 0 when future_covariates=True"),
    (dict(dropout=1.0), r"expected dropout in \[0, 1\). Received: dropout=1.0"),
    (dict(members=0), "expected members to be a positive integer. Received: members=0"),
    (dict(observation_dropout=-0.1), r"expected observation_dropout in \[0, 1\). Received: observation_dropout=-0.1"),
    (dict(residual="attended", attention="none"),
     r"expected an attention other than 'none' for residual='attended' .* Received: attention='none'"),
    (dict(lag_bias=True, attention="bahdanau"),
     r"expected attention='multihead' for lag_bias=True. Received: attention='bahdanau'"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AttentionForecaster(**{"context": L, "horizon": H, **kwargs})


def test_global_seed_repeats_a_model_and_none_draws_fresh_weights():
    def weights(seed, global_seed):
        if global_seed is not None:
            keras.utils.set_random_seed(global_seed)
        model = AttentionForecaster(context=L, horizon=H, units=8, seed=seed, encoder="transformer")
        model(model.dummy_inputs())
        return [w.numpy() for w in model.weights]

    assert all(np.array_equal(a, b) for a, b in zip(weights(5, 1), weights(5, 1)))
    assert not all(np.array_equal(a, b) for a, b in zip(weights(None, None), weights(None, None)))


@pytest.mark.parametrize("variant", [{}, {"residual": "attended", "lag_bias": True}], ids=["content", "lag-bias"])
def test_attention_finds_a_planted_lag(variant):
    """y[t] = 0.9 y[t - 5] + noise: on held-out windows, step h attends to context step L' - 5 + h."""
    lag, context, horizon, length, cut = 5, 12, 3, 1100, 900
    rng = np.random.default_rng(0)
    series = rng.normal(size=length)
    for t in range(lag, length):
        series[t] = 0.9 * series[t - lag] + 0.3 * rng.normal()

    def windows(origins):
        past = series[origins[:, None] + np.arange(-context, 0)][..., None].astype(np.float32)
        future = series[origins[:, None] + np.arange(horizon)][..., None].astype(np.float32)
        return {"context": past, "observed": np.ones_like(past)}, future

    train, target = windows(np.arange(context, cut - horizon + 1))  # targets before the cut
    test, _ = windows(np.arange(cut + context, length - horizon + 1))  # 186 windows after it
    keras.utils.set_random_seed(0)
    model = AttentionForecaster(context=context, horizon=horizon, encoder="none", num_heads=1, units=16,
                                dropout=0.0, seed=0, **variant)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=PointLoss("mse"))
    model.fit(train, target, epochs=12, batch_size=64, verbose=0)
    weights = np.asarray(model.attention_weights(test))  # [186, 1, H, L]
    on_lag = weights[:, 0, np.arange(horizon), context - lag + np.arange(horizon)]  # [186, H]
    assert on_lag.mean() >= 0.8


def test_members_average_and_each_trains_on_its_own_loss():
    data, target = inputs(batch=48, seed=1), np.random.default_rng(2).normal(size=(48, H, 1)).astype(np.float32)
    members = AttentionForecaster(context=L, horizon=H, units=8, encoder="none", dropout=0.0, members=3, seed=5)
    assert [member.seed for member in members.member_models] == [5, 6, 7]
    forecast, weights = members(data, return_attention_scores=True)
    each = [member(data, return_attention_scores=True) for member in members.member_models]
    np.testing.assert_allclose(forecast, np.mean([f for f, _ in each], axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weights, np.mean([w for _, w in each], axis=0), rtol=1e-5, atol=1e-6)
    assert weights.shape == (48, 2, H, L)
    # Member 1 of the ensemble and a lone model from the same weights, fitted on the same batches,
    # end identical: no member's gradient depends on the other members' forecasts.
    alone = AttentionForecaster(context=L, horizon=H, units=8, encoder="none", dropout=0.0, seed=6)
    alone(data)
    alone.set_weights(members.member_models[1].get_weights())
    for model in (members, alone):
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=PointLoss("mse"))
        model.fit(data, target, epochs=4, batch_size=16, shuffle=False, verbose=0)
    trained = np.asarray(members.member_models[1](data))
    np.testing.assert_allclose(trained, np.asarray(alone(data)), atol=1e-5)
    assert np.abs(trained - np.asarray(members.member_models[0](data))).max() > 1e-2  # members differ
    loss = members.evaluate(data, target, verbose=0)  # the mean forecast's loss
    assert loss == pytest.approx(float(np.mean((np.asarray(members(data)) - target) ** 2)), rel=1e-4)


def test_members_with_member_losses_each_train_on_their_own_loss():
    from attnflow.training.losses import MemberLosses

    data, target = inputs(batch=48, seed=1), np.random.default_rng(2).normal(size=(48, H, 1)).astype(np.float32)
    members = AttentionForecaster(context=L, horizon=H, units=8, encoder="none", dropout=0.0, members=2, seed=5)
    members(data)
    alone = {}
    for index, kind in enumerate(("mse", "mae")):  # member i trains on losses[i % 2], like a lone model
        alone[kind] = AttentionForecaster(context=L, horizon=H, units=8, encoder="none", dropout=0.0, seed=5 + index)
        alone[kind](data)
        alone[kind].set_weights(members.member_models[index].get_weights())
        alone[kind].compile(optimizer=keras.optimizers.Adam(1e-2), loss=PointLoss(kind))
    members.compile(optimizer=keras.optimizers.Adam(1e-2), loss=MemberLosses([PointLoss("mse"), PointLoss("mae")]))
    for model in (members, *alone.values()):
        model.fit(data, target, epochs=4, batch_size=16, shuffle=False, verbose=0)
    for index, kind in enumerate(("mse", "mae")):
        np.testing.assert_allclose(np.asarray(members.member_models[index](data)), np.asarray(alone[kind](data)),
                                   atol=1e-5)
    forecast = np.asarray(members(data))  # evaluation: the mean of both losses on the mean forecast
    expected = (np.mean((forecast - target) ** 2) + np.mean(np.abs(forecast - target))) / 2
    assert members.evaluate(data, target, verbose=0) == pytest.approx(float(expected), rel=1e-4)


def test_observation_dropout_hides_steps_in_training_only():
    data = inputs(batch=64)
    model = AttentionForecaster(context=L, horizon=H, units=8, encoder="none", observation_dropout=0.5, seed=0)
    np.testing.assert_array_equal(np.asarray(model(data)), np.asarray(model(data)))  # inference: all shown
    assert np.all(np.asarray(model.attention_weights(data)) > 0)
    _, weights = model(data, training=True, return_attention_scores=True)  # [64, heads, H, L]
    hidden = np.all(np.asarray(weights) == 0.0, axis=(1, 2))  # [64, L]: steps no head attends to
    assert 0.35 < hidden.mean() < 0.65
    assert AttentionForecaster.from_config(model.get_config()).observation_dropout == 0.5


def test_members_round_trip(tmp_path):
    model = AttentionForecaster(context=L, horizon=H, units=8, members=2, quantiles=(0.1, 0.9), seed=0)
    data = inputs()
    expected = np.asarray(model(data))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(loaded(data)), expected, rtol=1e-5, atol=1e-6)
    assert loaded.get_config()["members"] == 2 and len(loaded.member_models) == 2


def test_multi_head_is_read_as_multihead_so_old_configs_still_load(tmp_path):
    assert ForecasterConfig().attention == "multihead"
    model = AttentionForecaster(context=L, horizon=H, units=8, attention="multi_head", seed=0)
    assert model.attention == "multihead" and model.get_config()["attention"] == "multihead"
    old_config = {**model.get_config(), "attention": "multi_head"}  # as saved before the rename
    loaded = AttentionForecaster.from_config(old_config)
    assert loaded.attention == "multihead"
    data = inputs()
    model(data), loaded(data)
    loaded.set_weights(model.get_weights())
    np.testing.assert_allclose(loaded(data), model(data), rtol=1e-6)
    assert np.asarray(loaded.attention_weights(data)).shape == (2, 2, H, L)
    assert AttentionForecaster.from_forecaster_config(ForecasterConfig(context=L, horizon=H, units=8,
                                                                       attention="multi_head")).attention == "multihead"


@pytest.mark.parametrize("variant", [VARIANTS[0], VARIANTS[1], VARIANTS[2], VARIANTS[5]],
                         ids=lambda v: f"{v['encoder']}-{v['attention']}")
def test_mixed_precision_matches_float32(mixed_policy, variant):
    data = inputs(unobserved=(2,))
    forecast, weights = assert_mixed_precision_matches_float32(
        lambda: AttentionForecaster(context=L, horizon=H, units=8, **variant),
        lambda model: list(model(data, return_attention_scores=True)), mixed_policy)
    assert forecast.dtype == keras.mixed_precision.global_policy().compute_dtype
    assert weights.dtype == tf.float32 and np.all(weights.numpy()[..., 2] == 0.0)  # unobserved step
