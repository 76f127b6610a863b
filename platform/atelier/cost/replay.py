"""``atelier cost replay``: a simulated span of the workload profile through a real runtime.

The runtime must be deployed and seeded (``atelier deploy``, ``atelier seed``). The driver
sends every request of the span through the API Gateway endpoint as users (and the canary)
would, without waiting between them (the fast clock); tasks really run and are billed the
profile's duration (the meter's ``billed_task_seconds``); the always-on service is billed the
simulated span (the meter's ``clock``). The meter is then priced and compared per service with
the estimate of the same requests: both go through :func:`atelier.cost.usage.price`.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from rich.progress import Progress

from atelier.cost import metered
from atelier.cost.client import ApiClient
from atelier.cost.estimate import (
    AUTH_MS,
    AUTHORIZER_MS,
    CANARY_LOG_KB,
    CANARY_PUTS,
    Estimate,
    estimate,
)
from atelier.cost.prices import CostError, PriceTable
from atelier.cost.profile import EnvProfile, build
from atelier.cost.replay_pauses import paused_schedules, uncached_authorizer
from atelier.cost.usage import by
from atelier.emulator.meter.http import api_id_of as metered_api_id
from atelier.topology.models import Topology
from atelier.topology.workload import (
    DAYS,
    HOURS_PER_MONTH,
    EnvWorkload,
    RequestsOverride,
    Window,
    streams_for,
)

TOLERANCE = 0.05
# a fixed winter week (no DST change): Monday 2026-01-05
BASE_MONDAY = dt.date(2026, 1, 5)
JOBS_WAIT_SECONDS = 900.0


@dataclass(frozen=True)
class Event:
    at: float  # simulated seconds from the start
    kind: str  # stream name, "canary" or "login"


def parse_start(text: str, tz: str = "Europe/Paris") -> dt.datetime:
    try:
        day, hhmm = text.lower().split()
        hour, minute = (int(x) for x in hhmm.split(":"))
        offset = [str(d) for d in DAYS].index(day[:3])
    except ValueError:
        raise CostError(
            f"--start: expected '<day> HH:MM' such as 'mon 09:00', got {text!r}"
        ) from None
    date = BASE_MONDAY + dt.timedelta(days=offset)
    return dt.datetime(date.year, date.month, date.day, hour, minute, tzinfo=ZoneInfo(tz))


def _in_window(window: Window, moment: dt.datetime) -> bool:
    local = moment.astimezone(ZoneInfo(window.timezone))
    return (
        DAYS[local.weekday()] in window.days and window.start_hour <= local.hour < window.end_hour
    )


def schedule(p: EnvProfile, span_hours: float, start: dt.datetime) -> list[Event]:
    span = span_hours * 3600
    events: list[Event] = []
    for s in p.streams:
        rate = s.per_hour * s.traffic_share
        if rate > 0:
            step = 3600.0 / rate
            t = 0.0
            while t < span:
                if _in_window(s.window, start + dt.timedelta(seconds=t)):
                    events.append(Event(t, s.name))
                t += step
        runs = round(s.per_month_extra * span_hours / HOURS_PER_MONTH)
        events += [Event(span * (i + 0.5) / runs, s.name) for i in range(runs)]
    if p.canary_every_minutes:
        n = int(span // (p.canary_every_minutes * 60))
        events += [Event(i * p.canary_every_minutes * 60, "canary") for i in range(n)]
    logins = round(
        p.platform.logins_per_day
        * span_hours
        / 24
        * (p.streams[0].traffic_share if p.streams else 1)
    )
    events += [Event(span * (i + 0.5) / logins, "login") for i in range(logins)]
    return sorted(events, key=lambda e: e.at)


def replayed_profile(p: EnvProfile, events: list[Event], span_hours: float) -> EnvProfile:
    """The profile whose monthly averages are exactly what the replay drove (for comparison)."""
    counts: dict[str, int] = {}
    for e in events:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    scale = HOURS_PER_MONTH / span_hours
    env = p.workload.environments.get(p.env)
    share = p.streams[0].traffic_share if p.streams else 1.0
    requests = {
        s.name: RequestsOverride(per_hour=0, per_month=counts.get(s.name, 0) * scale)
        for s in p.streams
    }
    over = (env or EnvWorkload()).model_copy(
        update={"requests": requests, "drift_checks_per_day": 0.0}
    )
    workload = p.workload.model_copy(
        update={"environments": {**p.workload.environments, p.env: over}}
    )
    canary_runs = counts.get("canary", 0) * scale
    canary_every = 60.0 * HOURS_PER_MONTH / canary_runs if canary_runs else 0.0
    platform = p.platform.model_copy(
        update={
            "drift_checks_per_day": 0.0,
            "logins_per_day": counts.get("login", 0) * scale / 30.4166 / share,
            "canary_every_minutes": canary_every,
        }
    )
    return replace(
        p,
        workload=workload,
        streams=streams_for(workload, p.env),
        platform=platform,
        whatif=replace(p.whatif, canary_every_minutes=canary_every),
        canary_image_check=False,  # the driver's canary logs in only: its image job is not driven
    )


@dataclass
class ReplayResult:
    env: str
    span_hours: float
    real_seconds: float
    counts: dict[str, int]
    estimate: Estimate
    metered: Estimate
    rows: list[tuple[str, float, float, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def disagree(self) -> list[str]:
        return [name for name, _, _, diff in self.rows if abs(diff) > TOLERANCE]

    @property
    def agrees(self) -> bool:
        return not self.disagree


def _compare(est: Estimate, met: Estimate) -> list[tuple[str, float, float, float]]:
    e, m = by(est.lines, "service"), by(met.lines, "service")
    rows = []
    for name in metered.METERED_SERVICES:
        a, b = e.get(name, 0.0), m.get(name, 0.0)
        if a == 0 and b == 0:
            continue
        rows.append((name, a, b, (b - a) / a if a else float("inf")))
    return rows


class _Driver:
    def __init__(self, home: Path, endpoint: str) -> None:
        try:
            outputs = json.loads((home / "outputs.json").read_text())
            self.creds = json.loads((home / "credentials.json").read_text())
            self.seed = json.loads((home / "seed.json").read_text())
        except (OSError, ValueError) as exc:
            raise CostError(
                f"the runtime at {home} is not deployed and seeded ({exc}): run "
                "`atelier deploy` and `atelier seed` first"
            ) from None
        self.api = ApiClient(str(outputs["api_url"]))
        self.anon = ApiClient(str(outputs["api_url"]))
        self.endpoint = endpoint
        self.api.login(self.creds["username"], self.creds["password"])
        self.jobs: list[str] = []

    def send(self, kind: str, p: EnvProfile) -> None:
        if kind == "canary":
            self.anon.call("POST", "/auth", {})
        elif kind == "login":
            self.anon.call(
                "POST",
                "/auth",
                {"username": self.creds["username"], "password": self.creds["password"]},
            )
        elif kind == "structured_data":
            self.api.call("POST", "/structured_data", {"id": "1789"})
        else:
            body = (
                {"link": self.seed["image_link"]}
                if kind == "non_structured_data_images"
                else {"ids": self.seed["dataset_ids"]}
            )
            status, payload = self.api.call("POST", f"/{kind}", body)
            if status == 202:
                spec = next(s.spec for s in p.streams if s.name == kind)
                for _ in range(spec.job_polls):
                    self.api.call("GET", f"/jobs/{payload['job_id']}")


def _wait_quiet(endpoint: str, scope: metered.Scope, families: set[str], timeout: float) -> bool:
    """Until the meter shows no running job of these families and no invocation in flight of
    the deployment's functions (a canary run started just before the pause, say)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snap = metered.fetch(endpoint)
        busy = [t for t in snap.get("tasks", []) if t["running"] and t["family"] in families]
        busy += [fn for fn in snap.get("in_flight", {}) if scope.owns(fn)]
        if not busy:
            return True
        time.sleep(1.0)
    return False


