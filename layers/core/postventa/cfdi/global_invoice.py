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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from postventa.cfdi.build import (
    clean_text,
    comprobante_from_concepts,
    concept_dict,
    keyed_lines,
    missing_fiscal_keys,
)
from postventa.cfdi.errors import InvoiceBuildError, MissingFiscalKeysError
from postventa.cfdi.issuer import CsdCredentials, Issuer, ProductKeys, TaxTreatment
from postventa.cfdi.pac.base import Pac
from postventa.cfdi.timezones import local_fecha
from postventa.cfdi.totals import net_concept, reconcile
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


class Periodicidad(StrEnum):
    DIARIA = "01"
    SEMANAL = "02"
    QUINCENAL = "03"
    MENSUAL = "04"
    BIMESTRAL = "05"


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
        if not 2021 <= self.ano <= 2100:
            raise InvoiceBuildError("Año inválido para la factura global.")

    @classmethod
    def for_month(
        cls, year: int, month: int, periodicidad: Periodicidad = Periodicidad.MENSUAL
    ) -> GlobalPeriod:
        if periodicidad is Periodicidad.BIMESTRAL:
            return cls(periodicidad, str(12 + (month + 1) // 2), year)
        return cls(periodicidad, f"{month:02d}", year)

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


def build_global_invoices(
    orders: Sequence[Order],
    issuer: Issuer,
    period: GlobalPeriod,
    first_folio: int,
    fecha: datetime | None = None,
    *,
    max_concepts: int = DEFAULT_MAX_CONCEPTS,
) -> list[GlobalInvoiceDraft]:
    """Unsealed global CFDIs (folios first_folio, first_folio + 1, ...) covering every order."""
    if not orders:
        raise InvoiceBuildError("No hay pedidos para la factura global.")
    missing = missing_fiscal_keys(orders, issuer)
    if missing:
        raise MissingFiscalKeysError(missing)
    items = [order_concepts(o, issuer) for o in orders]
    when = local_fecha(issuer.lugar_expedicion, fecha)
    receptor = dict(PUBLICO_EN_GENERAL, DomicilioFiscalReceptor=issuer.lugar_expedicion)
    drafts: list[GlobalInvoiceDraft] = []
    for n, batch in enumerate(chunk_orders(items, max_concepts)):
        concepts = [c for item in batch for c in item.concepts]
        expected = sum((item.total for item in batch), ZERO)
        comprobante = comprobante_from_concepts(
            issuer=issuer,
            receptor=receptor,
            concepts=concepts,
            folio=first_folio + n,
            fecha=when,
            forma_pago=_forma_pago(batch),
            informacion_global=period.as_dict(),
        )
        if comprobante["Total"] != expected:
            raise InvoiceBuildError(
                f"La factura global no cuadra: {comprobante['Total']} != {expected}."
            )
        drafts.append(GlobalInvoiceDraft(comprobante, [i.order_key for i in batch], expected))
    return drafts


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
    """Build, seal, XSD-check and stamp every global CFDI of the period."""
    from lxml import etree

    from postventa.cfdi import xsd
    from postventa.cfdi.seal import seal_to_xml, signer_from_credentials

    drafts = build_global_invoices(
        orders, issuer, period, first_folio, fecha, max_concepts=max_concepts
    )
    signer = signer_from_credentials(csd)
    stamped: list[StampedGlobalInvoice] = []
    for draft in drafts:
        element = seal_to_xml(draft.comprobante, signer)
        xsd.validate(element)
        result = pac.stamp(etree.tostring(element, xml_declaration=True, encoding="UTF-8"))
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
