"""Parallel-text files: TSV and CSV, headers, and one clear error for each bad file."""

from __future__ import annotations

import pytest

from attnflow.data.pairs_file import read_pairs


def write(tmp_path, name, content, mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_tsv_without_header_extra_columns_ignored(tmp_path):
    path = write(tmp_path, "p.tsv", 'Go.\tVa !\tCC-BY\nHe said "hi".\tIl a dit "salut".\tx\n\n')
    assert read_pairs(path) == [("Go.", "Va !"), ('He said "hi".', 'Il a dit "salut".')]


def test_csv_with_header_in_any_column_order(tmp_path):
    path = write(tmp_path, "p.csv", 'id,target,source\n1,"b, c",a\n2,y,x\n')
    assert read_pairs(path) == [("a", "b, c"), ("x", "y")]


def test_named_columns_and_utf8_bom(tmp_path):
    path = write(tmp_path, "p.csv", "\ufeffen,de\nhouse,Haus\n")
    assert read_pairs(path, "en", "de") == [("house", "Haus")]


@pytest.mark.parametrize("name, content, message", [
    ("empty.tsv", "", "expected a non-empty data file"),
    ("blank.tsv", "\n \n", "expected a non-empty data file"),
    ("one.tsv", "only one column\n", "line 1 has 1 column"),
    ("hole.tsv", "a\tb\n\tc\n", "line 2 has an empty source"),
    ("header.csv", "source,target\n", "no rows after the header"),
])
def test_bad_files(tmp_path, name, content, message):
    with pytest.raises(ValueError, match=message):
        read_pairs(write(tmp_path, name, content))


def test_missing_file_and_missing_named_column(tmp_path):
    with pytest.raises(ValueError, match="expected an existing data file. Received: data="):
        read_pairs(tmp_path / "nope.tsv")
    with pytest.raises(ValueError, match="header naming the columns 'en' and 'fr'"):
        read_pairs(write(tmp_path, "p.csv", "en,de\na,b\n"), "en", "fr")


def test_bytes_that_are_not_utf8(tmp_path):
    path = write(tmp_path, "latin1.tsv", "caf\xe9\tcoffee\n".encode("latin-1"), mode="wb")
    with pytest.raises(ValueError, match=r"expected a UTF-8 text file.*byte 0xe9 at offset 3"):
        read_pairs(path)
