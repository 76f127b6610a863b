"""One deployed, seeded stack for every module of this package: deployed before the first of
their tests, destroyed after the last, also after a failure. Modules run in name order; each
test leaves the stack as it found it (the seeded model in prod, the canary as deployed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from atelier_devtools.deployed_api import deployed_stack, logged_in, stack_env
from atelier_devtools.e2e.api import Api


@pytest.fixture(scope="package")
def env(runtime: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return stack_env(runtime.endpoint_url, tmp_path_factory.mktemp("repo"))


@pytest.fixture(scope="package")
def stack(env: dict[str, str], runtime: Any) -> Iterator[dict[str, Any]]:
    with deployed_stack(env, runtime) as deployed:
        yield deployed


@pytest.fixture(scope="package")
def api(stack: dict[str, Any]) -> Api:
    return logged_in(stack)
