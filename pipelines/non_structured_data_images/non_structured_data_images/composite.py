"""Deterministic composite test images: digits and photo patches on a grid of tiles.

Used by the seed (inputs for the pipeline) and by the tests; the answer key says which digit
sits in which tile, so a detector can be scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from non_structured_data_images.tiles import digit_to_tile, digits, photos


@dataclass
class Composite:
    image: Image.Image
    tile: int
    # (column, row, digit) for every tile that holds a digit
    truth: list[tuple[int, int, int]] = field(default_factory=list)

    def truth_boxes(self) -> list[dict[str, Any]]:
        t = self.tile
        return [
            {"box": [c * t, r * t, (c + 1) * t, (r + 1) * t], "digit": d} for c, r, d in self.truth
        ]


def compose(
    seed: int,
    cols: int = 8,
    rows: int = 6,
    tile: int = 32,
    p_digit: float = 0.5,
    digit_indices: np.ndarray[Any, Any] | None = None,
) -> Composite:
    """An RGB image of ``cols`` x ``rows`` tiles: about ``p_digit`` of them digits (from
    ``digit_indices`` of scikit-learn's digits, default all), the rest photo patches or paper."""
    rng = np.random.default_rng(seed)
    grids, labels = digits()
    pool = np.arange(len(labels)) if digit_indices is None else np.asarray(digit_indices)
    pics = photos()
    canvas = Image.new("L", (cols * tile, rows * tile), 255)
    comp = Composite(image=canvas, tile=tile)
    for r in range(rows):
        for c in range(cols):
            roll = rng.random()
            if roll < p_digit:
                i = int(rng.choice(pool))
                canvas.paste(digit_to_tile(grids[i], tile), (c * tile, r * tile))
                comp.truth.append((c, r, int(labels[i])))
            elif roll < p_digit + (1 - p_digit) * 0.6:
                pic = pics[int(rng.integers(len(pics)))]
                side = int(rng.integers(tile, 4 * tile))
                x = int(rng.integers(0, pic.width - side))
                y = int(rng.integers(0, pic.height - side))
                patch = pic.crop((x, y, x + side, y + side)).resize(
                    (tile, tile), Image.Resampling.BOX
                )
                canvas.paste(patch, (c * tile, r * tile))
    comp.image = canvas.convert("RGB")
    return comp
