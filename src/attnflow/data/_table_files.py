"""The user's CSV, TSV and Parquet files: the one table reader (classification
data and time series alike), and the checks of labels and splits that the
classification tasks make on what it read.

Everything that can go wrong with a file (missing, empty, not UTF-8, a
header with no rows, a missing column) becomes a ValueError in attnflow's
"expected ... Received: ..." form, which the CLI prints as one line.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from attnflow._validation import fail

SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".parquet": None, ".pq": None}
_KINDS = {",": "CSV", "\t": "TSV", None: "Parquet file"}  # by separator; None: Parquet


@dataclasses.dataclass(frozen=True)
class TableFiles:
    """Which table files a reader takes, and what its errors say a file must be.

    Each text is what follows "expected" and may name the file's kind with
    "{kind}" ("CSV", "TSV" or "Parquet file").

    Attributes:
        suffixes: accepted suffixes (lowercase), each with its CSV separator,
            or None for Parquet.
        existing: what a path that is not a file should have been.
        header: what an empty file (not even a header) should have been.
        rows: what a file with a header and no rows should have been.
    """

    suffixes: dict[str, str | None] = dataclasses.field(default_factory=lambda: dict(SUFFIXES))
    existing: str = "an existing file"
    header: str = "a file with a header row"
    rows: str = "at least one data row under the header"


ANY_TABLE = TableFiles()


def read_table(path, keep_default_na: bool = True, files: TableFiles = ANY_TABLE) -> pd.DataFrame:
    """Reads a .csv, .tsv/.tab or .parquet file with a header and at least one row.

    Args:
        path: the file.
        keep_default_na: whether "NA", "null", "NaN", ... read as missing
            (default True); text columns want False, so that only empty
            cells are missing.
        files: the suffixes taken and the wording of the errors (default:
            every suffix in `SUFFIXES`).

    Returns:
        A DataFrame.

    Raises:
        ValueError: "expected ... Received: path='<path>' (<why>)" for a
            suffix not taken, a missing, empty, unreadable or not UTF-8
            file, or a header with no rows.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in files.suffixes:
        fail(f"a file ending in {' or '.join(files.suffixes)}", path=str(path))
    separator = files.suffixes[suffix]
    kind = _KINDS[separator]
    if not path.is_file():
        fail(files.existing.format(kind=kind), path=str(path))
    try:
        if separator is None:
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep=separator, encoding="utf-8", keep_default_na=keep_default_na,
                                na_values=None if keep_default_na else [""])
    except pd.errors.EmptyDataError:
        _fail_file(files.header.format(kind=kind), path, "empty")
    except UnicodeDecodeError:
        _fail_file(f"a UTF-8 encoded {kind}", path, not_utf8(path))
    except (pd.errors.ParserError, OSError, ValueError, ImportError) as error:
        # ImportError: Parquet without pyarrow.
        _fail_file(f"a readable {kind}", path, (str(error).strip().splitlines() or [repr(error)])[0])
    if len(frame) == 0:
        _fail_file(files.rows.format(kind=kind), path, f"columns {list(map(str, frame.columns))}, 0 rows")
    return frame


def _fail_file(expected: str, path: Path, why: str) -> None:
    """ValueError "expected <expected>. Received: path='<path>' (<why>)"."""
    raise ValueError(f"expected {expected}. Received: path={str(path)!r} ({why})")


def not_utf8(path) -> str:
    """Where a file stops being UTF-8: "byte 0xff at offset 11 is not UTF-8".

    pandas decodes in chunks, so the offset its UnicodeDecodeError holds is
    within a chunk; the file's own bytes say where the bad byte really is.
    """
    raw = Path(path).read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"byte 0x{raw[error.start]:02x} at offset {error.start} is not UTF-8"
    return "not UTF-8"


def check_columns(frame: pd.DataFrame, source: str, **columns: str) -> None:
    """Raises ValueError for the first role (text_col=..., label_col=...) whose column is missing."""
    for role, name in columns.items():
        if name not in frame.columns:
            fail(f"a column {name!r} in {source} (columns: {[str(c) for c in frame.columns]})",
                 **{role: name})


def label_strings(values: pd.Series, label_col: str, source: str) -> list[str]:
    """Labels as strings ("1.0" from a float column read as "1"); missing labels are an error."""
    missing = values.isna().to_numpy().nonzero()[0]
    if len(missing):
        fail(f"a label in every row of column {label_col!r} in {source}",
             missing_label_rows=row_numbers(missing))
    if pd.api.types.is_float_dtype(values) and (values == values.round()).all():
        values = values.astype("int64")
    return [str(value).strip() for value in values]


