"""The GPU image rule: the pipeline that runs on GPU capacity is built with CUDA torch for AWS.

Its Dockerfile defaults to CPU torch (``ARG TORCH_INDEX``), which is what the local runtime
runs; on AWS that image would leave the GPU instance paid for and idle. So every workflow job
that builds a ``gpu_task`` pipeline (topology.yaml) through reusable-image.yml passes a CUDA
wheel index as ``torch_index``, and no other pipeline gets one.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from atelier.cicd.rules import RULES
from atelier.cicd.workflows import load_all

REPO_TOPOLOGY = Path(__file__).resolve().parents[3] / "topology.yaml"
CUDA_INDEX = "download.pytorch.org/whl/cu"


def gpu_pipelines(root: Path) -> set[str]:
    path = root / "topology.yaml" if (root / "topology.yaml").is_file() else REPO_TOPOLOGY
    pipelines = (yaml.safe_load(path.read_text()) or {}).get("pipelines") or {}
    return {name for name, p in pipelines.items() if (p or {}).get("kind") == "gpu_task"}


def check_gpu_image(root: Path) -> list[str]:
    rule = RULES["gpu-image-cuda"]
    gpu = gpu_pipelines(root)
    out: list[str] = []
    for file, wf in load_all(root).items():
        for job_id, job in wf.jobs.items():
            if not str(job.get("uses", "")).endswith("/reusable-image.yml"):
                continue
            given = job.get("with") or {}
            pipeline, index = str(given.get("pipeline", "")), str(given.get("torch_index", ""))
            matrix = [
                str(p)
                for p in ((job.get("strategy") or {}).get("matrix") or {}).get("pipeline", [])
            ]
            built = matrix if "matrix.pipeline" in pipeline else [pipeline]
            for name in built:
                cuda = CUDA_INDEX in index and (name in index or len(built) == 1)
                if name in gpu and not cuda:
                    out.append(
                        rule.fail(f"{file} job {job_id} builds {name} without a CUDA torch_index")
                    )
                if name not in gpu and len(built) == 1 and CUDA_INDEX in index:
                    out.append(rule.fail(f"{file} job {job_id} gives {name} a CUDA torch_index"))
    return out
