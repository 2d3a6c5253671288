"""The self-invoice portal: a buyer without the link finds the order by store, number and exact
total; a wrong guess learns nothing and guessing is slowed down."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from postventa.domain.clock import epoch
from postventa.domain.orders import Channel
from postventa.domain.status import (
    BILLING_REQUEST_FAILED,
    BILLING_REQUESTED,
    BUYER_DATA_SUBMITTED,
    DEADLINE_PASSED,
    FOLIO_RESERVED,
    INCLUDED_IN_GLOBAL,
    STAMPED,
)
from postventa.domain.tenants import GlobalInvoiceSettings
from postventa.services.billing_form import (
    ClosedBecause,
    DataReceived,
    FormToFill,
    LateRequestClosed,
    LinkExpired,
    show_form,
)
from postventa.services.self_invoice import (
    MAX_FAILURES_PER_ADDRESS,
    MAX_FAILURES_PER_STORE,
    WINDOW_SECONDS,
    AlreadyInvoiced,
    FormReady,
    LookupForm,
    LookupRejected,
    NotAskedYet,
    Store,
    TooManyLookups,
    csrf_for,
    find_order,
    lookup_form,
)
from postventa.web.billing_pages import lookup_page
from tests.support import builders
from tests.support.builders import VALID_FORM
from tests.support.fakes import FakeAdapters

DAY = 24 * 3600
COOKIE = csrf_for(None)
RIGHT = {"tienda": "tienda", "pedido": "#1001", "total": "599.00"}


@pytest.fixture
def asked(adapters: FakeAdapters) -> str:
    """Order #1001 ($599.00) asked for its data: its emailed link, valid for three days."""
    order = builders.order()
    adapters.orders.add(order)
    adapters.orders.apply(order.ref, BILLING_REQUESTED)
    return adapters.links.create(
        order.ref, task_token="tt-1", expires_at=epoch(adapters.clock.now()) + 3 * DAY
    )


def look(adapters: Any, fields: dict[str, str], *, ip: str = "10.0.0.1", **changes: Any) -> object:
    """Post the lookup form as the buyer's browser does (cookie and field carry one token)."""
    options: dict[str, Any] = {"csrf_cookie": COOKIE, "same_origin": True, **changes}
    body = urlencode({**fields, "csrf": options.pop("csrf", COOKIE)})
    return find_order(body, source_ip=ip, adapters=adapters, **options)


# ---------------------------------------------------------------- finding the order
@pytest.mark.parametrize(
    ("pedido", "total"),
    [("#1001", "599.00"), ("1001", "$599"), (" # 1001", "599.0 MXN"), ("1001", "599,00")],
)
def test_the_right_store_number_and_total_open_a_fresh_link_to_the_same_form(
    adapters: FakeAdapters, asked: str, pedido: str, total: str
) -> None:
    outcome = look(adapters, {**RIGHT, "pedido": pedido, "total": total})
    assert isinstance(outcome, FormReady)
    fresh, emailed = adapters.links.find(outcome.token), adapters.links.find(asked)
    assert fresh is not None and emailed is not None and outcome.token != asked
    assert fresh.task_token == emailed.task_token  # it answers the same lifecycle task
    assert fresh.expires_at == emailed.expires_at  # the portal never extends the deadline
    form = show_form(outcome.token, adapters)
    assert isinstance(form, FormToFill) and form.order.display_number == "#1001"


def test_no_such_order_and_a_wrong_total_get_the_same_answer_by_the_same_work(
    adapters: FakeAdapters, asked: str
) -> None:
    answers, work = [], []
    for fields in ({**RIGHT, "pedido": "#9999"}, {**RIGHT, "total": "598.99"}):
        spy = Spy(adapters)
        outcome = look(spy, fields)
        answers.append(outcome)
        work.append(spy.calls)
        page = lookup_page(outcome)  # type: ignore[arg-type]
        assert page.status_code == 404
    unknown, wrong_total = answers
    assert isinstance(unknown, LookupForm) and unknown.not_found
    assert isinstance(wrong_total, LookupForm) and wrong_total.not_found
    assert unknown.errors == wrong_total.errors == {}
    assert lookup_page(unknown).html.replace("9999", "1001") == lookup_page(
        wrong_total
    ).html.replace("598.99", "599.00")
    assert work[0] == work[1]
    assert ("orders", "find_by_number") in work[0]
    assert ("orders", "get") not in work[0]  # the totals come with the lookup by number


