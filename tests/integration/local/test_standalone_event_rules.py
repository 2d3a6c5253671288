"""`AWS::Events::Rule` with an SQS target and an `AWS::SQS::QueuePolicy`, provisioned from a
template: an event published on the bus lands in the queue, in its whole envelope."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from localcloud.testing import local_cloud_inprocess

pytestmark = pytest.mark.integration

TEMPLATE = """
Resources:
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: tienda-bus}
  Inbox:
    Type: AWS::SQS::Queue
  InboxPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Inbox]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: sqs:SendMessage
            Resource: !GetAtt Inbox.Arn
            Condition: {ArnEquals: {aws:SourceArn: !GetAtt ToInbox.Arn}}
  ToInbox:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      EventPattern: {source: [tienda], detail-type: [Vendido]}
      Targets: [{Id: inbox, Arn: !GetAtt Inbox.Arn}]
"""


def test_a_rule_delivers_matching_events_to_its_queue_and_the_policy_names_the_rule(
    tmp_path: Path,
) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    with local_cloud_inprocess(path, gateway=False) as cloud:
        sqs, events = cloud.client("sqs"), cloud.client("events")
        url = cloud.stack.queues["Inbox"]
        for detail_type in ("Vendido", "Devuelto"):
            events.put_events(
                Entries=[
                    {
                        "Source": "tienda",
                        "DetailType": detail_type,
                        "Detail": json.dumps({"n": 1}),
                        "EventBusName": "tienda-bus",
                    }
                ]
            )
        [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)[
            "Messages"
        ]
        event = EventBridgeModel.model_validate_json(message["Body"])
        assert (event.detail_type, event.detail) == ("Vendido", {"n": 1})

        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]
        [statement] = json.loads(attrs["Policy"])["Statement"]
        rule_arn = "arn:aws:events:us-east-1:123456789012:rule/tienda-bus/local-ToInbox"
        assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == rule_arn
        assert events.describe_rule(Name="local-ToInbox", EventBusName="tienda-bus")["Arn"] == (
            rule_arn
        )


def test_a_scheduled_standalone_rule_is_refused_naming_it(tmp_path: Path) -> None:
    from localcloud.template import TemplateError

    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n  Nightly:\n    Type: AWS::Events::Rule\n"
        "    Properties: {ScheduleExpression: rate(1 day)}\n"
    )
    with pytest.raises(TemplateError, match="Nightly"), local_cloud_inprocess(path, gateway=False):
        pass
