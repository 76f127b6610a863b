"""Patches that wait until MiniStack imports the module they patch.

Plain MiniStack imports a service module on the service's first request
(``ministack.app._get_module``), so its port opens before ``ministack.services.lambda_svc``
(seconds of imports on a loaded machine) is loaded. A patch registered here runs right after the
module is first imported, whoever imports it (the first Lambda call, an SNS publish, persisted
state at start), and before that importer gets the module. If the module is already imported,
the patch runs at once. The mechanism is wrapt's post-import hooks: a ``sys.meta_path`` finder
that wraps the module's loader (``docs/adr/0024-post-import-hooks-with-wrapt.md``).

A patch that raises is logged and skipped: MiniStack's own behaviour stays, as when a patched
internal is missing. :func:`applied` says which patches ran, for tests and ``status``.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Mapping
from types import ModuleType

import wrapt

log = logging.getLogger("atelier.compat")
REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {}
LAMBDA_SVC = "ministack.services.lambda_svc"
SNS = "ministack.services.sns"
CLOUDWATCH = "ministack.services.cloudwatch"
ECS = "ministack.services.ecs"
LOGS = "ministack.services.cloudwatch_logs"

_lock = threading.Lock()
_applied: dict[str, list[str]] = {}


def when_imported(
    module: str, name: str, patch: Callable[[], object], via: str | None = None
) -> None:
    """Run ``patch()`` once ``module`` is imported (now, if it already is); ``name`` says what
    it fixes, in the log and in :func:`applied`.

    ``via``: the Atelier module the patch uses, which imports ``module`` at its top. Loading
    ``module`` loads ``via``, and the patch runs once ``via`` is complete: when ``via`` is what
    imported ``module``, a patch run right after ``module`` would find ``via`` half made."""

    def hook(_module: ModuleType) -> None:
        try:
            result = patch()
        except Exception:
            log.exception("%s: %s not applied; MiniStack's own behaviour stays", module, name)
            return
        with _lock:
            _applied.setdefault(module, []).append(name)
        if isinstance(result, list) and result:
            log.info("%s: %s (%s)", module, name, ", ".join(map(str, result)))
        else:
            log.info("%s: %s", module, name)

    if via is None:
        wrapt.register_post_import_hook(hook, module)
        return
    wrapt.register_post_import_hook(lambda _module: load(via), module)
    wrapt.register_post_import_hook(hook, via)


def load(module: str) -> ModuleType:
    """Import ``module`` (its hooks run first, as for any importer)."""
    return importlib.import_module(module)


def each_when_imported(patches: Mapping[str, tuple[str, Callable[[], object]]], what: str) -> None:
    """:func:`when_imported` for each ``name: (module, patch)``, named ``<what>: <name>``."""
    for name, (module, patch) in patches.items():
        when_imported(module, f"{what}: {name}", patch)


def applied() -> dict[str, list[str]]:
    """The patches that ran, by module, in order."""
    with _lock:
        return {module: list(names) for module, names in _applied.items()}
