"""The provider-free topology module, applied by terraform, outputs exactly ``expand()``; a
drift on either side, or a broken topology file, is reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from atelier.topology import TopologyError, expand, load, parse
from atelier_devtools.terraform_tools import apply_topology, diff, needs_terraform

ROOT = Path(__file__).resolve().parents[3]
TF = ROOT / "terraform"
MODULES = TF / "modules"


@needs_terraform
@pytest.mark.parametrize("env", ["local", "qa"])
def test_topology_module_outputs_equal_expand(env: str, tmp_path: Path) -> None:
    text = (ROOT / "topology.yaml").read_text()
    outputs = apply_topology(tmp_path, text, env, MODULES / "topology")
    expected = expand(load(), env).model_dump()
    problems = diff(outputs, expected)
    assert not problems, "terraform/modules/topology and expand() differ:\n" + "\n".join(problems)
    # the proof covers what the brief names: names, routes, sizes, env vars
    assert outputs["routes"]["POST /auth"]["authorized"] is False
    assert outputs["services"]["structured_data"]["max_count"] == expected["services"][
        "structured_data"]["max_count"]  # fmt: skip
    assert outputs["lambdas"]["jobs"]["environment"]["JOBS_TABLE"] == f"atelier-{env}-jobs"


@needs_terraform
def test_drift_in_the_terraform_expansion_is_reported(tmp_path: Path) -> None:
    module = tmp_path / "drifted"
    shutil.copytree(MODULES / "topology", module)
    main = module / "main.tf"
    text = main.read_text()
    assert 'role_name        = "${local.p}${n}-lambda"' in text
    main.write_text(text.replace('"${local.p}${n}-lambda"', '"${local.p}${n}-fn"'))
    outputs = apply_topology(tmp_path, (ROOT / "topology.yaml").read_text(), "local", module)
    problems = diff(outputs, expand(load(), "local").model_dump())
    assert "lambdas.auth.role_name: terraform='atelier-local-auth-fn' " \
           "expand()='atelier-local-auth-lambda'" in problems  # fmt: skip


@needs_terraform
def test_a_default_that_differs_between_the_two_is_reported(tmp_path: Path) -> None:
    # The repository file sets every handler but one; drop the explicit one so that the
    # defaults of both sides are exercised, then break Terraform's default.
    text = (ROOT / "topology.yaml").read_text().replace("    handler: handler.authorize\n", "")
    module = tmp_path / "drifted"
    shutil.copytree(MODULES / "topology", module)
    main = module / "main.tf"
    main.write_text(main.read_text().replace('"handler.handler")', '"main.handler")'))
    outputs = apply_topology(tmp_path, text, "local", module)
    problems = diff(outputs, expand(parse(text), "local").model_dump())
    assert any(
        p.startswith("lambdas.authorizer.handler: terraform='main.handler'") for p in problems
    )


@needs_terraform
def test_a_broken_topology_file_fails_both_targets(tmp_path: Path) -> None:
    text = (ROOT / "topology.yaml").read_text()
    start, end = text.index("database:\n"), text.index("alarms:\n")
    broken = text[:start] + text[end:]
    with pytest.raises(TopologyError, match=r"topology\.yaml: database: Field required"):
        parse(broken, source="topology.yaml")
    with pytest.raises(RuntimeError, match="database"):
        apply_topology(tmp_path, broken, "local", MODULES / "topology")
