"""The forecasting losses: values by hand, masks, configs, and the names saved runs carry."""

from pathlib import Path

import keras
import numpy as np
import pytest

from attnflow.training.losses import MemberLosses, PercentageLoss, PinballLoss, PointLoss

OLD_RUN = Path(__file__).resolve().parents[1] / "fixtures" / "runs_23abba0" / "forecast" / "model.keras"


def test_losses_by_hand_and_masked_targets_do_not_count():
    y_true = np.array([[[1.0], [2.0]]], np.float32)  # [1, 2, 1]
    y_pred = np.array([[[1.5], [0.0]]], np.float32)
    weight = np.array([[[1.0], [0.0]]], np.float32)
    assert float(PointLoss("mae")(y_true, y_pred)) == pytest.approx((0.5 + 2.0) / 2)
    assert float(PointLoss("mse")(y_true, y_pred, sample_weight=weight)) == pytest.approx(0.25 / 2)
    assert float(PointLoss("huber")(y_true, y_pred)) == pytest.approx((0.125 + 1.5) / 2)
    quantile_pred = np.array([[[[0.0, 2.0]], [[2.0, 3.0]]]], np.float32)  # [1, 2, 1, 2]
    # step 1: y=1, q=0.2 f=0 -> 0.2; q=0.8 f=2 -> 0.2. step 2: y=2, f=2 -> 0; f=3 -> 0.2
    loss = PinballLoss((0.2, 0.8))
    assert float(loss(y_true, quantile_pred)) == pytest.approx((0.2 + 0.0 + 0.2 + 0.2) / 2 / 2)
    assert float(loss(y_true, quantile_pred, sample_weight=weight)) == pytest.approx(0.2 / 2)


def test_percentage_loss_reads_model_units_back_against_a_float64_reference():
    rng = np.random.default_rng(0)
    mean, std = np.array([0.7, 2.0]), np.array([0.3, 0.5])
    y_true = rng.normal(size=(4, 3, 2))
    y_pred = y_true + rng.normal(scale=0.3, size=(4, 3, 2))
    y_true[0, 0, 1] = (np.log1p(1e-4) - mean[1]) / std[1]  # a target near 0: its size is floored
    weight = (rng.uniform(size=(4, 3, 2)) > 0.3).astype(np.float64)
    actual, forecast = np.expm1(y_true * std + mean), np.expm1(y_pred * std + mean)
    floor = np.array([0.05, 0.2])  # [2], in the data's units
    expected = np.abs(actual - forecast) / np.maximum(np.abs(actual), floor)  # [4, 3, 2]
    loss = PercentageLoss("log1p", mean, std, floor)
    got = float(loss(y_true.astype(np.float32), y_pred.astype(np.float32), sample_weight=weight.astype(np.float32)))
    assert got == pytest.approx((expected * weight).sum() / weight.size, rel=1e-5)
    plain = PercentageLoss("none", 10.0, 2.0)  # model units z are values 10 + 2 z; no floor
    assert float(plain(np.array([[[0.0]]], np.float32), np.array([[[1.0]]], np.float32))) == pytest.approx(0.2)
    assert float(plain(np.array([[[-5.0]]], np.float32), np.array([[[1.0]]], np.float32))) == 0.0  # target 0


def test_member_losses_give_member_i_loss_i_mod_k_and_the_mean_on_one_forecast():
    losses = MemberLosses([PointLoss("mae"), PointLoss("mse")])
    assert losses.name == "mae_mse"
    assert [losses.member_loss(i).kind for i in range(5)] == ["mae", "mse", "mae", "mse", "mae"]
    y_true, y_pred = np.array([[[1.0], [2.0]]], np.float32), np.array([[[3.0], [2.5]]], np.float32)
    mae, mse = (2.0 + 0.5) / 2, (4.0 + 0.25) / 2
    assert float(losses(y_true, y_pred)) == pytest.approx((mae + mse) / 2)


@pytest.mark.parametrize("loss", [
    PinballLoss((0.25, 0.75)), PointLoss("huber"), PercentageLoss("log1p", [0.5, 1.0], [2.0, 3.0]),
    MemberLosses([PointLoss("mae"), PercentageLoss("none", 3.0, 2.0)])],
    ids=["pinball", "point", "percentage", "members"])
def test_registered_names_and_config_round_trip(loss):
    serialized = keras.saving.serialize_keras_object(loss)
    assert serialized["registered_name"] == f"attnflow>{type(loss).__name__}"
    clone = keras.saving.deserialize_keras_object(serialized)
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()
    y_true, y_pred = np.full((2, 3, 2), 0.5, np.float32), np.full((2, 3, 2, 2), 0.2, np.float32)
    if not isinstance(loss, PinballLoss):
        y_pred = y_pred[..., 0]
    assert float(clone(y_true, y_pred)) == pytest.approx(float(loss(y_true, y_pred)))


def test_a_run_saved_when_the_losses_lived_in_models_loads_compiled():
    # Its compile config names attnflow>PointLoss in module attnflow.models.forecast_blocks.
    model = keras.models.load_model(OLD_RUN)
    assert isinstance(model.loss, PointLoss) and model.loss.kind == "mae"


@pytest.mark.parametrize("make, message", [
    (lambda: PinballLoss(()), "Received: quantiles=()"),
    (lambda: PinballLoss((0.5, 1.0)), "Received: quantiles=(0.5, 1.0)"),
    (lambda: PointLoss("l1"), "Received: kind='l1'"),
    (lambda: PercentageLoss("exp"), "Received: transform='exp'"),
    (lambda: PercentageLoss(floor=-1.0), "Received: floor=-1.0"),
    (lambda: MemberLosses([]), "Received: losses=[]"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError) as error:
        make()
    assert message in str(error.value)
