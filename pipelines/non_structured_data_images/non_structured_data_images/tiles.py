"""Tiles <-> the CNN's 8x8 ink grids, and deterministic training/test material.

Images show dark ink on light paper. A tile is converted to grayscale, reduced to 8x8 with a
box filter and inverted to scikit-learn's digits scale (0 = paper, 16 = full ink). Class 10
("none") is everything that is not a digit: photo patches and blank paper.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits, load_sample_images

NONE_CLASS = 10
CLASS_NAMES = [str(d) for d in range(10)] + ["none"]


def tile_to_grid(tile: Image.Image) -> np.ndarray[Any, Any]:
    """A tile (any size, any mode) -> 8x8 float grid of ink in [0, 16]."""
    small = tile.convert("L").resize((8, 8), Image.Resampling.BOX)
    gray = np.asarray(small, dtype=np.float32)
    return (255.0 - gray) / 255.0 * 16.0


def digit_to_tile(grid: np.ndarray[Any, Any], size: int) -> Image.Image:
    """An 8x8 digit grid (0..16) -> a ``size`` x ``size`` grayscale tile, dark ink on paper."""
    pixels = 255.0 - np.asarray(grid, dtype=np.float32).reshape(8, 8) / 16.0 * 255.0
    img = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")
    return img.resize((size, size), Image.Resampling.NEAREST)


def photos() -> list[Image.Image]:
    """scikit-learn's two bundled sample photographs, grayscale."""
    return [Image.fromarray(a).convert("L") for a in load_sample_images().images]


def background_grids(n: int, seed: int) -> np.ndarray[Any, Any]:
    """``n`` non-digit grids: photo patches of random size and place, plus blank paper."""
    rng = np.random.default_rng(seed)
    pics = photos()
    grids = []
    for i in range(n):
        if i % 8 == 0:
            paper = np.full((8, 8), 255.0) - rng.uniform(0, 25, size=(8, 8))
            img = Image.fromarray(paper.astype(np.uint8), mode="L")
        else:
            pic = pics[int(rng.integers(len(pics)))]
            side = int(rng.integers(12, 160))
            x = int(rng.integers(0, pic.width - side))
            y = int(rng.integers(0, pic.height - side))
            img = pic.crop((x, y, x + side, y + side))
        grids.append(tile_to_grid(img))
    return np.stack(grids)


def digits() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """scikit-learn's 1797 8x8 digits as (N, 8, 8) grids in [0, 16] and labels."""
    raw = load_digits()
    return np.asarray(raw.images, dtype=np.float32), np.asarray(raw.target, dtype=np.int64)
