"""The billing form service: what a link shows, and taking the buyer's data exactly once."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from postventa.domain.clock import epoch
from postventa.domain.status import BILLING_REQUEST_FAILED, DEADLINE_PASSED, OrderStatus
from postventa.services.billing_form import (
    ClosedBecause,
    CrossOriginRejected,
    DataReceived,
    FormToFill,
    LinkExpired,
    LinkNotFound,
    MalformedPost,
    show_form,
    submit_form,
)
from postventa.services.fiscal_form import RfcConfirmation
from tests.support import builders
from tests.support.builders import VALID_FORM
from tests.support.fakes import FakeAdapters

DAY = 24 * 3600


@pytest.fixture
def token(adapters: FakeAdapters) -> str:
    """An order asked for its data, with a link valid for seven days."""
    order = builders.order()
    adapters.orders.add(order)
    return adapters.links.create(
        order.ref, task_token="tt-1", expires_at=epoch(adapters.clock.now()) + 7 * DAY
    )


def submit(adapters: FakeAdapters, token: str, data: dict[str, str] | None = None) -> object:
    """Post as the buyer's browser does: the fields and the csrf token of the page it showed."""
    link = adapters.links.find(token)
    csrf = link.csrf_token() if link else ""
    body = urlencode({**(data if data is not None else VALID_FORM), "csrf": csrf})
    return submit_form(token, body, same_origin=True, adapters=adapters)


def test_an_open_link_shows_the_form_with_the_buyers_email(
    adapters: FakeAdapters, token: str
) -> None:
    outcome = show_form(token, adapters)
    assert isinstance(outcome, FormToFill)
    assert outcome.values["email"] == "comprador@example.com"
    assert outcome.seller_name == "Tienda de Barro" and outcome.errors == {}


def test_an_unknown_token_is_not_found(adapters: FakeAdapters) -> None:
    assert isinstance(show_form("x" * 43, adapters), LinkNotFound)


def test_valid_data_is_stored_and_completes_the_lifecycle_task_with_only_a_reference(
    adapters: FakeAdapters, token: str
) -> None:
    outcome = submit(adapters, token)
    assert outcome == DataReceived("#1001", "compras@kemper.example", just_now=True)
    record = adapters.orders.get(builders.order().ref)
    assert record is not None and record.status is OrderStatus.DATA_RECEIVED
    assert record.fiscal_data is not None and record.fiscal_data["rfc"] == "EKU9003173C9"
    [(task_token, output)] = adapters.lifecycle.completed
    assert task_token == "tt-1"
    assert set(output) == {"tenant_id", "channel", "order_id", "billing_data_at"}


def test_a_second_submit_is_told_the_data_was_already_received_and_changes_nothing(
    adapters: FakeAdapters, token: str
) -> None:
    submit(adapters, token)
    other = {**VALID_FORM, "email": "otra@example.com"}
    again = submit(adapters, token, other)
    assert isinstance(again, DataReceived) and not again.just_now
    assert again.email == "compras@kemper.example"
    assert len(adapters.lifecycle.completed) == 1
    assert isinstance(show_form(token, adapters), DataReceived)


def test_invalid_data_returns_the_form_with_each_error_beside_its_field(
    adapters: FakeAdapters, token: str
) -> None:
    outcome = submit(adapters, token, {**VALID_FORM, "rfc": "XYZ", "email": ""})
    assert isinstance(outcome, FormToFill)
    assert set(outcome.errors) >= {"rfc", "email"}
    assert outcome.values["rfc"] == "XYZ"
    assert adapters.lifecycle.completed == []


def test_a_post_from_another_origin_is_rejected_and_nothing_is_recorded(
    adapters: FakeAdapters, token: str
) -> None:
    outcome = submit_form(token, urlencode(VALID_FORM), same_origin=False, adapters=adapters)
    assert isinstance(outcome, CrossOriginRejected)
    assert adapters.lifecycle.completed == []


