"""The audit function takes order events as EventBridge delivers them: Powertools' envelope,
strict (an event the bus could not have sent is refused, not half-recorded)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from postventa.services.audit import OrderEvent


def delivered(**changes: Any) -> dict[str, Any]:
    event = {
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "BillingRequested",
        "source": "postventa",
        "account": "123456789012",
        "time": "2026-11-26T17:05:09Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"tenant_id": "demo", "channel": "shopify", "order_id": "1001"},
    }
    event.update(changes)
    return event


def test_a_whole_envelope_parses_with_its_type_time_and_detail() -> None:
    event = OrderEvent.model_validate(delivered())
    assert event.detail_type == "BillingRequested"
    assert event.time.isoformat() == "2026-11-26T17:05:09+00:00"
    assert event.detail["order_id"] == "1001"


@pytest.mark.parametrize("missing", ["account", "version", "region", "resources", "source"])
def test_an_envelope_missing_a_field_eventbridge_always_sends_is_refused(missing: str) -> None:
    event = delivered()
    del event[missing]
    with pytest.raises(ValidationError, match=missing):
        OrderEvent.model_validate(event)
