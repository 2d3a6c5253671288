"""Order -> unsealed CFDI 4.0 Ingreso (satcfdi Comprobante).

Two steps: `plan_invoice` validates and computes every amount with plain Decimal (no satcfdi, no
folio spent: callers may run it before reserving a folio), then `build_invoice` turns the plan into
a satcfdi Comprobante and checks that satcfdi's own sums give back the order's total to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from postventa.cfdi.errors import BorderVatError, InvoiceBuildError, MissingFiscalKeysError
from postventa.cfdi.issuer import Issuer, ProductKeys, TaxTreatment, border_vat_refusal
from postventa.cfdi.relations import Relacion, nodos_relacionados
from postventa.cfdi.rfc import RFC_GENERICO_NACIONAL
from postventa.cfdi.timezones import local_fecha
from postventa.cfdi.totals import ConceptAmounts, GrossLine, decimals_of, net_concept, reconcile
from postventa.domain.orders import Order, OrderLine

if TYPE_CHECKING:
    from satcfdi.create.cfd.cfdi40 import Comprobante

SUPPORTED_CURRENCIES = ("MXN", "USD")
METODO_PAGO_PUE = "PUE"  # every order we invoice is already paid, in one payment
_MAX_EXCHANGE_DECIMALS = 6
_MAX_QUANTITY_DECIMALS = 6


class ReceptorData(Protocol):
    """What the invoice needs from the buyer (postventa.cfdi.receptor.Receptor fits it)."""

    @property
    def rfc(self) -> str: ...
    @property
    def nombre(self) -> str: ...
    @property
    def regimen_fiscal(self) -> str: ...
    @property
    def codigo_postal(self) -> str: ...
    @property
    def uso_cfdi(self) -> str: ...
    @property
    def residencia_fiscal(self) -> str | None: ...
    @property
    def num_reg_id_trib(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class PlainReceptor:
    """A ReceptorData for callers (CLI, global invoice, tests) that have no validated Receptor."""

    rfc: str
    nombre: str
    regimen_fiscal: str
    codigo_postal: str
    uso_cfdi: str
    residencia_fiscal: str | None = None
    num_reg_id_trib: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedConcept:
    keys: ProductKeys
    description: str
    no_identificacion: str | None
    amounts: ConceptAmounts


@dataclass(frozen=True, slots=True)
class InvoicePlan:
    """Every number of the invoice, validated, before any satcfdi object exists."""

    currency: str
    exchange_rate: Decimal | None
    forma_pago: str
    concepts: list[PlannedConcept]
    total: Decimal
    omitted_free_lines: list[str]  # SKUs with price 0 (or < half a cent): not a concepto


def clean_text(text: str, limit: int) -> str:
    """XSD: no '|' and collapsed whitespace."""
    return " ".join(text.replace("|", "/").split())[:limit] or "-"


def check_currency(order: Order) -> Decimal | None:
    if order.currency not in SUPPORTED_CURRENCIES:
        raise InvoiceBuildError(
            f"La moneda {order.currency} no está soportada; use MXN o USD con tipo de cambio."
        )
    if order.currency == "MXN":
        return None
    rate = order.exchange_rate
    if rate is None or rate <= 0:
        raise InvoiceBuildError("El tipo de cambio es obligatorio y debe ser mayor que cero.")
    if decimals_of(rate) > _MAX_EXCHANGE_DECIMALS:
        rate = rate.quantize(Decimal("0.000001"))
    return rate


def missing_fiscal_keys(orders: Sequence[Order], issuer: Issuer) -> list[str]:
    """SKUs (each once, in order of appearance) that have no SAT keys in the issuer setup."""
    missing: dict[str, None] = {}
    for order in orders:
        for line in order.lines:
            if issuer.keys_for(line.sku) is None:
                missing[line.sku] = None
    return list(missing)


@dataclass(frozen=True, slots=True)
class KeyedLine:
    """One invoiced line of an order (or its shipping, `line` None) with its SAT keys."""

    line: OrderLine | None
    keys: ProductKeys
    gross: GrossLine


def keyed_lines(order: Order, issuer: Issuer) -> list[KeyedLine]:
    """The order's priced lines and its shipping with their keys; MissingFiscalKeysError first.

    Lines priced 0 (gifts) are left out: a concepto's ValorUnitario must be greater than zero."""
    keyed: list[KeyedLine] = []
    for line in order.lines:
        keys = issuer.keys_for(line.sku)
        if keys is None:  # list every missing SKU at once, not only this one
            raise MissingFiscalKeysError(missing_fiscal_keys([order], issuer))
        if line.unit_price > 0:
            gross = GrossLine(
                line.quantity, line.quantity * line.unit_price, line.discount, keys.tax
            )
            keyed.append(KeyedLine(line, keys, gross))
    if order.shipping > 0:
        shipping = GrossLine(Decimal(1), order.shipping, Decimal(0), issuer.shipping.tax)
        keyed.append(KeyedLine(None, issuer.shipping, shipping))
    return keyed