def test_an_expired_link_says_so(adapters: FakeAdapters, token: str) -> None:
    adapters.clock.advance(days=8)
    assert isinstance(show_form(token, adapters), LinkExpired)
    assert isinstance(submit(adapters, token), LinkExpired)


def test_after_the_deadline_the_link_still_takes_a_late_request_and_says_which_case_applies(
    adapters: FakeAdapters, token: str
) -> None:
    adapters.orders.apply(builders.order().ref, DEADLINE_PASSED)
    page = show_form(token, adapters)
    assert isinstance(page, FormToFill) and page.late == "antes_de_la_global"


def test_data_arriving_after_the_lifecycle_stopped_waiting_sends_the_order_to_global(
    adapters: FakeAdapters, token: str
) -> None:
    adapters.lifecycle.closed_tokens.add("tt-1")
    assert isinstance(submit(adapters, token), LinkExpired)
    record = adapters.orders.get(builders.order().ref)
    assert record is not None and record.status is OrderStatus.GLOBAL


def test_a_failure_while_recording_leaves_the_link_open_for_another_try(
    adapters: FakeAdapters, token: str
) -> None:
    adapters.orders.fail_next_apply = RuntimeError("DynamoDB no responde")
    with pytest.raises(RuntimeError):
        submit(adapters, token)
    assert isinstance(show_form(token, adapters), FormToFill)
    assert isinstance(submit(adapters, token), DataReceived)


def test_a_submission_that_died_half_way_does_not_lock_the_buyer_out(
    adapters: FakeAdapters, token: str
) -> None:
    link = adapters.links.find(token)
    assert link is not None
    adapters.links.claim(link, epoch(adapters.clock.now()))  # a crash right after the claim
    assert isinstance(show_form(token, adapters), DataReceived)  # in flight: we are on it
    adapters.clock.advance(minutes=6)
    assert isinstance(show_form(token, adapters), FormToFill)
    outcome = submit(adapters, token)
    assert isinstance(outcome, DataReceived) and outcome.just_now


def test_a_post_without_the_pages_csrf_token_is_rejected(
    adapters: FakeAdapters, token: str
) -> None:
    for csrf in ("", "0" * 64):
        body = urlencode({**VALID_FORM, "csrf": csrf})
        outcome = submit_form(token, body, same_origin=True, adapters=adapters)
        assert isinstance(outcome, CrossOriginRejected)
    assert adapters.lifecycle.completed == []


def test_a_post_with_more_fields_than_our_form_is_malformed_not_a_crash(
    adapters: FakeAdapters, token: str
) -> None:
    body = urlencode({f"campo{i}": "x" for i in range(25)})
    assert isinstance(submit_form(token, body, same_origin=True, adapters=adapters), MalformedPost)


# ---------------------------------------------------------------- choices and confirmation
def test_the_empty_form_offers_every_regimen_and_no_payroll_or_payment_uso(
    adapters: FakeAdapters, token: str
) -> None:
    outcome = show_form(token, adapters)
    assert isinstance(outcome, FormToFill)
    assert "601" in outcome.choices.regimenes and "605" in outcome.choices.regimenes
    assert "CN01" not in outcome.choices.usos and "CP01" not in outcome.choices.usos


def test_a_rejected_post_narrows_the_lists_to_the_rfc_typed(
    adapters: FakeAdapters, token: str
) -> None:
    outcome = submit(adapters, token, {**VALID_FORM, "regimen_fiscal": "605"})
    assert isinstance(outcome, FormToFill)
    assert list(outcome.errors) == ["regimen_fiscal"]  # one mistake, one message
    assert "605" not in outcome.choices.regimenes and "601" in outcome.choices.regimenes
    assert outcome.values["regimen_fiscal"] == "605"  # what was typed stays


