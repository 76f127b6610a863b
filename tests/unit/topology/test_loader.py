"""topology.yaml loads into typed models; every bad file names the field and its line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from atelier.topology import TopologyError, default_path, expand, load, parse

TEXT = default_path().read_text(encoding="utf-8")
LINES = TEXT.splitlines()


def line_of(fragment: str, after: str = "") -> int:
    """1-based line of the first line containing ``fragment`` (after the line holding ``after``)."""
    start = next(i for i, line in enumerate(LINES) if after in line) if after else 0
    return next(i for i, line in enumerate(LINES) if i >= start and fragment in line) + 1


def broken(old: str, new: str) -> str:
    assert TEXT.count(old) >= 1, f"test fixture out of date: {old!r} is not in topology.yaml"
    return TEXT.replace(old, new, 1)


def error_of(text: str) -> TopologyError:
    with pytest.raises(TopologyError) as info:
        parse(text)
    return info.value


def test_the_repository_topology_loads_and_expands_for_every_environment() -> None:
    top = load()
    assert set(top.environments) == {"local", "qa", "preprod", "prod"}
    for env in top.environments:
        exp = expand(top, env)
        # JSON-serializable, and a round trip changes nothing
        assert json.loads(json.dumps(exp.model_dump())) == exp.model_dump()
        assert exp.prefix == f"atelier-{env}-"


# (what to change, into what, the field the error must name, the text on the line it must name)
MUTATIONS = [
    (
        "    timeout: 10\n    memory: 256\n    access: {tables: {users: read}",
        "    timeout: ten\n    memory: 256\n    access: {tables: {users: read}",
        "lambdas.auth.timeout",
        "timeout: ten",
    ),
    (
        "runs: non_structured_data_images\n",
        "runs: nope\n",
        "lambdas.non_structured_data_images.runs",
        "runs: nope",
    ),
    ("    cpu: 512\n", "    cpu: 513\n", "pipelines.structured_data.cpu", "cpu: 513"),
    (
        "    memory: 1024\n",
        "    memory: 1000\n",
        "pipelines.structured_data.memory",
        "memory: 1000",
    ),
    (
        "log_retention_days: 90",
        "log_retention_days: 91",
        "environments.prod.sizes.log_retention_days",
        "log_retention_days: 91",
    ),
    (
        "{desired: 2, max: 4}",
        "{desired: 5, max: 4}",
        "environments.prod.sizes.services.structured_data.max",
        "{desired: 5, max: 4}",
    ),
    (
        "    handler: handler.authorize\n",
        "    handler: handler.authorize\n    color: blue\n",
        "lambdas.authorizer.color",
        "color: blue",
    ),
    (
        "  models: {versioned: true}",
        "  models: {versioned: maybe}",
        "buckets.models.versioned",
        "versioned: maybe",
    ),
    (
        "access: {tables: {jobs: write}, tasks: read, buckets: {results: read}}",
        "access: {tables: {jobz: write}, tasks: read, buckets: {results: read}}",
        "lambdas.jobs.access.tables.jobz",
        "jobz: write",
    ),
    (
        "access: {tables: {jobs: write}, tasks: read, buckets: {results: read}}",
        "access: {tables: {jobs: write}, tasks: write, buckets: {results: read}}",
        "lambdas.jobs.access.tasks",
        "tasks: write",
    ),
    (
        "secrets: [db]}",
        "secrets: [dbx]}",
        "pipelines.structured_data.access.secrets.0",
        "secrets: [dbx]}",
    ),
    (
        "    kind: gpu_task\n",
        "    kind: gpu_job\n",
        "pipelines.non_structured_al_data_images.kind",
        "kind: gpu_job",
    ),
    ("  cidr: 10.42.0.0/16", "  cidr: 10.42.0.1/16", "network.cidr", "cidr: 10.42.0.1/16"),
    (
        "route: {path: /auth, method: POST}",
        "route: {path: /auth, method: FETCH}",
        "lambdas.auth.route.method",
        "method: FETCH",
    ),
    (
        "route: {path: /structured_data, method: POST}",
        "route: {path: /auth, method: POST}",
        "lambdas.structured_data.route",
        "path: /auth, method: POST}\n    calls",
    ),
    (
        "    env: {MODEL_NAME: digits_cnn}",
        "    env: {MODEL_NAME: true}",
        "pipelines.non_structured_data_images.env.MODEL_NAME",
        "MODEL_NAME: true",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "field", "line_text"), MUTATIONS, ids=[m[2] for m in MUTATIONS]
)
def test_a_bad_value_is_reported_with_its_field_and_line(
    old: str, new: str, field: str, line_text: str
) -> None:
    text = broken(old, new)
    err = error_of(text)
    lines = text.splitlines()
    wanted = next(i for i, line in enumerate(lines) if line_text.split("\n")[0] in line) + 1
    if "\n" in line_text:  # disambiguate by the following line
        nxt = line_text.split("\n")[1].strip()
        wanted = next(
            i + 1
            for i, line in enumerate(lines)
            if line_text.split("\n")[0] in line and nxt in lines[i + 1]
        )
    assert f"topology.yaml:{wanted}: {field}:" in str(err), str(err)


def test_a_duplicate_key_is_an_error_not_a_silent_overwrite() -> None:
    err = error_of(
        broken(
            "  users: {hash_key: username}\n",
            "  users: {hash_key: username}\n  jobs: {hash_key: other}\n",
        )
    )
    assert re.search(r"topology\.yaml:\d+: tables\.jobs: duplicate key", str(err)), str(err)
    assert err.problems[0].line == line_of("users: {hash_key: username}", after="tables:") + 1


def test_a_yaml_syntax_error_names_its_line() -> None:
    err = error_of(broken("  inputs: {}\n", "  inputs: {]\n"))
    assert "not valid YAML" in str(err)
    assert err.problems[0].line == line_of("inputs: {}", after="buckets:")


def test_a_missing_section_is_named() -> None:
    start = TEXT.index("database:\n")
    end = TEXT.index("alarms:\n")
    err = error_of(TEXT[:start] + TEXT[end:])
    assert "database: Field required" in str(err)


def test_every_fault_is_reported_at_once() -> None:
    text = broken("    cpu: 2048\n", "    cpu: lots\n").replace("timeout: 5\n", "timeout: 0\n")
    err = error_of(text)
    fields = {p.path for p in err.problems}
    assert {"pipelines.non_structured_data_images.cpu", "lambdas.authorizer.timeout"} <= fields


def test_contract_names_cannot_be_removed() -> None:
    err = error_of(broken("  results: {}\n", ""))
    assert "buckets: docs/contracts.md needs buckets ['results']" in str(err)


def test_exactly_one_authorizer() -> None:
    err = error_of(
        broken(
            "    authorizer: true\n", "    authorizer: false\n    route: {path: /x, method: GET}\n"
        )
    )
    assert "exactly one lambda must have authorizer: true" in str(err)


def test_a_missing_or_empty_file_is_a_topology_error(tmp_path: Path) -> None:
    with pytest.raises(TopologyError, match="cannot read"):
        load(tmp_path / "absent.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(TopologyError, match="must be a mapping"):
        load(empty)


def test_unknown_environment() -> None:
    with pytest.raises(KeyError, match="unknown environment 'staging'"):
        expand(load(), "staging")
