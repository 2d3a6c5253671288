"""Work on many customers at once, in the background (CustomerJobsFunction, one SQS message per
step): mass updates and CSV exports.

A mass update changes the selected customers (or every one a search finds), one audit entry per
customer keyed by the job (its time and id): a step that dies halfway and runs again finds the
entries it wrote and skips those customers, so nothing is changed twice and nothing is missed.
There is no undo: the panel says so before the seller confirms.

An export streams the customers a search finds into a CSV in the documents bucket (UTF-8 with a
BOM, so Excel shows accents), one page at a time, and emails the person who asked a link to the
panel's download page (which requires their session).
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from postventa.domain.accounts import Principal
from postventa.domain.clock import iso
from postventa.domain.customers import (
    Customer,
    CustomerJob,
    CustomerQuery,
    FieldChange,
    diff,
    problems,
)
from postventa.domain.ports import Adapters
from postventa.errors import BadRequestError, NotFoundError
from postventa.observability import logger
from postventa.services import customers as customer_service

#: Customers changed per step (each is one transaction); a step saves its progress after each.
STEP_SIZE = 100
#: A step stops and queues the next one when the function has less time left than this.
SAFETY_MS = 60_000
MAX_SELECTED = 500
MAX_PROBLEMS_KEPT = 50
PREVIEW_SAMPLE = 20
#: The preview counts the customers a search finds up to this many (then says "more than").
PREVIEW_COUNT_CAP = 5_000


class MassChanges(BaseModel):
    """What a mass update sets; a field left out (None) stays as each customer has it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    zona: str | None = Field(None, max_length=60)
    vendedor: str | None = Field(None, max_length=80)
    cobrador: str | None = Field(None, max_length=80)
    facturacion_habilitada: bool | None = None
    uso_cfdi: str | None = Field(None, max_length=4)
    forma_pago: str | None = Field(None, max_length=2)
    metodo_pago: Literal["", "PUE", "PPD"] | None = None
    avisar_factura: bool | None = None
    avisar_pago: bool | None = None
    activo: bool | None = None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


def apply_changes(
    customer: Customer, changes: dict[str, Any]
) -> tuple[Any, bool, list[FieldChange], str]:
    """The customer's data and active flag after the changes, what differs, and why the result
    cannot be saved ("" when it can)."""
    fields = {k: v for k, v in changes.items() if k != "activo"}
    data = customer.data().model_copy(update=fields)
    active = changes.get("activo", customer.active)
    before = {**customer.data().model_dump(mode="json"), "activo": customer.active}
    after = {**data.model_dump(mode="json"), "activo": active}
    differences = diff(before, {k: after[k] for k in (*fields, "activo")})
    refused = problems(data)
    reason = next(iter(refused.values()), "") if differences else ""
    return data, active, differences, reason


@dataclass(frozen=True)
class Target:
    ids: list[str] | None  # selected customers
    query: CustomerQuery  # else every customer this search finds


def target_customers(
    tenant_id: str, target: Target, adapters: Adapters, cursor: str | None, limit: int
) -> tuple[list[Customer], str | None]:
    """One step's customers and where the next step starts (None: the end)."""
    if target.ids is not None:
        start = int(cursor or 0)
        chunk = target.ids[start : start + limit]
        found = adapters.customers.get_many(tenant_id, chunk)
        more = start + limit < len(target.ids)
        return found, str(start + limit) if more else None
    page = customer_service.search(
        tenant_id, target.query, adapters, cursor=cursor, limit=limit, max_evaluated=10 * limit
    )
    return page.customers, page.next_cursor


@dataclass(frozen=True)
class MassPreview:
    count: int
    capped: bool
    samples: list[tuple[Customer, list[FieldChange], str]]
    changes: dict[str, Any]


