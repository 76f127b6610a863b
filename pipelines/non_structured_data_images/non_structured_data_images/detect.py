"""Scan an image tile by tile, classify each tile, keep the confident digits; draw an overlay."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from ml_common.digits_net import DigitNet, predict_proba, to_tensor
from non_structured_data_images.tiles import NONE_CLASS, tile_to_grid

MIN_INK = 1.0  # a tile whose strongest 8x8 cell has less ink than this is blank paper


@dataclass(frozen=True)
class Detection:
    box: list[int]
    digit: int
    confidence: float


def tiles_of(image: Image.Image, tile: int) -> tuple[list[list[int]], np.ndarray[Any, Any]]:
    """Boxes and 8x8 grids of the full tiles of ``image`` (row-major; partial edges skipped)."""
    gray = image.convert("L")
    boxes: list[list[int]] = []
    grids = []
    for y in range(0, gray.height - tile + 1, tile):
        for x in range(0, gray.width - tile + 1, tile):
            box = [x, y, x + tile, y + tile]
            boxes.append(box)
            grids.append(tile_to_grid(gray.crop((x, y, x + tile, y + tile))))
    return boxes, (np.stack(grids) if grids else np.zeros((0, 8, 8), dtype=np.float32))


def detect(
    image: Image.Image, net: DigitNet, tile: int = 32, threshold: float = 0.8
) -> tuple[list[Detection], int]:
    """Digits found in ``image`` and the number of tiles scanned."""
    if tile < 8:
        raise ValueError("tile size must be at least 8 pixels")
    boxes, grids = tiles_of(image, tile)
    if not boxes:
        return [], 0
    proba = predict_proba(net, to_tensor(grids))
    inked = grids.reshape(len(grids), -1).max(axis=1) >= MIN_INK
    found = []
    for box, p, has_ink in zip(boxes, proba, inked, strict=True):
        label = int(np.argmax(p))
        if has_ink and label != NONE_CLASS and float(p[label]) >= threshold:
            found.append(Detection(box=box, digit=label, confidence=round(float(p[label]), 4)))
    return found, len(boxes)


def overlay_png(image: Image.Image, detections: list[Detection]) -> bytes:
    """The image with a box and the digit (and confidence) drawn for every detection."""
    canvas = image.convert("RGB")
    draw = ImageDraw.Draw(canvas)
    for d in detections:
        x0, y0, x1, y1 = d.box
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=(220, 20, 60), width=2)
        label = f"{d.digit} {d.confidence:.2f}"
        draw.rectangle((x0, y1 - 12, x0 + 6 * len(label) + 3, y1 - 1), fill=(220, 20, 60))
        draw.text((x0 + 2, y1 - 12), label, fill=(255, 255, 255))
    buf = io.BytesIO()
    canvas.save(buf, format="PNG")
    return buf.getvalue()


def as_dicts(detections: list[Detection]) -> list[dict[str, Any]]:
    return [asdict(d) for d in detections]
