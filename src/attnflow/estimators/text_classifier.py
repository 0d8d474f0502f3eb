"""TextClassifier: the `text` task from Python, on lists of texts and labels."""

from __future__ import annotations

import numpy as np

from attnflow._validation import fail
from attnflow.estimators.classifier import ClassifierEstimator, check_labels

TEXT, LABEL = "text", "label"  # the columns of the table written for the run


class TextClassifier(ClassifierEstimator):
    """Texts -> a classifier with attention over their words (`attnflow train text`).

    Every argument defaults to None: the task's default (the CLI's), which
    may depend on the data (see `attnflow train text --help`). `model` and
    `options` take any other setting by its `--set` name, e.g.
    `model={"units": 32}` for `--set model.units=32`.

    Args:
        architecture: "rnn" or "transformer" (model.architecture).
        attention_type: the RNN's attention, e.g. "bahdanau", "luong", "multihead", "none".
        epochs, batch_size, seed, learning_rate, early_stopping: as `attnflow train`'s.
        vocabulary_size: most token ids, padding and unknown included.
        max_length: tokens read per text.
        ngrams: 1: words; 2: words, then word pairs.
        baselines: names of the baselines trained in the run ("tfidf_logreg", "no_attention").
        model: other model settings (config.model).
        options: other task settings (config.options).
        verbose: Keras's verbosity of fit ("auto": a progress bar in a notebook or
            terminal, one line per epoch otherwise; 0: silent).

    Example:
        >>> clf = TextClassifier(epochs=3).fit(texts, labels)
        >>> clf.predict(["stale and bitter"]), clf.attention(["stale and bitter"])
    """

    task_name = "text"
    _option_arguments = ("vocabulary_size", "max_length", "ngrams", "baselines")

    def __init__(self, *, architecture=None, attention_type=None, epochs=None, batch_size=None,
                 seed=None, learning_rate=None, early_stopping=None, vocabulary_size=None,
                 max_length=None, ngrams=None, baselines=None, model=None, options=None,
                 verbose="auto"):
        self._keep(locals())  # one attribute per argument, as scikit-learn expects

    def fit(self, texts, labels, *, test_data=None) -> "TextClassifier":
        """Trains on `texts` (a list, array or Series of strings) and their `labels`,
        exactly as `attnflow train text --data FILE` would on a file of them:
        split (or k-fold under 300 texts), baselines, metrics and a run
        directory (see `save`). With `test_data=(texts, labels)`, trains on all
        of them and scores on those, as `--test-data FILE`."""
        import pandas as pd

        def table(texts, labels):
            texts = check_texts(texts)
            labels = check_labels(labels, len(texts), "texts")
            return pd.DataFrame({TEXT: texts, LABEL: [str(label) for label in labels]}), labels

        frame, labels = table(texts, labels)
        test = None
        if test_data is not None:
            if not isinstance(test_data, tuple) or len(test_data) != 2:
                fail("test_data=(texts, labels)", test_data=type(test_data).__name__)
            test = table(*test_data)[0]
        self._remember_labels(labels)
        return self._fit_table(frame, {"text_column": TEXT, "label_column": LABEL}, test)

    def _evaluation_table(self, data):
        texts, labels = data
        import pandas as pd

        texts = check_texts(texts)
        labels = check_labels(labels, len(texts), "texts")
        return pd.DataFrame({self.config_.options["text_column"]: texts,
                             self.config_.options["label_column"]: [str(v) for v in labels]})

    def _part(self, texts):
        task = self._task()
        return task.prediction_inputs(check_texts(texts), {}, task.options(self.config_))

    def plot_attention(self, texts):
        """A matplotlib Figure: each text's words and the weight the model gave them."""
        from attnflow.explain.word_weights_plot import plot_word_weights
        from attnflow.tasks.classification.text import word_weights

        texts = check_texts(texts)
        probabilities, weights = self._probabilities_and_weights(texts)
        if all(w is None for w in weights):
            fail("a model with attention to plot", attention="none")
        rows = [word_weights(text, w) for text, w in zip(texts, weights)]
        names = self.classes_
        titles = [f"predicted {names[p.argmax()]} ({p.max():.3f})" for p in probabilities]
        return plot_word_weights(rows, titles)


def check_texts(texts) -> list[str]:
    """`texts` as a list of strings (a list, tuple, 1-D array or pandas Series)."""
    if isinstance(texts, (str, bytes)):
        fail("a list of texts, not one string", texts=repr(texts)[:40])
    if texts is None or not hasattr(texts, "__len__"):
        fail("a list, array or Series of texts", texts=type(texts).__name__)
    if np.ndim(texts) != 1:
        fail("a 1-D list of texts", texts=f"shape {np.shape(texts)}")
    values = list(texts)
    if not values:
        fail("at least one text", texts="0 texts")
    bad = [i for i, text in enumerate(values) if not isinstance(text, str)]
    if bad:
        fail("every text to be a string", texts=f"{type(values[bad[0]]).__name__} at index {bad[0]}")
    return values
