"""`atelier deploy --engine terraform` on a real runtime: apply, converge, same outputs.json.

One private runtime gets terraform/envs/local through the CLI; right after, ``terraform plan
-detailed-exitcode`` must exit 0 (a plan that is not empty names each resource it would touch).
A second private runtime gets the Python engine; both outputs.json must have the same fields,
with values equal once the ids each runtime generates are masked.

Skips (saying why) without terraform or the provider mirror, except under ``CI`` where both are
installed: there a missing one fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from atelier.config import Settings
from atelier.deploy import terraform_engine
from atelier.deploy.cli import deploy
from atelier.deploy.context import Deployment
from atelier_devtools.runtime import Runtime, start_runtime
from atelier_devtools.terraform_tools import require_terraform

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def tf_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    require_terraform()
    rt = start_runtime(tmp_path_factory.mktemp("tf-runtime"))
    try:
        yield rt
    finally:
        rt.stop()


def _env(rt: Runtime) -> dict[str, str]:
    return {"ATELIER_HOME": str(rt.home), "ATELIER_PORT": str(rt.port), "ATELIER_ENV": "local"}


@pytest.fixture(scope="module")
def applied(tf_runtime: Runtime) -> dict[str, Any]:
    result = CliRunner().invoke(deploy, ["--engine", "terraform", "--service-wait", "0"],
                                env=_env(tf_runtime))  # fmt: skip
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads((tf_runtime.home / "outputs.json").read_text())
    return data


def test_a_plan_right_after_the_apply_is_empty(
    tf_runtime: Runtime, applied: dict[str, Any]
) -> None:
    settings = Settings(home=tf_runtime.home, port=tf_runtime.port)
    code, changes = terraform_engine.plan(Deployment.from_settings(settings))
    assert code == 0 and not changes, "the second plan is not empty:\n" + "\n".join(changes)


def test_the_terraform_stack_answers(tf_runtime: Runtime, applied: dict[str, Any]) -> None:
    assert applied["engine"] == "terraform"
    apig = tf_runtime.client("apigateway")
    assert apig.get_rest_api(restApiId=applied["api_id"])["name"] == "atelier-local-api"
    lam = tf_runtime.client("lambda")
    for name, arn in applied["functions"].items():
        assert lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"] == arn
    index = tf_runtime.client("s3").get_object(Bucket=applied["frontend_bucket"], Key="config.json")
    assert json.loads(index["Body"].read())["apiUrl"] == applied["api_url"]
    users = tf_runtime.client("dynamodb").scan(TableName=applied["tables"]["users"])["Items"]
    assert [u["username"]["S"] for u in users] == [applied["username"]]


MASKS = [
    (re.compile(r"^[a-z0-9]{8,10}$"), "ID"),  # an API id
    (re.compile(r"(127\.0\.0\.1|localhost):\d+"), r"\1:PORT"),
    (re.compile(r"-[a-z0-9]{8}(\.[a-z0-9-]+\.elb\.)"), r"-LB\1"),
    (re.compile(r"(restapis/)[a-z0-9]+"), r"\1API"),
    (re.compile(r"\b(vpc|subnet|sg)-[0-9a-f]+"), r"\1-ID"),
    (re.compile(r"(secret:[a-z0-9-]+?)-[A-Za-z0-9]{6}$"), r"\1-SFX"),
    (re.compile(r"/[0-9a-z]{16}$"), "/LBID"),
    (re.compile(r"-\d+\.[a-z0-9-]+\.elb\.[a-z.]+"), "-DNS"),
    (re.compile(r":\d+$"), ":REV"),
    (re.compile(r"(credentials\.json)$"), r"\1"),
]


def mask(value: Any, home: Path) -> Any:
    if isinstance(value, dict):
        return {k: mask(v, home) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, home) for v in value]
    if isinstance(value, str):
        value = value.replace(str(home), "HOME")
        for pattern, repl in MASKS:
            value = pattern.sub(repl, value)
    return value


def field_differences(
    tf: dict[str, Any], py: dict[str, Any], tf_home: Path, py_home: Path
) -> list[str]:
    out = []
    for key in sorted(set(tf) | set(py)):
        if key == "engine":
            continue
        if key not in tf or key not in py:
            out.append(f"{key}: only in {'terraform' if key in tf else 'python'}'s outputs.json")
            continue
        a, b = mask(tf[key], tf_home), mask(py[key], py_home)
        if a != b:
            out.append(f"{key}: terraform={a!r} python={b!r}")
    return out


def test_outputs_json_matches_the_python_engine_field_by_field(
    tmp_path_factory: pytest.TempPathFactory, tf_runtime: Runtime, applied: dict[str, Any]
) -> None:
    rt = start_runtime(tmp_path_factory.mktemp("py-runtime"))
    try:
        result = CliRunner().invoke(deploy, ["--service-wait", "0"], env=_env(rt))
        assert result.exit_code == 0, result.output
        python = json.loads((rt.home / "outputs.json").read_text())
    finally:
        rt.stop()
    assert python["engine"] == "python"
    problems = field_differences(applied, python, tf_runtime.home, rt.home)
    assert not problems, "outputs.json differs between the engines:\n" + "\n".join(problems)


def test_the_comparison_names_a_field_that_differs(
    tf_runtime: Runtime, applied: dict[str, Any]
) -> None:
    broken = {**applied, "buckets": {**applied["buckets"], "inputs": "atelier-local-other"}}
    broken.pop("alerts_topic_arn")
    problems = field_differences(broken, applied, tf_runtime.home, tf_runtime.home)
    assert any(p.startswith("buckets: terraform=") and "atelier-local-other" in p for p in problems)
    assert "alerts_topic_arn: only in python's outputs.json" in problems
