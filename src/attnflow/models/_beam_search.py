"""Beam search over a step function, returning the attention of every token."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def length_penalty_factor(lengths, alpha: float):
    """GNMT length penalty ((5 + length) / 6) ** alpha (Wu et al., 2016)."""
    return ((5.0 + np.asarray(lengths, np.float64)) / 6.0) ** alpha


def beam_search(step, states, *, batch_size: int, beam_width: int, start_id: int, end_id: int,
                max_length: int, length_penalty: float, blocked_ids=()):
    """Keeps the `beam_width` most likely prefixes of every batch element.

    Prefixes are ranked by total log-probability while searching; the length
    penalty then picks among the final `beam_width` hypotheses, so with a
    width of 1 the result is the greedy one.

    Args:
        step: step(tokens [N], states) -> (log_probs [N, V], states, weights [N, S])
            with N = batch_size * beam_width, beams of an element adjacent.
        states: list of [N, D] tensors, the decoder states of every beam.
        batch_size, beam_width: B and K.
        start_id, end_id: the start token fed first, the token that ends a hypothesis.
        max_length: the most tokens generated, the end token included.
        length_penalty: alpha of `length_penalty_factor` (0 = none).
        blocked_ids: ids never generated (padding, unknown, start).

    Returns:
        ids [B, T] (0 after the end token) and weights [B, T, S] as NumPy arrays.
    """
    B, K = batch_size, beam_width
    scores = np.tile(np.array([0.0] + [-np.inf] * (K - 1), np.float32), (B, 1))  # [B, K]
    finished = np.zeros((B, K), bool)
    lengths = np.zeros((B, K), np.int64)
    tokens = np.full((B * K,), start_id, np.int32)
    offsets = (np.arange(B) * K)[:, None]  # [B, 1]
    history = []  # per step: (tokens [B, K], parents [B, K], weights [B, K, S])
    for _ in range(max_length):
        log_probs, states, weights = step(tf.constant(tokens), states)
        log_probs = log_probs.numpy().astype(np.float32)  # [N, V]
        vocab_size = log_probs.shape[-1]
        log_probs[:, list(blocked_ids)] = -np.inf
        log_probs = log_probs.reshape(B, K, vocab_size)
        log_probs[finished] = -np.inf  # a finished hypothesis only pads, at no cost
        log_probs[finished, 0] = 0.0
        total = (scores[..., None] + log_probs).reshape(B, K * vocab_size)  # [B, K*V]
        best = np.argsort(-total, axis=-1, kind="stable")[:, :K]  # [B, K]
        scores = np.take_along_axis(total, best, axis=-1)
        parents, next_tokens = best // vocab_size, (best % vocab_size).astype(np.int32)
        was_finished = np.take_along_axis(finished, parents, axis=-1)
        lengths = np.take_along_axis(lengths, parents, axis=-1) + ~was_finished
        finished = was_finished | (next_tokens == end_id)
        history.append((next_tokens, parents, weights.numpy().reshape(B, K, -1)))
        flat_parents = tf.constant((offsets + parents).reshape(-1))
        states = [tf.gather(state, flat_parents) for state in states]
        tokens = next_tokens.reshape(-1)
        if finished.all():
            break
    normalized = scores / length_penalty_factor(lengths, length_penalty)
    return _backtrack(history, np.argmax(normalized, axis=-1))


def _backtrack(history, beam):
    """Follows the parents from the chosen final beams back to the first step."""
    B, steps = beam.shape[0], len(history)
    ids = np.zeros((B, steps), np.int32)
    weights = np.zeros((B, steps, history[0][2].shape[-1]), np.float32)
    rows = np.arange(B)
    for t in range(steps - 1, -1, -1):
        step_tokens, parents, step_weights = history[t]
        ids[:, t] = step_tokens[rows, beam]
        parent = parents[rows, beam]
        weights[:, t] = step_weights[rows, parent]  # computed by the parent beam
        beam = parent
    return ids, weights