def _api_id(api_url: str) -> str | None:
    """The REST API id in the deployment's ``api_url`` (any of the runtime's address forms)."""
    parts = urlsplit(api_url)
    return metered_api_id(parts.hostname or "", parts.path.rstrip("/") + "/")


def run(
    topology: Topology,
    prices: PriceTable,
    env: str,
    span_hours: float,
    start: str,
    endpoint: str,
    home: Path,
    deployed_env: str = "local",
    workers: int = 1,
    region: str = "us-east-1",
) -> ReplayResult:
    p = build(topology, env, prices)
    events = schedule(p, span_hours, parse_start(start))
    compare_profile = replayed_profile(p, events, span_hours)
    est = estimate(compare_profile, prices)  # checks every price before the replay starts
    driver = _Driver(home, endpoint)
    prefix = f"atelier-{deployed_env}-"  # names of the deployment the runtime holds
    billed: dict[str, float] = {}
    for s in p.streams:
        runs = topology.lambdas[s.name].runs
        if runs and s.spec.task_minutes:
            billed[f"{prefix}{runs}"] = s.spec.task_minutes * 60
    api_id = _api_id(driver.api.base_url)
    scope = metered.Scope(prefix, api_id)
    with (
        paused_schedules(endpoint, prefix, region) as paused,
        uncached_authorizer(endpoint, api_id, region) as uncached,
    ):
        # jobs or invocations started before the replay would be metered in it: let them finish
        if not _wait_quiet(endpoint, scope, set(billed), JOBS_WAIT_SECONDS):
            raise CostError("jobs started before the replay are still running; try again later")
        metered.fetch(endpoint, {"reset": True, "clock": 1.0, "billed_task_seconds": billed})
        began = time.monotonic()
        with Progress() as progress, ThreadPoolExecutor(max_workers=workers) as pool:
            bar = progress.add_task(f"replaying {span_hours:g} h of {env}", total=len(events))
            for _ in pool.map(lambda e: driver.send(e.kind, p), events):
                progress.advance(bar)
        finished = _wait_quiet(endpoint, scope, set(billed), JOBS_WAIT_SECONDS)
        real = time.monotonic() - began
        snap = metered.fetch(endpoint, {"clock": span_hours * 3600 / real})
    billed_ms = {s.name: s.spec.lambda_ms for s in p.streams}
    authorizer = next(n for n, fn in topology.lambdas.items() if fn.authorizer)
    billed_ms |= {authorizer: AUTHORIZER_MS, "auth": AUTH_MS, "jobs": 50.0}
    counts: dict[str, int] = {}
    for e in events:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    canary = counts.get("canary", 0)
    driven = {  # what the AWS canary itself does, which the runtime does not run
        "synthetics.runs": canary,
        "s3.puts": canary * CANARY_PUTS,
        "logs.bytes": canary * CANARY_LOG_KB * 1024,
    }
    m = metered.usage_from_snapshot(snap, compare_profile, billed_ms, driven, scope)
    met = metered.price_metered(m, compare_profile, prices)
    result = ReplayResult(env, span_hours, real, counts, est, met, _compare(est, met))
    result.notes = [
        f"{len(events)} requests in {real:.1f} s real for {span_hours:g} h simulated",
        "Synthetics runs, their S3 artifacts and logs: driven (the canary is AWS-only), not metered",
        "drift checks: not replayed (no task for them in the runtime)",
        "the canary's image check: priced by the estimate, not driven (compared without it)",
        f"metered: the {prefix}* deployment only; paused during the replay: "
        + (", ".join(paused) or "no schedule"),
        "fixed infrastructure (NAT, ALB, RDS, KMS, ...) priced from topology in both",
        "the authorizer's result cache: off during the replay (it runs on real time; the "
        "replay compresses hours into seconds)"
        if uncached
        else "no authorizer cache to pause",
    ] + ([] if finished else ["some tasks were still running when the meter was read"])
    return result


