"""The e2e runner's concurrent steps and report, and when the frontend build may be skipped."""

from __future__ import annotations

import io
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from atelier.validation.offline import external_urls
from atelier_devtools.e2e.frontend import (
    build_is_current,
    node_modules_mismatch,
    write_build_stamp,
)
from atelier_devtools.e2e.report import wall_seconds, write_html, write_junit
from atelier_devtools.e2e.steps import Run, StepFailed


def quiet_run() -> Run:
    return Run(console=Console(file=io.StringIO(), force_terminal=False))


def sleeper(seconds: float, detail: str) -> Callable[[], str]:
    def fn() -> str:
        time.sleep(seconds)
        return detail

    return fn


def test_concurrent_steps_are_timed_each_and_counted_once_in_the_wall_time(
    tmp_path: Path,
) -> None:
    run = quiet_run()
    run.step("first", sleeper(0.05, "one"))
    run.concurrently([("a", sleeper(0.3, "A")), ("b", sleeper(0.3, "B"))])
    names = [r.name for r in run.results]
    assert names == ["first", "a", "b"]
    a, b = run.results[1], run.results[2]
    assert a.concurrent_with == ("b",) and b.concurrent_with == ("a",)
    assert a.seconds >= 0.3 and b.seconds >= 0.3
    total = sum(r.seconds for r in run.results)
    assert wall_seconds(run.results) < total - 0.2  # the overlap is not counted twice

    write_junit(run.results, tmp_path / "junit.xml")
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert float(suite.get("time", "0")) == pytest.approx(wall_seconds(run.results), abs=1e-3)
    props = {p.get("value") for p in suite.iter("property") if p.get("name") == "concurrent_with"}
    assert props == {"a", "b"}
    page = write_html(run.results, tmp_path).read_text()
    assert "ran concurrently with b" in page and "wall clock" in page
    assert external_urls(page) == []  # the report works offline


def test_a_failing_concurrent_step_is_recorded_the_others_finish_and_it_is_raised() -> None:
    run = quiet_run()

    def boom() -> str:
        raise StepFailed("the job FAILED")

    with pytest.raises(StepFailed, match="the job FAILED"):
        run.concurrently([("bad", boom), ("good", sleeper(0.1, "fine"))])
    by_name = {r.name: r for r in run.results}
    assert not by_name["bad"].ok and "FAILED" in by_name["bad"].error
    assert by_name["good"].ok and by_name["good"].detail == "fine"
    assert run.failed is by_name["bad"]


# -- frontend ------------------------------------------------------------------------------


def make_frontend(root: Path) -> Path:
    lock = {
        "packages": {
            "": {"name": "app"},
            "node_modules/vite": {"version": "8.0.0", "resolved": "r1", "integrity": "i1"},
            "node_modules/fsevents": {"version": "2.3.3", "optional": True, "os": ["darwin"]},
        }
    }
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.tsx").write_text("console.log(1)\n")
    (root / "index.html").write_text("<html></html>\n")
    (root / "package.json").write_text("{}\n")
    (root / "package-lock.json").write_text(json.dumps(lock))
    installed = {"packages": {"node_modules/vite": lock["packages"]["node_modules/vite"]}}
    (root / "node_modules" / "vite").mkdir(parents=True)
    (root / "node_modules" / "vite" / "package.json").write_text("{}")
    (root / "node_modules" / ".package-lock.json").write_text(json.dumps(installed))
    return root


def test_node_modules_matching_the_lockfile_needs_no_npm_ci(tmp_path: Path) -> None:
    fe = make_frontend(tmp_path)
    assert node_modules_mismatch(fe) is None  # an absent optional package is fine


def test_a_changed_lockfile_or_missing_package_needs_npm_ci(tmp_path: Path) -> None:
    fe = make_frontend(tmp_path)
    lock = json.loads((fe / "package-lock.json").read_text())
    lock["packages"]["node_modules/vite"]["version"] = "8.0.1"
    (fe / "package-lock.json").write_text(json.dumps(lock))
    assert "differs" in (node_modules_mismatch(fe) or "")

    fe2 = make_frontend(tmp_path / "two")
    (fe2 / "node_modules" / "vite" / "package.json").unlink()
    assert "missing on disk" in (node_modules_mismatch(fe2) or "")

    fe3 = make_frontend(tmp_path / "three")
    (fe3 / "node_modules" / ".package-lock.json").unlink()
    assert node_modules_mismatch(fe3) is not None


def test_the_build_is_skipped_only_for_the_same_sources_and_the_same_dist(tmp_path: Path) -> None:
    fe = make_frontend(tmp_path)
    assert not build_is_current(fe, "v20")  # never built
    (fe / "dist").mkdir()
    (fe / "dist" / "index.html").write_text("built\n")
    write_build_stamp(fe, "v20")
    assert build_is_current(fe, "v20")
    assert not build_is_current(fe, "v22")  # another Node

    (fe / "src" / "main.tsx").write_text("console.log(2)\n")  # a source edit
    assert not build_is_current(fe, "v20")
    write_build_stamp(fe, "v20")
    assert build_is_current(fe, "v20")

    (fe / "dist" / "index.html").write_text("built by something else\n")  # dist changed
    assert not build_is_current(fe, "v20")
