"""The budgets module takes the budget the cost estimate generated (budgets.json)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from atelier_devtools.terraform_tools import needs_terraform

ROOT = Path(__file__).resolve().parents[3]
TF = ROOT / "terraform"
MODULES = TF / "modules"


@needs_terraform
def test_the_budgets_module_takes_the_generated_budget(tmp_path: Path) -> None:
    """terraform console evaluates the module's limit: budgets.json's entry, else the fallback."""
    budgets = json.loads((MODULES / "budgets" / "budgets.json").read_text())
    work = tmp_path / "budgets"
    shutil.copytree(MODULES / "budgets", work)
    init = ["terraform", "init", "-backend=false", "-input=false"]
    if Path("/opt/tf-plugins").is_dir():
        init.append("-plugin-dir=/opt/tf-plugins")
    subprocess.run(init, cwd=work, check=True, capture_output=True)

    def limit(env: str) -> str:
        args = ["-var", f"env={env}", "-var", "name_prefix=x-", "-var", "monthly_budget_usd=600",
                "-var", "alert_emails=[]", "-var", "alerts_topic_arn=arn:aws:sns:eu-west-3:1:t"]  # fmt: skip
        out = subprocess.run(["terraform", "console", *args], cwd=work, input="local.limit_usd\n",
                             capture_output=True, text=True, check=True)  # fmt: skip
        return out.stdout.strip()

    assert limit("prod") == str(budgets["environments"]["prod"]["budget_usd"])
    assert limit("nowhere") == "600"  # no generated entry: topology's monthly_budget_usd
