"""Run the real Terraform against the running runtime: ``atelier deploy --engine terraform``.

Plain ``terraform`` (no wrapper): every AWS endpoint is the runtime's through
``AWS_ENDPOINT_URL`` (the AWS provider >= 5.x reads it), the backend is swapped for a local
state under ``ATELIER_HOME`` at init (``-backend-config``), and the AWS provider comes from a
filesystem mirror when the machine has one (``ATELIER_TF_PLUGIN_DIR``, else /opt/tf-plugins),
through a generated CLI configuration, from the registry otherwise.

Terraform runs with ``-json``: each machine-readable event becomes a progress line, and an
error becomes one line naming the resource (:class:`TerraformFailed`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIRROR_DEFAULT = Path("/opt/tf-plugins")
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"

Listener = Callable[[dict[str, Any]], None]


class TerraformFailed(RuntimeError):
    """A Terraform command failed; ``str()`` is one line naming the resource or the cause."""

    def __init__(self, line: str, details: str = "") -> None:
        super().__init__(line)
        self.details = details


def find_terraform() -> str:
    found = os.environ.get("ATELIER_TERRAFORM") or shutil.which("terraform")
    if found and not os.access(found, os.X_OK):
        raise TerraformFailed(f"ATELIER_TERRAFORM={found} is not an executable terraform")
    if not found:
        raise TerraformFailed(
            "terraform is not on PATH: install Terraform >= 1.5 (or set ATELIER_TERRAFORM)"
        )
    return found


def provider_mirror() -> Path | None:
    """The filesystem mirror holding the AWS provider, or None (the registry is used)."""
    configured = os.environ.get("ATELIER_TF_PLUGIN_DIR")
    if configured:
        if not (Path(configured) / AWS_PROVIDER).is_dir():
            raise TerraformFailed(
                f"ATELIER_TF_PLUGIN_DIR={configured} holds no {AWS_PROVIDER} provider "
                "(expected <dir>/registry.terraform.io/hashicorp/aws/<version>/<os_arch>/)"
            )
        return Path(configured)
    return MIRROR_DEFAULT if (MIRROR_DEFAULT / AWS_PROVIDER).is_dir() else None


def cli_config(mirror: Path | None) -> str:
    """A Terraform CLI configuration: the AWS provider from ``mirror``, others from the registry."""
    if mirror is None:
        return ""
    return (
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
        f'    include = ["{AWS_PROVIDER}"]\n  }}\n'
        f'  direct {{\n    exclude = ["{AWS_PROVIDER}"]\n  }}\n'
        "}\n"
    )


@dataclass
class Workspace:
    """One Terraform root applied to one runtime as one account, state under ``state_dir``."""

    root: Path
    endpoint_url: str
    state_dir: Path
    region: str = "us-east-1"
    access_key: str = "test"  # a 12-digit key is that account on the runtime
    variables: dict[str, str] = field(default_factory=dict)
    var_files: list[Path] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    binary: str = field(default_factory=find_terraform)

    @property
    def state_file(self) -> Path:
        return self.state_dir / "terraform.tfstate"

    def env(self) -> dict[str, str]:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        rc = self.state_dir / "terraformrc"
        rc.write_text(cli_config(provider_mirror()))
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        return {
            **keep,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "TF_CLI_CONFIG_FILE": str(rc),
            "TF_DATA_DIR": str(self.state_dir / "data"),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            **self.extra_env,
        }

    def _var_args(self) -> list[str]:
        args = [f"-var-file={f}" for f in self.var_files]
        return args + [f"-var={k}={v}" for k, v in sorted(self.variables.items())]

    # --- commands ------------------------------------------------------------------------------
    def init(self, backend_config: dict[str, str] | None = None) -> float:
        """``terraform init`` with a local backend under ``state_dir`` (skipped when current)."""
        started = time.monotonic()
        config = backend_config or {"path": str(self.state_file)}
        stamp = self.state_dir / "init.json"
        wanted = json.dumps({"root": str(self.root), "backend": config,
                             "mirror": str(provider_mirror())}, sort_keys=True)  # fmt: skip
        lock = self.root / ".terraform.lock.hcl"
        if stamp.is_file() and stamp.read_text() == wanted and lock.is_file():
            return 0.0
        args = ["init", "-input=false", "-no-color", "-reconfigure"]
        args += [f"-backend-config={k}={v}" for k, v in config.items()]
        run = self._run(args)
        if run.returncode != 0:
            raise TerraformFailed(_init_error(run.stdout + run.stderr), run.stdout + run.stderr)
        stamp.write_text(wanted)
        return time.monotonic() - started

    def apply(
        self, on_event: Listener | None = None, targets: tuple[str, ...] = ()
    ) -> list[dict[str, Any]]:
        """``terraform apply -auto-approve`` (``-target`` each of ``targets``, e.g. an account's
        first apply); every JSON event goes to ``on_event``."""
        args = [f"-target={t}" for t in targets]
        return self._stream(["apply", "-auto-approve", "-input=false", *args, *self._var_args()],
                            on_event, ok=(0,))  # fmt: skip

    def plan(self, on_event: Listener | None = None) -> tuple[int, list[dict[str, Any]]]:
        """``terraform plan -detailed-exitcode``: (0 no changes | 2 changes, the events)."""
        events: list[dict[str, Any]] = []
        code = self._stream_code(
            ["plan", "-detailed-exitcode", "-input=false", "-lock=false", *self._var_args()],
            on_event, events,
        )  # fmt: skip
        if code not in (0, 2):
            raise TerraformFailed(_first_error(events, "terraform plan"), _details(events))
        return code, events

    def plan_diff(self) -> list[str]:
        """What a plan would change, attribute by attribute (:func:`attribute_changes`): a saved
        plan read back with ``terraform show -json``, for when a plan should be empty and is not."""
        saved = self.state_dir / "diff.tfplan"
        run = self._run(["plan", "-input=false", "-lock=false", "-no-color", f"-out={saved}",
                         *self._var_args()])  # fmt: skip
        if run.returncode != 0:
            raise TerraformFailed(f"terraform plan failed: {run.stderr.strip()[-300:]}")
        shown = self._run(["show", "-json", "-no-color", str(saved)])
        if shown.returncode != 0:
            raise TerraformFailed(f"terraform show failed: {shown.stderr.strip()[-300:]}")
        return attribute_changes(json.loads(shown.stdout))

    def destroy(self, on_event: Listener | None = None) -> list[dict[str, Any]]:
        return self._stream(["destroy", "-auto-approve", "-input=false", *self._var_args()],
                            on_event, ok=(0,))  # fmt: skip

    def outputs(self) -> dict[str, Any]:
        run = self._run(["output", "-json", "-no-color"])
        if run.returncode != 0:
            raise TerraformFailed(f"terraform output failed: {run.stderr.strip()[:300]}")
        return {k: v["value"] for k, v in json.loads(run.stdout or "{}").items()}

    # --- plumbing ------------------------------------------------------------------------------
    def _run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.binary, f"-chdir={self.root}", *args],
            env=self.env(), capture_output=True, text=True, timeout=1800,
        )  # fmt: skip

    def _stream(
        self, args: list[str], on_event: Listener | None, ok: tuple[int, ...]
    ) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        code = self._stream_code(args, on_event, events)
        if code not in ok:
            raise TerraformFailed(_first_error(events, f"terraform {args[0]}"), _details(events))
        return events

    def _stream_code(
        self, args: list[str], on_event: Listener | None, events: list[dict[str, Any]]
    ) -> int:
        proc = subprocess.Popen(
            [self.binary, f"-chdir={self.root}", *args, "-json"],
            env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert proc.stdout is not None and proc.stderr is not None
        for event in _events(proc.stdout):
            events.append(event)
            if on_event is not None:
                on_event(event)
        stderr = proc.stderr.read()
        code = proc.wait()
        if stderr.strip() and code not in (0, 2):
            events.append({"type": "diagnostic", "@level": "error",
                           "diagnostic": {"severity": "error", "summary": stderr.strip()}})  # fmt: skip
        return code


def _events(stream: Any) -> Iterator[dict[str, Any]]:
    for line in stream:
        line = line.strip()
        if not line:
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            yield {"type": "text", "@message": line}


def _errors(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        e["diagnostic"]
        for e in events
        if e.get("type") == "diagnostic" and e.get("diagnostic", {}).get("severity") == "error"
    ]


def _first_error(events: list[dict[str, Any]], what: str) -> str:
    """One line: the first error's resource address, summary and the detail's first line."""
    errors = _errors(events)
    failed = [e["hook"]["resource"]["addr"] for e in events if e.get("type") == "apply_errored"]
    if not errors:
        return f"{what} failed" + (f" at {failed[0]}" if failed else "")
    diag = errors[0]
    address = diag.get("address") or (failed[0] if failed else "")
    detail = next((ln.strip() for ln in str(diag.get("detail", "")).splitlines() if ln.strip()), "")
    line = f"{what} failed: {address + ': ' if address else ''}{diag.get('summary', '')}"
    if detail:
        line += f" ({detail[:240]})"
    more = len(errors) - 1
    return line + (f" [+{more} more error{'s' * (more > 1)}]" if more > 0 else "")


def _details(events: list[dict[str, Any]]) -> str:
    """Every error, one paragraph each (address: summary, then the detail)."""
    return "\n\n".join(
        f"{d.get('address', '')}: {d.get('summary', '')}\n{d.get('detail', '')}".strip()
        for d in _errors(events)
    )


def _init_error(text: str) -> str:
    lines = [ln.strip(" │╷╵") for ln in text.splitlines()]
    summary = next((ln[len("Error: ") :] for ln in lines if ln.startswith("Error: ")), "")
    if "provider" in text.lower() and ("registry" in text.lower() or "mirror" in text.lower()):
        return (
            f"terraform init cannot get the AWS provider: {summary or 'see the output'}; put "
            f"a mirror at ATELIER_TF_PLUGIN_DIR (<dir>/{AWS_PROVIDER}/...) or allow the registry"
        )
    return f"terraform init failed: {summary or text.strip()[-300:]}"


def planned_changes(events: list[dict[str, Any]]) -> list[str]:
    """``<action> <address>`` for every change a plan proposes (empty when it converged)."""
    out = []
    for event in events:
        if event.get("type") == "planned_change":
            change = event["change"]
            out.append(f"{change['action']} {change['resource']['addr']}")
    return out


def attribute_changes(plan: dict[str, Any]) -> list[str]:
    """``<address>: <attribute>: <before> -> <after>`` for each top-level attribute a plan
    (``terraform show -json``) updates or replaces; ``<address>: created`` or ``destroyed``
    for the others."""
    out = []
    for rc in plan.get("resource_changes", []):
        change, address = rc.get("change", {}), rc["address"]
        actions = change.get("actions", [])
        if set(actions) <= {"no-op", "read"}:
            continue
        if actions in (["create"], ["delete"]):
            out.append(f"{address}: {'created' if actions == ['create'] else 'destroyed'}")
            continue
        before, after = change.get("before") or {}, change.get("after") or {}
        unknown = change.get("after_unknown") or {}
        for key in sorted(set(before) | set(after) | set(unknown)):
            if unknown.get(key) is True:
                out.append(
                    f"{address}: {key}: {json.dumps(before.get(key))} -> (known after apply)"
                )
            elif after.get(key) != before.get(key):
                out.append(f"{address}: {key}: {json.dumps(before.get(key))} -> "
                           f"{json.dumps(after.get(key))}")  # fmt: skip
    return out
