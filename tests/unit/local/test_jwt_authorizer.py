"""The local gateway's JWT authorizer checks what API Gateway checks, with keys of our own."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from localcloud.authorizers import JwtAuthorizers, Unauthorized, www_authenticate
from localcloud.specs import HttpRoute, JwtAuthorizerSpec

ISSUER = "https://idp.example.test/pool-1"
SPEC = JwtAuthorizerSpec(name="Users", issuer=ISSUER, audience=("panel", "cli"))
ROUTE = HttpRoute("ANY", "/cuenta/{proxy+}", "Fn", SPEC)
NOW = 1_800_000_000.0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class Issuer:
    """An identity provider of our own: RSA keys, discovery and JWKS documents, tokens."""

    def __init__(self) -> None:
        self.keys = {"k1": rsa.generate_private_key(public_exponent=65537, key_size=2048)}
        self.fetches: list[str] = []

    def fetch(self, url: str) -> Any:
        self.fetches.append(url)
        if url == ISSUER + "/.well-known/openid-configuration":
            return {"issuer": ISSUER, "jwks_uri": ISSUER + "/jwks"}
        assert url == ISSUER + "/jwks"
        keys = []
        for kid, key in self.keys.items():
            numbers = key.public_key().public_numbers()
            keys.append(
                {
                    "kty": "RSA",
                    "kid": kid,
                    "alg": "RS256",
                    "n": _int(numbers.n),
                    "e": _int(numbers.e),
                }
            )
        return {"keys": keys}

    def token(self, kid: str = "k1", alg: str = "RS256", **claims: Any) -> str:
        body = {"iss": ISSUER, "aud": "panel", "exp": NOW + 600, "iat": NOW - 5, "sub": "u-1"}
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        head = _b64(json.dumps({"alg": alg, "kid": kid}).encode())
        signed = f"{head}.{_b64(json.dumps(body).encode())}"
        signature = self.keys.get(kid, self.keys["k1"]).sign(
            signed.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        return f"{signed}.{_b64(signature)}"


@pytest.fixture
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture
def authorizers(issuer: Issuer) -> JwtAuthorizers:
    return JwtAuthorizers(issuer.fetch, now=lambda: NOW)


def _refused(authorizers: JwtAuthorizers, route: HttpRoute = ROUTE, **headers: str) -> str:
    with pytest.raises(Unauthorized) as refused:
        authorizers.authorize(route, headers, {})
    return refused.value.description


def test_a_valid_token_passes_with_its_claims_as_payload_2_strings(
    issuer: Issuer, authorizers: JwtAuthorizers
) -> None:
    token = issuer.token(**{"cognito:groups": ["owner", "staff"], "email_verified": True})
    granted = authorizers.authorize(ROUTE, {"Authorization": f"Bearer {token}"}, {})
    claims = granted.context()["jwt"]["claims"]
    assert claims["sub"] == "u-1"
    assert claims["cognito:groups"] == "[owner staff]"
    assert claims["email_verified"] == "true"
    assert claims["exp"] == str(NOW + 600)
    assert granted.context()["jwt"]["scopes"] is None  # the route asks for none


def test_the_token_may_come_without_the_bearer_prefix(
    issuer: Issuer, authorizers: JwtAuthorizers
) -> None:
    assert (
        authorizers.authorize(ROUTE, {"authorization": issuer.token()}, {}).claims["sub"] == "u-1"
    )


def test_a_request_without_a_token_is_refused(authorizers: JwtAuthorizers) -> None:
    assert _refused(authorizers) == "the request has no token"
    assert _refused(authorizers, Authorization="Bearer ") == "the request has no token"


def test_an_api_key_or_garbage_is_not_a_jwt(authorizers: JwtAuthorizers) -> None:
    assert _refused(authorizers, Authorization="Bearer demo-api-key") == "the token is not a JWT"
    assert "decoded" in _refused(authorizers, Authorization="a.b.c")


def test_a_tampered_payload_fails_the_signature(
    issuer: Issuer, authorizers: JwtAuthorizers
) -> None:
    head, _, signature = issuer.token().split(".")
    forged = _b64(
        json.dumps({"iss": ISSUER, "aud": "panel", "exp": NOW + 9, "sub": "admin"}).encode()
    )
    assert _refused(authorizers, Authorization=f"{head}.{forged}.{signature}") == (
        "the token's signature is not valid"
    )


def test_a_token_signed_by_another_key_with_a_known_kid_is_refused(
    issuer: Issuer, authorizers: JwtAuthorizers
) -> None:
    other = Issuer()
    assert "signature" in _refused(authorizers, Authorization=other.token())


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"iss": "https://idp.example.test/pool-2"}, "the token does not have a valid issuer"),
        ({"aud": "other-app"}, "the token does not have a valid audience"),
        ({"exp": NOW}, "the token has expired"),
        ({"exp": None}, "the token has expired"),
        ({"nbf": NOW + 30}, "the token's nbf is in the future"),
        ({"iat": NOW + 30}, "the token's iat is in the future"),
        ({"exp": "tomorrow"}, "the token's exp is not a number"),
    ],
)
def test_each_claim_api_gateway_checks_is_checked(
    issuer: Issuer, authorizers: JwtAuthorizers, claims: dict[str, Any], why: str
) -> None:
    assert _refused(authorizers, Authorization=issuer.token(**claims)) == why


def test_client_id_counts_only_when_there_is_no_aud(
    issuer: Issuer, authorizers: JwtAuthorizers
) -> None:
    access = issuer.token(aud=None, client_id="cli")
    assert authorizers.authorize(ROUTE, {"Authorization": access}, {}).claims["client_id"] == "cli"
    both = issuer.token(aud="other-app", client_id="panel")
    assert _refused(authorizers, Authorization=both) == "the token does not have a valid audience"


def test_route_scopes_need_one_of_them_in_the_token(
    issuer: Issuer, authorizers: JwtAuthorizers
) -> None:
    scoped = HttpRoute("GET", "/x", "Fn", SPEC, ("admin", "aws.cognito.signin.user.admin"))
    assert _refused(authorizers, scoped, Authorization=issuer.token()) == (
        "the token does not have the required scope"
    )
    granted = authorizers.authorize(
        scoped, {"Authorization": issuer.token(scope="openid aws.cognito.signin.user.admin")}, {}
    )
    assert granted.scopes == ["openid", "aws.cognito.signin.user.admin"]
    assert authorizers.authorize(scoped, {"Authorization": issuer.token(scp=["admin"])}, {})


def test_only_rsa_algorithms_are_accepted(issuer: Issuer, authorizers: JwtAuthorizers) -> None:
    head = _b64(json.dumps({"alg": "none", "kid": "k1"}).encode())
    body = _b64(json.dumps({"iss": ISSUER, "aud": "panel", "exp": NOW + 60}).encode())
    assert "algorithm" in _refused(authorizers, Authorization=f"{head}.{body}.")


def test_an_unknown_kid_refetches_the_keys_but_not_on_every_request(
    issuer: Issuer, authorizers: JwtAuthorizers
) -> None:
    authorizers.authorize(ROUTE, {"Authorization": issuer.token()}, {})
    assert len(issuer.fetches) == 2  # discovery, then the keys
    issuer.keys["k2"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for _ in range(3):
        assert "kid" in _refused(authorizers, Authorization=issuer.token(kid="k2"))
    assert len(issuer.fetches) == 2  # fetched less than a minute ago: not again

    later = JwtAuthorizers(issuer.fetch, now=lambda: NOW)
    assert later.authorize(ROUTE, {"Authorization": issuer.token(kid="k2")}, {}).claims


def test_an_issuer_that_cannot_be_reached_lets_nothing_through(issuer: Issuer) -> None:
    def down(url: str) -> Any:
        raise ConnectionError(url)

    authorizers = JwtAuthorizers(down, now=lambda: NOW)
    assert "could not be read" in _refused(authorizers, Authorization=issuer.token())


def test_a_query_string_identity_source(issuer: Issuer) -> None:
    spec = JwtAuthorizerSpec("Q", ISSUER, ("panel",), "$request.querystring.token")
    route = HttpRoute("GET", "/q", "Fn", spec)
    authorizers = JwtAuthorizers(issuer.fetch, now=lambda: NOW)
    assert authorizers.authorize(route, {}, {"token": issuer.token()}).claims["iss"] == ISSUER
    with pytest.raises(Unauthorized):
        authorizers.authorize(route, {"Authorization": issuer.token()}, {})


def test_www_authenticate_names_the_scopes_and_the_reason() -> None:
    route = HttpRoute("GET", "/x", "Fn", SPEC, ("a", "b"))
    assert www_authenticate(route, "the token has expired") == (
        'Bearer scope="a b" error="invalid_token" error_description="the token has expired"'
    )


def test_the_clock_is_real_time_by_default(issuer: Issuer) -> None:
    authorizers = JwtAuthorizers(issuer.fetch)
    token = issuer.token(exp=time.time() + 60, iat=time.time() - 1)
    assert authorizers.authorize(ROUTE, {"Authorization": token}, {}).claims["sub"] == "u-1"
