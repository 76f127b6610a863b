"""MiniStack's IAM enforcement (``AUTH=true``) and its STS session store (ministack==1.5.33).

Under ``AUTH=true`` MiniStack evaluates every signed request against the caller's identity
policies (``ministack.core.iam_evaluator.enforce``). Root keys (``test``, the configured key, a
12-digit account id) are the account root and hold every permission. A Lambda worker gets an
execution-role session (``ministack.core.lambda_runtime.execution_credentials``): temporary keys
registered in ``ministack.services.sts._sessions`` whose ARN is
``arn:aws:sts::<account>:assumed-role/<role>/<session>``, so the evaluator applies that role's
policies. :func:`register_role_session` registers the same kind of session for any role (the
compute agent uses it for ECS task roles).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.app": ("AUTH",),
    "ministack.services.sts": ("register_session", "_sessions.pop"),
}


@dataclass(frozen=True)
class SessionCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    arn: str

    def as_env(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }


def enforcing() -> bool:
    """Whether MiniStack evaluates IAM policies (``AUTH=true`` when ``ministack.app`` loaded)."""
    from ministack import app

    return bool(app.AUTH)


def register_role_session(
    account: str, role_arn: str, session_name: str, seed: str
) -> SessionCredentials:
    """Temporary keys of an ``assumed-role`` session of ``role_arn`` (deterministic per
    ``seed``, like MiniStack's Lambda sessions, so a restart of the same task reuses them)."""
    from ministack.services import sts as sts_svc

    role_name = role_arn.rsplit("/", 1)[-1]
    session_name = session_name[:64]
    digest = hashlib.sha256(f"{seed}:{role_arn}".encode()).hexdigest()
    creds = SessionCredentials(
        access_key_id=f"ASIA{digest[:16].upper()}",
        secret_access_key=hashlib.sha256(f"secret:{digest}".encode()).hexdigest(),
        session_token=hashlib.sha256(f"token:{digest}".encode()).hexdigest(),
        arn=f"arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}",
    )
    sts_svc.register_session(
        creds.access_key_id,
        {
            "Arn": creds.arn,
            "UserId": f"{role_name}:{session_name}",
            "SecretAccessKey": creds.secret_access_key,
            "SessionToken": creds.session_token,
        },
    )
    return creds


def forget_session(access_key_id: str) -> None:
    """Drop a session (its keys stop working), as ECS does when a task's credentials go."""
    from ministack.services import sts as sts_svc

    sts_svc._sessions.pop(access_key_id, None)
