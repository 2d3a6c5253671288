"""Does each channel adapter turn a real payload into the order the buyer paid for, or refuse it
saying why? Each payload goes through the adapter's own `normalize` (Mercado Libre's with an
account whose API answers the saved order resource, and its cart as a pack of that one order,
as the API would), and the outcome is compared with
`expected.json`: 'normalize' (total_paid and currency equal what the payload says was paid),
'refuse' (a PostventaError whose message names the reason; for a foreign currency it must name
the currency, 'moneda' or 'tipo de cambio') or 'not_invoiceable' (the adapter returns None)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

TENANT = "conformance"
_CURRENCY_WORDS = ("moneda", "tipo de cambio")


@dataclass(frozen=True)
class PayloadCheck:
    file: str
    channel: str
    outcome: str  # normalize / refuse / not_invoiceable / error
    ok: bool
    reason: str


def _message(channel: str, body: dict[str, Any], text: str) -> Any:
    from postventa.channels.base import QueuedWebhook

    if channel == "mercadolibre":  # the notification names the order; the adapter fetches it
        seller = (body.get("seller") or {}).get("id")
        text = json.dumps(
            {"resource": f"/orders/{body.get('id')}", "user_id": seller, "topic": "orders_v2"}
        )
    return QueuedWebhook(
        tenant_id=TENANT,
        channel=channel,
        topic="orders/paid" if channel == "shopify" else None,
        body=text,
        received_at=datetime.now(tz=UTC),
    )


class _SavedOrderApi:
    """Mercado Libre's API for one saved order: the order, and its cart (pack) holding it."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.account_id = str((body.get("seller") or {}).get("id"))

    def order(self, order_id: str) -> dict[str, Any]:
        return self.body

    def pack(self, pack_id: str) -> dict[str, Any]:
        return {"id": pack_id, "status": "released", "orders": [{"id": self.body.get("id")}]}

    def billing_info(self, site_id: str, info_id: str) -> dict[str, Any]:
        from postventa.channels.http import ChannelApiError

        raise ChannelApiError("not saved", status=404)


def _context(channel: str, body: dict[str, Any]) -> Any:
    from postventa.channels.base import ChannelContext
    from postventa.domain.orders import Channel

    api = _SavedOrderApi(body)
    return ChannelContext(TENANT, Channel(channel), api=lambda: api)


def _judge(expectation: dict[str, Any], order: Any, refusal: str | None) -> tuple[str, bool, str]:
    paid, currency = Decimal(expectation["paid_total"]), expectation["currency"]
    allowed = expectation["outcomes"]
    if refusal is not None:
        clear = currency.lower() in refusal.lower() or any(
            word in refusal.lower() for word in _CURRENCY_WORDS
        )
        if currency == "MXN":
            clear = bool(refusal.strip())
        ok = "refuse" in allowed and clear
        return "refuse", ok, refusal if clear else f"rechazo sin motivo claro: {refusal}"
    if order is None:
        return "not_invoiceable", "not_invoiceable" in allowed, "el adaptador no lo factura"
    if "normalize" not in allowed:
        return "normalize", False, f"se normalizó, pero se esperaba {' o '.join(allowed)}"
    if order.total_paid != paid or order.currency != currency:
        return (
            "normalize",
            False,
            f"total_paid {order.total_paid} {order.currency}, pagado {paid} {currency}",
        )
    return "normalize", True, f"total_paid {order.total_paid} {order.currency}"


def check_payload(path: Path, expectation: dict[str, Any]) -> PayloadCheck:
    from postventa.errors import PostventaError

    channel = expectation["channel"]
    text = path.read_text(encoding="utf-8")
    body = json.loads(text)
    order, refusal = None, None
    try:
        from postventa.channels.registry import get_adapter

        order = get_adapter(channel).normalize(
            _message(channel, body, text), _context(channel, body)
        )
    except PostventaError as exc:
        refusal = exc.message or type(exc).__name__
    except Exception as exc:  # an adapter bug: reported, never a pass
        return PayloadCheck(path.name, channel, "error", False, f"{type(exc).__name__}: {exc}")
    outcome, ok, reason = _judge(expectation, order, refusal)
    return PayloadCheck(path.name, channel, outcome, ok, reason)


def load_expectations(folder: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return {name: value for name, value in data.items() if not name.startswith("_")}
