"""The classifiers' config dataclasses: the constructors' arguments, their checks (shared ones once), get_config."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from attnflow.models import (RNNWithAttention, RNNWithAttentionConfig, TransformerClassifier,
                             TransformerClassifierConfig)
from attnflow.models._classifier_config import ClassifierConfig

MODELS = [(RNNWithAttention, RNNWithAttentionConfig), (TransformerClassifier, TransformerClassifierConfig)]
# get_config()'s own keys at 3f4acd3, before the configs were dataclasses: saved models and callers read them.
CONFIG_KEYS = {
    RNNWithAttention: ["num_classes", "vocabulary_size", "embedding_dim", "rnn_type", "units", "bidirectional",
                       "attention", "attention_units", "num_heads", "concat_state", "dropout", "l2",
                       "activation", "feature_mean", "feature_std", "seed",
                       "conv_filters", "conv_kernel_sizes", "attention_dropout", "members",  # added for issue #18
                       "context_dropout"],  # added for issue #18 on 2026-12-07, last: positions stay
    TransformerClassifier: ["num_classes", "vocabulary_size", "max_length", "model_dim", "num_heads",
                            "intermediate_dim", "num_layers", "dropout", "attention_dropout", "norm_first",
                            "positional", "pooling", "l2", "activation", "feature_mean", "feature_std", "seed",
                            "embedding_dropout", "token_dropout"],
}


@pytest.mark.parametrize("model_class, config_class", MODELS, ids=lambda c: c.__name__)
def test_the_constructor_takes_the_config_fields_with_their_defaults(model_class, config_class):
    parameters = inspect.signature(model_class.__init__).parameters
    arguments = {name: p.default for name, p in parameters.items() if name not in ("self", "kwargs")}
    fields = {field.name: inspect.Parameter.empty if field.default is dataclasses.MISSING else field.default
              for field in dataclasses.fields(config_class)}
    assert arguments == fields
    assert list(arguments) == CONFIG_KEYS[model_class]  # names and order as they were


@pytest.mark.parametrize("model_class, config_class", MODELS, ids=lambda c: c.__name__)
def test_get_config_keys_are_unchanged_and_the_config_rebuilds_the_model(model_class, config_class):
    config = config_class(num_classes=3, vocabulary_size=20, dropout=0.2, seed=4)
    model = model_class(**dataclasses.asdict(config))
    own = {key: value for key, value in model.get_config().items() if key not in ("name", "trainable", "dtype")}
    assert sorted(own) == sorted(CONFIG_KEYS[model_class])
    assert own == dataclasses.asdict(config) and model.config == config
    assert model.num_classes == 3 and model.dropout == 0.2 and model.seed == 4  # one attribute per argument


@pytest.mark.parametrize("arguments, message", [
    ({"num_classes": 1}, "expected num_classes >= 2. Received: num_classes=1"),
    ({"num_classes": 2, "vocabulary_size": 0}, "Received: vocabulary_size=0"),
    ({"num_classes": 2, "dropout": 1.0}, "Received: dropout=1.0"),
    ({"num_classes": 2, "l2": -1}, "expected l2 >= 0. Received: l2=-1"),
    ({"num_classes": 2, "activation": "relu"}, "Received: activation='relu'"),
    ({"num_classes": 2, "feature_mean": [0.0]}, "Received: feature_mean=[0.0], feature_std=None"),
    ({"num_classes": 2, "vocabulary_size": 5, "feature_mean": [0.0], "feature_std": [1.0]},
     "Received: vocabulary_size=5"),
    ({"num_classes": 2, "seed": -1}, "Received: seed=-1"),
])
def test_shared_checks_live_in_classifier_config(arguments, message):
    for make in (ClassifierConfig, RNNWithAttentionConfig, TransformerClassifierConfig,
                 RNNWithAttention, TransformerClassifier):
        with pytest.raises(ValueError) as error:
            make(**arguments)
        assert message in str(error.value), make.__name__


def test_feature_statistics_become_lists_of_floats():
    config = RNNWithAttentionConfig(num_classes=2, feature_mean=(0, 1), feature_std=[[1.0], [2.0]])
    assert config.feature_mean == [0.0, 1.0] and config.feature_std == [1.0, 2.0]
