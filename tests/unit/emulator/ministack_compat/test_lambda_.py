from __future__ import annotations

import pytest

from atelier.emulator.ministack_compat import lambda_ as lambda_tuning


def test_fixes_apply_and_the_worker_script_still_compiles(monkeypatch: pytest.MonkeyPatch) -> None:
    from ministack.core import lambda_runtime

    monkeypatch.setattr(
        lambda_runtime, "_PYTHON_WORKER_SCRIPT", lambda_runtime._PYTHON_WORKER_SCRIPT
    )
    monkeypatch.setattr(
        lambda_runtime.Worker, "_drain_stderr_bounded", lambda_runtime.Worker._drain_stderr_bounded
    )
    assert lambda_tuning.apply() == ["fast-log-drain", "lazy-botocore-depth-hook"]
    script = lambda_runtime._PYTHON_WORKER_SCRIPT
    compile(script, "_worker.py", "exec")
    assert "_ms_install_invoke_depth_lazy()\n" in script
    assert lambda_tuning.EAGER_CALL not in script.split("def run():", 1)[1]
