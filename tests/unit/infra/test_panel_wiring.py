"""template.yaml's side of the panel and of people: what the code relies on is declared."""

from __future__ import annotations

from typing import Any

import pytest

from postventa.storage.identity import LOGIN_RULES_ES
from tests.unit.infra.test_template import _load


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return dict(_load()["Resources"])


def test_the_password_policy_people_read_is_the_pools(resources: dict[str, Any]) -> None:
    policy = resources["SellerUserPool"]["Properties"]["Policies"]["PasswordPolicy"]
    assert f"al menos {policy['MinimumLength']} caracteres" in LOGIN_RULES_ES
    for required, word in (
        ("RequireUppercase", "mayúscula"),
        ("RequireLowercase", "minúscula"),
        ("RequireNumbers", "número"),
    ):
        assert policy[required] is (word in LOGIN_RULES_ES)
    assert policy["RequireSymbols"] is False
    pool = resources["SellerUserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_people_routes_sit_behind_the_jwt_authorizer_with_access_token_scope(
    resources: dict[str, Any],
) -> None:
    api = resources["HttpApi"]["Properties"]["Auth"]["Authorizers"]["SellerUsers"]
    assert api["IdentitySource"] == "$request.header.Authorization"
    events = resources["SellerApiFunction"]["Properties"]["Events"]
    assert events["Account"]["Properties"]["Path"] == "/api/v1/cuenta/{proxy+}"
    auth = events["Account"]["Properties"]["Auth"]
    assert auth == {
        "Authorizer": "SellerUsers",
        "AuthorizationScopes": ["aws.cognito.signin.user.admin"],
    }
    assert "Auth" not in events["Api"]["Properties"]  # API keys: checked by the function


def test_the_functions_get_what_their_adapters_require(resources: dict[str, Any]) -> None:
    panel = resources["PanelFunction"]["Properties"]["Environment"]["Variables"]
    for name in (
        "SELLER_USER_POOL_ID",
        "SELLER_USER_POOL_CLIENT_ID",
        "LIFECYCLE_STATE_MACHINE_ARN",
        "CUSTOMER_JOBS_QUEUE_URL",
        "BILLING_DEADLINE_MAX_SECONDS",
    ):
        assert name in panel
    jobs = resources["CustomerJobsFunction"]["Properties"]
    assert "CUSTOMER_JOBS_QUEUE_URL" in jobs["Environment"]["Variables"]
    assert jobs["Events"]["Jobs"]["Properties"]["BatchSize"] == 1
    queue = resources["CustomerJobsQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * jobs["Timeout"]
    events = resources["CustomerEventsFunction"]["Properties"]["Events"]["BillingData"]
    assert events["Properties"]["Pattern"]["detail-type"] == [
        "BillingDataReceived",
        "InvoiceStamped",
    ]
