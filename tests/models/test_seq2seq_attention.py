"""Seq2SeqAttention: shapes and masks for every attention, step decoding equal to
teacher forcing, greedy == beam 1, serving == translate, config checks, .keras round trip."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.models import Seq2SeqAttention
from attnflow.models.seq2seq_attention import ATTENTIONS
from tests.models.mixed_precision import assert_mixed_precision_matches_float32

SOURCE = list("0123456789/<>enus_ ")
TARGET = list("0123456789-")
TEXTS = ["3/7/98", "<en_US> 12/31/2001", "1/1/1"]
TINY = {"embedding_dim": 6, "encoder_units": 5, "decoder_units": 10, "attention_units": 7,
        "max_output_length": 11}


def tiny(attention="bahdanau", **config):
    return Seq2SeqAttention(SOURCE, TARGET, {**TINY, "attention": attention, **config})


def batch(model):
    source = model.encode_source(TEXTS)
    target_in, target_out = model.encode_target(["1998-03-07", "2001-12-31", "2001-01-01"])
    return source, target_in, target_out


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_shapes_and_padding_gets_no_weight(attention):
    model = tiny(attention)
    source, target_in, _ = batch(model)
    logits, weights = model((source, target_in), return_attention_scores=True)
    assert logits.shape == (3, 11, model.target_vocab_size)
    assert weights.shape == (3, 11, source.shape[1])
    padded = (source.numpy() == 0)[:, None, :]  # [B, 1, S]
    weights = weights.numpy()
    assert np.all(weights[np.broadcast_to(padded, weights.shape)] == 0)
    expected = 0.0 if attention == "none" else 1.0
    np.testing.assert_allclose(weights.sum(-1), expected, atol=1e-5)


@pytest.mark.parametrize("attention, rnn", [("bahdanau", "gru"), ("luong-general", "lstm"),
                                            ("multihead", "gru"), ("none", "lstm")])
def test_step_decoding_equals_teacher_forcing(attention, rnn):
    model = tiny(attention, rnn=rnn, encoder_units=5 if attention != "luong-dot" else 5)
    source, target_in, _ = batch(model)
    logits = model((source, target_in)).numpy()
    encoded, mask, states = model._encode(source)
    for t in range(target_in.shape[1]):
        step_logits, states, _ = model._step(target_in[:, t], states, encoded, mask)
        np.testing.assert_allclose(step_logits.numpy(), logits[:, t], atol=2e-5)


@pytest.mark.parametrize("attention, rnn", [("bahdanau", "gru"), ("luong-general", "lstm"), ("multihead", "gru")])
def test_mixed_precision_matches_float32(mixed_policy, attention, rnn):
    def call(model):
        source, target_in, _ = batch(model)
        logits, weights = model((source, target_in), return_attention_scores=True)  # logits: compute dtype
        # Probabilities, of order 1 as the tolerance assumes (the logits are of order 10).
        return [tf.nn.softmax(tf.cast(logits, tf.float32)), weights]

    _, weights = assert_mixed_precision_matches_float32(lambda: tiny(attention, rnn=rnn), call, mixed_policy)
    assert weights.dtype == tf.float32


def test_encode_target_adds_start_and_end():
    model = tiny()
    target_in, target_out = model.encode_target(["12", "3"])
    assert target_in.numpy()[:, 0].tolist() == [model.start_id] * 2
    assert target_out.numpy().tolist()[1][:2] == [target_in.numpy()[1][1], model.end_id]
    assert target_out.numpy()[0, 2] == model.end_id


def test_greedy_equals_beam_of_width_one_and_serving():
    model = tiny("luong-dot")
    greedy = model.translate(TEXTS)
    beam = model._beam_decode(model.encode_source(TEXTS), 1, 0.0)[0]
    greedy_ids = model.greedy_decode(model.encode_source(TEXTS))[0].numpy()
    np.testing.assert_array_equal(beam[:, :greedy_ids.shape[1]], greedy_ids)
    served = [s.decode() for s in model.serve(tf.constant(TEXTS)).numpy()]
    assert served == [t.text for t in greedy]


def test_translations_carry_the_attention_of_every_token():
    model = tiny()
    for beam_width in (1, 3):
        for text, translation in zip(TEXTS, model.translate(TEXTS, beam_width=beam_width)):
            assert translation.source_tokens == list(text.lower())
            rows = min(len(translation.output_tokens) + 1, TINY["max_output_length"])  # + end token
            assert translation.attention.shape == (rows, len(text))
            np.testing.assert_allclose(translation.attention.sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("config, name", [
    ({"attention": "luong"}, "attention"),
    ({"attention": "luong-dot", "decoder_units": 7}, "decoder_units"),
    ({"attention": "multihead", "num_heads": 3}, "num_heads"),
    ({"rnn": "transformer"}, "rnn"),
    ({"encoder_units": 0}, "encoder_units"),
    ({"units": 3}, "unknown"),
])
def test_bad_config_names_the_setting(config, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        Seq2SeqAttention(SOURCE, TARGET, config)


def test_bad_vocabulary():
    with pytest.raises(ValueError, match="Received: source_vocabulary="):
        Seq2SeqAttention(["a", "a"], TARGET)


def test_keras_round_trip(tmp_path):
    model = tiny("multihead", rnn="lstm")
    source, target_in, _ = batch(model)
    expected = model((source, target_in)).numpy()
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, Seq2SeqAttention)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_allclose(loaded((source, target_in)).numpy(), expected, atol=1e-6)
    assert [t.text for t in loaded.translate(TEXTS)] == [t.text for t in model.translate(TEXTS)]
