"""Reading, checking and gridding time series."""

import numpy as np
import pandas as pd
import pytest

from attnflow.data.frequencies import infer_frequency
from attnflow.data.timeseries import check_window_fits, from_frame, read_series


def monthly_frame(n=30, drop=(), nan=()):
    frame = pd.DataFrame({"date": pd.date_range("2000-01-01", periods=n, freq="MS").strftime("%Y-%m-%d"),
                          "sales": np.arange(1.0, n + 1), "price": np.arange(n) * 0.5})
    frame.loc[list(nan), "sales"] = np.nan
    return frame.drop(index=list(drop)).reset_index(drop=True)


def test_csv_with_missing_timestamps_is_reindexed_and_masked(tmp_path):
    path = tmp_path / "sales.csv"
    monthly_frame(drop=(3, 4), nan=(10,)).to_csv(path, index=False)
    series = read_series(path, "date", "sales", covariates=["price"])
    assert series.freq == "MS" and len(series) == 30 and series.season_length == 12
    assert series.times[3] == pd.Timestamp("2000-04-01")
    missing = [3, 4, 10]
    assert np.isnan(series.values[missing, 0]).all()  # kept missing, not interpolated
    assert not series.observed[missing, 0].any() and series.observed.sum() == 27
    np.testing.assert_array_equal(series.values[[0, 2, 5, 29], 0], [1.0, 3.0, 6.0, 30.0])
    assert np.isnan(series.covariates[[3, 4], 0]).all() and series.covariates[10, 0] == 5.0
    assert series.target_names == ("sales",) and series.covariate_names == ("price",)


def test_parquet_and_unsorted_rows_and_several_targets(tmp_path):
    frame = monthly_frame(n=6).iloc[::-1]
    frame["returns"] = frame["sales"] * 2
    path = tmp_path / "sales.parquet"
    frame.to_parquet(path)
    series = read_series(path, "date", ["sales", "returns"])
    np.testing.assert_array_equal(series.values[:, 0], np.arange(1.0, 7.0))
    np.testing.assert_array_equal(series.values[:, 1], 2 * np.arange(1.0, 7.0))
    assert series.future_times(2).tolist() == [pd.Timestamp("2000-07-01"), pd.Timestamp("2000-08-01")]


@pytest.mark.parametrize("times, expected", [
    (pd.date_range("2021-01-01", periods=9, freq="30min"), "30min"),
    (pd.date_range("2021-01-01", periods=9, freq="h"), "h"),
    (pd.date_range("2021-01-01", periods=9, freq="D"), "D"),
    (pd.bdate_range("2021-01-04", periods=15), "B"),  # weekdays only, three weeks: business days
    (pd.bdate_range("2021-01-04", periods=6), "D"),  # under two weeks: too short to tell
    (pd.date_range("2021-01-02", periods=9, freq="W-SAT"), "W-SAT"),
    (pd.date_range("2021-01-31", periods=9, freq="ME"), "ME"),
    (pd.date_range("2021-01-01", periods=9, freq="QS-JAN"), "QS-JAN"),
    (pd.date_range("2021-01-01", periods=9, freq="YS-JAN"), "YS-JAN"),
    (pd.date_range("2021-12-31", periods=9, freq="YE-DEC"), "YE-DEC"),
])
def test_frequencies_are_inferred_even_with_gaps(times, expected):
    assert infer_frequency(times) == expected
    assert infer_frequency(times.delete([2, 5])) == expected


def test_business_days_have_a_season_of_five_and_forecast_weekdays():
    frame = pd.DataFrame({"date": pd.bdate_range("2023-01-02", periods=30), "price": np.arange(30.0)})
    series = from_frame(frame, "date", "price")
    assert series.freq == "B" and series.season_length == 5 and len(series) == 30
    assert [t.day_name() for t in series.future_times(3)] == ["Monday", "Tuesday", "Wednesday"]


