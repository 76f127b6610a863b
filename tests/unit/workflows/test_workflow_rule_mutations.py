"""Meta-tests: break a temporary copy of the workflows the way a careless edit would (a path
filter, a branch, an environment, a pin...) and check that the rule that edit violates fails,
with a message that names it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from atelier.cicd.checks import check, check_all
from atelier.cicd.rules import pipelines

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = Path(".github") / "workflows"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The workflows and the pipeline folder names, nothing else."""
    shutil.copytree(ROOT / WORKFLOWS, tmp_path / WORKFLOWS)
    for name in pipelines(ROOT):
        (tmp_path / "pipelines" / name).mkdir(parents=True)
    (tmp_path / "pipelines" / "common").mkdir()
    return tmp_path


def edit(root: Path, name: str, old: str, new: str, count: int = 1) -> None:
    path = root / WORKFLOWS / name
    text = path.read_text()
    assert text.count(old) >= count, f"{name} no longer contains {old!r}: update this meta-test"
    path.write_text(text.replace(old, new, count))


MUTATIONS = [
    # (rule that must fail, file, old text, new text, how many occurrences)
    (
        "gpu-image-cuda",
        "image-non_structured_al_data_images.yml",
        "      torch_index: https://download.pytorch.org/whl/cu128\n",
        "",
        1,
    ),
    (
        "gpu-image-cuda",
        "deploy-preprod.yml",
        "'https://download.pytorch.org/whl/cu128'",
        "''",
        1,
    ),
    (
        "gpu-image-cuda",
        "image-structured_data.yml",
        "      pipeline: structured_data\n",
        "      pipeline: structured_data\n      torch_index: https://download.pytorch.org/whl/cu128\n",
        1,
    ),
    (
        "image-per-pipeline",
        "image-structured_data.yml",
        "- pipelines/structured_data/**",
        "- pipelines/structured/**",
        2,
    ),
    (
        "image-per-pipeline",
        "image-non_structured_data_images.yml",
        "pipeline: non_structured_data_images",
        "pipeline: structured_data",
        3,
    ),
    ("lambdas-to-s3", "lambdas.yml", "- lambdas/**", "- lambda/**", 2),
    ("terraform-plan-apply", "terraform.yml", "- terraform/**", "- infra/**", 2),
    ("frontend-to-s3-cdn", "frontend.yml", "- frontend/**", "- web/**", 2),
    ("qa-on-pr-to-develop", "lambdas.yml", "branches: [develop]", "branches: [main]", 1),
    ("qa-on-pr-to-develop", "frontend.yml", "environment: qa", "environment: preprod", 1),
    ("preprod-when-needed", "deploy-preprod.yml", "      - models/**\n", "", 1),
    (
        "preprod-when-needed",
        "terraform.yml",
        "github.ref == 'refs/heads/develop'",
        "github.ref == 'refs/heads/main'",
        1,
    ),
    (
        "preprod-when-needed",
        "terraform.yml",
        "branches: [develop, master]",
        "branches: [master]",
        1,
    ),
    ("preprod-when-needed", "preprod-request.yml", "'deploy:preprod'", "'preprod'", 1),
    (
        "prod-on-master-gated",
        "image-structured_data.yml",
        "environment: ${{ needs.release-gate.outputs.environment }}",
        "environment: prod",
        1,
    ),
    ("prod-on-master-gated", "deploy-prod.yml", "branches: [master]", "branches: [main]", 1),
    ("prod-on-master-gated", "lambdas.yml", "    needs: release-gate\n", "", 1),
    ("pr-gate", "pr-gate.yml", "session: e2e", "session: lint", 1),
    (
        "pr-gate",
        "pr-gate.yml",
        "  pull_request:\n",
        "  pull_request:\n    branches: [develop]\n",
        1,
    ),
    (
        "actions-pinned",
        "reusable-nox.yml",
        "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
        "actions/checkout@v4",
        1,
    ),
    ("permissions-minimal", "lambdas.yml", "permissions: {}", "permissions: write-all", 1),
    ("permissions-minimal", "reusable-nox.yml", "      contents: read", "      contents: write", 1),
    (
        "oidc-roles",
        "reusable-image.yml",
        "role-to-assume: ${{ vars.AWS_ROLE_ARN }}",
        "role-to-assume: arn:aws:iam::123456789012:role/deploy",
        1,
    ),
    (
        "checkout-no-credentials",
        "reusable-terraform.yml",
        "persist-credentials: false",
        "persist-credentials: true",
        1,
    ),
    (
        "concurrency",
        "reusable-terraform.yml",
        "      cancel-in-progress: false",
        "      cancel-in-progress: true",
        1,
    ),
    ("header-comment", "frontend.yml", "# Does:", "# Then:", 1),
    (
        "commands-in-nox",
        "reusable-lambdas.yml",
        'run: nox -s publish_lambdas -- "$BUCKET"',
        'run: aws s3 sync build/lambdas "s3://$BUCKET/lambdas/"',
        1,
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "name", "old", "new", "count"),
    MUTATIONS,
    ids=[f"{m[0]}:{m[1]}:{i}" for i, m in enumerate(MUTATIONS)],
)
def test_breaking_a_workflow_fails_the_rule_it_breaks(
    copy: Path, rule_id: str, name: str, old: str, new: str, count: int
) -> None:
    assert check(rule_id, copy) == [], "the unmodified copy must pass"
    edit(copy, name, old, new, count)
    failures = check(rule_id, copy)
    assert failures, f"editing {name} ({old!r} → {new!r}) did not fail rule {rule_id}"
    assert all(f.startswith(f"[{rule_id}] ") for f in failures), failures[0]


def test_a_new_pipeline_folder_without_its_workflow_fails(copy: Path) -> None:
    (copy / "pipelines" / "forecasting").mkdir()
    failures = check("image-per-pipeline", copy)
    assert any(
        "pipelines/forecasting/ has no .github/workflows/image-forecasting.yml" in f
        for f in failures
    ), failures


def test_a_deleted_image_workflow_fails(copy: Path) -> None:
    (copy / WORKFLOWS / "image-non_structured_al_data_images.yml").unlink()
    failures = check_all(copy)
    assert any(
        f.startswith("[image-per-pipeline]") and "non_structured_al_data_images" in f
        for f in failures
    ), failures


def test_the_failure_message_names_the_rule_and_the_event(copy: Path) -> None:
    edit(copy, "lambdas.yml", "- lambdas/**", "- lambda/**", 2)
    message = check("lambdas-to-s3", copy)[0]
    assert message.startswith(
        "[lambdas-to-s3] lambdas are zipped and synced to S3 when lambdas/ changes:"
    )
    assert "changing lambdas/" in message and "starts:" in message
