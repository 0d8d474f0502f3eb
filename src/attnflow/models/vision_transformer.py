"""VisionTransformer: patches -> Transformer encoder -> class token or mean -> classes."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from attnflow._validation import (
    check_choice, check_non_negative_int, check_positive_int, check_rate, check_seed, fail)
from attnflow.layers import PatchEmbedding, TransformerEncoderBlock

POOLINGS = ("class_token", "mean")


@keras.saving.register_keras_serializable(package="attnflow")
class VisionTransformer(keras.Model):
    """Image classifier on a Transformer encoder (ViT, Dosovitskiy et al., 2021).

    images [B, H, W, C] -> standardized per channel (`pixel_mean`,
    `pixel_std`, kept in the model so that it reads raw pixel values) ->
    optionally a convolutional stem (3x3 convolutions with GELU, one per
    entry of `stem_channels`, a 2x2 max-pool between two of them: the
    "hybrid" input of Dosovitskiy et al., sec. 3.1, whose patches are cut
    from a CNN's feature map; early convolutions make small ViTs learn
    faster from little data, Xiao et al., 2021) ->
    PatchEmbedding (p x p patches, learned positions, a class token with
    pooling="class_token") -> dropout -> `num_layers` pre-norm (or
    post-norm) TransformerEncoderBlocks -> LayerNormalization -> the class
    token's vector, or the mean of the patch tokens -> dropout -> dense head.

    Args:
        num_classes: number of classes C (>= 2).
        patch_size: side p of the patches, in pixels of what the stem
            gives (default 4); H and W must be multiples of
            `pixel_patch_size` = p * 2^(len(stem_channels) - 1) with a stem.
        model_dim: width D of the encoder (default 64).
        num_heads: attention heads per block (default 4).
        intermediate_dim: feed-forward hidden size (default 128).
        num_layers: number of encoder blocks (default 4).
        dropout: dropout on the tokens, inside the blocks and before the
            head (default 0.0).
        attention_dropout: dropout on the attention weights (default 0.0).
        pooling: "class_token" (default) or "mean" (of the patch tokens; no
            class token is made).
        norm_first: pre-norm blocks (default True, as ViT) or post-norm.
        pixel_mean, pixel_std: per-channel statistics of the raw pixel
            values (C floats each), or None to read the images as given
            (default None).
        activation: of the head, "softmax" (default) or None for logits.
        stem_channels: filters of each convolution of the stem, e.g.
            [32, 64]; empty for none: patches of raw pixels, the plain ViT
            (default ()).
        seed: seed of the dropouts (default None).

    Call arguments:
        images: [B, H, W, C], any real dtype (uint8 pixels are fine).
        return_attention_scores: also return the attention weights
            (default False).
        training: whether dropout is applied.

    Returns:
        class probabilities [B, C] (logits with activation=None), and with
        `return_attention_scores` a dict: "blocks", the self-attention
        weights of every block [B, num_layers, H, T, T] over the T tokens
        (the class token first, then the patches row by row), and
        "pooling", the weight of each token in the pooled vector [B, T]
        (1 at the class token, or 1 / N at each patch). With num_layers=0
        "blocks" is empty: [B, 0, H, T, T].

    Example:
        >>> model = VisionTransformer(num_classes=10, patch_size=7, model_dim=32)
        >>> probs, attention = model(tf.zeros((2, 28, 28, 1)), return_attention_scores=True)
        >>> probs.shape, attention["blocks"].shape
        (TensorShape([2, 10]), TensorShape([2, 4, 4, 17, 17]))
    """

    def __init__(self, num_classes: int, patch_size: int = 4, model_dim: int = 64,
                 num_heads: int = 4, intermediate_dim: int = 128, num_layers: int = 4,
                 dropout: float = 0.0, attention_dropout: float = 0.0,
                 pooling: str = "class_token", norm_first: bool = True, pixel_mean=None,
                 pixel_std=None, activation: str | None = "softmax", stem_channels=(),
                 seed: int | None = None, **kwargs):
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
            fail("num_classes >= 2", num_classes=num_classes)
        check_positive_int("patch_size", patch_size)
        check_positive_int("model_dim", model_dim)
        check_positive_int("num_heads", num_heads)
        if model_dim % num_heads:
            fail(f"model_dim divisible by num_heads={num_heads}", model_dim=model_dim)
        check_positive_int("intermediate_dim", intermediate_dim)
        check_non_negative_int("num_layers", num_layers)
        check_rate("dropout", dropout)
        check_rate("attention_dropout", attention_dropout)
        check_choice("pooling", pooling, POOLINGS)
        check_choice("activation", activation, ("softmax", None))
        if isinstance(stem_channels, (str, bytes)) or not hasattr(stem_channels, "__iter__") \
                or not all(isinstance(c, int) and not isinstance(c, bool) and c > 0
                           for c in stem_channels):
            fail("stem_channels to be a list of positive integers (empty: no stem)",
                 stem_channels=stem_channels)
        stem_channels = [int(c) for c in stem_channels]
        pixel_mean, pixel_std = check_pixel_stats(pixel_mean, pixel_std)
        check_seed(seed)
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.patch_size = patch_size
        self.model_dim = model_dim
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.num_layers = num_layers
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.pooling = pooling
        self.norm_first = norm_first
        self.pixel_mean = pixel_mean
        self.pixel_std = pixel_std
        self.activation = activation
        self.stem_channels = stem_channels
        self.seed = seed

        self.stem = []
        for number, channels in enumerate(stem_channels):
            if number:
                self.stem.append(keras.layers.MaxPooling2D(name=f"stem_pool_{number}"))
            self.stem.append(keras.layers.Conv2D(channels, 3, padding="same", activation="gelu",
                                                 name=f"stem_conv_{number}"))
        self.patch_embedding = PatchEmbedding(patch_size, model_dim,
                                              class_token=pooling == "class_token",
                                              name="patch_embedding")
        self.embedding_dropout = keras.layers.Dropout(dropout, seed=seed, name="embedding_dropout")
        self.blocks = [
            TransformerEncoderBlock(
                num_heads, intermediate_dim, dropout=dropout, attention_dropout=attention_dropout,
                activation="gelu", norm_first=norm_first,
                seed=None if seed is None else seed + 10 * (i + 1), name=f"encoder_block_{i}")
            for i in range(num_layers)]
        self.final_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="final_norm")
        self.head_dropout = keras.layers.Dropout(dropout, seed=None if seed is None else seed + 1,
                                                 name="head_dropout")
        self.head = keras.layers.Dense(num_classes, activation=activation, dtype="float32",
                                       name="head")

    def call(self, images, return_attention_scores=False, training=None):
        x = self._standardize(images)  # [B, H, W, C]
        for layer in self.stem:
            x = layer(x)  # [B, H / 2^k, W / 2^k, stem_channels[k]]
        x = self.patch_embedding(x)  # [B, T, D]
        x = self.embedding_dropout(x, training=training)
        block_weights = []
        for block in self.blocks:
            x, weights = block(x, return_attention_scores=True,
                               training=training)  # [B, T, D], [B, H, T, T]
            block_weights.append(weights)
        x = self.final_norm(x)  # [B, T, D]
        pooled, pooling_weights = self._pool(x)  # [B, D], [B, T]
        probabilities = self.head(self.head_dropout(pooled, training=training))  # [B, C]
        if return_attention_scores:
            return probabilities, {"blocks": self._stack_blocks(block_weights, x),
                                   "pooling": pooling_weights}
        return probabilities

    @property
    def patch_grid(self) -> tuple[int, int]:
        """(rows, columns) of patches of the images the model was built for."""
        if not self.patch_embedding.built:
            fail("a built model (call it on images first)", built=False)
        return tuple(self.patch_embedding.grid)

    @property
    def pixel_patch_size(self) -> int:
        """Side of the image region of one patch, in pixels (the stem pools by 2 between convolutions)."""
        return self.patch_size * 2 ** max(len(self.stem_channels) - 1, 0)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(H, W, C) of the images the model was built for."""
        rows, columns = self.patch_grid
        if self.stem_channels:
            channels = self.stem[0].kernel.shape[2]  # [3, 3, C, stem_channels[0]]
        else:
            channels = self.patch_embedding.projection.kernel.shape[0] // self.patch_size ** 2
        return rows * self.pixel_patch_size, columns * self.pixel_patch_size, channels

    def _standardize(self, images):
        if len(images.shape) != 4:
            fail("images of shape [B, H, W, C]", input_shape=tuple(images.shape))
        side = self.pixel_patch_size
        height, width = images.shape[1], images.shape[2]
        if self.stem_channels and height is not None and width is not None and (
                height < side or width < side or height % side or width % side):
            fail(f"image height and width that are multiples of {side} (patch_size={self.patch_size} "
                 f"after a stem that pools by {side // self.patch_size})", input_shape=tuple(images.shape))
        x = tf.cast(images, tf.float32)  # [B, H, W, C]
        if self.pixel_mean is not None:
            if images.shape[-1] not in (None, len(self.pixel_mean)):
                fail(f"images with {len(self.pixel_mean)} channels, as in pixel_mean",
                     input_shape=tuple(images.shape))
            x = (x - tf.constant(self.pixel_mean)) / tf.constant(self.pixel_std)
        return tf.cast(x, self.compute_dtype)

    def _pool(self, x):
        """The pooled vector [B, D] and each token's weight in it [B, T]."""
        batch, tokens = tf.shape(x)[0], tf.shape(x)[1]
        if self.pooling == "class_token":
            weights = tf.one_hot(tf.zeros([batch], tf.int32), tokens)  # [B, T]
            return x[:, 0], weights
        weights = tf.fill(tf.stack([batch, tokens]), 1.0 / tf.cast(tokens, tf.float32))  # [B, T]
        return tf.reduce_mean(x, axis=1), weights

    def _stack_blocks(self, block_weights, x):
        """The blocks' weights [B, num_layers, H, T, T] ([B, 0, H, T, T] without blocks)."""
        if block_weights:
            return tf.cast(tf.stack(block_weights, axis=1), tf.float32)
        batch, tokens = tf.shape(x)[0], tf.shape(x)[1]
        return tf.zeros(tf.stack([batch, 0, self.num_heads, tokens, tokens]), tf.float32)

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "patch_size": self.patch_size,
            "model_dim": self.model_dim,
            "num_heads": self.num_heads,
            "intermediate_dim": self.intermediate_dim,
            "num_layers": self.num_layers,
            "dropout": self.dropout,
            "attention_dropout": self.attention_dropout,
            "pooling": self.pooling,
            "norm_first": self.norm_first,
            "pixel_mean": self.pixel_mean,
            "pixel_std": self.pixel_std,
            "activation": self.activation,
            "stem_channels": self.stem_channels,
            "seed": self.seed,
        }


def check_pixel_stats(pixel_mean, pixel_std):
    """The per-channel statistics as lists of floats (or both None)."""
    if (pixel_mean is None) != (pixel_std is None):
        fail("pixel_mean and pixel_std both given or both None",
             pixel_mean=pixel_mean, pixel_std=pixel_std)
    if pixel_mean is None:
        return None, None
    mean = [float(v) for v in np.ravel(pixel_mean)]
    std = [float(v) for v in np.ravel(pixel_std)]
    if not mean or len(mean) != len(std) or not np.all(np.isfinite(mean)):
        fail("pixel_mean and pixel_std of one value per channel, finite",
             pixel_mean=mean, pixel_std=std)
    if not all(np.isfinite(s) and s > 0 for s in std):
        fail("pixel_std > 0 for every channel", pixel_std=std)
    return mean, std
