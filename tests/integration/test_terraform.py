"""Offline proofs that terraform/ is sound and says what `atelier deploy` does.

- every .tf parses (python-hcl2); `terraform fmt -check` passes; `terraform validate` passes
  when an AWS provider mirror is on the machine (ATELIER_TF_PLUGIN_DIR, /opt/tf-plugins);
- checkov finds 0 failed checks and every skip carries its reason in place;
- the provider-free topology module, applied by terraform, outputs exactly ``expand()``;
- every Terraform resource is accounted for in ``atelier.topology.parity`` and every kind the
  deployer reports has its Terraform counterpart, named from the same expansion.

Each proof also runs on a deliberately broken copy, to show it fails and says what differs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from atelier.topology import TopologyError, expand, load, parse
from atelier.topology.parity import (
    COUNTERPARTS,
    LOCAL_ONLY,
    TERRAFORM_ONLY_ENV,
    accounted_for,
    expected_names,
    unmatched,
)

ROOT = Path(__file__).resolve().parents[2]
TF = ROOT / "terraform"
MODULES = TF / "modules"
TF_FILES = sorted(TF.rglob("*.tf"))
TERRAFORM = shutil.which("terraform")
IN_CI = bool(os.environ.get("CI"))
# Outside CI a missing Terraform skips, saying why; CI installs it, so there it fails.
needs_terraform = pytest.mark.skipif(
    TERRAFORM is None and not IN_CI,
    reason="terraform is not on PATH (install Terraform >= 1.5 to run this)",
)


def ci_problems(terraform: str | None, plugins: Path | None) -> list[str]:
    """What CI lacks to run the Terraform tests (CI must not skip them)."""
    return [problem for problem, missing in (
        ("CI=true but terraform is not on PATH", terraform is None),
        ("CI=true but no AWS provider mirror (ATELIER_TF_PLUGIN_DIR)", plugins is None),
    ) if missing]  # fmt: skip


def test_ci_has_terraform_and_the_provider_mirror() -> None:
    """Under CI the Terraform tests must run: a missing tool is a failure there, not a skip."""
    if not IN_CI:
        pytest.skip("outside CI: the Terraform tests skip with their reason when a tool is missing")
    problems = ci_problems(TERRAFORM, _plugin_dir())
    assert not problems, "; ".join(problems)


def test_the_ci_check_names_each_missing_tool() -> None:
    assert ci_problems(None, None) == [
        "CI=true but terraform is not on PATH",
        "CI=true but no AWS provider mirror (ATELIER_TF_PLUGIN_DIR)",
    ]
    assert ci_problems("/usr/local/bin/terraform", Path("/opt/tf-plugins")) == []


# --- helpers -------------------------------------------------------------------------------------
def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def expr(value: Any) -> str:
    """python-hcl2's rendering of an attribute, normalised: `"${x}"` -> `x`, `"\\"a\\""` -> `a`."""
    text = str(value)
    if text.startswith("${") and text.endswith("}") and text.count("${") == 1:
        return text[2:-1]
    return _unquote(text)


def blocks(doc: dict[str, Any], kind: str) -> dict[tuple[str, str], dict[str, Any]]:
    """`resource`/`data` blocks of a parsed file as {(type, label): body}."""
    out = {}
    for item in doc.get(kind, []):
        for rtype, named in item.items():
            for label, body in named.items():
                out[(_unquote(rtype), _unquote(label))] = body
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
    return {_unquote(n): body for item in doc.get("module", []) for n, body in item.items()}


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


def tf_env(tmp: Path, plugin_dir: Path | None = None) -> dict[str, str]:
    rc = tmp / "terraformrc"
    if plugin_dir is not None:
        rc.write_text(
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path = "{plugin_dir}"\n  }}\n'
            "}\n"
        )
    else:
        rc.write_text("")
    return {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(rc),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }


