"""Translator: the `translate` task from Python, on lists of sources and targets."""

from __future__ import annotations

from attnflow._validation import check_positive_int, fail
from attnflow.estimators.base import Estimator
from attnflow.estimators.text_classifier import check_texts


class Translator(Estimator):
    """Pairs of texts -> a character-level encoder-decoder with attention (`attnflow train translate`).

    Every argument defaults to None: the task's default (the CLI's).

    Args:
        attention_type: "bahdanau", "luong-dot", "luong-general", "multihead" or "none".
        epochs, batch_size, seed, learning_rate, early_stopping: as `attnflow train`'s.
        model: other model settings (config.model), e.g. {"decoder_units": 64}.
        options: other task settings (config.options).
        verbose: Keras's verbosity of fit ("auto", 0, 1 or 2).

    Example:
        >>> model = Translator(epochs=20).fit(sources, targets)
        >>> model.translate(["14 février 2013"], beam=4)
    """

    task_name = "translate"

    def __init__(self, *, attention_type=None, epochs=None, batch_size=None, seed=None,
                 learning_rate=None, early_stopping=None, model=None, options=None, verbose="auto"):
        self._keep(locals())  # one attribute per argument, as scikit-learn expects

    def fit(self, sources, targets) -> "Translator":
        """Trains on parallel texts, as `attnflow train translate --data pairs.csv` would."""
        import pandas as pd

        sources = check_texts(sources)
        targets = check_texts(targets)
        if len(targets) != len(sources):
            fail(f"targets of the same length as the sources ({len(sources)})",
                 targets=f"{len(targets)} texts")
        return self._fit_table(pd.DataFrame({"source": sources, "target": targets}), {})

    def _evaluation_table(self, data):
        import pandas as pd

        sources, targets = (check_texts(texts) for texts in data)
        return pd.DataFrame({"source": sources, "target": targets})

    def translate(self, texts, beam: int = 1) -> list[str]:
        """The translation of each text (beam search of width `beam`; 1, the default as
        `attnflow predict --beam`'s: greedy)."""
        from attnflow.tasks.translation.output import warn_of_unseen_characters
        from attnflow.tasks.translation.seq2seq import decode

        self._check_fitted()
        check_positive_int("beam", beam)
        texts = _sources(texts)
        warn_of_unseen_characters(self.model_, texts)
        translations = decode(self.model_, texts, self._task().options(self.config_), beam)
        return [translation.text for translation in translations]

    def attention(self, texts) -> list:
        """Per text, the greedy translation's attention: an array [output characters + 1
        (the end token), source characters]."""
        self._check_fitted()
        return [t.attention for t in self.model_.translate(_sources(texts))]

    def plot_attention(self, text: str):
        """A matplotlib Figure: the alignment of `text`'s greedy translation with it
        (the heatmap `attnflow predict --show-attention` draws)."""
        from attnflow.explain.heatmap import plot_attention

        self._check_fitted()
        translation, = self.model_.translate(_sources([text]))
        if not translation.attention.size or not translation.text:
            fail("a model with attention and a non-empty translation",
                 attention=self.config_.model.get("attention"), translation=translation.text)
        axes = plot_attention(translation.attention, translation.source_tokens,
                              list(translation.text), title=f"{text} -> {translation.text}")
        return axes.figure


def _sources(texts) -> list[str]:
    """Texts to translate, checked: a list of strings, none of them empty (as the CLI's)."""
    from attnflow.tasks.translation.output import check_inputs

    texts = check_texts(texts)
    check_inputs(texts)
    return texts
