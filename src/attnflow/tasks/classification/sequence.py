"""Task "sequence": classify multivariate series of variable length.

    attnflow train sequence                               # JapaneseVowels
    attnflow train sequence --dataset BasicMotions
    attnflow train sequence --data long.csv --id-col id --time-col t --label-col activity
    attnflow train sequence --data train.csv --test-data test.csv
    attnflow predict RUN --data long.csv --show-attention

Built-in data: UCR/UEA sets shipped in aeon, with their official train/test
split and 10% of the training series held out for validation. A user's
long-format file (one row per series and time step) is split into train,
validation and test, class by class; scored by k-fold cross-validation
when it holds fewer than 300 series (`evaluation`); or, with
`--test-data FILE`, trained on whole and scored on FILE. Missing values
are masked (with a warning that counts them). The model is
RNNWithAttention (default) or TransformerClassifier, reading the series
standardized by the training split's feature statistics. Baselines,
trained in the same run on the same split: the same network without
attention (its final state alone, "no_attention"), 1-nearest-neighbour
with Euclidean distance ("1nn_euclidean") and MiniRocket ("minirocket"),
both from aeon. Default settings per data set: `sequence_presets`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf

from attnflow._validation import check_choice, fail
from attnflow.data._table_files import read_table
from attnflow.data.sequences import (
    BUILTIN_DATASETS, SequenceData, load_builtin, pad_to_same_length, sequences_from_frame)
from attnflow.tasks.classification.baselines import SERIES_BASELINES, series_baselines
from attnflow.tasks.classification.task import (
    NO_ATTENTION, ClassificationOptions, ClassificationTask, reported_warnings)
from attnflow.tasks.classification.flags import SequenceFlags
from attnflow.tasks.classification.sequence_presets import DEFAULT_DATASET, PRESET_NAMES, USER_FILE, preset
from attnflow.training.config import RunConfig, merge


@dataclass
class SequenceOptions(ClassificationOptions):
    """Settings of the sequence task, besides the shared ones."""

    dataset: str | None = None  # built-in set read (JapaneseVowels, BasicMotions); None with --data
    preset: str | None = None  # built-in set whose default settings the run started from
    id_column: str = "series_id"  # column naming the series in --data
    time_column: str = "time"  # column ordering the steps of a series
    label_column: str = "label"  # column of the series' label
    feature_columns: list | None = None  # feature columns (default: every other column)
    baselines: list = field(default_factory=lambda: [NO_ATTENTION, *SERIES_BASELINES])  # no_attention, 1nn_euclidean, minirocket

    def __post_init__(self):
        super().__post_init__()
        if self.dataset is not None:
            check_choice("dataset", self.dataset, BUILTIN_DATASETS)
        if self.preset is not None:
            check_choice("preset", self.preset, PRESET_NAMES)
        if self.feature_columns is not None and (
                not isinstance(self.feature_columns, list) or not self.feature_columns):
            fail("feature_columns to be a non-empty list of column names",
                 feature_columns=self.feature_columns)


class SequenceTask(SequenceFlags, ClassificationTask):
    """Multivariate series -> RNNWithAttention (or TransformerClassifier); flags in
    `attnflow.tasks.classification.flags`."""

    options_class = SequenceOptions
    input_name = "series"

    example_unit = "series"
    baseline_names = (NO_ATTENTION, *SERIES_BASELINES)

    def preset(self, chosen: dict) -> dict:
        """The settings named by options.preset, else those of the built-in
        set options.dataset, else those of a user's file ("default") with
        --data and JapaneseVowels's without, recorded as options.preset;
        options.dataset is recorded only when no --data is given, so that a
        run on a file does not name a set it never read."""
        options = chosen.get("options") or {}
        on_file = chosen.get("data") is not None
        name = options.get("preset") or options.get("dataset") or (USER_FILE if on_file else DEFAULT_DATASET)
        dataset = options.get("dataset") or (None if on_file else DEFAULT_DATASET)
        return merge(preset(name), {"options": {"dataset": dataset, "preset": name}})

    def check_config(self, config: RunConfig) -> None:
        super().check_config(config)
        options = self.options(config)
        if config.data is not None and options.dataset is not None:
            fail("--data FILE or --dataset NAME, not both (to start a file's run from a built-in "
                 "set's settings: --set options.preset=NAME)",
                 data=str(config.data), dataset=options.dataset)

    # -- data and model -------------------------------------------------------------

    def read_file(self, path, options: SequenceOptions) -> SequenceData:
        return read_series(path, options)

    def load_data(self, config: RunConfig, data_path: str | None = None):
        """As every classification task, and a user's file's feature columns are kept in
        the run's config: predict and evaluate then read their files' columns by name
        (in any order; a missing one is named), not by position."""
        data = super().load_data(config, data_path)
        if data_path is None and config.data is not None and config.options.get("feature_columns") is None:
            config.options["feature_columns"] = list(data.train.feature_names)
        return data

    def read_test_file(self, path, options: SequenceOptions, train: SequenceData):
        """(train, test) padded to the same length; the test file's feature
        columns must be the training file's (else both lists are named)."""
        train, test = super().read_test_file(path, options, train)
        if test.feature_names != train.feature_names:
            fail(f"the feature columns of --data in the test file {path} "
                 f"({train.feature_names})", test_feature_columns=test.feature_names)
        return pad_to_same_length(train, test)

    def baseline_predictions(self, data, config: RunConfig) -> dict:
        """The no-attention twin's, then 1-NN Euclidean's and MiniRocket's
        (on the series standardized by the training part's feature statistics,
        missing and padded steps set to 0, the mean)."""
        results = super().baseline_predictions(data, config)
        names = [name for name in SERIES_BASELINES if name in self.options(config).baselines]
        if names:
            train = np.concatenate([data.train.x, data.validation.x]) \
                if data.validation is not None else data.train.x
            labels = np.concatenate([data.train.labels, data.validation.labels]) \
                if data.validation is not None else data.train.labels
            mean, std = (np.asarray(v, np.float32) for v in data.train.feature_stats())
            prepared = [np.nan_to_num((x - mean) / std).transpose(0, 2, 1) for x in (train, data.test.x)]
            results.update(series_baselines(prepared[0], labels, prepared[1], names, config.seed))
        return results

    def builtin_splits(self, options: SequenceOptions) -> tuple[SequenceData, SequenceData]:
        return load_builtin(options.dataset or DEFAULT_DATASET)

    def input_arguments(self, config: RunConfig, data) -> dict:
        if data is None:
            return {}
        mean, std = data.train.feature_stats()
        return {"feature_mean": mean, "feature_std": std, "max_length": data.train.x.shape[1]}

    def model_inputs(self, model, part: SequenceData):
        return part.x, None

    def serving_signature(self, model) -> list:
        features = len(model.feature_mean) if model.feature_mean is not None else None
        return [tf.TensorSpec([None, None, features], tf.float32, name=self.input_name)]

    # -- showing --------------------------------------------------------------------

    def explain_attention(self, model, data, config, directory: Path) -> list[Path]:
        samples = self.test_samples(model, data, config)
        if samples is None:
            return []
        part, probabilities, weights = samples
        return plot_series(part, probabilities, weights, directory, true_labels=True)

    def prediction_inputs(self, inputs: list[str], args: dict, options: SequenceOptions) -> SequenceData:
        if inputs or not args.get("data"):
            fail("the series in a long-format file: predict RUN --data FILE",
                 inputs=list(inputs), data=args.get("data"))
        with reported_warnings():
            return read_series(args["data"], options, labelled=False)

    def check_prediction_inputs(self, model, part: SequenceData, args: dict) -> None:
        expected = len(model.feature_mean) if model.feature_mean is not None else part.x.shape[2]
        if part.x.shape[2] != expected:
            fail(f"{expected} feature columns, as in training", data=f"{args['data']} "
                 f"({part.x.shape[2]} features: {part.feature_names})")

    def example_names(self, part: SequenceData) -> list[str]:
        return part.series_ids

    def show_attention(self, part: SequenceData, probabilities, weights, args: dict) -> None:
        directory = Path(args.get("plots") or Path(args["run"]) / "attention" / "predicted")
        paths = plot_series(part, probabilities, weights, directory)
        print(f"attention plots written to {directory} ({len(paths)} PNG)")