def tf(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert TERRAFORM is not None
    return subprocess.run(
        [TERRAFORM, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def diff(tf_value: Any, py_value: Any, path: str = "") -> list[str]:
    """Differences between Terraform's and expand()'s values, each with its path."""
    if isinstance(tf_value, dict) and isinstance(py_value, dict):
        out = []
        for key in sorted(set(tf_value) | set(py_value)):
            where = f"{path}.{key}" if path else str(key)
            if key not in tf_value:
                out.append(f"{where}: missing in terraform, expand() has {py_value[key]!r}")
            elif key not in py_value:
                out.append(f"{where}: terraform has {tf_value[key]!r}, missing in expand()")
            else:
                out += diff(tf_value[key], py_value[key], where)
        return out
    if isinstance(tf_value, list) and isinstance(py_value, list) and len(tf_value) == len(py_value):
        return [d for i, (a, b) in enumerate(zip(tf_value, py_value, strict=True))
                for d in diff(a, b, f"{path}[{i}]")]  # fmt: skip
    if tf_value != py_value or isinstance(tf_value, bool) != isinstance(py_value, bool):
        return [f"{path}: terraform={tf_value!r} expand()={py_value!r}"]
    return []


def apply_topology(tmp: Path, topology_text: str, env: str, module_src: Path) -> dict[str, Any]:
    """Apply a copy of modules/topology to ``topology_text``; its outputs as plain values."""
    work = tmp / f"topology-{env}"
    shutil.copytree(module_src, work)
    (tmp / "topology.yaml").write_text(topology_text)
    tfenv = tf_env(tmp)
    init = tf(["init", "-input=false", "-no-color"], work, tfenv)
    assert init.returncode == 0, init.stderr
    run = tf(
        ["apply", "-auto-approve", "-input=false", "-no-color",
         f"-var=env={env}", f"-var=topology_path={tmp / 'topology.yaml'}"],
        work, tfenv,
    )  # fmt: skip
    if run.returncode != 0:
        raise RuntimeError(f"terraform apply of the topology module failed:\n{run.stderr}")
    out = tf(["output", "-json", "-no-color"], work, tfenv)
    assert out.returncode == 0, out.stderr
    values = {k: v["value"] for k, v in json.loads(out.stdout).items()}
    # `terraform output` leaves out outputs whose value is null: put them back as None.
    with (work / "outputs.tf").open() as fh:
        declared = {_unquote(n) for item in hcl2.load(fh).get("output", []) for n in item}
    return {**dict.fromkeys(declared), **values}


# --- every .tf parses; fmt; validate -----------------------------------------------------------
@pytest.mark.parametrize("path", TF_FILES, ids=[str(p.relative_to(TF)) for p in TF_FILES])
def test_every_tf_file_parses(path: Path) -> None:
    with path.open() as fh:
        assert hcl2.load(fh) is not None


def test_a_broken_tf_file_fails_to_parse(tmp_path: Path) -> None:
    broken = tmp_path / "main.tf"
    broken.write_text((MODULES / "budgets" / "main.tf").read_text().replace("{", "", 1))
    with pytest.raises(Exception) as info, broken.open() as fh:
        hcl2.load(fh)
    assert "line" in str(info.value).lower() or info.value.args


def test_there_is_terraform_to_check() -> None:
    modules = {p.name for p in MODULES.iterdir() if p.is_dir()}
    assert {"network", "api", "ecs_service", "ecs_task", "gpu_capacity", "data", "frontend",
            "monitoring", "budgets", "topology"} <= modules  # fmt: skip
    for module in modules:
        for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
            assert (MODULES / module / name).is_file(), f"modules/{module} lacks {name}"
    for env in ("qa", "preprod", "prod", "local"):
        assert (TF / "envs" / env / "main.tf").is_file()


def test_every_variable_is_typed_and_described() -> None:
    for path in TF.rglob("variables.tf"):
        with path.open() as fh:
            doc = hcl2.load(fh)
        for item in doc.get("variable", []):
            for name, body in item.items():
                assert "type" in body and body.get("description"), f"{path}: variable {name}"


@needs_terraform
def test_terraform_fmt_check(tmp_path: Path) -> None:
    run = tf(["fmt", "-check", "-recursive", "-diff", "-no-color", str(TF)], ROOT, tf_env(tmp_path))
    assert run.returncode == 0, f"terraform fmt would change:\n{run.stdout}{run.stderr}"


@needs_terraform
def test_terraform_fmt_names_a_badly_formatted_file(tmp_path: Path) -> None:
    copy = tmp_path / "terraform"
    shutil.copytree(MODULES / "budgets", copy / "modules" / "budgets")
    main = copy / "modules" / "budgets" / "main.tf"
    main.write_text(main.read_text().replace("budget_type  = ", "budget_type = "))
    run = tf(["fmt", "-check", "-recursive", "-no-color", str(copy)], ROOT, tf_env(tmp_path))
    assert run.returncode != 0 and "budgets/main.tf" in run.stdout


def _plugin_dir() -> Path | None:
    for candidate in (os.environ.get("ATELIER_TF_PLUGIN_DIR"), "/opt/tf-plugins"):
        if candidate and (Path(candidate) / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
            return Path(candidate)
    return None


@needs_terraform
@pytest.mark.parametrize("env", ["local", "qa", "preprod", "prod"])
def test_terraform_validate_with_a_local_provider_mirror(env: str, tmp_path: Path) -> None:
    plugins = _plugin_dir()
    if plugins is None and IN_CI:
        pytest.fail("CI=true but no AWS provider mirror (set ATELIER_TF_PLUGIN_DIR)")
    if plugins is None:
        pytest.skip("no AWS provider mirror (set ATELIER_TF_PLUGIN_DIR): providers cannot be "
                    "downloaded here, so `terraform validate` cannot load the AWS schema")  # fmt: skip
    copy = tmp_path / "terraform"
    shutil.copytree(TF, copy, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    tfenv = tf_env(tmp_path, plugins)
    workdir = copy / "envs" / env
    init = tf(["init", "-backend=false", "-input=false", "-no-color"], workdir, tfenv)
    assert init.returncode == 0, init.stderr
    run = tf(["validate", "-no-color"], workdir, tfenv)
    assert run.returncode == 0, run.stderr + run.stdout


# --- checkov -----------------------------------------------------------------------------------
def _checkov() -> str | None:
    return os.environ.get("ATELIER_CHECKOV") or shutil.which("checkov")


def run_checkov(directory: Path) -> dict[str, Any]:
    binary = _checkov()
    if binary is None:
        pytest.skip("checkov not found: set ATELIER_CHECKOV to its path (nox installs it in a "
                    "separate virtualenv because it pins another botocore)")  # fmt: skip
    run = subprocess.run(
        [binary, "-d", str(directory), "--framework", "terraform", "--quiet", "--compact",
         "--skip-download", "-o", "json"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_EXPERIMENTAL_TERRAFORM_MANAGED_MODULES": "False"},
    )  # fmt: skip
    assert run.stdout.strip(), f"checkov printed nothing: {run.stderr[-2000:]}"
    report = json.loads(run.stdout)
    reports = report if isinstance(report, list) else [report]
    merged: dict[str, Any] = {"failed": [], "skipped": [], "passed": 0}
    for rep in reports:
        results = rep.get("results", {})
        merged["failed"] += results.get("failed_checks", [])
        merged["skipped"] += results.get("skipped_checks", [])
        merged["passed"] += rep.get("summary", {}).get("passed", 0)
    return merged


def test_checkov_finds_no_failed_check() -> None:
    report = run_checkov(TF)
    failed = [f"{f['check_id']} {f['resource']} ({f['file_path']}): {f['check_name']}"
              for f in report["failed"]]  # fmt: skip
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)
    assert report["passed"] > 100, "checkov passed almost nothing: is it scanning terraform/?"


def test_every_checkov_skip_is_justified_in_place() -> None:
    skip = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")
    found = 0
    for path in TF_FILES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = skip.search(line)
            if match:
                found += 1
                reason = (match.group(2) or "").strip()
                assert len(reason) >= 20, (
                    f"{path}:{number}: skip of {match.group(1)} lacks a reason"
                )
    assert found, "no skips at all: this test would prove nothing"


def test_checkov_catches_an_unencrypted_public_bucket(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "leaky" {\n  bucket = "atelier-qa-leaky"\n}\n'
        'resource "aws_s3_bucket_public_access_block" "leaky" {\n'
        "  bucket            = aws_s3_bucket.leaky.id\n  block_public_acls = false\n}\n"
    )
    report = run_checkov(tmp_path)
    assert "CKV_AWS_53" in {f["check_id"] for f in report["failed"]}  # public ACLs not blocked


# --- the topology module equals expand() ---------------------------------------------------------
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


# --- the permissions module grants what the deployer grants -------------------------------------
def apply_permissions(tmp: Path, exp: Any, kms_key_arn: str) -> dict[str, dict[str, Any]]:
    """Apply a copy of the provider-free modules/permissions to every role of ``exp``, as
    modules/stack wires it; role key ("lambda:<n>", "pipeline:<n>") -> its policy document."""
    roles = {
        **{f"lambda:{n}": {"log_group": fn.log_group, "in_vpc": fn.in_vpc,
                           "permissions": fn.permissions.model_dump()}
           for n, fn in exp.lambdas.items()},
        **{f"pipeline:{n}": {"log_group": p.log_group, "permissions": p.permissions.model_dump()}
           for n, p in exp.pipelines.items()},
    }  # fmt: skip
    work = tmp / "permissions"
    shutil.copytree(MODULES / "permissions", work)
    variables = {"roles": roles, "region": exp.region, "account_id": exp.account_id,
                 "cluster": exp.cluster, "kms_key_arn": kms_key_arn}  # fmt: skip
    (work / "terraform.tfvars.json").write_text(json.dumps(variables))
    tfenv = tf_env(tmp)
    for args in (["init", "-input=false", "-no-color"],
                 ["apply", "-auto-approve", "-input=false", "-no-color"]):  # fmt: skip
        run = tf(args, work, tfenv)
        assert run.returncode == 0, run.stderr
    out = tf(["output", "-json", "-no-color", "policies"], work, tfenv)
    assert out.returncode == 0, out.stderr
    return {key: json.loads(doc) for key, doc in json.loads(out.stdout).items()}


def _by_sid(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        s["Sid"]: {**s, "Action": sorted(s["Action"]), "Resource": sorted(s["Resource"])}
        for s in doc.get("Statement", [])
    }


@needs_terraform
@pytest.mark.parametrize("env", ["local", "qa"])
def test_the_permissions_module_grants_what_the_deployer_grants(env: str, tmp_path: Path) -> None:
    """Every role's IAM document from modules/permissions equals atelier.deploy.policies' one,
    statement by statement (the environment key's data-key grant included), but for a task
    role's OwnLogs, which the deployer grants on the task's execution role instead."""
    from atelier.deploy.policies import Arns, execution_policies, lambda_policies, task_policies

    exp = expand(load(), env).model_copy(update={"account_id": "123456789012"})
    kms = f"arn:aws:kms:{exp.region}:123456789012:key/test"
    terraform = apply_permissions(tmp_path, exp, kms)
    arns = Arns(exp.region, "123456789012", kms)
    deployer = {
        **{f"lambda:{n}": lambda_policies(exp, fn, arns)["least-privilege"]
           for n, fn in exp.lambdas.items()},
        **{f"pipeline:{n}": task_policies(p, arns).get("least-privilege", {})
           for n, p in exp.pipelines.items()},
    }  # fmt: skip
    assert set(terraform) == set(deployer)
    for key, doc in terraform.items():
        tf_sids = _by_sid(doc)
        if key.startswith("pipeline:"):
            execution = execution_policies(exp.pipelines[key.split(":", 1)[1]], arns)
            assert tf_sids.pop("OwnLogs") == _by_sid(execution["task-execution"])["OwnLogs"]
        assert tf_sids == _by_sid(deployer[key]), key
    # a prefix read of an SSE-KMS bucket needs the data key too (kms:Decrypt through S3)
    assert _by_sid(terraform["lambda:operations"])["DataKey"]["Resource"] == [kms]
    jobs = _by_sid(terraform["lambda:jobs"])
    assert jobs["DescribeOwnTasks"]["Resource"] == [
        f"arn:aws:ecs:{exp.region}:123456789012:task/{exp.cluster}/*"
    ]
    table = f"arn:aws:dynamodb:{exp.region}:123456789012:table/{exp.prefix}jobs"
    assert jobs["TablesWrite"]["Resource"] == [table, f"{table}/index/*"]  # GET /jobs: the index
    assert "RunOwnTasks" not in jobs and "PassTaskRoles" not in jobs


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


# --- budgets from the cost estimate ---------------------------------------------------------------
@needs_terraform
def test_the_budgets_module_takes_the_generated_budget(tmp_path: Path) -> None:
    """terraform console evaluates the module's limit: budgets.json's entry, else the fallback."""
    budgets = json.loads((MODULES / "budgets" / "budgets.json").read_text())
    work = tmp_path / "budgets"
    shutil.copytree(MODULES / "budgets", work)
    init = ["terraform", "init", "-backend=false", "-input=false"]
    if Path("/opt/tf-plugins").is_dir():
        init.append("-plugin-dir=/opt/tf-plugins")
    subprocess.run(init, cwd=work, check=True, capture_output=True)

    def limit(env: str) -> str:
        args = ["-var", f"env={env}", "-var", "name_prefix=x-", "-var", "monthly_budget_usd=600",
                "-var", "alert_emails=[]", "-var", "alerts_topic_arn=arn:aws:sns:eu-west-3:1:t"]  # fmt: skip
        out = subprocess.run(["terraform", "console", *args], cwd=work, input="local.limit_usd\n",
                             capture_output=True, text=True, check=True)  # fmt: skip
        return out.stdout.strip()

    assert limit("prod") == str(budgets["environments"]["prod"]["budget_usd"])
    assert limit("nowhere") == "600"  # no generated entry: topology's monthly_budget_usd


def test_only_the_local_root_opens_the_frontend_bucket() -> None:
    """The frontend bucket's public-access settings and its public read policy follow
    ``enable_cdn`` (checkov skips CKV_AWS_54/56/70 and CKV2_AWS_6 on that ground): no AWS root
    may turn it off, and the module's default keeps it on."""
    setting = re.compile(r"^\s*enable_cdn\s*=\s*(\S+)", re.MULTILINE)
    for env in ("qa", "preprod", "prod"):
        for path in (TF / "envs" / env).glob("*.tf*"):
            assert all(v == "true" for v in setting.findall(path.read_text())), path
    local = setting.findall((TF / "envs" / "local" / "main.tf").read_text())
    assert local == ["false"], "the local root serves the bucket as the website (no CloudFront)"
    variables = (TF / "modules" / "frontend" / "variables.tf").read_text()
    block = variables[variables.index('variable "enable_cdn"') :]
    assert re.search(r"default\s*=\s*true", block.split("}")[0]), "enable_cdn must default to true"
