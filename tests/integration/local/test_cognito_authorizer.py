"""Cognito user pools from the template on moto's cognito-idp, and the gateway enforcing the JWT
authorizer the template declares, as API Gateway would: people signed in to the pool get through
with their token; no token, another app's token or an ID token where scopes are required do not,
and the function never runs for them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.testing import local_cloud_inprocess

pytestmark = pytest.mark.integration

TEMPLATE = (
    Path(__file__).resolve().parents[2] / "fixtures" / "templates" / "cognito" / "template.yaml"
)
EMAIL = "ana@tienda.example"
PASSWORD = "Correcta-Horse-2026"


def _sign_up(cloud: LocalCloud) -> None:
    cognito, pool = cloud.client("cognito-idp"), cloud.stack.user_pools["Users"]
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=EMAIL,
        UserAttributes=[{"Name": "email", "Value": EMAIL}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool, Username=EMAIL, Password=PASSWORD, Permanent=True
    )


def _tokens(cloud: LocalCloud, client: str = "Panel") -> dict[str, str]:
    result = cloud.client("cognito-idp").initiate_auth(
        ClientId=cloud.stack.user_pool_clients[client],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": EMAIL, "PASSWORD": PASSWORD},
    )
    return dict(result["AuthenticationResult"])


def _get(cloud: LocalCloud, path: str, token: str | None = None) -> tuple[int, dict[str, str], Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(cloud.gateway_url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with local_cloud_inprocess(TEMPLATE) as running:
        _sign_up(running)
        yield running


def test_the_pool_and_its_clients_exist_and_functions_see_their_real_ids(cloud: LocalCloud) -> None:
    cognito = cloud.client("cognito-idp")
    pool = cloud.stack.user_pools["Users"]
    described = cognito.describe_user_pool(UserPoolId=pool)["UserPool"]
    assert described["Name"] == "tienda-usuarios"
    assert described["UsernameAttributes"] == ["email"]
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    clients = {
        c["ClientName"]: c["ClientId"]
        for c in cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=10)["UserPoolClients"]
    }
    assert clients["otra-app"] == cloud.stack.user_pool_clients["OtherApp"]

    status, _, body = _get(cloud, "/abierto")
    assert status == 200
    assert body["pool_id"] == pool
    assert body["client_id"] == cloud.stack.user_pool_clients["Panel"]
    assert body["issuer"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"
    assert body["authorizer"] is None  # Authorizer: NONE


def test_a_signed_in_users_token_reaches_the_function_with_its_claims(cloud: LocalCloud) -> None:
    tokens = _tokens(cloud)
    status, _, body = _get(cloud, "/yo", tokens["IdToken"])
    assert status == 200
    claims = body["authorizer"]["jwt"]["claims"]
    assert claims["email"] == EMAIL
    assert claims["token_use"] == "id"
    assert claims["aud"] == cloud.stack.user_pool_clients["Panel"]

    status, _, body = _get(cloud, "/admin", tokens["AccessToken"])
    assert status == 200
    assert "aws.cognito.signin.user.admin" in body["authorizer"]["jwt"]["scopes"]


def test_requests_without_a_valid_token_are_refused_before_the_function(cloud: LocalCloud) -> None:
    before = cloud.runtime.invocations
    tokens = _tokens(cloud)
    head, payload, signature = tokens["IdToken"].split(".")
    cases = {
        "no token": (None, "/yo"),
        "an API key": ("demo-api-key", "/yo"),
        "another app's token": (_tokens(cloud, "OtherApp")["IdToken"], "/yo"),
        "a tampered token": (f"{head}.{payload[:-4]}AAAA.{signature}", "/yo"),
        "an ID token where a scope is required": (tokens["IdToken"], "/admin"),
    }
    for case, (token, path) in cases.items():
        status, headers, body = _get(cloud, path, token)
        assert (status, body) == (401, {"message": "Unauthorized"}), case
        assert headers["www-authenticate"].startswith("Bearer "), case
    assert cloud.runtime.invocations == before
