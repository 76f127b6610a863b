"""The frontend's ``config.json``, made from what a deployment reports and written into the build
before it is published (so ``aws s3 sync --delete`` uploads it instead of deleting it).

``python -m atelier.deploy.frontend_config terraform <envs/STAGE dir> [--out DIR]``
    from ``terraform output -json frontend_config`` (the stack module's output)
``python -m atelier.deploy.frontend_config outputs <outputs.json> [--out DIR]``
    from ``atelier deploy``'s outputs (the Python engine, any account on the runtime)
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Standard library only: CI runs it with a bare python3 before publishing.
DEFAULT_OUT = Path(__file__).resolve().parents[3] / "frontend" / "dist"
REQUIRED = ("apiUrl", "env")


class FrontendConfigError(Exception):
    """The outputs lack what the frontend needs; the message names it."""


def from_outputs(outputs: dict[str, Any]) -> dict[str, Any]:
    """config.json from ``atelier deploy``'s outputs.json."""
    buckets = outputs.get("buckets") or {}
    return {
        "apiUrl": outputs.get("api_url"),
        "env": outputs.get("env"),
        "region": outputs.get("region"),
        "inputsBucket": buckets.get("inputs"),
        "s3Endpoint": outputs.get("endpoint_url"),
        "uploads": True,
        "pollIntervalMs": 2000,
    }


def from_terraform(env_dir: Path) -> dict[str, Any]:
    """config.json from ``terraform output -json frontend_config`` in ``env_dir``."""
    done = subprocess.run(
        ["terraform", f"-chdir={env_dir}", "output", "-json", "frontend_config"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise FrontendConfigError(f"terraform output failed in {env_dir}: {done.stderr.strip()}")
    value: dict[str, Any] = json.loads(done.stdout)
    return value


def write(config: dict[str, Any], out_dir: Path) -> Path:
    missing = [k for k in REQUIRED if not config.get(k)]
    if missing:
        raise FrontendConfigError(f"the deployment outputs lack {', '.join(missing)}")
    if not out_dir.is_dir():
        raise FrontendConfigError(f"{out_dir} is not a build directory: build the frontend first")
    clean = {k: v for k, v in config.items() if v is not None}
    path = out_dir / "config.json"
    path.write_text(json.dumps(clean, indent=2, sort_keys=True) + "\n")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atelier.deploy.frontend_config")
    parser.add_argument("source", choices=["terraform", "outputs"])
    parser.add_argument("path", type=Path, help="terraform/envs/<stage> or outputs.json")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        config = (
            from_terraform(args.path)
            if args.source == "terraform"
            else from_outputs(json.loads(args.path.read_text()))
        )
        path = write(config, args.out)
    except (FrontendConfigError, OSError, ValueError) as exc:
        print(f"error: {exc}")
        return 1
    print(f"wrote {path} for {config['env']} ({config['apiUrl']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
