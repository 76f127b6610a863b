"""The e2e steps, in order. Each talks to the system the way a user or CI would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

from atelier.config import Settings
from atelier_devtools import browser
from atelier_devtools.browser import find_browser
from atelier_devtools.e2e.answers import al_problems, digits_problems
from atelier_devtools.e2e.api import Api
from atelier_devtools.e2e.frontend import build_is_current, node_modules_mismatch, write_build_stamp
from atelier_devtools.e2e.steps import Run, StepFailed

DRIFT_PREDICTIONS = 40  # the drift check skips a window of fewer than 30 predictions
PIPELINE_TIMEOUT = float(os.environ.get("ATELIER_E2E_JOB_TIMEOUT", "600"))
# ATELIER_E2E_FRESH_FRONTEND=1: `npm ci` and `npm run build` even when they look current
FRESH_FRONTEND = os.environ.get("ATELIER_E2E_FRESH_FRONTEND", "") not in ("", "0")


def sh(*argv: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    """Run a command; a non-zero exit is a StepFailed carrying the command's own output."""
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    if proc.returncode != 0:
        tail = (proc.stdout[-3000:] + "\n" + proc.stderr[-3000:]).strip()
        raise StepFailed(f"`{' '.join(argv)}` exited {proc.returncode}:\n{tail}")
    return proc.stdout


