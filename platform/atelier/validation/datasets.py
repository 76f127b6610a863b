"""Golden data sets the suites guard, built deterministically from data shipped in scikit-learn.

The files in validation_data/data/ are committed; `atelier validate --regenerate` rebuilds them
and a unit test checks that the committed files equal a fresh build (no silent drift).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd


def structured_features() -> pd.DataFrame:
    """The records exactly as the structured-data pipeline loads them (ids, columns, target)."""
    from structured_data.features import load_dataset

    data = load_dataset()
    frame = pd.DataFrame(data.X, columns=data.columns)
    frame.insert(0, "id", data.ids)
    frame["target"] = data.y
    return frame


def digit_images_manifest() -> pd.DataFrame:
    """One row per golden digit image: its identity, geometry, mode and label."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    rows = []
    for index, (image, label) in enumerate(zip(digits.images, digits.target, strict=True)):
        pixels = np.asarray(image, dtype=np.uint8)
        rows.append(
            {
                "image_id": f"digit-{index:04d}",
                "width": int(pixels.shape[1]),
                "height": int(pixels.shape[0]),
                "mode": "L",
                "label": int(label),
                "sha256": hashlib.sha256(pixels.tobytes()).hexdigest()[:16],
                "max_intensity": int(pixels.max()),
            }
        )
    return pd.DataFrame(rows)


def active_learning_pools(pool_ids: tuple[str, ...] = ("1914", "1918", "1939")) -> pd.DataFrame:
    """The active-learning pools: each dataset id owns a deterministic slice of the digits."""
    manifest = digit_images_manifest()
    rng = np.random.default_rng(1914)
    order = rng.permutation(len(manifest))
    slices = np.array_split(order, len(pool_ids))
    rows = []
    for pool_id, members in zip(pool_ids, slices, strict=True):
        for member in sorted(members.tolist()):
            rows.append(
                {
                    "pool_id": pool_id,
                    "image_id": manifest.loc[member, "image_id"],
                    "label": int(manifest.loc[member, "label"]),
                }
            )
    return pd.DataFrame(rows)


BUILDERS = {
    "structured_features": structured_features,
    "digit_images": digit_images_manifest,
    "al_pools": active_learning_pools,
}


def write_all(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in BUILDERS.items():
        path = directory / f"{name}.csv"
        build().to_csv(path, index=False, float_format="%.10g")
        written.append(path)
    return written
