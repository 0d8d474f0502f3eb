"""The seed loop of docs/small-data.md: a user's-file network on UCR sets, several seeds.

    python benchmarks/small_data/ucr_csv.py /tmp/ucr ArrowHead PickupGestureWiimoteZ
    python benchmarks/small_data/seeds.py /tmp/ucr TAG 0,1,2 ArrowHead,PickupGestureWiimoteZ \
        '{"model": {"context_dropout": 0.0}}'

Each seed holds out 10% of the official training file (class by class, as
the task does), trains `RNNWithAttention` with the "default" preset's model
settings (JSON "model" keys override them) as a run would (Adam, cosine decay
to 5%, clipnorm 1, batch 16, the training part repeated to 16 batches per
epoch, 100 epochs; "epochs", "batch", "learning_rate" override; "ema": M keeps
an exponential moving average of the weights with momentum M and ends on it,
Keras's `use_ema`; "crop": f trains each series on a random window of f of
its steps, the others masked as missing), and prints
the accuracy on the official test file; then the accuracy of the seeds'
averaged probabilities. No baselines, export or plots, and the steps are
compiled with XLA (`jit_compile=True`, about a third faster here; a run is
not), so the figures differ from a run's draw for the same seed.
"""

from __future__ import annotations

import json
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from attnflow.data._table_files import stratified_split
from attnflow.data.sequences import pad_to_same_length
from attnflow.models import RNNWithAttention
from attnflow.tasks.classification.sequence import SequenceOptions, read_series
from attnflow.tasks.classification.sequence_presets import USER_FILE, preset


def read_set(folder: str, name: str):
    """(train, test) SequenceData of the CSV files ucr_csv.py wrote, padded alike."""
    options = SequenceOptions()
    train = read_series(f"{folder}/{name}_train.csv", options)
    options.classes = list(train.classes)
    return pad_to_same_length(train, read_series(f"{folder}/{name}_test.csv", options))


def random_window(x, fraction):
    """x [T, F] with every step outside a random window of `fraction` of its real steps set to NaN."""
    real = tf.reduce_any(tf.logical_not(tf.math.is_nan(x)), axis=1)  # [T]
    n = tf.reduce_sum(tf.cast(real, tf.int32))
    w = tf.maximum(1, tf.cast(tf.math.ceil(fraction * tf.cast(n, tf.float32)), tf.int32))
    start = tf.random.uniform([], 0, n - w + 1, dtype=tf.int32)
    steps = tf.range(tf.shape(x)[0])
    keep = (steps >= start) & (steps < start + w)
    return tf.where(keep[:, None], x, tf.fill(tf.shape(x), float("nan")))


def train_one(train, seed: int, settings: dict) -> RNNWithAttention:
    keras.utils.set_random_seed(seed)
    part, _ = stratified_split(train, 0.1, seed)
    mean, std = part.feature_stats()
    arguments = {k: v for k, v in settings["model"].items() if k != "architecture"}
    model = RNNWithAttention(num_classes=len(train.classes), feature_mean=mean, feature_std=std,
                             seed=seed, **arguments)
    batch, epochs = settings["batch"], settings["epochs"]
    steps = max(settings["min_steps"], int(np.ceil(len(part.labels) / batch)))
    schedule = keras.optimizers.schedules.CosineDecay(settings["learning_rate"], steps * epochs, alpha=0.05)
    ema = settings.get("ema")
    optimizer = keras.optimizers.Adam(schedule, clipnorm=1.0, use_ema=bool(ema), ema_momentum=ema or 0.99)
    model.compile(optimizer=optimizer,
                  loss="sparse_categorical_crossentropy", jit_compile=True)
    batches = tf.data.Dataset.from_tensor_slices((part.x, part.labels)).repeat().shuffle(
        2048, seed=seed)
    crop = settings.get("crop")
    if crop:
        batches = batches.map(lambda x, y: (random_window(x, crop), y))
    batches = batches.batch(batch)
    model.fit(batches, epochs=epochs, steps_per_epoch=steps, verbose=0, shuffle=False)  # shuffled above
    return model


def main(folder: str, tag: str, seeds: list[int], names: list[str], overrides: dict) -> None:
    defaults = preset(USER_FILE)
    settings = {"batch": defaults["batch_size"], "epochs": defaults["epochs"],
                "learning_rate": defaults["learning_rate"],
                "min_steps": defaults["options"]["min_steps_per_epoch"],
                "model": {**defaults["model"], **overrides.pop("model", {})}, **overrides}
    for name in names:
        train, test = read_set(folder, name)
        probabilities = []
        for seed in seeds:
            start = time.time()
            model = train_one(train, seed, settings)
            probabilities.append(model.predict(test.x, batch_size=256, verbose=0))  # [N, C]
            accuracy = np.mean(probabilities[-1].argmax(axis=1) == test.labels)
            print(f"{tag} {name} seed={seed} accuracy={accuracy:.3f} seconds={time.time() - start:.0f}",
                  flush=True)
        if len(seeds) > 1:
            accuracy = np.mean(np.mean(probabilities, axis=0).argmax(axis=1) == test.labels)
            print(f"{tag} {name} mean of the seeds' probabilities: accuracy={accuracy:.3f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3].split(",")], sys.argv[4].split(","),
         json.loads(sys.argv[5]) if len(sys.argv) > 5 else {})
