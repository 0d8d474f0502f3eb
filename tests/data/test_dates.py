"""Generated dates: many locales, learnable pairs, deterministic, held-out patterns unseen."""

from __future__ import annotations

import datetime
import re
from collections import defaultdict

import pytest

from attnflow.data import dates
from attnflow.data.dates import DatePattern, date_patterns, date_splits, generate_date_pairs, split_patterns

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module")
def patterns():
    return date_patterns()


def test_at_least_ten_locales_and_every_kind_of_format(patterns):
    assert len({p.locale for p in patterns}) >= 10
    kinds = set().union(*(p.fields for p in patterns))
    assert {"d", "M", "MMM", "MMMM", "E", "EEEE", "y", "yy"} <= kinds
    for pattern in patterns:
        assert "d" in pattern.fields and pattern.fields & {"y", "yy"}
        assert pattern.fields & {"M", "MMM", "MMMM"}


def test_the_example_forms_of_the_issue():
    day = datetime.date(2013, 2, 14)
    assert DatePattern("fr_FR", "EEEE d MMMM y").render(day) == "jeudi 14 février 2013"
    assert DatePattern("en_US", "M/d/yy").render(datetime.date(1998, 3, 7)) == "<en_US> 3/7/98"
    assert dates.to_iso(day) == "2013-02-14"


def test_numeric_forms_carry_their_locale_tag_and_others_do_not(patterns):
    day = datetime.date(2001, 11, 5)
    for pattern in patterns:
        text = pattern.render(day)
        assert text.startswith(f"<{pattern.locale}> ") == pattern.numeric, (pattern, text)


def test_numeric_day_month_order_is_one_per_locale(patterns):
    orders = defaultdict(set)
    for pattern in patterns:
        if pattern.numeric:
            fields = re.findall(r"([dMy])\1*", re.sub(r"'[^']*'", "", pattern.pattern))
            orders[pattern.locale].add("".join(fields))
    assert all(len(found) == 1 for found in orders.values()), orders


def test_pairs_are_deterministic_iso_and_learnable(patterns):
    pairs = generate_date_pairs(patterns, 4000, seed=3)
    assert pairs == generate_date_pairs(patterns, 4000, seed=3)
    assert pairs != generate_date_pairs(patterns, 4000, seed=4)
    targets = defaultdict(set)
    for source, target in pairs:
        assert ISO.match(target)
        targets[source].add(target)
    assert all(len(found) == 1 for found in targets.values()), "a source with two targets"


def test_two_digit_years_stay_in_the_window(patterns):
    two_digit = [p for p in patterns if p.two_digit_year]
    assert two_digit
    for _, target in generate_date_pairs(two_digit, 500, seed=1):
        assert dates.YEAR_WINDOW[0] <= int(target[:4]) <= dates.YEAR_WINDOW[1]


def test_held_out_patterns_are_never_written_by_training_patterns(patterns):
    seen, held_out = split_patterns(patterns, 0.15, seed=0)
    assert held_out and len(seen) + len(held_out) == len(patterns)
    probes = [datetime.date(1961, 1, 3), datetime.date(2027, 9, 14), datetime.date(1999, 12, 28),
              datetime.date(2040, 5, 9), datetime.date(1955, 8, 21)]
    seen_forms = {tuple(p.render(day) for day in probes) for p in seen}
    for pattern in held_out:
        # a held-out pattern may match a seen one on some dates (28.12.1999 is both
        # dd.M.y and dd.MM.y), never on all: it is a way of writing not seen in training
        assert tuple(pattern.render(day) for day in probes) not in seen_forms, pattern
        same_locale = set().union(*(p.fields for p in seen if p.locale == pattern.locale))
        assert pattern.fields <= same_locale, pattern


def test_splits_keep_test_inputs_out_of_training():
    splits = date_splits(train_size=600, validation_size=50, test_size=80, held_out_size=70,
                         locales=("en_US", "fr_FR", "de_DE"), seed=1)
    assert (len(splits.validation), len(splits.test), len(splits.held_out)) == (50, 80, 70)
    assert 550 <= len(splits.train) <= 600
    train_sources = {s for s, _ in splits.train}
    assert not train_sources & {s for s, _ in splits.test + splits.held_out + splits.validation}


@pytest.mark.parametrize("kwargs, name", [
    ({"train_size": 0}, "train_size"),
    ({"locales": ("xx_NOPE",)}, "locale"),
    ({"held_out_fraction": 1.5}, "held_out_fraction"),
])
def test_bad_arguments_name_themselves(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        date_splits(**kwargs)
