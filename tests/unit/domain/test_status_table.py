"""The status table is the one rule: the state machine's DynamoDB conditions must agree."""

from __future__ import annotations

import json
from pathlib import Path

from postventa.domain.status import (
    BUYER_DATA_SUBMITTED,
    DEADLINE_PASSED,
    TRANSITIONS,
    OrderStatus,
    next_statuses,
)

ASL = Path(__file__).resolve().parents[3] / "infra" / "statemachines" / "invoice_lifecycle.asl.json"


def status_writes(definition: dict) -> dict[str, tuple[set[str], str]]:
    """Every ASL state that sets an order status: {state: (statuses it starts from, target)}."""
    out = {}
    for name, state in definition["States"].items():
        params = state.get("Parameters", {})
        update = params.get("UpdateExpression", "")
        if "#status = " not in update:
            continue
        values = params["ExpressionAttributeValues"]
        target_var = update.split("#status = ")[1].split(",")[0].strip()
        condition = params["ConditionExpression"]
        inside = condition.split("#status IN (")[1].split(")")[0]
        sources = {values[v.strip()]["S"] for v in inside.split(",")}
        out[name] = (sources, values[target_var]["S"])
    return out


def test_every_status_the_state_machine_writes_follows_a_transition_of_the_table() -> None:
    writes = status_writes(json.loads(ASL.read_text(encoding="utf-8")))
    assert writes, "the lifecycle writes at least the deadline transition"
    table = {(frozenset(t.sources), t.target.value) for t in TRANSITIONS}
    for state, (sources, target) in writes.items():
        assert (frozenset(OrderStatus(s) for s in sources), target) in {
            (frozenset(OrderStatus(s) for s in src), tgt) for src, tgt in table
        }, f"{state} moves {sorted(sources)} -> {target}, which the status table does not allow"
    assert writes["MarkForGlobalInvoice"] == (
        {s.value for s in DEADLINE_PASSED.sources},
        DEADLINE_PASSED.target.value,
    )


def test_statuses_that_wait_for_the_buyer_are_the_ones_data_may_arrive_in() -> None:
    waiting = {s for s in OrderStatus if s.awaits_buyer_data}
    assert waiting == set(BUYER_DATA_SUBMITTED.sources)
    assert all(not s.has_buyer_data for s in waiting)


def test_an_order_with_the_buyers_data_waits_for_it_again_only_through_a_correction() -> None:
    from postventa.domain.status import TRANSITIONS

    back = {
        t.name
        for t in TRANSITIONS
        if t.target.awaits_buyer_data and any(s.has_buyer_data for s in t.sources)
    }
    assert back == {"seller_rejected_data", "pac_rejected_data"}
    assert OrderStatus.CORRECTION in next_statuses(OrderStatus.STAMPING)


def test_transition_names_are_unique() -> None:
    names = [t.name for t in TRANSITIONS]
    assert len(names) == len(set(names))


def test_a_failed_billing_request_ends_in_error_as_the_table_says() -> None:
    from postventa.domain.status import BILLING_REQUEST_FAILED

    writes = status_writes(json.loads(ASL.read_text(encoding="utf-8")))
    assert writes["RecordBillingRequestFailure"] == (
        {s.value for s in BILLING_REQUEST_FAILED.sources},
        BILLING_REQUEST_FAILED.target.value,
    )


def test_every_status_can_be_reached_and_every_status_but_the_last_ones_can_be_left() -> None:
    reached = {t.target for t in TRANSITIONS} | {OrderStatus.RECEIVED}
    assert reached == set(OrderStatus)
    final = {s for s in OrderStatus if not next_statuses(s)}
    assert final == {OrderStatus.CANCELLED}


def test_a_sale_in_a_global_invoice_gets_its_own_invoice_only_after_leaving_the_global() -> None:
    from postventa.domain.status import LATE_REQUEST_RECEIVED, REMOVED_FROM_GLOBAL

    # No move takes an order out of `en_factura_global` straight into invoicing: a late
    # request waits in `solicitud_tardia` until the global is re-issued without the sale.
    assert next_statuses(OrderStatus.IN_GLOBAL_INVOICE) == {OrderStatus.LATE_REQUEST}
    assert LATE_REQUEST_RECEIVED.sources == {OrderStatus.IN_GLOBAL_INVOICE}
    assert REMOVED_FROM_GLOBAL.target is OrderStatus.DATA_RECEIVED


def test_a_rejected_or_refused_cancellation_or_substitute_leaves_the_order_invoiced() -> None:
    from postventa.domain.status import (
        CANCELLATION_FAILED,
        CANCELLATION_REJECTED,
        SUBSTITUTION_FAILED,
    )

    for transition in (CANCELLATION_REJECTED, CANCELLATION_FAILED, SUBSTITUTION_FAILED):
        assert transition.target is OrderStatus.INVOICED
