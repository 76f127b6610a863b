"""The benchmark section writer: each group replaces its own section, notes under it stay."""

from __future__ import annotations

from pathlib import Path

from atelier_devtools.bench.report import (
    Row,
    comparison_table,
    header,
    replace_section,
    write_section,
)

DOC = """# Benchmarks

Intro paragraph.

## Runtime

old runtime table

### Where the time went (runtime)

hand-written note

## Deploy

old deploy table
"""


def test_replaces_the_named_section_in_place_and_keeps_its_notes() -> None:
    updated = replace_section(DOC, "Runtime", "## Runtime\n\nnew runtime table\n")
    assert "old runtime table" not in updated
    assert updated.index("new runtime table") < updated.index("### Where the time went")
    assert "hand-written note" in updated
    # the sections around it are untouched and keep their order
    assert updated.startswith("# Benchmarks\n\nIntro paragraph.\n\n## Runtime\n")
    assert updated.index("hand-written note") < updated.index("## Deploy\n\nold deploy table\n")
    assert updated.count("## Runtime") == 1


def test_replaces_the_last_section_without_touching_the_others() -> None:
    updated = replace_section(DOC, "Deploy", "## Deploy\n\nnew deploy table\n")
    assert updated.endswith("## Deploy\n\nnew deploy table\n")
    assert "old deploy table" not in updated
    assert DOC.split("## Deploy")[0] in updated


def test_adds_a_missing_section_at_the_end() -> None:
    updated = replace_section(DOC, "e2e", "## e2e\n\nsteps\n")
    assert updated == DOC + "\n## e2e\n\nsteps\n"


def test_a_name_that_prefixes_another_section_does_not_match_it() -> None:
    doc = "# Benchmarks\n\n## Deploy notes\n\nkeep me\n"
    updated = replace_section(doc, "Deploy", "## Deploy\n\nx\n")
    assert "keep me" in updated and updated.endswith("## Deploy\n\nx\n")


def test_rewriting_is_stable(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(DOC)
    lines = [
        *header("Runtime", "runtime", "2 CPUs"),
        *comparison_table([Row("m", 0.5, 1.0, "n/a (x)", "≤ 1 s")]),
    ]
    text = write_section("Runtime", lines, doc=doc)
    once = doc.read_text()
    write_section("Runtime", lines, doc=doc)
    assert doc.read_text() == once
    assert text in once and "hand-written note" in once
    assert "| m | 500.0 ms | 1.00 s | n/a (x) | ≤ 1 s | 2.0x faster |" in once


def test_write_false_leaves_the_file_alone(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(DOC)
    write_section("Deploy", ["## Deploy", "", "new"], write=False, doc=doc)
    assert doc.read_text() == DOC
