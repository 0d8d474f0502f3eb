"""What the "text" and "sequence" tasks share: the task around the classifier.

Data splits (built-in train/test, a user's file split class by class or
scored by k-fold cross-validation when small (`evaluation`), or a user's
training and test files; validation held out class by class), the
classes recorded in the run's config, fit batches, scores and the
confusion matrix, the no-attention twin, the SavedModel's
outputs and `predict`. A subclass says where the data come from
(`read_file`, `builtin_splits`), what the model reads (`input_arguments`,
`model_inputs`, `serving_signature`) and how attention is shown
(`explain_attention`; for predict `prediction_inputs`, `example_names`,
`show_attention`).

The model settings (config.model) are those of `_classifier`: an RNN or a
Transformer encoder with attention.
"""

from __future__ import annotations

import abc
import dataclasses
import sys
from pathlib import Path
from typing import Any

import keras
import numpy as np

from attnflow._validation import fail, with_received_name
from attnflow.data._table_files import stratified_split
from attnflow.tasks.classification.classifier import (
    build_classifier, labelled_batches, predict_batches, repeated, serving_outputs, settings_for)
from attnflow.explain.confusion_matrix import plot_confusion_matrix
from attnflow.tasks.base import Task, TrainingData, settings_dataclass, with_faithfulness
from attnflow.tasks.classification.evaluation import (
    cross_validate, cross_validate_baselines, evaluation_lines, split_or_folds, warn_if_same_file)
from attnflow._warnings import reported_warnings  # noqa: F401 (the tasks import it from here)
from attnflow.tasks.classification.messages import print_probabilities
from attnflow.tasks.classification.options import ClassificationOptions  # noqa: F401 (likewise)
from attnflow.tasks.classification.splits import ClassificationSplits  # noqa: F401 (likewise)
from attnflow.tasks.classification.scores import classification_scores, score_tables
from attnflow.training.config import RunConfig, merge

NO_ATTENTION = "no_attention"  # the baseline: the same RNN with attention "none"
CONFUSION_PNG = "confusion_matrix.png"


# -- the task -------------------------------------------------------------------------


