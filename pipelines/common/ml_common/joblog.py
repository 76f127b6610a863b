"""One structured log line per job transition, what the monitoring metric filters read.

``{"event": "job_transition", "job_id", "pipeline", "status", "duration_s", "error_class"}`` on
stdout (the task's awslogs stream). The Terraform filter ``jobs-failed``
(``{ ($.event = "job_transition") && ($.status = "FAILED") }``) counts the FAILED ones as
``Atelier/JobsFailed``, the runtime's metric filters do the same locally.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, TextIO

EVENT = "job_transition"


def pipeline_name() -> str:
    """``PIPELINE_NAME`` if set, else the package the task was started from (``python -m``)."""
    explicit = os.environ.get("PIPELINE_NAME")
    if explicit:
        return explicit
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return spec.name.split(".")[0] if spec is not None and spec.name else "unknown"


def transition(
    job_id: str,
    status: str,
    *,
    pipeline: str | None = None,
    duration_s: float | None = None,
    error_class: str | None = None,
    stream: TextIO | None = None,
) -> dict[str, Any]:
    line = {
        "event": EVENT,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "job_id": job_id,
        "pipeline": pipeline or pipeline_name(),
        "status": status,
        "duration_s": None if duration_s is None else round(duration_s, 3),
        "error_class": error_class,
    }
    out = stream or sys.stdout
    out.write(json.dumps(line) + "\n")
    out.flush()
    return line
