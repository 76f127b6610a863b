"""The team's CI/CD rules, in one table. ``checks.py`` proves each against the workflows and
every failure message starts with ``[rule-id] title``, so a broken rule names itself.

The deployment rules are the branch flow the team agreed on; the security rules are the hardening every
workflow must keep. Changing a rule means changing this table, the workflows and
``docs/deployment.md`` ("Branch flow (CI/CD)") together.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEVELOP = "develop"
MASTER = "master"
QA, PREPROD, PROD, PROD_MANUAL_APPROVAL = "qa", "preprod", "prod", "prod-manual-approval"
PROD_ENVIRONMENTS = (PROD, PROD_MANUAL_APPROVAL)
PREPROD_LABEL = "deploy:preprod"
GATE_SESSIONS = ("tests", "validate", "e2e")
EVALUATION_SESSION = "preprod_evaluation"
PROMOTION_SESSION = "promote_models"
RELEASE_GATE_SESSION = "release_gate"
AWS_ROLE = "${{ vars.AWS_ROLE_ARN }}"
# Changes that need preprod on a merge to develop: models, pipelines, Terraform (and
# topology.yaml, which Terraform reads with yamldecode).
PREPROD_SAMPLES = (
    "models/structured_data/params.yaml",
    "pipelines/common/ml_common/store.py",
    "terraform/modules/ecs/main.tf",
    "topology.yaml",
)
# Changes that do not: they reach qa on the PR and prod on master, never preprod by themselves.
NOT_PREPROD_SAMPLES = (
    "frontend/src/App.tsx",
    "lambdas/auth/handler.py",
    "docs/deployment.md",
    "README.md",
)
ANYWHERE_SAMPLES = ("README.md", "platform/atelier/cli.py", "frontend/src/App.tsx")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    statement: str

    def fail(self, detail: str) -> str:
        return f"[{self.id}] {self.title}: {detail}"


@dataclass(frozen=True)
class Component:
    """A deployable part: its workflow, the reusable workflow it calls, the nox sessions that
    deploy it, sample changes that must (and must not) start it, and whether a merge to develop
    deploys it to preprod."""

    rule: str
    workflow: str
    reusable: str
    sessions: tuple[str, ...]
    changes: tuple[str, ...]
    unrelated: tuple[str, ...]
    preprod_on_merge: bool
    inputs: tuple[tuple[str, str], ...] = ()


_RULES = (
    Rule(
        "pr-gate",
        "every PR runs the validation gate",
        "Every pull request, into any branch and whatever it changes, runs nox -s tests, "
        "nox -s validate and nox -s e2e; a single 'gate' job needs all three, and branch "
        "protection requires it, so a PR merges only if they succeed.",
    ),
    Rule(
        "qa-on-pr-to-develop",
        "a PR to develop deploys to qa",
        "A pull request into develop (from this repository) deploys what it changes to the qa "
        "environment, and to no other; a PR into master, or from a fork, deploys nothing.",
    ),
    Rule(
        "preprod-when-needed",
        "a merge to develop deploys to preprod if needed",
        "A push to develop that changes models/, pipelines/, terraform/ (or topology.yaml) "
        "deploys those parts to preprod and runs the preprod evaluation; other changes do not "
        "touch preprod; an explicit request (workflow_dispatch on develop, or a PR merged into "
        "develop with the label deploy:preprod) deploys everything to preprod and evaluates.",
    ),
    Rule(
        "prod-on-master-gated",
        "a merge to master deploys to prod behind the verdict",
        "A push to master deploys to prod. Every prod job runs after the release gate: verdict "
        "promote → environment prod; manual_review (or no verdict) → prod-manual-approval, "
        "which has required reviewers; block → the gate fails and nothing reaches prod. "
        "Nothing but master reaches prod.",
    ),
    Rule(
        "image-per-pipeline",
        "each pipeline folder has its own image workflow",
        "Every folder under pipelines/ except common has image-<name>.yml calling "
        "reusable-image.yml with pipeline: <name>; it starts when pipelines/<name>/ or "
        "pipelines/common/ changes and not for another pipeline's folder.",
    ),
    Rule(
        "gpu-image-cuda",
        "the GPU pipeline's image has CUDA torch on AWS",
        "Every job that builds a gpu_task pipeline (topology.yaml) through reusable-image.yml "
        "passes a CUDA wheel index as torch_index; no other pipeline gets one (the Dockerfile's "
        "default, CPU torch, is what runs locally).",
    ),
    Rule(
        "lambdas-to-s3",
        "lambdas are zipped and synced to S3 when lambdas/ changes",
        "lambdas.yml calls reusable-lambdas.yml (nox -s package_lambdas, publish_lambdas) "
        "when lambdas/ changes, and not otherwise.",
    ),
    Rule(
        "terraform-plan-apply",
        "Terraform is planned and applied when terraform/ changes",
        "terraform.yml calls reusable-terraform.yml (nox -s terraform_plan, terraform_apply) "
        "when terraform/ or topology.yaml changes, and not otherwise.",
    ),
    Rule(
        "frontend-to-s3-cdn",
        "the frontend is built, synced to S3 and its CDN invalidated",
        "frontend.yml calls reusable-frontend.yml (nox -s build_frontend, publish_frontend: "
        "S3 sync and CloudFront invalidation) when frontend/ changes, and not otherwise.",
    ),
    Rule(
        "actions-pinned",
        "every action is pinned by commit SHA",
        "Each remote `uses:` is owner/repo@<40-hex SHA> with a `# vX.Y.Z` comment.",
    ),
    Rule(
        "permissions-minimal",
        "permissions are least privilege",
        "Every workflow sets `permissions: {}` at the top; every job grants its own; only "
        "contents: read, actions: read|write and id-token: write are granted, and id-token: "
        "write only to jobs that deploy (have an environment) or call a workflow that does.",
    ),
    Rule(
        "oidc-roles",
        "AWS access is an OIDC role per environment",
        "configure-aws-credentials takes role-to-assume from the environment's variable "
        "AWS_ROLE_ARN, in a job with an environment; no access keys, no `secrets.` at all.",
    ),
    Rule(
        "checkout-no-credentials",
        "checkout does not persist credentials",
        "Every actions/checkout step sets persist-credentials: false.",
    ),
    Rule(
        "concurrency",
        "runs are serialised per workflow and deployments never cancelled",
        "Every triggered workflow has a concurrency group; every job with an environment runs "
        "under a concurrency group that does not cancel in progress.",
    ),
    Rule(
        "header-comment",
        "each workflow says what triggers it and what it does",
        "A workflow file opens with a comment block that has a 'Trigger:' and a 'Does:' line.",
    ),
    Rule(
        "commands-in-nox",
        "workflows call nox sessions instead of repeating commands",
        "Run steps call `nox -s <session>`; docker, terraform, aws, npm, pytest and atelier "
        "commands live in noxfile.py.",
    ),
)
RULES: dict[str, Rule] = {r.id: r for r in _RULES}


def pipelines(root: Path) -> list[str]:
    """Pipeline folders (every folder under pipelines/ except common and hidden ones)."""
    base = root / "pipelines"
    return (
        sorted(
            p.name
            for p in base.iterdir()
            if p.is_dir() and p.name != "common" and not p.name.startswith((".", "_"))
        )
        if base.is_dir()
        else []
    )


def components(root: Path) -> list[Component]:
    names = pipelines(root)
    found = [
        Component(
            rule="image-per-pipeline",
            workflow=f"image-{name}.yml",
            reusable="reusable-image.yml",
            sessions=("image",),
            changes=(
                f"pipelines/{name}/Dockerfile",
                f"pipelines/{name}/{name}/main.py",
                "pipelines/common/ml_common/store.py",
            ),
            unrelated=(
                *(f"pipelines/{other}/Dockerfile" for other in names if other != name),
                "lambdas/auth/handler.py",
                "README.md",
            ),
            preprod_on_merge=True,
            inputs=(("pipeline", name),),
        )
        for name in names
    ]
    found += [
        Component(
            "lambdas-to-s3",
            "lambdas.yml",
            "reusable-lambdas.yml",
            ("package_lambdas", "publish_lambdas"),
            ("lambdas/auth/handler.py", "lambdas/shared/jobs.py"),
            ("pipelines/structured_data/Dockerfile", "frontend/src/App.tsx", "README.md"),
            preprod_on_merge=False,
        ),
        Component(
            "terraform-plan-apply",
            "terraform.yml",
            "reusable-terraform.yml",
            ("terraform_plan", "terraform_apply"),
            ("terraform/modules/ecs/main.tf", "terraform/envs/prod/main.tf", "topology.yaml"),
            ("lambdas/auth/handler.py", "README.md"),
            preprod_on_merge=True,
        ),
        Component(
            "frontend-to-s3-cdn",
            "frontend.yml",
            "reusable-frontend.yml",
            ("build_frontend", "publish_frontend"),
            ("frontend/src/App.tsx", "frontend/package.json"),
            ("lambdas/auth/handler.py", "README.md"),
            preprod_on_merge=False,
        ),
    ]
    return found
