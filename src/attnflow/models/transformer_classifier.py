"""TransformerClassifier: embedding + positions -> Transformer encoder -> masked pooling -> head."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import keras
import tensorflow as tf

from attnflow._validation import check_choice, check_non_negative_int, check_positive_int, check_rate, fail
from attnflow.layers import MaskedPooling, PositionalEmbedding, TransformerEncoderBlock
from attnflow.layers.positional_embedding import KINDS
from attnflow.models._classifier_config import ClassifierConfig, set_config_attributes
from attnflow.models._inputs import check_num_features, mask_missing_steps

POOLINGS = ("mean", "attention", "mean_attention")
POSITIONALS = (*KINDS, "none")


@dataclass
class TransformerClassifierConfig(ClassifierConfig):
    """The settings of a `TransformerClassifier`, with their defaults (and those of `ClassifierConfig`)."""

    max_length: int | None = None  # longest sequence; needed by positional="learned"
    model_dim: int = 64  # D, the encoder's width
    num_heads: int = 4  # attention heads per block (must divide model_dim)
    intermediate_dim: int = 128  # feed-forward hidden size
    num_layers: int = 2  # encoder blocks; 0 pools the (position-added) embeddings directly
    dropout: float = 0.1  # on the embeddings, inside the blocks and before the head
    attention_dropout: float = 0.0  # on the attention weights
    norm_first: bool = True  # pre-norm blocks and a final LayerNormalization; False: post-norm
    positional: str = "sinusoidal"  # "sinusoidal" | "learned" | "none"
    pooling: str = "mean"  # "mean" | "attention" | "mean_attention" (both, concatenated)
    embedding_dropout: float | None = None  # on the embeddings alone (None: dropout)
    token_dropout: float = 0.0  # in training, the fraction of positions zeroed whole

    def __post_init__(self):
        super().__post_init__()
        check_positive_int("max_length", self.max_length, allow_none=True)
        check_positive_int("model_dim", self.model_dim)
        check_positive_int("num_heads", self.num_heads)
        if self.model_dim % self.num_heads:
            fail(f"model_dim divisible by num_heads={self.num_heads}", model_dim=self.model_dim)
        check_positive_int("intermediate_dim", self.intermediate_dim)
        check_non_negative_int("num_layers", self.num_layers)
        check_rate("attention_dropout", self.attention_dropout)
        if self.embedding_dropout is not None:
            check_rate("embedding_dropout", self.embedding_dropout)
        check_rate("token_dropout", self.token_dropout)
        check_choice("positional", self.positional, POSITIONALS)
        if self.positional == "learned" and self.max_length is None:
            fail('max_length with positional="learned"', max_length=self.max_length)
        check_choice("pooling", self.pooling, POOLINGS)


@keras.saving.register_keras_serializable(package="attnflow")
class TransformerClassifier(keras.Model):
    """Sequence classifier on a Transformer encoder.

    token ids [B, T] -> PositionalEmbedding (id 0 = padding), or numeric
    features [B, T, F] (NaN marks padded or missing steps) -> Dense input
    projection -> PositionalEmbedding -> dropout -> `num_layers`
    TransformerEncoderBlocks (pre- or post-norm) -> masked pooling ("mean"
    or "attention") -> dropout -> dense head. Padded positions are never
    attended to and never pooled. The arguments are the fields of
    `TransformerClassifierConfig`, checked there.

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
        config = TransformerClassifierConfig.from_arguments(locals())
        super().__init__(**kwargs)
        self.config = config
        # embedding_dropout names the Dropout layer; its rate is embedding_dropout_rate.
        set_config_attributes(self, config, renamed={"embedding_dropout": "embedding_dropout_rate"})
        self._create_layers()

    def _create_layers(self):
        seed = self.seed
        if self.vocabulary_size is None:
            self.input_projection = keras.layers.Dense(self.model_dim, name="input_projection")
        if self.positional == "none":
            if self.vocabulary_size is not None:
                self.token_embedding = keras.layers.Embedding(self.vocabulary_size, self.model_dim,
                                                              name="token_embedding")
        else:
            self.positional_embedding = PositionalEmbedding(
                self.model_dim, vocabulary_size=self.vocabulary_size, max_length=self.max_length,
                kind=self.positional, mask_zero=self.vocabulary_size is not None, name="positional_embedding")
        self.embedding_dropout = keras.layers.Dropout(
            self.dropout if self.embedding_dropout_rate is None else self.embedding_dropout_rate, seed=seed,
            name="embedding_dropout")
        # one draw per position, broadcast over the features: whole tokens are dropped
        self.token_dropout_layer = keras.layers.Dropout(
            self.token_dropout, noise_shape=(None, None, 1), seed=None if seed is None else seed + 2,
            name="token_dropout")
        self.blocks = [
            TransformerEncoderBlock(
                self.num_heads, self.intermediate_dim, dropout=self.dropout,
                attention_dropout=self.attention_dropout, norm_first=self.norm_first,
                seed=None if seed is None else seed + 10 * (i + 1), name=f"encoder_block_{i}")
            for i in range(self.num_layers)]
        if self.norm_first and self.num_layers:
            self.final_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")
        if self.pooling == "mean_attention":
            self.mean_pooling = MaskedPooling("mean", name="mean_pooling")
        self.pooling_layer = MaskedPooling("mean" if self.pooling == "mean" else "attention",
                                           name="pooling")
        self.head_dropout = keras.layers.Dropout(self.dropout, seed=None if seed is None else seed + 1,
                                                 name="head_dropout")
        self.head = keras.layers.Dense(
            self.num_classes, activation=self.activation, dtype="float32", name="head",
            kernel_regularizer=keras.regularizers.L2(self.l2) if self.l2 > 0 else None)

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
        return {**super().get_config(), **dataclasses.asdict(self.config)}
