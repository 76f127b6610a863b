"""The docs speak of this repository alone, and docs/architecture.md of the modules that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = ROOT / "platform" / "atelier" / "emulator"
DOCS = sorted([ROOT / "README.md", *ROOT.glob("*/README.md"), *(ROOT / "docs").rglob("*.md")])
TOP = (
    "platform",
    "tests",
    "docs",
    "lambdas",
    "pipelines",
    "terraform",
    "frontend",
    ".ci",
    ".github",
)
# a repository path in backticks or a link: `tests/unit/x.py`, (docs/adr/0001-x.md)
TOPS = "|".join(re.escape(t) for t in TOP)
PATH = re.compile(rf"[`(](?P<path>(?:{TOPS})/[\w./-]+)[`)#:]")
OUTSIDE = re.compile(r"\.\./shared|\bissue \d+|\bthe brief\b|\bthe lead\b|/opt/[\w-]+|/work/", re.I)


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def dangling_paths(text: str) -> list[str]:
    found = {m.group("path").rstrip(".") for m in PATH.finditer(text)}
    return sorted(p for p in found if not (ROOT / p).exists())


@pytest.mark.parametrize("doc", DOCS, ids=_rel)
def test_every_repository_path_a_doc_names_exists(doc: Path) -> None:
    missing = dangling_paths(doc.read_text(encoding="utf-8"))
    assert not missing, f"{_rel(doc)} names files that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=_rel)
def test_docs_speak_of_the_repository_alone(doc: Path) -> None:
    hits = [
        f"line {n}: {m.group(0)!r}"
        for n, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1)
        for m in OUTSIDE.finditer(line)
    ]
    assert not hits, f"{_rel(doc)} points outside the repository: {hits}"


def architecture_rows(text: str) -> list[str]:
    """The first cells of the emulator's module table (``ecs/tasks.py``, ``ministack_compat/``)."""
    section = text.split("## Which module handles what", 1)[1].split("\n## ", 1)[0]
    cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return [name for cell in cells for name in re.findall(r"`([^`]+)`", cell)]


def undocumented_and_unknown(names: list[str]) -> tuple[list[str], list[str]]:
    modules = sorted(
        _rel(p).removeprefix("platform/atelier/emulator/")
        for p in EMULATOR.rglob("*.py")
        if p.name != "__init__.py"
    )
    covered = [
        m for m in modules if any(m == n or (n.endswith("/") and m.startswith(n)) for n in names)
    ]
    unknown = [n for n in names if not (EMULATOR / n).exists()]
    return sorted(set(modules) - set(covered)), unknown


def test_the_architecture_doc_names_every_emulator_module_and_no_other() -> None:
    names = architecture_rows((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8"))
    undocumented, unknown = undocumented_and_unknown(names)
    assert not undocumented, f"docs/architecture.md does not describe {undocumented}"
    assert not unknown, f"docs/architecture.md describes modules that do not exist: {unknown}"


def test_the_checks_catch_a_stale_doc() -> None:
    """Broken on purpose: a moved module, a new one, a dangling path and an outside pointer."""
    names = architecture_rows((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8"))
    stale = [n for n in names if n != "ecs/tasks.py"] + ["ecs_tasks.py"]
    undocumented, unknown = undocumented_and_unknown(stale)
    assert undocumented == ["ecs/tasks.py"] and unknown == ["ecs_tasks.py"]
    assert dangling_paths("see `tests/unit/emulator/test_ministack_bridge.py`") == [
        "tests/unit/emulator/test_ministack_bridge.py"
    ]
    assert dangling_paths("see `tests/unit/test_docs.py`") == []
    assert OUTSIDE.search("the design in `../shared/DESIGN.md`")
    assert OUTSIDE.search("owned by the CI/CD work (issue 7)")


ADR_DIR = ROOT / "docs" / "adr"
ADR_NAME = re.compile(r"(?P<number>\d{4})-[a-z0-9-]+\.md")
ADR_REF = re.compile(r"docs/adr/[\w.-]+\.md")


def adr_problems(names_and_headings: list[tuple[str, str]]) -> list[str]:
    """Each ADR is ``NNNN-slug.md`` with a number no other ADR has, headed ``# ADR NNNN: ...``."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for name, heading in names_and_headings:
        match = ADR_NAME.fullmatch(name)
        if match is None:
            problems.append(f"{name}: not named NNNN-slug.md")
            continue
        number = match["number"]
        if number in seen:
            problems.append(f"{name}: number {number} is also {seen[number]}")
        seen[number] = name
        if not heading.startswith(f"# ADR {number}: "):
            problems.append(f"{name}: heading {heading!r} does not start '# ADR {number}: '")
    return problems


def test_every_adr_has_its_own_number() -> None:
    adrs = [(p.name, p.read_text(encoding="utf-8").split("\n", 1)[0]) for p in ADR_DIR.glob("*.md")]
    assert not adr_problems(sorted(adrs))


def test_the_adr_check_names_a_shared_number_and_a_suffix() -> None:
    problems = adr_problems(
        [
            ("0013-a.md", "# ADR 0013: a"),
            ("0013-b.md", "# ADR 0013: b"),
            ("0011b-c.md", "# ADR 0011b: c"),
            ("0014-d.md", "# 0014: d"),
        ]
    )
    assert problems == [
        "0013-b.md: number 0013 is also 0013-a.md",
        "0011b-c.md: not named NNNN-slug.md",
        "0014-d.md: heading '# 0014: d' does not start '# ADR 0014: '",
    ]


def test_every_adr_the_code_and_docs_name_exists() -> None:
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
    ).stdout.split("\0")
    missing = []
    for rel in tracked:
        path = ROOT / rel
        # this file's own examples name ADRs that do not exist
        if not rel or rel.startswith("docs/adr/") or rel == _rel(Path(__file__)):
            continue
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        missing += [f"{rel}: {ref}" for ref in ADR_REF.findall(text) if not (ROOT / ref).exists()]
    assert not missing, f"references to ADRs that do not exist: {missing}"
