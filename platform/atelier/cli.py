"""The ``atelier`` command. Each command group lives beside the code it drives."""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute" of a click command or group; imported lazily so that
# `atelier emulator status` does not pay for torch or Great Expectations.
COMMANDS: dict[str, str] = {
    "emulator": "atelier.emulator.cli:emulator",
    "deploy": "atelier.deploy.cli:deploy",
    "destroy": "atelier.deploy.cli:destroy",
    "seed": "atelier.seed.cli:seed",
    "validate": "atelier.validation.cli:validate",
    "evaluate": "atelier.evaluation.cli:evaluate",
    "registry": "atelier.registry.cli:registry_group",
    "cost": "atelier.cost.cli:cost",
    "alerts": "atelier.monitor.cli:alerts",
    "logs": "atelier.monitor.logs_cli:logs",
    "users": "atelier.users.cli:users_group",
    "faults": "atelier.emulator.faults.cli:faults",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("atelier"):
                raise click.ClickException(f"'{cmd_name}' is not available: {exc}") from exc
            raise
        command = getattr(module, attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup)
@click.version_option(package_name="atelier")
def main() -> None:
    """Atelier: the team's AWS topology on one machine, the same code on AWS."""


if __name__ == "__main__":
    main()
