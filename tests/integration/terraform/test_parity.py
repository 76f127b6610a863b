"""Terraform says what `atelier deploy` does: every Terraform resource is accounted for in
``atelier.topology.parity``, every kind the deployer reports has its Terraform counterpart, named
from the same expansion, the bundles, env roots, Lambda variables and environment references
agree. Each proof also runs on a deliberately broken copy, to show it fails and says what differs.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import hcl2
import pytest

from atelier.topology import expand, load
from atelier.topology.parity import (
    COUNTERPARTS,
    LOCAL_ONLY,
    TERRAFORM_ONLY_ENV,
    accounted_for,
    expected_names,
    unmatched,
)
from atelier_devtools.terraform_tools import expr, unquote

ROOT = Path(__file__).resolve().parents[3]
TF = ROOT / "terraform"
MODULES = TF / "modules"


def blocks(doc: dict[str, Any], kind: str) -> dict[tuple[str, str], dict[str, Any]]:
    """`resource`/`data` blocks of a parsed file as {(type, label): body}."""
    out = {}
    for item in doc.get(kind, []):
        for rtype, named in item.items():
            for label, body in named.items():
                out[(unquote(rtype), unquote(label))] = body
    return out


def module_resources(modules: Path) -> dict[str, dict[str, Any]]:
    """Every resource of terraform/modules as {"module/type.label": body}."""
    found = {}
    for path in sorted(modules.rglob("*.tf")):
        with path.open() as fh:
            doc = hcl2.load(fh)
        for (rtype, label), body in blocks(doc, "resource").items():
            found[f"{path.parent.relative_to(modules)}/{rtype}.{label}"] = body
    return found


def stack_modules(modules: Path) -> dict[str, dict[str, Any]]:
    with (modules / "stack" / "main.tf").open() as fh:
        doc = hcl2.load(fh)
    return {unquote(n): body for item in doc.get("module", []) for n, body in item.items()}


def attr(body: dict[str, Any], dotted: str) -> Any:
    node: Any = body
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def parity_problems(modules: Path) -> list[str]:
    """What the parity table and terraform/modules disagree on; empty when they agree."""
    resources = module_resources(modules)
    stack = stack_modules(modules)
    problems = [
        f"terraform resource {address} is in no row of atelier/topology/parity.py: add it as a "
        "counterpart, a PART_OF setting or TERRAFORM_ONLY with the reason"
        for address in resources
        if accounted_for(address) is None
    ]
    for row in COUNTERPARTS:
        for tf in row.terraform:
            body = resources.get(tf.address)
            if body is None:
                problems.append(f"{row.kind}: its counterpart {tf.address} is not in terraform/")
                continue
            got = attr(body, tf.name_attr)
            if got is None or expr(got) != tf.name_expr:
                problems.append(
                    f"{row.kind}: {tf.address} {tf.name_attr} is {expr(got)!r}, parity expects "
                    f"{tf.name_expr!r} (the name the deployer uses)"
                )
            got_each = expr(body["for_each"]) if "for_each" in body else None
            if got_each != tf.for_each:
                problems.append(
                    f"{row.kind}: {tf.address} iterates {got_each!r}, parity expects {tf.for_each!r}"
                )
            if tf.stack_input is not None:
                module = tf.address.split("/", 1)[0]
                arg, wanted = tf.stack_input
                given = stack.get(module, {}).get(arg)
                if given is None or expr(given) != wanted:
                    problems.append(
                        f"{row.kind}: modules/stack passes {module}.{arg} = "
                        f"{expr(given) if given is not None else None!r}, parity expects {wanted!r}"
                    )
    return problems


def deployer_kinds() -> set[str]:
    """Kinds the deployer reports, read from its source (`KIND = "..."`, `created("...", ...)`)."""
    pattern = re.compile(
        r"(?:KIND\s*=\s*|(?:created|updated|unchanged|deleted|absent|action|Change)\(\s*)"
        r'"([a-z0-9_]+\.[a-z_]+)"'
    )
    kinds: set[str] = set()
    for path in (ROOT / "platform" / "atelier" / "deploy").glob("*.py"):
        kinds |= set(pattern.findall(path.read_text()))
    return kinds


# --- parity: every deployer kind <-> Terraform resources ----------------------------------------
def test_every_terraform_resource_is_accounted_for_and_named_from_the_expansion() -> None:
    problems = parity_problems(MODULES)
    assert not problems, "\n".join(problems)


def test_every_kind_the_deployer_reports_has_a_terraform_counterpart() -> None:
    kinds = deployer_kinds()
    if not kinds:
        pytest.skip("platform/atelier/deploy reports no kinds yet")
    rows = {row.kind for row in COUNTERPARTS} | set(LOCAL_ONLY)
    assert not kinds - rows, f"deployer kinds without a parity row: {sorted(kinds - rows)}"


@pytest.mark.parametrize("env", ["local", "qa", "prod"])
def test_what_the_deployer_creates_is_what_terraform_creates(env: str) -> None:
    """Both directions, by kind and name: the deployer's inventory against the parity rows."""
    from atelier.deploy import inventory

    exp = expand(load(), env)
    deployed: set[tuple[str, str]] = inventory.resources(exp)
    assert not unmatched(sorted(deployed), exp), "\n".join(unmatched(sorted(deployed), exp))
    for row in COUNTERPARTS:
        names = expected_names(row, exp)
        local = {name for kind, name in deployed if kind == row.kind}
        if names is None:
            assert local, f"{row.kind}: Terraform creates it, the deployer does not"
        else:
            assert names <= local, (
                f"{row.kind}: Terraform creates {sorted(names - local)}, the deployer does not"
            )


