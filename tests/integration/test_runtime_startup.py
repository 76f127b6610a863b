"""A fresh runtime answers before MiniStack's Lambda service is loaded (as plain MiniStack does)
and has every Atelier patch on it from the first Lambda call: the meter counts that call, and
a handler that does not import answers as AWS does. The garbage collector, paused while the
runtime starts, runs again once it answers, with what start-up made frozen."""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest

from atelier_devtools.runtime import start_runtime

pytestmark = pytest.mark.integration
LAMBDA_SVC = "ministack.services.lambda_svc"


def _zip(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", source)
    return buf.getvalue()


def _meter(endpoint: str) -> dict[str, Any]:
    with urllib.request.urlopen(endpoint + "/_atelier/meter", timeout=30) as resp:
        data: dict[str, Any] = json.loads(resp.read())
    return data


def test_the_lambda_service_loads_on_the_first_lambda_call_with_every_patch(
    tmp_path: Path,
) -> None:
    rt = start_runtime(tmp_path / "home")
    try:
        status = rt.status()
        assert status["gc"]["enabled"], "the collector paused for start-up never resumed"
        assert status["gc"]["frozen_objects"] > 20_000, status["gc"]  # start-up's, frozen
        loaded = status["ministack"]
        assert "lambda_svc" not in loaded["services"] and "sns" not in loaded["services"]
        assert LAMBDA_SVC not in loaded["patches"]

        lam = rt.client("lambda")
        role = rt.role("startup-tests")
        lam.create_function(
            FunctionName="startup-fn", Runtime="python3.11", Role=role,
            Handler="handler.handler", MemorySize=256,
            Code={"ZipFile": _zip("def handler(event, context):\n    return 7\n")},
        )  # fmt: skip
        lam.create_function(
            FunctionName="startup-broken", Runtime="python3.11", Role=role,
            Handler="handler.handler",
            Code={"ZipFile": _zip("import not_a_module_anywhere\n")},
        )  # fmt: skip
        for name in ("startup-fn", "startup-broken"):
            lam.get_waiter("function_active_v2").wait(FunctionName=name)
        answer = lam.invoke(FunctionName="startup-fn", Payload=b"{}")
        assert json.loads(answer["Payload"].read()) == 7

        loaded = rt.status()["ministack"]
        assert "lambda_svc" in loaded["services"]
        assert loaded["patches"][LAMBDA_SVC] == [
            "metered",
            "Lambda worker fixes",
            "cold starts gated",
            "import errors as on AWS",
            "layers extracted once",
            "isolated interpreter",
        ]
        assert _meter(rt.endpoint_url)["lambda"]["startup-fn"]["invocations"] == 1
        broken = lam.invoke(FunctionName="startup-broken", Payload=b"{}")
        error = json.loads(broken["Payload"].read())
        assert broken.get("FunctionError") == "Unhandled"
        assert error["errorType"] == "Runtime.ImportModuleError", error
    finally:
        rt.stop()
