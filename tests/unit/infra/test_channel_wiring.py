"""The channels' wiring in template.yaml agrees with their code (decision 0016): routes, Amazon's
queue only Amazon may send to, the polling schedule and its lease, the secrets each function that
calls a channel needs, and local runs pointed at the fake marketplaces."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from postventa.services.polling import LEASE_SECONDS, MIN_INTERVAL_SECONDS

ROOT = Path(__file__).resolve().parents[3]
CHANNEL_SECRETS = "postventa/tenants/*/channels/*"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    from cfnlint.decode import cfn_yaml

    return dict(cfn_yaml.load(str(ROOT / "template.yaml")))


def events(template: dict[str, Any], function: str) -> dict[str, Any]:
    return dict(template["Resources"][function]["Properties"].get("Events") or {})


def routes(template: dict[str, Any], function: str) -> set[tuple[str, str]]:
    return {
        (e["Properties"]["Method"], e["Properties"]["Path"])
        for e in events(template, function).values()
        if e["Type"] == "HttpApi"
    }


def test_the_channels_routes_are_their_own_functions_and_none_is_the_seller_apis(
    template: dict[str, Any],
) -> None:
    assert routes(template, "ChannelsApiFunction") == {
        ("GET", "/api/v1/channels"),
        ("ANY", "/api/v1/channels/{proxy+}"),
        ("POST", "/api/v1/orders/{channel}/{order_id}/shipment"),
        ("GET", "/oauth/mercadolibre"),
    }
    assert routes(template, "WebhooksFunction") == {
        ("POST", "/webhooks/{channel}/{tenant_id}"),
        ("POST", "/webhooks/{channel}"),
    }


def test_only_amazons_notification_account_may_send_to_its_queue(template: dict[str, Any]) -> None:
    policy = template["Resources"]["AmazonNotificationsQueuePolicy"]["Properties"]
    assert policy["Queues"] == [{"Ref": "AmazonNotificationsQueue"}]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert "437568002678" in json.dumps(statement["Principal"])
    assert sorted(statement["Action"]) == ["sqs:GetQueueAttributes", "sqs:SendMessage"]
    [source] = events(template, "AmazonNotificationsFunction").values()
    assert source["Properties"]["Queue"] == {"Fn::GetAtt": ["AmazonNotificationsQueue", "Arn"]}


def test_the_poller_runs_every_five_minutes_and_its_lease_fits_its_timeout(
    template: dict[str, Any],
) -> None:
    poller = template["Resources"]["ChannelPollerFunction"]["Properties"]
    kinds = {e["Type"]: e["Properties"] for e in poller["Events"].values()}
    assert kinds["Schedule"]["Schedule"] == "rate(5 minutes)"
    assert kinds["SQS"]["Queue"] == {"Fn::GetAtt": ["ChannelPollQueue", "Arn"]}
    assert MIN_INTERVAL_SECONDS >= 60  # Mirakl: OR11 at most once a minute
    assert int(poller["Timeout"]) > LEASE_SECONDS
    visibility = template["Resources"]["ChannelPollQueue"]["Properties"]["VisibilityTimeout"]
    assert int(visibility) >= 6 * int(poller["Timeout"])


@pytest.mark.parametrize(
    "function",
    [
        "IngestOrdersFunction",
        "SendBillingRequestFunction",
        "TenantJobsFunction",  # reminders
        "FiscalJobsFunction",  # a late request or a substitute delivered to the channel
        "InvoiceTasksFunction",
        "StampInvoiceFunction",
        "ChannelPollerFunction",
        "ChannelsApiFunction",
    ],
)
def test_every_function_that_calls_a_channel_may_read_and_renew_the_tenants_tokens(
    template: dict[str, Any], function: str
) -> None:
    statements = [
        s
        for policy in template["Resources"][function]["Properties"]["Policies"]
        if isinstance(policy, dict) and "Statement" in policy
        for s in policy["Statement"]
    ]
    renew = [s for s in statements if CHANNEL_SECRETS in json.dumps(s.get("Resource"))]
    assert renew and {"secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"} <= {
        a for s in renew for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    apps = [s for s in statements if "postventa/channels/*" in json.dumps(s.get("Resource"))]
    assert apps, f"{function} cannot read our applications' credentials"


def test_local_runs_reach_the_fake_marketplaces_and_aws_the_real_ones(
    template: dict[str, Any],
) -> None:
    local = template["Metadata"]["LocalCloud"]["Parameters"]
    params = template["Parameters"]
    for name in (
        "MercadoLibreApiUrl",
        "MercadoLibreAuthUrl",
        "AmazonSpApiUrl",
        "AmazonLwaUrl",
        "LiverpoolApiUrl",
    ):
        assert local[name].startswith("${Local::FakeMarketsUrl}/")
        assert params[name]["Default"].startswith("https://")
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["MERCADOLIBRE_API_URL"] == {"Ref": "MercadoLibreApiUrl"}
