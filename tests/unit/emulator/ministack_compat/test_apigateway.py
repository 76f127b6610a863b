"""The authorizer policy matcher: IAM's globs over a method ARN whose path holds a newline."""

from __future__ import annotations

import pytest

from atelier.emulator.ministack_compat import apigateway

ARN = "arn:aws:execute-api:us-east-1:000000000000:abc123/v1/GET/jobs/"
ALL = "arn:aws:execute-api:us-east-1:000000000000:abc123/v1/*"


@pytest.mark.parametrize("job_id", ["\n", "a\nb", "\r\n", "\x00", "\t", "0b9f6c1e"])
def test_a_wildcard_resource_matches_any_path_parameter(job_id: str) -> None:
    assert apigateway.arn_matches(ALL, ARN + job_id)


def test_ministack_own_matcher_refused_a_newline_which_is_why_it_is_replaced() -> None:
    from ministack.services import apigateway_v1

    original = apigateway_v1._arn_matches
    if original is apigateway.arn_matches:  # applied in this process already
        pytest.skip("the runtime's matcher is installed here")
    assert not original(ALL, ARN + "a\nb")  # . does not match a newline
    assert original(ARN + "x", ARN + "x\n")  # and $ matches before a final one
    assert original(ALL, ARN + "x")


@pytest.mark.parametrize(
    ("pattern", "arn", "matches"),
    [
        (ARN + "x", ARN + "x\n", False),  # the whole ARN, not up to a final newline
        (ARN + "?", ARN + "\n", True),  # ? is any one character
        (ARN + "?", ARN + "ab", False),
        (ALL.replace("/v1/*", "/v2/*"), ARN + "x", False),  # another stage
        ("arn:aws:execute-api:*:*:abc123/*/GET/jobs/*", ARN + "a\nb", True),
        ("arn:aws:execute-api:us-east-1:000000000000:abc123/v1/GET/jobs/a.b", ARN + "axb", False),
    ],
)
def test_globs_and_literals_follow_iam(pattern: str, arn: str, matches: bool) -> None:
    assert apigateway.arn_matches(pattern, arn) is matches


def test_apply_installs_the_matcher_the_policy_evaluation_uses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ministack.services import apigateway_v1

    for name in ("_arn_matches", "_authorize_request_v1", "_check_throttle"):
        monkeypatch.setattr(apigateway_v1, name, getattr(apigateway_v1, name))
    apigateway.apply()
    policy = {"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": ALL}]}
    assert apigateway_v1._evaluate_policy(policy, ARN + "\n") == "Allow"
