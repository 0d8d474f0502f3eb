"""Do the attention weights explain the prediction? Two measures, for any task.

Attention weights are not explanations by default (Jain & Wallace, 2019;
Wiegreffe & Pinter, 2019). These two tests say, for a trained model, how
far they are one:

1. Removal: remove the k most-attended inputs of each example, and
   separately k inputs drawn at random, and measure how much the output
   moves: the mean drop of the predicted class's probability (classifiers,
   translators: the probability of the output they wrote), or the mean
   absolute difference between the two forecasts (forecasters). Weights
   that explain the prediction move it more than chance does.
2. Agreement with gradients: the Spearman rank correlation, per example,
   between the attention each input receives and |gradient x input| (the
   first-order effect of removing that input), averaged over examples.

A task supplies the pieces (`FaithfulnessProblem`): the importance the
attention gives each input, a function that scores the examples with some
inputs removed, and the gradient x input attribution. `measure` does the rest.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

K_FRACTION = 0.1  # k = this share of an example's inputs (at least 1 when it has any)
RANDOM_DRAWS = 5  # random removals averaged per example


@dataclass
class FaithfulnessProblem:
    """What `measure` needs from a task.

    attention: N arrays, each the attention weight of an example's inputs [T_i].
    outputs: removed (N boolean arrays [T_i], True = removed) -> outputs [N, ...]
        (probabilities of the originally predicted class [N], or forecasts [N, ...]).
    attribution: N arrays, |gradient x input| per input [T_i].
    change: "probability" (mean drop of outputs) or "forecast" (mean absolute difference).
    """

    attention: list
    outputs: Callable
    attribution: list
    change: str = "probability"


def measure(problem: FaithfulnessProblem, seed: int = 0, k_fraction: float = K_FRACTION,
            draws: int = RANDOM_DRAWS) -> dict:
    """The faithfulness figures of a problem (see the module docstring).

    Returns:
        {"examples": N, "k_fraction": ..., "top_k_change": ..., "random_k_change": ...,
         "top_k_over_random": ratio (None when random removal changes nothing),
         "rank_correlation_grad_x_input": mean Spearman rho, "change": what was measured}
    """
    rng = np.random.default_rng(seed)
    attention = [np.asarray(a, dtype=np.float64) for a in problem.attention]
    # k: at least 1, none for an example with no inputs (a text with no known token).
    counts = [min(len(a), max(1, int(round(k_fraction * len(a))))) for a in attention]
    untouched = problem.outputs([np.zeros(len(a), bool) for a in attention])
    top = [_removed(len(a), np.argsort(-a, kind="stable")[:k]) for a, k in zip(attention, counts)]
    top_change = _change(untouched, problem.outputs(top), problem.change)
    random_changes = []
    for _ in range(draws):
        drawn = [_removed(len(a), rng.choice(len(a), k, replace=False)) for a, k in zip(attention, counts)]
        random_changes.append(_change(untouched, problem.outputs(drawn), problem.change))
    random_change = float(np.mean(random_changes))
    return {"examples": len(attention), "k_fraction": k_fraction,
            # 6 significant digits, not decimals: a series of values near 1e-10 changes by less.
            "top_k_change": float(f"{top_change:.6g}"), "random_k_change": float(f"{random_change:.6g}"),
            "top_k_over_random": round(top_change / random_change, 4) if random_change > 0 else None,
            "rank_correlation_grad_x_input": _mean_spearman(attention, problem.attribution),
            "change": ("mean drop of the predicted output's probability" if problem.change == "probability"
                       else "mean absolute difference of the forecasts")}


def _removed(length: int, positions) -> np.ndarray:
    removed = np.zeros(length, bool)
    removed[np.asarray(positions, dtype=np.int64)] = True
    return removed


def _change(before, after, kind: str) -> float:
    before, after = np.asarray(before, np.float64), np.asarray(after, np.float64)
    if kind == "probability":
        return float(np.mean(before - after))
    return float(np.mean(np.abs(before - after)))


def _mean_spearman(attention, attribution) -> float | None:
    from scipy.stats import spearmanr

    rhos = []
    for weights, scores in zip(attention, attribution):
        scores = np.nan_to_num(np.asarray(scores, np.float64))
        if len(weights) < 3 or np.ptp(weights) == 0 or np.ptp(scores) == 0:
            continue  # a rank correlation says nothing here
        rho = spearmanr(weights, scores).statistic
        if not math.isnan(rho):
            rhos.append(rho)
    return round(float(np.mean(rhos)), 4) if rhos else None


def normalized_entropy(weights, axis: int = -1) -> np.ndarray:
    """Entropy of attention rows divided by log(number of inputs): 1 = uniform, 0 = one input."""
    weights = np.asarray(weights, np.float64)
    weights = weights / np.maximum(weights.sum(axis=axis, keepdims=True), 1e-12)
    entropy = -np.sum(np.where(weights > 0, weights * np.log(np.maximum(weights, 1e-300)), 0.0), axis=axis)
    return entropy / math.log(weights.shape[axis]) if weights.shape[axis] > 1 else np.zeros_like(entropy)


@contextlib.contextmanager
def shifted_outputs(layer, shift):
    """Inside the block, `layer(...)` returns its output + `shift` (a tensor to take
    gradients against: the gradient at the layer's output, e.g. an embedding's)."""
    original = layer.call
    layer.call = lambda *args, **kwargs: original(*args, **kwargs) + shift
    try:
        yield layer
    finally:
        del layer.call
