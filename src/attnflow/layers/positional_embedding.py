"""PositionalEmbedding: token (or feature) embeddings plus position information."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from attnflow._validation import check_choice, check_positive_int, fail

KINDS = ("sinusoidal", "learned")


def sinusoidal_table(length, depth: int, max_wavelength: float = 10000.0, dtype=tf.float32):
    """The sine/cosine position table of Vaswani et al. (2017), interleaved.

    table[p, 2i] = sin(p / max_wavelength^(2i / depth)) and
    table[p, 2i + 1] = cos(p / max_wavelength^(2i / depth)); an odd `depth`
    ends with a sine column.

    Args:
        length: number of positions T (int or scalar tensor).
        depth: size D of each encoding.
        max_wavelength: the longest wavelength (default 10000).
        dtype: dtype of the result (computed in float32).

    Returns:
        A tensor [T, D].
    """
    positions = tf.cast(tf.range(length), tf.float32)[:, None]  # [T, 1]
    pair_index = np.arange(depth) // 2  # [D]: i for columns 2i and 2i + 1
    inverse_frequency = np.power(float(max_wavelength), -2.0 * pair_index / depth).astype(np.float32)
    angles = positions * inverse_frequency[None, :]  # [T, D]
    is_sine = (np.arange(depth) % 2 == 0)[None, :]  # [1, D]
    return tf.cast(tf.where(is_sine, tf.sin(angles), tf.cos(angles)), dtype)  # [T, D]


@keras.saving.register_keras_serializable(package="attnflow")
class PositionalEmbedding(keras.layers.Layer):
    """Adds position information to token embeddings or feature vectors.

    With `vocabulary_size` the layer embeds token ids [B, T] (an
    `Embedding` of `output_dim` columns) and adds a position encoding; with
    `mask_zero=True` id 0 is padding and the layer produces the Keras mask
    `ids != 0`, as `keras.layers.Embedding(mask_zero=True)` does. Without
    `vocabulary_size` it takes vectors [B, T, output_dim] (e.g. projected
    numeric features) and adds the encoding, passing their Keras mask on.

    The encoding is the fixed sine/cosine table ("sinusoidal", any length)
    or a learned table of `max_length` rows ("learned").

    Args:
        output_dim: size D of the embeddings.
        vocabulary_size: number of token ids, or None for vector inputs
            (default None).
        max_length: longest sequence; required for kind="learned", optional
            for "sinusoidal" (default None).
        kind: "sinusoidal" (default) or "learned".
        mask_zero: with token ids, whether id 0 is padding (default False).
        scale_embeddings: multiply the token embeddings by sqrt(D) before
            adding positions, as Vaswani et al. do (default False).
        max_wavelength: longest wavelength of the sinusoidal table
            (default 10000).
        embeddings_initializer: of the token table (default "uniform").
        position_initializer: of the learned position table
            (default "glorot_uniform").

    Call arguments:
        inputs: token ids [B, T] (with `vocabulary_size`) or vectors
            [B, T, D] (without).

    Returns:
        Embeddings [B, T, D], carrying the Keras mask.

    Example:
        >>> layer = PositionalEmbedding(output_dim=8, vocabulary_size=100, mask_zero=True)
        >>> ids = tf.constant([[5, 7, 0], [3, 0, 0]])
        >>> layer(ids).shape, layer.compute_mask(ids).numpy().tolist()
        (TensorShape([2, 3, 8]), [[True, True, False], [True, False, False]])
    """

    def __init__(self, output_dim: int, vocabulary_size: int | None = None,
                 max_length: int | None = None, kind: str = "sinusoidal",
                 mask_zero: bool = False, scale_embeddings: bool = False,
                 max_wavelength: float = 10000.0, embeddings_initializer="uniform",
                 position_initializer="glorot_uniform", **kwargs):
        check_positive_int("output_dim", output_dim)
        check_positive_int("vocabulary_size", vocabulary_size, allow_none=True)
        check_positive_int("max_length", max_length, allow_none=True)
        check_choice("kind", kind, KINDS)
        if kind == "learned" and max_length is None:
            fail('max_length (a positive integer) with kind="learned"', max_length=max_length)
        if mask_zero and vocabulary_size is None:
            fail("vocabulary_size with mask_zero=True (vectors carry their own Keras mask)",
                 vocabulary_size=vocabulary_size)
        if isinstance(max_wavelength, bool) or not isinstance(max_wavelength, (int, float)) \
                or max_wavelength <= 1:
            fail("max_wavelength > 1", max_wavelength=max_wavelength)
        super().__init__(**kwargs)
        self.supports_masking = True
        self.output_dim = output_dim
        self.vocabulary_size = vocabulary_size
        self.max_length = max_length
        self.kind = kind
        self.mask_zero = mask_zero
        self.scale_embeddings = scale_embeddings
        self.max_wavelength = float(max_wavelength)
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.position_initializer = keras.initializers.get(position_initializer)

    def build(self, input_shape):
        if self.vocabulary_size is None:
            if len(input_shape) != 3 or input_shape[-1] != self.output_dim:
                fail(f"vectors [B, T, {self.output_dim}] when vocabulary_size is None",
                     input_shape=tuple(input_shape))
        else:
            if len(input_shape) != 2:
                fail("token ids [B, T] when vocabulary_size is set", input_shape=tuple(input_shape))
            self.token_embedding = keras.layers.Embedding(
                self.vocabulary_size, self.output_dim, mask_zero=self.mask_zero,
                embeddings_initializer=self.embeddings_initializer,
                dtype=self.dtype_policy, name="token_embedding")
            self.token_embedding.build(input_shape)
        if self.kind == "learned":
            self.position_embeddings = self.add_weight(
                name="position_embeddings", shape=(self.max_length, self.output_dim),
                initializer=self.position_initializer)
        self._check_length(input_shape[1])

    def _check_length(self, length):
        if self.max_length is not None and length is not None and length > self.max_length:
            fail(f"sequences of at most max_length={self.max_length} positions",
                 sequence_length=length)

    def call(self, inputs):
        if self.vocabulary_size is None:
            embedded = tf.convert_to_tensor(inputs)  # [B, T, D]
        else:
            embedded = self.token_embedding(inputs)  # [B, T, D]
            if self.scale_embeddings:
                embedded = embedded * tf.cast(tf.sqrt(float(self.output_dim)), embedded.dtype)
        self._check_length(inputs.shape[1])
        return embedded + self._positions(tf.shape(inputs)[1], embedded.dtype)[None]  # [B, T, D]

    def _positions(self, length, dtype):
        if self.kind == "learned":
            return tf.cast(self.position_embeddings[:length], dtype)  # [T, D]
        return sinusoidal_table(length, self.output_dim, self.max_wavelength, dtype)  # [T, D]

    def compute_mask(self, inputs, previous_mask=None):
        if self.vocabulary_size is not None:
            if not self.mask_zero:
                return None
            return keras.ops.not_equal(inputs, 0)  # [B, T]
        return previous_mask

    def compute_output_shape(self, input_shape):
        if self.vocabulary_size is None:
            return tuple(input_shape)
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "output_dim": self.output_dim,
            "vocabulary_size": self.vocabulary_size,
            "max_length": self.max_length,
            "kind": self.kind,
            "mask_zero": self.mask_zero,
            "scale_embeddings": self.scale_embeddings,
            "max_wavelength": self.max_wavelength,
            "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
            "position_initializer": keras.initializers.serialize(self.position_initializer),
        }
