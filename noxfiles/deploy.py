"""Sessions that deploy to the runtime: deploy_terraform_local, rehearse_terraform."""

from __future__ import annotations

import os
from pathlib import Path

import nox

from noxfiles.common import (
    PYTHON,
    ROOT,
    _install,
    _pip,
)


@nox.session(python=PYTHON)
def deploy_terraform_local(session: nox.Session) -> None:
    """tflocal init/apply of terraform/envs/local against the running runtime.

    Needs the AWS provider: from the registry, or from a filesystem mirror named by
    ATELIER_TF_PLUGIN_DIR (default /opt/tf-plugins when it exists). Skips, saying why, without.
    """
    import urllib.request
    from urllib.parse import urlparse

    endpoint = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    try:
        urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=2)  # noqa: S310
    except OSError:
        session.skip(f"no runtime answers on {endpoint}: run `atelier emulator start` first")
    mirror = Path(os.environ.get("ATELIER_TF_PLUGIN_DIR", "/opt/tf-plugins"))
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        # tflocal's default S3 host (s3.localhost.localstack.cloud) needs DNS; path-style on
        # the runtime's own address needs none.
        "S3_HOSTNAME": urlparse(endpoint).hostname or "127.0.0.1",
    }
    if mirror.is_dir():
        rc = ROOT / ".nox" / "terraformrc"
        rc.parent.mkdir(exist_ok=True)
        rc.write_text(
            f'provider_installation {{\n  filesystem_mirror {{ path = "{mirror}" }}\n}}\n'
        )
        env["TF_CLI_CONFIG_FILE"] = str(rc)
    elif not os.environ.get("ATELIER_TF_PROVIDERS_AVAILABLE"):
        session.skip(
            "the AWS provider cannot be downloaded here and no mirror was found: set "
            "ATELIER_TF_PLUGIN_DIR to a provider mirror, or ATELIER_TF_PROVIDERS_AVAILABLE=1 "
            "where the registry is reachable"
        )
    _install(session)
    _pip(session, "terraform-local")
    dist = ROOT / "dist"
    session.run(
        "python", "terraform/bundles.py", "--env", "local", "--deps", "--out", str(dist), env=env
    )
    env_dir = ROOT / "terraform" / "envs" / "local"
    session.run("tflocal", f"-chdir={env_dir}", "init", "-input=false", env=env)
    session.run(
        "tflocal",
        f"-chdir={env_dir}",
        "apply",
        "-auto-approve",
        "-input=false",
        f"-var=bundle_dir={dist}",
        env=env,
    )


@nox.session(python=PYTHON)
def rehearse_terraform(session: nox.Session) -> None:
    """qa, preprod and prod applied from scratch to one fresh runtime as three AWS accounts,
    then planned again (each must exit 0); a table and reports/rehearse_terraform/*.json.
    ``nox -s rehearse_terraform -- [qa] [preprod] [prod]``."""
    _install(session, "app", "test", devtools=True)
    session.run("python", "-m", "atelier_devtools.rehearse", *session.posargs)


@nox.session(python=PYTHON)
def rehearse(session: nox.Session) -> None:
    """The branch flow of .github/workflows (qa → preprod → prod) replayed on one fresh runtime
    as three accounts, each step the workflows' own nox session with their arguments;
    reports/rehearsal/index.html and summary.json. ``-- --list`` prints the steps only."""
    _install(session, "app", "gates", "test", devtools=True)
    session.run("python", "-m", "atelier_devtools.rehearsal", *session.posargs)
