"""Mass updates (a preview first, no undo, one audit entry per customer, safe to re-run after a
crash halfway) and CSV exports (exact columns, BOM, streamed, emailed)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from postventa.domain.accounts import Principal, Role
from postventa.domain.customers import CustomerData, CustomerQuery
from postventa.errors import BadRequestError
from postventa.services import customer_jobs, customers
from tests.support import builders
from tests.support.fakes import FakeAdapters

OWNER = Principal("tienda", Role.OWNER, "user", "sub-1", "duena@tienda.example")


def _seed(adapters: FakeAdapters, count: int, **changes: Any) -> list[str]:
    ids = []
    for n in range(count):
        data = CustomerData.model_validate(
            {
                "tipo_persona": "moral",
                "nombre": f"EMPRESA {n:03d}",
                "rfc": builders.moral_rfc(n + 1000 * len(adapters.customers.records)),
                "regimen_fiscal": "601",
                "zona": "Norte",
                **changes,
            }
        )
        ids.append(customers.create(OWNER, data, adapters).customer_id)
    adapters.clock.advance(seconds=1)
    return ids


def queued(adapters: FakeAdapters) -> list[str]:
    """The customers' jobs queue (its messages, in order)."""
    return adapters.jobs.sent.setdefault("customer", [])


def _run(adapters: FakeAdapters, time_left: int = 900_000) -> None:
    """What CustomerJobsFunction does with each queued message, until the queue is empty."""
    while queued(adapters):
        message = customer_jobs.JobMessage.model_validate_json(queued(adapters).pop(0))
        customer_jobs.run(message, adapters, time_left_ms=lambda: time_left)


def test_the_preview_shows_before_and_after_and_who_is_skipped(adapters: FakeAdapters) -> None:
    ids = _seed(adapters, 3)
    target = customer_jobs.Target(ids, CustomerQuery())
    changes = customer_jobs.MassChanges(vendedor="Ana", uso_cfdi="D01")  # D01 not for 601
    preview = customer_jobs.preview(OWNER, target, changes, adapters)
    assert preview.count == 3 and not preview.capped
    customer, _, reason = preview.samples[0]
    assert customer.customer_id == ids[0]
    assert "no aplica al régimen 601" in reason
    fine = customer_jobs.preview(OWNER, target, customer_jobs.MassChanges(vendedor="Ana"), adapters)
    assert [(c.campo, c.antes, c.despues) for c in fine.samples[0][1]] == [("vendedor", "", "Ana")]
    assert adapters.customers.get("tienda", ids[0]).vendedor == ""  # nothing saved


def test_the_preview_refuses_an_empty_change_or_selection(adapters: FakeAdapters) -> None:
    ids = _seed(adapters, 1)
    with pytest.raises(BadRequestError):
        customer_jobs.preview(
            OWNER, customer_jobs.Target(ids, CustomerQuery()), customer_jobs.MassChanges(), adapters
        )
    with pytest.raises(BadRequestError):
        customer_jobs.preview(
            OWNER,
            customer_jobs.Target([], CustomerQuery()),
            customer_jobs.MassChanges(zona="Sur"),
            adapters,
        )


def test_a_filtered_mass_update_changes_each_customer_once_with_its_own_audit_entry(
    adapters: FakeAdapters,
) -> None:
    _seed(adapters, 130)
    _seed(adapters, 2, zona="Sur")
    target = customer_jobs.Target(None, CustomerQuery(zona="norte"))
    preview = customer_jobs.preview(
        OWNER, target, customer_jobs.MassChanges(zona="Centro"), adapters
    )
    assert preview.count == 130
    job = customer_jobs.start_mass_update(
        OWNER, target, customer_jobs.MassChanges(zona="Centro"), adapters
    )
    assert json.loads(queued(adapters)[0]) == {
        "tenant_id": "tienda",
        "job_id": job.job_id,
    }
    _run(adapters)
    done = adapters.customers.get_job("tienda", job.job_id)
    assert done is not None and done.status == "terminado"
    assert (done.updated, done.unchanged, done.skipped) == (130, 0, 0)
    centre = customers.search("tienda", CustomerQuery(zona="centro"), adapters, limit=500)
    assert len(centre.customers) == 130
    entry = adapters.customers.audit("tienda", centre.customers[0].customer_id)[0]
    assert (entry.action, entry.change_id, entry.by) == (
        "cambio_masivo",
        job.job_id,
        "duena@tienda.example",
    )


