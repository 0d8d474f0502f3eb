"""Sequence classification data: padding and masks, NaN, long-format files, the aeon sets."""

from __future__ import annotations

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
