"""Which SQS messages are deleted after an invocation (Lambda's partial batch rules)."""

from __future__ import annotations

import json

from localcloud.lambda_runtime import InvokeResult
from localcloud.pollers import settle_batch, sqs_event
from localcloud.provision import SqsSource

MSGS = [{"MessageId": m, "ReceiptHandle": f"rh-{m}", "Body": m} for m in ("a", "b", "c")]


def ok(value: object) -> InvokeResult:
    return InvokeResult(json.dumps(value), False, "")


def ids(messages: list[dict[str, str]]) -> list[str]:
    return [m["MessageId"] for m in messages]


def test_error_deletes_nothing() -> None:
    assert settle_batch(MSGS, InvokeResult('{"errorType": "X"}', True, ""), True) == []
    assert settle_batch(MSGS, InvokeResult('{"errorType": "X"}', True, ""), False) == []


def test_without_report_batch_item_failures_success_deletes_all() -> None:
    assert ids(settle_batch(MSGS, ok({"batchItemFailures": [{"itemIdentifier": "b"}]}), False)) == [
        "a",
        "b",
        "c",
    ]


def test_partial_failures_keep_only_listed_records() -> None:
    result = ok({"batchItemFailures": [{"itemIdentifier": "b"}]})
    assert ids(settle_batch(MSGS, result, True)) == ["a", "c"]


def test_empty_or_null_response_is_full_success() -> None:
    for value in (None, {}, {"batchItemFailures": []}):
        assert ids(settle_batch(MSGS, ok(value), True)) == ["a", "b", "c"]


def test_malformed_failure_entry_fails_the_whole_batch() -> None:
    assert settle_batch(MSGS, ok({"batchItemFailures": [{"itemIdentifier": ""}]}), True) == []


def test_sqs_event_records_have_the_lambda_shape() -> None:
    source = SqsSource("F", "arn:aws:sqs:us-east-1:1:q", "http://x/1/q")
    message = {
        "MessageId": "m",
        "ReceiptHandle": "rh",
        "Body": "{}",
        "MD5OfBody": "d",
        "Attributes": {"ApproximateReceiveCount": "2"},
        "MessageAttributes": {"k": {"StringValue": "v", "DataType": "String"}},
    }
    (record,) = sqs_event([message], source, "us-east-1")["Records"]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == source.queue_arn
    assert record["attributes"]["ApproximateReceiveCount"] == "2"
    assert record["messageAttributes"]["k"]["stringValue"] == "v"
    assert record["awsRegion"] == "us-east-1" and record["receiptHandle"] == "rh"
