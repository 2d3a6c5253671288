"""Factura global: the period's orders nobody asked to invoice, to PUBLICO EN GENERAL.

Rules (Anexo 20 4.0, Guía de llenado, factura global): InformacionGlobal (Periodicidad 01 diaria,
02 semanal, 03 quincenal, 04 mensual, 05 bimestral; Meses 01-12, or 13-18 for the bimonthly
periods Ene-Feb ... Nov-Dic; Año), receptor XAXX010101000 "PUBLICO EN GENERAL" régimen 616 uso S01
with DomicilioFiscalReceptor = LugarExpedicion; one concepto per operation: ClaveProdServ 01010101,
ClaveUnidad ACT, Cantidad 1, NoIdentificacion = order number, Descripcion "Venta".

Choices (documented, adjustable):
* An order with products at different IVA rates gives one concepto per rate, all with the same
  NoIdentificacion: a traslado's Base must equal its concepto's Importe - Descuento, so one
  concepto cannot carry two rates over different bases.
* Conceptos carry the paid amount (no Descuento): the discount is already inside the sale price.
* Large periods are split into several CFDIs of at most `max_concepts` conceptos (default 250,
  the cap one PAC documents); an order is never split across CFDIs.
* FormaPago of each CFDI is the one that paid the largest amount in it (Guía de llenado: with
  several payment forms, record the one with the greatest amount). MetodoPago PUE.
* Only MXN orders: a global invoice has one Moneda; foreign-currency sales need their own CFDI.

InformacionGlobal rules checked here, as SAT's validation matrix words them: Periodicidad 05
(bimestral) only for an issuer in régimen 621 (CFDI40132); Meses 01-12 for Periodicidad 01-04 and
13-18 for 05 (CFDI40134, CFDI40135); Año the year of Fecha or up to five years before it
(CFDI40136 in the matrix of December 2024; the 2023 Guía de llenado said "the year of Fecha or the
one before", and the matrix is what the PAC enforces: a global re-issued after a motivo-04
cancellation may concern an older period). docs/decisions/0007-fiscal-rules.md.

A per-order invoice to PUBLICO EN GENERAL is a global invoice too (`one_order_global`): SAT
requires InformacionGlobal on every Ingreso to XAXX010101000 named PUBLICO EN GENERAL (CFDI40130).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from postventa.cfdi.build import (
    check_border_vat,
    clean_text,
    comprobante_from_concepts,
    concept_dict,
    keyed_lines,
    missing_fiscal_keys,
)
from postventa.cfdi.errors import InvoiceBuildError, MissingFiscalKeysError
from postventa.cfdi.issuer import CsdCredentials, Issuer, ProductKeys, TaxTreatment
from postventa.cfdi.pac.base import Pac
from postventa.cfdi.relations import Relacion
from postventa.cfdi.timezones import local_fecha
from postventa.cfdi.totals import net_concept, reconcile
from postventa.domain.global_periods import Period, Periodicidad
from postventa.domain.orders import Order

PUBLICO_EN_GENERAL = {
    "Rfc": "XAXX010101000",
    "Nombre": "PUBLICO EN GENERAL",
    "RegimenFiscalReceptor": "616",
    "UsoCFDI": "S01",
}
GLOBAL_KEYS = ProductKeys(clave_prod_serv="01010101", clave_unidad="ACT")
DEFAULT_MAX_CONCEPTS = 250
ZERO = Decimal(0)
REGIMEN_RIF = "621"  # Incorporación Fiscal: the only régimen that may report bimonthly
ANO_YEARS_BACK = 5  # CFDI40136, matrix of December 2024


__all__ = ["Periodicidad"]  # c_Periodicidad lives with the periods (domain/global_periods.py)


@dataclass(frozen=True)
class GlobalPeriod:
    periodicidad: Periodicidad
    meses: str  # "01".."12"; "13".."18" for bimonthly
    ano: int

    def __post_init__(self) -> None:
        valid = (
            {f"{m}" for m in range(13, 19)}
            if self.periodicidad is Periodicidad.BIMESTRAL
            else {f"{m:02d}" for m in range(1, 13)}
        )
        if self.meses not in valid:
            raise InvoiceBuildError(
                "Meses inválido para la periodicidad: use 01-12, o 13-18 para bimestral."
            )
        if self.ano < 2021:  # the CFDI 4.0 schema's lower bound for Año
            raise InvoiceBuildError("Año inválido para la factura global.")

    def check(self, issuer: Issuer, fecha: datetime) -> None:
        """The rules that depend on who issues and when (CFDI40132, CFDI40136)."""
        if self.periodicidad is Periodicidad.BIMESTRAL and issuer.regimen_fiscal != REGIMEN_RIF:
            raise InvoiceBuildError(
                "La periodicidad bimestral (05) de la factura global solo es para el régimen "
                f"621 (Incorporación Fiscal); el emisor está en el régimen "
                f"{issuer.regimen_fiscal}. Usa diaria, semanal, quincenal o mensual.",
                details={"periodicidad": [self.periodicidad.value]},
            )
        if not fecha.year - ANO_YEARS_BACK <= self.ano <= fecha.year:
            raise InvoiceBuildError(
                f"El año {self.ano} de la factura global debe ser el de la fecha de emisión "
                f"({fecha.year}) o uno de los {ANO_YEARS_BACK} anteriores.",
                details={"ano": [str(self.ano)]},
            )

    @classmethod
    def for_month(
        cls, year: int, month: int, periodicidad: Periodicidad = Periodicidad.MENSUAL
    ) -> GlobalPeriod:
        if periodicidad is Periodicidad.BIMESTRAL:
            return cls(periodicidad, str(12 + (month + 1) // 2), year)
        return cls(periodicidad, f"{month:02d}", year)

    @classmethod
    def of(cls, period: Period) -> GlobalPeriod:
        """InformacionGlobal of one of the product's periods (domain/global_periods.py)."""
        return cls(period.periodicidad, period.meses, period.ano)

    @classmethod
    def for_day(cls, day: datetime) -> GlobalPeriod:
        """A daily period (Periodicidad 01): Meses is the day's month."""
        return cls(Periodicidad.DIARIA, f"{day.month:02d}", day.year)

    def as_dict(self) -> dict[str, Any]:
        return {"Periodicidad": self.periodicidad.value, "Meses": self.meses, "Año": self.ano}


