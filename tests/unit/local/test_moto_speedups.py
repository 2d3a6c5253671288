"""What the local cloud makes moto do faster answers exactly as moto does: SQS counts of
delayed and in-flight messages, a fresh Step Functions program per execution, remembered pure
functions; and every patch is undone when the cloud stops."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from localcloud import moto_speedups

ASL = Path(__file__).resolve().parents[3] / "infra" / "statemachines" / "invoice_lifecycle.asl.json"


@pytest.fixture
def installed() -> Iterator[object]:
    owner = object()
    for patch in moto_speedups.ALWAYS:
        patch.install(owner)
    try:
        yield owner
    finally:
        for patch in moto_speedups.ALWAYS:
            patch.uninstall(owner)


def test_sqs_counts_delayed_and_in_flight_messages_as_moto_does(installed: object) -> None:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="now")
        sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
        sqs.send_message(QueueUrl=url, MessageBody="also now")
        received = sqs.receive_message(QueueUrl=url, VisibilityTimeout=60, MaxNumberOfMessages=1)
        assert len(received["Messages"]) == 1
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert (
            counts["ApproximateNumberOfMessages"],
            counts["ApproximateNumberOfMessagesNotVisible"],
            counts["ApproximateNumberOfMessagesDelayed"],
        ) == ("1", "1", "1")
        sqs.change_message_visibility(
            QueueUrl=url,
            ReceiptHandle=received["Messages"][0]["ReceiptHandle"],
            VisibilityTimeout=0,
        )
        again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert sorted(m["Body"] for m in again) == ["also now", "now"]  # "later" is delayed


def test_each_execution_gets_its_own_program_from_one_parse() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    definition = ASL.read_text().replace("${BillingDeadlineSeconds}", "60")
    parsed: dict[str, object] = {}
    defined = vars(AmazonStateLanguageParser)["parse"]
    moto_speedups.ASL_PARSE.install(parsed)
    try:
        first, tree = AmazonStateLanguageParser.parse(definition)
        second, same_tree = AmazonStateLanguageParser.parse(definition)
    finally:
        moto_speedups.ASL_PARSE.uninstall(parsed)
    assert list(parsed) == [definition]  # parsed once
    assert first is not second and type(first) is type(second)  # no state shared
    assert first.start_at.start_at_name == second.start_at.start_at_name == "ReadDeadlineLimit"
    assert tree is same_tree
    assert vars(AmazonStateLanguageParser)["parse"] is defined  # undone: moto's staticmethod


def test_a_state_machine_still_runs_with_the_patches(installed: object) -> None:
    parsed: dict[str, object] = {}
    moto_speedups.ASL_PARSE.install(parsed)
    definition = {
        "StartAt": "Add",
        "States": {
            "Add": {
                "Type": "Pass",
                "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"},
                "OutputPath": "$.sum",
                "End": True,
            }
        },
    }
    try:
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            sfn = boto3.client("stepfunctions", region_name="us-east-1")
            arn = sfn.create_state_machine(
                name="add",
                definition=json.dumps(definition),
                roleArn="arn:aws:iam::123456789012:role/r",
            )["stateMachineArn"]
            outputs = []
            for a in (1, 5):
                execution = sfn.start_execution(
                    stateMachineArn=arn, name=f"add-{a}", input=json.dumps({"a": a, "b": 2})
                )
                deadline = time.monotonic() + 10
                done = sfn.describe_execution(executionArn=execution["executionArn"])
                while done["status"] == "RUNNING" and time.monotonic() < deadline:
                    time.sleep(0.01)
                    done = sfn.describe_execution(executionArn=execution["executionArn"])
                outputs.append(json.loads(done["output"]))
    finally:
        moto_speedups.ASL_PARSE.uninstall(parsed)
    assert outputs == [3, 7]


def test_remembered_functions_answer_as_moto_does(installed: object) -> None:
    import moto.core.responses as responses
    from moto.core import utils
    from moto.sqs.responses import SQSResponse

    assert responses.method_names_from_class(SQSResponse) == utils.method_names_from_class(
        SQSResponse
    )
    assert responses.camelcase_to_underscores("ApproximateNumberOfMessages") == (
        "approximate_number_of_messages"
    )


def test_uninstalling_gives_moto_back_its_own_code() -> None:
    from moto.sqs.models import Message

    original = vars(Message)["visible"]
    owner = object()
    moto_speedups.MESSAGE_VISIBLE.install(owner)
    assert vars(Message)["visible"] is not original
    moto_speedups.MESSAGE_VISIBLE.uninstall(owner)
    assert vars(Message)["visible"] is original
