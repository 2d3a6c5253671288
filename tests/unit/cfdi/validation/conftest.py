"""Documents for the matrix tests: invoices built and sealed by the project's own engine
(ingreso MXN, USD, global, bimonthly global of a 621 issuer) with generated CSDs, and tools to
mutate one field, make the summary amounts consistent again and re-seal."""

from __future__ import annotations

import copy
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from postventa.cfdi import certs
from postventa.cfdi.build import PlainReceptor, build_invoice
from postventa.cfdi.global_invoice import GlobalPeriod, Periodicidad, build_global_invoices
from postventa.cfdi.issuer import Issuer, ProductKeys
from postventa.cfdi.seal import cadena_original_of_element, load_signer, seal_to_bytes
from postventa.cfdi.validation import validate_document
from postventa.domain.orders import Order

NS = "{http://www.sat.gob.mx/cfd/4}"
NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)  # 12:00 in CP 42501 (Tiempo del Centro)
FECHA = NOW - timedelta(minutes=5)
CENT = Decimal("0.01")

ISSUER = Issuer(
    rfc="EKU9003173C9",
    nombre="ESCUELA KEMPER URGATE",
    regimen_fiscal="601",
    lugar_expedicion="42501",
    products={
        "A": ProductKeys(clave_prod_serv="43211503", clave_unidad="H87"),
        "B": ProductKeys(clave_prod_serv="56101504", clave_unidad="H87"),
        "P": ProductKeys(clave_prod_serv="50192100", clave_unidad="H87", tax="iva0"),
    },
)
# persona física in the Régimen de Incorporación Fiscal: the one that may issue bimonthly globals
ISSUER_621 = Issuer(
    rfc="XIQB891116QE4",
    nombre="KARLA FUENTE NOLASCO",
    regimen_fiscal="621",
    lugar_expedicion="42501",
    default_product_keys=ProductKeys(clave_prod_serv="43211503", clave_unidad="H87"),
)
BUYER = PlainReceptor("XIQB891116QE4", "KARLA FUENTE NOLASCO", "605", "01160", "S01")
BUYER_MORAL = PlainReceptor("URE180429TM6", "UNIVERSIDAD ROBOTICA ESPAÑOLA", "601", "86991", "G03")


def order(oid: str, lines: list[dict[str, Any]], total: str, **extra: Any) -> Order:
    extra.setdefault("payment_method", "credit_card")  # PUE with the real instrument (04)
    return Order(
        tenant_id="t",
        channel="shopify",
        order_id=oid,
        order_number=f"#{oid}",
        paid_at=NOW,
        lines=lines,
        total_paid=Decimal(total),
        **extra,
    )


def _orders_for_global(n: int) -> list[Order]:
    out = []
    for i in range(n):
        price = Decimal(100 + i % 37) + Decimal("0.99")
        lines = [{"sku": "A", "description": "x", "quantity": 1 + i % 3, "unit_price": price}]
        total = (1 + i % 3) * price
        if i % 4 == 0:
            lines.append({"sku": "P", "description": "pan", "quantity": 1, "unit_price": "33.5"})
            total += Decimal("33.5")
        out.append(order(str(1000 + i), lines, str(total), payment_method="debit_card"))
    return out


class Kit:
    """Base documents (bytes) by name and the tools the mutation tests use."""

    def __init__(self) -> None:
        self.csd = certs.generate_test_csd(ISSUER.rfc, ISSUER.nombre, valid_from=NOW)
        self.signer = load_signer(self.csd.certificate, self.csd.key, self.csd.password)
        csd_621 = certs.generate_test_csd(ISSUER_621.rfc, ISSUER_621.nombre, valid_from=NOW)
        self.signer_621 = load_signer(csd_621.certificate, csd_621.key, csd_621.password)
        self.bases: dict[str, bytes] = {}
        self._build_engine_documents()
        self._derive_documents()

    # -- documents --------------------------------------------------------------------------
    def _build_engine_documents(self) -> None:
        ingreso = order(
            "1",
            [
                {"sku": "A", "description": "Laptop", "quantity": 1, "unit_price": "10200"},
                {
                    "sku": "B",
                    "description": "Silla",
                    "quantity": 2,
                    "unit_price": "1160",
                    "discount": "100",
                },
            ],
            "12519.00",
            shipping=Decimal("99"),
        )
        self.bases["ingreso"] = seal_to_bytes(
            build_invoice(ingreso, ISSUER, BUYER, 1, FECHA), self.signer
        )
        usd = order(
            "2",
            [{"sku": "A", "description": "Laptop", "quantity": 3, "unit_price": "499.99"}],
            "1499.97",
            currency="USD",
            exchange_rate=Decimal("17.2345"),
        )
        self.bases["usd"] = seal_to_bytes(
            build_invoice(usd, ISSUER, BUYER_MORAL, 2, FECHA), self.signer
        )
        period = GlobalPeriod.for_month(FECHA.year, FECHA.month)
        (draft,) = build_global_invoices(_orders_for_global(40), ISSUER, period, 3, FECHA)
        self.bases["global"] = seal_to_bytes(draft.comprobante, self.signer)
        bimestral = GlobalPeriod.for_month(FECHA.year, FECHA.month, Periodicidad.BIMESTRAL)
        (draft,) = build_global_invoices(_orders_for_global(5), ISSUER_621, bimestral, 1, FECHA)
        self.bases["global621"] = seal_to_bytes(draft.comprobante, self.signer_621)

    def _derive_documents(self) -> None:
        """Shapes the engine does not emit (traslado, foreign buyer, retenciones, ...), written
        from Anexo 20 by editing the ingreso and re-sealing."""
        self.bases["traslado"] = self._derived(as_traslado)
        self.bases["extranjero"] = self._derived(as_extranjero)
        self.bases["retenciones"] = self._derived(with_retenciones)
        self.bases["exento"] = self._derived(with_exento)
        self.bases["terceros"] = self._derived(with_terceros)
        self.bases["partes"] = self._derived(with_partes_y_pedimento)

    def _derived(self, change: Any) -> bytes:
        root = self.root("ingreso")
        change(root)
        return self.seal(root)

    # -- tools ------------------------------------------------------------------------------
    def root(self, name: str) -> Any:
        return copy.deepcopy(etree.fromstring(self.bases[name]))

    def seal(self, root: Any, signer: Any = None) -> bytes:
        """Sello over the document as it now is (what an emitter's system does)."""
        signer = signer or (self.signer_621 if root_emisor(root) == ISSUER_621.rfc else None)
        signer = signer or self.signer
        root.set("Sello", signer.sign_sha256(cadena_original_of_element(root).encode()))
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    def codes(self, xml: bytes, **kwargs: Any) -> list[str]:
        kwargs.setdefault("now", NOW)
        return [v.code for v in validate_document(xml, **kwargs)]