@dataclass(frozen=True, slots=True)
class OrderConcepts:
    order_key: str
    number: str
    forma_pago: str
    total: Decimal
    concepts: list[dict[str, Any]]


def order_concepts(order: Order, issuer: Issuer) -> OrderConcepts:
    """The global-invoice conceptos of one order, adding up to order.total_paid."""
    if order.currency != "MXN":
        raise InvoiceBuildError(
            f"El pedido {order.display_number} está en {order.currency}: la factura global "
            "solo incluye ventas en MXN."
        )
    keyed = keyed_lines(order, issuer)
    for item in keyed:
        check_border_vat(issuer, item)
    lines = [item.gross for item in keyed]
    per_tax: dict[TaxTreatment, Decimal] = defaultdict(Decimal)
    for gl, (_, paid) in zip(lines, reconcile(lines, order.total_paid), strict=True):
        per_tax[gl.tax] += paid
    concepts: list[dict[str, Any]] = []
    total = ZERO
    number = clean_text(order.display_number, 100)
    for tax, paid in per_tax.items():
        if paid > 0:
            amounts = net_concept(Decimal(1), paid, paid, tax)
            concepts.append(concept_dict(GLOBAL_KEYS, "Venta", number, amounts))
            total += amounts.total
    if total != order.total_paid:
        raise InvoiceBuildError(f"El pedido {number} no cuadra: {total} != {order.total_paid}")
    return OrderConcepts(
        order.key, number, issuer.forma_pago(order.payment_method), total, concepts
    )


def chunk_orders(
    items: Iterable[OrderConcepts], max_concepts: int
) -> Iterator[list[OrderConcepts]]:
    """Greedy split: at most `max_concepts` conceptos per CFDI, never splitting an order."""
    if max_concepts < 1:
        raise ValueError("max_concepts must be >= 1")
    batch: list[OrderConcepts] = []
    size = 0
    for item in items:
        n = len(item.concepts)
        if batch and size + n > max_concepts:
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += n
    if batch:
        yield batch


def _forma_pago(batch: Sequence[OrderConcepts]) -> str:
    by_form: dict[str, Decimal] = defaultdict(Decimal)
    for item in batch:
        by_form[item.forma_pago] += item.total
    return max(by_form.items(), key=lambda kv: (kv[1], kv[0]))[0]


@dataclass(frozen=True)
class GlobalInvoiceDraft:
    comprobante: Any  # satcfdi Comprobante, unsealed
    order_keys: list[str]
    total: Decimal


def global_concepts(orders: Sequence[Order], issuer: Issuer) -> list[OrderConcepts]:
    """Every order's conceptos, in order; MissingFiscalKeysError names every SKU without keys."""
    missing = missing_fiscal_keys(orders, issuer)
    if missing:
        raise MissingFiscalKeysError(missing)
    return [order_concepts(o, issuer) for o in orders]


