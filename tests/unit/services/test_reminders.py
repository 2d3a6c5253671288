"""The daily reminder: once per order, only while the link is open and has a day left."""

from __future__ import annotations

import re

from postventa.domain.clock import epoch
from postventa.domain.status import BILLING_REQUESTED, BUYER_DATA_SUBMITTED, DEADLINE_PASSED
from postventa.services.reminders import send_due_reminders
from tests.support import builders
from tests.support.fakes import FakeAdapters

DAY = 24 * 3600


def asked(adapters: FakeAdapters, order_id: str = "1001", link_days: int = 7, **kw: object) -> str:
    order = builders.order(order_id, **kw)  # type: ignore[arg-type]
    adapters.orders.add(order)
    token = adapters.links.create(
        order.ref,
        task_token=f"tt-{order_id}",
        expires_at=epoch(adapters.clock.now()) + link_days * DAY,
    )
    adapters.orders.apply(order.ref, BILLING_REQUESTED)
    return token


def test_a_buyer_who_did_not_answer_in_two_days_gets_one_reminder_with_a_working_link(
    adapters: FakeAdapters,
) -> None:
    first_token = asked(adapters)
    adapters.clock.advance(days=2, minutes=1)
    report = send_due_reminders(adapters, "tienda")
    assert (report.checked, report.sent) == (1, 1)
    [email] = adapters.mailer.sent
    assert email.to == "comprador@example.com"
    assert email.subject.startswith("Recordatorio:")
    match = re.search(r"/facturar/([A-Za-z0-9_-]{40,})", email.text)
    assert match, email.text
    token = match.group(1)
    assert token != first_token
    link, first = adapters.links.find(token), adapters.links.find(first_token)
    assert link is not None and first is not None
    assert (link.task_token, link.expires_at) == (first.task_token, first.expires_at)
    assert "vence el 27 de noviembre de 2026" in email.text  # the first link's expiry


def test_the_reminder_is_sent_once_however_often_the_job_runs(adapters: FakeAdapters) -> None:
    asked(adapters)
    adapters.clock.advance(days=2, minutes=1)
    send_due_reminders(adapters, "tienda")
    adapters.clock.advance(days=1)
    assert send_due_reminders(adapters, "tienda").sent == 0
    assert len(adapters.mailer.sent) == 1


def test_no_reminder_before_the_tenants_wait_is_over(adapters: FakeAdapters) -> None:
    asked(adapters)
    adapters.clock.advance(days=1, hours=23)
    assert send_due_reminders(adapters, "tienda").sent == 0


def test_no_reminder_when_the_link_has_less_than_a_day_left(adapters: FakeAdapters) -> None:
    asked(adapters, link_days=3)
    adapters.clock.advance(days=2, hours=1)
    assert send_due_reminders(adapters, "tienda").sent == 0


def test_no_reminder_after_the_buyer_answered_or_the_order_went_global(
    adapters: FakeAdapters,
) -> None:
    asked(adapters, "1")
    asked(adapters, "2")
    adapters.orders.apply(builders.order("1").ref, BUYER_DATA_SUBMITTED)
    adapters.orders.apply(builders.order("2").ref, DEADLINE_PASSED)
    adapters.clock.advance(days=3)
    report = send_due_reminders(adapters, "tienda")
    assert report.sent == 0 and adapters.mailer.sent == []


def test_each_tenant_gets_its_own_wait(adapters: FakeAdapters) -> None:
    adapters.tenants.put(builders.tenant("rapida", reminder_after_seconds=3600))
    asked(adapters, "1")
    asked(adapters, "2", tenant_id="rapida")
    adapters.clock.advance(hours=2)
    sent = [send_due_reminders(adapters, t).sent for t in adapters.tenants.list_ids()]
    assert sorted(sent) == [0, 1]
    [email] = adapters.mailer.sent
    assert "#2" in email.subject


def test_the_reminder_is_the_tenants_template_with_recordatorio_set(
    adapters: FakeAdapters,
) -> None:
    from postventa.domain.messages import TemplateBody
    from postventa.services.message_templates import save_template

    save_template(
        "tienda",
        "shopify",
        TemplateBody(
            subject="{% if recordatorio %}Último aviso{% else %}Tu factura{% endif %}: "
            "{{ pedido }}",
            text="{{ comprador }}, pídela antes del {{ fecha_limite }}: {{ liga }}",
        ),
        adapters,
    )
    asked(adapters)
    adapters.clock.advance(days=2, minutes=1)
    assert send_due_reminders(adapters, "tienda").sent == 1
    [email] = adapters.mailer.sent
    assert email.subject == "Último aviso: #1001"
    assert email.text.startswith("Ana López, pídela antes del 27 de noviembre de 2026: https://")


def test_no_reminder_on_a_marketplace_without_a_messenger(adapters: FakeAdapters) -> None:
    from postventa.domain.orders import Channel

    asked(adapters, channel=Channel.MERCADOLIBRE)
    adapters.clock.advance(days=3)
    report = send_due_reminders(adapters, "tienda")
    assert (report.checked, report.sent) == (1, 0) and adapters.mailer.sent == []
