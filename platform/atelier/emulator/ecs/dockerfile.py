"""Read an image's Dockerfile: the process a container of that image would run.

An ECS image ``<registry>/atelier/<name>[:tag]`` (or ``atelier/<name>``) is the Dockerfile
``<images dir>/<name>/Dockerfile``; the images dirs are ``$ATELIER_IMAGES_DIRS``
(``os.pathsep``-separated) followed by ``<repo>/pipelines``. The build context is the
repository root, so ``COPY`` sources are repository paths and ``COPY`` destinations tell us
where a container path lives on this machine.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

IMAGES_DIRS_ENV = "ATELIER_IMAGES_DIRS"
_IMAGE_RE = re.compile(r"^(?:.*/)?atelier/(?P<name>[A-Za-z0-9_.-]+)(?::[^/@]+)?(?:@.+)?$")
_VAR_RE = re.compile(
    r"\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}"
    r"|\$(?P<plain>[A-Za-z_][A-Za-z0-9_]*)"
)


class DockerfileError(ValueError):
    """The Dockerfile cannot be read as a process definition."""


@dataclass
class ImageConfig:
    """What a Dockerfile says about the process its containers run."""

    dockerfile: Path
    context: Path
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    # container destination -> host source, in COPY order
    copies: list[tuple[str, Path]] = field(default_factory=list)
    exposed: list[int] = field(default_factory=list)

    def host_path(self, container_path: str) -> Path | None:
        """The host path behind ``container_path`` (absolute, or relative to WORKDIR)."""
        path = PurePosixPath(self.workdir) / container_path
        for dest, src in reversed(self.copies):
            dest_path = PurePosixPath(dest)
            if path == dest_path:
                return src
            if dest_path in path.parents:
                return src / path.relative_to(dest_path)
        return None

    def python_path(self) -> list[Path]:
        """Host dirs that make the packages copied into WORKDIR importable, as in the image."""
        dirs: list[Path] = []
        workdir = PurePosixPath(self.workdir)
        for dest, src in self.copies:
            dest_path = PurePosixPath(dest)
            if dest_path == workdir and src.is_dir():
                dirs.append(src)
            elif dest_path.parent == workdir and src.is_dir() and src.name == dest_path.name:
                dirs.append(src.parent)
        return list(dict.fromkeys(dirs))

    def host_workdir(self) -> Path:
        """Where the process starts: WORKDIR's host path, else the host dir of what was
        copied into WORKDIR under its own name, else the build context."""
        mapped = self.host_path(self.workdir)
        if mapped is not None and mapped.is_dir():
            return mapped
        workdir = PurePosixPath(self.workdir)
        for dest, src in self.copies:
            dest_path = PurePosixPath(dest)
            if dest_path.parent == workdir and src.name == dest_path.name and src.exists():
                return src.parent
        return self.context


def images_dirs(repo_root: Path) -> list[Path]:
    extra = [Path(p) for p in os.environ.get(IMAGES_DIRS_ENV, "").split(os.pathsep) if p]
    return [*extra, repo_root / "pipelines"]


def image_name(image: str) -> str | None:
    """``123.dkr.ecr.../atelier/structured_data:1.2`` -> ``structured_data``; else None."""
    match = _IMAGE_RE.match(image.strip())
    return match.group("name") if match else None


def find_dockerfile(image: str, repo_root: Path) -> Path:
    """The Dockerfile behind an image name; DockerfileError says where it looked."""
    name = image_name(image)
    if name is None:
        raise DockerfileError(
            f"image {image!r} is not an Atelier image (expected '[<registry>/]atelier/<name>[:tag]')"
        )
    searched = [d / name / "Dockerfile" for d in images_dirs(repo_root)]
    for candidate in searched:
        if candidate.is_file():
            return candidate
    raise DockerfileError(
        f"no Dockerfile for image {image!r}: looked in " + ", ".join(str(p) for p in searched)
    )


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        lines.append(current.strip())
        current = ""
    if current.strip():
        lines.append(current.strip())
    return lines


def _expand(value: str, env: dict[str, str]) -> str:
    def repl(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("plain")
        default = match.group("default")
        return env.get(name, default if default is not None else "")

    return _VAR_RE.sub(repl, value)


def _command(rest: str) -> list[str]:
    """Exec form (JSON array) as is; shell form through /bin/sh -c, as Docker does."""
    if rest.startswith("["):
        try:
            argv = json.loads(rest)
        except json.JSONDecodeError as exc:
            raise DockerfileError(f"bad exec form {rest!r}: {exc}") from exc
        if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            raise DockerfileError(f"exec form must be a list of strings: {rest!r}")
        return argv
    return ["/bin/sh", "-c", rest]


def _parse_env(rest: str, env: dict[str, str]) -> None:
    tokens = shlex.split(rest, posix=True)
    if tokens and "=" not in tokens[0]:  # legacy form: ENV KEY value with spaces
        env[tokens[0]] = _expand(rest.split(None, 1)[1] if len(tokens) > 1 else "", env)
        return
    for token in tokens:
        key, _, value = token.partition("=")
        env[key] = _expand(value, env)


def _parse_copy(rest: str, cfg: ImageConfig, env: dict[str, str]) -> None:
    parts = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
    flags = [p for p in parts if p.startswith("--")]
    if any(f.startswith("--from") for f in flags):
        return  # multi-stage artifacts have no host source
    paths = [_expand(p, env) for p in parts if not p.startswith("--")]
    if len(paths) < 2:
        raise DockerfileError(f"COPY needs a source and a destination: {rest!r}")
    *sources, dest = paths
    dest_abs = str(PurePosixPath(cfg.workdir) / dest)
    for src in sources:
        host = (cfg.context / src).resolve()
        target = dest_abs
        if len(sources) > 1 or dest.endswith("/"):
            target = str(PurePosixPath(dest_abs) / PurePosixPath(src).name)
        cfg.copies.append((target, host))


def parse_dockerfile(path: Path, context: Path) -> ImageConfig:
    """Parse the final stage of a Dockerfile (FROM resets the config, as each stage does)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DockerfileError(f"cannot read {path}: {exc}") from exc
    cfg = ImageConfig(dockerfile=path, context=context)
    args: dict[str, str] = {}
    for line in _logical_lines(text):
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        rest = rest.strip()
        scope = {**args, **cfg.env}
        if instruction == "FROM":
            cfg = ImageConfig(dockerfile=path, context=context)
        elif instruction == "ARG":
            key, _, default = rest.partition("=")
            args[key.strip()] = default.strip().strip('"')
        elif instruction == "WORKDIR":
            cfg.workdir = str(PurePosixPath(cfg.workdir) / _expand(rest, scope))
        elif instruction == "ENV":
            _parse_env(rest, cfg.env)
        elif instruction in ("COPY", "ADD"):
            _parse_copy(rest, cfg, scope)
        elif instruction == "ENTRYPOINT":
            cfg.entrypoint = _command(rest)
            cfg.cmd = None  # Docker resets CMD when ENTRYPOINT is set
        elif instruction == "CMD":
            cfg.cmd = _command(rest)
        elif instruction == "EXPOSE":
            cfg.exposed += [int(p.split("/")[0]) for p in rest.split() if p.split("/")[0].isdigit()]
    return cfg


def container_argv(
    cfg: ImageConfig, entry_point: list[str] | None, command: list[str] | None
) -> list[str]:
    """ENTRYPOINT + CMD as ECS combines them: the task definition's values win."""
    entry = entry_point if entry_point else (cfg.entrypoint or [])
    cmd = command if command else ([] if entry_point else (cfg.cmd or []))
    if not entry_point and cfg.entrypoint and cfg.entrypoint[:2] == ["/bin/sh", "-c"]:
        return list(cfg.entrypoint)  # shell-form ENTRYPOINT ignores CMD
    argv = [*entry, *cmd]
    if not argv:
        raise DockerfileError(f"{cfg.dockerfile}: no ENTRYPOINT or CMD, and none in the task")
    return argv