def test_a_crash_halfway_and_a_rerun_change_nobody_twice_and_miss_nobody(
    adapters: FakeAdapters,
) -> None:
    ids = _seed(adapters, 150)
    job = customer_jobs.start_mass_update(
        OWNER,
        customer_jobs.Target(None, CustomerQuery()),
        customer_jobs.MassChanges(vendedor="Ana"),
        adapters,
    )
    message = queued(adapters).pop(0)
    real_save = adapters.customers.save
    saved = {"n": 0}

    def dies_after_40(*args: Any) -> str:
        saved["n"] += 1
        if saved["n"] > 40:
            raise RuntimeError("the function was killed")
        return real_save(*args)

    adapters.customers.save = dies_after_40  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        customer_jobs.run(
            customer_jobs.JobMessage.model_validate_json(message),
            adapters,
            time_left_ms=lambda: 900_000,
        )
    adapters.customers.save = real_save  # type: ignore[method-assign]
    queued(adapters).append(message)  # SQS redelivers the message
    _run(adapters)
    done = adapters.customers.get_job("tienda", job.job_id)
    assert done is not None and done.status == "terminado" and done.updated == 150
    for customer_id in ids:
        entries = [
            e for e in adapters.customers.audit("tienda", customer_id) if e.change_id == job.job_id
        ]
        assert len(entries) == 1, customer_id
        assert adapters.customers.get("tienda", customer_id).vendedor == "Ana"


def test_a_long_update_continues_in_another_step_when_time_runs_out(
    adapters: FakeAdapters,
) -> None:
    _seed(adapters, 250)
    job = customer_jobs.start_mass_update(
        OWNER,
        customer_jobs.Target(None, CustomerQuery()),
        customer_jobs.MassChanges(activo=False),
        adapters,
    )
    message = customer_jobs.JobMessage.model_validate_json(queued(adapters).pop(0))
    partial = customer_jobs.run(message, adapters, time_left_ms=lambda: 1_000)
    assert partial is not None and partial.status == "en_curso" and partial.processed == 100
    assert len(queued(adapters)) == 1  # the next step is queued
    _run(adapters)
    done = adapters.customers.get_job("tienda", job.job_id)
    assert done is not None and done.updated == 250
    assert customers.search("tienda", CustomerQuery(), adapters).customers == []


def test_customers_a_change_cannot_fit_are_skipped_and_said(adapters: FakeAdapters) -> None:
    ids = _seed(adapters, 2)
    job = customer_jobs.start_mass_update(
        OWNER,
        customer_jobs.Target(ids, CustomerQuery()),
        customer_jobs.MassChanges(uso_cfdi="D01"),
        adapters,
    )
    _run(adapters)
    done = adapters.customers.get_job("tienda", job.job_id)
    assert done is not None and done.skipped == 2 and done.updated == 0
    assert done.problems[0].startswith(f"Cliente {ids[0]}: El uso D01 no aplica")


def test_an_export_has_the_exact_columns_a_bom_and_is_emailed(adapters: FakeAdapters) -> None:
    adapters.tenants.put(builders.tenant())
    _seed(adapters, 3, observaciones='=HYPERLINK("http://x")', telefono="55 1234 5678")
    job = customer_jobs.start_export(OWNER, CustomerQuery(), adapters)
    _run(adapters)
    done = adapters.customers.get_job("tienda", job.job_id)
    assert done is not None and done.status == "terminado" and done.processed == 3
    data = adapters.exports.objects[str(done.file_key)]
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [
        "ID cliente",
        "Nombre",
        "Observaciones",
        "E-mail",
        "Teléfono",
        "Teléfono celular",
        "Dirección",
        "Colonia",
        "Zona",
        "RFC",
        "Ciudad",
        "Estado",
        "Facturación habilitada",
        "Régimen fiscal",
        "Uso CFDI",
        "Número de facturas impagas",
        "Balance de facturas impagas",
        "Pasarelas de pago",
        "Creado el",
        "Última modificación",
    ]
    assert rows[1][:3] == ["1", "EMPRESA 000", '\'=HYPERLINK("http://x")']
    assert rows[1][12:17] == ["Sí", "601", "", "0", "0.00"]
    [email] = adapters.mailer.sent
    assert email.to == "duena@tienda.example"
    assert f"/panel/exportaciones/{job.job_id}" in email.text


def test_an_export_writes_a_page_at_a_time(adapters: FakeAdapters) -> None:
    _seed(adapters, 1200)
    job = customer_jobs.start_export(OWNER, CustomerQuery(), adapters)
    _run(adapters)
    [writer] = adapters.exports.writers
    done = adapters.customers.get_job("tienda", job.job_id)
    assert done is not None and done.processed == 1200
    assert len(writer.parts) >= 4  # header, then pages of 500
    assert writer.largest_write < 500 * 400  # one page of rows, never the whole file
