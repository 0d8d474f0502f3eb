"""HashedBigramEmbedding: an embedding of each token together with the next one."""

from __future__ import annotations

import keras
import tensorflow as tf

from attnflow._validation import check_positive_int

_PRIME = 2**31 - 1  # Mersenne prime: the pair's number is reduced modulo it, then mixed
_PAIR_FACTOR = 1_000_003
_MIX_FACTOR = 48271  # the Park-Miller multiplier


def bigram_buckets(ids, num_buckets: int):
    """The bucket of each (ids[t], ids[t+1]) pair, int64 [B, T] (the last step pairs with 0).

    Deterministic: (a * 1000003 + b) mod (2^31 - 1), times 48271 mod
    (2^31 - 1), mod num_buckets, for token ids below 2^31.
    """
    ids = tf.cast(ids, tf.int64)  # [B, T]
    following = tf.pad(ids[:, 1:], [[0, 0], [0, 1]])  # [B, T]: ids[t + 1], 0 after the end
    pair = tf.math.floormod(ids * _PAIR_FACTOR + following, _PRIME)
    return tf.math.floormod(tf.math.floormod(pair * _MIX_FACTOR, _PRIME), num_buckets)


@keras.saving.register_keras_serializable(package="attnflow")
class HashedBigramEmbedding(keras.layers.Layer):
    """Embeds each token's pair with the next token, hashed into `num_buckets` rows.

    Position t of token ids [B, T] gets the embedding of the bucket of
    (ids[t], ids[t + 1]) when both are real tokens (id != 0), and zeros
    otherwise: added to the word embeddings, position t then stands for the
    phrase that starts there ("not good"), as the hashed bigrams of fastText
    (Joulin et al., 2017) do, while an attention over the positions still
    points at words. Distinct pairs may share a bucket; more buckets, fewer
    collisions.

    Args:
        num_buckets: rows of the pair table (e.g. 2^16).
        output_dim: size D of each embedding.
        embeddings_initializer: of the table (default "uniform").

    Call arguments:
        inputs: token ids [B, T], 0 = padding.

    Returns:
        pair embeddings [B, T, D], zero where the token or the next one is
        padding (and at the last position).

    Example:
        >>> layer = HashedBigramEmbedding(num_buckets=1024, output_dim=8)
        >>> out = layer(tf.constant([[5, 7, 9, 0]]))
        >>> out.shape, bool(tf.reduce_all(out[0, 2:] == 0.0))
        (TensorShape([1, 4, 8]), True)
    """

    def __init__(self, num_buckets: int, output_dim: int, embeddings_initializer="uniform",
                 **kwargs):
        check_positive_int("num_buckets", num_buckets)
        check_positive_int("output_dim", output_dim)
        super().__init__(**kwargs)
        self.num_buckets = num_buckets
        self.output_dim = output_dim
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)

    def build(self, input_shape):
        self.embeddings = self.add_weight(name="embeddings", shape=(self.num_buckets, self.output_dim),
                                          initializer=self.embeddings_initializer)

    def call(self, inputs):
        ids = tf.cast(inputs, tf.int64)  # [B, T]
        real = tf.not_equal(ids, 0)
        real_pair = tf.logical_and(real, tf.pad(real[:, 1:], [[0, 0], [0, 1]]))  # [B, T]
        embedded = tf.cast(tf.gather(self.embeddings, bigram_buckets(ids, self.num_buckets)),
                           self.compute_dtype)  # [B, T, D]
        return embedded * tf.cast(real_pair, embedded.dtype)[..., None]

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {**super().get_config(), "num_buckets": self.num_buckets,
                "output_dim": self.output_dim,
                "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer)}
