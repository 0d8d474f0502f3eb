"""TransformerClassifier: embedding + positions -> Transformer encoder -> masked pooling -> head."""

from __future__ import annotations

import keras
import tensorflow as tf

from attnflow._validation import check_choice, check_non_negative_int, check_positive_int, check_rate, check_seed, fail
from attnflow.layers import MaskedPooling, PositionalEmbedding, TransformerEncoderBlock
from attnflow.layers.positional_embedding import KINDS
from attnflow.models._inputs import check_feature_stats, check_num_features, mask_missing_steps
from attnflow.models.rnn_with_attention import check_l2

POOLINGS = ("mean", "attention", "mean_attention")
POSITIONALS = (*KINDS, "none")


@keras.saving.register_keras_serializable(package="attnflow")
class TransformerClassifier(keras.Model):
    """Sequence classifier on a Transformer encoder.

    token ids [B, T] -> PositionalEmbedding (id 0 = padding), or numeric
    features [B, T, F] (NaN marks padded or missing steps) -> Dense input
    projection -> PositionalEmbedding -> dropout -> `num_layers`
    TransformerEncoderBlocks (pre- or post-norm) -> masked pooling ("mean"
    or "attention") -> dropout -> dense head. Padded positions are never
    attended to and never pooled.

    With num_layers=0 and positional="none" it is a bag of embeddings
    pooled by attention (Yang et al., 2016, without the RNN): the pooling
    weights say directly which tokens the decision rests on. On small text
    sets (a few thousand documents) this, with token_dropout and word-pair
    tokens, generalizes better than an encoder stack.

    Args:
        num_classes: number of classes C (>= 2).
        vocabulary_size: number of token ids (id 0 = padding) for text, or
            None for numeric inputs (default None).
        max_length: longest sequence; required with positional="learned"
            (default None).
        model_dim: width D of the encoder (default 64).
        num_heads: attention heads per block (default 4).
        intermediate_dim: feed-forward hidden size (default 128).
        num_layers: number of encoder blocks (default 2); 0 pools the
            (position-added) embeddings directly.
        dropout: dropout on embeddings, inside the blocks and before the
            head (default 0.1).
        embedding_dropout: dropout on the embeddings alone (default None:
            `dropout`).
        token_dropout: in training, the fraction of positions whose whole
            embedding is zeroed (the rest scaled up), so the model cannot
            lean on a few tokens (default 0.0, off).
        attention_dropout: dropout on the attention weights (default 0.0).
        norm_first: pre-norm blocks (with a final LayerNormalization) when
            True (default), post-norm when False; no effect without blocks.
        positional: "sinusoidal" (default) or "learned" positions, or
            "none" (token embeddings or the input projection alone).
        pooling: "mean" (default), "attention" (a learned query attends
            over the positions) or "mean_attention" (both vectors
            concatenated, [B, 2D]; the attention's weights are returned).
        l2: L2 factor on the head's kernel (default 0.0, none).
        activation: of the head, "softmax" (default) or None for logits.
        feature_mean, feature_std: per-feature statistics that standardize
            numeric inputs inside the model (default None, inputs as given).
        seed: seed of the dropouts (default None).

    Call arguments:
        inputs: token ids [B, T] or features [B, T, F].
        return_attention_scores: also return the attention weights
            (default False).
        training: whether dropout is applied.

    Returns:
        class probabilities [B, C] (logits with activation=None), and with
        `return_attention_scores` a dict of two tensors (so it can be a
        SavedModel signature's output as it is): "blocks", the
        self-attention weights of every block [B, num_layers, H, T, T], and
        "pooling", the weight of each position in the pooled vector [B, T].
        With num_layers=0 "blocks" is empty: [B, 0, H, T, T].

    Example:
        >>> model = TransformerClassifier(num_classes=2, vocabulary_size=100, model_dim=16)
        >>> probs, attention = model(tf.constant([[5, 9, 2, 0]]), return_attention_scores=True)
        >>> probs.shape, attention["blocks"].shape, attention["pooling"].shape
        (TensorShape([1, 2]), TensorShape([1, 2, 4, 4, 4]), TensorShape([1, 4]))
    """

    def __init__(self, num_classes: int, vocabulary_size: int | None = None,
                 max_length: int | None = None, model_dim: int = 64, num_heads: int = 4,
                 intermediate_dim: int = 128, num_layers: int = 2, dropout: float = 0.1,
                 attention_dropout: float = 0.0, norm_first: bool = True,
                 positional: str = "sinusoidal", pooling: str = "mean", l2: float = 0.0,
                 activation: str | None = "softmax", feature_mean=None, feature_std=None,
                 seed: int | None = None, embedding_dropout: float | None = None,
                 token_dropout: float = 0.0, **kwargs):
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
            fail("num_classes >= 2", num_classes=num_classes)
        check_positive_int("vocabulary_size", vocabulary_size, allow_none=True)
        check_positive_int("max_length", max_length, allow_none=True)
        check_positive_int("model_dim", model_dim)
        check_positive_int("num_heads", num_heads)
        if model_dim % num_heads:
            fail(f"model_dim divisible by num_heads={num_heads}", model_dim=model_dim)
        check_positive_int("intermediate_dim", intermediate_dim)
        check_non_negative_int("num_layers", num_layers)
        check_rate("dropout", dropout)
        check_rate("attention_dropout", attention_dropout)
        if embedding_dropout is not None:
            check_rate("embedding_dropout", embedding_dropout)
        check_rate("token_dropout", token_dropout)
        check_choice("positional", positional, POSITIONALS)
        if positional == "learned" and max_length is None:
            fail('max_length with positional="learned"', max_length=max_length)
        check_choice("pooling", pooling, POOLINGS)
        check_l2(l2)
        check_choice("activation", activation, ("softmax", None))
        feature_mean, feature_std = check_feature_stats(feature_mean, feature_std)
        if vocabulary_size is not None and feature_mean is not None:
            fail("feature_mean/feature_std only for numeric inputs (vocabulary_size=None)",
                 vocabulary_size=vocabulary_size)
        check_seed(seed)
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.vocabulary_size = vocabulary_size
        self.max_length = max_length
        self.model_dim = model_dim
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.num_layers = num_layers
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.norm_first = norm_first
        self.positional = positional
        self.pooling = pooling
        self.l2 = l2
        self.activation = activation
        self.feature_mean = feature_mean
        self.feature_std = feature_std
        self.seed = seed
        self.embedding_dropout_rate = embedding_dropout
        self.token_dropout = token_dropout

        if vocabulary_size is None:
            self.input_projection = keras.layers.Dense(model_dim, name="input_projection")
        if positional == "none":
            if vocabulary_size is not None:
                self.token_embedding = keras.layers.Embedding(vocabulary_size, model_dim,
                                                              name="token_embedding")
        else:
            self.positional_embedding = PositionalEmbedding(
                model_dim, vocabulary_size=vocabulary_size, max_length=max_length, kind=positional,
                mask_zero=vocabulary_size is not None, name="positional_embedding")
        self.embedding_dropout = keras.layers.Dropout(
            dropout if embedding_dropout is None else embedding_dropout, seed=seed,
            name="embedding_dropout")
        # one draw per position, broadcast over the features: whole tokens are dropped
        self.token_dropout_layer = keras.layers.Dropout(
            token_dropout, noise_shape=(None, None, 1), seed=None if seed is None else seed + 2,
            name="token_dropout")
        self.blocks = [
            TransformerEncoderBlock(
                num_heads, intermediate_dim, dropout=dropout, attention_dropout=attention_dropout,
                norm_first=norm_first, seed=None if seed is None else seed + 10 * (i + 1),
                name=f"encoder_block_{i}")
            for i in range(num_layers)]
        if norm_first and num_layers:
            self.final_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")
        if pooling == "mean_attention":
            self.mean_pooling = MaskedPooling("mean", name="mean_pooling")
        self.pooling_layer = MaskedPooling("mean" if pooling == "mean" else "attention",
                                           name="pooling")
        self.head_dropout = keras.layers.Dropout(dropout, seed=None if seed is None else seed + 1,
                                                 name="head_dropout")
        self.head = keras.layers.Dense(
            num_classes, activation=activation, dtype="float32", name="head",
            kernel_regularizer=keras.regularizers.L2(l2) if l2 > 0 else None)

    def call(self, inputs, return_attention_scores=False, training=None):
        x, mask = self._embed(inputs)  # [B, T, D], [B, T]
        x = self.embedding_dropout(x, training=training)
        if self.token_dropout:
            x = self.token_dropout_layer(x, training=training)
        block_weights = []
        for block in self.blocks:
            x, weights = block(x, mask=mask, return_attention_scores=True,
                               training=training)  # [B, T, D], [B, H, T, T]
            block_weights.append(weights)
        if self.norm_first and self.num_layers:
            x = self.final_norm(x)
        pooled, pooling_weights = self.pooling_layer(
            x, mask=mask, return_attention_scores=True)  # [B, D], [B, T]
        if self.pooling == "mean_attention":
            pooled = tf.concat([self.mean_pooling(x, mask=mask), pooled], axis=-1)  # [B, 2D]
        probabilities = self.head(self.head_dropout(pooled, training=training))  # [B, C]
        if return_attention_scores:
            return probabilities, {"blocks": self._stack_blocks(block_weights, x),
                                   "pooling": pooling_weights}
        return probabilities

    def _stack_blocks(self, block_weights, x):
        """The blocks' weights [B, num_layers, H, T, T] ([B, 0, H, T, T] without blocks)."""
        if block_weights:
            return tf.stack(block_weights, axis=1)
        batch, length = tf.shape(x)[0], tf.shape(x)[1]
        return tf.zeros(tf.stack([batch, 0, self.num_heads, length, length]), tf.float32)

    def _embed(self, inputs):
        if self.vocabulary_size is not None:
            if len(inputs.shape) != 2:
                fail("token ids [B, T] when vocabulary_size is set", input_shape=tuple(inputs.shape))
            ids = tf.cast(inputs, tf.int32)  # [B, T]
            embed = self.token_embedding if self.positional == "none" else self.positional_embedding
            return tf.identity(embed(ids)), tf.not_equal(ids, 0)  # [B, T, D], [B, T]
        check_num_features(inputs.shape, self.feature_mean)
        values, mask = mask_missing_steps(inputs, self.feature_mean, self.feature_std,
                                          self.compute_dtype)  # [B, T, F], [B, T]
        projected = self.input_projection(values)  # [B, T, D]
        if self.positional == "none":
            return projected, mask
        return self.positional_embedding(projected), mask

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "vocabulary_size": self.vocabulary_size,
            "max_length": self.max_length,
            "model_dim": self.model_dim,
            "num_heads": self.num_heads,
            "intermediate_dim": self.intermediate_dim,
            "num_layers": self.num_layers,
            "dropout": self.dropout,
            "attention_dropout": self.attention_dropout,
            "norm_first": self.norm_first,
            "positional": self.positional,
            "pooling": self.pooling,
            "l2": self.l2,
            "activation": self.activation,
            "feature_mean": self.feature_mean,
            "feature_std": self.feature_std,
            "seed": self.seed,
            "embedding_dropout": self.embedding_dropout_rate,
            "token_dropout": self.token_dropout,
        }
