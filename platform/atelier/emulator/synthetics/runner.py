"""Started canaries run on their schedule (``rate(N minutes|hours)``) on the runtime's clock.

Each run: the execution role's session (STS on the runtime, as Lambda assumes it on AWS), the
handler in its own process (``invoke``), the run recorded (``GetCanaryRuns``), the run's log put
under the canary's artifact location in S3, and the ``CloudWatchSynthetics`` metrics AWS
publishes (``SuccessPercent``, ``Duration``, ``Failed``; dimension ``CanaryName``) put to the
runtime's CloudWatch in the canary's account, so alarms on them evaluate.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from atelier.emulator.synthetics import invoke
from atelier.emulator.synthetics.models import Canary, CanaryRun, Store, rate_seconds

log = logging.getLogger("atelier.synthetics")
TICK_SECONDS = 1.0


class Runner:
    def __init__(
        self, endpoint_url: str, work_dir: Path, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = Store()
        self.endpoint_url = endpoint_url
        self.work_dir = work_dir
        self.now = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._busy: set[str] = set()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def client(self, service: str, account: str, region: str, **creds: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=region,
            aws_access_key_id=creds.get("AccessKeyId", account),
            aws_secret_access_key=creds.get("SecretAccessKey", "synthetics"),
            aws_session_token=creds.get("SessionToken"),
            config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30),
        )

    def fetch_s3(self, account: str, bucket: str, key: str, version: str | None) -> bytes:
        extra = {"VersionId": version} if version else {}
        s3 = self.client("s3", account, "us-east-1")
        body: bytes = s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()
        return body

    def wake(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="synthetics", daemon=True)
                self._thread.start()
        self._wake.set()

    def shutdown(self) -> None:
        self._stop.set()
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(TICK_SECONDS)
            self._wake.clear()
            for canary in self.due():
                threading.Thread(target=self.run_once, args=(canary,), daemon=True).start()

    def due(self) -> list[Canary]:
        """Running canaries whose next run has come; their next run moves one period on."""
        now, ready = self.now(), []
        with self.store.lock:
            for canary in self.store.all():
                if canary.state != "RUNNING" or canary.next_run is None or canary.next_run > now:
                    continue
                if canary.arn in self._busy:
                    continue
                every = rate_seconds(canary.schedule["Expression"])
                canary.next_run = None if not every else max(canary.next_run + every, now)
                self._busy.add(canary.arn)
                ready.append(canary)
        return ready

    def run_once(self, canary: Canary) -> CanaryRun:
        run = CanaryRun(id=str(uuid.uuid4()), name=canary.name, state="RUNNING", started=self.now())
        when = datetime.fromtimestamp(run.started, UTC)
        run.artifacts = (
            f"{canary.artifact_s3_location.rstrip('/')}/canary/{canary.region}/"
            f"{canary.name}/{when:%Y/%m/%d/%H/%M%S}-{run.id[:8]}"
        )
        self.store.record(canary, run)
        try:
            outcome = self._execute(canary)
        except Exception as exc:  # noqa: BLE001 - no role session, a broken zip: a failed run
            outcome = invoke.Outcome(False, f"{type(exc).__name__}: {exc}", 0.0, "")
        finally:
            self._busy.discard(canary.arn)
        state = "PASSED" if outcome.passed else "FAILED"
        # metrics and artifacts first: a run shows its final state once they are written, so a
        # reader that sees PASSED or FAILED finds them (it raced them before)
        self._publish(canary, run, outcome, state)
        with self.store.lock:
            run.state = state
            run.reason = outcome.reason
            run.completed = self.now()
            if rate_seconds(canary.schedule["Expression"]) == 0 and canary.state == "RUNNING":
                canary.state, canary.last_stopped = "STOPPED", run.completed  # run-once canary
        return run

    def _execute(self, canary: Canary) -> invoke.Outcome:
        sts = self.client("sts", canary.account, canary.region)
        creds = sts.assume_role(
            RoleArn=canary.execution_role_arn, RoleSessionName=f"cwsyn-{canary.name}"
        )["Credentials"]
        code = invoke.unpack(
            canary.code_zip,
            self.work_dir
            / canary.account
            / canary.region
            / canary.name
            / f"v{canary.code_version}",
        )
        env = dict(canary.env)
        env.update(
            {
                "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
                "AWS_SESSION_TOKEN": creds["SessionToken"],
                "AWS_REGION": canary.region,
                "AWS_DEFAULT_REGION": canary.region,
                "AWS_ENDPOINT_URL": self.endpoint_url,
                "AWS_LAMBDA_FUNCTION_NAME": canary.engine_arn.split(":")[6],
            }
        )
        timeout = float(canary.run_config.get("TimeoutInSeconds", 60))
        return invoke.run(code, canary.handler, env, timeout)

    def _publish(self, canary: Canary, run: CanaryRun, outcome: invoke.Outcome, state: str) -> None:
        dims = [{"Name": "CanaryName", "Value": canary.name}]
        stamp = datetime.fromtimestamp(run.started, UTC)
        data = [
            {
                "MetricName": "SuccessPercent",
                "Value": 100.0 if outcome.passed else 0.0,
                "Unit": "Percent",
            },
            {"MetricName": "Duration", "Value": outcome.duration_ms, "Unit": "Milliseconds"},
            {"MetricName": "Failed", "Value": 0.0 if outcome.passed else 1.0, "Unit": "Count"},
        ]
        try:
            cw = self.client("cloudwatch", canary.account, canary.region)
            cw.put_metric_data(
                Namespace="CloudWatchSynthetics",
                MetricData=[{**d, "Dimensions": dims, "Timestamp": stamp} for d in data],
            )
        except Exception:
            log.exception("canary %s: PutMetricData failed", canary.name)
        bucket, _, prefix = run.artifacts.partition("/")
        try:
            self.client("s3", canary.account, canary.region).put_object(
                Bucket=bucket,
                Key=f"{prefix}/log.txt",
                Body=f"{state} {outcome.reason}\n{outcome.log}".encode(),
            )
        except Exception as exc:  # noqa: BLE001 - AWS too records the run without artifacts
            log.info("canary %s: artifacts not written to s3://%s: %s", canary.name, bucket, exc)
