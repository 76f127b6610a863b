"""Task entry point (the Dockerfile's CMD): read one image link, find the digits, store results.

Environment: ``JOB_ID``, ``INPUT_LINK`` (RunTask overrides), ``JOBS_TABLE``, ``RESULTS_BUCKET``,
``MODELS_BUCKET``, ``MODEL_NAME`` (default ``digits_cnn``), optional ``MODEL_VERSION``,
``LINK_ALLOWLIST``, ``TILE_SIZE`` (default 32), ``DETECTION_THRESHOLD`` (default 0.8).
Outputs ``s3://$RESULTS_BUCKET/jobs/<job_id>/result.json`` and ``overlay.png``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

from ml_common.aws import client, require_env
from ml_common.digits_net import from_bytes, set_threads
from ml_common.errors import ConfigError
from ml_common.images import load_image
from ml_common.jobs import JobStore, now_iso
from ml_common.links import fetch_link
from ml_common.model_store import load_model
from ml_common.task import configure_logging, run_job
from non_structured_data_images.detect import as_dicts, detect, overlay_png

log = logging.getLogger("non_structured_data_images")


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw else default
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from exc


def process(job_id: str, link: str) -> dict[str, str]:
    """Fetch, check, scan and store; returns the job outputs (name -> s3 URI)."""
    started = time.perf_counter()
    results_bucket = require_env("RESULTS_BUCKET")
    tile = int(_env_number("TILE_SIZE", 32))
    threshold = _env_number("DETECTION_THRESHOLD", 0.8)
    model = load_model(
        require_env("MODELS_BUCKET"),
        os.environ.get("MODEL_NAME", "digits_cnn"),
        version=os.environ.get("MODEL_VERSION") or None,
    )
    net = from_bytes(model.data)
    data = fetch_link(link)
    log.info("fetched %d bytes from the link", len(data))
    image = load_image(data)
    detections, scanned = detect(image, net, tile=tile, threshold=threshold)
    result: dict[str, Any] = {
        "job_id": job_id,
        "input": link,
        "model": {"name": model.name, "version": model.version},
        "image": {
            "width": image.width,
            "height": image.height,
            "format": image.format,
            "mode": image.mode,
        },
        "tile_size": tile,
        "threshold": threshold,
        "tiles_scanned": scanned,
        "detections": as_dicts(detections),
        "digits_read": "".join(str(d.digit) for d in detections),
        "seconds": round(time.perf_counter() - started, 3),
        "created_at": now_iso(),
    }
    s3 = client("s3")
    prefix = f"jobs/{job_id}"
    s3.put_object(
        Bucket=results_bucket,
        Key=f"{prefix}/result.json",
        Body=json.dumps(result, indent=2).encode(),
        ContentType="application/json",
    )
    s3.put_object(
        Bucket=results_bucket,
        Key=f"{prefix}/overlay.png",
        Body=overlay_png(image, detections),
        ContentType="image/png",
    )
    log.info("found %d digits in %d tiles", len(detections), scanned)
    return {
        "result": f"s3://{results_bucket}/{prefix}/result.json",
        "overlay": f"s3://{results_bucket}/{prefix}/overlay.png",
    }


def main() -> int:
    configure_logging()
    set_threads()
    job_id = require_env("JOB_ID")
    link = os.environ.get("INPUT_LINK", "")

    def work(jobs: JobStore) -> dict[str, str]:
        return process(job_id, link)

    return run_job(job_id, work)


if __name__ == "__main__":
    sys.exit(main())
