"""The forecasting losses: values by hand, masks, configs, and the names saved runs carry."""

from pathlib import Path

import keras
import numpy as np
import pytest

from attnflow.training.losses import PinballLoss, PointLoss

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


@pytest.mark.parametrize("loss", [PinballLoss((0.25, 0.75)), PointLoss("huber")], ids=["pinball", "point"])
def test_registered_names_and_config_round_trip(loss):
    serialized = keras.saving.serialize_keras_object(loss)
    assert serialized["registered_name"] == f"attnflow>{type(loss).__name__}"
    clone = keras.saving.deserialize_keras_object(serialized)
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()


def test_a_run_saved_when_the_losses_lived_in_models_loads_compiled():
    # Its compile config names attnflow>PointLoss in module attnflow.models.forecast_blocks.
    model = keras.models.load_model(OLD_RUN)
    assert isinstance(model.loss, PointLoss) and model.loss.kind == "mae"


@pytest.mark.parametrize("make, message", [
    (lambda: PinballLoss(()), "Received: quantiles=()"),
    (lambda: PinballLoss((0.5, 1.0)), "Received: quantiles=(0.5, 1.0)"),
    (lambda: PointLoss("l1"), "Received: kind='l1'"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError) as error:
        make()
    assert message in str(error.value)
