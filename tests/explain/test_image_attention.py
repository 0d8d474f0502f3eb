"""Attention maps over images: the upsampling, the grid and the single-image PNG."""

from __future__ import annotations

import numpy as np
import pytest

from attnflow.explain.image_attention import plot_attention_grid, plot_image_attention, upsample_map

PNG = b"\x89PNG\r\n\x1a\n"


def test_upsampling_keeps_the_mass_and_where_it_is():
    patch_map = np.array([[0.7, 0.1], [0.1, 0.1], [0.0, 0.0]])  # 3 x 2 patches
    pixels = upsample_map(patch_map, 12, 8)
    assert pixels.shape == (12, 8)
    assert pixels.sum() == pytest.approx(1.0)
    assert pixels[:4, :4].sum() > pixels[4:8, :4].sum() > pixels[8:, :4].sum()  # top-left heaviest
    np.testing.assert_allclose(pixels[0, 0] / pixels.mean(), 0.7 / patch_map.mean(), rtol=1e-6)
    np.testing.assert_allclose(upsample_map(np.full((2, 2), 0.25), 4, 4), np.full((4, 4), 1 / 16))
    with pytest.raises(ValueError, match=r"expected a patch map of shape \[rows, columns\]"):
        upsample_map(np.ones(4), 4, 4)


@pytest.mark.parametrize("channels", [1, 3])
def test_grid_and_single_image_pngs(tmp_path, channels, rng):
    images = rng.integers(0, 256, size=(5, 8, 8, channels), dtype=np.uint8)
    maps = rng.dirichlet(np.ones(4), size=5).reshape(5, 2, 2)
    titles = [f"image {n}" for n in range(5)]
    grid = plot_attention_grid(images, maps, titles, tmp_path / "grid.png", wrong=[1, 0, 0, 0, 0],
                               columns=2, title="five")
    assert grid.read_bytes()[:8] == PNG
    single = plot_image_attention(images[0], maps[0], tmp_path / "deep" / "one.png", "one")
    assert single.read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="expected as many maps and titles as images"):
        plot_attention_grid(images, maps[:2], titles, tmp_path / "bad.png")
