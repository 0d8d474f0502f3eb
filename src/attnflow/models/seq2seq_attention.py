"""Seq2SeqAttention: an encoder-decoder translator with attention, reading and writing text."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from attnflow._validation import check_choice, check_positive_int, check_rate, fail
from attnflow.layers import BahdanauAttention, DotProductAttention, MultiHeadAttention
from attnflow.models import _char_codec as codec
from attnflow.models._beam_search import beam_search

ATTENTIONS = ("bahdanau", "luong-dot", "luong-general", "multihead", "none")


@dataclass
class Seq2SeqConfig:
    """Hyperparameters of Seq2SeqAttention (the defaults train the dates demo)."""

    embedding_dim: int = 48  # size of the character embeddings, source and target
    encoder_units: int = 64  # units of each direction of the bidirectional encoder
    decoder_units: int = 128  # decoder RNN units; "luong-dot" needs 2 * encoder_units
    rnn: str = "gru"  # "gru" or "lstm", encoder and decoder
    attention: str = "bahdanau"  # one of ATTENTIONS; "none": encoder final state only
    attention_units: int = 64  # hidden size of the Bahdanau score network
    num_heads: int = 2  # heads of "multihead"; must divide decoder_units
    dropout: float = 0.0  # on the embeddings and on the attentional vector
    max_output_length: int = 16  # decoding stops after this many tokens, end token included
    lowercase_source: bool = True  # inputs are lowercased before their characters are looked up

    def __post_init__(self):
        for name in ("embedding_dim", "encoder_units", "decoder_units", "attention_units",
                     "num_heads", "max_output_length"):
            check_positive_int(name, getattr(self, name))
        check_choice("rnn", self.rnn, ("gru", "lstm"))
        check_choice("attention", self.attention, ATTENTIONS)
        check_rate("dropout", self.dropout)
        if self.attention == "luong-dot" and self.decoder_units != 2 * self.encoder_units:
            fail('decoder_units == 2 * encoder_units with attention="luong-dot"',
                 decoder_units=self.decoder_units, encoder_units=self.encoder_units)
        if self.attention == "multihead" and self.decoder_units % self.num_heads:
            fail("num_heads to divide decoder_units", num_heads=self.num_heads,
                 decoder_units=self.decoder_units)

    @classmethod
    def from_dict(cls, values: dict) -> "Seq2SeqConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            fail(f"model settings among {sorted(names)}", unknown=unknown)
        return cls(**values)


class Translation(NamedTuple):
    """One decoded input: the output text, its tokens, the source tokens, and
    the attention weights [len(output_tokens) + 1, len(source_tokens)], the
    last row the end token's (without it when decoding hit max_output_length)."""

    text: str
    output_tokens: list
    source_tokens: list
    attention: np.ndarray


