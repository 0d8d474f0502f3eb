"""What the two sequence classifiers share: the settings of their inputs and head, checked once.

`RNNWithAttentionConfig` and `TransformerClassifierConfig` extend
`ClassifierConfig`; each model's constructor takes the fields of its config
as keyword arguments, builds the config from them (the checks run there) and
keeps one attribute per field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from attnflow._validation import check_choice, check_positive_int, check_rate, check_seed, fail
from attnflow.models._inputs import check_feature_stats

ACTIVATIONS = ("softmax", None)


def check_l2(l2) -> None:
    if isinstance(l2, bool) or not isinstance(l2, (int, float)) or l2 < 0:
        fail("l2 >= 0", l2=l2)


@dataclass
class ClassifierConfig:
    """The settings every attnflow sequence classifier has."""

    num_classes: int  # C >= 2
    vocabulary_size: int | None = None  # token ids [B, T] (id 0 = padding); None: features [B, T, F]
    dropout: float = 0.0  # before the head (each model says where else)
    l2: float = 0.0  # L2 factor on the head's kernel; 0: none
    activation: str | None = "softmax"  # of the head: "softmax" or None (logits)
    feature_mean: list[float] | None = None  # per-feature statistics that standardize numeric
    feature_std: list[float] | None = None  # inputs inside the model (None: inputs as given)
    seed: int | None = None  # of the dropouts

    def __post_init__(self):
        if isinstance(self.num_classes, bool) or not isinstance(self.num_classes, int) or self.num_classes < 2:
            fail("num_classes >= 2", num_classes=self.num_classes)
        check_positive_int("vocabulary_size", self.vocabulary_size, allow_none=True)
        check_rate("dropout", self.dropout)
        check_l2(self.l2)
        check_choice("activation", self.activation, ACTIVATIONS)
        self.feature_mean, self.feature_std = check_feature_stats(self.feature_mean, self.feature_std)
        if self.vocabulary_size is not None and self.feature_mean is not None:
            fail("feature_mean/feature_std only for numeric inputs (vocabulary_size=None)",
                 vocabulary_size=self.vocabulary_size)
        check_seed(self.seed)

    @classmethod
    def from_arguments(cls, arguments: dict):
        """The config of a constructor's arguments: `cls.from_arguments(locals())` (other names left out)."""
        return cls(**{field.name: arguments[field.name] for field in dataclasses.fields(cls)})


def set_config_attributes(model, config: ClassifierConfig, renamed: dict | None = None) -> None:
    """One attribute of `model` per field of `config`, of the field's name (or `renamed[name]`)."""
    renamed = renamed or {}
    for field in dataclasses.fields(config):
        setattr(model, renamed.get(field.name, field.name), getattr(config, field.name))
