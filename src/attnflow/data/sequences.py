"""Sequence classification data: multivariate series of variable length.

The built-in sets are UCR/UEA archive sets that aeon ships inside its wheel
(read offline): JapaneseVowels (9 speakers, 12 LPC cepstrum coefficients,
7 to 29 steps, 270 train / 370 test) and BasicMotions (4 activities, 6
accelerometer and gyroscope channels, 100 steps, 40 / 40). The user's own
data comes as a long-format table: one row per (series, time step), with
feature columns and the series' label.

Series are padded to [N, T, F] with NaN. A time step is real when all its
features are finite; padded steps and steps with a missing value are masked
(`mask` [N, T] is False there), which is also how the attnflow classifiers
read NaN in numeric inputs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from attnflow._validation import check_choice, fail
from attnflow.data._table_files import (
    check_columns, encode_labels, label_strings, read_table,
    stratified_split)  # noqa: F401  (stratified_split: part of this module's API)

BUILTIN_DATASETS = ("JapaneseVowels", "BasicMotions")


@dataclass
class SequenceData:
    """Padded multivariate sequences with integer labels.

    Attributes:
        x: float32 [N, T, F]; NaN at padded and missing steps.
        mask: bool [N, T]; True at real steps (all features finite).
        labels: int64 [N], indices into `classes`.
        classes: the class names, numbers in numeric order, then alphabetical.
        series_ids: N names of the series.
        feature_names: F names of the features.
    """

    x: np.ndarray
    mask: np.ndarray
    labels: np.ndarray
    classes: list[str]
    series_ids: list[str]
    feature_names: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def lengths(self) -> np.ndarray:
        """Number of real steps per series, int64 [N]."""
        return self.mask.sum(axis=1).astype(np.int64)

    def subset(self, indices) -> "SequenceData":
        indices = np.asarray(indices, dtype=np.int64)
        return SequenceData(self.x[indices], self.mask[indices], self.labels[indices], self.classes,
                            [self.series_ids[i] for i in indices], self.feature_names)

    def feature_stats(self) -> tuple[list[float], list[float]]:
        """Mean and standard deviation of each feature over the real steps (std 1 where constant)."""
        real = self.x[self.mask]  # [steps, F]
        mean, std = real.mean(axis=0), real.std(axis=0)
        std = np.where(std > 1e-8, std, 1.0)
        return mean.astype(float).tolist(), std.astype(float).tolist()


def pad_sequences(series: list[np.ndarray], series_ids: list[str], source: str,
                  max_length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pads series [T_i, F] into x [N, T, F] (NaN after the end) and mask [N, T].

    A step holding any NaN is masked; the NaN values are counted in one
    warning. A series with no step free of NaN is an error naming it, as is
    a series whose number of features differs from the first one's.

    Args:
        series: N arrays [T_i, F].
        series_ids: their names, for messages.
        source: the data set or file, for messages.
        max_length: pad or cut to this many steps (default: the longest).

    Returns:
        x float32 [N, T, F], mask bool [N, T].
    """
    if not series:
        fail(f"at least one series in {source}", series=0)
    arrays = [np.asarray(s, dtype=np.float32) for s in series]
    num_features = arrays[0].shape[1] if arrays[0].ndim == 2 else None
    for name, array in zip(series_ids, arrays):
        if array.ndim != 2 or array.shape[1] != num_features:
            fail(f"every series in {source} with {num_features} features "
                 f"(as series {series_ids[0]!r})",
                 **{f"series {name!r}": f"shape {array.shape} (steps, features)"})
        if array.shape[0] == 0 or np.isnan(array).all():
            fail(f"values in every series of {source}", series_id=f"{name} (all NaN)")
        if not np.isfinite(array).all(axis=1).any():
            fail(f"every series of {source} to have a time step with all features present",
                 series_id=f"{name} (NaN in every step)")
    length = max_length or max(a.shape[0] for a in arrays)
    x = np.full((len(arrays), length, num_features), np.nan, dtype=np.float32)
    for i, array in enumerate(arrays):
        x[i, : min(length, len(array))] = array[:length]
    mask = np.isfinite(x).all(axis=2)  # [N, T]
    _warn_missing(arrays, series_ids, source)
    return x, mask


