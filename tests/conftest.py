"""Shared fixtures. ``runtime``: one real Atelier runtime for the whole test session.

Use it in integration tests::

    @pytest.mark.integration
    def test_something(runtime):
        s3 = runtime.client("s3")            # boto3 client bound to the runtime
        s3.create_bucket(Bucket="b")
        runtime.endpoint_url                 # "http://127.0.0.1:<free port>"
        runtime.status()                     # the agent's state: tasks, pids, services, rds

The runtime runs in its own process with ``ATELIER_HOME`` in a temporary directory and
``ATELIER_IMAGES_DIRS=tests/fixtures/images`` (ECS images ``atelier/<name>`` resolve to test
Dockerfiles first, then ``pipelines/<name>``). It is stopped at the end of the session, also
when tests fail. Tests must not stop it: ``atelier_devtools.runtime.start_runtime(home)``
starts a private one (stop it with ``.stop()``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from atelier_devtools.runtime import Runtime, start_runtime


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """The session's runtime (see the module docstring)."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "test")
    rt = start_runtime(tmp_path_factory.mktemp("atelier-home"))
    try:
        yield rt
    finally:
        rt.stop()
