"""Image pools in S3: ``pools/<dataset_id>/manifest.json`` listing 8x8 digit images and labels.

Manifest::

    {"dataset_id": "1914", "width": 8, "height": 8, "mode": "L", "labels": [0, ..., 9],
     "items": [{"id": "1914-0000", "key": "pools/1914/images/0000.png", "label": 3}, ...]}

Images show dark ink on light paper; they become 8x8 ink grids in [0, 16] as for the CNN.
"""

from __future__ import annotations

import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from botocore.exceptions import ClientError
from PIL import Image

from ml_common.aws import client
from ml_common.errors import PipelineError
from ml_common.images import load_image

DATASET_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
MAX_DATASETS = 20


@dataclass(frozen=True)
class Pool:
    ids: list[str]
    x: np.ndarray[Any, Any]
    y: np.ndarray[Any, Any]


def parse_dataset_ids(raw: str) -> list[str]:
    """``"1914,1918"`` or ``'["1914","1918"]'`` -> unique ids in order; PipelineError if bad."""
    text = raw.strip()
    try:
        values = json.loads(text) if text.startswith("[") else text.split(",")
    except json.JSONDecodeError as exc:
        raise PipelineError("DATASET_IDS is not a valid JSON list") from exc
    ids = [str(v).strip() for v in values if str(v).strip()]
    if not ids:
        raise PipelineError("no dataset ids given")
    if len(ids) > MAX_DATASETS:
        raise PipelineError(f"at most {MAX_DATASETS} dataset ids, got {len(ids)}")
    bad = [i for i in ids if not DATASET_ID.match(i)]
    if bad:
        raise PipelineError(f"invalid dataset id {bad[0][:64]!r}")
    return list(dict.fromkeys(ids))


def image_to_grid(data: bytes) -> np.ndarray[Any, Any]:
    small = load_image(data).convert("L").resize((8, 8), Image.Resampling.BOX)
    return (255.0 - np.asarray(small, dtype=np.float32)) / 255.0 * 16.0


def grid_to_png(grid: np.ndarray[Any, Any]) -> bytes:
    """An 8x8 ink grid (0..16) as an 8x8 grayscale PNG, dark ink on paper (the inverse)."""
    pixels = np.rint(255.0 - np.asarray(grid, dtype=np.float32).reshape(8, 8) / 16.0 * 255.0)
    buf = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L").save(buf, format="PNG")
    return buf.getvalue()


def read_manifest(bucket: str, dataset_id: str) -> dict[str, Any]:
    try:
        body = client("s3").get_object(Bucket=bucket, Key=f"pools/{dataset_id}/manifest.json")[
            "Body"
        ]
    except ClientError as exc:
        raise PipelineError(f"unknown dataset id {dataset_id!r} (no manifest)") from exc
    manifest: dict[str, Any] = json.loads(body.read())
    if not isinstance(manifest.get("items"), list) or not manifest["items"]:
        raise PipelineError(f"dataset {dataset_id!r} has an empty or invalid manifest")
    return manifest


def load_pools(bucket: str, dataset_ids: list[str], workers: int = 16) -> Pool:
    """Every item of the named pools, images decoded (in parallel) and checked."""
    items = [item for d in dataset_ids for item in read_manifest(bucket, d)["items"]]
    s3 = client("s3")

    def fetch(item: dict[str, Any]) -> np.ndarray[Any, Any]:
        return image_to_grid(s3.get_object(Bucket=bucket, Key=item["key"])["Body"].read())

    with ThreadPoolExecutor(max_workers=workers) as pool:
        grids = list(pool.map(fetch, items))
    labels = np.array([int(item["label"]) for item in items], dtype=np.int64)
    if labels.min() < 0 or labels.max() > 9:
        raise PipelineError("pool labels must be digits 0-9")
    return Pool(ids=[str(item["id"]) for item in items], x=np.stack(grids), y=labels)