def build_global_invoice(
    batch: Sequence[OrderConcepts],
    issuer: Issuer,
    period: GlobalPeriod,
    folio: int,
    fecha: datetime | None = None,
    *,
    relacionados: Sequence[Relacion] = (),
) -> GlobalInvoiceDraft:
    """One unsealed global CFDI of the orders in `batch` (one chunk of `chunk_orders`)."""
    if not batch:
        raise InvoiceBuildError("No hay pedidos para la factura global.")
    when = local_fecha(issuer.lugar_expedicion, fecha)
    period.check(issuer, when)
    receptor = dict(PUBLICO_EN_GENERAL, DomicilioFiscalReceptor=issuer.lugar_expedicion)
    concepts = [c for item in batch for c in item.concepts]
    expected = sum((item.total for item in batch), ZERO)
    comprobante = comprobante_from_concepts(
        issuer=issuer,
        receptor=receptor,
        concepts=concepts,
        folio=folio,
        fecha=when,
        forma_pago=_forma_pago(batch),
        informacion_global=period.as_dict(),
        relacionados=relacionados,
    )
    if comprobante["Total"] != expected:
        raise InvoiceBuildError(
            f"La factura global no cuadra: {comprobante['Total']} != {expected}."
        )
    return GlobalInvoiceDraft(comprobante, [i.order_key for i in batch], expected)


def build_global_invoices(
    orders: Sequence[Order],
    issuer: Issuer,
    period: GlobalPeriod,
    first_folio: int,
    fecha: datetime | None = None,
    *,
    max_concepts: int = DEFAULT_MAX_CONCEPTS,
    relacionados: Sequence[Relacion] = (),
) -> list[GlobalInvoiceDraft]:
    """Unsealed global CFDIs (folios first_folio, first_folio + 1, ...) covering every order."""
    if not orders:
        raise InvoiceBuildError("No hay pedidos para la factura global.")
    when = local_fecha(issuer.lugar_expedicion, fecha)
    period.check(issuer, when)
    items = global_concepts(orders, issuer)
    return [
        build_global_invoice(
            batch, issuer, period, first_folio + n, when, relacionados=relacionados
        )
        for n, batch in enumerate(chunk_orders(items, max_concepts))
    ]


def one_order_global(
    order: Order,
    issuer: Issuer,
    folio: int,
    fecha: datetime | None = None,
    *,
    relacionados: Sequence[Relacion] = (),
) -> Any:
    """The unsealed invoice of one order to PUBLICO EN GENERAL: a daily global invoice
    (Periodicidad 01, Meses and Año of the day the order was paid, at LugarExpedicion) whose
    conceptos follow the global rules. Whoever stamps it must keep the order out of the
    periodic global invoice, as for any invoiced order."""
    paid_day = local_fecha(issuer.lugar_expedicion, order.paid_at)
    period = GlobalPeriod.for_day(paid_day)
    [draft] = build_global_invoices(
        [order], issuer, period, folio, fecha, relacionados=relacionados
    )
    return draft.comprobante


@dataclass(frozen=True)
class StampedGlobalInvoice:
    uuid: str
    xml: bytes
    folio: int
    total: Decimal
    order_keys: list[str]


def stamp_global_invoices(
    orders: Sequence[Order],
    issuer: Issuer,
    csd: CsdCredentials,
    pac: Pac,
    period: GlobalPeriod,
    first_folio: int,
    fecha: datetime | None = None,
    *,
    max_concepts: int = DEFAULT_MAX_CONCEPTS,
) -> list[StampedGlobalInvoice]:
    """Build, seal, XSD-check, check against SAT's validation matrix (MatrixRejectionError
    sends nothing) and stamp every global CFDI of the period."""
    from lxml import etree

    from postventa.cfdi import xsd
    from postventa.cfdi.seal import seal_to_xml, signer_from_credentials
    from postventa.cfdi.stamping import stamp_xml

    drafts = build_global_invoices(
        orders, issuer, period, first_folio, fecha, max_concepts=max_concepts
    )
    signer = signer_from_credentials(csd)
    stamped: list[StampedGlobalInvoice] = []
    for draft in drafts:
        element = seal_to_xml(draft.comprobante, signer)
        xsd.validate(element)
        xml = etree.tostring(element, xml_declaration=True, encoding="UTF-8")
        result = stamp_xml(xml, pac, element=element)
        stamped.append(
            StampedGlobalInvoice(
                result.uuid,
                result.xml,
                int(draft.comprobante["Folio"]),
                draft.total,
                draft.order_keys,
            )
        )
    return stamped