def check_border_vat(issuer: Issuer, item: KeyedLine) -> None:
    """IVA 8 % only where the border stimulus applies (BorderVatError names why not)."""
    if item.keys.tax is not TaxTreatment.IVA8:
        return
    refusal = border_vat_refusal(issuer.lugar_expedicion, item.keys)
    if refusal is not None:
        what = item.line.sku if item.line is not None else "envío"
        raise BorderVatError(refusal, details={"sku": what})


def plan_invoice(order: Order, issuer: Issuer) -> InvoicePlan:
    """Validate the order against the issuer setup and compute the conceptos' net amounts."""
    keyed = keyed_lines(order, issuer)
    exchange_rate = check_currency(order)
    for line in order.lines:
        if decimals_of(line.quantity.normalize()) > _MAX_QUANTITY_DECIMALS:
            raise InvoiceBuildError(
                f"La cantidad {line.quantity} de {line.sku} tiene más de 6 decimales."
            )
    omitted = [line.sku for line in order.lines if line.unit_price == 0]
    if not keyed:
        raise InvoiceBuildError("El pedido no tiene importes que facturar.")
    for item in keyed:
        check_border_vat(issuer, item)
    amounts = reconcile([k.gross for k in keyed], order.total_paid)

    concepts: list[PlannedConcept] = []
    for item, (gross, paid) in zip(keyed, amounts, strict=True):
        if item.line is None:
            description, no_identificacion = "Envío", None
        elif gross == 0:  # worth less than half a cent (e.g. 0.001 x 0.01): nothing to invoice
            omitted.append(item.line.sku)
            continue
        else:
            description = clean_text(item.line.description, 1000)
            no_identificacion = clean_text(item.line.sku, 100)
        amounts_of_concept = net_concept(
            item.gross.cantidad.normalize(), gross, paid, item.gross.tax
        )
        concepts.append(
            PlannedConcept(item.keys, description, no_identificacion, amounts_of_concept)
        )
    if not concepts:
        raise InvoiceBuildError("El pedido no tiene importes que facturar.")
    total = sum((c.amounts.total for c in concepts), Decimal(0))
    if total != order.total_paid:  # reconcile() guarantees it; keep the promise visible
        raise InvoiceBuildError(f"El total calculado {total} difiere del pagado {order.total_paid}")
    return InvoicePlan(
        currency=order.currency,
        exchange_rate=exchange_rate,
        forma_pago=issuer.forma_pago(order.payment_method),
        concepts=concepts,
        total=total,
        omitted_free_lines=omitted,
    )


_TASA = {
    TaxTreatment.IVA16: Decimal("0.160000"),
    TaxTreatment.IVA8: Decimal("0.080000"),
    TaxTreatment.IVA0: Decimal("0.000000"),
}


def concepto_impuestos(a: ConceptAmounts) -> dict[str, Any] | None:
    """The concepto's Impuestos node: an IVA traslado (Tasa or Exento), none for ObjetoImp 01."""
    if a.tax is TaxTreatment.NO_OBJETO:
        return None
    if a.tax is TaxTreatment.EXENTO:
        traslado = {"Base": a.base, "Impuesto": "002", "TipoFactor": "Exento", "TasaOCuota": None}
    else:
        traslado = {
            "Base": a.base,
            "Impuesto": "002",
            "TipoFactor": "Tasa",
            "TasaOCuota": _TASA[a.tax],
            "Importe": a.tax_amount,
        }
    return {"Traslados": [traslado]}


def concept_dict(
    keys: ProductKeys, description: str, no_identificacion: str | None, a: ConceptAmounts
) -> dict[str, Any]:
    """satcfdi's Concepto as a plain dict (cheaper than the ScalarMap class, same result); the one
    concepto builder of the per-order and the global invoice."""
    return {
        "ClaveProdServ": keys.clave_prod_serv,
        "Cantidad": a.cantidad,
        "ClaveUnidad": keys.clave_unidad,
        "Descripcion": description,
        "ValorUnitario": a.valor_unitario,
        "ObjetoImp": a.tax.objeto_imp,
        "NoIdentificacion": no_identificacion,
        "Unidad": keys.unidad,
        "Descuento": a.descuento if a.descuento > 0 else None,
        "Impuestos": concepto_impuestos(a),
    }


