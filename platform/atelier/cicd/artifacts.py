"""The image steps CI runs through nox.

``python -m atelier.cicd.artifacts image <pipeline> --registry R --tag T [--build-arg K=V ...]
[--push] [--dry-run]`` (the GPU image's workflow passes ``TORCH_INDEX=<CUDA wheel index>``;
without it the Dockerfile's default, CPU torch, is built, as locally)
``python -m atelier.cicd.artifacts image-tags --out FILE`` (before a Terraform plan: the tag of
each pipeline's last pushed build, as ``{"image_tags": {pipeline: tag}}`` for Terraform; a
change to one pipeline, to Terraform or to lambdas then deploys without rebuilding the others)
``python -m atelier.cicd.artifacts check-images --tag T`` (every pipeline image at one tag).
Lambda bundles are built by ``terraform/bundles.py`` (the bundles Terraform deploys).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_BUILD_ARG = re.compile(r"^[A-Z][A-Z0-9_]*=[^\s]*$")


def image_commands(
    root: Path,
    pipeline: str,
    registry: str,
    tags: Sequence[str],
    *,
    push: bool,
    build_args: Sequence[str] = (),
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
    for arg in build_args:
        if not _BUILD_ARG.match(arg):
            raise ValueError(f"invalid build argument {arg!r}: expected NAME=value")
        build += ["--build-arg", arg]
    commands = [[*build, "."]]
    if push:
        commands += [["docker", "push", ref] for ref in refs]
    return commands


def missing_images(
    pipelines: Sequence[str], tag: str, exists: Callable[[str, str], bool]
) -> list[str]:
    """The ``atelier/<pipeline>`` repositories that have no image tagged ``tag``."""
    return [f"atelier/{p}" for p in pipelines if not exists(f"atelier/{p}", tag)]


def last_tags(pipelines: Sequence[str], newest: Callable[[str], str | None]) -> dict[str, str]:
    """Pipeline -> the tag of its newest image; ValueError naming the pipelines with none."""
    tags = {p: newest(f"atelier/{p}") for p in pipelines}
    missing = sorted(p for p, tag in tags.items() if not tag)
    if missing:
        raise ValueError(
            f"no image pushed yet for {', '.join(missing)}: run its image workflow first"
        )
    return {p: str(tag) for p, tag in tags.items()}


def ecr_newest_tag(repository: str) -> str | None:
    """The tag of the most recently pushed image of ``repository`` (None: no image, no repo)."""
    found = subprocess.run(
        ["aws", "ecr", "describe-images", "--repository-name", repository,
         "--query", "sort_by(imageDetails[?imageTags], &imagePushedAt)[-1].imageTags[0]",
         "--output", "text"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if found.returncode != 0:
        if "RepositoryNotFoundException" in found.stderr:
            return None
        raise RuntimeError(f"aws ecr describe-images {repository}: {found.stderr.strip()}")
    tag = found.stdout.strip()
    return None if tag in ("", "None") else tag


def ecr_has_image(repository: str, tag: str) -> bool:
    """``aws ecr describe-images`` (credentials from the environment, as in CI)."""
    found = subprocess.run(
        ["aws", "ecr", "describe-images", "--repository-name", repository,
         "--image-ids", f"imageTag={tag}", "--output", "json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if found.returncode == 0:
        return True
    if "ImageNotFoundException" in found.stderr or "RepositoryNotFoundException" in found.stderr:
        return False
    raise RuntimeError(f"aws ecr describe-images {repository}: {found.stderr.strip()}")


def pipeline_names(root: Path) -> list[str]:
    base = root / "pipelines"
    return sorted(
        p.name for p in base.iterdir()
        if p.is_dir() and p.name != "common" and (p / "Dockerfile").is_file()
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atelier.cicd.artifacts")
    sub = parser.add_subparsers(dest="what", required=True)
    image = sub.add_parser("image", help="build (and push) a pipeline image")
    image.add_argument("pipeline")
    image.add_argument("--registry", default="")
    image.add_argument("--tag", action="append", default=[])
    image.add_argument("--build-arg", action="append", default=[], dest="build_args")
    image.add_argument("--push", action="store_true")
    image.add_argument("--dry-run", action="store_true", help="print the commands only")
    check = sub.add_parser("check-images", help="fail unless every pipeline image has TAG in ECR")
    check.add_argument("--tag", required=True)
    tags = sub.add_parser("image-tags", help="each pipeline's last pushed tag, for Terraform")
    tags.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.what == "image-tags":
        try:
            found = last_tags(pipeline_names(ROOT), ecr_newest_tag)
        except ValueError as exc:
            print(f"::error::{exc}")
            return 1
        args.out.write_text(json.dumps({"image_tags": found}, indent=2, sort_keys=True) + "\n")
        for pipeline, tag in sorted(found.items()):
            print(f"{pipeline}: {tag}")
        return 0
    if args.what == "check-images":
        missing = missing_images(pipeline_names(ROOT), args.tag, ecr_has_image)
        if missing:
            print(
                f"::error::no image tagged {args.tag} in {', '.join(missing)}: Terraform's "
                "image_tag points every task definition at that tag, so each pipeline image must "
                "have been pushed for this commit first (docs/deployment.md, Limits)."
            )
            return 1
        print(f"every pipeline image has tag {args.tag}")
        return 0
    for command in image_commands(
        ROOT,
        args.pipeline,
        args.registry,
        args.tag or ["local"],
        push=args.push,
        build_args=[a for a in args.build_args if not a.endswith("=")],  # empty: the default
    ):
        print("+ " + " ".join(command), flush=True)
        if not args.dry_run:
            subprocess.run(command, check=True, cwd=ROOT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
