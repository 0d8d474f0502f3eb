"""Strings <-> character ids inside a model, so that a saved model reads text.

Ids: 0 is padding, 1 an unknown character, then the vocabulary in order;
target vocabularies end with the start and end tokens.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

PAD_ID = 0
UNKNOWN_ID = 1
START_TOKEN = "[START]"
END_TOKEN = "[END]"


def standardize(texts, lowercase: bool):
    """Collapses runs of whitespace (Unicode spaces included) to one space,
    strips, and lowercases when asked. texts: string tensor of any shape."""
    texts = tf.strings.regex_replace(texts, r"[\s\p{Z}]+", " ")
    texts = tf.strings.strip(texts)
    if lowercase:
        texts = tf.strings.lower(texts, encoding="utf-8")
    return texts


def char_lookup(vocabulary, name: str) -> keras.layers.StringLookup:
    """A StringLookup mapping "" to 0, unknown characters to 1, the vocabulary to 2.."""
    return keras.layers.StringLookup(vocabulary=list(vocabulary), mask_token="",
                                     num_oov_indices=1, name=name)


def texts_to_ids(texts, lookup, lowercase: bool):
    """[B] strings -> [B, T] int32 ids, right-padded with 0."""
    chars = tf.strings.unicode_split(standardize(texts, lowercase), "UTF-8")  # ragged [B, (T)]
    ids = chars.with_flat_values(tf.cast(lookup(chars.flat_values), tf.int32))
    return ids.to_tensor(default_value=PAD_ID)  # [B, T]


def ids_to_texts(ids, tokens, end_id: int):
    """[B, T] ids -> [B] strings, cut at the first end token; special ids drop out.

    tokens: string tensor [V] holding the token of every id.
    """
    ids = tf.convert_to_tensor(ids)
    before_end = tf.math.cumsum(tf.cast(tf.equal(ids, end_id), tf.int32), axis=-1) == 0  # [B, T]
    keep = before_end & (ids > UNKNOWN_ID) & (ids < end_id - 1)  # no pad, unknown, start
    pieces = tf.where(keep, tf.gather(tokens, ids), "")  # [B, T]
    return tf.strings.reduce_join(pieces, axis=-1)  # [B]


def token_list(ids, tokens: list[str], end_id: int) -> list[str]:
    """Ids of one sequence -> its tokens up to (without) the end token."""
    out = []
    for i in np.asarray(ids).tolist():
        if i == end_id:
            break
        out.append(tokens[i])
    return out
