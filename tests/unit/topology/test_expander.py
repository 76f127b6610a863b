"""expand(): the names, routes, env vars and sizes both targets build, per docs/contracts.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from atelier.topology import Expansion, expand, load

CONTRACTS = (Path(__file__).resolve().parents[3] / "docs" / "contracts.md").read_text()


@pytest.fixture(scope="module", params=["local", "qa", "preprod", "prod"])
def exp(request: pytest.FixtureRequest) -> Expansion:
    return expand(load(), request.param)


def test_resource_names_follow_the_contract(exp: Expansion) -> None:
    env = exp.env
    # Every `atelier-{env}-...` name that docs/contracts.md lists exists in the expansion.
    contract = {
        n.replace("{env}", env) for n in re.findall(r"`(atelier-\{env\}[\w-]*)`", CONTRACTS)
    }
    assert contract, "docs/contracts.md lists no names: the test would prove nothing"
    names = (
        {t.name for t in exp.tables.values()}
        | {b.name for b in exp.buckets.values()}
        | {p.family for p in exp.pipelines.values()}
        | {exp.cluster, exp.gpu_capacity_provider}
    )
    assert contract <= names, f"contract names missing from the expansion: {contract - names}"
    assert set(exp.repositories.values()) == {
        "atelier/structured_data",
        "atelier/non_structured_data_images",
        "atelier/non_structured_al_data_images",
    }


def test_routes_and_the_authorizer(exp: Expansion) -> None:
    assert set(exp.routes) == {
        "POST /auth",
        "POST /structured_data",
        "POST /non_structured_data_images",
        "POST /non_structured_al_data_images",
        "GET /jobs/{job_id}",
        "GET /jobs",
        "POST /uploads",
        "GET /operations",
    }
    unauthorized = {key for key, r in exp.routes.items() if not r.authorized}
    assert unauthorized == {"POST /auth"}
    assert exp.lambdas[exp.api.authorizer_lambda].authorizer
    for route in exp.routes.values():
        assert exp.lambdas[route.lambda_name].function_name == route.function_name


def test_every_contract_variable_reaches_every_lambda(exp: Expansion) -> None:
    wanted = {
        "ATELIER_ENV",
        "JOBS_TABLE",
        "IDEMPOTENCY_TABLE",
        "USERS_TABLE",
        "INPUTS_BUCKET",
        "RESULTS_BUCKET",
        "MODELS_BUCKET",
        "JWT_SECRET_ARN",
        "JWT_ISSUER",
        "JWT_AUDIENCE",
        "DB_SECRET_ARN",
        "SERVICE_URL",
        "ECS_CLUSTER",
        "IMAGES_TASK_DEFINITION",
        "AL_TASK_DEFINITION",
        "SUBNETS",
        "SECURITY_GROUPS",
        "LINK_ALLOWLIST",
    }
    for name, fn in exp.lambdas.items():
        have = set(fn.environment) | set(fn.environment_refs)
        assert wanted <= have, f"{name} lacks {wanted - have}"
        assert not set(fn.environment) & set(fn.environment_refs)
    assert exp.lambdas["auth"].environment["USERS_TABLE"] == f"atelier-{exp.env}-users"
    assert exp.lambdas["auth"].environment["ATELIER_ENV"] == exp.env
    runs = exp.lambdas["non_structured_data_images"]
    assert (
        runs.environment["IMAGES_TASK_DEFINITION"]
        == exp.pipelines["non_structured_data_images"].family
    )
    assert runs.permissions.run_tasks == [f"atelier-{exp.env}-non_structured_data_images"]


def test_a_lambda_checks_links_with_the_allowlist_of_the_task_it_runs(exp: Expansion) -> None:
    """The API refuses a link with the task's own rules (ml_common.links): same LINK_ALLOWLIST."""
    top = load()
    assert exp.lambdas["non_structured_data_images"].permissions.run_tasks
    for name, fn in top.lambdas.items():
        if fn.runs is not None:
            lam = exp.lambdas[name].environment["LINK_ALLOWLIST"]
            assert lam == exp.pipelines[fn.runs].environment["LINK_ALLOWLIST"], name
            assert lam == ",".join(top.environments[exp.env].link_allowlist)


def test_sizes_come_from_the_environment(exp: Expansion) -> None:
    top = load()
    sizes = top.environments[exp.env].sizes
    svc = exp.services["structured_data"]
    assert (svc.desired_count, svc.max_count) == (
        sizes.services["structured_data"].desired,
        sizes.services["structured_data"].max,
    )
    al = exp.pipelines["non_structured_al_data_images"]
    assert (al.kind, al.gpu, al.cpu, al.memory) == ("gpu_task", 1, 4096, 16384)
    assert al.environment["AL_ROUNDS"] == "5"
    assert exp.log_retention_days == sizes.log_retention_days
    assert len(svc.alb_name) <= 32 and len(svc.target_group_name) <= 32


def test_least_privilege_is_declared_per_role(exp: Expansion) -> None:
    p = exp.prefix
    # GET /jobs reconciles: it marks a job FAILED when its task is STOPPED
    jobs = exp.lambdas["jobs"].permissions
    assert (jobs.tables_read, jobs.tables_write) == ([], [f"{p}jobs"])
    assert (jobs.tasks_read, jobs.run_tasks) == ([exp.cluster], [])
    assert exp.lambdas["authorizer"].permissions.secrets == [f"{p}jwt"]
    assert exp.lambdas["authorizer"].permissions.tables_read == []
    assert exp.lambdas["authorizer"].permissions.tasks_read == []
    for name in ("non_structured_data_images", "non_structured_al_data_images"):
        assert exp.lambdas[name].permissions.tasks_read == [exp.cluster]  # `runs` implies it
    assert all(pipe.permissions.tasks_read == [] for pipe in exp.pipelines.values())
    assert exp.lambdas["structured_data"].in_vpc
    assert not exp.lambdas["auth"].in_vpc


def test_prod_is_bigger_than_local() -> None:
    top = load()
    local, prod = expand(top, "local"), expand(top, "prod")
    assert prod.services["structured_data"].desired_count >= 2
    assert local.services["structured_data"].max_count == 1
    assert local.account_id == "000000000000"
    assert prod.region == "eu-west-3"


def test_the_jobs_table_has_the_owner_index_get_jobs_reads(exp: Expansion) -> None:
    assert exp.tables["jobs"].indexes == {
        "owner-created": {"hash_key": "owner", "range_key": "created_at"}
    }
    assert exp.routes["GET /jobs"].lambda_name == "job_list"
