"""Parallel-text files: TSV and CSV, headers, and one clear error for each bad file."""

from __future__ import annotations

import pytest

from attnflow.data.pairs_file import is_table, read_pairs, read_sources


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
    ("comma.csv", 'source,target\nHello, world,"Bonjour, le monde"\nyes,oui\n',
     r"expected at most 2 columns on every row, as on the first \(quote a text with a comma: \"Hello, world\"\)\. "
     r"Received: data='.*comma\.csv \(line 2 has 3 columns\)'"),
    ("nul.tsv", "a\tb\nc\x00\td\n", r"expected a text file without NUL characters \(.x00\)\. "
                                  r"Received: data='.*nul\.tsv \(line 2\)'"),
    ("quote.csv", 'a,b\n"unclosed,c\nd,e\n', r"expected a source and a target column on every row\. Received: "
                                          r"data='.*quote\.csv \(line 2 has 1 column: a quote opened there"),
])
def test_bad_files(tmp_path, name, content, message):
    with pytest.raises(ValueError, match=message):
        read_pairs(write(tmp_path, name, content))


def test_missing_file_and_missing_named_column(tmp_path):
    with pytest.raises(ValueError, match="expected an existing data file. Received: data="):
        read_pairs(tmp_path / "nope.tsv")
    with pytest.raises(ValueError, match="header naming the columns 'en' and 'fr'"):
        read_pairs(write(tmp_path, "p.csv", "en,de\na,b\n"), "en", "fr")


def test_old_mac_line_ends_and_repeated_pairs(tmp_path):
    from attnflow.data.pairs_file import warn_of_copies

    path = write(tmp_path, "cr.tsv", b"one\tun\rtwo\tdeux\r\rone\tun\r", mode="wb")
    pairs = read_pairs(path)
    assert pairs == [("one", "un"), ("two", "deux"), ("one", "un")]
    with pytest.warns(UserWarning, match=r"1 pair\(s\) of .*cr\.tsv repeat an earlier pair \(first: pair 3\): "
                                         r"a copy can be trained on and another tested"):
        warn_of_copies(pairs, path)


def test_bytes_that_are_not_utf8(tmp_path):
    path = write(tmp_path, "latin1.tsv", "caf\xe9\tcoffee\n".encode("latin-1"), mode="wb")
    with pytest.raises(ValueError, match=r"expected a UTF-8 text file.*byte 0xe9 at offset 3"):
        read_pairs(path)


def test_sources_of_a_pairs_file_as_training_reads_it(tmp_path):
    header = write(tmp_path, "pairs.tsv", "source\ttarget\n" + "".join(f"num {i}\t{i}\n" for i in range(50)))
    assert read_sources(header) == [f"num {i}" for i in range(50)]  # not the header, not whole rows
    plain = write(tmp_path, "p.tsv", "Go.\tVa !\tCC-BY\nHi.\tSalut.\n")
    assert read_sources(plain) == ["Go.", "Hi."]
    reordered = write(tmp_path, "p.csv", 'id,target,source\n1,"b, c",a\n2,y,x\n')
    assert read_sources(reordered) == ["a", "x"]
    only_sources = write(tmp_path, "s.csv", "source\n\"14 février, 2013\"\n")
    assert read_sources(only_sources) == ["14 février, 2013"]
    assert read_sources(write(tmp_path, "n.csv", "en,de\nhouse,Haus\n"), "en") == ["house"]


def test_bad_source_files(tmp_path):
    with pytest.raises(ValueError, match=r"expected a header naming the source column 'en'. Received: data=.*header: fr, de"):
        read_sources(write(tmp_path, "n.csv", "fr,de\nmaison,Haus\n"), "en")
    with pytest.raises(ValueError, match="line 3 has an empty source"):
        read_sources(write(tmp_path, "h.tsv", "source\ttarget\na\tb\n\tc\n"))
    with pytest.raises(ValueError, match="no rows after the header"):
        read_sources(write(tmp_path, "o.tsv", "source\ttarget\n"))
    with pytest.raises(ValueError, match="expected a non-empty data file"):
        read_sources(write(tmp_path, "e.csv", ""))


def test_what_counts_as_a_table(tmp_path):
    assert is_table(write(tmp_path, "a.csv", "x\n")) and is_table(write(tmp_path, "a.tsv", "x\n"))
    assert is_table(write(tmp_path, "tabs.txt", "Go.\tVa !\n"))
    assert not is_table(write(tmp_path, "lines.txt", "14 février, 2013\nMarch 3\n"))
