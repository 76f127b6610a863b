"""Terraform in the tests: present, or a skip that says why (a failure in CI, which has it);
running it on a copy of a module, and comparing what it outputs with ``expand()``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from atelier.deploy.terraform import provider_mirror

TERRAFORM = shutil.which("terraform")
IN_CI = bool(os.environ.get("CI"))
# Outside CI a missing Terraform skips, saying why; CI installs it, so there it fails.
needs_terraform = pytest.mark.skipif(
    TERRAFORM is None and not IN_CI,
    reason="terraform is not on PATH (install Terraform >= 1.5 to run this)",
)


def require_terraform() -> None:
    """Skip with the reason outside CI; fail in CI, which installs Terraform and the mirror.
    ``ATELIER_TF_PROVIDERS_AVAILABLE`` says the provider comes from the registry instead."""
    missing = [] if shutil.which("terraform") else ["terraform is not on PATH"]
    if provider_mirror() is None and not os.environ.get("ATELIER_TF_PROVIDERS_AVAILABLE"):
        missing.append("no AWS provider mirror (ATELIER_TF_PLUGIN_DIR or /opt/tf-plugins)")
    if missing:
        reason = "; ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(f"CI has Terraform and the provider mirror, yet {reason}")
        pytest.skip(reason)


def unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def expr(value: Any) -> str:
    """python-hcl2's rendering of an attribute, normalised: `"${x}"` -> `x`, `"\\"a\\""` -> `a`."""
    text = str(value)
    if text.startswith("${") and text.endswith("}") and text.count("${") == 1:
        return text[2:-1]
    return unquote(text)


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
        declared = {unquote(n) for item in hcl2.load(fh).get("output", []) for n in item}
    return {**dict.fromkeys(declared), **values}
