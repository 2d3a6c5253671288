"""Global-invoice runs and their CFDIs in DynamoDB (domain/global_invoices.py).

- A run: `T#{tenant}#GLOBAL`, `RUN#{period key}#{seq}`: one partition per tenant, sorted by
  period, so a period's runs are one Query and the seller's listing reads newest first.
- A run's CFDI: `T#{tenant}#GLOBAL#{run id}`, `CFDI#{index}`.

Which orders each CFDI holds is not here (a period may hold tens of thousands): the run's
manifest is a JSON document per CFDI in the documents bucket (services/global_invoices.py).
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from postventa.domain.global_invoices import GlobalCfdi, GlobalRun, RunState
from postventa.domain.ports import RunPage
from postventa.errors import BadRequestError
from postventa.storage import keys
from postventa.storage.table import conditional, encode_cursor, is_conditional_failure


def _item(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(mode="json", exclude_none=True))


def _run(item: dict[str, Any]) -> GlobalRun:
    return GlobalRun.model_validate(item)


def _start_key(cursor: str, runs_pk: str) -> dict[str, str]:
    """The listing's next page start; refused unless it lies in the caller's own runs."""
    import base64
    import binascii
    import json

    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        key = None
    if (
        not isinstance(key, dict)
        or set(key) != {"pk", "sk"}
        or key["pk"] != runs_pk
        or not str(key["sk"]).startswith(keys.GLOBAL_RUN_PREFIX)
    ):
        raise BadRequestError("El cursor de paginación no es válido.")
    return {"pk": str(key["pk"]), "sk": str(key["sk"])}


class DynamoGlobalInvoices:
    def __init__(self, table: Any) -> None:
        self._table = table

    # ---------------------------------------------------------------- runs
    def create_run(self, run: GlobalRun) -> bool:
        item = {**keys.global_run_key(run.tenant_id, run.run_id), "type": "global_run"}
        return conditional(
            lambda: self._table.put_item(
                Item={**item, **_item(run)}, ConditionExpression="attribute_not_exists(pk)"
            )
        )

    def get_run(self, tenant_id: str, run_id: str) -> GlobalRun | None:
        item = self._table.get_item(
            Key=keys.global_run_key(tenant_id, run_id), ConsistentRead=True
        ).get("Item")
        return _run(item) if item else None

    def runs_of_period(self, tenant_id: str, period_key: str) -> list[GlobalRun]:
        return [
            _run(i)
            for i in self._query(
                Key("pk").eq(keys.global_runs_pk(tenant_id))
                & Key("sk").begins_with(f"{keys.GLOBAL_RUN_PREFIX}{period_key}#")
            )
        ]

    def open_runs(self, tenant_id: str) -> list[GlobalRun]:
        runs = (_run(i) for i in self._query(Key("pk").eq(keys.global_runs_pk(tenant_id))))
        return [r for r in runs if r.has_steps_left]

    def list_runs(self, tenant_id: str, limit: int, cursor: str | None = None) -> RunPage:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(keys.global_runs_pk(tenant_id))
            & Key("sk").begins_with(keys.GLOBAL_RUN_PREFIX),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = _start_key(cursor, keys.global_runs_pk(tenant_id))
        page = self._table.query(**kwargs)
        last = page.get("LastEvaluatedKey")
        return RunPage(
            runs=[_run(i) for i in page.get("Items", [])],
            next_cursor=encode_cursor(last) if last else None,
        )

    def save_run(self, run: GlobalRun, *, expect: RunState | None = None) -> bool:
        item = {**keys.global_run_key(run.tenant_id, run.run_id), "type": "global_run"}
        kwargs: dict[str, Any] = {"Item": {**item, **_item(run)}}
        if expect is not None:
            kwargs["ConditionExpression"] = Attr("state").eq(expect.value)
        return conditional(lambda: self._table.put_item(**kwargs))

    def lease(self, tenant_id: str, run_id: str, *, now: int, seconds: int) -> GlobalRun | None:
        try:
            attrs = self._table.update_item(
                Key=keys.global_run_key(tenant_id, run_id),
                UpdateExpression="SET lease_until = :until",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(lease_until) OR lease_until < :now)",
                ExpressionAttributeValues={":until": now + seconds, ":now": now},
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except Exception as exc:
            if is_conditional_failure(exc):
                return None
            raise
        return _run(attrs)

    def unlease(self, tenant_id: str, run_id: str) -> None:
        self._table.update_item(
            Key=keys.global_run_key(tenant_id, run_id), UpdateExpression="REMOVE lease_until"
        )

    # ---------------------------------------------------------------- CFDIs
    def put_cfdi(self, cfdi: GlobalCfdi) -> None:
        key = keys.global_cfdi_key(cfdi.tenant_id, cfdi.run_id, cfdi.index)
        self._table.put_item(Item={**key, "type": "global_cfdi", **_item(cfdi)})

    def cfdis(self, tenant_id: str, run_id: str) -> list[GlobalCfdi]:
        return [
            GlobalCfdi.model_validate(i)
            for i in self._query(Key("pk").eq(keys.global_cfdi_pk(tenant_id, run_id)))
        ]

    def get_cfdi(self, tenant_id: str, run_id: str, index: int) -> GlobalCfdi | None:
        item = self._table.get_item(
            Key=keys.global_cfdi_key(tenant_id, run_id, index), ConsistentRead=True
        ).get("Item")
        return GlobalCfdi.model_validate(item) if item else None

    def mark_replaced(self, cfdi: GlobalCfdi, by_run: str) -> bool:
        return conditional(
            lambda: self._table.update_item(
                Key=keys.global_cfdi_key(cfdi.tenant_id, cfdi.run_id, cfdi.index),
                UpdateExpression="SET replaced_by = :run",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(replaced_by)",
                ExpressionAttributeValues={":run": by_run},
            )
        )

    def _query(self, condition: Any) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"KeyConditionExpression": condition, "ConsistentRead": True}
        items: list[dict[str, Any]] = []
        while True:
            page = self._table.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
