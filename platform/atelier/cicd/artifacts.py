"""The build steps CI runs through nox: pipeline images and lambda zips.

``python -m atelier.cicd.artifacts image <pipeline> --registry R --tag T [--push] [--dry-run]``
``python -m atelier.cicd.artifacts lambdas <out_dir>``
"""

from __future__ import annotations

import argparse
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from atelier.deploy.bundle import build_lambda, build_layer

ROOT = Path(__file__).resolve().parents[3]
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def image_commands(
    root: Path, pipeline: str, registry: str, tags: Sequence[str], *, push: bool
) -> list[list[str]]:
    """``docker build`` of pipelines/<pipeline>/Dockerfile with the repository root as context,
    tagged ``<registry>/atelier/<pipeline>:<tag>`` for each tag, then ``docker push`` each."""
    dockerfile = root / "pipelines" / pipeline / "Dockerfile"
    if pipeline == "common" or not dockerfile.is_file():
        raise ValueError(f"no pipeline image {pipeline!r}: {dockerfile} does not exist")
    if not tags:
        raise ValueError("at least one tag is needed")
    bad = [t for t in tags if not _TAG.match(t)]
    if bad:
        raise ValueError(f"invalid image tag(s) {bad}")
    repository = f"{registry.rstrip('/')}/atelier/{pipeline}" if registry else f"atelier/{pipeline}"
    refs = [f"{repository}:{tag}" for tag in tags]
    build = ["docker", "build", "--file", str(dockerfile.relative_to(root)), "--pull"]
    for ref in refs:
        build += ["--tag", ref]
    commands = [[*build, "."]]
    if push:
        commands += [["docker", "push", ref] for ref in refs]
    return commands


def package_lambdas(root: Path, out_dir: Path) -> list[Path]:
    """One deterministic zip per ``lambdas/<name>/`` and ``shared-layer.zip`` for lambdas/shared."""
    lambdas = root / "lambdas"
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for folder in sorted(p for p in lambdas.iterdir() if p.is_dir()):
        if folder.name.startswith((".", "_")) or folder.name == "__pycache__":
            continue
        bundle = (
            build_layer(folder) if folder.name == "shared" else build_lambda(lambdas, folder.name)
        )
        target = out_dir / f"{bundle.name}.zip"
        target.write_bytes(bundle.data)
        written.append(target)
        print(f"{target}  CodeSha256={bundle.code_sha256}")
    if not written:
        raise ValueError(f"{lambdas} holds no lambda folder")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atelier.cicd.artifacts")
    sub = parser.add_subparsers(dest="what", required=True)
    image = sub.add_parser("image", help="build (and push) a pipeline image")
    image.add_argument("pipeline")
    image.add_argument("--registry", default="")
    image.add_argument("--tag", action="append", default=[])
    image.add_argument("--push", action="store_true")
    image.add_argument("--dry-run", action="store_true", help="print the commands only")
    lambdas = sub.add_parser("lambdas", help="zip every lambda and the shared layer")
    lambdas.add_argument("out_dir", type=Path)
    args = parser.parse_args(argv)
    if args.what == "lambdas":
        package_lambdas(ROOT, args.out_dir)
        return 0
    for command in image_commands(
        ROOT, args.pipeline, args.registry, args.tag or ["local"], push=args.push
    ):
        print("+ " + " ".join(command), flush=True)
        if not args.dry_run:
            subprocess.run(command, check=True, cwd=ROOT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
