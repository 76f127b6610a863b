"""Load GitHub Actions workflow files as plain data (``on:`` is YAML 1.1's ``True``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

WORKFLOWS_DIR = Path(".github") / "workflows"


@dataclass(frozen=True)
class Workflow:
    path: Path
    text: str
    data: dict[Any, Any]  # YAML 1.1: the key `on` loads as True

    @property
    def name(self) -> str:
        return self.path.name

    @cached_property
    def triggers(self) -> dict[str, dict[str, Any]]:
        """``on:`` normalised to ``{event: {filter: value}}``."""
        data: dict[Any, Any] = self.data
        raw = data.get("on", data.get(True))  # PyYAML (YAML 1.1) reads the key `on` as True
        if raw is None:
            return {}
        if isinstance(raw, str):
            return {raw: {}}
        if isinstance(raw, list):
            return {str(e): {} for e in raw}
        return {str(k): (v or {}) for k, v in raw.items()}

    @property
    def jobs(self) -> dict[str, dict[str, Any]]:
        jobs = self.data.get("jobs") or {}
        return {str(k): v for k, v in jobs.items()}

    @property
    def reusable(self) -> bool:
        return "workflow_call" in self.triggers


def load(path: Path) -> Workflow:
    stat = path.stat()
    return _load(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=512)
def _load(path: Path, mtime_ns: int, size: int) -> Workflow:
    """Parsed once per file version (the simulator reads the workflows for every event)."""
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a workflow (top level is {type(data).__name__})")
    return Workflow(path, text, data)


def load_all(root: Path) -> dict[str, Workflow]:
    directory = root / WORKFLOWS_DIR
    files = sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")])
    return {p.name: load(p) for p in files}


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in job.get("steps") or [] if isinstance(s, dict)]


_GLOB_PARTS = re.compile(r"\*\*|\*|\?|[^*?]+")


def glob_regex(pattern: str) -> re.Pattern[str]:
    """GitHub filter pattern: ``*`` stops at ``/``, ``**`` crosses it, ``?`` is one character."""
    out = []
    for part in _GLOB_PARTS.findall(pattern):
        if part == "**":
            out.append(".*")
        elif part == "*":
            out.append("[^/]*")
        elif part == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out))


def matches(patterns: list[str], value: str) -> bool:
    """Ordered patterns where ``!pattern`` excludes again, as in GitHub's filters."""
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        if glob_regex(pattern[1:] if negate else pattern).fullmatch(value):
            result = not negate
    return result
