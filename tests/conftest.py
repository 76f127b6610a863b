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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from atelier.emulator.faults.proxy import FaultProxy

from atelier_devtools.runtime import Runtime, start_runtime

INTEGRATION = Path(__file__).parent / "integration"
# Run as root (CI containers), the RDS engine may create its PostgreSQL user and add o+x to the
# directories above a test's data (pytest makes /tmp/pytest-of-root 0700): the tests opt in.
os.environ.setdefault("ATELIER_ROOT_SETUP", "1")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/integration is ``integration``; every ``integration`` test is
    ``slow`` too (it needs the runtime), so ``-m "not slow"`` is the fast tier."""
    for item in items:
        if item.path.is_relative_to(INTEGRATION):
            item.add_marker(pytest.mark.integration)
        if item.get_closest_marker("integration"):
            item.add_marker(pytest.mark.slow)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The fast tier (``-m "not slow"``) does not import tests/integration: every test there is
    ``slow`` (above), so it would collect them only to deselect them (on each xdist worker)."""
    if config.getoption("markexpr") == "not slow" and collection_path.is_relative_to(INTEGRATION):
        return True
    return None


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


@pytest.fixture
def fault_proxy() -> Iterator[Callable[[str, int], FaultProxy]]:
    """A factory: ``fault_proxy(host, port)`` starts a :class:`FaultProxy` on loopback in front
    of ``host:port`` (set ``.fault`` to inject latency, resets or timeouts); all stop at the end."""
    from atelier.emulator.faults.proxy import FaultProxy

    started: list[FaultProxy] = []

    def make(host: str, port: int) -> FaultProxy:
        proxy = FaultProxy(host, port).start()
        started.append(proxy)
        return proxy

    try:
        yield make
    finally:
        for proxy in started:
            proxy.stop()
