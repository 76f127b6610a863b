"""What a task's process gets as credentials, with and without enforcement."""

from __future__ import annotations

import pytest

from atelier.emulator.iam import task_role
from atelier.emulator.ministack_compat import iam as compat

TASK = {"taskArn": "arn:aws:ecs:us-east-1:000000000000:task/c/abc"}
ROLE = "arn:aws:iam::000000000000:role/atelier-local-x-task"


def test_enforced_a_task_runs_as_its_task_role(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compat, "enforcing", lambda: True)
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "OTHER": "1"}
    arn = task_role.apply(env, "000000000000", TASK, {"taskRoleArn": ROLE})
    try:
        assert arn == "arn:aws:sts::000000000000:assumed-role/atelier-local-x-task/abc"
        assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA") and env["AWS_SESSION_TOKEN"]
        assert env["AWS_SHARED_CREDENTIALS_FILE"] == "/dev/null" and env["OTHER"] == "1"
    finally:
        compat.forget_session(env["AWS_ACCESS_KEY_ID"])


def test_enforced_a_task_without_a_role_gets_no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compat, "enforcing", lambda: True)
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    assert task_role.apply(env, "000000000000", TASK, {}) is None
    assert not set(task_role.AWS_KEYS) & set(env)


def test_not_enforced_a_task_keeps_the_root_test_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compat, "enforcing", lambda: False)
    env: dict[str, str] = {}
    assert task_role.apply(env, "000000000000", TASK, {"taskRoleArn": ROLE}) is None
    assert env == {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
