"""Run inside a canary's process: import the handler's module, call it, print one result line."""

import importlib
import json
import sys
import time
import traceback


class Context:
    """What a Lambda-style handler may read from its context."""

    def __init__(self, name: str) -> None:
        self.function_name = name
        self.aws_request_id = ""

    def get_remaining_time_in_millis(self) -> int:
        return 0


def main() -> int:
    module_name, function_name = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    status, reason = "PASSED", ""
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        handler({}, Context(module_name))
    except BaseException as exc:  # noqa: BLE001 - every failure of the canary is its result
        traceback.print_exc()
        status, reason = "FAILED", f"{type(exc).__name__}: {exc}"
    duration = (time.perf_counter() - started) * 1000
    result = {"status": status, "reason": reason, "duration_ms": duration}
    print("__ATELIER_CANARY_RESULT__ " + json.dumps(result), flush=True)
    return 0 if status == "PASSED" else 1


if __name__ == "__main__":
    sys.exit(main())
