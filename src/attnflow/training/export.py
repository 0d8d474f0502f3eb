"""Saving a trained model: model.keras, and a SavedModel for serving."""

from __future__ import annotations

from pathlib import Path

import keras


def save_keras(model, path) -> Path:
    """model.keras: reloads with `keras.models.load_model` once attnflow is imported."""
    model.save(str(path))
    return Path(path)


def export_saved_model(model, function, input_signature, path) -> Path:
    """A SavedModel whose "serve" signature (also "serving_default") runs `function`.

    The SavedModel needs only TensorFlow: `tf.saved_model.load(path).serve(x)`
    works without attnflow, and so does TensorFlow Serving.

    Args:
        model: the model whose variables and lookup tables `function` uses.
        function: the serving computation, e.g. `model.serve` (strings -> strings).
        input_signature: a list of tf.TensorSpec, e.g. [tf.TensorSpec([None], tf.string)].
        path: the directory to write.
    """
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(name="serve", fn=function, input_signature=input_signature)
    archive.write_out(str(path), verbose=False)
    return Path(path)