def sorted_classes(labels) -> list[str]:
    """Distinct labels, numbers in numeric order ("2" before "10"), then the rest alphabetically."""
    def key(label):
        try:
            return (0, float(label), label)
        except ValueError:
            return (1, 0.0, label)

    return sorted(set(labels), key=key)


def encode_labels(labels: list[str], classes: list[str] | None, label_col: str, source: str):
    """Class indices of `labels`; with `classes` given (e.g. from training), unknown labels are an error.

    Returns:
        (indices: list[int], classes: list[str]).
    """
    if classes is None:
        classes = sorted_classes(labels)
        if len(classes) < 2:
            fail(f"at least 2 classes in column {label_col!r} of {source}", classes=classes)
    index = {name: i for i, name in enumerate(classes)}
    unknown = sorted(set(labels) - set(index))
    if unknown:
        fail(f"labels among the training classes {classes} in {source}", unknown_labels=unknown[:10])
    return [index[label] for label in labels], list(classes)


def row_numbers(positions, limit: int = 10) -> str:
    """1-based data-row numbers (the header is not counted), at most `limit` of them."""
    rows = [int(p) + 1 for p in positions[:limit]]
    more = f" and {len(positions) - limit} more" if len(positions) > limit else ""
    return ", ".join(map(str, rows)) + more


def held_out_count(size: int, fraction: float) -> int:
    """Examples of a class of `size` that a stratified split holds out:
    round(fraction * size), but at least one and at most size - 1 when size >= 2."""
    count = int(round(fraction * size))
    return min(max(count, 1), size - 1) if size >= 2 else count


def min_per_class(test_fraction: float, validation_fraction: float) -> int:
    """The fewest examples of a class that put at least one in each of test,
    validation and train when the test split, then validation, are held out.

    The test split takes one or more and leaves one or more; what it leaves
    grows with the class, and once it is two or more the validation split
    takes one and leaves one. So the answer is the smallest class whose
    rest after the test split is two: 3 for test fractions below 1/2, more
    for larger ones (4 for 0.5 and 0.6, 16 for 0.9).
    """
    size = 2
    while size - held_out_count(size, test_fraction) < 2:
        size += 1
    return size


def check_splittable(labels, classes: list[str], source: str, test_fraction: float,
                     validation_fraction: float, unit: str = "rows") -> None:
    """Raises ValueError unless every class has `min_per_class` examples, so that
    train, validation and test each hold every class (`unit` names the
    examples in the message: "rows", "series"). Checked before training:
    with fewer, a split is left without a class, or empty (one example of
    each class leaves nothing to test), which is otherwise found only after
    training."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(classes))
    needed = min_per_class(test_fraction, validation_fraction)
    if counts.min() < needed:
        fail(f"at least {needed * len(classes)} examples to split into train/validation/test "
             f"({needed} of each of the {len(classes)} classes, so that every split holds "
             f"each class; test_fraction={test_fraction}, validation_fraction={validation_fraction}) "
             f"in {source}", **{unit: int(counts.sum())},
             per_class={name: int(count) for name, count in zip(classes, counts)})


def stratified_indices(labels: np.ndarray, num_classes: int, fraction: float, seed: int = 0):
    """Row indices (rest, held_out) with about `fraction` of each class held out.

    A class with two or more rows keeps at least one on each side.
    """
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
        fail("fraction in (0, 1)", fraction=fraction)
    rng = np.random.default_rng(seed)
    held = []
    for label in range(num_classes):
        rows = rng.permutation(np.flatnonzero(labels == label))
        held.extend(rows[:held_out_count(len(rows), fraction)].tolist())
    held = np.sort(np.asarray(held, dtype=np.int64))
    return np.setdiff1d(np.arange(len(labels)), held), held


def stratified_split(data, fraction: float, seed: int = 0):
    """Splits off `fraction` of `data` (TextData or SequenceData: anything with
    `labels`, `classes` and `subset`), class by class: (rest, held out).

    Every class keeps at least one example on each side when it has two or more.
    """
    rest, held = stratified_indices(data.labels, len(data.classes), fraction, seed)
    return data.subset(rest), data.subset(held)


def warn_of_repeats(keys: list, path, unit: str, repeats: str) -> None:
    """One warning when examples of a file to train on repeat (equal `keys`): one copy
    may be trained on and another tested. The warning counts them and names the first
    ("2 row(s) of FILE repeat the text of an earlier row (first: row 3): ...")."""
    repeated = pd.Series(keys, dtype=object).duplicated().to_numpy()
    if repeated.any():
        warnings.warn(f"{int(repeated.sum())} {unit}(s) of {path} {repeats} (first: {unit} "
                      f"{int(np.argmax(repeated)) + 1}): a copy can be trained on and another tested, which "
                      "flatters the test scores; drop the copies to score on texts the model has not seen",
                      UserWarning, stacklevel=3)
