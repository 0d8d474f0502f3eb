"""PatchEmbedding: an image cut into patches, each projected to a token, plus positions."""

from __future__ import annotations

import keras
import tensorflow as tf

from attnflow._validation import check_positive_int, fail


@keras.saving.register_keras_serializable(package="attnflow")
class PatchEmbedding(keras.layers.Layer):
    """The tokens of a Vision Transformer (Dosovitskiy et al., 2021).

    The image is cut into non-overlapping patches of `patch_size` x
    `patch_size` pixels, read row by row (patch (i, j) is token
    i * W/p + j); each patch is flattened in (row, column, channel) order
    and projected to `output_dim` by one Dense layer (the same as a
    convolution with kernel and stride `patch_size`). A learned class token
    is put first when `class_token=True`, and a learned position embedding
    is added to every token. Images have no padding: the layer takes no
    mask and produces none.

    Args:
        patch_size: side p of the square patches, in pixels.
        output_dim: size D of each token.
        class_token: prepend a learned class token (default True).
        kernel_initializer: of the projection (default "glorot_uniform").
        position_initializer: of the position table and the class token
            (default TruncatedNormal(stddev=0.02), as in ViT).

    Call arguments:
        images: [B, H, W, C], with H and W known and multiples of p.

    Returns:
        Tokens [B, N, D] with N = (H / p) * (W / p), or [B, 1 + N, D] with
        the class token first.

    Example:
        >>> layer = PatchEmbedding(patch_size=4, output_dim=16)
        >>> layer(keras.random.normal((2, 28, 28, 1))).shape
        TensorShape([2, 50, 16])
    """

    def __init__(self, patch_size: int, output_dim: int, class_token: bool = True,
                 kernel_initializer="glorot_uniform", position_initializer=None, **kwargs):
        check_positive_int("patch_size", patch_size)
        check_positive_int("output_dim", output_dim)
        if not isinstance(class_token, bool):
            fail("class_token to be True or False", class_token=class_token)
        super().__init__(**kwargs)
        self.patch_size = patch_size
        self.output_dim = output_dim
        self.class_token = class_token
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.position_initializer = keras.initializers.get(
            position_initializer or keras.initializers.TruncatedNormal(stddev=0.02))

    def build(self, input_shape):
        self.grid = patch_grid(input_shape, self.patch_size)  # (H / p, W / p)
        channels = input_shape[-1]
        self.projection = keras.layers.Dense(
            self.output_dim, kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy, name="projection")
        self.projection.build((None, None, self.patch_size * self.patch_size * channels))
        self.num_tokens = self.grid[0] * self.grid[1] + int(self.class_token)
        if self.class_token:
            self.class_embedding = self.add_weight(
                name="class_embedding", shape=(1, 1, self.output_dim),
                initializer=self._new_position_initializer())
        self.position_embeddings = self.add_weight(
            name="position_embeddings", shape=(self.num_tokens, self.output_dim),
            initializer=self._new_position_initializer())

    def call(self, images):
        patches = self.extract_patches(images)  # [B, N, p*p*C]
        tokens = self.projection(patches)  # [B, N, D]
        if self.class_token:
            # broadcast_to, not tile: tile's gradient makes oneDNN log an int32 error line on CPU
            shape = tf.stack([tf.shape(tokens)[0], 1, self.output_dim])
            first = tf.broadcast_to(tf.cast(self.class_embedding, tokens.dtype), shape)  # [B, 1, D]
            tokens = tf.concat([first, tokens], axis=1)  # [B, 1 + N, D]
        return tokens + tf.cast(self.position_embeddings, tokens.dtype)[None]  # [B, T, D]

    def extract_patches(self, images):
        """Flattened patches [B, N, p*p*C] of images [B, H, W, C], in row-major order."""
        images = tf.convert_to_tensor(images, dtype=self.compute_dtype)
        patch_grid(images.shape, self.patch_size, self.grid)
        p, (rows, columns) = self.patch_size, self.grid
        channels = images.shape[-1]
        x = tf.reshape(images, [-1, rows, p, columns, p, channels])  # [B, H/p, p, W/p, p, C]
        x = tf.transpose(x, [0, 1, 3, 2, 4, 5])  # [B, H/p, W/p, p, p, C]
        return tf.reshape(x, [-1, rows * columns, p * p * channels])  # [B, N, p*p*C]

    def _new_position_initializer(self):
        """A fresh initializer object per weight, so a seeded one does not repeat its values."""
        initializer = self.position_initializer
        return initializer.__class__.from_config(initializer.get_config())

    def compute_output_shape(self, input_shape):
        rows, columns = patch_grid(input_shape, self.patch_size)
        return (input_shape[0], rows * columns + int(self.class_token), self.output_dim)

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def get_config(self):
        return {
            **super().get_config(),
            "patch_size": self.patch_size,
            "output_dim": self.output_dim,
            "class_token": self.class_token,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "position_initializer": keras.initializers.serialize(self.position_initializer),
        }


def patch_grid(image_shape, patch_size: int, built: tuple[int, int] | None = None) -> tuple[int, int]:
    """(rows, columns) of patches in images of `image_shape` [B, H, W, C].

    Raises:
        ValueError: not [B, H, W, C] with known H, W and C, a side smaller
            than one patch or not a multiple of it, or (with `built`) a grid
            other than the one the layer was built for.
    """
    shape = tuple(image_shape)
    if len(shape) != 4 or any(side is None for side in shape[1:]):
        fail("images of shape [B, H, W, C] with H, W and C known", input_shape=shape)
    height, width = shape[1], shape[2]
    if height < patch_size or width < patch_size:
        fail(f"images of at least one patch ({patch_size}x{patch_size} pixels)",
             input_shape=shape)
    if height % patch_size or width % patch_size:
        fail(f"image height and width that are multiples of patch_size={patch_size}",
             input_shape=shape)
    grid = (height // patch_size, width // patch_size)
    if built is not None and grid != tuple(built):
        fail(f"images of {built[0] * patch_size}x{built[1] * patch_size} pixels, as the layer "
             "was built", input_shape=shape)
    return grid
