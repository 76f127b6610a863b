"""``python -m atelier_devtools.bench runtime|deploy|e2e|cost``: run a benchmark group, update docs/benchmarks.md.

Each group replaces its own ``## <Name>`` section (hand-written ``### `` notes under it stay).
Run one group at a time: they measure time on the same cores.
"""

from __future__ import annotations

import argparse
import importlib
import sys

GROUPS: dict[str, str] = {
    "runtime": "atelier_devtools.bench.runtime:main",
    "deploy": "atelier_devtools.bench.deploy:main",
    "e2e": "atelier_devtools.bench.e2e:main",
    "cost": "atelier_devtools.bench.cost:main",
    "persistence": "atelier_devtools.bench.persistence:main",
    "load": "atelier_devtools.bench.load:main",
    "terraform": "atelier_devtools.bench.terraform:main",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atelier_devtools.bench", description=__doc__)
    parser.add_argument("group", nargs="?", default="runtime", choices=sorted(GROUPS))
    parser.add_argument("--no-write", action="store_true", help="print only")
    args, rest = parser.parse_known_args(argv)
    module_name, attr = GROUPS[args.group].split(":")
    run = getattr(importlib.import_module(module_name), attr)
    return int(run(rest, write=not args.no_write))


if __name__ == "__main__":
    sys.exit(main())
