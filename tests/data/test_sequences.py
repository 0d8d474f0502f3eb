"""Sequence classification data: padding and masks, NaN, long-format files, the aeon sets."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from attnflow.data.sequences import (
    load_builtin, pad_sequences, pad_to_same_length, read_long_format, sequences_from_frame,
    stratified_split)


def long_frame():
    """Three series: a (3 steps, class up), b (2 steps, class down), c (4 steps, class up)."""
    rows = []
    for series_id, label, values in (("a", "up", [1, 2, 3]), ("b", "down", [5, 4]),
                                     ("c", "up", [0, 1, 2, 3])):
        for t, v in enumerate(values):
            rows.append({"series_id": series_id, "time": t, "x": float(v), "y": -float(v), "label": label})
    return pd.DataFrame(rows)


def test_pad_sequences_pads_with_nan_and_masks():
    series = [np.ones((3, 2)), np.full((1, 2), 2.0)]
    x, mask = pad_sequences(series, ["s0", "s1"], "test")
    assert x.shape == (2, 3, 2) and x.dtype == np.float32
    np.testing.assert_array_equal(mask, [[True, True, True], [True, False, False]])
    assert np.isnan(x[1, 1:]).all() and (x[0] == 1).all()
    x, mask = pad_sequences(series, ["s0", "s1"], "test", max_length=2)
    assert x.shape == (2, 2, 2)


def test_nan_values_are_masked_with_a_warning_that_counts_them():
    series = [np.array([[1.0, np.nan], [2.0, 3.0], [np.nan, np.nan]]), np.ones((2, 2))]
    with pytest.warns(UserWarning, match="test: 3 NaN values in 1 series \\(s0\\)"):
        x, mask = pad_sequences(series, ["s0", "s1"], "test")
    np.testing.assert_array_equal(mask, [[False, True, False], [True, True, False]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pad_sequences([np.ones((2, 2))], ["clean"], "test")  # no NaN, no warning
    with pytest.warns(UserWarning, match=r"test: 1 NaN and 2 infinite values in 2 series \(s0, s1\)"):
        _, mask = pad_sequences([np.array([[1.0, np.inf], [2.0, 3.0]]), np.array([[np.nan, 1.0], [-np.inf, 1.0],
                                                                                  [1.0, 1.0]])], ["s0", "s1"], "test")
    np.testing.assert_array_equal(mask, [[False, True, False], [False, False, True]])


def test_all_nan_series_is_an_error_naming_it():
    series = [np.ones((2, 2)), np.full((3, 2), np.nan)]
    with pytest.raises(ValueError, match="Received: series_id='broken \\(all NaN\\)'"):
        pad_sequences(series, ["fine", "broken"], "test")
    with pytest.raises(ValueError, match="a time step with all features.*'holey \\(NaN in every step\\)'"):
        pad_sequences([np.array([[1.0, np.nan], [np.nan, 2.0]])], ["holey"], "test")


def test_differing_feature_counts_are_an_error():
    with pytest.raises(ValueError, match="with 2 features.*Received: series 'b'='shape \\(3, 3\\)"):
        pad_sequences([np.ones((2, 2)), np.ones((3, 3))], ["a", "b"], "test")


@pytest.mark.parametrize("name", ["series.csv", "series.tsv", "series.parquet"])
def test_read_long_format_orders_steps_and_groups_series(tmp_path, name):
    frame = long_frame().sample(frac=1.0, random_state=0)  # rows in any order
    path = tmp_path / name
    if name.endswith(".parquet"):
        frame.to_parquet(path)
    else:
        frame.to_csv(path, sep="\t" if name.endswith(".tsv") else ",", index=False)
    data = read_long_format(path)
    assert data.series_ids == ["a", "b", "c"] and data.classes == ["down", "up"]
    assert data.feature_names == ["x", "y"]
    np.testing.assert_array_equal(data.labels, [1, 0, 1])
    np.testing.assert_array_equal(data.lengths, [3, 2, 4])
    np.testing.assert_allclose(data.x[0, :3, 0], [1, 2, 3])
    np.testing.assert_allclose(data.x[2, :, 1], [0, -1, -2, -3])
    assert np.isnan(data.x[1, 2:]).all()


def test_long_format_custom_columns_and_missing_values(tmp_path):
    frame = long_frame().rename(columns={"series_id": "rec", "time": "t", "label": "activity"})
    frame.loc[1, "x"] = np.nan
    path = tmp_path / "s.csv"
    frame.to_csv(path, index=False)
    with pytest.warns(UserWarning, match="1 NaN values in 1 series \\(a\\)"):
        data = read_long_format(path, id_col="rec", time_col="t", label_col="activity", feature_cols=["x"])
    assert data.feature_names == ["x"] and data.x.shape == (3, 4, 1)
    np.testing.assert_array_equal(data.mask[0], [True, False, True, False])


@pytest.mark.parametrize("change,message", [
    (lambda f: f.drop(columns="label"), "column 'label'.*Received: label_col='label'"),
    (lambda f: f.drop(columns="time"), "Received: time_col='time'"),
    (lambda f: f.assign(label="up"), "at least 2 classes.*Received: classes=\\['up'\\]"),
    (lambda f: f.assign(x=np.where(f.series_id == "b", np.nan, f.x), y=np.where(f.series_id == "b", np.nan, f.y)),
     "Received: series_id='b \\(all NaN\\)'"),
    (lambda f: f.assign(y=np.where(f.series_id == "c", np.nan, f.y)),
     "values for all 2 features.*Received: series_id=\"c \\(no values for \\['y'\\]\\)\""),
    (lambda f: f.assign(x=f.x.astype(str) + "m"), "numbers in feature column 'x'"),
    (lambda f: pd.concat([f, f.iloc[:1]]), "one row per \\(series_id, time\\).*Received: series_id='a', time=0"),
    (lambda f: f.assign(label=np.where(f.index == 0, "down", f.label)), "one label per series.*series_id=\"a \\(labels"),
    (lambda f: f.iloc[:0], "at least one data row"),
])
def test_bad_long_format_files(tmp_path, change, message):
    path = tmp_path / "bad.csv"
    change(long_frame()).to_csv(path, index=False)
    with pytest.raises(ValueError, match=message):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            read_long_format(path)


def test_test_file_is_encoded_with_training_classes():
    frame = long_frame()
    train = sequences_from_frame(frame, "train")
    test = sequences_from_frame(frame[frame.series_id != "b"].assign(label="up"), "test", classes=train.classes)
    assert test.classes == ["down", "up"] and test.labels.tolist() == [1, 1]


def test_split_stats_and_same_length():
    data = sequences_from_frame(long_frame(), "s")
    rest, held = stratified_split(data, 0.5, seed=0)
    assert sorted(rest.series_ids + held.series_ids) == ["a", "b", "c"]
    mean, std = data.feature_stats()
    real = np.array([1, 2, 3, 5, 4, 0, 1, 2, 3], float)
    np.testing.assert_allclose(mean, [real.mean(), -real.mean()], rtol=1e-6)
    np.testing.assert_allclose(std, [real.std(), real.std()], rtol=1e-5)
    short, longer = pad_to_same_length(held.subset([0]), data)
    assert short.x.shape[1] == longer.x.shape[1] == 4


def test_japanese_vowels_has_variable_lengths():
    train, test = load_builtin("JapaneseVowels")
    assert train.x.shape == (270, 29, 12) and test.x.shape == (370, 29, 12)
    assert len(train.classes) == 9 and train.classes == test.classes
    assert (train.lengths.min(), train.lengths.max(), test.lengths.max()) == (7, 26, 29)
    assert np.isfinite(train.x[train.mask]).all() and np.isnan(train.x[~train.mask]).all()


def test_basic_motions():
    train, test = load_builtin("BasicMotions")
    assert train.x.shape == test.x.shape == (40, 100, 6) and train.mask.all()
    assert train.classes == ["badminton", "running", "standing", "walking"]
    with pytest.raises(ValueError, match="Received: name='GunPoint'"):
        load_builtin("GunPoint")


def reviewer_file(path, last_time="later"):
    """Series a and b, x = t for t = 0..11; b's last time value replaced by `last_time`."""
    lines = ["series_id,time,x,label"]
    for series_id in "ab":
        for t in range(12):
            shown = last_time if (series_id, t) == ("b", 11) else t
            lines.append(f"{series_id},{shown},{t},{series_id}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_one_time_value_that_is_not_a_number_is_an_error_naming_it_and_its_row(tmp_path):
    path = reviewer_file(tmp_path / "so.csv")
    message = ("expected numbers or ISO 8601 dates (e.g. 2024-01-31) in time column 'time' of "
               f"{path}. Received: value='later', row=24")
    with pytest.raises(ValueError, match=re.escape(message)):
        read_long_format(path)


def test_time_read_as_text_is_sorted_as_numbers_or_as_dates():
    # "10" sorts before "2" as text; as numbers the steps keep their order
    frame = pd.DataFrame({"series_id": ["a"] * 12 + ["b"] * 12,
                          "time": [str(t) for t in range(12)][::-1] * 2,
                          "x": list(range(12))[::-1] * 2, "label": ["u"] * 12 + ["d"] * 12})
    frame["time"] = frame["time"].astype(object).where(frame.index != 0, " 11 ")
    data = sequences_from_frame(frame, "f")
    np.testing.assert_array_equal(data.x[0, :, 0], np.arange(12))
    days = pd.date_range("2024-01-28", periods=6, freq="D").strftime("%Y-%m-%d").tolist()
    dates = pd.DataFrame({"series_id": ["a"] * 6 + ["b"] * 6, "time": days[::-1] * 2,
                          "x": list(range(6))[::-1] * 2, "label": ["u"] * 6 + ["d"] * 6})
    data = sequences_from_frame(dates, "f")  # 2024-01-31 before 2024-02-01, as dates
    np.testing.assert_array_equal(data.x[1, :, 0], np.arange(6))
    dates.loc[3, "time"] = "31/01/2024"  # not ISO 8601: named, not guessed
    with pytest.raises(ValueError, match=r"Received: value='31/01/2024', row=4"):
        sequences_from_frame(dates, "f")


def test_unlabelled_series_ignore_the_label_column_and_need_the_training_classes():
    frame = long_frame().assign(label="sideways")
    data = sequences_from_frame(frame, "f", classes=["down", "up"], labelled=False)
    assert data.series_ids == ["a", "b", "c"] and data.labels.tolist() == [0, 0, 0]
    assert data.feature_names == ["x", "y"]  # the label column is not a feature
    data = sequences_from_frame(frame.drop(columns="label"), "f", classes=["down", "up"],
                                labelled=False)
    assert data.feature_names == ["x", "y"]
    with pytest.raises(ValueError, match=re.escape("Received: unknown_labels=['sideways']")):
        sequences_from_frame(frame, "f", classes=["down", "up"])
    with pytest.raises(ValueError, match=re.escape(
            "(columns: ['series_id', 'time', 'x', 'y']). Received: id_col='id'")):
        sequences_from_frame(frame.drop(columns="label"), "f", id_col="id", classes=["down", "up"],
                             labelled=False)


def test_too_few_series_per_class_to_split_is_named_before_any_split():
    from attnflow.data._table_files import check_splittable

    with pytest.raises(ValueError, match=re.escape(
            "expected at least 6 examples to split into train/validation/test (3 of each of the 2 "
            "classes")) as caught:
        check_splittable(np.array([0, 1]), ["down", "up"], "f", 0.2, 0.1, unit="series")
    assert str(caught.value).endswith("Received: series=2, per_class={'down': 1, 'up': 1}")
    with pytest.raises(ValueError, match=re.escape("per_class={'a': 5, 'b': 2}")):
        check_splittable(np.array([0] * 5 + [1] * 2), ["a", "b"], "f", 0.2, 0.1)
    # the minimum per class follows the fractions, and is what the split needs
    from attnflow.data._table_files import min_per_class

    assert [min_per_class(f, 0.1) for f in (0.01, 0.2, 0.4, 0.5, 0.9)] == [3, 3, 3, 4, 16]
    for test_fraction in (0.01, 0.2, 0.5, 0.9):
        for validation_fraction in (0.1, 0.5, 0.9):
            needed = min_per_class(test_fraction, validation_fraction)
            for size, whole in ((needed, True), (needed - 1, False)):
                labels = np.repeat([0, 1], size)
                rest, test = stratified_split(_labelled(labels), test_fraction)
                train, validation = stratified_split(rest, validation_fraction)
                each_split_has_both = all(sorted(set(part.labels.tolist())) == [0, 1]
                                          for part in (train, validation, test))
                assert each_split_has_both == whole, (test_fraction, validation_fraction, size)


def _labelled(labels):
    from attnflow.data.text import TextData

    return TextData([f"t{i}" for i in range(len(labels))], labels, ["a", "b"])


def test_a_saved_row_index_is_not_read_as_a_feature(tmp_path):
    path = tmp_path / "series.csv"
    long_frame().to_csv(path)  # pandas writes its index as the first, unnamed column
    with pytest.warns(UserWarning, match=r"column 'Unnamed: 0' holds 0, 1, 2, \.\.\. \(a saved row index\): "
                                         r"not read as a feature"):
        data = read_long_format(path)
    assert data.feature_names == ["x", "y"]
    # An unnamed column of other numbers is data: read.
    long_frame().assign(**{"Unnamed: 5": np.arange(9) * 2}).to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_long_format(path).feature_names == ["x", "y", "Unnamed: 5"]
