"""What the "text" and "sequence" tasks share: the classifier, its batches,
its scores, its baselines and what it shows.

A subclass says where the data come from (`load_data`), what the model
reads (`model_inputs`, `input_arguments`, `serving_signature`) and how to
show one prediction's attention (`explain_attention`, `predict`).

Model settings (config.model): "architecture" picks the network, "rnn"
(`attnflow.models.RNNWithAttention`, attention from `--attention`:
bahdanau, luong, multihead or none) or "transformer"
(`attnflow.models.TransformerClassifier`, whose attention is always its
multi-head self-attention: `--attention` may not be "none" there); every
other key is a keyword argument of that class, and keys that only the other
architecture takes are ignored.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import sys
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from attnflow._validation import check_choice, check_positive_int, fail
from attnflow.models import RNNWithAttention, TransformerClassifier
from attnflow.tasks._classification_scores import (
    classification_scores, plot_confusion_matrix, score_tables)
from attnflow.tasks.base import Task, TrainingData
from attnflow.training.config import RunConfig, merge
from attnflow.training.progress import progress_bar

ARCHITECTURES = {"rnn": RNNWithAttention, "transformer": TransformerClassifier}
NO_ATTENTION = "no_attention"  # the baseline: the same RNN with attention "none"
CONFUSION_PNG = "confusion_matrix.png"
_ATTENDING_CALLS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> tf.function


@dataclass
class ClassificationSplits:
    """train, validation and test parts (TextData or SequenceData; train and
    validation are None when evaluating on a file)."""

    train: Any
    validation: Any
    test: Any

    @property
    def classes(self) -> list[str]:
        return self.test.classes


@dataclass
class ClassificationOptions:
    """Task settings shared by the classification tasks (RunConfig.options)."""

    validation_fraction: float = 0.1  # share of the training data held out for early stopping
    test_fraction: float = 0.2  # share of a user's file kept for the test split
    baselines: list = field(default_factory=list)  # names of the baselines trained in the run
    samples: int = 4  # test examples whose attention the run draws
    predict_batch_size: int = 256  # examples scored at once after training
    classes: list | None = None  # class names in index order (recorded from the training data)

    def __post_init__(self):
        for name in ("validation_fraction", "test_fraction"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
                fail(f"{name} in (0, 1)", **{name: value})
        check_positive_int("predict_batch_size", self.predict_batch_size)
        if isinstance(self.samples, bool) or not isinstance(self.samples, int) or self.samples < 0:
            fail("samples to be an integer >= 0", samples=self.samples)
        if self.classes is not None and (not isinstance(self.classes, list) or len(self.classes) < 2):
            fail("classes to be a list of at least 2 class names", classes=self.classes)


# -- the model ------------------------------------------------------------------------


def classifier_arguments(settings: dict, num_classes: int, **inputs) -> tuple[type, dict]:
    """(class, keyword arguments) of the classifier that `settings` describe.

    Args:
        settings: config.model ("architecture" and the class's arguments).
        num_classes: C.
        **inputs: what the data decide (vocabulary_size or feature_mean and
            feature_std, max_length).
    """
    settings = dict(settings)
    architecture = settings.pop("architecture", "rnn")
    check_choice("architecture", architecture, tuple(ARCHITECTURES))
    model_class = ARCHITECTURES[architecture]
    if architecture == "transformer" and settings.pop("attention", None) == "none":
        fail('an RNN (model.architecture=rnn) for attention "none"; the transformer '
             "always attends", attention="none")
    names = {name: _parameters(cls) for name, cls in ARCHITECTURES.items()}
    others = set().union(*(v for k, v in names.items() if k != architecture)) - names[architecture]
    unknown = sorted(set(settings) - names[architecture] - others)
    if unknown:
        fail(f"model settings of {model_class.__name__} among "
             f"{sorted(names[architecture] - set(inputs) - {'num_classes'})}", unknown=unknown)
    # settings of the other architecture (a preset's) are left out, so that
    # `--set model.architecture=...` is enough to switch
    chosen = {name: value for name, value in settings.items() if name in names[architecture]}
    given = {name: value for name, value in inputs.items() if name in names[architecture]}
    return model_class, {**chosen, **given, "num_classes": num_classes}


def _parameters(model_class) -> set[str]:
    return set(inspect.signature(model_class.__init__).parameters) - {"self", "kwargs"}


def build_classifier(settings: dict, num_classes: int, **inputs):
    """A new RNNWithAttention or TransformerClassifier (see `classifier_arguments`)."""
    model_class, arguments = classifier_arguments(settings, num_classes, **inputs)
    return model_class(**arguments)


def step_weights(weights):
    """The attention each time step receives, [B, T], from what a classifier returns.

    RNN: the weights themselves ([B, T]; multi-head [B, H, T] averaged over
    the heads). Transformer: the weight of each position in the pooled
    vector passed through the last block, sum_q pool[q] * mean_h A[h, q, k].
    None (attention "none") stays None.
    """
    if weights is None:
        return None
    if isinstance(weights, dict):
        last = tf.reduce_mean(weights["blocks"][:, -1], axis=1)  # [B, T, T]
        return tf.einsum("bq,bqk->bk", weights["pooling"], last)  # [B, T]
    if len(weights.shape) == 3:
        return tf.reduce_mean(weights, axis=1)  # [B, T]
    return weights  # [B, T]


def predict_batches(model, inputs, batch_size: int, lengths=None, label: str = "predicting"):
    """Probabilities [N, C] and each example's step weights (arrays [T_i], or None).

    Args:
        model: a classifier (token ids, features or raw texts in).
        inputs: N examples (a list of strings or an array [N, ...]).
        batch_size: examples per call.
        lengths: the examples' lengths; given, examples of similar length
            are batched together (less padding) and weights are cut to them.
        label: the progress bar's label.
    """
    count = len(inputs)
    order = np.argsort(lengths, kind="stable") if lengths is not None else np.arange(count)
    call = _ATTENDING_CALLS.get(model)
    if call is None:  # one traced function per model, however often it predicts
        held = weakref.ref(model)  # the cache must not keep the model alive
        call = tf.function(lambda x: held()(x, return_attention_scores=True, training=False),
                           reduce_retracing=True)
        _ATTENDING_CALLS[model] = call
    probabilities, weights = [None] * count, [None] * count
    with progress_bar(count, label) as advance:
        for start in range(0, count, batch_size):
            chosen = order[start:start + batch_size]
            batch = [inputs[i] for i in chosen] if isinstance(inputs, list) else inputs[chosen]
            batch_probabilities, batch_weights = call(tf.constant(batch))
            batch_weights = step_weights(batch_weights)
            for row, index in enumerate(chosen):
                probabilities[index] = batch_probabilities[row].numpy()
                if batch_weights is not None:
                    steps = batch_weights[row].numpy()
                    weights[index] = steps[:lengths[index]] if lengths is not None else steps
            advance(len(chosen))
    return np.stack(probabilities), weights


def labelled_batches(inputs, labels, batch_size: int, seed: int | None = None, lengths=None):
    """(inputs, labels) batches for `fit` and their number.

    With a seed the examples are reshuffled every epoch; with lengths,
    batches hold examples of similar length (five length buckets).
    """
    labels = np.asarray(labels, dtype=np.int64)
    parts = (inputs, labels) if lengths is None else (inputs, labels, np.asarray(lengths, np.int32))
    dataset = tf.data.Dataset.from_tensor_slices(parts)
    if seed is not None:
        dataset = dataset.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    if lengths is None:
        return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE), math.ceil(len(labels) / batch_size)
    boundaries = sorted({int(q) + 1 for q in np.quantile(lengths, [0.2, 0.4, 0.6, 0.8])})
    per_bucket = np.bincount(np.searchsorted(boundaries, lengths, side="right"))
    steps = int(sum(math.ceil(n / batch_size) for n in per_bucket))
    dataset = dataset.bucket_by_sequence_length(
        lambda x, y, length: length, boundaries, [batch_size] * (len(boundaries) + 1))
    dataset = dataset.map(lambda x, y, length: (x, y))
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(steps))
    return dataset.prefetch(tf.data.AUTOTUNE), steps


def serving_outputs(model, inputs) -> dict:
    """The SavedModel's outputs: "probabilities" [B, C] and, when the model
    attends, "attention" [B, T] (see `step_weights`)."""
    probabilities, weights = model(inputs, return_attention_scores=True, training=False)
    weights = step_weights(weights)
    outputs = {"probabilities": probabilities}
    if weights is not None:
        outputs["attention"] = weights
    return outputs


# -- the task -------------------------------------------------------------------------


class ClassificationTask(Task):
    """Labelled sequences -> a classifier with attention; see the module docstring."""

    options_class = ClassificationOptions
    input_name = "inputs"  # of the serving signature

    def preset(self) -> dict:
        """RunConfig values that override the generic defaults below."""
        return {}

    def defaults(self) -> dict:
        generic = {"task": self.name, "epochs": 20, "batch_size": 32, "learning_rate": 1e-3,
                   "early_stopping": 5, "model": {"architecture": "rnn"},
                   "options": dataclasses.asdict(self.options_class())}
        return merge(generic, self.preset())

    def options(self, config: RunConfig):
        names = {f.name for f in dataclasses.fields(self.options_class)}
        unknown = sorted(set(config.options) - names)
        if unknown:
            fail(f"options among {sorted(names)}", unknown=unknown)
        return self.options_class(**config.options)

    def check_config(self, config: RunConfig) -> None:
        options = self.options(config)
        if not isinstance(options.baselines, list) or \
                not set(options.baselines) <= set(self.baseline_names):
            fail(f"baselines to be a list of names among {self.baseline_names}",
                 baselines=options.baselines)
        build_classifier(config.model, 2, **self.input_arguments(config, None))  # checks the settings

    baseline_names: tuple = (NO_ATTENTION,)

    def record_classes(self, config: RunConfig, classes: list[str]) -> None:
        """Keeps the training classes in the run's config (for evaluate and predict)."""
        recorded = config.options.get("classes")
        if recorded is not None and list(recorded) != list(classes):
            fail(f"options.classes {recorded} to be the data's classes", classes=list(classes))
        config.options["classes"] = list(classes)

    # -- what subclasses say --------------------------------------------------------

    def input_arguments(self, config: RunConfig, data) -> dict:
        """Classifier arguments that come from the data (data None: placeholders for checks)."""
        raise NotImplementedError

    def model_inputs(self, model, part) -> tuple[Any, Any]:
        """(inputs, lengths or None) of a data part, as the model reads them."""
        raise NotImplementedError

    def serving_signature(self, model) -> list:
        raise NotImplementedError

    def explain_attention(self, model, data, config, directory: Path) -> list[Path]:
        return []

    # -- training -------------------------------------------------------------------

    def build_model(self, config: RunConfig, data: ClassificationSplits):
        return build_classifier(config.model, len(data.classes), **self.input_arguments(config, data))

    def training_data(self, model, data: ClassificationSplits, config: RunConfig) -> TrainingData:
        inputs, lengths = self.model_inputs(model, data.train)
        train, steps = labelled_batches(inputs, data.train.labels, config.batch_size,
                                        seed=config.seed, lengths=lengths)
        validation = None
        if data.validation is not None and len(data.validation):
            inputs, lengths = self.model_inputs(model, data.validation)
            validation = labelled_batches(inputs, data.validation.labels, config.batch_size,
                                          lengths=lengths)[0]
        return TrainingData(train, validation, steps)

    def compile_arguments(self, config: RunConfig) -> dict:
        return {"loss": keras.losses.SparseCategoricalCrossentropy(), "metrics": ["accuracy"]}

    def predict_part(self, model, part, config: RunConfig, label: str = "predicting"):
        """(probabilities [N, C], step weights per example) of a data part."""
        inputs, lengths = self.model_inputs(model, part)
        return predict_batches(model, inputs, self.options(config).predict_batch_size, lengths, label)

    def evaluate(self, model, data: ClassificationSplits, config: RunConfig) -> dict:
        probabilities, _ = self.predict_part(model, data.test, config, "scoring the test split")
        scores = classification_scores(data.test.labels, probabilities.argmax(axis=1), data.classes)
        self._last_scores = (model, data.test, scores)  # for explain and summarize
        return {"test": scores}

    def test_scores(self, model, data: ClassificationSplits, config: RunConfig) -> dict:
        """The test scores of `model`, from `evaluate` when it has just scored it."""
        last = getattr(self, "_last_scores", None)
        if last is not None and last[0] is model and last[1] is data.test:
            return last[2]
        return self.evaluate(model, data, config)["test"]

    def baselines(self, data: ClassificationSplits, config: RunConfig) -> dict:
        from attnflow.training.trainer import fit_model

        results = {}
        if NO_ATTENTION in self.options(config).baselines:
            if config.model.get("architecture", "rnn") != "rnn":
                print(f"attnflow: note: baseline {NO_ATTENTION!r} needs model.architecture=rnn; "
                      "skipped", file=sys.stderr)
            else:
                twin = RunConfig.from_dict(merge(config.to_dict(), {"model": {"attention": "none"}}))
                results[NO_ATTENTION] = self.evaluate(fit_model(self, twin, data), data, twin)["test"]
        return results

    def serving_endpoint(self, model):
        return (lambda inputs: serving_outputs(model, inputs)), self.serving_signature(model)

    # -- showing --------------------------------------------------------------------

    def explain(self, model, data: ClassificationSplits, config: RunConfig, directory: Path) -> list[Path]:
        scores = self.test_scores(model, data, config)
        plot_confusion_matrix(scores["confusion_matrix"], data.classes,
                              directory.parent / CONFUSION_PNG, title=f"{self.name}: test split")
        return self.explain_attention(model, data, config, directory)

    def summarize(self, model, data: ClassificationSplits, config: RunConfig, console) -> None:
        for table in score_tables(self.test_scores(model, data, config)):
            console.print(table)


def print_probabilities(names: list[str], probabilities, classes: list[str], output=None) -> None:
    """One line per example: its name, the predicted class and every class's probability;
    to stdout, or as CSV to `output`."""
    rows = []
    for name, row in zip(names, probabilities):
        best = int(np.argmax(row))
        rows.append((name, classes[best], row))
    if output:
        import csv

        with open(output, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["input", "predicted", *[f"p_{c}" for c in classes]])
            for name, predicted, row in rows:
                writer.writerow([name, predicted, *[f"{p:.6f}" for p in row]])
        print(f"predictions written to {output}")
        return
    for name, predicted, row in rows:
        shown = "  ".join(f"{c}={p:.3f}" for c, p in zip(classes, row))
        print(f"{name}\t{predicted}\t{shown}")
