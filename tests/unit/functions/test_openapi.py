"""docs/openapi.yaml describes exactly the seller API's routes (/api/v1, served by the seller API
and the channels API functions), and is a valid OpenAPI document."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.support.events import load_function

SPEC = Path(__file__).resolve().parents[3] / "docs" / "openapi.yaml"
METHODS = {"get", "post", "put", "delete", "patch"}


def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


def routes() -> set[tuple[str, str]]:
    found = set()
    for function in ("seller_api", "channels_api"):
        app = load_function(function).app
        for route in app._static_routes + app._dynamic_routes:
            path = re.sub(r"<(\w+)>", r"{\1}", route.path)
            if not path.startswith("/api/v1/"):
                continue  # the OAuth return page is a page for a person, not the API
            for method in route.method if isinstance(route.method, list) else [route.method]:
                found.add((method.lower(), path))
    return found


def documented() -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, item in spec()["paths"].items()
        for method in item
        if method in METHODS
    }


def test_every_route_is_documented_and_every_documented_operation_exists() -> None:
    assert routes() - documented() == set(), "routes missing from docs/openapi.yaml"
    assert documented() - routes() == set(), "docs/openapi.yaml lists routes that do not exist"


def test_every_operation_says_what_an_unauthenticated_call_gets_and_declares_its_path_ids() -> None:
    doc = spec()
    params = doc["components"]["parameters"]
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            assert "401" in operation["responses"], f"{method} {path}"
            declared = {
                params[p["$ref"].rsplit("/", 1)[1]]["name"] if "$ref" in p else p["name"]
                for p in operation.get("parameters", [])
            }
            for name in re.findall(r"{(\w+)}", path):
                assert name in declared, f"{method} {path} lacks the path parameter {name}"


def test_the_document_is_valid_openapi() -> None:
    from openapi_spec_validator import validate

    validate(spec())
