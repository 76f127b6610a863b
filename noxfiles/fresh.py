"""``nox -s fresh``: the README's quick start on a fresh machine, as near as one machine can be.

A clone of this checkout at HEAD in a temporary directory, a new empty ``HOME``, no pip cache,
no ``PIP_FIND_LINKS`` and no other variable of this shell but ``PATH`` and ``LANG``; there, the
README's first command (nox in its own venv) and ``nox -s tests --install-only`` (every
dependency resolved and installed from the lock). ``-- --full`` runs the whole ``nox -s tests``
instead (the suite itself: long). ``-- --keep-find-links`` keeps ``PIP_FIND_LINKS`` (where
PyTorch's CPU index is unreachable, a local wheel directory is the only CPU build of torch).
``-- --keep`` leaves the directory for a look (it is printed).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import nox

from noxfiles.common import ROOT

OPTIONS = ("--full", "--keep-find-links", "--keep")


def readme_nox_version() -> str:
    """The nox version the README's quick start installs (``pip install nox==X``)."""
    found = re.search(r"pip install nox==([\w.]+)", (ROOT / "README.md").read_text())
    if found is None:
        raise ValueError("README.md: no `pip install nox==<version>` in the quick start")
    return found.group(1)


@nox.session(python=False)
def fresh(session: nox.Session) -> None:
    """The README's commands in a clean clone, HOME and pip cache:
    ``nox -s fresh [-- --full] [--keep-find-links] [--keep]``."""
    unknown = [a for a in session.posargs if a not in OPTIONS]
    if unknown:
        session.error(f"unknown option {' '.join(unknown)}: use {', '.join(OPTIONS)}")
    work = Path(tempfile.mkdtemp(prefix="atelier-fresh-"))
    clone, home = work / "atelier", work / "home"
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "HOME": str(home),
        "PIP_NO_CACHE_DIR": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    if "--keep-find-links" in session.posargs and os.environ.get("PIP_FIND_LINKS"):
        env["PIP_FIND_LINKS"] = os.environ["PIP_FIND_LINKS"]
    head = str(session.run("git", "-C", str(ROOT), "rev-parse", "HEAD", silent=True,
                           external=True)).strip()  # fmt: skip
    session.log(f"fresh: clone of {head[:12]} in {clone}, HOME={home}, no pip cache")
    try:
        session.run("git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone),
                    external=True)  # fmt: skip
        session.run("git", "-C", str(clone), "checkout", "--quiet", "--detach", head,
                    external=True)  # fmt: skip
        session.chdir(clone)

        def run(*args: str) -> None:
            session.run(*args, env=env, include_outer_env=False, external=True)

        # the README's first command, as written there
        run("python3", "-m", "venv", ".venv")
        run(".venv/bin/pip", "install", f"nox=={readme_nox_version()}")
        if "--full" in session.posargs:
            run(".ci/run")
        else:
            run(".venv/bin/nox", "-s", "tests", "--install-only")
    finally:
        session.chdir(ROOT)
        if "--keep" in session.posargs:
            session.log(f"fresh: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
