"""The seller API with people: /api/v1/cuenta only behind API Gateway's JWT authorizer (its
claims in the event), roles limiting what a person may do, machines keeping their API keys."""

from __future__ import annotations

import json
from typing import Any

import pytest

from postventa.domain.accounts import Role, SellerUser
from tests.support import builders
from tests.support.events import LambdaContext, http_event, load_function
from tests.support.fakes import FakeAdapters


@pytest.fixture
def adapters() -> FakeAdapters:
    return FakeAdapters()


@pytest.fixture
def api(adapters: FakeAdapters) -> Any:
    module = load_function("seller_api")
    module.bootstrap = lambda: adapters
    adapters.tenants.put(builders.tenant())
    adapters.tenants.put_api_key("tienda", "clave-tienda")
    for email, role in (("duena@tienda.example", Role.OWNER), ("caja@tienda.example", Role.STAFF)):
        user_id = adapters.identity.ensure_login(email, "Barro-Rojo-2026")
        adapters.users.put(
            SellerUser(user_id=user_id, tenant_id="tienda", email=email, role=role, created_at="x")
        )

    def call(
        method: str,
        path: str,
        *,
        token: str | None = None,
        claims: dict[str, str] | None = None,
        body: Any = None,
    ) -> tuple[int, Any]:
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        event = http_event(
            method,
            path,
            body=json.dumps(body).encode() if body is not None else b"",
            headers=headers,
            route="/api/v1/{proxy+}",
        )
        if claims is not None:
            event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
        response = module.handler(event, LambdaContext(function_name="seller_api"))
        return response["statusCode"], json.loads(response["body"])

    return call


def _sub(adapters: FakeAdapters, email: str) -> str:
    return adapters.identity.logins[email].user_id


def test_people_routes_take_the_authorizers_claims_and_nothing_else(
    api: Any, adapters: FakeAdapters
) -> None:
    status, me = api(
        "GET", "/api/v1/cuenta/yo", claims={"sub": _sub(adapters, "duena@tienda.example")}
    )
    assert status == 200 and (me["tienda"], me["rol"]) == ("tienda", "owner")
    # Without the authorizer's claims (a template without it), an API key does not open them.
    status, body = api("GET", "/api/v1/cuenta/yo", token="clave-tienda")
    assert status == 401 and "personas" in body["message"]


def test_a_persons_token_or_a_key_opens_the_api_and_roles_limit_it(
    api: Any, adapters: FakeAdapters
) -> None:
    staff = adapters.identity.access_token("caja@tienda.example")
    assert api("GET", "/api/v1/orders", token=staff)[0] == 200
    assert api("GET", "/api/v1/message-templates", token=staff)[0] == 200
    status, refused = api(
        "PUT", "/api/v1/erp", token=staff, body={"url": "https://erp.example.com"}
    )
    assert status == 403 and refused["error"] == "forbidden"
    assert api("POST", "/api/v1/folios", token=staff, body={"cantidad": 5})[0] == 403
    assert api("GET", "/api/v1/orders", token="clave-tienda")[0] == 200
    assert api("GET", "/api/v1/orders", token="eyJ.eyJ.x")[0] == 401


def test_the_owner_invites_staff_and_makes_machine_keys(api: Any, adapters: FakeAdapters) -> None:
    owner = {"sub": _sub(adapters, "duena@tienda.example")}
    status, invited = api(
        "POST",
        "/api/v1/cuenta/usuarios",
        claims=owner,
        body={"email": "nuevo@tienda.example", "rol": "staff"},
    )
    assert status == 201 and invited["contrasena_temporal"]
    status, key = api("POST", "/api/v1/cuenta/claves", claims=owner, body={"etiqueta": "ERP"})
    assert status == 201 and key["clave"].startswith("pv_")
    staff = {"sub": _sub(adapters, "caja@tienda.example")}
    assert api("GET", "/api/v1/cuenta/usuarios", claims=staff)[0] == 403
    assert (
        api("POST", "/api/v1/cuenta/usuarios", claims=owner, body={"email": "x", "rol": "staff"})[0]
        == 400
    )
