"""Reading a user's file of parallel text: TSV or CSV, one (source, target) per row."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from attnflow._validation import fail
from attnflow.data._table_files import warn_of_repeats
from attnflow.data.parallel import Pair

HEADER_NAMES = ("source", "target")


def read_pairs(path, source_column: str | None = None,
               target_column: str | None = None) -> list[Pair]:
    """Reads (source, target) pairs from a TSV or CSV file.

    The delimiter is a tab for ".tsv"/".tab"/".txt" files with tabs and a
    comma for ".csv" (otherwise: a tab when the first line has one). A first
    row naming the columns "source" and "target" (or `source_column` and
    `target_column`) is a header; without one the first two columns are
    source and target and further columns are ignored (as in Tatoeba/Anki
    exports).

    Args:
        path: the file.
        source_column, target_column: header names of the two columns
            (default: "source" and "target" when the header has them, else
            the first two columns).

    Returns:
        A list of (source, target) pairs, in file order.

    Raises:
        ValueError: the file is missing or empty, is not UTF-8, lacks the
            columns, or has a row with an empty source or target.
    """
    path = Path(path)
    rows = _table_rows(path)
    source_index, target_index, rows = _columns(rows, source_column, target_column, path)
    if not rows:
        fail("at least one (source, target) row", data=f"{path} (no rows after the header)")
    pairs = []
    for number, row in rows:
        if len(row) <= max(source_index, target_index):
            unclosed = ": a quote opened there is not closed" if any("\n" in cell for cell in row) else ""
            fail("a source and a target column on every row",
                 data=f"{path} (line {number} has {len(row)} column{'s' * (len(row) != 1)}{unclosed})")
        source, target = row[source_index].strip(), row[target_index].strip()
        if not source or not target:
            empty = "source" if not source else "target"
            fail("a non-empty source and target on every row",
                 data=f"{path} (line {number} has an empty {empty})")
        pairs.append((source, target))
    return pairs


def is_table(path) -> bool:
    """Whether `predict --data` reads `path` as a table of the kind training reads:
    a .csv/.tsv/.tab file, or any other file whose first line has a tab."""
    path = Path(path)
    if path.suffix.lower() in (".csv", ".tsv", ".tab"):
        return True
    try:
        with path.open("rb") as file:
            return b"\t" in file.readline()
    except OSError:
        return False


def read_sources(path, source_column: str | None = None) -> list[str]:
    """The source column of a pairs file, for translating (the target may be absent).

    The delimiter and header rules are those of `read_pairs`: a first row
    naming `source_column` (default "source") is a header and picks the
    column; without one the first column is the source.

    Returns:
        The non-empty sources, in file order.

    Raises:
        ValueError: the file is missing, empty or not UTF-8, lacks the named
            column, or has a row with an empty source.
    """
    path = Path(path)
    rows = _table_rows(path)
    wanted = source_column or HEADER_NAMES[0]
    header = [cell.strip().lower() for cell in rows[0][1]] if rows else []
    if wanted.lower() in header:
        index, rows = header.index(wanted.lower()), rows[1:]
    elif source_column and source_column != HEADER_NAMES[0]:
        fail(f"a header naming the source column {source_column!r}",
             data=f"{path} (header: {', '.join(header) or 'none'})")
    else:
        index = 0
    if not rows:
        fail("at least one source row", data=f"{path} (no rows after the header)")
    sources = []
    for number, row in rows:
        source = row[index].strip() if len(row) > index else ""
        if not source:
            fail("a non-empty source on every row", data=f"{path} (line {number} has an empty source)")
        sources.append(source)
    return sources


def warn_of_copies(pairs: list[Pair], path) -> None:
    """One warning when pairs repeat in a file to train on: one copy may be trained on
    and another tested."""
    warn_of_repeats(pairs, path, "pair", "repeat an earlier pair")


def _table_rows(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every row with a non-empty cell. A comma-separated row
    with more cells than the first row is an error: an unquoted comma in a text would
    otherwise cut it silently."""
    text = _read_text(path)
    delimiter = _delimiter(path, text)
    reader = _rows(text, delimiter)
    rows = []
    try:
        start = 1
        for row in reader:  # a quoted cell may span lines: a row is named by its first
            if any(cell.strip() for cell in row):
                rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as error:
        fail("a readable CSV or TSV file", data=f"{path} (line {reader.line_num}: {error})")
    if delimiter == "," and rows:
        width = len(rows[0][1])
        wide = next(((number, row) for number, row in rows if len(row) > width), None)
        if wide is not None:
            fail(f"at most {width} columns on every row, as on the first (quote a text with a comma: "
                 '"Hello, world")', data=f"{path} (line {wide[0]} has {len(wide[1])} columns)")
    return rows


def _read_text(path: Path) -> str:
    if not path.is_file():
        fail("an existing data file", data=str(path))
    raw = path.read_bytes()
    if not raw.strip():
        fail("a non-empty data file", data=str(path))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        fail("a UTF-8 text file", data=f"{path} (byte 0x{raw[error.start]:02x} "
             f"at offset {error.start} is not UTF-8)")
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # Windows' and old Macs' line ends
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        fail("a text file without NUL characters (\\x00)", data=f"{path} (line {line})")
    return text


def _delimiter(path: Path, text: str) -> str:
    if path.suffix.lower() == ".csv":
        return ","
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    return "\t" if "\t" in text.split("\n", 1)[0] else ","


def _rows(text: str, delimiter: str):
    if delimiter == "\t":  # TSV exports do not quote: a '"' is text
        return csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    return csv.reader(io.StringIO(text), delimiter=delimiter)


def _columns(rows, source_column, target_column, path):
    """Indexes of the source and target columns, and the rows without the header."""
    wanted = (source_column or HEADER_NAMES[0], target_column or HEADER_NAMES[1])
    header = [cell.strip().lower() for cell in rows[0][1]] if rows else []
    if all(name.lower() in header for name in wanted):
        return header.index(wanted[0].lower()), header.index(wanted[1].lower()), rows[1:]
    if source_column or target_column:
        fail(f"a header naming the columns {wanted[0]!r} and {wanted[1]!r}",
             data=f"{path} (header: {', '.join(header) or 'none'})")
    return 0, 1, rows
