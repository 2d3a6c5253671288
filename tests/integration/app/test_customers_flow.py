"""Customers on the embedded cloud from template.yaml: the buyer's billing data reaches the
customer record through the bus (CustomerEventsFunction), the stamped invoice joins their history,
the invoice email honours the customer's notify list, and a mass update and an export run through
the jobs queue and worker."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from postventa.domain.accounts import Principal, Role
from postventa.domain.customers import CustomerData, CustomerQuery
from tests.support.builders import VALID_FORM
from tests.support.http import wait_for

from .conftest import App, sample

pytestmark = pytest.mark.integration

OWNER = Principal("demo", Role.OWNER, "user", "sub", "vendedor@tienda-demo.example")


def test_a_buyers_data_makes_their_customer_and_the_invoice_goes_to_the_notify_list(
    app: App,
) -> None:
    from postventa.services import customers

    # The seller already had this customer, with someone else to notify of invoices.
    customers.create(
        OWNER,
        CustomerData(
            tipo_persona="moral",
            nombre="ESCUELA KEMPER URGATE",
            rfc="EKU9003173C9",
            emails_notificar=["contabilidad@kemper.example"],
        ),
        app.adapters,
    )
    app.post_webhook(sample())
    app.drain()
    app.form_post(app.link_token(), VALID_FORM)
    app.wait_status("facturada")

    store = app.adapters.customers
    record: Any = wait_for(
        lambda: (c := store.get("demo", "1")) is not None and c.invoice_count == 1 and c,
        timeout=20,
        what="the invoice on the customer",
    )
    assert record.regimen_fiscal == "601" and record.uso_cfdi == "G03"
    assert record.email == VALID_FORM["email"]  # the form's email became the primary one
    [order] = store.orders("demo", "1")
    assert (order.invoice_folio, order.order_number) == ("DEMO1", "#2001")
    wanted = {(VALID_FORM["email"],), ("contabilidad@kemper.example",)}
    wait_for(
        lambda: {tuple(m.to) for m in app.emails() if "Tu factura" in m.subject} == wanted,
        timeout=20,
        what="the invoice to the buyer and a copy to the notify address",
    )
    by = [e.by for e in store.audit("demo", "1")]
    assert by == [customers.FORM, "vendedor@tienda-demo.example"]


def test_a_mass_update_and_an_export_run_through_the_jobs_queue(app: App) -> None:
    from postventa.services import customer_jobs, customers
    from tests.support.builders import moral_rfc

    adapters = app.adapters
    for n in range(3):
        customers.create(
            OWNER,
            CustomerData(
                tipo_persona="moral", nombre=f"EMPRESA {n}", rfc=moral_rfc(n), zona="Norte"
            ),
            adapters,
        )
    job = customer_jobs.start_mass_update(
        OWNER,
        customer_jobs.Target(None, CustomerQuery(zona="norte")),
        customer_jobs.MassChanges(vendedor="Ana"),
        adapters,
    )
    app.drain()
    done = adapters.customers.get_job("demo", job.job_id)
    assert done is not None and (done.status, done.updated) == ("terminado", 3)
    assert all(
        c.vendedor == "Ana" for c in customers.search("demo", CustomerQuery(), adapters).customers
    )

    export = customer_jobs.start_export(OWNER, CustomerQuery(vendedor="ana"), adapters)
    app.drain()
    finished = adapters.customers.get_job("demo", export.job_id)
    assert finished is not None and finished.file_key and finished.processed == 3
    bucket = app.cloud.stack.buckets["DocumentsBucket"]
    body = app.cloud.client("s3").get_object(Bucket=bucket, Key=finished.file_key)["Body"].read()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["EMPRESA 0", "EMPRESA 1", "EMPRESA 2"]
    [mail] = [m for m in app.emails() if "lista de clientes" in m.subject]
    assert mail.to == ["vendedor@tienda-demo.example"]
    assert f"/panel/exportaciones/{export.job_id}" in mail.text
