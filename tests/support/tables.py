"""The product's DynamoDB table on moto, created from template.yaml's own definition (keys and
indexes), for the adapters' tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def create_product_table(name: str = "t") -> Any:
    """Create the table as template.yaml's `Table` describes it; the boto3 resource Table."""
    from cfnlint.decode import cfn_yaml

    from postventa.aws import client, resource

    props = cfn_yaml.load(str(ROOT / "template.yaml"))["Resources"]["Table"]["Properties"]
    client("dynamodb").create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
    )
    return resource("dynamodb").Table(name)
