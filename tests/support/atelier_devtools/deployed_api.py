"""A deployed, seeded stack on a runtime and the calls the API tests make against it
(``tests/integration/api/``: its conftest deploys once for the package, each module tests
one concern)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from click.testing import CliRunner

from atelier.config import Settings
from atelier.deploy import apply
from atelier.deploy.cli import deploy
from atelier.deploy.context import Deployment
from atelier.deploy.teardown import DESTROY
from atelier.seed.cli import seed
from atelier_devtools.e2e.api import Api
from atelier_devtools.paths import REPO_ROOT
from atelier_devtools.sandbox import stage_sources

ENV = "apitest"


def stack_env(endpoint_url: str, workdir: Path, env: str = ENV) -> dict[str, str]:
    """The environment the deploy and seed commands run with: a staged copy of the sources in
    ``workdir``, environment ``env``, the runtime at ``endpoint_url``."""
    root = stage_sources(REPO_ROOT, workdir, env)
    url = urlparse(endpoint_url)
    return {
        "ATELIER_HOST": url.hostname or "127.0.0.1",
        "ATELIER_PORT": str(url.port),
        "ATELIER_HOME": str(root / ".atelier"),
        "ATELIER_REPO_ROOT": str(root),
        "ATELIER_ENV": env,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def _invoke(command: Any, env: dict[str, str], *args: str) -> None:
    # each invocation makes its own settings object from this environment
    result = CliRunner().invoke(command, list(args), env=env)
    assert result.exit_code == 0, result.output + repr(result.exception)


@contextmanager
def deployed_stack(env: dict[str, str], runtime: Any) -> Iterator[dict[str, Any]]:
    """Deploy and seed ``env``'s stack on ``runtime``; destroyed on exit, also after a failure.
    Yields its outputs, seed, credentials, jobs table and the runtime's client factory."""
    topology = str(Path(env["ATELIER_REPO_ROOT"]) / "topology.yaml")
    _invoke(deploy, env, "--topology", topology, "--service-wait", "60")
    home = Path(env["ATELIER_HOME"])
    try:
        _invoke(seed, env, "--home", str(home), "--endpoint-url", runtime.endpoint_url)
        yield {
            "outputs": json.loads((home / "outputs.json").read_text()),
            "seed": json.loads((home / "seed.json").read_text()),
            "credentials": json.loads((home / "credentials.json").read_text()),
            "jobs_table": f"atelier-{ENV}-jobs",
            "client": runtime.client,
        }
    finally:
        with pytest.MonkeyPatch.context() as mp:
            for key, value in env.items():
                mp.setenv(key, value)
            apply.run(Deployment.from_settings(Settings(), Path(topology)), DESTROY)


def logged_in(stack: dict[str, Any]) -> Api:
    """An API client holding a token of the seeded user."""
    client = Api(stack["outputs"]["api_url"])
    creds = stack["credentials"]
    client.login(creds["username"], creds["password"])
    return client


def jobs(stack: dict[str, Any]) -> int:
    """How many jobs the stack's table holds."""
    table = stack["client"]("dynamodb")
    return int(table.scan(TableName=stack["jobs_table"], Select="COUNT")["Count"])


def raw_post(
    api: Api, path: str, data: bytes, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """POST ``data`` as it is (no JSON encoding) with the token; status and decoded body."""
    req = urllib.request.Request(api.base_url + path, data=data, method="POST")
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", f"Bearer {api.token}")
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def assert_clear_error(status: int, body: Any, expected: int | tuple[int, ...]) -> None:
    """The answer is one of the ``expected`` statuses with a JSON message and no stack trace."""
    allowed = (expected,) if isinstance(expected, int) else expected
    assert status in allowed, (status, body)
    assert isinstance(body, dict) and body.get("message"), body
    assert "Traceback" not in json.dumps(body)


def signing_key(stack: dict[str, Any]) -> str:
    """The key the stack's /auth signs tokens with (from Secrets Manager)."""
    arn = stack["outputs"]["secrets"]["jwt"]
    secret = stack["client"]("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    try:
        return str(json.loads(secret)["key"])
    except (ValueError, KeyError, TypeError):
        return str(secret)
