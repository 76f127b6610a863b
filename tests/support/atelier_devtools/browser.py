"""The browser the browser tests drive: the one this machine has, never a downloaded one.

Looked for in order: ``$CHROMIUM_PATH``, then Chromium or Google Chrome on ``PATH`` (Debian's
``chromium``, Ubuntu's ``chromium-browser``, ``google-chrome`` as on GitHub's runners), then
the usual install paths. Installing one (Debian's ``chromium`` with apt-get, as root) happens
only when asked: ``python -m atelier_devtools.browser --install`` (what ``nox -s e2e --
--install-browser`` and CI run).

``python -m atelier_devtools.browser`` prints the path, or exits 1 saying what to do.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PATHS = ("/usr/bin/chromium", "/usr/bin/google-chrome", "/opt/google/chrome/chrome")
HOW = (
    "install Chromium or Google Chrome (Debian: apt-get install -y chromium), set "
    "CHROMIUM_PATH to a Chromium-based browser, or pass --install-browser to let the session "
    "install Debian's chromium (as root)"
)


def find_browser(env: dict[str, str] | None = None) -> str | None:
    """The path of a Chromium-based browser on this machine, or None."""
    environ = os.environ if env is None else env
    explicit = environ.get("CHROMIUM_PATH", "").strip()
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in NAMES:
        found = shutil.which(name, path=environ.get("PATH"))
        if found:
            return found
    return next((p for p in PATHS if Path(p).is_file()), None)


def install_chromium() -> None:
    """Debian's chromium with apt-get (root only); says what it does before doing it."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit(f"cannot install a browser here (needs root and apt-get): {HOW}")
    print("atelier: installing Debian's chromium with apt-get (asked for)", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
        check=True,
        env=env,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atelier_devtools.browser")
    parser.add_argument("--install", action="store_true", help="apt-get chromium when missing")
    args = parser.parse_args(argv)
    path = find_browser()
    if path is None and args.install:
        install_chromium()
        path = find_browser()
    if path is None:
        print(f"no Chromium-based browser found: {HOW}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
