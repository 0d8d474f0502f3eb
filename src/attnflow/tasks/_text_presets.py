"""Default settings of `attnflow train text`, from the accuracy experiments on
the Amazon fine-food reviews (issue #4).

`preset()` is merged into the text task's defaults; a config file, flags and
`--set` still override every value. Keys:

- top level: RunConfig fields (epochs, batch_size, learning_rate, optimizer,
  ...);
- "options": the text task's settings:
    - "vocabulary_size": most token ids of the TextVectorization, padding
      and out-of-vocabulary included;
    - "max_length": tokens kept per text (longer texts are cut, shorter ones
      padded with id 0);
- "model": "architecture" picks the network, "rnn"
  (`attnflow.models.RNNWithAttention`) or "transformer"
  (`attnflow.models.TransformerClassifier`); every other key is a keyword
  argument of that class (num_classes and vocabulary_size come from the
  data and the options).
"""

from __future__ import annotations

import copy

PRESET: dict = {
    "epochs": 8, "batch_size": 32, "learning_rate": 1e-3, "optimizer": "adam",
    "options": {"vocabulary_size": 20000, "max_length": 256},
    "model": {"architecture": "rnn", "embedding_dim": 64, "rnn_type": "gru", "units": 32,
              "bidirectional": True, "attention": "bahdanau", "dropout": 0.3},
}


def preset() -> dict:
    """A deep copy of the text task's default settings."""
    return copy.deepcopy(PRESET)