def preview(
    principal: Principal, target: Target, changes: MassChanges, adapters: Adapters
) -> MassPreview:
    """How many customers and, for the first ones, each field before and after (and who would
    be skipped, with the reason) — nothing is saved."""
    given = changes.given()
    if not given:
        raise BadRequestError("Elige al menos un dato para cambiar.")
    if target.ids is not None and not target.ids:
        raise BadRequestError("Selecciona al menos un cliente, o aplica a todos los filtrados.")
    if target.ids is not None and len(target.ids) > MAX_SELECTED:
        raise BadRequestError(f"Selecciona hasta {MAX_SELECTED} clientes a la vez.")
    tenant = principal.tenant_id
    first, cursor = target_customers(tenant, target, adapters, None, PREVIEW_SAMPLE)
    samples = [(c, *_sample(c, given)) for c in first]
    if target.ids is not None:
        return MassPreview(len(target.ids), False, samples, given)
    count, capped = len(first), False
    while cursor is not None:
        more, cursor = target_customers(tenant, target, adapters, cursor, 500)
        count += len(more)
        if count >= PREVIEW_COUNT_CAP:
            capped = True
            break
    return MassPreview(count, capped, samples, given)


def _sample(customer: Customer, changes: dict[str, Any]) -> tuple[list[FieldChange], str]:
    _, _, differences, reason = apply_changes(customer, changes)
    return differences, reason


def _new_job(principal: Principal, kind: Any, adapters: Adapters, **fields: Any) -> CustomerJob:
    job = CustomerJob(
        tenant_id=principal.tenant_id,
        job_id=iso(adapters.clock.now())[:10].replace("-", "") + secrets.token_hex(6),
        kind=kind,
        created_at=iso(adapters.clock.now()),
        created_by=principal.email or "",
        **fields,
    )
    adapters.customers.put_job(job)
    adapters.jobs.send("customer", [json.dumps({"tenant_id": job.tenant_id, "job_id": job.job_id})])
    return job


def start_mass_update(
    principal: Principal, target: Target, changes: MassChanges, adapters: Adapters
) -> CustomerJob:
    """The seller confirmed: the job is queued (no undo)."""
    given = changes.given()
    if not given:
        raise BadRequestError("Elige al menos un dato para cambiar.")
    logger.info("mass update queued", extra={"fields": sorted(given)})
    return _new_job(
        principal,
        "cambio_masivo",
        adapters,
        ids=target.ids,
        query=target.query,
        changes=given,
    )


def start_export(principal: Principal, query: CustomerQuery, adapters: Adapters) -> CustomerJob:
    if not principal.email:
        raise BadRequestError("La exportación se envía por correo a una persona.")
    logger.info("customer export queued")
    return _new_job(principal, "exportacion", adapters, query=query)


def job_of(principal: Principal, job_id: str, adapters: Adapters) -> CustomerJob:
    job = adapters.customers.get_job(principal.tenant_id, job_id) if job_id.isalnum() else None
    if job is None:
        raise NotFoundError("Ese trabajo no existe.")
    return job


# ---------------------------------------------------------------- the worker
class JobMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: str
    job_id: str


def run(message: JobMessage, adapters: Adapters, *, time_left_ms: Any) -> CustomerJob | None:
    """One step of a job (SQS redelivers it if the function dies: a step is safe to repeat)."""
    job = adapters.customers.get_job(message.tenant_id, message.job_id)
    if job is None or job.status in ("terminado", "fallido"):
        return job
    if job.kind == "exportacion":
        return _export(job, adapters)
    return _mass_update_step(job, adapters, time_left_ms)


def _mass_update_step(job: CustomerJob, adapters: Adapters, time_left_ms: Any) -> CustomerJob:
    target = Target(job.ids, job.query or CustomerQuery())
    job = job.model_copy(update={"status": "en_curso"})
    while True:
        batch, cursor = target_customers(job.tenant_id, target, adapters, job.cursor, STEP_SIZE)
        counts = {"updated": 0, "unchanged": 0, "skipped": 0}
        found_problems: list[str] = []
        for customer in batch:
            outcome = _apply(job, customer, adapters)
            if outcome.startswith("omitido:"):
                counts["skipped"] += 1
                found_problems.append(f"Cliente {customer.customer_id}: {outcome[8:]}")
            else:
                counts[outcome] += 1
        job = job.model_copy(
            update={
                "cursor": cursor,
                "processed": job.processed + len(batch),
                "updated": job.updated + counts["updated"],
                "unchanged": job.unchanged + counts["unchanged"],
                "skipped": job.skipped + counts["skipped"],
                "problems": (job.problems + found_problems)[:MAX_PROBLEMS_KEPT],
            }
        )
        if cursor is None:
            job = job.model_copy(
                update={"status": "terminado", "finished_at": iso(adapters.clock.now())}
            )
            adapters.customers.put_job(job)
            logger.info("mass update finished", extra={"updated": job.updated})
            return job
        adapters.customers.put_job(job)
        if time_left_ms() < SAFETY_MS:
            adapters.jobs.send(
                "customer", [json.dumps({"tenant_id": job.tenant_id, "job_id": job.job_id})]
            )
            return job


