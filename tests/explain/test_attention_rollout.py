"""Attention rollout against a float64 NumPy reference; rows sum to 1; the patch map of a ViT."""

from __future__ import annotations

import numpy as np
import pytest

from attnflow.explain.attention_rollout import attention_rollout, patch_attention
from attnflow.models import VisionTransformer

B, L, H, T = 2, 3, 2, 5


def random_attention(rng, shape=(B, L, H, T, T)):
    scores = rng.normal(size=shape)
    weights = np.exp(scores)
    return weights / weights.sum(-1, keepdims=True)


def reference_rollout(weights, r=0.5):
    """float64 from Abnar & Zuidema: A' = (1 - r) mean_h A + r I, rows normalized,
    R = A'_L ... A'_1."""
    weights = np.asarray(weights, np.float64)
    result = []
    for example in weights:
        rollout = np.eye(example.shape[-1])
        for block in example:
            mixed = (1 - r) * block.mean(axis=0) + r * np.eye(block.shape[-1])
            mixed /= mixed.sum(-1, keepdims=True)
            rollout = mixed @ rollout
        result.append(rollout)
    return np.asarray(result)


@pytest.mark.parametrize("residual_weight", [0.5, 0.0, 0.9])
def test_matches_the_reference_and_rows_sum_to_one(rng, residual_weight):
    weights = random_attention(rng)
    got = attention_rollout(weights.astype("float32"), residual_weight).numpy()
    assert got.shape == (B, T, T)
    np.testing.assert_allclose(got, reference_rollout(weights, residual_weight), atol=1e-5)
    np.testing.assert_allclose(got.sum(-1), 1.0, rtol=1e-5)
    assert np.all(got >= 0)


def test_no_blocks_is_the_identity_and_one_block_is_its_mixed_matrix(rng):
    np.testing.assert_allclose(attention_rollout(np.zeros((B, 0, H, T, T), "float32")).numpy(),
                               np.tile(np.eye(T), (B, 1, 1)))
    weights = random_attention(rng, (B, 1, H, T, T))
    np.testing.assert_allclose(attention_rollout(weights.astype("float32")).numpy(),
                               0.5 * weights[:, 0].mean(1) + 0.5 * np.eye(T), atol=1e-6)


def test_patch_attention_of_a_vision_transformer(rng):
    x = rng.uniform(0, 255, size=(B, 8, 12, 1)).astype("float32")
    for pooling in ("class_token", "mean"):
        model = VisionTransformer(3, patch_size=4, model_dim=8, num_heads=2, intermediate_dim=8,
                                  num_layers=2, pooling=pooling)
        _, attention = model(x, return_attention_scores=True)
        maps = patch_attention(attention, model.patch_grid).numpy()
        assert maps.shape == (B, 2, 3)
        np.testing.assert_allclose(maps.sum(axis=(1, 2)), 1.0, rtol=1e-5)
        rollout = reference_rollout(attention["blocks"].numpy())
        flow = np.einsum("bq,bqk->bk", attention["pooling"].numpy(), rollout)[:, -6:]
        np.testing.assert_allclose(maps.reshape(B, 6), flow / flow.sum(-1, keepdims=True), atol=1e-5)


def test_bad_inputs(rng):
    with pytest.raises(ValueError, match=r"expected residual_weight in \[0, 1\]"):
        attention_rollout(random_attention(rng), 1.5)
    with pytest.raises(ValueError, match=r"expected block weights of shape \[B, L, H, T, T\]"):
        attention_rollout(random_attention(rng, (L, H, T, T)))
    attention = {"blocks": random_attention(rng), "pooling": np.eye(T)[[0, 0]]}
    with pytest.raises(ValueError, match=r"expected 6 patch tokens \(grid 2x3\)"):
        patch_attention(attention, (2, 3))