def test_what_was_typed_is_kept_when_nothing_matches(adapters: FakeAdapters, asked: str) -> None:
    outcome = look(adapters, {**RIGHT, "total": "600"})
    assert isinstance(outcome, LookupForm)
    assert outcome.values == {**RIGHT, "total": "600"}
    assert outcome.stores == [Store("tienda", "Tienda de Barro")]


def test_another_stores_order_with_the_same_number_and_total_is_not_found(
    adapters: FakeAdapters,
) -> None:
    adapters.tenants.put(builders.tenant("otra", name="Otra Tienda"))
    adapters.orders.add(builders.order(tenant_id="otra"))
    outcome = look(adapters, RIGHT)
    assert isinstance(outcome, LookupForm) and outcome.not_found


def test_the_same_number_on_two_channels_is_told_apart_by_the_total(
    adapters: FakeAdapters, asked: str
) -> None:
    other = builders.order(channel=Channel.WOOCOMMERCE, total_paid="250.00")
    adapters.orders.add(other)
    adapters.orders.apply(other.ref, BILLING_REQUESTED)
    adapters.links.create(
        other.ref, task_token="tt-woo", expires_at=epoch(adapters.clock.now()) + DAY
    )
    outcome = look(adapters, {**RIGHT, "total": "250"})
    assert isinstance(outcome, FormReady)
    link = adapters.links.find(outcome.token)
    assert link is not None and link.ref == other.ref


# ---------------------------------------------------------------- what applies otherwise
def test_an_order_whose_data_is_in_says_so_without_a_new_link(
    adapters: FakeAdapters, asked: str
) -> None:
    order = builders.order()
    adapters.orders.apply(order.ref, BUYER_DATA_SUBMITTED, extra={"fiscal_data": {**VALID_FORM}})
    created = len(adapters.links.created)
    outcome = look(adapters, RIGHT)
    assert outcome == DataReceived("#1001", VALID_FORM["email"], just_now=False)
    assert len(adapters.links.created) == created


def test_an_invoiced_order_says_it_is_invoiced(adapters: FakeAdapters, asked: str) -> None:
    ref = builders.order().ref
    adapters.orders.apply(ref, BUYER_DATA_SUBMITTED, extra={"fiscal_data": {**VALID_FORM}})
    adapters.orders.apply(ref, FOLIO_RESERVED)
    adapters.orders.apply(ref, STAMPED)
    assert look(adapters, RIGHT) == AlreadyInvoiced("#1001", VALID_FORM["email"], cancelled=False)


def test_an_order_past_its_deadline_opens_a_late_request_form(
    adapters: FakeAdapters, asked: str
) -> None:
    """Waiting for its period's global (issue 11 #2): the buyer may still ask, and the form the
    portal opens is a new link, not the expired one."""
    adapters.orders.apply(builders.order().ref, DEADLINE_PASSED)
    outcome = look(adapters, RIGHT)
    assert isinstance(outcome, FormReady) and outcome.token != asked


def test_an_order_in_a_global_past_the_sellers_cut_off_is_told_to_contact_the_seller(
    adapters: FakeAdapters, asked: str
) -> None:
    adapters.tenants.put(builders.tenant(global_invoice=GlobalInvoiceSettings(late_request_days=0)))
    ref = builders.order().ref
    adapters.orders.apply(ref, DEADLINE_PASSED)
    adapters.orders.apply(ref, INCLUDED_IN_GLOBAL)
    adapters.clock.advance(days=45)  # past the close of the sale's period, with no days after it
    created = len(adapters.links.created)
    outcome = look(adapters, RIGHT)
    assert isinstance(outcome, LateRequestClosed)
    assert len(adapters.links.created) == created


def test_an_order_whose_link_ran_out_gets_no_new_one(adapters: FakeAdapters, asked: str) -> None:
    adapters.clock.advance(days=4)
    created = len(adapters.links.created)
    outcome = look(adapters, RIGHT)
    link = adapters.links.find(asked)
    assert link is not None
    assert outcome == LinkExpired(ClosedBecause.DEADLINE, link.expires_at)
    assert len(adapters.links.created) == created


def test_an_order_stopped_in_error_is_told_to_ask_the_store(
    adapters: FakeAdapters, asked: str
) -> None:
    adapters.orders.apply(builders.order().ref, BILLING_REQUEST_FAILED)
    assert look(adapters, RIGHT) == LinkExpired(ClosedBecause.STOPPED)


def test_an_order_not_asked_yet_says_so(adapters: FakeAdapters) -> None:
    adapters.orders.add(builders.order())  # received; no billing request (no link) yet
    assert look(adapters, RIGHT) == NotAskedYet("#1001")


