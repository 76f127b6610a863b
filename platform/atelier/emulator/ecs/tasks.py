"""The ECS task executor: every active task in MiniStack's state runs as a real process.

Each reconcile pass (the runtime calls it every ~200 ms, and right after RunTask/StopTask):

- an active task with no process gets one (or is STOPPED with the reason it could not start);
- a process that exited moves its task to STOPPED with the exit code;
- a task that MiniStack marked STOPPED (StopTask, service scale-down) has its process stopped:
  SIGTERM, SIGKILL after the container's ``stopTimeout``;
- new output lines go to the task's CloudWatch Logs stream (the file is written by the executor).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from atelier.config import Settings
from atelier.emulator.ecs import memory
from atelier.emulator.ecs.backoff import HEALTHY_AFTER_S, ServiceBackoff
from atelier.emulator.ecs.executor import Executor, StartError, TaskSpec
from atelier.emulator.ecs.gpu import GpuInfo
from atelier.emulator.ecs.taskspec import build_task, essential_container
from atelier.emulator.iam import task_role
from atelier.emulator.meter import METER
from atelier.emulator.ministack_compat import ecs as bridge
from atelier.emulator.persistence.orphans import PidRecords

log = logging.getLogger("atelier.ecs")
RESTART_REASON = (
    "Task stopped: the Atelier runtime restarted and the task's process did not survive"
)


class LoopbackPool:
    """Hands out 127.0.x.y addresses (x >= 1), one per live task, like awsvpc ENIs."""

    def __init__(self, first_block: int = 1) -> None:
        # each runtime starts in its own 127.0.x.0/24 (from its port), so two runtimes on one
        # machine do not hand the same address (and port) to their tasks
        blocks = [*range(first_block, 255), *range(1, first_block)]
        self._free = (f"127.0.{x}.{y}" for x in blocks for y in range(2, 255))
        self._released: list[str] = []
        self._lock = threading.Lock()

    def take(self) -> str:
        with self._lock:
            # fresh addresses first: a replacement task should not inherit a dead one's IP
            fresh = next(self._free, None)
            if fresh is not None:
                return fresh
            if not self._released:
                raise StartError("ResourceInitializationError: no free loopback address")
            return self._released.pop(0)

    def give_back(self, ip: str) -> None:
        with self._lock:
            self._released.append(ip)


@dataclass
class RunningTask:
    ref: bridge.TaskRef
    handle: Any
    spec: TaskSpec
    container: dict[str, Any]
    device: str | None
    started: float = field(default_factory=time.time)
    stopping: bool = False
    ip_published: bool = False
    healthy: bool = False  # its port answered once
    oom: bool = False  # killed for exceeding the task definition's memory


def _port_open(ip: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.05)
        return sock.connect_ex((ip, port)) == 0


def _service_key(ref: bridge.TaskRef) -> tuple[str, str]:
    return (str(ref.task.get("clusterArn", "")), str(ref.task.get("group", "")))


class EcsTaskExecutor:
    def __init__(self, settings: Settings, executor: Executor, gpu: Callable[[], GpuInfo]) -> None:
        self.settings = settings
        self.executor = executor
        self._gpu = gpu
        self.started_at = time.time()
        self.running: dict[str, RunningTask] = {}
        self.ips = LoopbackPool(1 + settings.port % 254)
        self._lock = threading.RLock()
        # the agent has already reaped what a crashed runtime left behind, before serving
        self.pids = PidRecords(settings.home)
        self.backoff = ServiceBackoff()

    @property
    def gpu(self) -> GpuInfo:
        return self._gpu()

    # -- reconcile -----------------------------------------------------------------------

    def reconcile(self) -> None:
        with self._lock:
            for ref in bridge.all_tasks():
                if ref.arn in self.running or not bridge.is_active(ref):
                    continue
                if ref.created_epoch < self.started_at - 1.0:
                    bridge.mark_stopped(ref, RESTART_REASON, "TerminationNotice", None)
                    continue
                if not self.backoff.may_start(_service_key(ref)):
                    continue  # stays PENDING until the service's back-off has passed
                self._start(ref)
            for arn, run in list(self.running.items()):
                self._watch(arn, run)

    def _start(self, ref: bridge.TaskRef) -> None:
        td = bridge.task_definition(ref)
        if td is None:
            bridge.mark_stopped(
                ref, "TaskFailedToStart: task definition not found", "TaskFailedToStart", None
            )
            return
        ip = self.ips.take()
        try:
            built = build_task(ref.task, td, self.settings, ip, self.gpu)
        except StartError as exc:
            self.ips.give_back(ip)
            self._fail(ref, td, exc.reason)
            return
        session = task_role.apply(built.spec.env, ref.account, ref.task, td)
        if session:
            log.info("task %s runs as %s", ref.task_id, session)
        try:
            handle = self.executor.start(built.spec)
        except StartError as exc:
            self.ips.give_back(ip)
            self._fail(ref, td, exc.reason)
            return
        run = RunningTask(ref, handle, built.spec, built.container, built.device)
        self.running[ref.arn] = run
        METER.task_started(ref.arn, td, built.device)
        if isinstance(getattr(handle, "pid", None), int):
            self.pids.record(ref.task_id, handle.pid)
        bridge.mark_running(ref, getattr(handle, "pid", "container"))
        if built.device is not None:
            tags = {"atelier:device": built.device}
            if built.gpu_fallback:
                tags["atelier:gpu-fallback"] = "true"
            bridge.add_tags(ref, tags)
            line = (
                "[atelier] GPU requested; no GPU on this host: running on CPU (ATELIER_DEVICE=cpu)"
                if built.gpu_fallback
                else f"[atelier] GPU requested: running on {self.gpu.name} (ATELIER_DEVICE=cuda)"
            )
            bridge.put_logs(ref, built.container, [line])
            log.info("%s: %s", ref.task_id, line)
        if not self._waits_for_port(run):
            bridge.set_private_ip(ref, ip)
            run.ip_published = True
        log.info(
            "task %s started: %s (pid %s, %s)",
            ref.task_id,
            built.spec.argv,
            getattr(handle, "pid", "-"),
            ip,
        )

    def _waits_for_port(self, run: RunningTask) -> bool:
        """A load-balanced service task joins its target groups once its port answers
        (until then it has no address, which is what MiniStack registers)."""
        if not run.spec.port_mappings:
            return False
        service = bridge.service_of(run.ref)
        return bool(service and service.get("loadBalancers"))

    def _fail(self, ref: bridge.TaskRef, td: dict[str, Any], reason: str) -> None:
        log.warning("task %s failed to start: %s", ref.task_id, reason)
        with contextlib.suppress(StartError):
            bridge.put_logs(ref, essential_container(td), [f"[atelier] {reason}"])
        self._service_failed(ref, f"task {ref.task_id} failed to start: {reason}")
        bridge.mark_stopped(ref, reason, "TaskFailedToStart", None)

    def _service_failed(self, ref: bridge.TaskRef, what: str) -> None:
        """A service task failed before it was healthy: back off, say so in the events."""
        if not str(ref.task.get("group", "")).startswith("service:"):
            return
        delay = self.backoff.failed(_service_key(ref), what)
        bridge.add_service_event(ref, f"{what}; next task in {delay:g}s (back-off)")

    def _over_memory(self, run: RunningTask) -> bool:
        pid = getattr(run.handle, "pid", None)
        if run.oom or not run.spec.memory_mib or not isinstance(pid, int):
            return False
        used = memory.tree_rss_bytes(pid)
        if used <= run.spec.memory_mib * 1024 * 1024:
            return False
        run.oom = True
        log.warning(
            "task %s uses %d MiB, over its %d MiB: killed",
            run.ref.task_id, used >> 20, run.spec.memory_mib,
        )  # fmt: skip
        bridge.put_logs(run.ref, run.container, [f"[atelier] {memory.OOM_REASON}"])
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # as the kernel's OOM killer: no SIGTERM first
        return True

    def _watch(self, arn: str, run: RunningTask) -> None:
        self._ship_logs(run)
        self._over_memory(run)
        code = self.executor.poll(run.handle)
        if code is not None:
            self._ship_logs(run)
            del self.running[arn]
            METER.task_stopped(arn)
            self.pids.forget(run.ref.task_id)
            self.ips.give_back(run.spec.host_ip)
            lived = time.time() - run.started
            early = bool(run.spec.port_mappings) or lived < HEALTHY_AFTER_S
            if bridge.is_active(run.ref) and not run.healthy and early:
                self._service_failed(
                    run.ref, f"task {run.ref.task_id} exited with code {code} after {lived:.1f}s"
                )
            elif not early:
                self.backoff.healthy(_service_key(run.ref))
            if bridge.is_active(run.ref):
                reason = memory.OOM_REASON if run.oom else "Essential container in task exited"
                bridge.mark_stopped(run.ref, reason, "EssentialContainerExited", code)
            else:
                bridge.set_exit_code(run.ref, code)
            log.info("task %s exited with %s", run.ref.task_id, code)
            return
        if not bridge.is_active(run.ref) and not run.stopping:
            run.stopping = True
            self.executor.stop(run.handle, run.spec.stop_timeout)
            return
        if not run.ip_published and not run.stopping:
            port = run.spec.port_mappings[0].container_port
            if _port_open(run.spec.host_ip, port):
                bridge.set_private_ip(run.ref, run.spec.host_ip)
                run.ip_published = run.healthy = True
                self.backoff.healthy(_service_key(run.ref))

    def _ship_logs(self, run: RunningTask) -> None:
        lines = list(self.executor.logs(run.handle))
        if lines:
            bridge.put_logs(run.ref, run.container, lines)

    # -- lifecycle -----------------------------------------------------------------------

    def shutdown(self, grace: float = 3.0) -> None:
        """Stop every process (SIGTERM, SIGKILL after ``grace``) and mark the tasks STOPPED."""
        with self._lock:
            runs = list(self.running.values())
            for run in runs:
                self.executor.stop(run.handle, min(grace, run.spec.stop_timeout))
            deadline = time.time() + grace + 2.0
            while time.time() < deadline and any(
                self.executor.poll(r.handle) is None for r in runs
            ):
                time.sleep(0.05)
            for run in runs:
                METER.task_stopped(run.ref.arn)
                self._ship_logs(run)
                code = self.executor.poll(run.handle)
                bridge.mark_stopped(
                    run.ref, "Task stopped: the Atelier runtime stopped", "TerminationNotice", code
                )
                self.pids.forget(run.ref.task_id)
                log.info("task %s stopped with the runtime (exit %s)", run.ref.task_id, code)
            self.running.clear()

    def processes(self) -> list[dict[str, Any]]:
        """Each live task process: account, region, cluster ARN, group, pid, cpu units, memory
        (what service autoscaling measures)."""
        with self._lock:
            return [
                {
                    "task_arn": arn,
                    "account": run.ref.account,
                    "region": run.ref.region,
                    "cluster_arn": run.ref.task.get("clusterArn", ""),
                    "group": run.ref.task.get("group", ""),
                    "pid": run.handle.pid,
                    "cpu": run.ref.task.get("cpu"),
                    "memory_mib": run.spec.memory_mib,
                }
                for arn, run in self.running.items()
                if not run.stopping and isinstance(getattr(run.handle, "pid", None), int)
            ]

    def status(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    "task_arn": arn,
                    "task_id": run.ref.task_id,
                    "cluster": run.ref.cluster,
                    "group": run.ref.task.get("group", ""),
                    "image": run.spec.image,
                    "pid": getattr(run.handle, "pid", None),
                    "ip": run.spec.host_ip,
                    "device": run.device,
                    "stopping": run.stopping,
                    "uptime_s": round(time.time() - run.started, 1),
                }
                for arn, run in self.running.items()
            ]
