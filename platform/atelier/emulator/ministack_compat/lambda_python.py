"""Which interpreter MiniStack's Python Lambda workers use, and how a failed import answers.

Pinned internals (ministack==1.5.33):

- ``lambda_runtime._detect_runtime_binary(runtime)`` returns ``(sys.executable, script)`` for
  ``python*`` runtimes; :func:`use_interpreter` makes it return the given interpreter (see
  :mod:`atelier.emulator.lambda_.python_runtime`).
- The worker script answers a handler module that does not import with
  ``{"status": "error", "error": str(e)}`` and the invoke becomes ``errorType: RuntimeError``,
  ``errorMessage: "Worker init failed: No module named 'x'"``. AWS answers
  ``Runtime.ImportModuleError`` / ``Unable to import module 'handler': No module named 'x'``:
  :func:`report_import_errors` makes the local answer the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("atelier.lambda")

REQUIRED_INTERNALS: dict[str, tuple[str, ...]] = {
    "ministack.core.lambda_runtime": ("_detect_runtime_binary", "_PYTHON_WORKER_SCRIPT"),
    "ministack.services.lambda_svc": ("_execute_function_warm",),
}

INIT_ERROR = """    except Exception as e:
        _real_stdout.write(json.dumps({"status": "error", "error": str(e)}) + "\\n")"""
IMPORT_ERROR = """    except ImportError as e:
        _real_stdout.write(json.dumps({"status": "error", "error": "Unable to import module '%s': %s" % (module_name, e)}) + "\\n")
        _real_stdout.flush()
        return
"""  # noqa: E501 - worker script text
INIT_PREFIX = "Worker init failed: "
IMPORT_PREFIX = "Unable to import module "


def use_interpreter(python: Callable[[], str]) -> None:
    """Python functions' workers run ``python()`` (called as each worker starts) instead of the
    runtime's interpreter."""
    from ministack.core import lambda_runtime

    original = lambda_runtime._detect_runtime_binary
    if getattr(original, "_atelier", False):
        original = original.__wrapped__

    def detect(runtime: str) -> tuple[str, str]:
        binary, script = original(runtime)
        return (python(), script) if runtime.startswith("python") else (binary, script)

    detect._atelier = True  # type: ignore[attr-defined]
    detect.__wrapped__ = original  # type: ignore[attr-defined]
    lambda_runtime._detect_runtime_binary = detect


def _as_import_module_error(result: dict[str, Any], request_id: str) -> dict[str, Any]:
    body = result.get("body")
    if not (result.get("error") and isinstance(body, dict)):
        return result
    message = str(body.get("errorMessage", ""))
    if body.get("errorType") == "RuntimeError" and message.startswith(INIT_PREFIX + IMPORT_PREFIX):
        result["body"] = {
            "errorMessage": message.removeprefix(INIT_PREFIX),
            "errorType": "Runtime.ImportModuleError",
            "requestId": request_id,
            "stackTrace": [],
        }
    return result


def report_import_errors() -> bool:
    """Answer a handler that does not import as AWS does; False if the script changed."""
    from ministack.core import lambda_runtime
    from ministack.services import lambda_svc

    script = lambda_runtime._PYTHON_WORKER_SCRIPT
    if IMPORT_ERROR in script:
        return True
    if script.count(INIT_ERROR) < 1:
        log.warning("MiniStack's Lambda worker script changed: import errors not mapped")
        return False
    lambda_runtime._PYTHON_WORKER_SCRIPT = script.replace(INIT_ERROR, IMPORT_ERROR + INIT_ERROR, 1)
    warm = lambda_svc._execute_function_warm

    def execute(func: dict[str, Any], event: Any, request_id: str) -> dict[str, Any]:
        return _as_import_module_error(warm(func, event, request_id), request_id)

    lambda_svc._execute_function_warm = execute
    return True