def test_whole_numbers_are_years():
    frame = pd.DataFrame({"YEAR": [1700.0, 1701.0, 1703.0], "x": [5.0, 11.0, 16.0]})
    series = from_frame(frame, "YEAR", "x")
    assert series.freq == "YS-JAN" and len(series) == 4 and not series.observed[2, 0]


def test_explicit_freq_must_match():
    frame = monthly_frame(n=5)
    assert from_frame(frame, "date", "sales", freq="MS").freq == "MS"
    with pytest.raises(ValueError, match=r"expected the timestamps to follow freq='D'. Received: inferred='MS'"):
        from_frame(frame, "date", "sales", freq="D")


@pytest.mark.parametrize("change, message", [
    (lambda f: f.assign(date=f["date"].where(f.index != 2, "not a date")),
     r"expected parsable timestamps in 'date'. Received: row=2, value='not a date'"),
    (lambda f: f.assign(date=f["date"].where(f.index != 3, f["date"][2])),
     r"expected unique timestamps in 'date'. Received: duplicated=\['2000-03-01"),
    (lambda f: f.assign(sales=f["sales"].astype(object).where(f.index != 1, "n/a")),
     r"expected a numeric target column 'sales'. Received: row=1, value='n/a'"),
    (lambda f: f.drop(columns="sales"),
     r"expected a target among the columns \['date', 'price'\]. Received: target='sales'"),
    (lambda f: f.assign(date=["2000-01-01 00:00", "2000-01-01 01:00"] + [f"2000-01-01 0{h}:20" for h in range(2, 8)]),
     r"expected a regular time index .*; the usual step is 1 hour. Received: irregular step at row 0: "
     r"2000-01-01 -> 2000-01-01 01:00:00 \(and 1 more off the h grid\)$"),
    (lambda f: f.assign(date=["2000-01-01", "2000-01-02"] + list(f["date"][2:])),
     r"expected a regular time index: on the 'D' grid most steps would be missing. "
     r"Received: timestamps=8, grid_steps=214"),
])
def test_bad_input_is_one_clear_value_error(change, message):
    with pytest.raises(ValueError, match=message):
        from_frame(change(monthly_frame(n=8)), "date", "sales", covariates=["price"])


def test_missing_file_and_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match="expected an existing CSV or Parquet file"):
        read_series(tmp_path / "nope.csv", "date", "sales")
    (tmp_path / "x.txt").write_text("a")
    with pytest.raises(ValueError, match=r"expected a file ending in .csv or .parquet"):
        read_series(tmp_path / "x.txt", "date", "sales")


def test_window_fits():
    series = from_frame(monthly_frame(n=30), "date", "sales")
    check_window_fits(series, context=12, horizon=9)  # 12 + 2 * 9 = 30
    with pytest.raises(ValueError, match=r"expected a series of at least context \+ horizon = 31 steps. "
                                         r"Received: length=30"):
        check_window_fits(series, context=24, horizon=7)
    with pytest.raises(ValueError, match=r"expected a horizon the data can support: .* at most 9 .* "
                                         r"Received: horizon=10"):
        check_window_fits(series, context=12, horizon=10)
    with pytest.raises(ValueError, match="expected horizon to be a positive integer. Received: horizon=0"):
        check_window_fits(series, context=12, horizon=0)
    empty_test = series.with_values(np.where(np.arange(30) >= 27, np.nan, series.values[:, 0]))
    with pytest.raises(ValueError, match="observed value in the test part"):
        check_window_fits(empty_test, context=12, horizon=3)


def test_an_empty_or_header_only_csv_names_the_file(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match=r"^expected a CSV with a header and rows\. "
                                         r"Received: path='.*empty\.csv' \(empty\)$"):
        read_series(empty, "date", "sales")
    header = tmp_path / "header.csv"
    header.write_text("date,sales\n")
    with pytest.raises(ValueError, match=r"expected a CSV with a header and rows\. Received: "
                                         r"path='.*header\.csv' \(columns \['date', 'sales'\], 0 rows\)"):
        read_series(header, "date", "sales")


