"""Folio accounts and reservations in DynamoDB: a folio is spent exactly once per stamped invoice.

- The account (`T#{tenant}`, `FOLIOS`) holds `available` and `next_number` (the next CFDI Folio).
- A reservation (`{order}`, `FOLIO`) holds the order's Folio number and its state; a CFDI that
  is not an order's first invoice (a global invoice's CFDI, a substitute) has its own
  (`T#{tenant}#FOLIO#{document}`, `FOLIO`), by the same rules.

Reserving is one transaction that takes a folio from the account and writes the reservation, with
an optimistic check on `next_number` (two orders racing for the last folio: one wins, the other
reads the account again and finds none). A retry or a duplicate of the same order finds its live
reservation and takes nothing more. Releasing gives the folio back in one transaction with the
reservation's change of state, so a folio is never both returned and spent.
"""

from __future__ import annotations

from typing import Any

from postventa.domain.clock import iso
from postventa.domain.invoices import DocumentRef, FolioAccount, FolioReservation, FolioState
from postventa.domain.ports import Clock, FolioHolder
from postventa.storage import keys
from postventa.storage.table import conditional, is_conditional_failure

_MAX_RACES = 20


def _cancelled_reasons(exc: BaseException) -> list[str]:
    response = getattr(exc, "response", None) or {}
    if response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    return [str(r.get("Code", "None")) for r in response.get("CancellationReasons", [])]


class DynamoFolios:
    """(Transactions go through the table resource's client, which serializes plain values.)"""

    def __init__(self, table: Any, clock: Clock) -> None:
        self._table = table
        self._client = table.meta.client
        self._name = table.name
        self._clock = clock

    def account(self, tenant_id: str) -> FolioAccount | None:
        item = self._table.get_item(Key=keys.folio_account_key(tenant_id), ConsistentRead=True).get(
            "Item"
        )
        if not item:
            return None
        return FolioAccount(available=int(item["available"]), next_number=int(item["next_number"]))

    def reservation(self, ref: FolioHolder) -> FolioReservation | None:
        item = self._table.get_item(Key=self._reservation_key(ref), ConsistentRead=True).get("Item")
        if not item:
            return None
        return FolioReservation(number=int(item["number"]), state=FolioState(item["state"]))

    def reserve(self, ref: FolioHolder) -> FolioReservation | None:
        for _ in range(_MAX_RACES):
            current = self.reservation(ref)
            if current is not None and current.state is not FolioState.RELEASED:
                return current
            account = self.account(ref.tenant_id)
            if account is None or account.available <= 0:
                return None
            number = account.next_number
            try:
                self._client.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": self._name,
                                "Key": keys.folio_account_key(ref.tenant_id),
                                "UpdateExpression": "SET available = available - :one, "
                                "next_number = next_number + :one",
                                "ConditionExpression": "next_number = :n AND available > :zero",
                                "ExpressionAttributeValues": {":one": 1, ":n": number, ":zero": 0},
                            }
                        },
                        {
                            "Put": {
                                "TableName": self._name,
                                "Item": {
                                    **self._reservation_key(ref),
                                    "type": "folio_reservation",
                                    "tenant_id": ref.tenant_id,
                                    "number": number,
                                    "state": FolioState.RESERVED.value,
                                    "reserved_at": iso(self._clock.now()),
                                },
                                "ConditionExpression": "attribute_not_exists(pk) OR #st = :rel",
                                "ExpressionAttributeNames": {"#st": "state"},
                                "ExpressionAttributeValues": {":rel": FolioState.RELEASED.value},
                            }
                        },
                    ]
                )
            except Exception as exc:
                if not _cancelled_reasons(exc):
                    raise
                continue  # another reservation moved the account, or raced for this order
            return FolioReservation(number=number, state=FolioState.RESERVED)
        raise RuntimeError("folio reservation kept racing; retry later")

    def spend(self, ref: FolioHolder) -> None:
        try:
            self._table.update_item(
                Key=self._reservation_key(ref),
                UpdateExpression="SET #st = :spent, spent_at = :at",
                ConditionExpression="#st IN (:reserved, :spent)",
                ExpressionAttributeNames={"#st": "state"},
                ExpressionAttributeValues={
                    ":spent": FolioState.SPENT.value,
                    ":reserved": FolioState.RESERVED.value,
                    ":at": iso(self._clock.now()),
                },
            )
        except Exception as exc:
            if is_conditional_failure(exc):
                raise ValueError("no folio reserved for this order") from None
            raise

    def release(self, ref: FolioHolder) -> None:
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._name,
                            "Key": self._reservation_key(ref),
                            "UpdateExpression": "SET #st = :rel",
                            "ConditionExpression": "#st = :reserved",
                            "ExpressionAttributeNames": {"#st": "state"},
                            "ExpressionAttributeValues": {
                                ":rel": FolioState.RELEASED.value,
                                ":reserved": FolioState.RESERVED.value,
                            },
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._name,
                            "Key": keys.folio_account_key(ref.tenant_id),
                            "UpdateExpression": "SET available = available + :one",
                            "ExpressionAttributeValues": {":one": 1},
                        }
                    },
                ]
            )
        except Exception as exc:
            if _cancelled_reasons(exc):
                return  # nothing reserved (never, or already released or spent)
            raise

    def add(self, tenant_id: str, count: int) -> FolioAccount:
        if count <= 0:
            raise ValueError("count must be positive")
        attrs = self._table.update_item(
            Key=keys.folio_account_key(tenant_id),
            UpdateExpression="SET available = if_not_exists(available, :zero) + :n, "
            "next_number = if_not_exists(next_number, :one), #t = :type, tenant_id = :tid "
            "REMOVE empty_noticed_at",
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues={
                ":zero": 0,
                ":n": count,
                ":one": 1,
                ":type": "folio_account",
                ":tid": tenant_id,
            },
            ReturnValues="ALL_NEW",
        )["Attributes"]
        return FolioAccount(
            available=int(attrs["available"]), next_number=int(attrs["next_number"])
        )

    def notice_empty_once(self, tenant_id: str) -> bool:
        return conditional(
            lambda: self._table.update_item(
                Key=keys.folio_account_key(tenant_id),
                UpdateExpression="SET empty_noticed_at = :at",
                ConditionExpression="attribute_not_exists(empty_noticed_at)",
                ExpressionAttributeValues={":at": iso(self._clock.now())},
            )
        )

    @staticmethod
    def _reservation_key(ref: FolioHolder) -> dict[str, str]:
        if isinstance(ref, DocumentRef):
            return keys.document_folio_key(ref.tenant_id, ref.document)
        return keys.folio_reservation_key(ref.tenant_id, ref.channel, ref.order_id)
