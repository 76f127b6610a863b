"""Cost: a replayed half hour of the workload profile on the deployed stack, priced by the
meter, agrees with the estimate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from atelier_devtools.deployed_api import ENV

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_replayed_half_hour_of_prod_is_metered_as_estimated(
    stack: dict[str, Any], env: dict[str, str], runtime: Any
) -> None:
    from atelier.cost import prices as cost_prices
    from atelier.cost import replay
    from atelier.topology import load as load_topology

    result = replay.run(load_topology(), cost_prices.load(), "prod", 0.5, "mon 09:00",
                        runtime.endpoint_url, Path(env["ATELIER_HOME"]), deployed_env=ENV)  # fmt: skip
    assert (
        result.counts["structured_data"] == 30 and result.counts["non_structured_data_images"] == 1
    )
    services = {name for name, *_ in result.rows}
    assert {"Fargate", "Lambda", "API Gateway", "DynamoDB", "S3", "CloudWatch Logs"} <= services
    assert result.agrees, replay.render(result, "markdown")
    # the deployment's own every-minute canary would add its traffic: paused, then restored
    assert any(f"atelier-{ENV}-canary" in note for note in result.notes), result.notes
    rule = runtime.client("events").describe_rule(Name=f"atelier-{ENV}-canary-every-minute")
    assert rule["State"] == "ENABLED"
    # the authorizer's result cache (real time) was off for the compressed replay, then restored
    assert any("result cache: off during the replay" in note for note in result.notes)
    apig = runtime.client("apigateway")
    (api,) = [a for a in apig.get_rest_apis()["items"] if a["name"] == f"atelier-{ENV}-api"]
    ttls = {
        a["authorizerResultTtlInSeconds"]
        for a in apig.get_authorizers(restApiId=api["id"])["items"]
    }
    assert ttls == {300}, ttls
