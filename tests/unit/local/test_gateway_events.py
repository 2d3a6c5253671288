"""API Gateway HTTP API 2.0: routing, event building and response mapping."""

from __future__ import annotations

import base64
import json

import pytest

from localcloud.gateway import BadLambdaResponseError, Router, build_event, map_response
from localcloud.provision import HttpRoute

ROUTES = [
    HttpRoute("GET", "/items/{id}", "Item"),
    HttpRoute("GET", "/items/special", "Special"),
    HttpRoute("ANY", "/items/{id}", "AnyItem"),
    HttpRoute("ANY", "/files/{proxy+}", "Files"),
    HttpRoute("GET", "/", "Root"),
]


@pytest.mark.parametrize(
    ("method", "path", "function", "params"),
    [
        ("GET", "/items/special", "Special", {}),
        ("GET", "/items/42", "Item", {"id": "42"}),
        ("DELETE", "/items/42", "AnyItem", {"id": "42"}),
        ("GET", "/items/a%20b", "Item", {"id": "a b"}),
        ("PUT", "/files/a/b/c.pdf", "Files", {"proxy": "a/b/c.pdf"}),
        ("GET", "/", "Root", {}),
    ],
)
def test_routes_match_most_specific_first(
    method: str, path: str, function: str, params: dict[str, str]
) -> None:
    matched = Router(ROUTES).match(method, path)
    assert matched is not None
    assert (matched[0].function, matched[1]) == (function, params)


def test_unmapped_routes_do_not_match_and_default_route_catches_all() -> None:
    router = Router(ROUTES)
    assert router.match("POST", "/") is None
    assert router.match("GET", "/items") is None
    assert router.match("GET", "/items/1/2") is None
    with_default = Router([*ROUTES, HttpRoute("ANY", "$default", "Fallback")])
    matched = with_default.match("POST", "/nothing/here")
    assert matched is not None and matched[0].function == "Fallback"


def test_event_has_the_v2_shape() -> None:
    event = build_event(
        method="post",
        raw_path="/items/7",
        raw_query="a=1&a=2&b=",
        headers=[
            ("Content-Type", "application/json"),
            ("X-Multi", "1"),
            ("x-multi", "2"),
            ("Cookie", "s=abc; t=def"),
            ("User-Agent", "pytest"),
        ],
        body=b'{"k": "v"}',
        route=HttpRoute("ANY", "/items/{id}", "F"),
        path_params={"id": "7"},
        source_ip="127.0.0.1",
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /items/{id}"
    assert event["rawPath"] == "/items/7" and event["rawQueryString"] == "a=1&a=2&b="
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["pathParameters"] == {"id": "7"}
    assert event["headers"]["x-multi"] == "1,2"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["s=abc", "t=def"]
    assert event["body"] == '{"k": "v"}' and event["isBase64Encoded"] is False
    http = event["requestContext"]["http"]
    assert http == {
        "method": "POST",
        "path": "/items/7",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "pytest",
    }
    ctx = event["requestContext"]
    assert ctx["stage"] == "$default" and ctx["routeKey"] == "ANY /items/{id}"
    assert isinstance(ctx["timeEpoch"], int) and ctx["requestId"]


def test_binary_bodies_are_base64_and_missing_parts_are_absent() -> None:
    pdf = b"%PDF\x00\xff"
    event = build_event(
        method="PUT",
        raw_path="/x",
        raw_query="",
        headers=[("Content-Type", "application/pdf")],
        body=pdf,
        route=HttpRoute("PUT", "/x", "F"),
        path_params={},
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == pdf
    assert "queryStringParameters" not in event and "pathParameters" not in event
    assert "cookies" not in event
    empty = build_event(
        method="GET",
        raw_path="/x",
        raw_query="",
        headers=[],
        body=b"",
        route=HttpRoute("GET", "/x", "F"),
        path_params={},
    )
    assert "body" not in empty


def test_structured_response_maps_status_headers_cookies_and_body() -> None:
    status, headers, body = map_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "text/html", "X-A": "1"},
            "cookies": ["a=1; Path=/"],
            "body": "<p>hola</p>",
        }
    )
    assert status == 201
    assert ("set-cookie", "a=1; Path=/") in headers and ("X-A", "1") in headers
    assert body == b"<p>hola</p>"


def test_base64_response_is_decoded() -> None:
    _status, headers, body = map_response(
        {
            "statusCode": 200,
            "isBase64Encoded": True,
            "body": base64.b64encode(b"\x00\x01").decode(),
            "headers": {"content-type": "application/pdf"},
        }
    )
    assert body == b"\x00\x01" and ("content-type", "application/pdf") in headers


@pytest.mark.parametrize(
    ("value", "body"),
    [({"ok": True}, {"ok": True}), ([1, 2], [1, 2]), (None, None)],
)
def test_plain_results_become_200_json(value: object, body: object) -> None:
    status, headers, out = map_response(value)
    assert status == 200 and ("content-type", "application/json") in headers
    assert json.loads(out) == body


def test_plain_string_result_is_the_body() -> None:
    assert map_response("hola")[2] == b"hola"


def test_bad_status_code_is_an_error() -> None:
    with pytest.raises(BadLambdaResponseError):
        map_response({"statusCode": "abc"})
