"""The IAM and Lambda-interpreter fixes: MiniStack's script text they patch, and what they do
(the internals they list are checked by test_required_internals.py)."""

from __future__ import annotations

from atelier.emulator.ministack_compat import iam, iam_ecs, lambda_python


def test_the_worker_script_still_reports_init_errors_the_way_the_patch_expects() -> None:
    from ministack.core import lambda_runtime

    assert lambda_python.INIT_ERROR in lambda_runtime._PYTHON_WORKER_SCRIPT


def test_an_import_failure_becomes_runtime_import_module_error() -> None:
    failed = {"error": True, "body": {"errorType": "RuntimeError", "errorMessage":
              "Worker init failed: Unable to import module 'index': No module named 'jwt'"}}  # fmt: skip
    body = lambda_python._as_import_module_error(failed, "req-1")["body"]
    assert body == {
        "errorMessage": "Unable to import module 'index': No module named 'jwt'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "req-1",
        "stackTrace": [],
    }
    other = {"error": True, "body": {"errorType": "RuntimeError", "errorMessage": "boom"}}
    assert lambda_python._as_import_module_error(other, "r")["body"]["errorType"] == "RuntimeError"


def test_a_role_session_is_an_assumed_role_of_that_role() -> None:
    from ministack.services import sts

    creds = iam.register_role_session(
        "000000000000", "arn:aws:iam::000000000000:role/r", "task-1", seed="arn:task/1"
    )
    try:
        assert creds.access_key_id.startswith("ASIA")
        assert creds.arn == "arn:aws:sts::000000000000:assumed-role/r/task-1"
        assert sts._sessions[creds.access_key_id]["SessionToken"] == creds.session_token
    finally:
        iam.forget_session(creds.access_key_id)
    assert creds.access_key_id not in sts._sessions


def test_ecs_task_calls_are_authorized_on_aws_resources() -> None:
    region, account = "us-east-1", "000000000000"
    td = f"arn:aws:ecs:{region}:{account}:task-definition/fam:3"
    assert iam_ecs.task_resource("RunTask", {"taskDefinition": td, "cluster": "c"}, region,
                                 account) == td  # fmt: skip
    assert iam_ecs.task_resource("DescribeTasks", {"cluster": "c", "tasks": ["abc"]}, region,
                                 account) == f"arn:aws:ecs:{region}:{account}:task/c/abc"  # fmt: skip
    assert iam_ecs.task_resource("ListTasks", {"cluster": "c"}, region, account) is None
    assert iam_ecs._cluster_arn({}, region, account).endswith(":cluster/default")