def _warn_missing(arrays, series_ids, source) -> None:
    counts = [int((~np.isfinite(a)).sum()) for a in arrays]
    total = sum(counts)
    if total:
        infinite = sum(int(np.isinf(a).sum()) for a in arrays)
        what = f"{total - infinite} NaN" + (f" and {infinite} infinite" if infinite else "")
        with_missing = [name for name, count in zip(series_ids, counts) if count]
        shown = ", ".join(map(str, with_missing[:5])) + (", ..." if len(with_missing) > 5 else "")
        warnings.warn(f"{source}: {what} values in {len(with_missing)} series ({shown}); "
                      "the time steps holding them are masked", UserWarning, stacklevel=3)


def load_uea(name: str, split: str = "train", classes: list[str] | None = None) -> SequenceData:
    """One split of a UCR/UEA set shipped inside aeon (no download).

    Args:
        name: "JapaneseVowels" or "BasicMotions".
        split: "train" (default) or "test".
        classes: the training classes, to encode the test split the same way.

    Returns:
        A `SequenceData` (aeon's [N, F, T] turned into [N, T, F]).
    """
    check_choice("name", name, BUILTIN_DATASETS)
    check_choice("split", split, ("train", "test"))
    try:
        from aeon.datasets import load_basic_motions, load_japanese_vowels
    except ImportError:  # pragma: no cover - the "sequence" extra installs it
        fail("the aeon package (pip install 'attnflow[sequence]')", aeon="not installed")
    loader = {"JapaneseVowels": load_japanese_vowels, "BasicMotions": load_basic_motions}[name]
    series, labels = loader(split=split)  # [N, F, T] array or a list of [F, T_i]
    series = [np.asarray(s, dtype=np.float32).T for s in series]  # [T_i, F]
    ids = [f"{name}_{split}_{i}" for i in range(len(series))]
    source = f"{name} ({split})"
    x, mask = pad_sequences(series, ids, source)
    indices, classes = encode_labels([str(label) for label in labels], classes, "class", source)
    return SequenceData(x, mask, np.asarray(indices, dtype=np.int64), classes, ids,
                        [f"dim_{i}" for i in range(x.shape[2])])


def load_builtin(name: str) -> tuple[SequenceData, SequenceData]:
    """(train, test) of a built-in set, both padded to the longer of their lengths."""
    train = load_uea(name, "train")
    test = load_uea(name, "test", classes=train.classes)
    return pad_to_same_length(train, test)


def pad_to_same_length(*datasets: SequenceData) -> tuple[SequenceData, ...]:
    """Pads every set with NaN steps to the longest T among them."""
    length = max(d.x.shape[1] for d in datasets)
    result = []
    for d in datasets:
        extra = length - d.x.shape[1]
        x = np.pad(d.x, ((0, 0), (0, extra), (0, 0)), constant_values=np.nan)
        mask = np.pad(d.mask, ((0, 0), (0, extra)), constant_values=False)
        result.append(SequenceData(x, mask, d.labels, d.classes, d.series_ids, d.feature_names))
    return tuple(result)


def read_long_format(path, id_col: str = "series_id", time_col: str = "time",
                     label_col: str = "label", feature_cols: list[str] | None = None,
                     classes: list[str] | None = None) -> SequenceData:
    """Reads a long-format CSV, TSV or Parquet file of labelled series.

    One row per (series, time step): `id_col` names the series, `time_col`
    orders its steps, the feature columns hold the values and `label_col`
    the series' label, the same on all its rows. Time values are numbers
    (sorted numerically: 2 before 10) or ISO 8601 dates and times
    ("2024-01-31", "2024-01-31T08:30"; sorted in time); any other value,
    in any row, is an error naming it and its row.

    Args:
        path: a .csv, .tsv/.tab or .parquet file with a header.
        id_col, time_col, label_col: column names (defaults "series_id",
            "time", "label").
        feature_cols: the feature columns (default: every other column).
        classes: the classes of a training set, to encode a test file.

    Returns:
        A `SequenceData`; missing values (empty cells, NaN) are masked with a
        warning counting them.

    Raises:
        ValueError: for a bad file, a missing column, a non-numeric feature,
            a time value that is neither a number nor an ISO 8601 date,
            a repeated time step, a series with two labels, a series that is
            entirely NaN or has no values for a feature, or a single class.

    Example:
        >>> data = read_long_format("motions.csv", id_col="recording", time_col="t")
    """
    frame = read_table(path)
    return sequences_from_frame(frame, str(path), id_col, time_col, label_col, feature_cols, classes)


