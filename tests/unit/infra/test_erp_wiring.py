"""The ERP hand-off's wiring in template.yaml agrees with its code: the rule takes exactly the
forwarded events, the queue's DLQ comes after the services' last attempt, and the forwarder has
what it calls and no more."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from postventa.domain.erp import FORWARDED_EVENTS, MAX_ATTEMPTS, POST_TIMEOUT_SECONDS
from postventa.services.erp import LEASE_SECONDS

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    from cfnlint.decode import cfn_yaml

    return dict(cfn_yaml.load(str(ROOT / "template.yaml"))["Resources"])


def test_the_rule_sends_exactly_the_forwarded_events_to_the_erp_queue(
    resources: dict[str, Any],
) -> None:
    rule = resources["ErpEventsRule"]["Properties"]
    assert rule["EventPattern"]["source"] == ["postventa"]
    assert sorted(rule["EventPattern"]["detail-type"]) == sorted(FORWARDED_EVENTS)
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["ErpQueue", "Arn"]}
    policy = resources["ErpQueuePolicy"]["Properties"]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == {
        "Fn::GetAtt": ["ErpEventsRule", "Arn"]
    }


def test_the_dlq_takes_a_message_after_the_last_attempt_and_not_before(
    resources: dict[str, Any],
) -> None:
    queue = resources["ErpQueue"]["Properties"]
    assert int(queue["RedrivePolicy"]["maxReceiveCount"]) == MAX_ATTEMPTS
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["ErpDLQ", "Arn"]}
    assert int(queue["MessageRetentionPeriod"]) >= 4 * 24 * 3600


def test_the_forwarder_outlives_its_batch_and_the_queue_outlives_the_forwarder(
    resources: dict[str, Any],
) -> None:
    fn = resources["ErpForwarderFunction"]["Properties"]
    [source] = fn["Events"].values()
    batch = int(source["Properties"]["BatchSize"])
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # each record: a connect and a read of POST_TIMEOUT_SECONDS each, plus S3/DynamoDB
    assert int(fn["Timeout"]) >= batch * (2 * POST_TIMEOUT_SECONDS + 2)
    assert int(resources["ErpQueue"]["Properties"]["VisibilityTimeout"]) >= 6 * int(fn["Timeout"])
    assert LEASE_SECONDS >= 2 * POST_TIMEOUT_SECONDS + 10


def test_loopback_erps_are_a_local_setting_off_by_default() -> None:
    from cfnlint.decode import cfn_yaml

    template = cfn_yaml.load(str(ROOT / "template.yaml"))
    assert template["Parameters"]["ErpAllowLoopback"]["Default"] == "false"
    assert template["Metadata"]["LocalCloud"]["Parameters"]["ErpAllowLoopback"] == "true"
    for name in ("ErpForwarderFunction", "SellerApiFunction"):
        env = template["Resources"][name]["Properties"]["Environment"]["Variables"]
        assert env["ERP_ALLOW_LOOPBACK"] == {"Ref": "ErpAllowLoopback"}
        assert env["ERP_QUEUE_URL"] == {"Ref": "ErpQueue"}


def _bus_rules(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every EventBridge pattern on the product's bus: standalone rules and functions' rules."""
    rules = {
        name: res["Properties"]["EventPattern"]
        for name, res in resources.items()
        if res["Type"] == "AWS::Events::Rule" and "EventPattern" in res["Properties"]
    }
    for name, res in resources.items():
        for event_name, source in (res.get("Properties", {}).get("Events") or {}).items():
            if source["Type"] == "EventBridgeRule":
                rules[f"{name}{event_name}"] = source["Properties"]["Pattern"]
    return rules


def test_global_invoice_events_go_to_the_erp_and_to_no_order_consumer(
    resources: dict[str, Any],
) -> None:
    """A global invoice's events name no order: the audit (which turns order events into
    history) and the customers' function must not receive them; the ERP rule must."""
    import json

    from moto.events.models import EventPattern

    from tests.support.events import global_invoice_cancelled, global_invoice_stamped

    rules = _bus_rules(resources)
    assert {
        "ErpEventsRule",
        "AuditFunctionOrderEvents",
        "CustomerEventsFunctionBillingData",
    } <= set(rules)
    for event in (global_invoice_stamped(), global_invoice_cancelled()):
        taken = {
            name
            for name, pattern in rules.items()
            if EventPattern.load(json.dumps(pattern)).matches_event(event)
        }
        assert taken == {"ErpEventsRule"}, event["detail-type"]
