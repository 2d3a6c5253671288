"""What the seller API shows and changes of the global invoice: the tenant's settings, its runs
and their CFDIs with download links (the tenant comes from the API key, never from the path)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from postventa.domain.global_invoices import GlobalCfdi, GlobalRun
from postventa.domain.global_periods import Periodicidad
from postventa.domain.ports import Adapters
from postventa.domain.tenants import GlobalInvoiceSettings
from postventa.errors import BadRequestError, NotFoundError
from postventa.formatting import period_es

# Download links work this long (a person clicks them right away), as for orders.
DOWNLOAD_LINK_SECONDS = 15 * 60
REGIMEN_RIF = "621"  # the only régimen that may report bimonthly (matrix CFDI40132)


class RunsQuery(BaseModel):
    """GET /api/v1/global-invoices query string."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=100)
    cursor: str | None = Field(None, min_length=1, max_length=1024)


class SettingsBody(BaseModel):
    """PUT /api/v1/global-invoice-settings."""

    model_config = ConfigDict(extra="forbid")

    periodicidad: Periodicidad
    max_conceptos: int | None = Field(None, ge=1, le=100_000)
    dias_solicitud_tardia: int | None = Field(None, ge=0, le=365)


def show_settings(tenant_id: str, adapters: Adapters) -> dict[str, Any]:
    tenant = adapters.tenants.get(tenant_id)
    if tenant is None:
        raise NotFoundError("Tienda no encontrada.")
    return _settings_view(tenant.global_invoice)


def save_settings(tenant_id: str, body: SettingsBody, adapters: Adapters) -> dict[str, Any]:
    """New periods follow the new settings; a period already closed keeps its global invoice."""
    tenant = adapters.tenants.get(tenant_id)
    if tenant is None:
        raise NotFoundError("Tienda no encontrada.")
    regimen = tenant.issuer.regimen_fiscal if tenant.issuer else None
    if body.periodicidad is Periodicidad.BIMESTRAL and regimen != REGIMEN_RIF:
        raise BadRequestError(
            "La periodicidad bimestral (05) de la factura global solo es para el régimen 621 "
            "(Incorporación Fiscal).",
            details={"periodicidad": ["Usa 01 diaria, 02 semanal, 03 quincenal o 04 mensual."]},
        )
    settings = GlobalInvoiceSettings(
        periodicity=body.periodicidad,
        max_concepts=body.max_conceptos,
        late_request_days=body.dias_solicitud_tardia,
    )
    adapters.tenants.put(tenant.model_copy(update={"global_invoice": settings}))
    return _settings_view(settings)


def _settings_view(settings: GlobalInvoiceSettings) -> dict[str, Any]:
    return {
        "periodicidad": settings.periodicity.value,
        "max_conceptos": settings.max_concepts,
        "dias_solicitud_tardia": settings.late_request_days,
    }


def list_runs(
    tenant_id: str, adapters: Adapters, *, limit: int = 50, cursor: str | None = None
) -> dict[str, Any]:
    page = adapters.global_invoices.list_runs(tenant_id, limit, cursor)
    body: dict[str, Any] = {"facturas_globales": [_run_view(r) for r in page.runs]}
    if page.next_cursor:
        body["next_cursor"] = page.next_cursor
    return body


def get_run(tenant_id: str, period: str, seq: str, adapters: Adapters) -> dict[str, Any]:
    run = adapters.global_invoices.get_run(tenant_id, f"{period}#{seq}")
    if run is None:
        raise NotFoundError("Factura global no encontrada.")
    view = _run_view(run)
    view["cfdis"] = [
        _cfdi_view(c, adapters) for c in adapters.global_invoices.cfdis(tenant_id, run.run_id)
    ][: run.cfdi_count]
    return view


def _run_view(run: GlobalRun) -> dict[str, Any]:
    period, _, seq = run.run_id.partition("#")
    view: dict[str, Any] = {
        "periodo": period,
        "ejecucion": seq,
        "descripcion": period_es(run.first_day, run.last_day),
        "periodicidad": run.periodicity.value,
        "estado": "error" if run.error_code else run.state.value,
        "paso": run.state.value,
        "cfdis": run.cfdi_count,
        "pedidos": run.order_count,
        "total": run.total,
        "emitida": run.issued_at,
    }
    if run.error_code:
        view["error"] = {
            "codigo": run.error_code,
            "motivo": run.error_reason,
            "accion": run.error_action,
            "desde": run.error_at,
        }
    if run.replaces is not None:
        view["sustituye"] = {
            "uuid": run.replaces.uuid,
            "pedidos_retirados": [r.order_id for r in run.replaces.removed],
        }
    return view


def _cfdi_view(cfdi: GlobalCfdi, adapters: Adapters) -> dict[str, Any]:
    view: dict[str, Any] = {
        "indice": cfdi.index,
        "estado": cfdi.state.value,
        "pedidos": cfdi.order_count,
        "total": cfdi.total,
        "serie": cfdi.serie,
        "folio": cfdi.folio,
        "uuid": cfdi.uuid,
        "prueba": cfdi.test_stamp,
    }
    if cfdi.replaced_by:
        view["sustituida_por"] = cfdi.replaced_by.partition("#")[2]
    name = f"{cfdi.serie}{cfdi.folio}" if cfdi.folio else str(cfdi.uuid)
    downloads = {
        kind: adapters.documents.download_url(
            cfdi.tenant_id, key, f"{name}.{kind}", DOWNLOAD_LINK_SECONDS
        )
        for kind, key in (("xml", cfdi.xml_key), ("pdf", cfdi.pdf_key))
        if key
    }
    if downloads:
        view["descargas"] = {**downloads, "vencen_en_segundos": DOWNLOAD_LINK_SECONDS}
    return view
