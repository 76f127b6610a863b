"""The compute agent at start: task processes a crashed runtime left behind die before the
port opens, whether or not this runtime ever loads its ECS side."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from atelier.config import Settings
from atelier.emulator.agent import Agent
from atelier.emulator.persistence.orphans import PidRecords


def test_a_crashed_runtimes_task_processes_die_when_the_agent_is_built(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, port=1)
    orphan = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    agent = None
    try:
        PidRecords(settings.home).record("task-of-a-crashed-runtime", orphan.pid)
        agent = Agent(settings)
        deadline = time.monotonic() + 5
        while orphan.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert orphan.poll() is not None, "the crashed runtime's task process still runs"
        assert agent._ecs is None, "reaping loaded the ECS side"
    finally:
        if agent is not None:
            agent.shutdown()
        orphan.kill()
        orphan.wait()
