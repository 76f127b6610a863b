"""Read ``topology.yaml`` into :class:`Topology`; any fault becomes one error with field and line.

YAML is composed into nodes (which keep their marks) and built into plain data by hand, so
every value's path maps to its line. A pydantic error location is then walked back to the
deepest path that has a line: ``topology.yaml:57: lambdas.auth.timeout: Input should be ...``.
Duplicate keys, which PyYAML would silently merge, are errors too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

import yaml
from pydantic import ValidationError

from atelier.config import find_repo_root
from atelier.topology.models import FieldError, Path, Topology, reference_errors


@dataclass(frozen=True)
class Problem:
    line: int | None
    path: str
    message: str

    def render(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line is not None else source
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class TopologyError(ValueError):
    """A topology file that cannot be used; ``problems`` lists each fault with its line."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        lines = [p.render(source) for p in problems]
        super().__init__("invalid topology:\n  " + "\n  ".join(lines))


def _dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)


_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _scalar(node: yaml.Node) -> Any:
    return _CONSTRUCTOR.construct_object(node, deep=True)


def _build(node: yaml.Node, path: Path, lines: dict[Path, int], source: str) -> Any:
    """Plain data from a composed node, recording each path's 1-based line in ``lines``."""
    if path:  # the root has no line of its own: a missing section is reported without one
        lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                raise TopologyError(
                    source, [Problem(line, _dotted(path), "keys must be plain names (no merge)")]
                )
            key = _scalar(key_node)
            if key in out:
                raise TopologyError(source, [Problem(line, _dotted((*path, key)), "duplicate key")])
            out[key] = _build(value_node, (*path, key), lines, source)
            lines[(*path, key)] = line
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), lines, source) for i, item in enumerate(node.value)]
    return _scalar(node)


def _line_of(loc: Path, lines: dict[Path, int]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _clean_loc(loc: tuple[Any, ...]) -> Path:
    # pydantic adds validator tags such as "function-after[...]" or "str" to the location.
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in {"str"})))


def parse(text: str, source: str = "topology.yaml") -> Topology:
    """Validate YAML text; raise :class:`TopologyError` naming each bad field and its line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise TopologyError(source, [Problem(line, "", f"not valid YAML: {problem}")]) from exc
    if node is None or not isinstance(node, yaml.MappingNode):
        raise TopologyError(source, [Problem(1, "", "the file must be a mapping of sections")])
    lines: dict[Path, int] = {}
    data = _build(node, (), lines, source)
    try:
        topology = Topology.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc, msg = _clean_loc(err["loc"]), err["msg"]
            cause = err.get("ctx", {}).get("error")
            if isinstance(cause, FieldError):
                loc, msg = (*loc, cause.field), str(cause)
            problems.append(Problem(_line_of(loc, lines), _dotted(loc), msg))
        raise TopologyError(source, problems) from None
    refs = reference_errors(topology)
    if refs:
        raise TopologyError(
            source, [Problem(_line_of(path, lines), _dotted(path), msg) for path, msg in refs]
        )
    return topology


def default_path() -> FsPath:
    """The checkout's ``topology.yaml``."""
    return find_repo_root() / "topology.yaml"


def load(path: str | FsPath | None = None) -> Topology:
    """Load and validate ``topology.yaml`` (by default the checkout's: see
    :func:`atelier.config.find_repo_root`)."""
    file = FsPath(path) if path is not None else default_path()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise TopologyError(str(file), [Problem(None, "", f"cannot read: {exc}")]) from exc
    return parse(text, source=str(file))
