"""The local gateway throttles each route with the limits the template's HTTP API declares, and
answers as API Gateway does above them (429, its body), before any function runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from localcloud.testing import local_cloud_inprocess
from tests.support.http import http

pytestmark = pytest.mark.integration

THROTTLED = (
    Path(__file__).resolve().parents[2] / "fixtures" / "templates" / "throttled" / "template.yaml"
)


def test_a_route_above_its_burst_is_a_429_and_other_routes_still_answer() -> None:
    with local_cloud_inprocess(THROTTLED) as cloud:
        scarce = [http("GET", f"{cloud.gateway_url}/scarce/{n}") for n in range(3)]
        assert [r.status for r in scarce] == [200, 200, 429]
        assert scarce[2].json() == {"message": "Too Many Requests"}
        assert scarce[0].json() == {"route": "GET /scarce/{id}"}
        assert cloud.runtime.invocations == 2  # the throttled request reached no function
        plenty = [http("GET", f"{cloud.gateway_url}/plenty").status for _ in range(5)]
        assert plenty == [200] * 5