def test_an_unlisted_terraform_resource_is_reported(tmp_path: Path) -> None:
    copy = tmp_path / "modules"
    shutil.copytree(MODULES, copy)
    with (copy / "data" / "main.tf").open("a") as fh:
        fh.write('\nresource "aws_sqs_queue" "jobs" {\n  name = "atelier-jobs"\n}\n')
    problems = parity_problems(copy)
    assert any("terraform resource data/aws_sqs_queue.jobs is in no row" in p for p in problems)


def test_a_renamed_terraform_resource_is_reported(tmp_path: Path) -> None:
    copy = tmp_path / "modules"
    shutil.copytree(MODULES, copy)
    main = copy / "data" / "main.tf"
    main.write_text(main.read_text().replace(
        "  name                        = each.value.name",
        '  name                        = "${each.value.name}-v2"'))  # fmt: skip
    problems = parity_problems(copy)
    assert any(p.startswith("dynamodb.table: data/aws_dynamodb_table.this name is "
                            "'${each.value.name}-v2'") for p in problems), problems  # fmt: skip


def test_a_miswired_stack_is_reported(tmp_path: Path) -> None:
    copy = tmp_path / "modules"
    shutil.copytree(MODULES, copy)
    main = copy / "stack" / "main.tf"
    main.write_text(main.read_text().replace("tables               = local.t.tables",
                                             "tables               = {}"))  # fmt: skip
    problems = parity_problems(copy)
    assert any("modules/stack passes data.tables" in p for p in problems), problems


