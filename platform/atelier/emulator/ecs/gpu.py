"""GPU detection: which device a GPU task gets on this machine.

``settings.gpu``: ``auto`` (detect with nvidia-smi, then torch.cuda), ``none`` (never grant a
GPU) or ``force`` (report one even if undetected; for machines where detection lies).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal


@dataclass(frozen=True)
class GpuInfo:
    available: bool
    name: str
    source: str  # nvidia-smi | torch | forced | none | disabled

    def as_dict(self) -> dict[str, object]:
        return {"available": self.available, "name": self.name, "source": self.source}


def _nvidia_smi() -> str | None:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    names = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    return names[0] if out.returncode == 0 and names else None


def _torch_cuda() -> str | None:
    if importlib.util.find_spec("torch") is None:
        return None
    # torch takes ~1 s to import: only pay for it in a child process, off the start path.
    code = "import torch;print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
    try:
        out = subprocess.run(
            [shutil.which("python3") or "python3", "-c", code],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    name = out.stdout.strip()
    return name or None


@lru_cache(maxsize=4)
def detect(mode: Literal["auto", "none", "force"] = "auto") -> GpuInfo:
    if mode == "none":
        return GpuInfo(False, "", "disabled")
    name = _nvidia_smi()
    if name:
        return GpuInfo(True, name, "nvidia-smi")
    if mode == "force":
        return GpuInfo(True, "forced", "forced")
    # nvidia-smi is the cheap, reliable check; torch only confirms when the driver tools
    # are missing (e.g. a container with the CUDA runtime but no nvidia-smi).
    if shutil.which("nvidia-smi") is None and _cuda_libs_present():
        name = _torch_cuda()
        if name:
            return GpuInfo(True, name, "torch")
    return GpuInfo(False, "", "none")


def _cuda_libs_present() -> bool:
    import ctypes.util

    return ctypes.util.find_library("cuda") is not None


def wants_gpu(task_definition: dict[str, object], container: dict[str, object]) -> bool:
    """True when the container asks for a GPU (resourceRequirements type GPU)."""
    for req in container.get("resourceRequirements") or []:  # type: ignore[attr-defined]
        if isinstance(req, dict) and req.get("type") == "GPU" and str(req.get("value", "0")) != "0":
            return True
    return False
