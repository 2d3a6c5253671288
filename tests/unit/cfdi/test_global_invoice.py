"""Global invoice: InformacionGlobal, PUBLICO EN GENERAL, one concepto per order, split, stamped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from lxml import etree

from postventa.cfdi import xsd
from postventa.cfdi.errors import InvoiceBuildError, MissingFiscalKeysError
from postventa.cfdi.global_invoice import (
    GlobalPeriod,
    Periodicidad,
    build_global_invoices,
    stamp_global_invoices,
)
from postventa.cfdi.issuer import CsdCredentials, Issuer, ProductKeys
from postventa.cfdi.pac.sandbox import SandboxPac
from postventa.cfdi.validation import check_before_sending
from postventa.domain.orders import Order
from tests.support.csd import CsdFiles, eku_csd

NS = "{http://www.sat.gob.mx/cfd/4}"
NOW = datetime(2024, 5, 1, 18, 0, tzinfo=UTC)
ISSUER = Issuer(
    rfc="EKU9003173C9",
    nombre="ESCUELA KEMPER URGATE",
    regimen_fiscal="601",
    lugar_expedicion="42501",
    products={
        "A": ProductKeys(clave_prod_serv="43211503", clave_unidad="H87"),
        "B": ProductKeys(clave_prod_serv="50192100", clave_unidad="H87", tax="iva0"),
    },
)


def orders(n: int) -> list[Order]:
    out = []
    for i in range(n):
        price = D(100 + i % 37) + D("0.99")
        lines = [{"sku": "A", "description": "x", "quantity": 1 + i % 3, "unit_price": price}]
        total = (1 + i % 3) * price
        if i % 4 == 0:
            lines.append({"sku": "B", "description": "pan", "quantity": 1, "unit_price": "33.5"})
            total += D("33.5")
        shipping = D("99") if i % 2 else D(0)
        out.append(
            Order(
                tenant_id="t",
                channel="shopify",
                order_id=str(i),
                order_number=f"#{1000 + i}",
                paid_at=NOW,
                lines=lines,
                shipping=shipping,
                total_paid=total + shipping,
                payment_method="debit_card" if i % 3 else "credit_card",
            )
        )
    return out


def test_global_invoice_has_publico_en_general_and_informacion_global() -> None:
    draft = build_global_invoices(orders(3), ISSUER, GlobalPeriod.for_month(2024, 4), 10, NOW)[0]
    root = etree.fromstring(draft.comprobante.xml_bytes(include_schema_location=True))
    info = root.find(f"{NS}InformacionGlobal")
    assert info is not None
    assert (info.get("Periodicidad"), info.get("Meses"), info.get("Año")) == ("04", "04", "2024")
    receptor = root.find(f"{NS}Receptor")
    assert receptor is not None
    assert dict(receptor.attrib) == {
        "Rfc": "XAXX010101000",
        "Nombre": "PUBLICO EN GENERAL",
        "DomicilioFiscalReceptor": "42501",
        "RegimenFiscalReceptor": "616",
        "UsoCFDI": "S01",
    }
    conceptos = root.findall(f"{NS}Conceptos/{NS}Concepto")
    # order 0 mixes IVA 16 and IVA 0: one concepto per rate, same NoIdentificacion
    assert [c.get("NoIdentificacion") for c in conceptos] == ["#1000", "#1000", "#1001", "#1002"]
    assert {
        (c.get("ClaveProdServ"), c.get("ClaveUnidad"), c.get("Cantidad"), c.get("Descripcion"))
        for c in conceptos
    } == {("01010101", "ACT", "1", "Venta")}
    # every offline rule of SAT's matrix but the Sello and Certificado, which a draft lacks
    check_before_sending(
        etree.tostring(root, encoding="UTF-8"), now=NOW, skip={"CFDI40102", "CFDI40106"}
    )


def test_large_period_splits_without_splitting_orders_and_totals_match_each_order() -> None:
    batch = orders(40)
    drafts = build_global_invoices(
        batch, ISSUER, GlobalPeriod.for_month(2024, 4), 1, NOW, max_concepts=7
    )
    assert len(drafts) > 5
    assert [int(d.comprobante["Folio"]) for d in drafts] == list(range(1, len(drafts) + 1))
    assert all(len(d.comprobante["Conceptos"]) <= 7 for d in drafts)
    keys = [k for d in drafts for k in d.order_keys]
    assert keys == [o.key for o in batch]
    assert sum(d.total for d in drafts) == sum(o.total_paid for o in batch)
    for d in drafts:
        assert d.comprobante["Total"] == d.total


def test_global_invoices_are_sealed_xsd_valid_and_sandbox_stamped(eku_csd: CsdFiles) -> None:
    csd = CsdCredentials.from_files(eku_csd.cer_path, eku_csd.key_path, eku_csd.password)
    pac = SandboxPac(clock=lambda: NOW, check_certificate_validity=False)
    stamped = stamp_global_invoices(
        orders(30), ISSUER, csd, pac, GlobalPeriod.for_month(2024, 4), 1, NOW, max_concepts=20
    )
    assert len(stamped) == 2
    assert len({s.uuid for s in stamped}) == 2
    for s in stamped:
        xsd.validate(s.xml)
        assert b"TimbreFiscalDigital" in s.xml


def test_global_invoices_are_checked_against_sats_matrix_before_any_is_sent() -> None:
    from postventa.cfdi.pac.sandbox import InMemorySandboxStore
    from postventa.cfdi.validation import MatrixRejectionError

    csd = eku_csd().credentials()
    store = InMemorySandboxStore(folios=5)
    days_later = SandboxPac(  # the PAC's clock is 4 days past Fecha: rule 401
        store=store, clock=lambda: NOW + timedelta(days=4), check_certificate_validity=False
    )
    with pytest.raises(MatrixRejectionError) as raised:
        stamp_global_invoices(
            orders(3), ISSUER, csd, days_later, GlobalPeriod.for_month(2024, 4), 1, NOW
        )
    assert raised.value.sat_code == "401"
    assert store.folio_balance() == 5


def test_forma_pago_is_the_one_with_the_largest_amount() -> None:
    draft = build_global_invoices(orders(6), ISSUER, GlobalPeriod.for_month(2024, 4), 1, NOW)[0]
    assert draft.comprobante["FormaPago"] == "28"


def test_bimonthly_period_uses_meses_13_to_18() -> None:
    assert GlobalPeriod.for_month(2024, 4, Periodicidad.BIMESTRAL).meses == "14"
    with pytest.raises(InvoiceBuildError):
        GlobalPeriod(Periodicidad.BIMESTRAL, "04", 2024)
    with pytest.raises(InvoiceBuildError):
        GlobalPeriod(Periodicidad.MENSUAL, "13", 2024)


def test_missing_keys_across_orders_are_reported_together() -> None:
    bad = orders(2)
    bad[0].lines[0].sku = "Z1"
    bad[1].lines[0].sku = "Z2"
    with pytest.raises(MissingFiscalKeysError) as err:
        build_global_invoices(bad, ISSUER, GlobalPeriod.for_month(2024, 4), 1, NOW)
    assert err.value.skus == ["Z1", "Z2"]


def test_bimonthly_is_only_for_the_incorporacion_fiscal_regime() -> None:
    bimonthly = GlobalPeriod.for_month(2024, 4, Periodicidad.BIMESTRAL)
    with pytest.raises(InvoiceBuildError, match="621"):
        build_global_invoices(orders(1), ISSUER, bimonthly, 1, NOW)
    rif = ISSUER.model_copy(
        update={"rfc": "XIQB891116QE4", "nombre": "KARLA FUENTE NOLASCO", "regimen_fiscal": "621"}
    )
    [draft] = build_global_invoices(orders(1), rif, bimonthly, 1, NOW)
    assert draft.comprobante["InformacionGlobal"]["Meses"] == "14"


@pytest.mark.parametrize(("ano", "ok"), [(2030, True), (2025, True), (2024, False), (2031, False)])
def test_the_year_is_that_of_fecha_or_up_to_five_before(ano: int, ok: bool) -> None:
    fecha = datetime(2030, 5, 1, 18, 0, tzinfo=UTC)
    period = GlobalPeriod.for_month(ano, 1)
    if ok:
        assert build_global_invoices(orders(1), ISSUER, period, 1, fecha)
    else:
        with pytest.raises(InvoiceBuildError, match="año"):
            build_global_invoices(orders(1), ISSUER, period, 1, fecha)


def test_a_daily_period_takes_the_month_of_its_day() -> None:
    period = GlobalPeriod.for_day(datetime(2024, 2, 29, 23, 0))
    assert period.as_dict() == {"Periodicidad": "01", "Meses": "02", "Año": 2024}


def test_a_one_order_global_is_stamped_by_the_sandbox() -> None:
    from postventa.cfdi.global_invoice import one_order_global
    from postventa.cfdi.stamping import seal_and_validate

    [order] = orders(1)
    comprobante = one_order_global(order, ISSUER, 5, NOW - timedelta(minutes=1))
    csd = eku_csd().credentials()
    pac = SandboxPac(clock=lambda: NOW, check_certificate_validity=False)
    xml = pac.stamp(seal_and_validate(comprobante, csd)).xml
    assert b'Periodicidad="01"' in xml and b'Meses="05"' in xml
