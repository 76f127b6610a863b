"""Python functions run with what they ship: the stdlib and boto3 (as AWS's python3.11 runtime),
their bundle and their layers, not the runtime's own site-packages."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from atelier.deploy.bundle import zip_entries

pytestmark = pytest.mark.integration

USES_JWT = """
import jwt, boto3, sys

def handler(event, context):
    return {"jwt": jwt.__file__, "boto3": boto3.__version__, "path": sys.path}
"""


def zipped(files: dict[str, str]) -> bytes:
    return zip_entries((name, text.encode()) for name, text in files.items())


@pytest.fixture(scope="module")
def role(runtime: Any) -> str:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "lambda.amazonaws.com"}}]}  # fmt: skip
    iam = runtime.client("iam")
    name = f"packages-{uuid.uuid4().hex[:6]}"
    return str(
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    )


def invoke(lam: Any, role: str, layers: list[str]) -> tuple[str | None, dict[str, Any]]:
    name = f"pkg-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="index.handler",
        Code={"ZipFile": zipped({"index.py": USES_JWT})}, Layers=layers, Timeout=30,
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    out = lam.invoke(FunctionName=name, Payload=b"{}")
    return out.get("FunctionError"), json.loads(out["Payload"].read())


def test_a_dependency_missing_from_the_layers_fails_with_import_module_error(
    runtime: Any, role: str
) -> None:
    """PyJWT is installed in the runtime's own environment (the app extra), not in AWS's
    runtime: a function that ships without it must fail as it would on AWS."""
    error, payload = invoke(runtime.client("lambda"), role, [])
    assert error == "Unhandled", payload
    assert payload["errorType"] == "Runtime.ImportModuleError", payload
    assert payload["errorMessage"] == "Unable to import module 'index': No module named 'jwt'"


def test_the_layer_that_ships_the_dependency_makes_it_importable(runtime: Any, role: str) -> None:
    lam = runtime.client("lambda")
    layer = lam.publish_layer_version(
        LayerName=f"jwt-{uuid.uuid4().hex[:6]}",
        Content={"ZipFile": zipped({"python/jwt/__init__.py": "VERSION = 'layer'\n"})},
        CompatibleRuntimes=["python3.11"],
    )["LayerVersionArn"]
    error, payload = invoke(lam, role, [layer])
    assert error is None, payload
    assert "/python/jwt/__init__.py" in payload["jwt"]
    assert payload["boto3"]  # boto3 comes with the runtime, as on AWS
    assert not [p for p in payload["path"] if "site-packages" in p and ".nox" in p], payload


LAYER_ORDER = """
import os, sys, time
import which_layer

def handler(event, context):
    time.sleep(0.5)  # overlapping calls, so more than one worker answers
    return {"layer": which_layer.NAME, "pid": os.getpid(), "path": sys.path}
"""


def test_layers_are_extracted_once_for_every_worker_in_the_functions_order(
    runtime: Any, role: str
) -> None:
    """Each worker sees its layers (the later one wins, as files of a later layer overwrite an
    earlier one's in /opt on AWS), from one extraction per layer content in the runtime's home,
    not one per worker."""
    from concurrent.futures import ThreadPoolExecutor

    lam = runtime.client("lambda")
    layers = [
        lam.publish_layer_version(
            LayerName=f"order-{name}-{uuid.uuid4().hex[:6]}",
            Content={"ZipFile": zipped({"python/which_layer.py": f"NAME = {name!r}\n"})},
            CompatibleRuntimes=["python3.11"],
        )["LayerVersionArn"]
        for name in ("first", "second")
    ]
    name = f"order-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="index.handler",
        Code={"ZipFile": zipped({"index.py": LAYER_ORDER})},
        Layers=layers, Timeout=30,
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName=name)

    def call(_: int) -> dict[str, Any]:
        out = lam.invoke(FunctionName=name, Payload=b"{}")
        assert "FunctionError" not in out
        return dict(json.loads(out["Payload"].read()))

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(call, range(4)))
    assert len({a["pid"] for a in answers}) >= 2, "one worker answered every call"
    assert {a["layer"] for a in answers} == {"second"}, answers
    cache = runtime.home / "lambda-layers"
    layer_paths = {
        tuple(dict.fromkeys(p for p in a["path"] if p.startswith(str(cache)))) for a in answers
    }
    assert len(layer_paths) == 1, f"workers saw different layer folders: {layer_paths}"
    (paths,) = layer_paths
    folders = {Path(p.removesuffix("/python")) for p in paths}
    assert len(folders) == 2 and {f.parent for f in folders} == {cache}, paths