def test_the_bundles_terraform_reads_are_the_ones_bundles_py_writes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("tf_bundles", TF / "bundles.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = set(module.bundles("qa"))
    lambdas = set(expand(load(), "qa").lambdas)
    assert {f"{name}.zip" for name in lambdas} | {"shared-layer.zip", "canary.zip"} == written
    api = (MODULES / "api" / "lambdas.tf").read_text()
    # modules/lambda_code reads <bundle_dir>/<name>.zip (or CI's stored artifact of that name)
    code = (MODULES / "lambda_code" / "main.tf").read_text()
    assert '"${var.bundle_dir}/${var.name}.zip"' in code
    for reference in ('concat(keys(var.lambdas), ["shared-layer"]', '["deps-layer"]'):
        assert reference in api, f"modules/api no longer reads {reference}"
    assert '"${var.bundle_dir}/canary.zip"' in (MODULES / "stack" / "main.tf").read_text()


@pytest.mark.parametrize("env", ["qa", "preprod", "prod"])
def test_each_env_root_targets_its_own_environment(env: str) -> None:
    with (TF / "envs" / env / "terraform.tfvars").open() as fh:
        tfvars = {k: expr(v) for k, v in hcl2.load(fh).items()}
    exp = expand(load(), env)
    assert tfvars["env"] == env
    assert tfvars["region"] == exp.region, "terraform.tfvars and topology.yaml disagree on region"
    backend = (TF / "envs" / env / "backend.tf").read_text()
    assert f'bucket         = "atelier-tfstate-{env}"' in backend
    assert f'key            = "atelier/{env}.tfstate"' in backend


def test_terraform_only_lambda_variables_are_listed_with_their_reason() -> None:
    """Terraform adds to the lambdas' environment only what parity.TERRAFORM_ONLY_ENV lists:
    never a variable of the shared expansion (the local deploy leaves it unset), documented in
    docs/contracts.md; GPU_CAPACITY_PROVIDER is the GPU capacity provider's own name."""
    stack = (MODULES / "stack" / "main.tf").read_text()
    start = stack.index("  lambda_terraform_only_env = {")
    block = stack[start : stack.index("\n  }\n", start)]
    assert set(re.findall(r"^\s+([A-Z][A-Z0-9_]*)\s*=", block, re.M)) == set(TERRAFORM_ONLY_ENV)
    assert "GPU_CAPACITY_PROVIDER = one(module.gpu_capacity[*].capacity_provider)" in block
    assert "contains(local.gpu_families, f)" in block  # only on lambdas that run a gpu_task
    assert "local.gpu_families" in stack and 'p.family if p.kind == "gpu_task"' in stack
    assert re.search(r"extra_environment\s+= local\.lambda_terraform_only_env", stack)
    assert "lookup(var.extra_environment, n, {})" in (MODULES / "api" / "lambdas.tf").read_text()
    gpu_module = (MODULES / "gpu_capacity" / "main.tf").read_text()
    assert re.search(
        r'resource "aws_ecs_capacity_provider" "this" \{\s+name\s+= var\.name', gpu_module
    )
    assert re.search(r"name\s+= local\.t\.gpu_capacity_provider", stack)
    contracts = (ROOT / "docs" / "contracts.md").read_text()
    top = load()
    for env in top.environments:
        exp = expand(top, env)
        gpu_families = {p.family for p in exp.pipelines.values() if p.kind == "gpu_task"}
        runs_gpu = [
            n for n, fn in exp.lambdas.items() if gpu_families & set(fn.permissions.run_tasks)
        ]
        assert runs_gpu == ["non_structured_al_data_images"]  # the one that gets the variable
        for fn in exp.lambdas.values():  # the shared expansion never sets it: locally unset
            assert not set(TERRAFORM_ONLY_ENV) & (set(fn.environment) | set(fn.environment_refs))
        assert exp.gpu_capacity_provider == f"atelier-{env}-gpu"
    for variable, reason in TERRAFORM_ONLY_ENV.items():
        assert reason and f"`{variable}`" in contracts


def test_every_environment_reference_has_a_terraform_resolver() -> None:
    """expand() leaves ARNs, ids and URLs as references; modules/stack must resolve each kind."""
    stack = (MODULES / "stack" / "main.tf").read_text()
    block = stack[stack.index("ref_values = merge(") :]
    block = block[: block.index("\n  )")]
    resolvable = set(re.findall(r'"([a-z_]+):', block))
    top = load()
    exps = [expand(top, env) for env in top.environments]
    refs = {ref for e in exps for fn in e.lambdas.values() for ref in fn.environment_refs.values()}
    refs |= {ref for e in exps for p in e.pipelines.values() for ref in p.environment_refs.values()}
    missing = {ref for ref in refs if ref.split(":", 1)[0] not in resolvable}
    assert not missing, f"modules/stack cannot resolve {sorted(missing)} (ref_values)"
    assert {"secret", "security_group", "service_url", "subnets"} <= resolvable