def test_a_check_digit_off_blocks_until_the_buyer_confirms_and_the_confirmation_is_kept(
    adapters: FakeAdapters, token: str
) -> None:
    typed = {**VALID_FORM, "rfc": "EKU9003173C8"}
    warned = submit(adapters, token, typed)
    assert isinstance(warned, FormToFill)
    assert warned.rfc_confirmation is RfcConfirmation.OFFERED
    assert "dígito verificador" in warned.errors["rfc"][0]
    assert adapters.lifecycle.completed == []

    confirmed = submit(adapters, token, {**typed, "rfc_confirmado": "EKU9003173C8"})
    assert isinstance(confirmed, DataReceived) and confirmed.just_now
    record = adapters.orders.get(builders.order().ref)
    assert record is not None and record.fiscal_data is not None
    assert record.fiscal_data["rfc"] == "EKU9003173C8"
    assert record.fiscal_data["rfc_confirmado"] is True


def test_an_rfc_without_warning_is_recorded_as_not_needing_confirmation(
    adapters: FakeAdapters, token: str
) -> None:
    submit(adapters, token)
    record = adapters.orders.get(builders.order().ref)
    assert record is not None and record.fiscal_data is not None
    assert record.fiscal_data["rfc_confirmado"] is False
    assert set(record.fiscal_data) == {*VALID_FORM, "rfc_confirmado"}


# ---------------------------------------------------------------- why a link is closed
def test_an_expired_link_says_the_deadline_passed_and_when(
    adapters: FakeAdapters, token: str
) -> None:
    link = adapters.links.find(token)
    assert link is not None
    adapters.clock.advance(days=8)
    outcome = show_form(token, adapters)
    assert outcome == LinkExpired(ClosedBecause.DEADLINE, link.expires_at)


def test_past_the_deadline_before_any_global_holds_the_sale_the_buyer_may_still_ask(
    adapters: FakeAdapters, token: str
) -> None:
    # Decision 0015: no global invoice includes the sale yet, so it is invoiced on its own.
    adapters.orders.apply(builders.order().ref, DEADLINE_PASSED)
    outcome = show_form(token, adapters)
    assert isinstance(outcome, FormToFill) and outcome.late == "antes_de_la_global"


def test_an_order_stopped_in_error_says_so_instead_of_a_deadline(
    adapters: FakeAdapters, token: str
) -> None:
    adapters.orders.apply(builders.order().ref, BILLING_REQUEST_FAILED)
    outcome = show_form(token, adapters)
    assert outcome == LinkExpired(ClosedBecause.STOPPED)


def test_the_link_shows_the_invoices_progress_and_once_stamped_its_files(
    adapters: FakeAdapters, token: str
) -> None:
    from postventa.domain.invoices import Invoice
    from postventa.domain.status import FOLIO_RESERVED, STAMPED
    from postventa.services.billing_form import Progress

    submit(adapters, token)
    ref = builders.order().ref
    assert show_form(token, adapters).progress is Progress.RECEIVED  # type: ignore[union-attr]
    adapters.orders.apply(ref, FOLIO_RESERVED)
    later = show_form(token, adapters)
    assert isinstance(later, DataReceived) and later.progress is Progress.IN_PROGRESS
    assert later.downloads == ()
    invoice = Invoice(
        uuid="U-1",
        serie="T",
        folio="7",
        total="599.00",
        currency="MXN",
        xml_key="invoices/tienda/shopify/1001/U-1.xml",
        pdf_key="invoices/tienda/shopify/1001/U-1.pdf",
        stamped_at="2026-11-20T16:00:00.000Z",
        pac="sandbox",
        test_stamp=True,
    )
    adapters.orders.apply(ref, STAMPED, extra={"invoice": invoice})
    done = show_form(token, adapters)
    assert isinstance(done, DataReceived) and done.progress is Progress.INVOICED
    assert [label for label, _ in done.downloads] == ["Descargar XML", "Descargar PDF"]
    assert "descarga=T7.pdf" in done.downloads[1][1] and "vence=900" in done.downloads[1][1]