# ---------------------------------------------------------------- guessing is slowed down
def test_failed_lookups_from_one_address_are_limited_then_refused_with_retry_after(
    adapters: FakeAdapters, asked: str
) -> None:
    for _ in range(MAX_FAILURES_PER_ADDRESS):
        assert isinstance(look(adapters, {**RIGHT, "total": "1"}), LookupForm)
    refused = look(adapters, RIGHT)  # even the right answer, from this address, for now
    assert isinstance(refused, TooManyLookups)
    assert 0 < refused.retry_after <= WINDOW_SECONDS
    page = lookup_page(refused)
    assert page.status_code == 429 and page.headers["Retry-After"] == str(refused.retry_after)
    assert isinstance(look(adapters, RIGHT, ip="10.0.0.2"), FormReady)  # another address
    adapters.clock.advance(seconds=refused.retry_after)
    assert isinstance(look(adapters, RIGHT), FormReady)  # the next window


def test_failed_lookups_against_one_store_are_limited_across_addresses(
    adapters: FakeAdapters, asked: str
) -> None:
    for i in range(MAX_FAILURES_PER_STORE):
        look(adapters, {**RIGHT, "total": "1"}, ip=f"10.1.{i // 250}.{i % 250}")
    assert isinstance(look(adapters, RIGHT, ip="10.9.9.9"), TooManyLookups)


def test_a_found_order_and_a_mistyped_entry_are_not_counted_as_guesses(
    adapters: FakeAdapters, asked: str
) -> None:
    for _ in range(MAX_FAILURES_PER_ADDRESS + 2):
        assert isinstance(look(adapters, RIGHT), FormReady)
        outcome = look(adapters, {**RIGHT, "total": "mil"})
        assert isinstance(outcome, LookupForm) and set(outcome.errors) == {"total"}
    assert adapters.limiter.hits == {}


# ---------------------------------------------------------------- not our page, bad entries
@pytest.mark.parametrize(
    "changes",
    [
        {"same_origin": False},
        {"csrf_cookie": None},
        {"csrf": "x" * 43},
        {"csrf": ""},
    ],
    ids=["other-origin", "no-cookie", "other-token", "no-token"],
)
def test_a_lookup_not_posted_from_our_page_is_refused_before_any_lookup(
    adapters: FakeAdapters, asked: str, changes: dict[str, Any]
) -> None:
    outcome = look(adapters, RIGHT, **changes)
    assert isinstance(outcome, LookupRejected)
    assert adapters.orders.number_lookups == 0 and adapters.limiter.hits == {}
    assert lookup_page(outcome).status_code == 403


def test_entries_that_cannot_match_are_explained_per_field_without_a_lookup(
    adapters: FakeAdapters, asked: str
) -> None:
    outcome = look(adapters, {"tienda": "nadie", "pedido": " ", "total": "1.005"})
    assert isinstance(outcome, LookupForm) and not outcome.not_found
    assert set(outcome.errors) == {"tienda", "pedido", "total"}
    assert adapters.orders.number_lookups == 0
    assert lookup_page(outcome).status_code == 422


def test_the_empty_form_lists_the_stores_and_keeps_a_well_formed_cookie(
    adapters: FakeAdapters,
) -> None:
    adapters.tenants.put(builders.tenant("abarrotes", name="Abarrotes Lupita"))
    form = lookup_form(adapters, store="tienda", csrf_cookie=COOKIE)
    assert [s.name for s in form.stores] == ["Abarrotes Lupita", "Tienda de Barro"]
    assert form.values["tienda"] == "tienda" and form.csrf == COOKIE
    other = lookup_form(adapters, store="no-existe", csrf_cookie="<script>")
    assert other.values["tienda"] == "" and other.csrf != "<script>" and len(other.csrf) == 43


class Spy:
    """The adapters, recording every port method called (to compare the work of two paths)."""

    def __init__(self, adapters: FakeAdapters) -> None:
        self._adapters = adapters
        self.calls: list[tuple[str, str]] = []

    def __getattr__(self, port: str) -> Any:
        target = getattr(self._adapters, port)
        if port in ("settings",):
            return target
        return _Recorder(port, target, self.calls)


class _Recorder:
    def __init__(self, port: str, target: Any, calls: list[tuple[str, str]]) -> None:
        self._port, self._target, self._calls = port, target, calls

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._target, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self._calls.append((self._port, name))
            return method(*args, **kwargs)

        return call
