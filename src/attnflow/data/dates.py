"""Human-written dates in many formats and locales, paired with ISO 8601.

Dates come from Faker, their written forms from Babel (the CLDR patterns of
each locale: short, medium, long and full formats, skeletons, and a few custom
patterns written with the locale's month and weekday names). Every pair is
learnable from its input alone:

- a two-digit year maps into the 100-year window `YEAR_WINDOW` (1950-2049):
  "98" -> 1998, "13" -> 2013. Four-digit years span `YEAR_RANGE` (1900-2099).
- a form whose month is a number ("3/7/98", "14.02.2013") starts with its
  locale tag, "<en_US> 3/7/98", because the order of day and month in such a
  form depends on the locale and nothing else.

A pattern is a (locale, CLDR pattern) pair. `split_patterns` holds some out
so that a test split can use only patterns never seen in training.
"""

from __future__ import annotations

import datetime
import random
import re
from dataclasses import dataclass

from attnflow._validation import check_positive_int, fail
from attnflow.data.parallel import ParallelSplits

YEAR_WINDOW = (1950, 2049)  # two-digit years: 50..99 -> 1950..1999, 00..49 -> 2000..2049
YEAR_RANGE = (1900, 2099)  # four-digit years
DEFAULT_LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "it_IT",
                   "pt_BR", "nl_NL", "sv_SE", "pl_PL", "da_DK", "id_ID")
CLDR_FORMATS = ("short", "medium", "long", "full")
SKELETONS = ("yMd", "yMMMd", "yMMMMd", "yMMMEd", "yMMMMEEEEd")
CUSTOM_PATTERNS = ("d MMMM y", "MMMM d, y", "d MMM yy", "dd MMM y", "EEEE d MMMM y",
                   "EEE d MMM y", "MMM d y", "d-MMM-y", "d MMMM yy", "MMMM d y")
_FIELD = re.compile(r"([A-Za-z])\1*")
_QUOTED = re.compile(r"'[^']*'")


def locale_tag(locale: str) -> str:
    """The leading token of a numeric form: "<en_US>"."""
    return f"<{locale}>"


def to_iso(date: datetime.date) -> str:
    """The target form: "2013-02-14"."""
    return date.isoformat()


@dataclass(frozen=True)
class DatePattern:
    """One way a locale writes a date: a Babel locale and a CLDR pattern.

    Args:
        locale: a Babel locale identifier, e.g. "fr_FR".
        pattern: a CLDR date pattern, e.g. "EEEE d MMMM y".
    """

    locale: str
    pattern: str

    @property
    def fields(self) -> frozenset[str]:
        """The kinds of field the pattern writes: d, M (numeric month), MMM,
        MMMM, E, EEEE, y (full year), yy (two-digit year)."""
        kinds = set()
        for match in _FIELD.finditer(_QUOTED.sub("", self.pattern)):
            letter, width = match.group(1), len(match.group(0))
            if letter in "ML":
                kinds.add("M" if width <= 2 else "MMM" if width == 3 else "MMMM")
            elif letter in "Ec":
                kinds.add("EEEE" if width >= 4 else "E")
            elif letter == "y":
                kinds.add("yy" if width == 2 else "y")
            elif letter == "d":
                kinds.add("d")
        return frozenset(kinds)

    @property
    def numeric(self) -> bool:
        """Whether the month is written as a number (the form carries its locale tag)."""
        return "M" in self.fields

    @property
    def two_digit_year(self) -> bool:
        return "yy" in self.fields

    def render(self, date: datetime.date) -> str:
        """The date written in this pattern, tagged with the locale when numeric."""
        from babel.dates import format_date

        text = format_date(date, self.pattern, locale=self.locale)
        return f"{locale_tag(self.locale)} {text}" if self.numeric else text


def date_patterns(locales=DEFAULT_LOCALES) -> list[DatePattern]:
    """Every distinct (locale, pattern) that writes a day, a month and a year.

    Args:
        locales: Babel locale identifiers (default: 12 locales in Latin script).

    Returns:
        DatePattern objects, sorted, without duplicates.
    """
    from babel import Locale, UnknownLocaleError
    from babel.dates import get_date_format, match_skeleton

    patterns = set()
    for name in locales:
        try:
            locale = Locale.parse(name)
        except (ValueError, UnknownLocaleError):
            fail("a locale Babel knows, e.g. 'fr_FR'", locale=name)
        found = [get_date_format(kind, locale).pattern for kind in CLDR_FORMATS]
        for skeleton in SKELETONS:
            match = match_skeleton(skeleton, locale.datetime_skeletons.keys())
            if match:
                found.append(locale.datetime_skeletons[match].pattern)
        found += CUSTOM_PATTERNS
        found += [variant for p in found for variant in _numeric_variants(DatePattern(name, p))]
        for pattern in found:
            candidate = DatePattern(name, pattern)
            if {"d", "y"} <= {f[0] for f in candidate.fields} and candidate.fields & {"M", "MMM", "MMMM"}:
                patterns.add(candidate)
    return sorted(patterns, key=lambda p: (p.locale, p.pattern))


def _numeric_variants(pattern: DatePattern) -> list[str]:
    """The locale's own numeric order with other paddings and year widths."""
    if not pattern.numeric:
        return []
    plain = re.sub(r"d+", "d", re.sub(r"M+", "M", re.sub(r"y+", "y", pattern.pattern)))
    years = ("y",) if plain.startswith("y") else ("y", "yy")  # "30-11-1" reads as d-M-y
    return [plain.replace("d", d).replace("M", m).replace("y", y)
            for d in ("d", "dd") for m in ("M", "MM") for y in years]


