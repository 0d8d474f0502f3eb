"""`attnflow example`: the worked example prints scores, weights and context vectors that are right."""

from __future__ import annotations

import numpy as np
import pytest

from attnflow.explain import worked_example
from tests import reference as ref

TOKENS = ["the", "cat", "sat", "down"]


def blocks(text: str) -> dict[str, np.ndarray]:
    """Each printed matrix, keyed by the start of its title line."""
    found = {}
    for block in text.split("\n\n"):
        lines = block.strip("\n").splitlines()
        if len(lines) < 3 or lines[2].split()[0] not in TOKENS:
            continue
        rows = [line.split() for line in lines[2:]]
        assert [row[0] for row in rows] == TOKENS
        found[lines[0]] = np.array([[float(x) for x in row[1:]] for row in rows])
    return found


def block(found: dict, title_start: str) -> np.ndarray:
    (matrix,) = [m for title, m in found.items() if title.startswith(title_start)]
    return matrix


@pytest.fixture
def printed(capsys):
    code = worked_example.main()  # what `attnflow example` runs (tests/cli/test_commands.py)
    return code, capsys.readouterr().out


def test_example_exits_zero_and_names_the_sentence(printed):
    code, text = printed
    assert code == 0
    assert text.startswith("Attention over the sentence: 'the cat sat down'")


def test_example_step_by_step_matches_reference(printed):
    found = blocks(printed[1])
    x = block(found, "Embeddings x")
    assert x.shape == (4, 4)
    scores = x @ x.T
    weights = ref.masked_softmax(scores)
    np.testing.assert_allclose(block(found, "1. Raw scores"), scores, atol=6e-4)
    np.testing.assert_allclose(block(found, "2. Softmax"), weights, atol=6e-4)
    np.testing.assert_allclose(block(found, "3. Context vectors"), weights @ x, atol=6e-4)


def test_example_layers_print_their_weights(printed):
    found = blocks(printed[1])
    x = block(found, "Embeddings x")
    np.testing.assert_allclose(block(found, 'DotProductAttention(score="dot")'),
                               ref.masked_softmax(x @ x.T), atol=6e-4)
    np.testing.assert_allclose(block(found, 'DotProductAttention(score="scaled_dot")'),
                               ref.masked_softmax(x @ x.T / 2.0), atol=6e-4)
    np.testing.assert_allclose(block(found, "BahdanauAttention").sum(-1), 1.0, atol=3e-3)
    for head in (0, 1):
        weights = block(found, f"MultiHeadAttention(num_heads=2, key_dim=2), causal, head {head}")
        np.testing.assert_array_equal(weights[np.triu_indices(4, 1)], 0.0)
        np.testing.assert_allclose(weights.sum(-1), 1.0, atol=3e-3)
