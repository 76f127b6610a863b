"""Image inputs in S3: active-learning pools, composite test images, bad-input samples.

Everything is generated deterministically from scikit-learn's digits and sample photos, so a
re-run writes the same bytes; objects whose content is already there are not rewritten.

- ``pools/<id>/manifest.json`` + ``pools/<id>/images/NNNN.png`` for ids 1914, 1918, 1939
- ``images/composite-N.png`` (+ ``.json`` answer key) and ``images/manifest.json``
- ``samples/not-an-image.png`` and ``samples/bomb.png`` for the bad-input tests
"""

from __future__ import annotations

import hashlib
import io
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

DATASET_IDS = ("1914", "1918", "1939")
POOL_SEED = 1914
COMPOSITES = (
    {"seed": 0, "cols": 8, "rows": 6},
    {"seed": 1, "cols": 12, "rows": 8},
    {"seed": 2, "cols": 6, "rows": 4},
)


def _etags(s3: Any, bucket: str, prefix: str) -> dict[str, str]:
    """Key -> ETag of what is already stored under ``prefix`` (one listing, not one HEAD each)."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {o["Key"]: o["ETag"].strip('"') for page in pages for o in page.get("Contents", [])}


def _put_if_changed(
    s3: Any, bucket: str, key: str, body: bytes, ctype: str, etags: dict[str, str] | None = None
) -> bool:
    """Upload unless an object with the same MD5 ETag is already there; True if written."""
    known = etags if etags is not None else _etags(s3, bucket, key)
    if known.get(key) == hashlib.md5(body, usedforsecurity=False).hexdigest():
        return False
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=ctype)
    return True


def _json(doc: Any) -> bytes:
    return json.dumps(doc, indent=2, sort_keys=True).encode()


def pool_items() -> dict[str, list[dict[str, Any]]]:
    """The digits split into three disjoint pools (deterministic)."""
    from non_structured_data_images.tiles import digits

    _, labels = digits()
    order = np.random.default_rng(POOL_SEED).permutation(len(labels))
    out: dict[str, list[dict[str, Any]]] = {}
    for dataset_id, part in zip(DATASET_IDS, np.array_split(order, len(DATASET_IDS)), strict=True):
        out[dataset_id] = [
            {
                "id": f"{dataset_id}-{n:04d}",
                "key": f"pools/{dataset_id}/images/{n:04d}.png",
                "label": int(labels[i]),
                "source_index": int(i),
            }
            for n, i in enumerate(part.tolist())
        ]
    return out


def seed_pools(s3: Any, bucket: str, per_pool: int | None = None) -> dict[str, int]:
    """Write the pools (``per_pool`` caps each one, for quick tests); returns their sizes."""
    from non_structured_al_data_images.pools import grid_to_png
    from non_structured_data_images.tiles import digits

    grids, _ = digits()
    counts: dict[str, int] = {}
    for dataset_id, all_items in pool_items().items():
        items = all_items[:per_pool] if per_pool else all_items
        etags = _etags(s3, bucket, f"pools/{dataset_id}/")
        uploads = [(item["key"], grid_to_png(grids[item["source_index"]])) for item in items]

        def upload(key_body: tuple[str, bytes], etags: dict[str, str] = etags) -> bool:
            return _put_if_changed(s3, bucket, key_body[0], key_body[1], "image/png", etags)

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(upload, uploads))
        manifest = {
            "dataset_id": dataset_id,
            "description": "8x8 handwritten digits (scikit-learn), dark ink on paper",
            "width": 8,
            "height": 8,
            "mode": "L",
            "format": "PNG",
            "labels": list(range(10)),
            "items": items,
        }
        _put_if_changed(
            s3,
            bucket,
            f"pools/{dataset_id}/manifest.json",
            _json(manifest),
            "application/json",
            etags,
        )
        counts[dataset_id] = len(items)
    return counts


def seed_composites(s3: Any, bucket: str) -> list[dict[str, Any]]:
    from non_structured_data_images.composite import compose
    from non_structured_data_images.train import split_indices

    held_out = split_indices()[1]
    entries = []
    for n, spec in enumerate(COMPOSITES):
        comp = compose(spec["seed"], cols=spec["cols"], rows=spec["rows"], digit_indices=held_out)
        buf = io.BytesIO()
        comp.image.save(buf, format="PNG")
        key = f"images/composite-{n}.png"
        _put_if_changed(s3, bucket, key, buf.getvalue(), "image/png")
        truth = {"image": key, "tile_size": comp.tile, "digits": comp.truth_boxes()}
        _put_if_changed(s3, bucket, f"images/composite-{n}.json", _json(truth), "application/json")
        entries.append(
            {
                "key": key,
                "width": comp.image.width,
                "height": comp.image.height,
                "mode": comp.image.mode,
                "format": "PNG",
                "tile_size": comp.tile,
                "n_digits": len(comp.truth),
                "answer_key": f"images/composite-{n}.json",
            }
        )
    _put_if_changed(
        s3, bucket, "images/manifest.json", _json({"images": entries}), "application/json"
    )
    return entries


def seed_bad_samples(s3: Any, bucket: str) -> dict[str, str]:
    """Objects the bad-input tests link to: text named .png, and a decompression bomb."""
    from atelier.seed.bomb import bomb_png

    samples = {
        "not_an_image": ("samples/not-an-image.png", b"this is text, not a PNG\n"),
        "decompression_bomb": ("samples/bomb.png", bomb_png()),
    }
    for key, body in samples.values():
        _put_if_changed(s3, bucket, key, body, "image/png")
    return {name: f"s3://{bucket}/{key}" for name, (key, _) in samples.items()}
