"""Write the bundles Terraform deploys: ``python terraform/bundles.py [--env qa] [--out dist]``.

The same deterministic zips as ``atelier deploy`` (atelier.deploy.bundle): one per lambda of the
topology (``<lambda>.zip``, from the lambda's ``source`` folder), the shared layer
(``shared-layer.zip``: ``python/lambda_shared/`` and ``python/ml_common/``) and the API canary
(``canary.zip``); with ``--deps``, also the third-party layer (``deps-layer.zip``:
lambdas/shared/requirements.txt installed by pip for the Lambda platform; locally the runtime's
interpreter has them). terraform/modules/api and terraform/modules/monitoring read them from
``var.bundle_dir``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from atelier.deploy.bundle import Bundle, build_dir, build_layer
from atelier.topology import expand, load

ROOT = Path(__file__).resolve().parents[1]


def bundles(env: str) -> dict[str, Bundle]:
    """File name => bundle, for every zip Terraform needs in ``env``."""
    exp = expand(load(), env)
    out = {f"{name}.zip": build_dir(name, ROOT / fn.source) for name, fn in exp.lambdas.items()}
    out["shared-layer.zip"] = build_layer(ROOT)
    out["canary.zip"] = build_dir(
        "canary", ROOT / "terraform" / "modules" / "monitoring" / "canary"
    )
    return out


def deps_layer() -> Bundle:
    """lambdas/shared/requirements.txt for python3.11 on x86_64 Lambda, as ``python/...`` in a zip."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
             "-r", str(ROOT / "lambdas" / "shared" / "requirements.txt"), "--target", tmp,
             "--platform", "manylinux2014_x86_64", "--python-version", "3.11",
             "--implementation", "cp", "--only-binary=:all:"],
            check=True,
        )  # fmt: skip
        return build_dir("deps-layer", Path(tmp), prefix="python/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="qa", help="environment of topology.yaml (default qa)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output directory")
    parser.add_argument("--deps", action="store_true", help="also build deps-layer.zip (pip)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    built = bundles(args.env)
    if args.deps:
        built["deps-layer.zip"] = deps_layer()
    for name, bundle in sorted(built.items()):
        (args.out / name).write_bytes(bundle.data)
        print(f"{args.out / name}  {len(bundle.data):>8} bytes  sha256(b64)={bundle.code_sha256}")


if __name__ == "__main__":
    main()
