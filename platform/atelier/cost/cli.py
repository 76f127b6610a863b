"""``atelier cost``: the monthly estimate of an environment, compared, what-if, metered, replayed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from atelier.cost import budgets as budgets_mod
from atelier.cost import formats, infracost
from atelier.cost.compare import compare
from atelier.cost.estimate import Estimate, estimate
from atelier.cost.prices import CostError, PriceTable, load
from atelier.cost.profile import EnvProfile, WhatIf, build
from atelier.cost.recommend import recommend
from atelier.topology import TopologyError
from atelier.topology import load as load_topology
from atelier.topology.models import Topology


def _guard(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except (CostError, TopologyError) as exc:
        raise click.ClickException(str(exc)) from None


def _inputs(topology_path: Path | None) -> tuple[Topology, PriceTable]:
    pair: tuple[Topology, PriceTable] = _guard(lambda: (load_topology(topology_path), load()))
    return pair


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


def _render(
    est: Estimate, prices: PriceTable, fmt: str, output: Path | None, extra: dict[str, Any]
) -> None:
    if fmt == "table" and output is None:
        formats.print_rich(est, prices)
        for rec in extra.get("recommendations", []):
            click.echo(
                f"→ {rec['title']} ({rec['flag']}): saves {rec['saving_usd']:.2f} USD/month — {rec['why']}"
            )
        return
    if fmt == "json":
        _emit(json.dumps({**formats.to_dict(est, prices), **extra}, indent=2), output)
    elif fmt == "html":
        _emit(formats.to_html(est, prices), output)
    else:
        text = formats.to_markdown(est, prices)
        recs = extra.get("recommendations", [])
        if recs:
            text += "\n\nRecommendations:\n\n" + "\n".join(
                f"- {r['title']} (`{r['flag']}`): saves {r['saving_usd']:.2f} USD/month; {r['why']}"
                for r in recs
            )
        _emit(text, output)


whatif_options = [
    click.option("--gpu-spot", is_flag=True, help="What if the GPU task ran on spot instances."),
    click.option(
        "--canary-every", type=click.FloatRange(min=0), default=None, help="Canary period, minutes."
    ),
    click.option(
        "--night-off",
        is_flag=True,
        help="What if the service and RDS stopped at night and weekends.",
    ),
    click.option("--no-nat", is_flag=True, help="What if there were no NAT gateway."),
]


def _with_whatif(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(whatif_options):
        fn = option(fn)
    return fn


@click.group(invoke_without_command=True)
@click.option(
    "--env", "env", default=None, help="Environment of topology.yaml (qa, preprod, prod, local)."
)
@click.option(
    "--compare", "compare_envs", default=None, help="Comma-separated environments side by side."
)
@click.option(
    "--format", "fmt", type=click.Choice(formats.FORMATS), default="table", show_default=True
)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--topology", "topology_path", type=click.Path(path_type=Path), default=None)
@click.option(
    "--usage-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Infracost usage file: read it (overrides the profile) or, with --write-usage, write it.",
)
@click.option(
    "--write-usage", is_flag=True, help="Write --usage-file from the profile instead of reading it."
)
@click.option("--metered", is_flag=True, help="Price what the local runtime did since it started.")
@click.option(
    "--endpoint", default=None, help="Runtime endpoint for --metered (default: the settings')."
)
@click.option(
    "--budget-usd",
    type=float,
    default=None,
    help="Budget for --metered alerts (default: budgets.json).",
)
@_with_whatif
@click.pass_context
def cost(
    ctx: click.Context,
    env: str | None,
    compare_envs: str | None,
    fmt: str,
    output: Path | None,
    topology_path: Path | None,
    usage_file: Path | None,
    write_usage: bool,
    metered: bool,
    endpoint: str | None,
    budget_usd: float | None,
    gpu_spot: bool,
    canary_every: float | None,
    night_off: bool,
    no_nat: bool,
) -> None:
    """Monthly AWS cost of an environment from topology.yaml, Terraform variables and the
    workload profile; every line with its formula. See docs/cost.md."""
    if ctx.invoked_subcommand is not None:
        return
    topology, prices = _inputs(topology_path)
    whatif = WhatIf(
        gpu_spot=gpu_spot, canary_every_minutes=canary_every, night_off=night_off, no_nat=no_nat
    )
    if compare_envs:
        envs = [e.strip() for e in compare_envs.split(",") if e.strip()]
        comparison = _guard(lambda: compare(topology, envs, prices, whatif))
        if fmt == "json":
            _emit(json.dumps(comparison.as_dict(), indent=2), output)
        elif fmt == "table" and output is None:
            comparison.print_rich()
        else:
            _emit(comparison.markdown(), output)
        return
    if env is None:
        raise click.UsageError("give --env <env> or --compare <env,env,...>")
    profile: EnvProfile = _guard(lambda: build(topology, env, prices, whatif))
    if usage_file is not None and not write_usage:
        profile = _guard(lambda: infracost.read(profile, usage_file))
    if metered:
        _metered(profile, prices, fmt, output, endpoint, budget_usd)
        return
    est = _guard(lambda: estimate(profile, prices))
    if usage_file is not None and write_usage:
        infracost.write(profile, est, usage_file)
        click.echo(f"wrote {usage_file}", err=True)
    recs = _guard(lambda: recommend(topology, env, prices)) if not any(whatif.describe()) else []
    extra = {"recommendations": [r.__dict__ | {"saving_usd": round(r.saving_usd, 2)} for r in recs]}
    _render(est, prices, fmt, output, extra)


def _metered(
    profile: EnvProfile,
    prices: PriceTable,
    fmt: str,
    output: Path | None,
    endpoint: str | None,
    budget_usd: float | None,
) -> None:
    from atelier.cli_settings import current_settings
    from atelier.cost import metered

    settings = current_settings()
    url = endpoint or settings.endpoint_url
    snap = _guard(lambda: metered.fetch(url))
    m = _guard(lambda: metered.usage_from_snapshot(snap, profile))
    est = _guard(lambda: metered.price_metered(m, profile, prices))
    budget = budget_usd if budget_usd is not None else budgets_mod.committed_budget(profile.env)
    actual = est.total * m.span_hours / 730.0
    alerts = budgets_mod.crossed(actual, est.total, budget or 0.0)
    sent = budgets_mod.publish_local(alerts, profile.env, url, settings.region) if alerts else 0
    extra = {
        "metered": {
            "span_hours": round(m.span_hours, 6),
            "actual_usd": round(actual, 4),
            "budget_usd": budget,
            "alerts_published": sent,
        },
    }
    _render(est, prices, fmt, output, extra)
    if fmt == "table" and output is None:
        click.echo(
            f"metered {m.span_hours:.2f} h: {actual:.4f} USD so far, {est.total:.2f} USD a month at this rate"
            + (f"; {sent} budget alert(s) published" if sent else "")
        )


@cost.command("budgets")
@click.option(
    "--write", "do_write", is_flag=True, help="Regenerate terraform/modules/budgets/budgets.json."
)
@click.option("--topology", "topology_path", type=click.Path(path_type=Path), default=None)
def budgets_cmd(do_write: bool, topology_path: Path | None) -> None:
    """Budgets from the estimate (+ margin); checks the committed file unless --write."""
    topology, prices = _inputs(topology_path)
    if do_write:
        data = _guard(lambda: budgets_mod.write(topology, prices))
        click.echo(json.dumps(data, indent=2))
        return
    problem = _guard(lambda: budgets_mod.drift(topology, prices))
    if problem:
        raise click.ClickException(problem)
    click.echo(f"{budgets_mod.BUDGETS_JSON.name} matches the estimate")


@cost.command("replay")
@click.option("--env", "env", required=True, help="Environment whose profile is replayed.")
@click.option("--days", type=click.FloatRange(min=0.01, max=31), default=7.0, show_default=True)
@click.option(
    "--hours",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Span in hours (overrides --days).",
)
@click.option(
    "--start", default="mon 09:00", show_default=True, help="Simulated start: '<day> HH:MM'."
)
@click.option("--endpoint", default=None, help="Runtime endpoint (default: the settings').")
@click.option("--format", "fmt", type=click.Choice(("table", "json", "markdown")), default="table")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=4,
    show_default=True,
    help="Requests in flight at once.",
)
def replay_cmd(
    env: str,
    days: float,
    hours: float | None,
    start: str,
    endpoint: str | None,
    fmt: str,
    output: Path | None,
    workers: int,
) -> None:
    """Drive the profile through a deployed, seeded runtime on a fast clock; price the meter
    and compare it with the estimate per service (within ±5 %)."""
    from atelier.cli_settings import current_settings
    from atelier.cost import replay

    settings = current_settings()
    topology, prices = _inputs(None)
    span = hours if hours is not None else days * 24
    result = _guard(
        lambda: replay.run(
            topology,
            prices,
            env,
            span,
            start,
            endpoint or settings.endpoint_url,
            settings.home,
            settings.env,
            workers,
        )
    )
    text = replay.render(result, fmt)
    if output is not None or fmt != "table":
        _emit(text, output)
    else:
        replay.print_rich(result)
    if not result.agrees:
        raise click.ClickException(
            "estimate and meter disagree by more than ±5 % on: " + ", ".join(result.disagree)
        )