def split_patterns(patterns, held_out_fraction: float = 0.15, seed: int = 0):
    """Holds out some patterns, keeping every held-out one learnable.

    Patterns that write the same text for every date (the same CLDR pattern
    in en_US and en_GB, say) are held out together, so no held-out form is
    ever seen in training. A pattern is held out only if the patterns left
    for training in its locale still write each kind of field it writes (its
    month names, its weekday names, its numeric order under the locale tag).

    Returns:
        (training patterns, held-out patterns), both sorted.
    """
    if not 0.0 <= held_out_fraction < 1.0:
        fail("held_out_fraction in [0, 1)", held_out_fraction=held_out_fraction)
    groups = {}
    for pattern in patterns:
        groups.setdefault(_surface(pattern), []).append(pattern)
    order = sorted(groups.values(), key=lambda group: (group[0].locale, group[0].pattern))
    random.Random(seed).shuffle(order)
    remaining, held_out = list(patterns), []
    target = int(round(held_out_fraction * len(remaining)))
    for group in order:
        if len(held_out) + len(group) > target:
            continue
        rest = [p for p in remaining if p not in group]
        if all(_learnable(candidate, rest) for candidate in group):
            held_out += group
            remaining = rest
    key = lambda p: (p.locale, p.pattern)  # noqa: E731
    return sorted(remaining, key=key), sorted(held_out, key=key)


_PROBES = tuple(datetime.date(year, month, day) for year, month, day in (
    (1955, 1, 1), (1968, 2, 5), (1971, 3, 9), (1983, 4, 12), (1994, 5, 15), (2001, 6, 18),
    (2007, 7, 21), (2012, 8, 24), (2023, 9, 27), (2036, 10, 28), (2044, 11, 3), (2049, 12, 7)))


def _surface(pattern: DatePattern) -> tuple[str, ...]:
    """What a pattern writes for a dozen probe dates: equal for equal forms."""
    return tuple(pattern.render(date) for date in _PROBES)


def _learnable(candidate: DatePattern, rest) -> bool:
    same_locale = [p for p in rest if p.locale == candidate.locale]
    covered = set().union(*(p.fields for p in same_locale)) if same_locale else set()
    numeric_covered = not candidate.numeric or any(p.numeric for p in same_locale)
    return candidate.fields <= covered and numeric_covered


def generate_date_pairs(patterns, count: int, seed: int = 0) -> list[tuple[str, str]]:
    """`count` (written date, ISO date) pairs, patterns drawn uniformly.

    Dates are drawn by Faker, in `YEAR_WINDOW` for two-digit-year patterns
    and in `YEAR_RANGE` otherwise. Deterministic for a given seed.
    """
    from faker import Faker

    check_positive_int("count", count)
    patterns = list(patterns)
    if not patterns:
        fail("at least one date pattern", patterns=patterns)
    faker = Faker()
    faker.seed_instance(seed)
    rng = random.Random(seed)
    bounds = {two_digit: tuple(datetime.date(year, month, day) for year, month, day in
                               ((window[0], 1, 1), (window[1], 12, 31)))
              for two_digit, window in ((True, YEAR_WINDOW), (False, YEAR_RANGE))}
    pairs = []
    for _ in range(count):
        pattern = rng.choice(patterns)
        date = faker.date_between_dates(*bounds[pattern.two_digit_year])
        pairs.append((pattern.render(date), to_iso(date)))
    return pairs


def date_splits(train_size: int = 40000, validation_size: int = 2000, test_size: int = 2000,
                held_out_size: int = 2000, locales=DEFAULT_LOCALES,
                held_out_fraction: float = 0.15, seed: int = 0) -> ParallelSplits:
    """Train/validation/test splits and a held-out-pattern test split.

    Test and held-out sources never occur in training (duplicates are
    dropped from the training split), and held-out patterns never occur in
    any other split.

    Args:
        train_size, validation_size, test_size, held_out_size: pairs drawn
            for each split (training may end slightly smaller after removing
            inputs that occur in the other splits).
        locales: Babel locales (default `DEFAULT_LOCALES`, 12 locales).
        held_out_fraction: share of patterns held out (default 0.15).
        seed: seed of the patterns held out and of every draw (default 0).

    Returns:
        A ParallelSplits with a `held_out` split.
    """
    for name, value in (("train_size", train_size), ("validation_size", validation_size),
                        ("test_size", test_size), ("held_out_size", held_out_size)):
        check_positive_int(name, value)
    seen_patterns, held_patterns = split_patterns(date_patterns(locales), held_out_fraction, seed)
    if not held_patterns:
        fail("enough patterns to hold some out; add locales or raise held_out_fraction",
             held_out_fraction=held_out_fraction)
    evaluation = generate_date_pairs(seen_patterns, validation_size + test_size, seed + 1)
    validation, test = evaluation[:validation_size], evaluation[validation_size:]
    held_out = generate_date_pairs(held_patterns, held_out_size, seed + 2)
    excluded = {source for source, _ in evaluation + held_out}
    train = [pair for pair in generate_date_pairs(seen_patterns, train_size, seed + 3)
             if pair[0] not in excluded]
    return ParallelSplits(train=train, validation=validation, test=test, held_out=held_out)