def comprobante_from_concepts(
    *,
    issuer: Issuer,
    receptor: dict[str, Any],
    concepts: Sequence[dict[str, Any]],
    folio: int | str,
    fecha: datetime,
    forma_pago: str,
    currency: str = "MXN",
    exchange_rate: Decimal | None = None,
    informacion_global: dict[str, Any] | None = None,
    relacionados: Sequence[Relacion] = (),
    serie: str | None = None,
) -> Comprobante:
    from satcfdi.create.cfd.cfdi40 import Comprobante

    return Comprobante(
        emisor={
            "Rfc": issuer.rfc,
            "Nombre": issuer.nombre,
            "RegimenFiscal": issuer.regimen_fiscal,
        },
        lugar_expedicion=issuer.lugar_expedicion,
        receptor=receptor,
        conceptos=list(concepts),
        moneda=currency,
        tipo_de_comprobante="I",
        exportacion="01",
        serie=serie if serie is not None else issuer.serie,
        folio=str(folio),
        forma_pago=forma_pago,
        tipo_cambio=exchange_rate,
        metodo_pago=METODO_PAGO_PUE,
        informacion_global=informacion_global,
        cfdi_relacionados=nodos_relacionados(relacionados),
        fecha=fecha,
    )


def receptor_dict(receptor: ReceptorData) -> dict[str, Any]:
    """The Receptor node. ResidenciaFiscal and NumRegIdTrib go in when the buyer gave them (a
    resident abroad, XEXX010101000): Guía de llenado, Receptor: NumRegIdTrib is registered for a
    foreign resident, and ResidenciaFiscal is required whenever NumRegIdTrib is present."""
    return {
        "Rfc": receptor.rfc.strip().upper(),
        "Nombre": receptor.nombre,
        "DomicilioFiscalReceptor": receptor.codigo_postal,
        "ResidenciaFiscal": receptor.residencia_fiscal or None,
        "NumRegIdTrib": receptor.num_reg_id_trib or None,
        "RegimenFiscalReceptor": receptor.regimen_fiscal,
        "UsoCFDI": receptor.uso_cfdi,
    }


def build_invoice(
    order: Order,
    issuer: Issuer,
    receptor: ReceptorData,
    folio: int,
    fecha: datetime | None = None,
    *,
    relacionados: Sequence[Relacion] = (),
) -> Comprobante:
    """Unsealed CFDI 4.0 Ingreso (PUE) for a paid order; Total == order.total_paid to the cent.

    To XAXX010101000 (público en general) it is a global invoice of this one order: SAT requires
    InformacionGlobal on every Ingreso to that RFC and name (matrix CFDI40130), see
    global_invoice.one_order_global. `relacionados`: CfdiRelacionados, e.g.
    relations.relacion_sustitucion(uuid) when this invoice replaces one cancelled with motivo 01."""
    if receptor.rfc.strip().upper() == RFC_GENERICO_NACIONAL:
        from postventa.cfdi.global_invoice import one_order_global

        return one_order_global(order, issuer, folio, fecha, relacionados=relacionados)
    plan = plan_invoice(order, issuer)
    concepts = [
        concept_dict(c.keys, c.description, c.no_identificacion, c.amounts) for c in plan.concepts
    ]
    comprobante = comprobante_from_concepts(
        issuer=issuer,
        receptor=receptor_dict(receptor),
        concepts=concepts,
        folio=folio,
        fecha=local_fecha(issuer.lugar_expedicion, fecha),
        forma_pago=plan.forma_pago,
        currency=plan.currency,
        exchange_rate=plan.exchange_rate,
        relacionados=relacionados,
    )
    check_totals(comprobante, plan.total, [c.amounts for c in plan.concepts])
    return comprobante


def check_totals(
    comprobante: Comprobante, expected_total: Decimal, amounts: Sequence[ConceptAmounts]
) -> None:
    """satcfdi recomputes Importe/SubTotal/Total: make sure it agrees with our plan."""
    for concepto, planned in zip(comprobante["Conceptos"], amounts, strict=True):
        if concepto["Importe"] != planned.importe:
            raise InvoiceBuildError(
                f"Importe inconsistente en un concepto ({concepto['Importe']} != "
                f"{planned.importe})."
            )
    if comprobante["Total"] != expected_total:
        raise InvoiceBuildError(
            f"El total del CFDI ({comprobante['Total']}) no coincide con el pagado "
            f"({expected_total})."
        )
