"""The credentials an ECS task's process gets: its task role's session, as on ECS.

On ECS the container's SDK fetches the task role's temporary keys from the agent's credential
endpoint; locally the compute agent puts the keys of an STS session of ``taskRoleArn`` (RunTask's
``overrides.taskRoleArn`` first, as on ECS) in the
process's environment (the SDK reads them first). With IAM enforcement on, every call the task
makes is then evaluated against the task role's policies. A task definition without a task role
gets no credentials, as on ECS (the host's own AWS files are hidden from it too).
Without enforcement the task keeps the runtime's root test keys.
"""

from __future__ import annotations

from typing import Any

from atelier.emulator.ministack_compat import iam as compat

NO_HOST_FILES = {"AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_CONFIG_FILE": "/dev/null"}
AWS_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def task_environment(
    account: str, task: dict[str, Any], td: dict[str, Any]
) -> tuple[dict[str, str], str | None]:
    """``(environment to set, session ARN or None)`` for one task; keys absent from the
    environment are to be removed (see :func:`apply`)."""
    if not compat.enforcing():
        return {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}, None
    # RunTask's overrides.taskRoleArn wins over the definition's (a training task runs the
    # pipeline's definition as its own training role)
    overridden = (task.get("overrides") or {}).get("taskRoleArn")
    role_arn = str(overridden or td.get("taskRoleArn") or "")
    if not role_arn:
        return dict(NO_HOST_FILES), None
    task_arn = str(task.get("taskArn", ""))
    creds = compat.register_role_session(
        account, role_arn, session_name=task_arn.rsplit("/", 1)[-1], seed=task_arn
    )
    return {**creds.as_env(), **NO_HOST_FILES}, creds.arn


def apply(
    env: dict[str, str], account: str, task: dict[str, Any], td: dict[str, Any]
) -> str | None:
    """Replace the AWS keys in ``env`` by the task's own; returns the session ARN if any."""
    for key in AWS_KEYS:
        env.pop(key, None)
    update, arn = task_environment(account, task, td)
    env.update(update)
    return arn