def read_series(path, options: SequenceOptions, labelled: bool = True) -> SequenceData:
    """A long-format file as SequenceData, encoded with the run's classes when known.

    With `labelled=False` the label column may be absent (predict).
    """
    frame = read_table(path)
    if labelled or options.label_column in frame.columns:
        # Labels as written: "NA", "null", "None" ... are classes (as for text), while in
        # the numeric columns they still read as missing values.
        raw = read_table(path, keep_default_na=False)
        if options.label_column in raw.columns:
            frame[options.label_column] = raw[options.label_column]
    return sequences_from_frame(frame, str(path), options.id_column, options.time_column,
                                options.label_column, options.feature_columns, options.classes,
                                labelled=labelled)


def plot_series(part: SequenceData, probabilities, weights, directory: Path,
                true_labels: bool = False) -> list[Path]:
    """One PNG per series: its attention over time above its features."""
    from attnflow.explain.sequence_plot import plot_sequence_attention

    paths, taken = [], set()
    for number, series_id in enumerate(part.series_ids):
        if weights[number] is None:
            continue
        predicted = int(np.argmax(probabilities[number]))
        title = f"{series_id}: predicted {part.classes[predicted]} " \
                f"({probabilities[number][predicted]:.3f})"
        if true_labels:
            title += f", true {part.classes[part.labels[number]]}"
        name = _plot_name(series_id, number, taken)
        paths.append(plot_sequence_attention(part.x[number], weights[number], directory / name,
                                             part.feature_names, title))
    return paths


def _plot_name(series_id, number: int, taken: set[str]) -> str:
    """`series_<id>.png` with the id made file-safe; ids that collide once made safe
    (e.g. "a b" and "a_b", or "A" and "a" on a case-insensitive disk) get their row number."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in str(series_id))
    name, suffix = f"series_{safe}.png", number
    while name.lower() in taken:
        name, suffix = f"series_{safe}_{suffix}.png", suffix + 1
    taken.add(name.lower())
    return name
