"""A worked example of attention on a four-token sentence.

Prints what an attention tutorial shows: the raw scores q . k, the softmax
weights and each token's context vector, computed step by step in NumPy and
then by each attnflow layer.
"""

from __future__ import annotations

import numpy as np

TOKENS = ("the", "cat", "sat", "down")
DEPTH = 4


def embeddings(seed: int = 0) -> np.ndarray:
    """Small fixed embeddings [T, D] for the four tokens."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(len(TOKENS), DEPTH)).round(1)


def _matrix(title: str, values: np.ndarray, rows, cols) -> str:
    width = max(7, *(len(c) + 1 for c in cols))
    lines = [title, " " * 6 + "".join(f"{c:>{width}}" for c in cols)]
    for name, row in zip(rows, values):
        lines.append(f"{name:>6}" + "".join(f"{x:>{width}.3f}" for x in row))
    return "\n".join(lines)


def step_by_step(x: np.ndarray) -> tuple[str, np.ndarray]:
    """Self-attention with q = k = v = x, by hand (float64 NumPy)."""
    scores = x @ x.T  # [T, T]
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = shifted / shifted.sum(axis=-1, keepdims=True)  # [T, T]
    context = weights @ x  # [T, D]
    dims = [f"d{i}" for i in range(x.shape[1])]
    text = "\n\n".join([
        _matrix("Embeddings x (query = key = value):", x, TOKENS, dims),
        _matrix("1. Raw scores  q . k  (row: query, column: key):", scores, TOKENS, TOKENS),
        _matrix("2. Softmax over each row: attention weights (rows sum to 1):", weights, TOKENS, TOKENS),
        _matrix("3. Context vectors: weights @ values:", context, TOKENS, dims),
    ])
    return text, weights


def through_layers(x: np.ndarray) -> str:
    """The same sentence through each attnflow layer."""
    import keras

    from attnflow.layers import BahdanauAttention, DotProductAttention, MultiHeadAttention

    batch = x[None].astype("float32")  # [1, T, D]
    parts = []
    context, weights = DotProductAttention(score="dot")(batch, batch, return_attention_scores=True)
    parts.append(_matrix('DotProductAttention(score="dot") weights (equal to step 2):',
                         weights.numpy()[0], TOKENS, TOKENS))
    _, weights = DotProductAttention(score="scaled_dot")(batch, batch, return_attention_scores=True)
    parts.append(_matrix('DotProductAttention(score="scaled_dot") weights (scores / sqrt(4), softer):',
                         weights.numpy()[0], TOKENS, TOKENS))
    keras.utils.set_random_seed(0)
    _, weights = BahdanauAttention(units=8)(batch, batch, return_attention_scores=True)
    parts.append(_matrix("BahdanauAttention(units=8) weights (untrained: v^T tanh(W1 k + W2 q)):",
                         weights.numpy()[0], TOKENS, TOKENS))
    _, weights = MultiHeadAttention(num_heads=2, key_dim=2, seed=0)(
        batch, batch, use_causal_mask=True, return_attention_scores=True)
    for head in range(2):
        parts.append(_matrix(f"MultiHeadAttention(num_heads=2, key_dim=2), causal, head {head} weights:",
                             weights.numpy()[0, head], TOKENS, TOKENS))
    return "\n\n".join(parts)


def main() -> int:
    x = embeddings()
    text, _ = step_by_step(x)
    print(f"Attention over the sentence: {' '.join(TOKENS)!r}\n")
    print(text)
    print("\nThe same through attnflow's layers:\n")
    print(through_layers(x))
    return 0