def root_emisor(root: Any) -> str:
    return str(root.find(f"{NS}Emisor").get("Rfc"))


# -- editing helpers ----------------------------------------------------------------------------
def el(parent: Any, path: str) -> Any:
    """Child by a path of local names ("Conceptos/Concepto")."""
    found = parent.find("/".join(NS + part for part in path.split("/")))
    assert found is not None, path
    return found


def conceptos(root: Any) -> list[Any]:
    return list(el(root, "Conceptos"))


def sub(parent: Any, name: str, index: int | None = None, **attrs: str) -> Any:
    child = etree.Element(NS + name, {k: v for k, v in attrs.items()})
    if index is None:
        parent.append(child)
    else:
        parent.insert(index, child)
    return child


def money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def recompute(root: Any) -> None:
    """Make SubTotal, Descuento, the Impuestos summary and Total agree with the conceptos, the
    way a correct emitter would: one mutation then tests one rule."""
    subtotal = descuento = Decimal(0)
    any_discount = False
    groups: dict[tuple[str, str, str | None], list[Decimal]] = {}
    has_importe: dict[tuple[str, str, str | None], bool] = {}
    retained: dict[str, Decimal] = defaultdict(Decimal)
    for concepto in conceptos(root):
        subtotal += Decimal(concepto.get("Importe"))
        if concepto.get("Descuento") is not None:
            any_discount = True
            descuento += Decimal(concepto.get("Descuento"))
        for tax in concepto.iter(f"{NS}Traslado"):
            factor = tax.get("TipoFactor")
            key = (tax.get("Impuesto"), factor, tax.get("TasaOCuota"))
            sums = groups.setdefault(key, [Decimal(0), Decimal(0)])
            sums[0] += Decimal(tax.get("Base"))
            if tax.get("Importe") is not None:
                sums[1] += Decimal(tax.get("Importe"))
                has_importe[key] = True
        for tax in concepto.iter(f"{NS}Retencion"):
            retained[tax.get("Impuesto")] += Decimal(tax.get("Importe"))
    root.set("SubTotal", money(subtotal))
    if any_discount and root.get("TipoDeComprobante") in ("I", "E", "N"):
        root.set("Descuento", money(descuento))
    elif "Descuento" in root.attrib:
        del root.attrib["Descuento"]
    old = root.find(f"{NS}Impuestos")
    if old is not None:
        root.remove(old)
    trasladados = sum((sums[1] for sums in groups.values()), Decimal(0))
    retenidos = sum(retained.values(), Decimal(0))
    if groups or retained:
        summary = etree.Element(f"{NS}Impuestos")
        el(root, "Conceptos").addnext(summary)
        if retained:
            summary.set("TotalImpuestosRetenidos", money(retenidos))
            group = sub(summary, "Retenciones")
            for impuesto, amount in retained.items():
                sub(group, "Retencion", Impuesto=impuesto, Importe=money(amount))
        if any(has_importe.values()):
            summary.set("TotalImpuestosTrasladados", money(trasladados))
        if groups:
            group = sub(summary, "Traslados")
            for (impuesto, factor, tasa), (base, amount) in groups.items():
                attrs = {"Base": money(base), "Impuesto": impuesto, "TipoFactor": factor}
                if tasa is not None:
                    attrs["TasaOCuota"] = tasa
                if has_importe.get((impuesto, factor, tasa)):
                    attrs["Importe"] = money(amount)
                sub(group, "Traslado", **attrs)
    total = subtotal - (descuento if "Descuento" in root.attrib else 0) + trasladados - retenidos
    root.set("Total", money(total) if root.get("TipoDeComprobante") in ("I", "E", "N") else "0")


