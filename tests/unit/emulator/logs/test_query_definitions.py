"""Saved Logs Insights queries on the runtime: what Terraform's aws_cloudwatch_query_definition
creates, reads back and deletes, with CloudWatch Logs' errors."""

from __future__ import annotations

from atelier.emulator.logs.query_definitions import QueryDefinitions

SCOPE = ("111111111111", "eu-west-3")


def test_put_describe_update_delete() -> None:
    store = QueryDefinitions()
    status, put = store.handle(
        "PutQueryDefinition",
        {"name": "env/errors", "queryString": "fields @message", "logGroupNames": ["/g"]},
        *SCOPE,
    )
    assert status == 200
    qid = put["queryDefinitionId"]
    _, found = store.handle(
        "DescribeQueryDefinitions", {"queryDefinitionNamePrefix": "env/"}, *SCOPE
    )
    assert [
        (d["queryDefinitionId"], d["name"], d["logGroupNames"]) for d in found["queryDefinitions"]
    ] == [(qid, "env/errors", ["/g"])]
    store.handle(
        "PutQueryDefinition",
        {"queryDefinitionId": qid, "name": "env/errors", "queryString": "stats count(*)"},
        *SCOPE,
    )
    _, found = store.handle("DescribeQueryDefinitions", {}, *SCOPE)
    assert [d["queryString"] for d in found["queryDefinitions"]] == ["stats count(*)"]
    assert store.handle("DeleteQueryDefinition", {"queryDefinitionId": qid}, *SCOPE) == (
        200,
        {"success": True},
    )
    assert store.handle("DescribeQueryDefinitions", {}, *SCOPE)[1]["queryDefinitions"] == []


def test_accounts_do_not_see_each_other() -> None:
    store = QueryDefinitions()
    store.handle("PutQueryDefinition", {"name": "q", "queryString": "fields @message"}, *SCOPE)
    other = ("222222222222", "eu-west-3")
    assert store.handle("DescribeQueryDefinitions", {}, *other)[1]["queryDefinitions"] == []


def test_bad_input_gets_the_logs_errors_and_stores_nothing() -> None:
    store = QueryDefinitions()
    assert store.handle("PutQueryDefinition", {"queryString": "x"}, *SCOPE)[1]["__type"] == (
        "InvalidParameterException"
    )
    assert store.handle("PutQueryDefinition", {"name": "q"}, *SCOPE)[1]["__type"] == (
        "InvalidParameterException"
    )
    unknown = {"queryDefinitionId": "nope", "name": "q", "queryString": "x"}
    assert store.handle("PutQueryDefinition", unknown, *SCOPE)[1]["__type"] == (
        "ResourceNotFoundException"
    )
    assert store.handle("DeleteQueryDefinition", {"queryDefinitionId": "nope"}, *SCOPE)[0] == 400
    assert store.handle("DescribeQueryDefinitions", {}, *SCOPE)[1]["queryDefinitions"] == []
