"""ResumableEarlyStopping: the best epoch's weights are restored, across a resume too."""

from __future__ import annotations

import keras
import numpy as np

from attnflow.training.callbacks import ResumableEarlyStopping


def run_epochs(callback, model, losses, first_epoch=0):
    """Plays epochs whose weights are all equal to the epoch number and whose val_loss is given."""
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, loss in enumerate(losses, start=first_epoch):
        model.set_weights([np.full_like(w, float(epoch)) for w in model.get_weights()])
        callback.on_epoch_end(epoch, {"val_loss": loss})
        if model.stop_training:
            break
    callback.on_train_end()
    return float(model.get_weights()[0].ravel()[0])


def make_model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.stop_training = False
    return model


def test_ends_with_the_weights_of_the_best_epoch(tmp_path):
    callback = ResumableEarlyStopping(tmp_path / "stopping.json", patience=2)
    model = make_model()
    assert run_epochs(callback, model, [0.9, 0.5, 0.7, 0.8, 0.95]) == 1.0  # epoch 1 had 0.5
    assert callback.stopped_epoch == 3


def test_a_resumed_run_keeps_the_best_weights_of_the_first_session(tmp_path):
    path = tmp_path / "stopping.json"
    model = make_model()
    assert run_epochs(ResumableEarlyStopping(path, patience=3), model, [0.9, 0.4, 0.6]) == 1.0
    resumed = make_model()  # a new process: nothing in memory
    assert run_epochs(ResumableEarlyStopping(path, patience=3), resumed, [0.7, 0.8], first_epoch=3) == 1.0
    again = make_model()
    assert run_epochs(ResumableEarlyStopping(path, patience=9), again, [0.3], first_epoch=5) == 5.0
