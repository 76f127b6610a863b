"""Durable atomic writes, the quarantine, and the records of task processes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from atelier.emulator.persistence.durable import Quarantine, write_atomic
from atelier.emulator.persistence.orphans import PidRecords, start_time


def test_write_atomic_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    write_atomic(path, b"one")
    write_atomic(path, b"two")
    assert path.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]


def test_quarantine_keeps_the_file_and_reports_it(tmp_path: Path) -> None:
    bad = tmp_path / "dynamodb.json"
    bad.write_bytes(b'{"torn')
    quarantine = Quarantine(tmp_path)
    item = quarantine.keep_aside(bad, "JSONDecodeError: Unterminated string")
    assert not bad.exists()
    assert Path(item.kept_at).read_bytes() == b'{"torn'
    assert quarantine.items() == [
        {"name": "dynamodb.json", "kept_at": item.kept_at, "reason": item.reason}
    ]


def test_recorded_orphans_are_killed_and_a_reused_pid_is_not(tmp_path: Path) -> None:
    records = PidRecords(tmp_path)
    orphan = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    bystander = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    try:
        records.record("task-a", orphan.pid)
        records.record("task-b", bystander.pid)
        # task-b's record names another process that happens to have the same pid now
        (records.dir / "task-b").write_text(f"{bystander.pid} {start_time(bystander.pid)}0\n")
        assert records.reap() == ["task-a"]
        deadline = time.monotonic() + 5
        while orphan.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert orphan.poll() is not None
        assert bystander.poll() is None
        assert not list(records.dir.iterdir())
    finally:
        for proc in (orphan, bystander):
            proc.kill()
            proc.wait()
