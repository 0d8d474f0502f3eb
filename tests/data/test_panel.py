"""Panels: a long table split by id into checked series; the errors name the series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attnflow.data.panel import drop_flat, drop_short, panel_from_frame, panel_to_frame


def long_frame(lengths=(30, 24, 40), freq="MS"):
    parts = []
    for number, length in enumerate(lengths):
        times = pd.date_range(f"{2000 + number}-01-01", periods=length, freq=freq)
        parts.append(pd.DataFrame({"store": f"s{number}", "date": times, "sales": 10.0 * (number + 1)
                                   + np.arange(length), "region": ["north", "south", "north"][number % 3]}))
    return pd.concat(parts, ignore_index=True)


def test_series_of_different_lengths_and_starts_each_on_its_grid():
    frame = long_frame().sample(frac=1.0, random_state=0)  # any row order
    panel = panel_from_frame(frame, "store", "date", ["sales"], static_covariates=["region"])
    assert panel.ids == tuple(dict.fromkeys(frame["store"]))
    lengths = {name: len(series) for name, series in zip(panel.ids, panel.series)}
    assert lengths == {"s0": 30, "s1": 24, "s2": 40}
    assert panel.freq == "MS" and panel.static.shape == (3, 1)
    assert panel.series[panel.ids.index("s1")].times[0] == pd.Timestamp("2001-01-01")
    back = panel_to_frame(panel)
    assert len(back) == len(frame) and set(back.columns) == {"store", "date", "sales"}


def test_quarterly_series_starting_in_different_quarters_share_one_grid():
    parts = [pd.DataFrame({"store": f"s{n}", "date": pd.date_range(start, periods=12, freq="QS"),
                           "sales": np.arange(12.0) + n}) for n, start in enumerate(["2000-01", "2000-07", "2001-04"])]
    panel = panel_from_frame(pd.concat(parts), "store", "date", ["sales"])
    assert [s.freq for s in panel.series] == ["QS-JAN", "QS-JUL", "QS-APR"]  # pandas' names differ
    yearly = pd.DataFrame({"store": "s3", "date": pd.date_range("2000-07-01", periods=12, freq="YS-JUL"),
                           "sales": np.arange(12.0)})
    with pytest.raises(ValueError, match="Received: store='s3', freq='YS-JUL'"):
        panel_from_frame(pd.concat([*parts, yearly]), "store", "date", ["sales"])


@pytest.mark.parametrize("change, expected", [
    (lambda f: pd.concat([f, f.iloc[[3]]]), "expected one row per (store, date) pair. Received: duplicated='s0, "),
    (lambda f: f.assign(store=f["store"].where(f.index != 5, None)), "expected an id in every row of 'store'. "
                                                                     "Received: row=5"),
    (lambda f: f.assign(store=f["store"].where(f.index != 7, " ")), "Received: row=7"),
    (lambda f: pd.concat([f[f.store != "s2"], long_frame((0, 0, 20), "QS-JAN").query("store == 's2'")]),
     "expected every series at one frequency ('s0' is 'MS'). Received: store='s2', freq='QS-JAN'"),
    (lambda f: f.assign(region=np.where(f.index == 2, "east", f["region"])),
     "expected one value of static covariate 'region' per series"),
    (lambda f: f.assign(sales=f["sales"].astype(object).where(f.index != 40, "n/a")), "(series store=s1)"),
])
def test_bad_panels_are_one_line_errors(change, expected):
    with pytest.raises(ValueError) as error:
        panel_from_frame(change(long_frame()), "store", "date", ["sales"], static_covariates=["region"])
    assert expected in str(error.value) and "\n" not in str(error.value)


def test_a_missing_id_column_is_named():
    with pytest.raises(ValueError, match="expected an id_col among the columns .*Received: id_col='shop'"):
        panel_from_frame(long_frame(), "shop", "date", ["sales"])


def test_short_series_are_skipped_with_one_warning_and_none_left_is_an_error():
    panel = panel_from_frame(long_frame((30, 10, 12, 11, 9)), "store", "date", ["sales"])
    with pytest.warns(UserWarning) as caught:
        kept = drop_short(panel, 20, "context 16 + horizon 4")
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith("skipped 4 of 5 series shorter than 20 steps (context 16 + horizon 4): "
                              "s1 (10 steps), s2 (12 steps), s3 (11 steps) ...")
    assert kept.ids == ("s0",)
    with pytest.raises(ValueError, match="expected at least one series of 50 steps or more"):
        drop_short(panel, 50, "context 46 + horizon 4")


def test_series_whose_training_part_does_not_vary_are_skipped_with_one_warning():
    frame = long_frame((30, 24, 40))
    frame.loc[frame["store"] == "s1", "sales"] = 0.0  # a store that sold nothing
    flat_until_test = frame["store"] == "s2"
    frame.loc[flat_until_test, "sales"] = np.where(np.arange(40) < 36, 7.0, 9.0)  # varies in its test part only
    panel = panel_from_frame(frame, "store", "date", ["sales"])
    with pytest.warns(UserWarning) as caught:
        kept = drop_flat(panel, horizon=4, season_length=12)
    assert len(caught) == 1
    assert str(caught[0].message).startswith("skipped 2 of 3 series whose training part does not vary "
                                             "(season 12: their MASE is undefined): s1 (24 steps), s2 (40 steps)")
    assert kept.ids == ("s0",)
    with pytest.raises(ValueError, match="expected at least one series whose training part varies"):
        drop_flat(panel.subset([1, 2]), horizon=4, season_length=12)