@keras.saving.register_keras_serializable(package="attnflow")
class Seq2SeqAttention(keras.Model):
    """Character-level encoder-decoder with attention (Bahdanau et al., 2015;
    Luong et al., 2015), strings in and strings out.

    A bidirectional GRU/LSTM encodes the source characters. The decoder RNN
    starts from the encoder's final states; at every output step its state
    attends to the encoder outputs (`config.attention`: "bahdanau",
    "luong-dot", "luong-general", "multihead", or "none" for the final state
    alone), and tanh(W [state; context]) predicts the next character. Training
    uses teacher forcing; `translate` decodes greedily or by beam search.
    The vocabularies live in the model, so a saved model reads text.

    Args:
        source_vocabulary: source characters (ids 2.. in order).
        target_vocabulary: target characters; the start and end tokens are
            appended.
        config: a Seq2SeqConfig or a dict of its fields (default: defaults).

    Call arguments:
        inputs: a tuple (source_ids [B, S], target_input_ids [B, T]) of int
            ids, 0 = padding; target inputs start with `start_id`.
        training: whether dropout is applied.
        return_attention_scores: also return the weights.

    Returns:
        logits [B, T, target_vocab_size], and with `return_attention_scores`
        the weights [B, T, S] (averaged over heads for "multihead", zeros for
        "none").

    Example:
        >>> model = Seq2SeqAttention(list("0123456789/"), list("0123456789-"))
        >>> source = model.encode_source(["3/7/98"])           # [1, 6]
        >>> target_in, target_out = model.encode_target(["1998-03-07"])  # [1, 11] each
        >>> model((source, target_in)).shape
        TensorShape([1, 11, 15])
        >>> model.translate(["3/7/98"], beam_width=4)[0].text  # untrained: noise
    """

    def __init__(self, source_vocabulary, target_vocabulary, config=None, **kwargs):
        if isinstance(config, dict) or config is None:
            config = Seq2SeqConfig.from_dict(config or {})
        for name, vocabulary in (("source_vocabulary", source_vocabulary),
                                 ("target_vocabulary", target_vocabulary)):
            if not vocabulary or len(set(vocabulary)) != len(vocabulary) or "" in vocabulary:
                fail("a non-empty list of distinct non-empty tokens", **{name: vocabulary})
        super().__init__(**kwargs)
        self.source_vocabulary = list(source_vocabulary)
        self.target_vocabulary = list(target_vocabulary)
        self.config = config
        target_tokens = self.target_vocabulary + [codec.START_TOKEN, codec.END_TOKEN]
        self.target_vocab_size = len(target_tokens) + 2
        self.start_id, self.end_id = self.target_vocab_size - 2, self.target_vocab_size - 1
        self._target_tokens = ["", "[UNK]"] + target_tokens
        self.source_lookup = codec.char_lookup(self.source_vocabulary, "source_lookup")
        self.target_lookup = codec.char_lookup(target_tokens, "target_lookup")
        self._build_layers(config)

    def _build_layers(self, config: Seq2SeqConfig):
        rnn = keras.layers.GRU if config.rnn == "gru" else keras.layers.LSTM
        self.source_embedding = keras.layers.Embedding(
            len(self.source_vocabulary) + 2, config.embedding_dim, name="source_embedding")
        self.target_embedding = keras.layers.Embedding(
            self.target_vocab_size, config.embedding_dim, name="target_embedding")
        self.encoder = keras.layers.Bidirectional(
            rnn(config.encoder_units, return_sequences=True, return_state=True), name="encoder")
        self.bridges = [keras.layers.Dense(config.decoder_units, activation="tanh", name=f"bridge_{i}")
                        for i in range(1 if config.rnn == "gru" else 2)]
        self.decoder = rnn(config.decoder_units, return_sequences=True, return_state=True,
                           name="decoder")
        self.attention = {
            "bahdanau": lambda: BahdanauAttention(config.attention_units, name="attention"),
            "luong-dot": lambda: DotProductAttention(score="dot", name="attention"),
            "luong-general": lambda: DotProductAttention(score="general", name="attention"),
            "multihead": lambda: MultiHeadAttention(
                config.num_heads, config.decoder_units // config.num_heads, name="attention"),
            "none": lambda: None,
        }[config.attention]()
        self.attentional = keras.layers.Dense(config.decoder_units, activation="tanh",
                                              name="attentional")
        self.dropout = keras.layers.Dropout(config.dropout)
        self.output_layer = keras.layers.Dense(self.target_vocab_size, name="output")

    # -- the network --------------------------------------------------------

    def build(self, input_shape=None):
        """Creates every weight by running the network once on a tiny batch."""
        if self.built:
            return
        tiny = tf.ones((1, 2), tf.int32)
        self.call((tiny, tiny))
        self.built = True

    def call(self, inputs, training=None, return_attention_scores=False):
        source_ids, target_in = inputs
        encoded, source_mask, states = self._encode(source_ids, training)
        embedded = self.dropout(self.target_embedding(target_in), training=training)  # [B, T, E]
        decoded = self.decoder(embedded, initial_state=states, training=training)[0]  # [B, T, D]
        logits, weights = self._predict(decoded, encoded, source_mask, training)  # [B, T, V]
        return (logits, weights) if return_attention_scores else logits

    def _encode(self, source_ids, training=None):
        source_mask = tf.not_equal(source_ids, codec.PAD_ID)  # [B, S]
        embedded = self.dropout(self.source_embedding(source_ids), training=training)  # [B, S, E]
        encoded, *final = self.encoder(embedded, mask=source_mask, training=training)  # [B, S, 2U]
        half = len(final) // 2  # forward states, then backward states
        states = [bridge(tf.concat([f, b], axis=-1))  # [B, D]
                  for bridge, f, b in zip(self.bridges, final[:half], final[half:])]
        return encoded, source_mask, states

    def _predict(self, decoded, encoded, source_mask, training=None):
        """Attention from each decoder state to the encoder outputs, then logits."""
        context, weights = self._attend(decoded, encoded, source_mask)
        features = decoded if context is None else tf.concat([decoded, context], axis=-1)
        hidden = self.dropout(self.attentional(features), training=training)  # [B, T, D]
        return self.output_layer(hidden), weights  # [B, T, V], [B, T, S]

    def _attend(self, decoded, encoded, source_mask):
        if self.attention is None:
            weights = tf.zeros(tf.stack([tf.shape(decoded)[0], tf.shape(decoded)[1],
                                         tf.shape(encoded)[1]]))  # [B, T, S]
            return None, weights
        context, weights = self.attention(decoded, encoded, value_mask=source_mask,
                                          return_attention_scores=True)  # [B, T, C]
        if len(weights.shape) == 4:
            weights = tf.reduce_mean(weights, axis=1)  # heads: [B, H, T, S] -> [B, T, S]
        return context, weights

    def _step(self, tokens, states, encoded, source_mask):
        """One decoder step: tokens [N] -> logits [N, V], states, weights [N, S]."""
        embedded = self.target_embedding(tokens)  # [N, E]
        decoded, states = self.decoder.cell(embedded, states)  # [N, D]
        logits, weights = self._predict(decoded[:, None], encoded, source_mask)  # [N, 1, ...]
        return logits[:, 0], list(states), weights[:, 0]

    # -- text in, text out --------------------------------------------------

    @staticmethod
    def standardize(texts, lowercase: bool = True) -> list[str]:
        """Texts as the model sees them (whitespace collapsed, lowercased if asked)."""
        out = codec.standardize(tf.constant(list(texts), tf.string), lowercase)
        return [text.decode("utf-8") for text in out.numpy()]

    def unseen_characters(self, texts) -> list[str]:
        """The characters of `texts` (as the encoder reads them) that are not in the source
        vocabulary: each is read as the unknown token."""
        known = set(self.source_vocabulary)
        read = self.standardize(texts, self.config.lowercase_source)
        return sorted({character for text in read for character in text} - known)

    def encode_source(self, texts):
        """[B] strings -> source ids [B, S] (int32, 0-padded)."""
        texts = tf.convert_to_tensor(texts, tf.string)
        return codec.texts_to_ids(texts, self.source_lookup, self.config.lowercase_source)

    def encode_target(self, texts):
        """[B] strings -> (decoder inputs [B, T], decoder targets [B, T]), T = length + 1."""
        ids = codec.texts_to_ids(tf.convert_to_tensor(texts, tf.string), self.target_lookup, False)
        batch = tf.shape(ids)[0]
        padded = tf.pad(ids, [[0, 0], [0, 1]])  # [B, T]
        lengths = tf.reduce_sum(tf.cast(ids != codec.PAD_ID, tf.int32), axis=-1)
        ends = tf.one_hot(lengths, tf.shape(padded)[1], dtype=tf.int32) * self.end_id
        starts = tf.fill([batch, 1], self.start_id)
        return tf.concat([starts, ids], axis=-1), padded + ends  # [B, T], [B, T]

    def greedy_decode(self, source_ids):
        """Greedy decoding in graph: source ids [B, S] -> (ids [B, T], weights [B, T, S])."""
        if not hasattr(self, "_greedy_function"):  # one trace for every batch shape
            self._greedy_function = tf.function(
                self._greedy, input_signature=[tf.TensorSpec([None, None], tf.int32)])
        return self._greedy_function(source_ids)

    def _greedy(self, source_ids):
        encoded, source_mask, states = self._encode(source_ids)
        batch = tf.shape(source_ids)[0]
        blocked = self._blocked_tokens()  # [V]

        def unfinished(t, tokens, states, done, ids, weights):
            return (t < self.config.max_output_length) & ~tf.reduce_all(done)

        def step(t, tokens, states, done, ids, weights):
            logits, states, step_weights = self._step(tokens, states, encoded, source_mask)
            logits = tf.where(blocked, tf.constant(logits.dtype.min, logits.dtype), logits)
            tokens = tf.argmax(logits, axis=-1, output_type=tf.int32)  # [B]
            tokens = tf.where(done, codec.PAD_ID, tokens)
            ids = ids.write(t, tokens)
            weights = weights.write(t, tf.cast(step_weights, tf.float32))  # [B, S]
            return t + 1, tokens, states, done | tf.equal(tokens, self.end_id), ids, weights

        start = (tf.constant(0), tf.fill([batch], self.start_id), states,
                 tf.zeros([batch], tf.bool), tf.TensorArray(tf.int32, size=0, dynamic_size=True),
                 tf.TensorArray(tf.float32, size=0, dynamic_size=True))
        *_, ids, weights = tf.while_loop(unfinished, step, start)
        return tf.transpose(ids.stack()), tf.transpose(weights.stack(), [1, 0, 2])  # [B, T], [B, T, S]

    def _blocked_tokens(self):
        """[V] bool: the ids decoding never generates (padding, unknown, start)."""
        blocked = np.zeros(self.target_vocab_size, bool)
        blocked[[codec.PAD_ID, codec.UNKNOWN_ID, self.start_id]] = True
        return tf.constant(blocked)

    def serve(self, texts):
        """Strings [B] -> translations [B] by greedy search, in graph (the SavedModel signature)."""
        ids, _ = self._greedy(self.encode_source(texts))
        return codec.ids_to_texts(ids, tf.constant(self._target_tokens), self.end_id)

    def translate(self, texts, beam_width: int = 1, length_penalty: float = 0.6) -> list[Translation]:
        """Translates a batch of strings.

        Args:
            texts: a list of B strings.
            beam_width: 1 for greedy search, K > 1 for beam search (default 1).
            length_penalty: alpha of the GNMT length penalty for beam search
                (default 0.6; 0 ranks by total log-probability).

        Returns:
            B Translation tuples, with the attention of every generated token.
        """
        check_positive_int("beam_width", beam_width)
        texts = list(texts)
        if not texts:
            return []
        if not self.built:
            self.build()
        source_ids = self.encode_source(texts)
        if beam_width == 1:
            ids, weights = (x.numpy() for x in self.greedy_decode(source_ids))
        else:
            ids, weights = self._beam_decode(source_ids, beam_width, length_penalty)
        source_tokens = [list(text) for text in
                         self.standardize(texts, self.config.lowercase_source)]
        results = []
        for row, row_weights, chars in zip(ids, weights, source_tokens):
            tokens = codec.token_list(row, self._target_tokens, self.end_id)
            shown = [t for t in tokens if t not in ("", "[UNK]", codec.START_TOKEN)]
            attention = row_weights[:len(tokens) + 1, :len(chars)]
            results.append(Translation("".join(shown), tokens, chars, attention))
        return results

    def _beam_decode(self, source_ids, beam_width, length_penalty):
        if not hasattr(self, "_encode_function"):
            self._encode_function = tf.function(
                self._encode, input_signature=[tf.TensorSpec([None, None], tf.int32)])
            self._step_function = tf.function(self._step, reduce_retracing=True)
        encoded, source_mask, states = self._encode_function(source_ids)

        def tile(x):  # [B, ...] -> [B * K, ...], the beams of an element adjacent
            return tf.repeat(x, beam_width, axis=0)

        encoded, source_mask, states = tile(encoded), tile(source_mask), [tile(s) for s in states]

        def step(tokens, step_states):
            logits, step_states, weights = self._step_function(tokens, step_states, encoded, source_mask)
            return tf.nn.log_softmax(logits), step_states, weights

        return beam_search(step, states, batch_size=int(source_ids.shape[0]), beam_width=beam_width,
                           start_id=self.start_id, end_id=self.end_id,
                           max_length=self.config.max_output_length, length_penalty=length_penalty,
                           blocked_ids=(codec.PAD_ID, codec.UNKNOWN_ID, self.start_id))

    def get_config(self):
        return {
            **super().get_config(),
            "source_vocabulary": self.source_vocabulary,
            "target_vocabulary": self.target_vocabulary,
            "config": dataclasses.asdict(self.config),
        }
