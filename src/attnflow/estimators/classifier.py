"""What the classifier estimators share: scikit-learn's classifier API over a run.

`predict`, `predict_proba`, `score` and `classes_` as scikit-learn defines
them, so that `sklearn.base.clone`, `cross_val_score` and `Pipeline` work;
the probabilities come from the task's own `predict_part`, as `attnflow
predict` prints them.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from attnflow._validation import fail
from attnflow.estimators.base import Estimator


class ClassifierEstimator(Estimator):
    """A classification task's estimator (subclasses say how inputs become a part)."""

    _estimator_type: ClassVar[str] = "classifier"  # scikit-learn's tag (its scorers read it)
    _model_arguments = {"architecture": "architecture", "attention_type": "attention"}

    def __sklearn_tags__(self):
        """scikit-learn's tags: a classifier of raw inputs (texts, series), not of a matrix."""
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags(), input_tags=InputTags(two_d_array=False),
                    non_deterministic=True)

    # -- labels ------------------------------------------------------------------------

    def _remember_labels(self, labels) -> None:
        """Keeps the labels as given, so predictions come back as the user's values."""
        self._label_values = {str(label): label for label in labels}

    @property
    def classes_(self) -> np.ndarray:
        """The classes, in the order of `predict_proba`'s columns."""
        self._check_fitted()
        names = self.config_.options["classes"]
        values = getattr(self, "_label_values", None) or {}
        return np.array([values.get(name, name) for name in names])

    # -- predictions -------------------------------------------------------------------

    def _part(self, inputs):
        """The task's data part for `inputs` (labels unused)."""
        raise NotImplementedError

    def _probabilities_and_weights(self, inputs):
        self._check_fitted()
        part = self._part(inputs)
        task = self._task()
        return task.predict_part(self.model_, part, self.config_)

    def predict_proba(self, inputs) -> np.ndarray:
        """Class probabilities [N, C], columns in the order of `classes_`."""
        return self._probabilities_and_weights(inputs)[0]

    def predict(self, inputs) -> np.ndarray:
        """The predicted class of each input [N], as the labels were given to `fit`."""
        return self.classes_[self.predict_proba(inputs).argmax(axis=1)]

    def score(self, inputs, labels) -> float:
        """Accuracy on `inputs` against `labels` (scikit-learn's classifier score)."""
        from sklearn.metrics import accuracy_score

        labels = np.asarray(list(labels))
        predicted = self.predict(inputs)
        if len(labels) != len(predicted):
            fail(f"labels of the same length as the inputs ({len(predicted)})", labels=len(labels))
        return float(accuracy_score([str(v) for v in labels], [str(v) for v in predicted]))

    def attention(self, inputs) -> list[np.ndarray]:
        """The attention weights of each input over its steps (words or time steps):
        a list of 1-D arrays (None for a model without attention)."""
        return list(self._probabilities_and_weights(inputs)[1])


def check_labels(labels, count: int, what: str) -> list:
    """`labels` as a list of `count` values (a list, array or pandas Series)."""
    if labels is None:
        fail(f"labels for the {what}", labels=None)
    if isinstance(labels, (str, bytes)) or not hasattr(labels, "__len__"):
        fail(f"a list, array or Series of labels, one per {what[:-1]}", labels=type(labels).__name__)
    values = list(np.asarray(labels, dtype=object).ravel()) if np.ndim(labels) > 1 else list(labels)
    if np.ndim(labels) > 1:
        fail(f"a 1-D list of labels, one per {what[:-1]}", labels=f"shape {np.shape(labels)}")
    if len(values) != count:
        fail(f"labels of the same length as the {what} ({count})", labels=f"{len(values)} labels")
    import pandas as pd

    missing = [index for index, value in enumerate(values) if pd.api.types.is_scalar(value) and pd.isna(value)]
    if missing:  # else str() would make a class "nan"
        fail(f"a label for every one of the {what} (not None or NaN)", missing_label_indices=missing[:10])
    return values