def sequences_from_frame(frame: pd.DataFrame, source: str, id_col: str = "series_id",
                         time_col: str = "time", label_col: str = "label",
                         feature_cols: list[str] | None = None,
                         classes: list[str] | None = None, labelled: bool = True) -> SequenceData:
    """Checks a long-format DataFrame and pads its series (see `read_long_format`).

    With `labelled=False` (series to predict; `classes` given) the label
    column may be absent and is ignored where present: every series gets
    label index 0.
    """
    if labelled:
        check_columns(frame, source, id_col=id_col, time_col=time_col, label_col=label_col)
    else:
        check_columns(frame, source, id_col=id_col, time_col=time_col)
        if classes is None:
            fail("the training classes to read unlabelled series", classes=None)
    if feature_cols is None:
        feature_cols = [c for c in frame.columns if c not in (id_col, time_col, label_col)
                        and not _saved_index(frame[c])]
    if not feature_cols:
        fail(f"at least one feature column in {source}", columns=[str(c) for c in frame.columns])
    for column in feature_cols:
        check_columns(frame, source, feature_col=column)
        if not pd.api.types.is_numeric_dtype(frame[column]):
            fail(f"numbers in feature column {column!r} of {source}",
                 **{column: f"dtype {frame[column].dtype}"})
    if frame[id_col].isna().any() or frame[time_col].isna().any():
        fail(f"a series id and a time step in every row of {source}",
             **{id_col: "has empty cells" if frame[id_col].isna().any() else "ok",
                time_col: "has empty cells" if frame[time_col].isna().any() else "ok"})
    order = time_order(frame[time_col], time_col, source)
    repeated = frame.assign(_time=order).duplicated([id_col, "_time"])
    if repeated.any():
        row = frame[repeated].iloc[0]
        fail(f"one row per ({id_col}, {time_col}) in {source}",
             **{id_col: row[id_col], time_col: row[time_col]})
    if labelled:
        labels = label_strings(frame[label_col], label_col, source)
    else:
        labels = [classes[0]] * len(frame)
    frame = frame.assign(_label=labels, _time=order).sort_values([id_col, "_time"], kind="stable")
    series, ids, series_labels = [], [], []
    for series_id, rows in frame.groupby(id_col, sort=True):
        distinct = rows["_label"].unique()
        if len(distinct) > 1:
            fail(f"one label per series in {source}", series_id=f"{series_id} (labels {list(distinct)})")
        values = rows[feature_cols].to_numpy(dtype=np.float32)  # [T_i, F]
        if not np.isnan(values).all():
            absent = [c for c, present in zip(feature_cols, ~np.isnan(values).all(axis=0)) if not present]
            if absent:
                fail(f"every series of {source} to have values for all {len(feature_cols)} features",
                     series_id=f"{series_id} (no values for {absent})")
        series.append(values)
        ids.append(str(series_id))
        series_labels.append(distinct[0])
    x, mask = pad_sequences(series, ids, source)
    indices, classes = encode_labels(series_labels, classes, label_col, source)
    return SequenceData(x, mask, np.asarray(indices, dtype=np.int64), classes, ids,
                        [str(c) for c in feature_cols])


def time_order(values: pd.Series, time_col: str, source: str) -> pd.Series:
    """The values of a time column as what orders them: numbers, or ISO 8601 datetimes.

    A numeric column is kept; a column of text is read as numbers when every
    value is one ("2" before "10"), else as ISO 8601 dates when every value
    is one. Anything else is an error naming the first value that is
    neither (the one that breaks the column's kind) and its data row:
    sorting such a column as text would scramble the steps of every series.
    """
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values
    text = values.astype(str).str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all():
        return numbers
    try:
        dates = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except (ValueError, TypeError):  # e.g. time zones mixed with naive times
        dates = pd.Series(pd.NaT, index=values.index)
    if dates.notna().all():
        return dates
    parsed = numbers if numbers.notna().sum() >= dates.notna().sum() else dates
    position = int(np.flatnonzero(parsed.isna().to_numpy())[0])
    fail(f"numbers or ISO 8601 dates (e.g. 2024-01-31) in time column {time_col!r} of {source}",
         value=values.iloc[position], row=position + 1)


def _saved_index(column: pd.Series) -> bool:
    """Whether a column is a pandas index saved with the table ("Unnamed: 0" holding
    0, 1, 2, ...): no feature; one warning says it is left out."""
    name = str(column.name)
    if not (name.startswith("Unnamed: ") and pd.api.types.is_integer_dtype(column)):
        return False
    if not np.array_equal(column.to_numpy(), np.arange(len(column))):
        return False
    warnings.warn(f"column {name!r} holds 0, 1, 2, ... (a saved row index): not read as a feature; "
                  "list it in options.feature_columns to read it", stacklevel=4)
    return True
