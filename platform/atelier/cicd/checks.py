"""One check per rule of :mod:`atelier.cicd.rules`. Each returns failure messages that start
with ``[rule-id] title:`` and show what the simulated event started instead."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from atelier.cicd import gate
from atelier.cicd.hardening import (
    check_checkout,
    check_commands,
    check_concurrency,
    check_header,
    check_oidc,
    check_permissions,
    check_pinned,
)
from atelier.cicd.rules import (
    DEVELOP,
    EVALUATION_SESSION,
    GATE_SESSIONS,
    MASTER,
    NOT_PREPROD_SAMPLES,
    PREPROD,
    PREPROD_LABEL,
    PREPROD_SAMPLES,
    PROD,
    PROD_ENVIRONMENTS,
    PROD_MANUAL_APPROVAL,
    PROMOTION_SESSION,
    QA,
    RELEASE_GATE_SESSION,
    RULES,
    Component,
    components,
    pipelines,
)
from atelier.cicd.simulate import Event, JobRun, Simulation, simulate
from atelier.cicd.workflows import load_all

PR_GATE_WORKFLOW = "pr-gate.yml"
PREPROD_WORKFLOW = gate.PREPROD_WORKFLOW


def _ran(sim: Simulation) -> str:
    return "\n" + sim.summary()


def _deploys(run: JobRun, comp: Component) -> bool:
    return (
        run.workflow == comp.workflow
        and comp.reusable in run.called
        and all(s in run.sessions for s in comp.sessions)
        and all(str(run.inputs.get(k)) == v for k, v in comp.inputs)
    )


def _deployments_of(sim: Simulation, comp: Component, *envs: str) -> list[JobRun]:
    return [r for r in sim.runs if _deploys(r, comp) and (not envs or r.environment in envs)]


# --- deployment rules ------------------------------------------------------------------------


def check_pr_gate(root: Path) -> list[str]:
    rule = RULES["pr-gate"]
    out: list[str] = []
    workflows = load_all(root)
    for branch in (DEVELOP, MASTER, "feature/login"):
        for paths in (("README.md",), ("platform/atelier/cli.py", "pipelines/common/x.py")):
            for action in ("opened", "synchronize"):
                sim = simulate(root, Event("pull_request", branch, paths, action=action))
                for session in GATE_SESSIONS:
                    if not sim.running(session):
                        out.append(
                            rule.fail(
                                f"{sim.event.describe()}: no job runs nox -s {session}{_ran(sim)}"
                            )
                        )
    gate_wf = workflows.get(PR_GATE_WORKFLOW)
    if gate_wf is None:
        return [*out, rule.fail(f"{PR_GATE_WORKFLOW} is missing")]
    gate_job = gate_wf.jobs.get("gate")
    if gate_job is None:
        return [
            *out,
            rule.fail(f"{PR_GATE_WORKFLOW} has no job 'gate' (the required status check)"),
        ]
    sim = simulate(root, Event("pull_request", DEVELOP, ("README.md",)))
    needs = {str(n) for n in (gate_job.get("needs") or [])}
    for session in GATE_SESSIONS:
        jobs = {
            r.job.split(" / ")[0] for r in sim.running(session) if r.workflow == PR_GATE_WORKFLOW
        }
        if jobs and not jobs & needs:
            out.append(
                rule.fail(
                    f"job 'gate' does not need the job(s) {sorted(jobs)} running nox -s {session}"
                )
            )
    if "always()" not in str(gate_job.get("if", "")) or "needs.*.result" not in str(gate_job):
        out.append(
            rule.fail("job 'gate' must run always() and fail unless every needed result is success")
        )
    return out


def _component_changes(root: Path) -> Iterable[tuple[Component, str]]:
    for comp in components(root):
        for change in comp.changes:
            yield comp, change


def check_qa(root: Path) -> list[str]:
    rule = RULES["qa-on-pr-to-develop"]
    out: list[str] = []
    for comp, change in _component_changes(root):
        sim = simulate(root, Event("pull_request", DEVELOP, (change,)))
        if not _deployments_of(sim, comp, QA):
            out.append(
                rule.fail(
                    f"{sim.event.describe()}: {comp.workflow} does not deploy it to qa "
                    f"(nox -s {', '.join(comp.sessions)}){_ran(sim)}"
                )
            )
        for run in sim.deployments():
            if run.environment != QA:
                out.append(
                    rule.fail(f"{sim.event.describe()}: {run} deploys outside qa{_ran(sim)}")
                )
        for event in (
            Event("pull_request", MASTER, (change,)),
            Event("pull_request", DEVELOP, (change,), fork=True),
            Event("pull_request", "feature/login", (change,)),
        ):
            sim = simulate(root, event)
            for run in sim.deployments():
                out.append(
                    rule.fail(f"{event.describe()}: must deploy nothing, but {run}{_ran(sim)}")
                )
    return out


def check_preprod(root: Path) -> list[str]:
    rule = RULES["preprod-when-needed"]
    out: list[str] = []
    for change in PREPROD_SAMPLES:
        sim = simulate(root, Event("push", DEVELOP, (change,)))
        if not any(r.environment == PREPROD for r in sim.running(EVALUATION_SESSION)):
            out.append(
                rule.fail(
                    f"{sim.event.describe()}: nox -s {EVALUATION_SESSION} does not run in preprod{_ran(sim)}"
                )
            )
        out += [
            rule.fail(f"{sim.event.describe()}: {r} deploys outside preprod{_ran(sim)}")
            for r in sim.deployments()
            if r.environment != PREPROD
        ]
    for comp, change in _component_changes(root):
        sim = simulate(root, Event("push", DEVELOP, (change,)))
        deployed = _deployments_of(sim, comp, PREPROD)
        if comp.preprod_on_merge and not deployed:
            out.append(
                rule.fail(
                    f"{sim.event.describe()}: {comp.workflow} does not deploy it to preprod{_ran(sim)}"
                )
            )
        if not comp.preprod_on_merge and sim.deployments():
            out.append(
                rule.fail(
                    f"{sim.event.describe()}: must not touch preprod, but "
                    f"{sim.deployments()[0]}{_ran(sim)}"
                )
            )
    for change in NOT_PREPROD_SAMPLES:
        sim = simulate(root, Event("push", DEVELOP, (change,)))
        out += [
            rule.fail(f"{sim.event.describe()}: must not touch preprod, but {r}{_ran(sim)}")
            for r in sim.deployments()
        ]
    requests = [
        Event(
            "workflow_dispatch", DEVELOP, workflow=PREPROD_WORKFLOW, inputs=(("reason", "test"),)
        ),
        Event(
            "pull_request",
            DEVELOP,
            ("README.md",),
            action="closed",
            merged=True,
            labels=(PREPROD_LABEL,),
        ),
    ]
    for event in requests:
        sim = simulate(root, event)
        for comp in components(root):
            if not _deployments_of_any_workflow(sim, comp, PREPROD):
                out.append(
                    rule.fail(
                        f"{event.describe()} (explicit request): {comp.reusable} "
                        f"{dict(comp.inputs) or ''} does not deploy to preprod{_ran(sim)}"
                    )
                )
        if not any(r.environment == PREPROD for r in sim.running(EVALUATION_SESSION)):
            out.append(
                rule.fail(
                    f"{event.describe()} (explicit request): no evaluation in preprod{_ran(sim)}"
                )
            )
        out += [
            rule.fail(f"{event.describe()}: {r} deploys outside preprod{_ran(sim)}")
            for r in sim.deployments()
            if r.environment != PREPROD
        ]
    not_requests = [
        Event(
            "workflow_dispatch",
            "feature/login",
            workflow=PREPROD_WORKFLOW,
            inputs=(("reason", "x"),),
        ),
        Event("pull_request", DEVELOP, ("README.md",), action="closed", merged=True),
        Event("pull_request", DEVELOP, ("README.md",), action="closed", labels=(PREPROD_LABEL,)),
    ]
    for event in not_requests:
        sim = simulate(root, event)
        out += [
            rule.fail(f"{event.describe()}: must not touch preprod, but {r}{_ran(sim)}")
            for r in sim.deployments()
        ]
    return out


def _deployments_of_any_workflow(sim: Simulation, comp: Component, env: str) -> list[JobRun]:
    return [
        r
        for r in sim.runs
        if r.environment == env
        and comp.reusable in r.called
        and all(s in r.sessions for s in comp.sessions)
        and all(str(r.inputs.get(k)) == v for k, v in comp.inputs)
    ]


def check_prod(root: Path) -> list[str]:
    rule = RULES["prod-on-master-gated"]
    out: list[str] = []
    expected = {"promote": PROD, "manual_review": PROD_MANUAL_APPROVAL, None: PROD_MANUAL_APPROVAL}
    cases: list[tuple[Component | None, str]] = [(None, "README.md"), *_component_changes(root)]
    for comp, change in cases:
        for verdict, env in expected.items():
            sim = simulate(root, Event("push", MASTER, (change,), verdict=verdict))
            if comp is not None and not _deployments_of(sim, comp, env):
                out.append(
                    rule.fail(
                        f"{sim.event.describe()}: {comp.workflow} does not deploy it in "
                        f"environment {env}{_ran(sim)}"
                    )
                )
            if not any(r.environment == env for r in sim.running(PROMOTION_SESSION)):
                out.append(
                    rule.fail(
                        f"{sim.event.describe()}: nox -s {PROMOTION_SESSION} does not run "
                        f"in environment {env}{_ran(sim)}"
                    )
                )
            out += [
                rule.fail(f"{sim.event.describe()}: {r} should be in environment {env}{_ran(sim)}")
                for r in sim.deployments()
                if r.environment != env
            ]
        sim = simulate(root, Event("push", MASTER, (change,), verdict="block"))
        out += [
            rule.fail(f"{sim.event.describe()}: a blocked release still runs {r}{_ran(sim)}")
            for r in sim.deployments()
        ]
        if not any(r.result == "failure" for r in sim.running(RELEASE_GATE_SESSION)):
            out.append(
                rule.fail(
                    f"{sim.event.describe()}: no failing release gate shows the block{_ran(sim)}"
                )
            )
        for event in (
            Event("push", DEVELOP, (change,)),
            Event("pull_request", MASTER, (change,)),
            Event("pull_request", DEVELOP, (change,)),
            Event("push", "main", (change,)),
            Event("push", "release/1.0", (change,)),
        ):
            sim = simulate(root, event)
            out += [
                rule.fail(f"{event.describe()}: only master reaches prod, but {r}{_ran(sim)}")
                for r in sim.deployments()
                if r.environment in PROD_ENVIRONMENTS
            ]
    return out


def check_component(rule_id: str) -> Callable[[Path], list[str]]:
    def check(root: Path) -> list[str]:
        rule = RULES[rule_id]
        out: list[str] = []
        for comp in (c for c in components(root) if c.rule == rule_id):
            if comp.workflow not in load_all(root):
                out.append(rule.fail(f".github/workflows/{comp.workflow} is missing"))
                continue
            for change in comp.changes:
                for event in (
                    Event("pull_request", DEVELOP, (change,)),
                    Event("push", MASTER, (change,)),
                ):
                    sim = simulate(root, event)
                    if not _deployments_of(sim, comp):
                        out.append(
                            rule.fail(
                                f"{event.describe()}: {comp.workflow} does not run "
                                f"{comp.reusable} (nox -s {', '.join(comp.sessions)}) "
                                f"with {dict(comp.inputs)}{_ran(sim)}"
                            )
                        )
            for change in comp.unrelated:
                for event in (
                    Event("pull_request", DEVELOP, (change,)),
                    Event("push", MASTER, (change,)),
                ):
                    sim = simulate(root, event)
                    if comp.workflow in sim.triggered:
                        out.append(
                            rule.fail(
                                f"{event.describe()}: starts {comp.workflow}, which is "
                                f"not concerned{_ran(sim)}"
                            )
                        )
        return out

    return check


def check_image_per_pipeline(root: Path) -> list[str]:
    rule = RULES["image-per-pipeline"]
    out: list[str] = []
    workflows = load_all(root)
    for name in pipelines(root):
        wf = workflows.get(f"image-{name}.yml")
        if wf is None:
            out.append(rule.fail(f"pipelines/{name}/ has no .github/workflows/image-{name}.yml"))
            continue
        calls = [
            j
            for j in wf.jobs.values()
            if str(j.get("uses", "")).endswith("/reusable-image.yml")
            and (j.get("with") or {}).get("pipeline") == name
        ]
        if not calls:
            out.append(
                rule.fail(
                    f"image-{name}.yml has no job calling reusable-image.yml with pipeline: {name}"
                )
            )
    return out + check_component("image-per-pipeline")(root)


from atelier.cicd.gpu import check_gpu_image  # noqa: E402 - rules first, then their checks

CHECKS: dict[str, Callable[[Path], list[str]]] = {
    "pr-gate": check_pr_gate,
    "qa-on-pr-to-develop": check_qa,
    "preprod-when-needed": check_preprod,
    "prod-on-master-gated": check_prod,
    "image-per-pipeline": check_image_per_pipeline,
    "gpu-image-cuda": check_gpu_image,
    "lambdas-to-s3": check_component("lambdas-to-s3"),
    "terraform-plan-apply": check_component("terraform-plan-apply"),
    "frontend-to-s3-cdn": check_component("frontend-to-s3-cdn"),
    "actions-pinned": check_pinned,
    "permissions-minimal": check_permissions,
    "oidc-roles": check_oidc,
    "checkout-no-credentials": check_checkout,
    "concurrency": check_concurrency,
    "header-comment": check_header,
    "commands-in-nox": check_commands,
}
assert set(CHECKS) == set(RULES), "every rule has exactly one check"


def check(rule_id: str, root: Path) -> list[str]:
    return CHECKS[rule_id](root)


def check_all(root: Path) -> list[str]:
    return [message for rule_id in RULES for message in check(rule_id, root)]
