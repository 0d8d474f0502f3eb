"""Beam search finds what greedy misses, keeps the attention of its choices, and stops;
on a trained translator, width 1 is greedy token for token and a wider beam is never less likely."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.models import Seq2SeqAttention
from attnflow.models._beam_search import beam_search, length_penalty_factor

PAD, END, START, A, B = 0, 1, 2, 3, 4
V = 5


def toy_step(table):
    """A step function whose next-token log-probabilities depend on the last token only."""

    def step(tokens, states):
        (history,) = states
        probs = np.stack([table[int(t)] for t in tokens.numpy()])
        weights = np.zeros((len(tokens), 2), np.float32)
        weights[:, 0] = tokens.numpy() / 10.0  # which prefix was attending
        return tf.math.log(tf.constant(probs + 1e-12, tf.float32)), [history], tf.constant(weights)

    return step


TABLE = {
    # after START: A is likelier, but every path through A is poor
    START: [0, 0, 0, 0.6, 0.4],
    A: [0, 0.1, 0, 0.45, 0.45],
    B: [0, 0.9, 0, 0.05, 0.05],
    END: [1, 0, 0, 0, 0],  # only reached by finished beams, whose rows are replaced
    PAD: [1, 0, 0, 0, 0],
}


def run(width, alpha=0.0, max_length=4, table=None):
    states = [tf.zeros((width, 1))]
    return beam_search(toy_step(table or TABLE), states, batch_size=1, beam_width=width,
                       start_id=START, end_id=END, max_length=max_length, length_penalty=alpha,
                       blocked_ids=(PAD, START))


def test_width_one_is_greedy_and_wider_finds_the_likelier_sequence():
    greedy, _ = run(1)
    assert greedy[0].tolist()[:2] == [A, A]  # 0.6 * 0.45 ... never ends well
    best, weights = run(3)
    assert best[0].tolist()[:2] == [B, END]  # 0.4 * 0.9 = 0.36 > any path through A
    assert best[0, 2:].tolist() == [0] * (best.shape[1] - 2)
    # the attention of each chosen token is the one its own prefix computed
    np.testing.assert_allclose(weights[0, :2, 0], [START / 10, B / 10])


def test_stops_when_every_beam_has_ended():
    table = {**TABLE, START: [0, 0, 0, 0.1, 0.9], A: [0, 0.9, 0, 0.05, 0.05]}
    ids, weights = run(2, max_length=10, table=table)  # B END and A END both end at step 2
    assert ids.tolist() == [[B, END]] and weights.shape == (1, 2, 2)


def test_length_penalty_factor_grows_with_length():
    assert length_penalty_factor([1], 0.0)[0] == 1.0
    assert length_penalty_factor([10], 0.6)[0] > length_penalty_factor([2], 0.6)[0]


# A translator trained briefly to reverse strings: enough that its choices matter, not so
# much that greedy is always best. Trained once for the tests below.
LETTERS = list("abcdef")


def random_strings(rng, count):
    return ["".join(rng.choice(LETTERS, size=rng.integers(2, 6))) for _ in range(count)]


@pytest.fixture(scope="module")
def reverser():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    model = Seq2SeqAttention(LETTERS, LETTERS, {"embedding_dim": 8, "encoder_units": 16, "decoder_units": 32,
                                                "attention_units": 16, "max_output_length": 7})
    texts = random_strings(rng, 512)
    target_in, target_out = model.encode_target([text[::-1] for text in texts])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit((model.encode_source(texts), target_in), target_out, epochs=4, batch_size=64,
                        sample_weight=tf.cast(target_out != 0, tf.float32), verbose=0).history["loss"]
    assert history[-1] < 0.7 * history[0]
    return model, model.encode_source(random_strings(rng, 40))


def log_probability(model, source_ids, ids):
    """log p(ids | source) under the model, each row up to its end token (all of it without one)."""
    ids = np.asarray(ids, np.int32)  # [B, T]
    target_in = np.concatenate([np.full((len(ids), 1), model.start_id), ids[:, :-1]], axis=1)
    log_probs = tf.nn.log_softmax(model((source_ids, target_in))).numpy()  # [B, T, V]
    chosen = np.take_along_axis(log_probs, ids[..., None], axis=-1)[..., 0]  # [B, T]
    ended = ids == model.end_id
    last = np.where(ended.any(axis=1), ended.argmax(axis=1), ids.shape[1] - 1)  # [B]
    return np.where(np.arange(ids.shape[1]) <= last[:, None], chosen, 0.0).sum(axis=1)  # [B]


def padded(ids, length):
    return np.pad(ids, [(0, 0), (0, length - ids.shape[1])] + [(0, 0)] * (ids.ndim - 2))


def test_a_beam_of_width_one_is_greedy_token_for_token(reverser):
    model, source_ids = reverser
    greedy_ids, greedy_weights = (x.numpy() for x in model.greedy_decode(source_ids))
    beam_ids, beam_weights = model._beam_decode(source_ids, 1, 0.6)
    length = max(greedy_ids.shape[1], beam_ids.shape[1])
    np.testing.assert_array_equal(padded(beam_ids, length), padded(greedy_ids, length))
    generated = padded(greedy_ids, length) != 0  # [B, T]: the tokens produced, end token included
    np.testing.assert_allclose(padded(beam_weights, length)[generated],
                               padded(greedy_weights, length)[generated], atol=1e-5)


def test_a_wider_beam_is_at_least_as_likely_as_greedy(reverser):
    model, source_ids = reverser
    greedy = log_probability(model, source_ids, model.greedy_decode(source_ids)[0].numpy())
    beam = log_probability(model, source_ids, model._beam_decode(source_ids, 4, 0.0)[0])  # alpha 0: log p
    assert np.all(beam >= greedy - 1e-4), (beam - greedy).min()
    assert np.any(beam > greedy + 1e-3)  # on this model the beam finds likelier outputs somewhere
