"""The hardening half of the CI/CD rules (pinned actions, least permissions, OIDC, checkout,
concurrency, header comments, commands in nox). Same contract as :mod:`atelier.cicd.checks`:
each check returns messages that start with ``[rule-id] title:``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from atelier.cicd.rules import AWS_ROLE, RULES
from atelier.cicd.workflows import Workflow, load_all, steps

_PINNED = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")
_VERSION_COMMENT = re.compile(r"#\s*v\d+(?:\.\d+)*\b")
_USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*['\"]?([^'\"\s#]+)['\"]?\s*(.*)$")
_FORBIDDEN = re.compile(
    r"(?:^|[\s;&|(`])(docker|terraform|tflocal|aws|awslocal|npm|npx|pytest|atelier)(?=\s|$)"
)
_ALLOWED_PIP = re.compile(r"^python -m pip install nox==[\d.]+$")
ALLOWED_PERMISSIONS = {"contents": {"read"}, "actions": {"read", "write"}, "id-token": {"write"}}


# --- hardening rules -------------------------------------------------------------------------


def _all_jobs(workflows: dict[str, Workflow]) -> Iterable[tuple[Workflow, str, dict[str, Any]]]:
    for wf in workflows.values():
        for jid, job in wf.jobs.items():
            yield wf, jid, job


def check_pinned(root: Path) -> list[str]:
    rule = RULES["actions-pinned"]
    out = []
    for wf in load_all(root).values():
        for number, line in enumerate(wf.text.splitlines(), 1):
            m = _USES_LINE.match(line)
            if not m or m.group(1).startswith("./"):
                continue
            ref, rest = m.group(1), m.group(2)
            if ref.startswith("docker://"):
                if "@sha256:" not in ref:
                    out.append(rule.fail(f"{wf.name}:{number}: {ref} is not pinned by digest"))
            elif not _PINNED.match(ref):
                out.append(
                    rule.fail(f"{wf.name}:{number}: {ref} is not pinned to a full commit SHA")
                )
            elif not _VERSION_COMMENT.search(rest):
                out.append(
                    rule.fail(f"{wf.name}:{number}: {ref} has no '# vX.Y.Z' version comment")
                )
    return out


def check_permissions(root: Path) -> list[str]:
    rule = RULES["permissions-minimal"]
    workflows = load_all(root)
    out = [
        rule.fail(
            f"{wf.name}: top-level permissions must be {{}}, found {wf.data.get('permissions')!r}"
        )
        for wf in workflows.values()
        if wf.data.get("permissions", "missing") != {}
    ]
    for wf, jid, job in _all_jobs(workflows):
        perms = job.get("permissions")
        if not isinstance(perms, dict):
            out.append(
                rule.fail(
                    f"{wf.name} / {jid}: must declare its permissions as a map, found {perms!r}"
                )
            )
            continue
        for scope, level in perms.items():
            if level not in ALLOWED_PERMISSIONS.get(str(scope), set()):
                out.append(rule.fail(f"{wf.name} / {jid}: grants {scope}: {level}"))
        if perms.get("id-token") == "write" and "environment" not in job and "uses" not in job:
            out.append(rule.fail(f"{wf.name} / {jid}: id-token: write without an environment"))
    return out


def check_oidc(root: Path) -> list[str]:
    rule = RULES["oidc-roles"]
    workflows = load_all(root)
    out = [
        rule.fail(
            f"{wf.name}: refers to secrets ({m.group(0)}); use OIDC and environment variables"
        )
        for wf in workflows.values()
        for m in re.finditer(r"secrets\.\w+", wf.text)
    ]
    for wf, jid, job in _all_jobs(workflows):
        for step in steps(job):
            if "aws-actions/configure-aws-credentials@" not in str(step.get("uses", "")):
                continue
            given = step.get("with") or {}
            if given.get("role-to-assume") != AWS_ROLE:
                out.append(
                    rule.fail(
                        f"{wf.name} / {jid}: role-to-assume is {given.get('role-to-assume')!r}, "
                        f"expected {AWS_ROLE}"
                    )
                )
            keys = sorted(
                k for k in given if k.startswith(("aws-access-key", "aws-secret", "aws-session"))
            )
            if keys:
                out.append(rule.fail(f"{wf.name} / {jid}: passes stored credentials {keys}"))
            if "environment" not in job:
                out.append(
                    rule.fail(f"{wf.name} / {jid}: assumes an AWS role outside an environment")
                )
            if (job.get("permissions") or {}).get("id-token") != "write":
                out.append(rule.fail(f"{wf.name} / {jid}: assumes a role without id-token: write"))
    return out


def check_checkout(root: Path) -> list[str]:
    rule = RULES["checkout-no-credentials"]
    out = []
    for wf, jid, job in _all_jobs(load_all(root)):
        for step in steps(job):
            is_checkout = str(step.get("uses", "")).startswith("actions/checkout@")
            if is_checkout and (step.get("with") or {}).get("persist-credentials") is not False:
                out.append(
                    rule.fail(
                        f"{wf.name} / {jid}: actions/checkout without persist-credentials: false"
                    )
                )
    return out


def check_concurrency(root: Path) -> list[str]:
    rule = RULES["concurrency"]
    workflows = load_all(root)
    out = []
    for wf in workflows.values():
        if not wf.reusable and not (wf.data.get("concurrency") or {}).get("group"):
            out.append(rule.fail(f"{wf.name}: no top-level concurrency group"))
    for wf, jid, job in _all_jobs(workflows):
        if "environment" not in job:
            continue
        own = job.get("concurrency")
        top = wf.data.get("concurrency") if not wf.reusable else None
        guard = own if own is not None else top
        if not guard or not (guard.get("group") if isinstance(guard, dict) else guard):
            out.append(rule.fail(f"{wf.name} / {jid}: deploys without a concurrency group"))
        elif isinstance(guard, dict) and guard.get("cancel-in-progress", False) is not False:
            out.append(
                rule.fail(f"{wf.name} / {jid}: a deployment must not be cancelled in progress")
            )
    return out


def check_header(root: Path) -> list[str]:
    rule = RULES["header-comment"]
    out = []
    for wf in load_all(root).values():
        lines = wf.text.splitlines()
        header = []
        for line in lines:
            if not line.startswith("#"):
                break
            header.append(line)
        text = "\n".join(header)
        if not header or "Trigger:" not in text or "Does:" not in text:
            out.append(
                rule.fail(f"{wf.name}: must open with a comment with 'Trigger:' and 'Does:' lines")
            )
    return out


def check_commands(root: Path) -> list[str]:
    rule = RULES["commands-in-nox"]
    out = []
    for wf, jid, job in _all_jobs(load_all(root)):
        for step in steps(job):
            for line in str(step.get("run", "")).splitlines():
                line = line.strip()
                if "pip install" in line and not _ALLOWED_PIP.match(line):
                    out.append(
                        rule.fail(
                            f"{wf.name} / {jid}: installs with pip ({line!r}); nox sessions install"
                        )
                    )
                m = _FORBIDDEN.search(line)
                if m:
                    out.append(
                        rule.fail(
                            f"{wf.name} / {jid}: runs {m.group(1)} directly ({line!r}); "
                            "add or use a nox session"
                        )
                    )
    return out
