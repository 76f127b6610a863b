"""One environment as the cost model sees it: topology sizes, Terraform flags, workload, what-ifs.

Terraform flags come from, in order: the stack module's variable defaults, literal arguments in
``terraform/envs/<env>/main.tf`` and ``terraform/envs/<env>/terraform.tfvars``. Everything is
checked against the price table here, so a bad input fails before any number is printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from atelier.config import find_repo_root
from atelier.cost.prices import CostError, PriceTable
from atelier.topology.models import Pipeline, Topology
from atelier.topology.workload import (
    HOURS_PER_MONTH,
    Platform,
    Stream,
    Workload,
    platform_for,
    streams_for,
)

TERRAFORM = Path("terraform")  # in the checkout
_ASSIGN = re.compile(
    r'^\s*([a-z_][a-z0-9_]*)\s*=\s*("[^"]*"|true|false|-?\d+(?:\.\d+)?)\s*(?:#.*)?$'
)
_VARIABLE = re.compile(r'variable\s+"([a-z_0-9]+)"\s*\{(.*?)\n\}', re.S)
_DEFAULT = re.compile(r'^\s*default\s*=\s*("[^"]*"|true|false|-?\d+(?:\.\d+)?)\s*$', re.M)


def _literal(text: str) -> str | bool | float:
    if text in ("true", "false"):
        return text == "true"
    if text.startswith('"'):
        return text[1:-1]
    return float(text)


def read_tfvars(path: Path) -> dict[str, str | bool | float]:
    """Literal ``name = value`` assignments (strings, booleans, numbers) of a .tfvars/.tf file."""
    if not path.is_file():
        return {}
    out: dict[str, str | bool | float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ASSIGN.match(line)
        if match:
            out[match.group(1)] = _literal(match.group(2))
    return out


def terraform_flags(
    env: str, root: Path | None = None
) -> tuple[dict[str, str | bool | float], str]:
    """The stack's variables for ``env`` and the file that set the last of them."""
    root = root or find_repo_root() / TERRAFORM
    flags: dict[str, str | bool | float] = {}
    for name, body in _VARIABLE.findall((root / "modules/stack/variables.tf").read_text()):
        match = _DEFAULT.search(body)
        if match:
            flags[name] = _literal(match.group(1))
    flags.update(read_tfvars(root / "envs" / env / "main.tf"))
    tfvars = root / "envs" / env / "terraform.tfvars"
    flags.update(read_tfvars(tfvars))
    return flags, str(tfvars.relative_to(root.parent)) if tfvars.is_file() else f"envs/{env}"


@dataclass(frozen=True)
class WhatIf:
    """Changes to price without editing any file."""

    gpu_spot: bool = False
    canary_every_minutes: float | None = None
    night_off: bool = False  # services and RDS off 20:00-08:00 and weekends (60 h/week on)
    single_nat: bool = False  # already the module's layout: kept for the recommendation
    no_nat: bool = False

    def describe(self) -> list[str]:
        out = []
        if self.gpu_spot:
            out.append("GPU task on spot instances")
        if self.canary_every_minutes is not None:
            out.append(f"canary every {self.canary_every_minutes:g} min")
        if self.night_off:
            out.append("service and RDS off at night and weekends (60 h a week)")
        if self.no_nat:
            out.append("no NAT gateway (tasks reach S3/DynamoDB through gateway endpoints)")
        return out


NIGHT_OFF_HOURS = 60.0 * HOURS_PER_MONTH / 168.0  # 12 h x 5 days a week


@dataclass(frozen=True)
class EnvProfile:
    env: str
    region: str
    topology: Topology
    workload: Workload
    streams: list[Stream]
    platform: Platform
    nat: bool
    cdn: bool
    waf: bool
    canary: bool
    gpu_capacity: bool
    multi_az: bool
    gpu_instance_type: str
    gpu_root_volume_gb: float
    whatif: WhatIf = field(default_factory=WhatIf)
    canary_image_check: bool = False  # sizes.canary_image_check: an image job every canary run
    flags_source: str = ""

    @property
    def uptime_hours(self) -> float:
        return NIGHT_OFF_HOURS if self.whatif.night_off else HOURS_PER_MONTH

    @property
    def canary_every_minutes(self) -> float:
        if not self.canary:
            return 0.0
        if self.whatif.canary_every_minutes is not None:
            return self.whatif.canary_every_minutes
        return self.platform.canary_every_minutes

    def pipeline(self, name: str) -> Pipeline:
        return self.topology.pipelines[name]


def build(
    topology: Topology,
    env: str,
    prices: PriceTable,
    whatif: WhatIf | None = None,
    terraform_root: Path | None = None,
) -> EnvProfile:
    if env not in topology.environments:
        raise CostError(f"--env: unknown environment {env!r}: {sorted(topology.environments)}")
    if topology.workload is None:
        raise CostError("topology.yaml: workload: missing (the cost model needs the profile)")
    region = topology.environments[env].region
    if not prices.has_region(region):
        raise CostError(
            f"topology.yaml: environments.{env}.region: no prices for region {region!r} "
            f"(price table has {sorted(prices.regions)})"
        )
    flags, source = terraform_flags(env, terraform_root)
    gpu_type = str(flags.get("gpu_instance_type", "g4dn.xlarge"))
    if gpu_type not in prices.regions[region].get("ec2", {}):
        raise CostError(
            f"{source}: gpu_instance_type: unknown instance type {gpu_type!r}: no price in "
            f"prices.regions.{region}.ec2 (known: {sorted(prices.regions[region].get('ec2', {}))})"
        )
    db_class = topology.database.instance_class
    if db_class not in prices.regions[region].get("rds", {}):
        raise CostError(
            f"topology.yaml: database.instance_class: unknown instance class {db_class!r}: no "
            f"price in prices.regions.{region}.rds"
        )
    wi = whatif or WhatIf()
    return EnvProfile(
        env=env,
        region=region,
        topology=topology,
        workload=topology.workload,
        streams=streams_for(topology.workload, env),
        platform=platform_for(topology.workload, env),
        nat=bool(flags.get("enable_nat", True)) and not wi.no_nat,
        cdn=bool(flags.get("enable_cdn", True)),
        waf=bool(flags.get("enable_waf", False)),
        canary=bool(flags.get("enable_canary", True)),
        gpu_capacity=bool(flags.get("enable_gpu_capacity", True)),
        multi_az=bool(flags.get("multi_az", True)),
        gpu_instance_type=gpu_type,
        gpu_root_volume_gb=100.0,
        whatif=wi,
        canary_image_check=topology.environments[env].sizes.canary_image_check,
        flags_source=source,
    )