def render(r: ReplayResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            {
                "env": r.env,
                "span_hours": r.span_hours,
                "real_seconds": round(r.real_seconds, 1),
                "counts": r.counts,
                "agrees": r.agrees,
                "per_service": [
                    {
                        "service": n,
                        "estimate_usd_month": round(a, 4),
                        "metered_usd_month": round(b, 4),
                        "diff": round(d, 4),
                    }
                    for n, a, b, d in r.rows
                ],
                "notes": r.notes,
            },
            indent=2,
        )
    lines = [
        "| service | estimate USD/month | metered USD/month | difference |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {n} | {a:,.2f} | {b:,.2f} | {d:+.1%} |" for n, a, b, d in r.rows]
    return "\n".join(lines) + "\n\n" + "; ".join(r.notes) + "."


def print_rich(r: ReplayResult) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"replay of {r.env}: {r.span_hours:g} h simulated in {r.real_seconds:.0f} s"
    )
    for col in ("service", "estimate USD/month", "metered USD/month", "difference"):
        table.add_column(col, justify="left" if col == "service" else "right")
    for n, a, b, d in r.rows:
        style = "" if abs(d) <= TOLERANCE else "red"
        table.add_row(
            n, f"{a:,.2f}", f"{b:,.2f}", f"[{style}]{d:+.1%}[/]" if style else f"{d:+.1%}"
        )
    Console().print(table)
    for note in r.notes:
        Console().print(f"• {note}")