def drop_taxes(concepto: Any) -> None:
    impuestos = concepto.find(f"{NS}Impuestos")
    if impuestos is not None:
        concepto.remove(impuestos)
    concepto.set("ObjetoImp", "01")


def as_traslado(root: Any) -> None:
    """A CFDI de traslado (TipoDeComprobante T): no FormaPago, MetodoPago, taxes or amounts."""
    root.set("TipoDeComprobante", "T")
    for attr in ("FormaPago", "MetodoPago", "Descuento"):
        root.attrib.pop(attr, None)
    for concepto in conceptos(root):
        concepto.attrib.pop("Descuento", None)
        drop_taxes(concepto)
    recompute(root)
    root.set("SubTotal", "0")
    root.set("Total", "0")


def as_extranjero(root: Any) -> None:
    """Buyer resident abroad: XEXX010101000, 616, S01, CP of LugarExpedicion, country and tax ID."""
    receptor = el(root, "Receptor")
    receptor.attrib.update(
        {
            "Rfc": "XEXX010101000",
            "Nombre": "ACME TRADING INC",
            "DomicilioFiscalReceptor": root.get("LugarExpedicion"),
            "ResidenciaFiscal": "USA",
            "NumRegIdTrib": "123456789",
            "RegimenFiscalReceptor": "616",
            "UsoCFDI": "S01",
        }
    )


def retencion(base: str, impuesto: str, tasa: str) -> dict[str, str]:
    importe = money(Decimal(base) * Decimal(tasa))
    return {
        "Base": base,
        "Impuesto": impuesto,
        "TipoFactor": "Tasa",
        "TasaOCuota": tasa,
        "Importe": importe,
    }


def with_retenciones(root: Any) -> None:
    """Concepto 1 withholds IVA (two thirds of 16 %) and ISR (10 %)."""
    impuestos = el(conceptos(root)[0], "Impuestos")
    base = el(impuestos, "Traslados/Traslado").get("Base")
    group = sub(impuestos, "Retenciones")
    sub(group, "Retencion", **retencion(base, "002", "0.106667"))
    sub(group, "Retencion", **retencion(base, "001", "0.100000"))
    recompute(root)


def with_exento(root: Any) -> None:
    """The shipping concepto (3rd) is exempt: TipoFactor Exento, no TasaOCuota nor Importe."""
    traslado = el(conceptos(root)[2], "Impuestos/Traslados/Traslado")
    traslado.set("TipoFactor", "Exento")
    del traslado.attrib["TasaOCuota"]
    del traslado.attrib["Importe"]
    recompute(root)


def with_terceros(root: Any) -> None:
    """Concepto 1 sold on behalf of a third party (ACuentaTerceros goes after Impuestos)."""
    concepto = conceptos(root)[0]
    terceros = etree.Element(
        f"{NS}ACuentaTerceros",
        RfcACuentaTerceros="AAA010101AAA",
        NombreACuentaTerceros="TERCERO DE PRUEBA",
        RegimenFiscalACuentaTerceros="601",
        DomicilioFiscalACuentaTerceros="06600",
    )
    el(concepto, "Impuestos").addnext(terceros)


def with_partes_y_pedimento(root: Any) -> None:
    """Concepto 1: first-hand sale of an import (InformacionAduanera) with one Parte."""
    concepto = conceptos(root)[0]
    aduanera = etree.Element(f"{NS}InformacionAduanera", NumeroPedimento="25  47  3807  5003832")
    el(concepto, "Impuestos").addnext(aduanera)
    parte = sub(
        concepto,
        "Parte",
        ClaveProdServ="43211503",
        Cantidad="1",
        Descripcion="Cargador",
        ValorUnitario="10.00",
        Importe="10.00",
    )
    sub(parte, "InformacionAduanera", NumeroPedimento="25  47  3807  5003833")


def add_comercio_exterior(root: Any) -> None:
    """An (empty) Comercio Exterior 2.0 complement node: its presence is what the matrix reads."""
    complemento = root.find(f"{NS}Complemento")
    if complemento is None:
        complemento = sub(root, "Complemento")
    etree.SubElement(complemento, "{http://www.sat.gob.mx/ComercioExterior20}ComercioExterior")


# the editing helpers travel with the kit: test modules cannot import conftest (importlib mode)
for _helper in (el, conceptos, sub, money, recompute, drop_taxes, add_comercio_exterior, retencion):
    setattr(Kit, _helper.__name__, staticmethod(_helper))
Kit.NOW = NOW  # type: ignore[attr-defined]
Kit.FECHA = FECHA  # type: ignore[attr-defined]
Kit.NS = NS  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def kit() -> Kit:
    return Kit()
