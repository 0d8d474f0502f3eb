"""Beam search finds what greedy misses, keeps the attention of its choices, and stops."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

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
