"""Terraform in the tests: present, or a skip that says why (a failure in CI, which has it)."""

from __future__ import annotations

import os
import shutil

import pytest

from atelier.deploy.terraform import provider_mirror


def require_terraform() -> None:
    missing = [] if shutil.which("terraform") else ["terraform is not on PATH"]
    if provider_mirror() is None:
        missing.append("no AWS provider mirror (ATELIER_TF_PLUGIN_DIR or /opt/tf-plugins)")
    if missing:
        reason = "; ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(f"CI has Terraform and the provider mirror, yet {reason}")
        pytest.skip(reason)
