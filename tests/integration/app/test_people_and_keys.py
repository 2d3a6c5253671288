"""People on the seller API, on the local cloud from template.yaml: the demo owner signs in to the
user pool, API Gateway's JWT authorizer (the local gateway) guards /api/v1/cuenta, /api/v1 takes
the same access token or a tenant's API key, an invited member of staff chooses a password and
may see orders but not settings, and a deactivated person's token stops working."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.app.conftest import TEMPLATE

pytestmark = pytest.mark.integration

PASSWORD = "Demo-Postventa-2026"


@pytest.fixture(scope="module")
def cloud() -> Iterator[Any]:
    from localcloud import local_cloud_inprocess
    from postventa.cli.local import cloud_hooks

    with local_cloud_inprocess(
        TEMPLATE, parameters={"MailFrom": "facturas@tienda-demo.example"}, **cloud_hooks()
    ) as running:
        yield running


def _call(
    cloud: Any, method: str, path: str, credential: str | None = None, body: Any = None
) -> tuple[int, Any]:
    headers = {"content-type": "application/json"}
    if credential:
        headers["authorization"] = f"Bearer {credential}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        cloud.gateway_url + path, data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _sign_in(cloud: Any, email: str, password: str) -> dict[str, Any]:
    answer: dict[str, Any] = cloud.client("cognito-idp").initiate_auth(
        ClientId=cloud.stack.user_pool_clients["SellerPanelClient"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return answer


def _token(cloud: Any, email: str, password: str = PASSWORD) -> str:
    return str(_sign_in(cloud, email, password)["AuthenticationResult"]["AccessToken"])


def test_the_demo_owners_token_works_on_people_routes_and_on_the_api(cloud: Any) -> None:
    token = _token(cloud, "vendedor@tienda-demo.example")
    status, me = _call(cloud, "GET", "/api/v1/cuenta/yo", token)
    assert status == 200
    assert (me["tienda"], me["rol"]) == ("demo", "owner")
    assert "credenciales" in me["permisos"]
    assert _call(cloud, "GET", "/api/v1/orders", token)[0] == 200
    assert _call(cloud, "GET", "/api/v1/orders", "demo-api-key")[0] == 200


def test_people_routes_refuse_machines_and_id_tokens_at_the_gateway(cloud: Any) -> None:
    tokens = _sign_in(cloud, "vendedor@tienda-demo.example", PASSWORD)["AuthenticationResult"]
    for credential in ("demo-api-key", tokens["IdToken"], None):
        assert _call(cloud, "GET", "/api/v1/cuenta/yo", credential) == (
            401,
            {"message": "Unauthorized"},
        )
    status, body = _call(cloud, "GET", "/api/v1/orders", "eyJ.eyJ.firma")
    assert status == 401 and body["error"] == "unauthorized"


def test_an_invited_member_of_staff_works_but_cannot_open_settings_until_deactivated(
    cloud: Any,
) -> None:
    owner = _token(cloud, "vendedor@tienda-demo.example")
    status, invited = _call(
        cloud,
        "POST",
        "/api/v1/cuenta/usuarios",
        owner,
        {"email": "caja@tienda-demo.example", "rol": "staff"},
    )
    assert status == 201, invited
    first = _sign_in(cloud, "caja@tienda-demo.example", invited["contrasena_temporal"])
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    chosen = cloud.client("cognito-idp").respond_to_auth_challenge(
        ClientId=cloud.stack.user_pool_clients["SellerPanelClient"],
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=first["Session"],
        ChallengeResponses={
            "USERNAME": "caja@tienda-demo.example",
            "NEW_PASSWORD": "Caja-Barro-2026",
        },
    )
    staff = chosen["AuthenticationResult"]["AccessToken"]
    assert _call(cloud, "GET", "/api/v1/orders", staff)[0] == 200
    status, refused = _call(cloud, "PUT", "/api/v1/erp", staff, {"url": "https://erp.example.com"})
    assert status == 403 and "dueño" in refused["message"]
    assert _call(cloud, "GET", "/api/v1/cuenta/usuarios", staff)[0] == 403

    status, _ = _call(
        cloud, "POST", f"/api/v1/cuenta/usuarios/{invited['usuario']}/desactivar", owner
    )
    assert status == 200
    assert _call(cloud, "GET", "/api/v1/orders", staff)[0] == 401


def test_machine_keys_are_made_by_people_and_revoked(cloud: Any) -> None:
    owner = _token(cloud, "vendedor@tienda-demo.example")
    status, created = _call(cloud, "POST", "/api/v1/cuenta/claves", owner, {"etiqueta": "ERP"})
    assert status == 201
    assert _call(cloud, "GET", "/api/v1/orders", created["clave"])[0] == 200
    assert _call(cloud, "DELETE", f"/api/v1/cuenta/claves/{created['id']}", owner)[0] == 200
    assert _call(cloud, "GET", "/api/v1/orders", created["clave"])[0] == 401