class Flow:
    def __init__(self, settings: Settings, run: Run, out_dir: Path, engine: str = "python") -> None:
        self.settings = settings
        self.engine = engine  # `atelier deploy --engine`: python or terraform
        self.run = run
        self.out_dir = out_dir
        self.env = {
            **os.environ,
            "ATELIER_HOME": str(settings.home),
            "ATELIER_PORT": str(settings.port),
        }
        self.atelier = [sys.executable, "-m", "atelier.cli"]
        self.outputs: dict[str, Any] = {}
        self.api = Api("")
        run.log_collector = self.collect_logs

    # -- runtime -----------------------------------------------------------------------------
    def start_runtime(self) -> str:
        sh(*self.atelier, "emulator", "start", env=self.env)
        return f"on {self.settings.endpoint_url}"

    def stop_runtime(self) -> str:
        sh(*self.atelier, "emulator", "stop", env=self.env)
        return "stopped"

    def build_frontend(self) -> str:
        frontend = self.settings.repo_root / "frontend"
        npm = shutil.which("npm")
        if npm is None:
            raise StepFailed(
                "npm is not on PATH: install Node.js 20+ (Debian: apt-get install nodejs npm)"
            )
        node = sh("node", "--version").strip()
        done = []
        why_ci = "forced" if FRESH_FRONTEND else node_modules_mismatch(frontend)
        if why_ci is None:
            done.append("npm ci skipped (node_modules matches package-lock.json)")
        else:
            sh(npm, "ci", "--no-audit", "--no-fund", cwd=frontend)
            done.append(f"npm ci ({why_ci})")
        if not FRESH_FRONTEND and build_is_current(frontend, node):
            done.append("build skipped (dist was built from these sources)")
        else:
            sh(npm, "run", "build", cwd=frontend)
            write_build_stamp(frontend, node)
            done.append("frontend/dist built (type check + vite)")
        return "; ".join(done)

    def deploy(self) -> str:
        sh(*self.atelier, "deploy", "--engine", self.engine, env=self.env)
        self.outputs = json.loads((self.settings.home / "outputs.json").read_text())
        self.api = Api(str(self.outputs["api_url"]))
        return f"{self.outputs['api_url']} ({self.engine} engine)"

    def seed(self) -> str:
        sh(*self.atelier, "seed", env=self.env)
        models = self._seed_info().get("models") or {}
        how = ", ".join(
            f"{name} {m.get('cache', 'already there')}" for name, m in sorted(models.items())
        )
        return f"data and models in place (models: {how})"

    # -- through the public API ----------------------------------------------------------------
    def login(self) -> str:
        creds = json.loads((self.settings.home / "credentials.json").read_text())
        unauth = Api(self.api.base_url)
        status, _ = unauth.call("POST", "/structured_data", {"id": "1789"})
        if status not in (401, 403):
            raise StepFailed(f"/structured_data without a token answered {status}, not 401/403")
        self.api.login(creds["username"], creds["password"])
        return f"token for {creds['username']}"

    def structured(self) -> str:
        payload = self.api.expect(200, "POST", "/structured_data", {"id": "1789"})
        if "prediction" not in payload:
            raise StepFailed(f"no prediction in {payload}")
        self.api.expect(404, "POST", "/structured_data", {"id": "999999"})
        return f"prediction={payload['prediction']} model={payload.get('model_version')}"

    def images(self) -> str:
        link = self._seed_info()["image_link"]
        accepted = self.api.expect(202, "POST", "/non_structured_data_images", {"link": link})
        job = self.api.wait_job(accepted["job_id"], PIPELINE_TIMEOUT)
        self._check_job(job, ("result", "overlay"))
        result = self._read_json(str(job["outputs"]["result"]))
        truth = self._read_json(str(link).removesuffix(".png") + ".json")
        problems = digits_problems(result, truth)
        if problems:
            raise StepFailed("wrong answer from the image job: " + "; ".join(problems))
        return f"job {job['job_id']} SUCCEEDED, read {result.get('digits_read')!r} = answer key"

    def digits_golden(self) -> str:
        """The deployed digits CNN (prod in the runtime's registry) against the golden cases:
        confident, borderline and hard held-out digits, each with its tolerance."""
        from atelier.evaluation.adapters import KINDS
        from atelier.validation.golden_checks import digits_problems
        from ml_common import model_store

        bucket = str(self.outputs["buckets"]["models"])
        loaded = model_store.load_model(bucket, "digits_cnn", s3=self._s3())
        model = KINDS["digits_cnn"].load(loaded)
        path = self.settings.repo_root / "validation_data" / "golden" / "digits_cnn.json"
        golden = json.loads(path.read_text())
        x, y = KINDS["digits_cnn"].validation_set()
        problems = digits_problems(model.predict_proba, golden, x, y)
        if problems:
            raise StepFailed(f"{loaded.version} fails the golden cases: " + "; ".join(problems))
        kinds = sorted({str(case.get("kind", "confident")) for case in golden["cases"]})
        return f"{loaded.version}: {len(golden['cases'])} golden cases ({', '.join(kinds)}) pass"

    def active_learning(self) -> str:
        ids = self._seed_info()["dataset_ids"]
        accepted = self.api.expect(202, "POST", "/non_structured_al_data_images", {"ids": ids})
        rounds: set[int] = set()

        def seen(job: dict[str, Any]) -> None:
            progress = job.get("progress") or {}
            if "round" in progress:
                rounds.add(int(progress["round"]))

        job = self.api.wait_job(accepted["job_id"], PIPELINE_TIMEOUT, on_update=seen)
        self._check_job(job, ("ranked_ids", "curves", "plot"))
        curves = self._read_json(str(job["outputs"]["curves"]))
        problems = al_problems(curves)
        if problems:
            raise StepFailed("wrong answer from the active-learning job: " + "; ".join(problems))
        if job.get("device") != "cpu":
            raise StepFailed(
                f"expected the GPU task to fall back to cpu here, job says {job.get('device')}"
            )
        return f"job {job['job_id']} SUCCEEDED on cpu, rounds seen {sorted(rounds)}"

    def browser(self) -> str:
        chromium = find_browser()
        if chromium is None:
            raise StepFailed(f"no Chromium-based browser (never a downloaded one): {browser.HOW}")
        creds = json.loads((self.settings.home / "credentials.json").read_text())
        env = {
            **self.env,
            "FRONTEND_URL": str(self.outputs["frontend_url"]),
            "ATELIER_USERNAME": creds["username"],
            "ATELIER_PASSWORD": creds["password"],
            "IMAGE_LINK": self._seed_info()["image_link"],
            "AL_IDS": ",".join(self._seed_info()["dataset_ids"]),
            "AL_WAIT": "result",
            "SCREENSHOT_DIR": str(self.out_dir / "screenshots"),
            "CHROMIUM_PATH": chromium,
        }
        frontend = self.settings.repo_root / "frontend"
        script = self.settings.repo_root / "tests" / "e2e" / "browser" / "run.mjs"
        sh("node", str(script), env=env, cwd=frontend)
        return "login, three pipelines and their results in Chromium"

    # -- helpers -------------------------------------------------------------------------------
    def _seed_info(self) -> dict[str, Any]:
        info: dict[str, Any] = json.loads((self.settings.home / "seed.json").read_text())
        return info

    def _s3(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.settings.endpoint_url,
            region_name=self.settings.region,
            aws_access_key_id="test",  # the local runtime's well-known test credentials
            aws_secret_access_key="test",
        )

    def _read_json(self, uri: str) -> dict[str, Any]:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        doc: dict[str, Any] = json.loads(
            self._s3().get_object(Bucket=bucket, Key=key)["Body"].read()
        )
        return doc

    def _check_job(self, job: dict[str, Any], names: tuple[str, ...]) -> None:
        if job.get("status") != "SUCCEEDED":
            raise StepFailed(f"job ended {job.get('status')}: {job.get('error')}")
        outputs = job.get("outputs") or {}
        missing = [n for n in names if n not in outputs]
        if missing:
            raise StepFailed(f"job outputs lack {missing}: {outputs}")
        s3 = self._s3()
        for name in names:
            bucket, _, key = str(outputs[name]).removeprefix("s3://").partition("/")
            s3.head_object(Bucket=bucket, Key=key)

    def drift(self) -> str:
        """The hourly drift check, run now: predictions of golden records through the API (the
        check needs 30 in its window), then the task the ``drift-hourly`` rule targets, with that
        target's parameters; its HTML report is saved beside this report (drift/report.html)."""
        from atelier.deploy.clients import Clients
        from atelier.deploy.drift import rule_name
        from atelier.monitor.drift_now import run_now
        from atelier.topology import expand, load

        golden = self.settings.repo_root / "validation_data" / "golden" / "structured_data.json"
        for case in json.loads(golden.read_text())["cases"][:DRIFT_PREDICTIONS]:
            self.api.expect(200, "POST", "/structured_data", {"id": case["id"]})
        exp = expand(load(self.settings.repo_root / "topology.yaml"), self.settings.env)
        clients = Clients(self.settings.endpoint_url, self.settings.region)
        bucket = str(self.outputs["buckets"]["artifacts"])
        done = run_now(clients, rule_name(exp.prefix), bucket, timeout=PIPELINE_TIMEOUT)
        (self.out_dir / "drift").mkdir(parents=True, exist_ok=True)
        (self.out_dir / "drift" / "report.html").write_bytes(done.report_html)
        (self.out_dir / "drift" / "summary.json").write_text(json.dumps(done.summary, indent=2))
        drifted = ", ".join(done.summary.get("drifted") or []) or "none"
        return (
            f"share {done.summary['share']:.2f} over {done.summary['current_rows']} predictions, "
            f"drifted: {drifted}; report drift/report.html"
        )

    def operations_section(self) -> str:
        """Alarm states, the model check's runs and the last drift report, for the report."""
        from atelier.deploy.clients import Clients
        from atelier.monitor.snapshot import collect, html_section

        clients = Clients(self.settings.endpoint_url, self.settings.region)
        outputs_file = self.settings.home / "outputs.json"
        outputs = json.loads(outputs_file.read_text()) if outputs_file.exists() else {}
        bucket = (outputs.get("buckets") or {}).get("artifacts")
        local = self.out_dir / "drift" / "summary.json"
        summary = json.loads(local.read_text()) if local.exists() else None
        return html_section(collect(clients, bucket), summary, "drift/report.html")

    def collect_logs(self) -> str:
        logs_dir = self.settings.logs_dir
        if not logs_dir.exists():
            return "(no logs directory)"
        parts = []
        for path in sorted(logs_dir.rglob("*.log"), key=lambda p: p.stat().st_mtime)[-6:]:
            text = path.read_text(errors="replace")[-4000:]
            parts.append(f"== {path.relative_to(logs_dir)} ==\n{text}")
        return "\n".join(parts)
