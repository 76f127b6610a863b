"""Write the bundles Terraform deploys: ``python terraform/bundles.py [--env qa] [--out dist]``.

The same deterministic zips as ``atelier deploy`` (atelier.deploy.bundle): one per lambda of the
topology (``<lambda>.zip``, from the lambda's ``source`` folder), the shared layer
(``shared-layer.zip``: ``python/lambda_shared/`` and ``python/ml_common/``) and the API canary
(``canary.zip``); with ``--deps``, also the third-party layer (``deps-layer.zip``:
lambdas/shared/requirements.txt installed by pip for the Lambda platform; the local runtime
too runs the lambdas with only what they ship). terraform/modules/api and
terraform/modules/monitoring read them from ``var.bundle_dir``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from atelier.config import Settings
from atelier.deploy.bundle import (
    Bundle,
    build_deps_layer,
    build_dir,
    build_layer,
    source_files,
    zip_entries,
)
from atelier.topology import expand, load

ROOT = Path(__file__).resolve().parents[1]


def bundles(env: str) -> dict[str, Bundle]:
    """File name => bundle, for every zip Terraform needs in ``env``."""
    exp = expand(load(), env)
    out = {f"{name}.zip": build_dir(name, ROOT / fn.source) for name, fn in exp.lambdas.items()}
    out["shared-layer.zip"] = build_layer(ROOT)
    out["canary.zip"] = canary_bundle()
    return out


def canary_bundle() -> Bundle:
    """The Synthetics canary: its handler, the model check the runtime's canary Lambda runs
    (lambdas/canary/model_check.py, one module for both) and the golden structured records."""
    root = ROOT / "terraform" / "modules" / "monitoring" / "canary"
    entries = [(p.relative_to(root).as_posix(), p.read_bytes()) for p in source_files(root)]
    entries.append(("python/model_check.py", (ROOT / "lambdas/canary/model_check.py").read_bytes()))
    golden = ROOT / "validation_data/golden/structured_data.json"
    entries.append(("python/golden.json", golden.read_bytes()))
    return Bundle(name="canary", data=zip_entries(sorted(entries)))


def deps_layer(cache_dir: Path) -> Bundle:
    """lambdas/shared/requirements.txt for python3.11 on x86_64 Lambda, as ``python/...`` in a
    zip (the same builder and cache as ``atelier deploy``)."""
    return build_deps_layer(ROOT, cache_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="qa", help="environment of topology.yaml (default qa)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output directory")
    parser.add_argument("--deps", action="store_true", help="also build deps-layer.zip (pip)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    built = bundles(args.env)
    if args.deps:
        built["deps-layer.zip"] = deps_layer(Settings(repo_root=ROOT).cache_dir)
    for name, bundle in sorted(built.items()):
        (args.out / name).write_bytes(bundle.data)
        print(f"{args.out / name}  {len(bundle.data):>8} bytes  sha256(b64)={bundle.code_sha256}")


if __name__ == "__main__":
    main()
