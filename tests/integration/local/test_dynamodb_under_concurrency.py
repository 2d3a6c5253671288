"""DynamoDB on the local cloud keeps every write when requests arrive concurrently, as DynamoDB
does (moto alone does not: a cancelled transaction restores a copy of the whole table)."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import pytest

from localcloud.testing import local_cloud_inprocess

pytestmark = pytest.mark.integration

BASIC = Path(__file__).resolve().parents[2] / "fixtures" / "templates" / "basic" / "template.yaml"
ITEMS = 200


def test_a_cancelled_transaction_does_not_undo_what_other_requests_wrote_meanwhile() -> None:
    with local_cloud_inprocess(BASIC, gateway=False) as cloud:
        ddb = cloud.client("dynamodb")
        table = cloud.stack.tables["Table"]
        padding = "x" * 2000  # a table worth copying: the copy spans thread switches
        for i in range(ITEMS):
            ddb.put_item(
                TableName=table,
                Item={"pk": {"S": f"item#{i}"}, "v": {"S": "old"}, "pad": {"S": padding}},
            )
        ddb.put_item(TableName=table, Item={"pk": {"S": "account"}, "n": {"N": "1"}})
        updated = threading.Event()

        def cancelled_transactions() -> None:  # a folio race: the optimistic check fails
            while not updated.is_set():
                with contextlib.suppress(ddb.exceptions.TransactionCanceledException):
                    ddb.transact_write_items(
                        TransactItems=[
                            {
                                "Update": {
                                    "TableName": table,
                                    "Key": {"pk": {"S": "account"}},
                                    "UpdateExpression": "SET n = n + :one",
                                    "ConditionExpression": "n = :zero",
                                    "ExpressionAttributeValues": {
                                        ":one": {"N": "1"},
                                        ":zero": {"N": "0"},
                                    },
                                }
                            }
                        ]
                    )

        def updates() -> None:
            for i in range(ITEMS):
                ddb.update_item(
                    TableName=table,
                    Key={"pk": {"S": f"item#{i}"}},
                    UpdateExpression="SET v = :new",
                    ExpressionAttributeValues={":new": {"S": "new"}},
                )
            updated.set()

        threads = [threading.Thread(target=cancelled_transactions) for _ in range(2)]
        threads.append(threading.Thread(target=updates))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        lost = [
            i
            for i in range(ITEMS)
            if ddb.get_item(TableName=table, Key={"pk": {"S": f"item#{i}"}}, ConsistentRead=True)[
                "Item"
            ]["v"]["S"]
            != "new"
        ]
        assert lost == []
        account = ddb.get_item(TableName=table, Key={"pk": {"S": "account"}})["Item"]
        assert account["n"] == {"N": "1"}  # every transaction was cancelled, none applied
