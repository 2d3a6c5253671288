"""Route throttling as API Gateway applies it: one token bucket per route, limits from the
HTTP API's DefaultRouteSettings and RouteSettings."""

from __future__ import annotations

from pathlib import Path

import pytest

from localcloud.provision import assign_attributes, build_stack, route_throttle
from localcloud.specs import ACCOUNT_BURST_LIMIT, ACCOUNT_RATE_LIMIT, HttpRoute, Throttle
from localcloud.template import TemplateError, load_template
from localcloud.throttling import RouteThrottles, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def takes(bucket: TokenBucket, count: int) -> list[bool]:
    return [bucket.take() for _ in range(count)]


def test_a_full_bucket_lets_the_burst_through_then_refuses() -> None:
    bucket = TokenBucket(Throttle(burst=3, rate=1.0), FakeClock())
    assert takes(bucket, 4) == [True, True, True, False]


def test_the_bucket_refills_at_the_rate_and_never_above_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(Throttle(burst=2, rate=4.0), clock)
    assert takes(bucket, 3) == [True, True, False]
    clock.now += 0.25  # one token at 4 a second
    assert takes(bucket, 2) == [True, False]
    clock.now += 60  # a long pause fills the bucket to its size, no more
    assert takes(bucket, 3) == [True, True, False]


def test_a_zero_burst_refuses_everything_and_a_zero_rate_never_refills() -> None:
    clock = FakeClock()
    assert takes(TokenBucket(Throttle(burst=0, rate=100.0), clock), 2) == [False, False]
    no_refill = TokenBucket(Throttle(burst=1, rate=0.0), clock)
    clock.now += 3600
    assert takes(no_refill, 2) == [True, False]


def test_each_route_has_its_own_bucket() -> None:
    hooks = HttpRoute("POST", "/hooks", "Hooks", throttle=Throttle(burst=1, rate=0.0), api="api")
    pages = HttpRoute("GET", "/pages", "Pages", throttle=Throttle(burst=2, rate=0.0), api="api")
    throttles = RouteThrottles([hooks, pages], FakeClock())
    assert [throttles.allow(hooks) for _ in range(2)] == [True, False]
    assert [throttles.allow(pages) for _ in range(3)] == [True, True, False]


API = {
    "DefaultRouteSettings": {"ThrottlingBurstLimit": 10, "ThrottlingRateLimit": 5},
    "RouteSettings": {
        "POST /hooks": {"ThrottlingBurstLimit": 200, "ThrottlingRateLimit": 100},
        "GET /pages": {"ThrottlingBurstLimit": 3},  # its rate is the default's
    },
}


@pytest.mark.parametrize(
    ("api", "route_key", "expected"),
    [
        (API, "POST /hooks", Throttle(200, 100.0)),
        (API, "GET /pages", Throttle(3, 5.0)),
        (API, "GET /other", Throttle(10, 5.0)),
        ({}, "GET /other", Throttle(ACCOUNT_BURST_LIMIT, ACCOUNT_RATE_LIMIT)),
        ({"DefaultRouteSettings": {"ThrottlingRateLimit": 0.5}}, "$default", Throttle(5000, 0.5)),
    ],
)
def test_a_routes_limits_come_from_its_route_settings_then_the_default_then_the_account(
    api: dict[str, object], route_key: str, expected: Throttle
) -> None:
    assert route_throttle(api, route_key) == expected


@pytest.mark.parametrize("bad", [-1, "many", None])
def test_a_limit_that_is_not_a_number_of_zero_or_more_is_refused(bad: object) -> None:
    api = {"DefaultRouteSettings": {"ThrottlingBurstLimit": bad}}
    with pytest.raises(TemplateError, match="ThrottlingBurstLimit"):
        route_throttle(api, "GET /x")


def _template(tmp_path: Path, api_props: str, events: str, globals_: str = "") -> Path:
    (tmp_path / "fn").mkdir(exist_ok=True)
    (tmp_path / "fn" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    path = tmp_path / "template.yaml"
    path.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        + globals_
        + "Resources:\n"
        + "  Api:\n    Type: AWS::Serverless::HttpApi\n"
        + api_props
        + "  Fn:\n    Type: AWS::Serverless::Function\n"
        + "    Properties:\n      CodeUri: fn\n      Handler: app.handler\n"
        + "      Events:\n"
        + events
    )
    return path


def _routes(path: Path) -> dict[str, Throttle]:
    tpl = load_template(path)
    stack = build_stack(tpl, assign_attributes(tpl, "http://moto:1"))
    return {route.route_key: route.throttle for route in stack.routes}


EXPLICIT_EVENT = (
    "        Hook:\n          Type: HttpApi\n"
    "          Properties: { ApiId: !Ref Api, Method: POST, Path: /hooks }\n"
)


def test_the_template_gives_each_route_of_its_api_the_throttle(tmp_path: Path) -> None:
    api = (
        "    Properties:\n"
        "      DefaultRouteSettings: { ThrottlingBurstLimit: 7, ThrottlingRateLimit: 3 }\n"
        "      RouteSettings:\n"
        '        "POST /hooks": { ThrottlingBurstLimit: 9 }\n'
    )
    assert _routes(_template(tmp_path, api, EXPLICIT_EVENT)) == {"POST /hooks": Throttle(9, 3.0)}


def test_globals_http_api_settings_reach_the_implicit_api(tmp_path: Path) -> None:
    globals_ = (
        "Globals:\n  HttpApi:\n"
        "    DefaultRouteSettings: { ThrottlingBurstLimit: 4, ThrottlingRateLimit: 2 }\n"
    )
    implicit = (
        "        Page:\n          Type: HttpApi\n          Properties: { Method: GET, Path: /p }\n"
    )
    path = _template(tmp_path, "", implicit, globals_)
    assert _routes(path) == {"GET /p": Throttle(4, 2.0)}


def test_route_settings_for_a_route_the_api_does_not_have_are_refused(tmp_path: Path) -> None:
    typo = (
        "    Properties:\n      RouteSettings:\n"
        '        "POST /hook": { ThrottlingBurstLimit: 9 }\n'  # the route is /hooks
    )
    with pytest.raises(TemplateError, match="POST /hook"):
        _routes(_template(tmp_path, typo, EXPLICIT_EVENT))
