"""A throwaway place to deploy: a copy of the deployable sources and, failing a runtime, plain
MiniStack on a free port. Used by the deploy tests and the deploy benchmark.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from atelier.topology import expand, load

# Stand-ins for lambdas that are not written yet: the same handler names, an authorizer that
# accepts the token the stand-in /auth hands out, and a password hash with the real signature.
_STUB_HANDLER = """import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"token": "stand-in", "expires_in": 900})}


def authorize(event, context):
    allowed = event.get("authorizationToken") == "Bearer stand-in"
    return {
        "principalId": "stand-in",
        "policyDocument": {"Version": "2012-10-17", "Statement": [{
            "Action": "execute-api:Invoke", "Effect": "Allow" if allowed else "Deny",
            "Resource": event["methodArn"],
        }]},
    }
"""
_STUB_PASSWORDS = """import hashlib
import os


def hash_password(password):
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 100_000)
    return "pbkdf2$" + salt.hex() + "$" + digest.hex()
"""


@dataclass(frozen=True)
class Runtime:
    host: str
    port: int

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def stage_sources(repo_root: Path, dest: Path, env: str = "local") -> Path:
    """Copy what deploy reads (topology, lambdas, ml_common, frontend build, the canary's golden
    image and records) to ``dest``; stub what is missing.

    ``env`` other than ``local`` is added to the copied topology as a clone of ``local``, so a
    test or a benchmark deploys ``atelier-<env>-*`` beside (never over) a user's local stack.
    """
    topology = yaml.safe_load((repo_root / "topology.yaml").read_text())
    environments = topology["environments"]
    environments.setdefault(env, dict(environments["local"]))
    (dest / "topology.yaml").write_text(yaml.safe_dump(topology, sort_keys=False))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")
    if (repo_root / "lambdas").is_dir():
        shutil.copytree(repo_root / "lambdas", dest / "lambdas", ignore=ignore)
    ml_common = Path("pipelines", "common", "ml_common")  # in the lambdas' layer too
    if (repo_root / ml_common).is_dir():
        shutil.copytree(repo_root / ml_common, dest / ml_common, ignore=ignore)
    if (repo_root / "frontend" / "dist").is_dir():
        shutil.copytree(repo_root / "frontend" / "dist", dest / "frontend" / "dist", ignore=ignore)
    # the canary's golden image and golden records (atelier.deploy.canary reads both)
    for canary_data in (Path("terraform", "modules", "monitoring", "assets"),
                        Path("validation_data", "golden")):  # fmt: skip
        if (repo_root / canary_data).is_dir():
            shutil.copytree(repo_root / canary_data, dest / canary_data, ignore=ignore)
    exp = expand(load(dest / "topology.yaml"), env)
    for fn in exp.lambdas.values():
        handler = dest / fn.source / "handler.py"
        if not handler.exists():
            handler.parent.mkdir(parents=True, exist_ok=True)
            handler.write_text(_STUB_HANDLER)
    shared = dest / "lambdas" / "shared" / "lambda_shared"
    if not (shared / "passwords.py").exists():
        shared.mkdir(parents=True, exist_ok=True)
        (shared / "__init__.py").touch()
        (shared / "passwords.py").write_text(_STUB_PASSWORDS)
    if not (dest / ml_common / "__init__.py").exists():
        (dest / ml_common).mkdir(parents=True, exist_ok=True)
        (dest / ml_common / "__init__.py").touch()
    return dest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def plain_ministack(workdir: Path, timeout: float = 60.0) -> Iterator[Runtime]:
    """MiniStack alone (ECS tasks never run, RDS has no database): enough for deploy logic."""
    port = free_port()
    log = (workdir / "ministack.log").open("wb")
    env = {**os.environ, "GATEWAY_PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ministack"], cwd=workdir, env=env, stdout=log, stderr=log
    )
    runtime = Runtime("127.0.0.1", port)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{runtime.endpoint_url}/_ministack/health", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"ministack did not start on port {port}; see {workdir / 'ministack.log'}"
                    ) from None
                time.sleep(0.1)
        yield runtime
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