def test_an_irregular_step_names_its_row_and_times():
    frame = monthly_frame(n=72)
    frame.loc[40, "date"] = "2003-05-17"  # between 2003-04-01 and 2003-06-01
    with pytest.raises(ValueError, match=r"expected a regular time index .*; the usual step is 31 days\. "
                                         r"Received: irregular step at row 40: 2003-04-01 -> 2003-05-17$"):
        from_frame(frame, "date", "sales")
    shuffled = frame.iloc[::-1].reset_index(drop=True)  # rows named as in the file, not sorted
    with pytest.raises(ValueError, match=r"irregular step at row 31: 2003-04-01 -> 2003-05-17$"):
        from_frame(shuffled, "date", "sales")
    frame.loc[50, "date"] = "2004-03-09"
    with pytest.raises(ValueError, match=r"row 40: 2003-04-01 -> 2003-05-17 \(and 1 more off the MS grid\)$"):
        from_frame(frame, "date", "sales")


@pytest.mark.parametrize("freq, odd, message", [
    ("ME", (7, "2000-08-15"), r"the usual step is 31 days\. Received: irregular step at row 7: 2000-07-31 -> 2000-08-15$"),
    ("D", (0, "1999-12-31 12:00"), r"the usual step is 1 day\. Received: irregular step at row 0: "
                                   r"1999-12-31 12:00:00 -> 2000-01-02$"),
    ("W-MON", (3, "2000-01-26"), r"the usual step is 7 days\. Received: irregular step at row 3: 2000-01-17 -> 2000-01-26$"),
    ("2MS", None, r"Received: usual_step='61 days', first_steps=\['60 days', '61 days', '61 days'\]$"),
])
def test_irregular_steps_of_other_frequencies(freq, odd, message):
    start = "2000-01-03" if freq == "W-MON" else "2000-01-01"
    times = list(pd.date_range(start, periods=30, freq=freq).astype(str))
    if odd:
        times[odd[0]] = odd[1]
    with pytest.raises(ValueError, match=message):
        from_frame(pd.DataFrame({"date": times, "sales": np.arange(30.0)}), "date", "sales")


@pytest.mark.parametrize("freq", ["MS", "ME", "QS-JAN", "QE-DEC", "YS-JAN", "W-SUN", "D", "h"])
def test_month_start_and_end_series_stay_valid(freq):
    times = pd.date_range("2001-01-01", periods=40, freq=freq).delete([5, 6])  # gaps allowed
    series = from_frame(pd.DataFrame({"date": times.astype(str), "sales": np.arange(38.0)}), "date", "sales")
    assert len(series) == 40 and (series.times == pd.date_range(times[0], periods=40, freq=freq)).all()


def test_a_file_pandas_cannot_read_names_the_file_and_why(tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"date,sales\n2000-01-01,1\n2000-02-01,\xe92\n")  # 0xe9 at offset 35
    with pytest.raises(ValueError, match=r"^expected a UTF-8 encoded CSV\. Received: path='.*latin\.csv' "
                                         r"\(byte 0xe9 at offset 35 is not UTF-8\)$"):
        read_series(latin, "date", "sales")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(ValueError, match=r"^expected a readable Parquet file\. Received: "
                                         r"path='.*broken\.parquet' \(.+\)$"):
        read_series(broken, "date", "sales")
    no_rows = tmp_path / "no_rows.parquet"
    pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]"),
                  "sales": pd.Series([], dtype=float)}).to_parquet(no_rows)
    with pytest.raises(ValueError, match=r"expected a Parquet file with a header and rows\. Received: "
                                         r"path='.*no_rows\.parquet' \(columns \['date', 'sales'\], 0 rows\)$"):
        read_series(no_rows, "date", "sales")
