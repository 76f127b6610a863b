"""The deploy and e2e groups turn failures into cells and read the e2e's JUnit report."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier_devtools.bench.deploy import outcome, short_reason
from atelier_devtools.bench.deploy_measure import DeployBenchFailed
from atelier_devtools.bench.e2e import Run, Step, lines_for, read_junit
from atelier_devtools.e2e.report import write_junit
from atelier_devtools.e2e.steps import StepResult

AWS_ERROR = (
    "atelier destroy --yes failed:\nError: VPC: ClientError: An error occurred "
    "(InvalidPermission.NotFound) when calling the RevokeSecurityGroupEgress operation: gone"
)


def test_short_reason_names_the_operation_and_the_code() -> None:
    assert short_reason(AWS_ERROR) == "RevokeSecurityGroupEgress: InvalidPermission.NotFound"
    assert short_reason("boom\nError: the thing broke\n") == "the thing broke"


def test_a_failed_step_keeps_what_was_measured_before_it() -> None:
    def run() -> dict[str, object]:
        partial = {"fresh_deploy_s": 2.0, "fresh_deploy_cpu_s": 1.5, "repeat_deploy_s": 1.0}
        raise DeployBenchFailed("destroy", AWS_ERROR, partial)

    result = outcome(run)
    assert result["fresh_deploy_s"] == 2.0 and result["repeat_deploy_s"] == 1.0
    assert (
        result["destroy_s"]
        == "n/a (destroy: RevokeSecurityGroupEgress: InvalidPermission.NotFound)"
    )


def test_a_target_that_does_not_start_is_all_n_a() -> None:
    def run() -> dict[str, object]:
        raise RuntimeError("moto exited with 1")

    result = outcome(run)
    assert result["fresh_deploy_s"] == "n/a (moto exited with 1)"


def test_e2e_steps_from_junit_and_the_verdict(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    write_junit(
        [StepResult("deploy", 12.5, True), StepResult("seed", 30.0, False, error="x")], path
    )
    suite, steps = read_junit(path)
    assert steps == [Step("deploy", 12.5, True), Step("seed", 30.0, False)]
    assert suite == pytest.approx(42.5, abs=0.01)
    failed = Run(1, 45.0, suite, steps)
    good = Run(0, 41.0, 40.0, [Step("deploy", 40.0, True)])
    text = "\n".join(lines_for(failed, good, "2 CPUs"))
    assert "| seed | 30.00 s ✗ | — |" in text
    assert "fresh machine **not measured: the run failed**" in text
    assert "repeat **met** (40.00 s)" in text
    slow = Run(0, 99.0, 95.0, [Step("deploy", 95.0, True)])
    assert "fresh machine **not met** (95.00 s)" in "\n".join(lines_for(slow, good, "2 CPUs"))