class ClassificationTask(Task):
    """Labelled sequences -> a classifier with attention; see the module docstring."""

    options_class = ClassificationOptions
    input_name = "inputs"  # of the serving signature
    example_unit = "rows"  # what one example of a user's file is, in messages

    def preset(self, chosen: dict) -> dict:
        """RunConfig values that override the generic defaults below, given
        what the user chose (see `Task.defaults`)."""
        return {}

    def defaults(self, chosen: dict | None = None) -> dict:
        generic = {"task": self.name, "epochs": 20, "batch_size": 32, "learning_rate": 1e-3,
                   "early_stopping": 5, "model": {"architecture": "rnn"},
                   "options": dataclasses.asdict(self.options_class())}
        defaults = merge(generic, self.preset(chosen or {}))
        architecture = ((chosen or {}).get("model") or {}).get("architecture")
        if architecture is not None and architecture != defaults["model"].get("architecture"):
            # the user switched networks: the preset's settings of the other one
            # (an RNN's attention, a transformer's model_dim) are not this run's
            defaults["model"] = settings_for(architecture, defaults["model"])
        return defaults

    def options(self, config: RunConfig):
        values = config.options
        if values.get("classes") is not None and "cross_validation_below" not in values:
            values = {**values, "cross_validation_below": 0}  # a run from before k-fold: one split
        return settings_dataclass(self.options_class, values, "options")

    def check_config(self, config: RunConfig) -> None:
        options = self.options(config)
        if not isinstance(options.baselines, list) or \
                not set(options.baselines) <= set(self.baseline_names):
            fail(f"baselines to be a list of names among {self.baseline_names}",
                 baselines=options.baselines)
        self.check_model(config)
        if options.test_data is not None and config.data is None:
            fail("--test-data FILE with --data FILE (the training file)", test_data=options.test_data)

    def check_model(self, config: RunConfig) -> None:
        """Raises ValueError on bad model settings (config.model)."""
        build_classifier(config.model, 2, **self.input_arguments(config, None))

    baseline_names: tuple = (NO_ATTENTION,)

    def record_classes(self, config: RunConfig, classes: list[str]) -> None:
        """Keeps the training classes in the run's config (for evaluate and predict)."""
        recorded = config.options.get("classes")
        if recorded is not None and list(recorded) != list(classes):
            fail(f"options.classes {recorded} to be the data's classes", classes=list(classes))
        config.options["classes"] = list(classes)

    # -- what subclasses say --------------------------------------------------------

    @abc.abstractmethod
    def read_file(self, path, options):
        """The labelled examples of a user's file, encoded with options.classes when set."""

    @abc.abstractmethod
    def builtin_splits(self, options) -> tuple[Any, Any]:
        """(train, test) of the built-in data set."""

    @abc.abstractmethod
    def input_arguments(self, config: RunConfig, data) -> dict:
        """Classifier arguments that come from the data (data None: placeholders for checks)."""

    @abc.abstractmethod
    def model_inputs(self, model, part) -> tuple[Any, Any]:
        """(inputs, lengths or None) of a data part, as the model reads them."""

    @abc.abstractmethod
    def serving_signature(self, model) -> list:
        """The input TensorSpecs of the SavedModel's serving signature."""

    def explain_attention(self, model, data, config, directory: Path) -> list[Path]:
        return []

    @abc.abstractmethod
    def prediction_inputs(self, inputs: list[str], args: dict, options):
        """The examples of `attnflow predict` (labels unused), checked before the model loads."""

    def check_prediction_inputs(self, model, part, args: dict) -> None:
        """Checks that need the model (e.g. its number of features)."""

    @abc.abstractmethod
    def example_names(self, part) -> list[str]:
        """How each predicted example is named on the output."""

    @abc.abstractmethod
    def show_attention(self, part, probabilities, weights, args: dict) -> None:
        """`predict --show-attention`: shows (and writes) the weights of each example."""

    def print_predictions(self, names: list[str], probabilities, classes: list[str],
                          output=None) -> None:
        """Prints each example's prediction, or writes them as CSV to `output`."""
        print_probabilities(names, probabilities, classes, output)

    # -- training -------------------------------------------------------------------

    def load_data(self, config: RunConfig, data_path: str | None = None) -> ClassificationSplits:
        """The run's splits, validation always split off the training part:

        - built-in data: its own train/test;
        - `--data` and `--test-data`: all of the first to train, the second to test;
        - `--data` alone: split class by class into train and test, or, with
          fewer than `options.cross_validation_below` examples, k-fold folds
          (`evaluation`) and all of it for the saved model;
        - `data_path` (`attnflow evaluate RUN --data FILE`): that file as test.
        """
        options = self.options(config)
        folds = None
        with reported_warnings():
            if data_path is not None:
                return ClassificationSplits(None, None, self.read_file(data_path, options))
            if config.data is None:
                train, test = self.builtin_splits(options)
            elif options.test_data is not None:
                warn_if_same_file(config.data, options.test_data)
                train = self.read_file(config.data, options)
                try:
                    train, test = self.read_test_file(options.test_data, options, train)
                except ValueError as error:  # the test file's errors name --test-data, not --data
                    raise ValueError(with_received_name(str(error), "data", "test_data")) from None
            else:
                examples = self.read_file(config.data, options)
                train, test, folds = split_or_folds(examples, options, str(config.data), config.seed,
                                                    self.example_unit)
                self.warn_of_copies(examples, config.data)  # after the checks: an error comes alone
        train, validation = stratified_split(train, options.validation_fraction, config.seed)
        self.record_classes(config, train.classes)
        self.run_options = self.options(config)  # for serving_endpoint, which gets only the model
        return ClassificationSplits(train, validation, test, folds)

    def warn_of_copies(self, examples, path) -> None:
        """Warns when examples of a file that is split (or cross-validated) repeat: a copy
        can be trained on and another tested (the text task's; others do not check)."""

    def read_test_file(self, path, options, train) -> tuple[Any, Any]:
        """(train, test): the user's test file read with the training file's
        classes (a label unseen in training is an error naming it)."""
        return train, self.read_file(path, dataclasses.replace(options, classes=train.classes))

    def fold_splits(self, data: ClassificationSplits, config: RunConfig):
        """One ClassificationSplits per fold of a cross-validated run: the fold's
        training rows (validation split off them) and its test rows."""
        fraction = self.options(config).validation_fraction
        for train_rows, test_rows in data.folds:
            train, validation = stratified_split(data.test.subset(train_rows), fraction, config.seed)
            yield ClassificationSplits(train, validation, data.test.subset(test_rows))

    def build_model(self, config: RunConfig, data: ClassificationSplits):
        return build_classifier(config.model, len(data.classes), **self.input_arguments(config, data))

    def training_data(self, model, data: ClassificationSplits, config: RunConfig) -> TrainingData:
        """Batches for `fit`, the training part `repeated` to options.min_steps_per_epoch."""
        part = repeated(data.train, config.batch_size, self.options(config).min_steps_per_epoch)
        inputs, lengths = self.model_inputs(model, part)
        train, steps = labelled_batches(inputs, part.labels, config.batch_size, seed=config.seed, lengths=lengths)
        validation = None
        if data.validation is not None and len(data.validation):
            inputs, lengths = self.model_inputs(model, data.validation)
            validation = labelled_batches(inputs, data.validation.labels, config.batch_size,
                                          lengths=lengths)[0]
        return TrainingData(train, validation, steps)

    def compile_arguments(self, config: RunConfig) -> dict:
        return {"loss": keras.losses.SparseCategoricalCrossentropy(), "metrics": ["accuracy"]}

    def test_samples(self, model, data: ClassificationSplits, config: RunConfig):
        """(part, probabilities, weights) of `options.samples` test examples, drawn the
        same way every time; None when no samples are asked for."""
        count = min(self.options(config).samples, len(data.test))
        if not count:
            return None
        chosen = np.random.default_rng(len(data.test)).choice(len(data.test), count, replace=False)
        part = data.test.subset(np.sort(chosen))
        return (part, *self.predict_part(model, part, config))

    def predict_part(self, model, part, config: RunConfig, label: str = "predicting"):
        """(probabilities [N, C], step weights per example) of a data part."""
        inputs, lengths = self.model_inputs(model, part)
        return predict_batches(model, inputs, self.options(config).predict_batch_size, lengths, label)

    def evaluate(self, model, data: ClassificationSplits, config: RunConfig) -> dict:
        """{"test": scores} of `model` on the test part; for a cross-validated
        run, of the run's settings trained and scored fold by fold (see
        `evaluation`): `model`, trained on the whole file, has seen every example."""
        if data.folds:
            scores = cross_validate(self, data, config)
        else:
            scores = classification_scores(data.test.labels,
                                           self.predicted_classes(model, data.test, config),
                                           data.classes)
        data.scored = (model, scores)  # for explain and summarize
        return with_faithfulness(self, {"test": scores}, model, data, config, data.train is not None)

    def predicted_classes(self, model, part, config: RunConfig) -> np.ndarray:
        """The class index `model` predicts for each example of `part`, int64 [N]."""
        probabilities, _ = self.predict_part(model, part, config, "scoring the test split")
        return probabilities.argmax(axis=1).astype(np.int64)

    def test_scores(self, model, data: ClassificationSplits, config: RunConfig) -> dict:
        """The test scores of `model`, from `evaluate` when it has just scored it."""
        if data.scored is not None and data.scored[0] is model:
            return data.scored[1]
        return self.evaluate(model, data, config)["test"]

    def baselines(self, data: ClassificationSplits, config: RunConfig) -> dict:
        """{name: test scores} of `options.baselines`, trained on the same
        training part and scored on the same test part (fold by fold when
        the run is cross-validated)."""
        if NO_ATTENTION in self.options(config).baselines and no_attention_change(config.model) is None:
            print(f"attnflow: note: baseline {NO_ATTENTION!r} needs an RNN, or a transformer "
                  "without encoder blocks (model.num_layers=0); skipped", file=sys.stderr)
        if data.folds:
            scores = cross_validate_baselines(self, data, config)
        else:
            scores = {name: classification_scores(data.test.labels, predicted, data.classes)
                      for name, predicted in self.baseline_predictions(data, config).items()}
        data.baseline_scores = scores  # for summarize
        return scores

    def baseline_predictions(self, data: ClassificationSplits, config: RunConfig) -> dict:
        """{name: predicted class indices [N] on data.test} of each chosen
        baseline, trained on data.train (and data.validation where it stops
        early); subclasses add their own to the no-attention twin."""
        from attnflow.training.trainer import fit_model

        change = no_attention_change(config.model)
        if NO_ATTENTION not in self.options(config).baselines or change is None:
            return {}
        twin = RunConfig.from_dict(merge(config.to_dict(), {"model": change}))
        return {NO_ATTENTION: self.predicted_classes(fit_model(self, twin, data), data.test, twin)}

    def serving_endpoint(self, model):
        return (lambda inputs: self.serving_outputs(model, inputs)), self.serving_signature(model)

    def serving_outputs(self, model, inputs) -> dict:
        """The SavedModel's outputs, strings included (see `serving_outputs`)."""
        return serving_outputs(model, inputs, self.run_options.classes)

    # -- showing --------------------------------------------------------------------

    def attention_examples(self, model, data, config, split="test", count=8):
        from attnflow.tasks.classification import attention_views

        return attention_views.examples(self, model, data, config, split, count)

    def faithfulness(self, model, data, config):
        from attnflow.tasks.classification import attention_views

        return attention_views.faithfulness(self, model, data, config)

    def explain(self, model, data: ClassificationSplits, config: RunConfig, directory: Path) -> list[Path]:
        scores = self.test_scores(model, data, config)
        plot_confusion_matrix(scores["confusion_matrix"], data.classes,
                              directory.parent / CONFUSION_PNG, title=f"{self.name}: test split")
        return self.explain_attention(model, data, config, directory)

    def summarize(self, model, data: ClassificationSplits, config: RunConfig, console) -> None:
        scores = self.test_scores(model, data, config)
        title = f"{scores['folds']}-fold cross-validation" if data.folds and "folds" in scores else "test"
        for table in score_tables(scores, title):
            console.print(table)
        source = str(config.data) if config.data is not None else "the data"
        for line in evaluation_lines(scores, data.baseline_scores or {}, source):
            console.print(line, highlight=False, soft_wrap=True)

    def predict(self, load_model, inputs: list[str], args: dict, config: RunConfig) -> None:
        options = self.options(config)
        part = self.prediction_inputs(inputs, args, options)
        model = load_model()
        self.check_prediction_inputs(model, part, args)
        probabilities, weights = self.predict_part(model, part, config)
        self.print_predictions(self.example_names(part), probabilities, options.classes,
                               args.get("output"))
        if not args.get("show_attention"):
            return
        if all(w is None for w in weights):
            print("attnflow: note: this model has no attention (attention 'none')", file=sys.stderr)
            return
        self.show_attention(part, probabilities, weights, args)


def no_attention_change(model_settings: dict) -> dict | None:
    """The model settings that make the same network without attention: an RNN
    reading its last state, or a bag of embeddings (a transformer without
    encoder blocks) mean-pooled; None where attention cannot be taken out
    (encoder blocks are attention)."""
    if model_settings.get("architecture", "rnn") == "rnn":
        return {"attention": "none"}
    if model_settings.get("num_layers") == 0:
        return {"pooling": "mean"}
    return None