def _apply(job: CustomerJob, customer: Customer, adapters: Adapters) -> str:
    """updated / unchanged / omitido:<reason>; an entry of this job already there is updated."""
    data, active, differences, reason = apply_changes(customer, job.changes)
    if not differences:
        # Already as wanted: by this very job (a step that died after saving it), or before.
        done_here = adapters.customers.has_audit_entry(
            job.tenant_id, customer.customer_id, job.created_at, job.job_id
        )
        return "updated" if done_here else "unchanged"
    if reason:
        return "omitido:" + reason
    try:
        customer_service.save_change(
            job.created_by or "cambio masivo",
            customer,
            data,
            differences,
            adapters,
            action="cambio_masivo",
            at=job.created_at,
            change_id=job.job_id,
            active=active,
        )
    except customer_service.CustomerRefusedError as refused:
        return "omitido:" + refused.message
    return "updated"


# ---------------------------------------------------------------- export
COLUMNS = (
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
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """A spreadsheet opens text starting with = + - @ as a formula (CSV injection, OWASP):
    such text gets a leading apostrophe."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def row(customer: Customer) -> list[str]:
    from postventa.web.panel import local_time

    return [
        _cell(v)
        for v in (
            customer.customer_id,
            customer.display_name,
            customer.observaciones,
            customer.email,
            customer.telefono,
            customer.celular,
            customer.calle,
            customer.colonia,
            customer.zona,
            customer.rfc,
            customer.ciudad,
            customer.estado,
            "Sí" if customer.facturacion_habilitada else "No",
            customer.regimen_fiscal,
            customer.uso_cfdi,
            str(customer.unpaid_count),
            f"{Decimal(customer.unpaid_total):.2f}",
            ", ".join(customer.payment_gateways),
            local_time(customer.created_at),
            local_time(customer.updated_at),
        )
    ]


def csv_chunks(pages: Iterator[list[Customer]]) -> Iterator[tuple[bytes, int]]:
    """The file's bytes a page at a time, with the page's rows: the BOM and header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8"), 0
    for page in pages:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(row(c) for c in page)
        yield buffer.getvalue().encode("utf-8"), len(page)


def _pages(tenant_id: str, query: CustomerQuery, adapters: Adapters) -> Iterator[list[Customer]]:
    cursor: str | None = None
    while True:
        page = customer_service.search(
            tenant_id, query, adapters, cursor=cursor, limit=500, max_evaluated=5_000
        )
        yield page.customers
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _export(job: CustomerJob, adapters: Adapters) -> CustomerJob:
    from postventa.storage.keys import export_key

    key = export_key(job.tenant_id, job.job_id)
    writer = adapters.exports.open(job.tenant_id, key, "text/csv; charset=utf-8")
    rows = 0
    pages = _pages(job.tenant_id, job.query or CustomerQuery(), adapters)
    try:
        for chunk, count in csv_chunks(pages):
            writer.write(chunk)
            rows += count
        writer.close()
    except Exception:
        writer.abort()
        raise
    job = job.model_copy(
        update={
            "status": "terminado",
            "file_key": key,
            "processed": rows,
            "finished_at": iso(adapters.clock.now()),
        }
    )
    adapters.customers.put_job(job)
    _email_export(job, adapters)
    logger.info("customer export finished", extra={"rows": rows})
    return job


def _email_export(job: CustomerJob, adapters: Adapters) -> None:
    from postventa.messaging.email import render_email

    tenant = adapters.tenants.get(job.tenant_id)
    link = f"{adapters.settings.public_base_url.rstrip('/')}/panel/exportaciones/{job.job_id}"
    adapters.mailer.send(
        render_email(
            "customer_export",
            "Tu lista de clientes está lista",
            job.created_by,
            {
                "store": tenant.name if tenant else job.tenant_id,
                "link": link,
                "rows": job.processed,
            },
        )
    )
