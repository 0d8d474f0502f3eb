"""RNNWithAttention: embedding -> [convolutions] -> RNN -> attention over its outputs -> classifier head."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import keras
import tensorflow as tf

from attnflow._validation import check_choice, check_positive_int, check_rate, fail
from attnflow.layers import BahdanauAttention, DotProductAttention, MaskedPooling, MultiHeadAttention
from attnflow.models._classifier_config import ClassifierConfig, set_config_attributes
from attnflow.models._inputs import check_num_features, mask_missing_steps
from attnflow.models._members import SeedEnsemble

ATTENTIONS = ("bahdanau", "luong", "multihead", "none")
RNN_TYPES = ("simple", "gru", "lstm", "none")
_RNN_LAYERS = {"simple": keras.layers.SimpleRNN, "gru": keras.layers.GRU, "lstm": keras.layers.LSTM}


@dataclass
class RNNWithAttentionConfig(ClassifierConfig):
    """The settings of an `RNNWithAttention`, with their defaults (and those of `ClassifierConfig`)."""

    embedding_dim: int = 64  # size of the token embeddings (token inputs only)
    conv_filters: tuple | list = ()  # filters of the convolutions before the RNN; (): none
    conv_kernel_sizes: tuple | list = ()  # their kernel sizes ((): 5 each)
    rnn_type: str = "gru"  # "simple" | "gru" | "lstm" | "none" (the convolutions' outputs, mean as state)
    units: int = 64  # U, the RNN's size
    bidirectional: bool = False  # read both ways: outputs and state of size 2U
    attention: str = "bahdanau"  # "bahdanau" | "luong" (general score) | "multihead" | "none"
    attention_units: int | None = None  # hidden size of the Bahdanau score network (None: the RNN output size)
    num_heads: int = 4  # heads of "multihead"
    attention_dropout: float = 0.0  # dropout on the attention weights (training only)
    context_dropout: float = 0.0  # chance that an example's whole context is dropped (training only)
    concat_state: bool = True  # the head reads the final state next to the context (Luong et al.)
    members: int = 1  # a seed ensemble of this many networks (numeric inputs only); 1: one network

    def __post_init__(self):
        super().__post_init__()
        check_positive_int("embedding_dim", self.embedding_dim)
        self.conv_filters, self.conv_kernel_sizes = _conv_layers(self.conv_filters, self.conv_kernel_sizes)
        check_choice("rnn_type", self.rnn_type, RNN_TYPES)
        if self.rnn_type == "none" and not self.conv_filters:
            fail("conv_filters with rnn_type='none' (the convolutions are then the encoder)",
                 rnn_type=self.rnn_type, conv_filters=self.conv_filters)
        check_positive_int("units", self.units)
        check_choice("attention", self.attention, ATTENTIONS)
        check_positive_int("attention_units", self.attention_units, allow_none=True)
        check_positive_int("num_heads", self.num_heads)
        check_rate("attention_dropout", self.attention_dropout)
        check_rate("context_dropout", self.context_dropout)
        if self.context_dropout and not self.concat_state and self.attention != "none":
            fail("concat_state=True with context_dropout (a dropped context leaves the head the "
                 "final state alone)", context_dropout=self.context_dropout, concat_state=self.concat_state)
        check_positive_int("members", self.members)
        if self.members > 1 and self.vocabulary_size is not None:
            fail("members=1 for token inputs (a seed ensemble reads numeric features only)",
                 members=self.members, vocabulary_size=self.vocabulary_size)


def _conv_layers(filters, kernel_sizes) -> tuple[list[int], list[int]]:
    """The checked filters and kernel sizes of the convolutional front end."""
    for name, values in (("conv_filters", filters), ("conv_kernel_sizes", kernel_sizes)):
        if not isinstance(values, (list, tuple)) or any(
                isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in values):
            fail(f"{name} to be a list of positive integers", **{name: values})
    if kernel_sizes and len(kernel_sizes) != len(filters):
        fail(f"one kernel size per convolution ({len(filters)}), or none (5 each)",
             conv_kernel_sizes=list(kernel_sizes))
    return list(filters), list(kernel_sizes) or [5] * len(filters)


@keras.saving.register_keras_serializable(package="attnflow")
class RNNWithAttention(SeedEnsemble, keras.Model):
    """Sequence classifier: an RNN whose outputs are pooled by attention.

    token ids [B, T] -> Embedding(mask_zero=True), or numeric features
    [B, T, F] (NaN marks padded or missing steps) -> optional convolutions
    (Conv1D "same" -> BatchNormalization -> ReLU per layer, padded steps
    kept at 0) -> SimpleRNN/GRU/LSTM returning its outputs [B, T, U] and
    final state [B, U] (rnn_type="none": the convolutions' outputs, and
    their mean over the real steps as the state) -> attention with the
    state as query over the outputs -> [context; state] -> dropout -> dense
    head. With attention="none" the head reads the state alone: the same
    network without attention, for comparison. Padded steps never enter
    the state nor the attention. The arguments are the fields of
    `RNNWithAttentionConfig`, checked there.

    Args:
        num_classes: number of classes C (>= 2).
        vocabulary_size: number of token ids (id 0 = padding) for text, or
            None for numeric inputs (default None).
        embedding_dim: size of the token embeddings (default 64).
        conv_filters: filters of the convolutions before the RNN, one per
            layer (default [], none). Convolutions help long numeric series:
            the RNN (or the attention) then reads local shapes, not values.
        conv_kernel_sizes: their kernel sizes (default [], 5 each).
        rnn_type: "simple", "gru" (default), "lstm" or "none" (needs
            conv_filters; U is then the last layer's filters).
        units: RNN size U (default 64).
        bidirectional: read the sequence both ways (outputs and state of
            size 2U, default False).
        attention: "bahdanau" (default, additive), "luong" (general score
            q W k), "multihead" (attnflow MultiHeadAttention) or "none".
        attention_units: hidden size of the Bahdanau score network
            (default: the RNN output size).
        num_heads: heads of "multihead" (default 4).
        attention_dropout: dropout on the attention weights while training
            (default 0.0): the pooling cannot lean on a few steps alone.
        context_dropout: the chance, while training, that an example's whole
            attention context is dropped (set to 0, the kept ones scaled by
            1 / (1 - rate)), so that the head reads the final state alone
            (default 0.0; nothing to drop without attention). The head must
            then classify from the state as well as from the context, which
            keeps a network trained on tens of series from leaning on the
            few steps its attention picks (docs/small-data.md).
        concat_state: feed the head the final state next to the attention
            context, as Luong et al. do (default True); False gives the
            context-only head of the TensorFlow tutorials.
        dropout: dropout before the head (default 0.0).
        l2: L2 factor on the head's kernel (default 0.0, none).
        activation: of the head, "softmax" (default) or None for logits.
        feature_mean, feature_std: per-feature statistics that standardize
            numeric inputs inside the model (default None, inputs as given).
        seed: seed of the dropout (default None).
        members: a seed ensemble of this many copies of the network
            (seeds seed..seed+members-1; numeric inputs only), trained in one
            `fit`, each member getting exactly the gradient of its own loss;
            the probabilities and the attention weights are the members'
            means (default 1, one network). Small data sets spread single
            runs widely; the mean of several is steadier.

    Call arguments:
        inputs: token ids [B, T] or features [B, T, F].
        return_attention_scores: also return the attention weights
            (default False).
        training: whether dropout is applied.

    Returns:
        class probabilities [B, C] (logits with activation=None), and with
        `return_attention_scores` the weights over time steps: [B, T] for
        "bahdanau" and "luong", [B, H, T] for "multihead", None for "none".

    Example:
        >>> model = RNNWithAttention(num_classes=3, vocabulary_size=100)
        >>> probs, weights = model(tf.constant([[5, 9, 2, 0]]), return_attention_scores=True)
        >>> probs.shape, weights.shape
        (TensorShape([1, 3]), TensorShape([1, 4]))
    """

    def __init__(self, num_classes: int, vocabulary_size: int | None = None,
                 embedding_dim: int = 64, rnn_type: str = "gru", units: int = 64,
                 bidirectional: bool = False, attention: str = "bahdanau",
                 attention_units: int | None = None, num_heads: int = 4,
                 concat_state: bool = True, dropout: float = 0.0,
                 l2: float = 0.0, activation: str | None = "softmax",
                 feature_mean=None, feature_std=None, seed: int | None = None,
                 conv_filters=(), conv_kernel_sizes=(), attention_dropout: float = 0.0,
                 members: int = 1, context_dropout: float = 0.0, **kwargs):
        config = RNNWithAttentionConfig.from_arguments(locals())
        super().__init__(**kwargs)
        self.config = config
        set_config_attributes(self, config)
        self._member_outputs = None  # (mean, [B, C, N]) of the last training call
        self.member_models = [
            RNNWithAttention(**{**dataclasses.asdict(config), "members": 1,
                                "seed": None if seed is None else seed + number}, name=f"member_{number}")
            for number in range(members)] if members > 1 else []
        if not self.member_models:
            self._create_layers()

    def _create_layers(self):
        if self.vocabulary_size is not None:
            self.embedding = keras.layers.Embedding(self.vocabulary_size, self.embedding_dim,
                                                    mask_zero=True, name="embedding")
        self.convolutions = [
            (keras.layers.Conv1D(filters, size, padding="same", name=f"conv_{number}"),
             keras.layers.BatchNormalization(name=f"conv_{number}_norm"))
            for number, (filters, size) in enumerate(zip(self.conv_filters, self.conv_kernel_sizes))]
        if self.rnn_type == "none":
            self.rnn, hidden = None, self.conv_filters[-1]
            self.mean_pooling = MaskedPooling("mean", name="mean_pooling")
        else:
            rnn = _RNN_LAYERS[self.rnn_type](self.units, return_sequences=True, return_state=True,
                                             name=self.rnn_type)
            self.rnn = keras.layers.Bidirectional(rnn, name="bidirectional") if self.bidirectional else rnn
            hidden = 2 * self.units if self.bidirectional else self.units
        if self.attention == "bahdanau":
            self.attention_layer = BahdanauAttention(self.attention_units or hidden, name="attention",
                                                     dropout=self.attention_dropout, seed=self.seed)
        elif self.attention == "luong":
            self.attention_layer = DotProductAttention(score="general", name="attention",
                                                       dropout=self.attention_dropout, seed=self.seed)
        elif self.attention == "multihead":
            self.attention_layer = MultiHeadAttention(self.num_heads, max(1, hidden // self.num_heads),
                                                      dropout=self.attention_dropout, seed=self.seed,
                                                      name="attention")
        self.dropout_layer = keras.layers.Dropout(self.dropout, seed=self.seed, name="dropout")
        self.context_dropout_layer = None  # made only when used: models without it are built as before
        if self.context_dropout and self.attention != "none":
            self.context_dropout_layer = keras.layers.Dropout(  # one draw per example: [B, 1]
                self.context_dropout, noise_shape=(None, 1), seed=self.seed, name="context_dropout")
        self.head = keras.layers.Dense(
            self.num_classes, activation=self.activation, dtype="float32", name="head",
            kernel_regularizer=keras.regularizers.L2(self.l2) if self.l2 > 0 else None)

    def call(self, inputs, return_attention_scores=False, training=None):
        if self.member_models:
            return self._call_members(inputs, training, return_attention_scores)
        sequence, mask = self._embed(inputs)  # [B, T, E], [B, T]
        outputs, state = self._encode(sequence, mask, training)  # [B, T, U], [B, U]
        features, weights = self._attend(outputs, state, mask, training)  # [B, U], weights
        if self.context_dropout_layer is not None:
            features = self.context_dropout_layer(features, training=training)  # [B, U]
        if self.concat_state and self.attention != "none":
            features = tf.concat([features, state], axis=-1)  # [B, 2U]
        probabilities = self.head(self.dropout_layer(features, training=training))  # [B, C]
        if return_attention_scores:
            return probabilities, weights
        return probabilities

    def _embed(self, inputs):
        if self.vocabulary_size is not None:
            if len(inputs.shape) != 2:
                fail("token ids [B, T] when vocabulary_size is set", input_shape=tuple(inputs.shape))
            ids = tf.cast(inputs, tf.int32)  # [B, T]
            return self.embedding(ids), tf.not_equal(ids, 0)  # [B, T, E], [B, T]
        check_num_features(inputs.shape, self.feature_mean)
        return mask_missing_steps(inputs, self.feature_mean, self.feature_std, self.compute_dtype)

    def _encode(self, sequence, mask, training=None):
        """RNN outputs [B, T, U] and final hidden state [B, U] (both directions concatenated)."""
        keep = tf.cast(mask, sequence.dtype)[..., None]  # [B, T, 1]
        for convolution, norm in self.convolutions:
            sequence = convolution(sequence)  # [B, T, filters]
            sequence = tf.nn.relu(norm(sequence, training=training, mask=mask)) * keep
        if self.rnn is None:
            return sequence, self.mean_pooling(sequence, mask=mask)  # [B, T, U], [B, U]
        results = self.rnn(sequence, mask=mask)
        outputs, states = results[0], results[1:]
        if self.rnn_type == "lstm":  # [h, c] per direction: the hidden state h is the query
            states = states[::2]
        return outputs, tf.concat(states, axis=-1) if len(states) > 1 else states[0]

    def _attend(self, outputs, state, mask, training=None):
        """Context vector [B, U] of the outputs, queried by the final state."""
        if self.attention == "none":
            return state, None
        if self.attention == "bahdanau":
            return self.attention_layer(state, outputs, value_mask=mask, return_attention_scores=True,
                                        training=training)  # [B, U], [B, T]
        context, weights = self.attention_layer(
            state[:, None, :], outputs, value_mask=mask, return_attention_scores=True,
            training=training)  # [B, 1, U], [B, 1, T] or [B, H, 1, T]
        return context[:, 0], (weights[:, 0] if self.attention == "luong" else weights[:, :, 0])

    def get_config(self):
        return {**super().get_config(), **dataclasses.asdict(self.config)}
