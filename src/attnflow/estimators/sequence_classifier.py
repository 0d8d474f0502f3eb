"""SequenceClassifier: the `sequence` task from Python, on arrays or a long DataFrame."""

from __future__ import annotations

import numpy as np

from attnflow._validation import fail
from attnflow.estimators.classifier import ClassifierEstimator, check_labels

SERIES_ID, TIME, LABEL = "series_id", "time", "label"  # columns of the table written for the run


class SequenceClassifier(ClassifierEstimator):
    """Multivariate series -> a classifier with attention over time (`attnflow train sequence`).

    `X` is what aeon and sktime take: a 3-D array [n, channels, time], a list of
    n 2-D arrays [channels, time_i] of different lengths, or a long DataFrame
    with one row per (series, time step) (`id_col`, `time_col`, `label_col`,
    every other column a feature). NaN marks missing steps.

    Every argument defaults to None: the task's default (the CLI's).

    Args:
        architecture: "rnn" or "transformer" (model.architecture).
        attention_type: the RNN's attention ("bahdanau", "luong", "multihead", "none").
        epochs, batch_size, seed, learning_rate, early_stopping: as `attnflow train`'s.
        baselines: names of the baselines trained in the run ("no_attention").
        model: other model settings (config.model), e.g. {"units": 64}.
        options: other task settings (config.options).
        verbose: Keras's verbosity of fit ("auto", 0, 1 or 2).

    Example:
        >>> clf = SequenceClassifier(epochs=5).fit(X, y)     # X [n, channels, time]
        >>> clf.predict(X_test), clf.attention(X_test)      # weights over time steps
    """

    task_name = "sequence"
    _option_arguments = ("baselines",)

    def __init__(self, *, architecture=None, attention_type=None, epochs=None, batch_size=None,
                 seed=None, learning_rate=None, early_stopping=None, baselines=None, model=None,
                 options=None, verbose="auto"):
        self._keep(locals())  # one attribute per argument, as scikit-learn expects

    def fit(self, X, y=None, *, id_col: str = SERIES_ID, time_col: str = TIME,
            label_col: str = LABEL, test_data=None) -> "SequenceClassifier":
        """Trains on the series `X` and their labels `y` (with a long DataFrame, `y`
        None and the labels in `label_col`), as `attnflow train sequence --data FILE`.
        With `test_data` ((X_test, y_test), or a long DataFrame of the same
        columns), trains on all of `X` and scores on it, as `--test-data FILE`."""
        import pandas as pd

        test = None
        if test_data is not None:
            if isinstance(X, pd.DataFrame) != isinstance(test_data, pd.DataFrame):
                fail("test_data in the form of X: a long DataFrame with one, (X_test, y_test) "
                     "with arrays", test_data=type(test_data).__name__)
            if isinstance(test_data, pd.DataFrame):
                test = test_data
            elif not isinstance(test_data, tuple) or len(test_data) != 2:
                fail("test_data=(X_test, y_test)", test_data=type(test_data).__name__)
            else:
                series = check_series(test_data[0])
                test = long_frame(series, [str(v) for v in check_labels(test_data[1], len(series),
                                                                         "series")])
        if isinstance(X, pd.DataFrame):
            if y is not None:
                fail(f"y=None with a long DataFrame (the labels are its {label_col!r} column)",
                     y=type(y).__name__)
            frame, columns = X, {"id_column": id_col, "time_column": time_col, "label_column": label_col}
            self._remember_labels(X[label_col].unique() if label_col in X.columns else [])
        else:
            series = check_series(X)
            labels = check_labels(y, len(series), "series")
            self._remember_labels(labels)
            frame = long_frame(series, [str(label) for label in labels])
            columns = {"id_column": SERIES_ID, "time_column": TIME, "label_column": LABEL}
        return self._fit_table(frame, columns, test)

    def _evaluation_table(self, data):
        X, y = data
        series = check_series(X)
        return long_frame(series, [str(v) for v in check_labels(y, len(series), "series")],
                          self._names())

    def _names(self) -> tuple[str, str, str]:
        options = self.config_.options
        return options["id_column"], options["time_column"], options["label_column"]

    def _part(self, X):
        import pandas as pd

        from attnflow.data.sequences import sequences_from_frame

        id_col, time_col, label_col = self._names()
        if isinstance(X, pd.DataFrame):
            frame = X
        else:
            frame = long_frame(check_series(X), None, (id_col, time_col, label_col))
        options = self.config_.options
        return sequences_from_frame(frame, "X", id_col, time_col, label_col,
                                    options.get("feature_columns"), options["classes"],
                                    labelled=False)

    def plot_attention(self, X, index: int = 0):
        """A matplotlib Figure of series `index` of `X`: the weight of each time step
        above its features (the picture `attnflow predict --show-attention` writes)."""
        from attnflow.explain.sequence_plot import plot_sequence_attention

        part = self._part(X)
        probabilities, weights = self._task().predict_part(self.model_, part, self.config_)
        if weights[index] is None:
            fail("a model with attention to plot", attention="none")
        best = int(probabilities[index].argmax())
        return plot_sequence_attention(part.x[index], weights[index], None, part.feature_names,
                                       title=f"{part.series_ids[index]}: predicted "
                                             f"{self.classes_[best]} ({probabilities[index, best]:.3f})")


def check_series(X) -> list[np.ndarray]:
    """X as a list of float arrays [channels, time_i]: from a 3-D array or a list of 2-D ones."""
    if isinstance(X, (list, tuple)):
        if not X:
            fail("at least one series", X="0 series")
        series = [np.asarray(one, dtype=np.float64) for one in X]
        for number, one in enumerate(series):
            if one.ndim != 2:
                fail("a list of 2-D arrays [channels, time]",
                     X=f"series {number} of shape {one.shape}")
        if len({one.shape[0] for one in series}) > 1:
            fail("the same number of channels in every series",
                 X=f"channels {sorted({one.shape[0] for one in series})}")
        return series
    try:
        array = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        fail("a 3-D array [n, channels, time] or a list of 2-D arrays", X=type(X).__name__)
    if array.ndim != 3:
        fail("a 3-D array [n, channels, time] (aeon's layout)", X=f"shape {array.shape}")
    if array.shape[0] == 0:
        fail("at least one series", X=f"shape {array.shape}")
    return list(array)


def long_frame(series: list[np.ndarray], labels: list[str] | None,
               names: tuple[str, str, str] = (SERIES_ID, TIME, LABEL)):
    """One row per (series, time step): id, time, channel_0 .., label; ids are
    zero-padded numbers, so the series keep their order."""
    import pandas as pd

    id_col, time_col, label_col = names
    width = len(str(len(series) - 1))
    parts = []
    for number, values in enumerate(series):  # values [channels, time_i]
        part = pd.DataFrame(values.T, columns=[f"channel_{c}" for c in range(values.shape[0])])
        part.insert(0, time_col, np.arange(values.shape[1]))
        part.insert(0, id_col, f"{number:0{width}d}")
        if labels is not None:
            part[label_col] = labels[number]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
