"""Polling channels that send no notifications (Liverpool, Mirakl's OR11), decision 0016.

An EventBridge schedule (every 5 minutes) fans out one message per tenant with the channel
connected; each message polls that tenant. Mirakl recommends OR11 every 5 minutes and allows it
at most once a minute: a tenant's poll takes a lease with a minimum interval (storage's
`start_poll`), so overlapping runs, redelivered messages and a hand-fired schedule never poll a
tenant twice within a minute.

No order missed or doubled:
- the window is open-ended: `start_update_date` = the cursor minus an overlap, no end date, so an
  order updated while we page only joins the set (offset pages can show it twice, never skip
  one: orders are sorted by creation and never leave an open window);
- the cursor moves only when a run read every page (to when that run started); a run that stops
  half way (an error, the Lambda's time) keeps its progress as the same window and the offset it
  reached, and the next run continues from there;
- every paid order is queued once: its id is remembered (the webhook dedupe) and the order key
  is stored once (ingest), whichever run or page sees it again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel

from postventa.channels.liverpool import POLL_TOPIC, is_paid
from postventa.channels.registry import get_adapter
from postventa.channels.tokens import ConnectionBrokenError
from postventa.domain.clock import iso, parse_iso
from postventa.domain.orders import Channel
from postventa.domain.ports import Adapters
from postventa.observability import logger
from postventa.services.webhooks import queue_delivery

POLLED_CHANNELS = (Channel.LIVERPOOL,)
MIN_INTERVAL_SECONDS = 60
LEASE_SECONDS = 280  # a little under the poller's 300 s timeout
OVERLAP = timedelta(minutes=2)
# Stop asking for pages this long before the function's time runs out.
SAFETY_SECONDS = 20.0
# The first poll looks this far back (orders paid before the seller connected are not ours to
# chase beyond a month).
FIRST_LOOKBACK = timedelta(days=30)


class PollRequest(BaseModel):
    tenant_id: str
    channel: Channel


class Cursor(BaseModel):
    """Where a tenant's polling stands: the window's start, how far into it a run got (0: the
    window was read whole) and when the run that opened it started."""

    since: str
    offset: int = 0
    run_started: str | None = None


@dataclass(frozen=True)
class PollOutcome:
    polled: bool
    reason: str  # completo | parcial | ocupado | conexion_rota
    pages: int = 0
    seen: int = 0
    queued: int = 0


def fan_out(adapters: Adapters, send: Callable[[str], None]) -> int:
    """One poll request per tenant with a polled channel connected."""
    count = 0
    for channel in POLLED_CHANNELS:
        for connection in adapters.connections.connected(channel.value):
            send(PollRequest(tenant_id=connection.tenant_id, channel=channel).model_dump_json())
            count += 1
    logger.info("poll requests sent", extra={"count": count})
    return count


def poll_tenant(
    request: PollRequest, adapters: Adapters, remaining_seconds: Callable[[], float]
) -> PollOutcome:
    tenant_id, channel = request.tenant_id, request.channel.value
    holder = uuid.uuid4().hex
    if not adapters.connections.start_poll(
        tenant_id, channel, holder, LEASE_SECONDS, MIN_INTERVAL_SECONDS
    ):
        return PollOutcome(False, "ocupado")
    state = adapters.connections.poll_state(tenant_id, channel)
    now = adapters.clock.now()
    cursor = (
        Cursor.model_validate_json(state.cursor)
        if state.cursor
        else Cursor(since=iso(now - FIRST_LOOKBACK))
    )
    run_started = cursor.run_started if cursor.offset else iso(now)
    since = iso(parse_iso(cursor.since) - OVERLAP) if not cursor.offset else cursor.since
    adapter = get_adapter(channel)
    offset, pages, seen, queued = cursor.offset, 0, 0, 0
    try:
        api = adapters.marketplaces.client(tenant_id, channel)
        while True:
            if remaining_seconds() < SAFETY_SECONDS:
                partial = Cursor(since=since, offset=offset, run_started=run_started)
                adapters.connections.finish_poll(
                    tenant_id, channel, holder, partial.model_dump_json()
                )
                return PollOutcome(True, "parcial", pages, seen, queued)
            page = api.orders(updated_since=since, offset=offset)
            orders = [o for o in page.get("orders") or [] if isinstance(o, dict)]
            pages += 1
            seen += len(orders)
            for order in orders:
                if not is_paid(order):
                    continue
                text = json.dumps(order, ensure_ascii=False)
                delivery = adapter.classify(order, {})
                delivery = delivery.model_copy(update={"delivery_id": str(order.get("order_id"))})
                outcome = queue_delivery(
                    adapter, tenant_id, delivery, text, text.encode("utf-8"), adapters
                )
                queued += int(outcome.queued)
            offset += len(orders)
            total = int(page.get("total_count") or 0)
            if not orders or offset >= total:
                break
    except ConnectionBrokenError:
        adapters.connections.finish_poll(tenant_id, channel, holder, None)
        return PollOutcome(False, "conexion_rota", pages, seen, queued)
    done = Cursor(since=run_started or iso(now))
    adapters.connections.finish_poll(tenant_id, channel, holder, done.model_dump_json())
    logger.info(
        "channel polled",
        extra={"channel": channel, "pages": pages, "seen": seen, "queued": queued},
    )
    return PollOutcome(True, "completo", pages, seen, queued)


__all__ = ["POLL_TOPIC", "Cursor", "PollOutcome", "PollRequest", "fan_out", "poll_tenant"]
