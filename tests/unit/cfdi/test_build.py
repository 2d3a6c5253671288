"""Order -> CFDI 4.0: keys, taxes, discounts, shipping, currency; Total == paid to the cent."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from postventa.cfdi import seal, xsd
from postventa.cfdi.build import PlainReceptor, build_invoice, plan_invoice
from postventa.cfdi.errors import (
    BorderVatError,
    InvoiceBuildError,
    MissingFiscalKeysError,
    UnknownPaymentMethodError,
)
from postventa.cfdi.issuer import CsdCredentials, Issuer, ProductKeys, TaxTreatment
from postventa.cfdi.relations import Relacion, relacion_nota_de_credito, relacion_sustitucion
from postventa.cfdi.validation import check_before_sending
from postventa.domain.orders import Order
from tests.support.csd import eku_csd

NS = "{http://www.sat.gob.mx/cfd/4}"
RECEPTOR = PlainReceptor("XIQB891116QE4", "KARLA FUENTE NOLASCO", "605", "01160", "S01")

ISSUER = Issuer(
    rfc="EKU9003173C9",
    nombre="ESCUELA KEMPER URGATE",
    regimen_fiscal="601",
    lugar_expedicion="42501",
    products={
        f"SKU-{t.value}": ProductKeys(clave_prod_serv="43211503", clave_unidad="H87", tax=t)
        for t in TaxTreatment
    },
)

# Tijuana carries the border-stimulus mark in c_CodigoPostal: IVA 8 % may apply there
BORDER_ISSUER = ISSUER.model_copy(update={"lugar_expedicion": "22000"})


@cache
def signer() -> Any:
    test_csd = eku_csd()
    csd = CsdCredentials.from_files(test_csd.cer_path, test_csd.key_path, test_csd.password)
    return seal.signer_from_credentials(csd)


def make_order(lines: list[dict[str, Any]], total: D, shipping: D = D(0), **kw: Any) -> Order:
    return Order(
        tenant_id="t1",
        channel="shopify",
        order_id="1001",
        paid_at=datetime(2024, 5, 1, tzinfo=UTC),
        lines=lines,
        shipping=shipping,
        total_paid=total,
        payment_method=kw.pop("payment_method", "credit_card"),
        **kw,
    )


# the PAC's clock for these invoices: hours after their Fecha (12:00 on 2024-05-01, local)
STAMPED_AT = datetime(2024, 5, 2, tzinfo=UTC)


def assert_passes_sats_matrix(root: etree._Element) -> None:
    """Every offline rule of SAT's validation matrix (arithmetic, catalogs, cross rules) holds;
    305 is waived: SAT's public test CSD expired in 2023."""
    check_before_sending(etree.tostring(root, encoding="UTF-8"), now=STAMPED_AT, skip={"305"})


def assert_traslado_base_is_importe_minus_descuento(root: etree._Element) -> None:
    """Our builder's own invariant, stricter than SAT's matrix (which lets a Base include, e.g.,
    IEPS): each traslado's Base is its concepto's Importe - Descuento."""
    for concepto in root.iter(f"{NS}Concepto"):
        net = D(concepto.get("Importe")) - D(concepto.get("Descuento") or "0")
        bases = [D(t.get("Base")) for t in concepto.iter(f"{NS}Traslado")]
        assert all(base == net for base in bases), (concepto.get("Descripcion"), net, bases)


def sealed_xml(order: Order, issuer: Issuer = ISSUER) -> etree._Element:
    cfdi = build_invoice(order, issuer, RECEPTOR, folio=7, fecha=datetime(2024, 5, 1, 12, 0))
    seal.seal(cfdi, signer())
    raw = cfdi.xml_bytes(include_schema_location=True)
    xsd.validate(raw)
    return etree.fromstring(raw)


def test_gross_prices_become_a_cfdi_whose_total_equals_what_was_paid() -> None:
    order = make_order(
        [{"sku": "SKU-iva16", "description": "Laptop", "quantity": "1", "unit_price": "10200"}],
        D("10200.00"),
    )
    root = sealed_xml(order)
    assert root.get("Total") == "10200.00"
    assert root.get("TipoDeComprobante") == "I"
    assert root.get("MetodoPago") == "PUE"
    assert root.get("FormaPago") == "04"
    assert root.get("Exportacion") == "01"
    assert root.get("LugarExpedicion") == "42501"
    assert (root.get("Serie"), root.get("Folio")) == ("F", "7")
    assert_passes_sats_matrix(root)


def test_shipping_is_its_own_concepto_with_shipping_keys() -> None:
    order = make_order(
        [{"sku": "SKU-iva16", "description": "Taza", "quantity": "2", "unit_price": "150"}],
        D("399.00"),
        shipping=D("99.00"),
    )
    conceptos = sealed_xml(order).findall(f"{NS}Conceptos/{NS}Concepto")
    assert len(conceptos) == 2
    envio = conceptos[1]
    assert (envio.get("ClaveProdServ"), envio.get("ClaveUnidad")) == ("78102203", "E48")
    traslado = envio.find(f"{NS}Impuestos/{NS}Traslados/{NS}Traslado")
    assert traslado is not None
    assert D(traslado.get("Base")) + D(traslado.get("Importe")) == D("99.00")


def test_discount_goes_to_the_concepto_descuento() -> None:
    order = make_order(
        [
            {
                "sku": "SKU-iva16",
                "description": "Tenis",
                "quantity": "2",
                "unit_price": "1160",
                "discount": "232",
            }
        ],
        D("2088.00"),
    )
    root = sealed_xml(order)
    concepto = root.find(f"{NS}Conceptos/{NS}Concepto")
    assert concepto is not None
    assert concepto.get("Importe") == "2000.00"
    assert concepto.get("Descuento") == "200.00"
    assert root.get("Descuento") == "200.00"
    assert root.get("Total") == "2088.00"


def test_mixed_tax_rates_produce_one_summary_traslado_per_rate() -> None:
    lines = [
        {"sku": f"SKU-{t}", "description": t, "quantity": "1", "unit_price": "100"}
        for t in ("iva16", "iva8", "iva0", "exento", "no_objeto")
    ]
    root = sealed_xml(make_order(lines, D("500.00")), BORDER_ISSUER)
    summary = root.findall(f"{NS}Impuestos/{NS}Traslados/{NS}Traslado")
    kinds = {(t.get("TipoFactor"), t.get("TasaOCuota")) for t in summary}
    assert kinds == {
        ("Tasa", "0.160000"),
        ("Tasa", "0.080000"),
        ("Tasa", "0.000000"),
        ("Exento", None),
    }
    objetos = [c.get("ObjetoImp") for c in root.iter(f"{NS}Concepto")]
    assert objetos == ["02", "02", "02", "02", "01"]
    assert root.get("Total") == "500.00"
    assert_passes_sats_matrix(root)


def test_every_sku_without_keys_is_listed_in_one_error() -> None:
    order = make_order(
        [
            {"sku": "X1", "description": "a", "quantity": "1", "unit_price": "10"},
            {"sku": "SKU-iva16", "description": "b", "quantity": "1", "unit_price": "10"},
            {"sku": "X2", "description": "c", "quantity": "1", "unit_price": "10"},
        ],
        D("30"),
    )
    with pytest.raises(MissingFiscalKeysError) as err:
        plan_invoice(order, ISSUER)
    assert err.value.skus == ["X1", "X2"]
    assert "X1, X2" in err.value.message


def test_total_paid_that_disagrees_with_lines_is_rejected_in_spanish() -> None:
    order = make_order(
        [{"sku": "SKU-iva16", "description": "a", "quantity": "1", "unit_price": "100"}],
        D("90.00"),
    )
    with pytest.raises(InvoiceBuildError) as err:
        build_invoice(order, ISSUER, RECEPTOR, folio=1)
    assert "no coincide" in err.value.message


def test_unsupported_currency_is_rejected() -> None:
    order = make_order(
        [{"sku": "SKU-iva16", "description": "a", "quantity": "1", "unit_price": "100"}],
        D("100"),
        currency="EUR",
        exchange_rate=D("20"),
    )
    with pytest.raises(InvoiceBuildError) as err:
        plan_invoice(order, ISSUER)
    assert "EUR" in err.value.message


def test_usd_order_carries_tipo_cambio() -> None:
    order = make_order(
        [{"sku": "SKU-iva16", "description": "a", "quantity": "1", "unit_price": "58"}],
        D("58.00"),
        currency="USD",
        exchange_rate=D("17.1234"),
    )
    root = sealed_xml(order)
    assert (root.get("Moneda"), root.get("TipoCambio"), root.get("Total")) == (
        "USD",
        "17.1234",
        "58.00",
    )


def test_the_sellers_mapping_wins_over_ours() -> None:
    issuer = ISSUER.model_copy(update={"payment_forms": {"Credit_Card": "28"}})
    assert issuer.forma_pago("credit_card") == "28"
    assert issuer.forma_pago("SPEI") == "03"


@pytest.mark.parametrize("method", ["bitcoin", None, "  "])
def test_an_unknown_payment_method_stops_the_invoice_naming_the_method(
    method: str | None,
) -> None:
    # PUE carries the real instrument: never a silent 31 "Intermediario pagos"
    order = make_order(
        [{"sku": "SKU-iva16", "description": "a", "quantity": "1", "unit_price": "100"}],
        D("100"),
        payment_method=method,
    )
    with pytest.raises(UnknownPaymentMethodError) as raised:
        build_invoice(order, ISSUER, RECEPTOR, folio=1, fecha=datetime(2024, 5, 1, 12))
    assert raised.value.code == "forma_pago_sin_asignar"
    assert raised.value.details == {"payment_method": method}
    if method == "bitcoin":
        assert "«bitcoin»" in raised.value.message
    assert "fallback_forma_pago" in raised.value.message


def test_mapping_the_method_or_an_explicit_fallback_lets_the_invoice_through() -> None:
    order = make_order(
        [{"sku": "SKU-iva16", "description": "a", "quantity": "1", "unit_price": "100"}],
        D("100"),
        payment_method="bitcoin",
    )
    mapped = ISSUER.model_copy(update={"payment_forms": {"bitcoin": "06"}})
    fallback = ISSUER.model_copy(update={"fallback_forma_pago": "31"})
    for issuer, forma in ((mapped, "06"), (fallback, "31")):
        cfdi = build_invoice(order, issuer, RECEPTOR, folio=1, fecha=datetime(2024, 5, 1, 12))
        assert cfdi["FormaPago"] == forma


def test_free_lines_are_left_out_of_the_invoice() -> None:
    order = make_order(
        [
            {"sku": "SKU-iva16", "description": "a", "quantity": "1", "unit_price": "100"},
            {"sku": "SKU-iva16", "description": "regalo", "quantity": "1", "unit_price": "0"},
        ],
        D("100"),
    )
    plan = plan_invoice(order, ISSUER)
    assert len(plan.concepts) == 1
    assert plan.omitted_free_lines == ["SKU-iva16"]


def test_aware_fecha_is_written_as_local_time_of_lugar_expedicion() -> None:
    order = make_order(
        [{"sku": "SKU-iva16", "description": "a", "quantity": "1", "unit_price": "100"}],
        D("100"),
    )
    cfdi = build_invoice(
        order, ISSUER, RECEPTOR, folio=1, fecha=datetime(2024, 5, 1, 18, 0, tzinfo=UTC)
    )
    assert cfdi["Fecha"] == datetime(2024, 5, 1, 12, 0)  # CP 42501 (Hidalgo) is UTC-6


TAXES = [t.value for t in TaxTreatment]


@st.composite
def baskets(draw: st.DrawFn) -> Order:
    n = draw(st.integers(1, 6))
    lines = []
    for i in range(n):
        if i == 0 or draw(st.booleans()):  # the first line is always worth at least a cent
            qty = D(draw(st.integers(1, 12)))
        else:
            qty = D(draw(st.integers(1, 99999))) / 1000
        price = D(draw(st.integers(1, 5_000_000))) / 100
        gross = (qty * price).quantize(D("0.01"), ROUND_HALF_UP)
        discount = D(draw(st.integers(0, int(gross * 100)))) / 100 if draw(st.booleans()) else D(0)
        lines.append(
            {
                "sku": f"SKU-{draw(st.sampled_from(TAXES))}",
                "description": "producto",
                "quantity": qty,
                "unit_price": price,
                "discount": discount,
            }
        )
    shipping = D(draw(st.integers(0, 50_000))) / 100 if draw(st.booleans()) else D(0)
    exact = sum((D(li["quantity"]) * li["unit_price"] - li["discount"] for li in lines), D(0))
    total = (exact + shipping).quantize(D("0.01"), ROUND_HALF_UP)
    return make_order(lines, total, shipping=shipping)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=baskets())
def test_random_baskets_total_equals_paid_xsd_valid_and_every_importe_consistent(
    order: Order,
) -> None:
    root = sealed_xml(order, BORDER_ISSUER)  # raises on XSD errors
    assert D(root.get("Total")) == order.total_paid
    assert_passes_sats_matrix(root)
    assert_traslado_base_is_importe_minus_descuento(root)
    assert seal.verify_seal(etree.tostring(root))


def test_line_worth_less_than_half_a_cent_is_left_out_and_total_still_matches() -> None:
    order = make_order(
        [
            {"sku": "SKU-iva16", "description": "a", "quantity": "0.001", "unit_price": "0.01"},
            {"sku": "SKU-iva16", "description": "b", "quantity": "1", "unit_price": "10"},
        ],
        D("10.00"),
    )
    root = sealed_xml(order)
    assert len(root.findall(f"{NS}Conceptos/{NS}Concepto")) == 1
    assert root.get("Total") == "10.00"


def test_xsd_check_rejects_a_clave_prod_serv_outside_sat_catalog() -> None:
    order = make_order(
        [{"sku": "SKU-iva16", "description": "a", "quantity": "1", "unit_price": "100"}],
        D("100"),
    )
    cfdi = build_invoice(order, ISSUER, RECEPTOR, folio=1, fecha=datetime(2024, 5, 1, 12))
    seal.seal(cfdi, signer())
    good = cfdi.xml_bytes(include_schema_location=True)
    xsd.validate(good)
    with pytest.raises(xsd.XsdValidationError) as err:
        xsd.validate(good.replace(b'ClaveProdServ="43211503"', b'ClaveProdServ="99999999"'))
    assert "catálogo" in str(err.value.errors)
    with pytest.raises(xsd.XsdValidationError):
        xsd.validate(good.replace(b'ClaveProdServ="43211503"', b'ClaveProdServ="4321150"'))
    with pytest.raises(xsd.XsdValidationError):
        xsd.validate(good.replace(b'UsoCFDI="S01"', b'UsoCFDI="Z99"'))


def test_an_invalid_document_is_rejected_every_time_it_is_validated() -> None:
    order = make_order(
        [{"sku": "SKU-iva16", "description": "a", "quantity": "1", "unit_price": "100"}],
        D("100"),
    )
    cfdi = build_invoice(order, ISSUER, RECEPTOR, folio=1, fecha=datetime(2024, 5, 1, 12))
    element = seal.seal_to_xml(cfdi, signer())
    assert xsd.serialize_validated(element).startswith(b"<?xml")
    element.find(f"{NS}Receptor").set("UsoCFDI", "Z99")
    for _ in range(2):  # failures are never remembered
        with pytest.raises(xsd.XsdValidationError):
            xsd.serialize_validated(element)
    bad = etree.tostring(element, xml_declaration=True, encoding="UTF-8")
    for _ in range(2):
        with pytest.raises(xsd.XsdValidationError):
            xsd.validate_document(bad)


def test_iva_8_away_from_the_border_stops_the_invoice_saying_why() -> None:
    order = make_order(
        [{"sku": "SKU-iva8", "description": "a", "quantity": "1", "unit_price": "108"}], D("108")
    )
    with pytest.raises(BorderVatError) as raised:
        build_invoice(order, ISSUER, RECEPTOR, folio=1, fecha=datetime(2024, 5, 1, 12))
    assert "42501" in raised.value.message and "región fronteriza" in raised.value.message
    assert raised.value.details == {"sku": "SKU-iva8"}
    cfdi = build_invoice(order, BORDER_ISSUER, RECEPTOR, folio=1, fecha=datetime(2024, 5, 1, 12))
    assert cfdi["Total"] == D("108.00")


def test_an_order_to_publico_en_general_is_a_one_order_global_invoice() -> None:
    order = make_order(
        [{"sku": "SKU-iva16", "description": "Laptop", "quantity": "1", "unit_price": "1160"}],
        D("1160"),
        order_number="#77",
    )
    publico = PlainReceptor("XAXX010101000", "PUBLICO EN GENERAL", "616", "42501", "S01")
    root = sealed_xml(order.model_copy(update={"paid_at": datetime(2024, 4, 30, 23, 0)}))
    assert root.find(f"{NS}InformacionGlobal") is None  # a named buyer: no global node
    global_root = etree.fromstring(
        build_invoice(order, ISSUER, publico, folio=3, fecha=datetime(2024, 5, 1, 12)).xml_bytes()
    )
    info = global_root.find(f"{NS}InformacionGlobal")
    assert info is not None
    # daily, for the day the order was paid (2024-05-01 00:00 UTC is April 30 in Hidalgo)
    assert dict(info.attrib) == {"Periodicidad": "01", "Meses": "04", "Año": "2024"}
    concepto = global_root.find(f"{NS}Conceptos/{NS}Concepto")
    assert concepto is not None
    assert (concepto.get("ClaveProdServ"), concepto.get("NoIdentificacion")) == ("01010101", "#77")
    assert global_root.get("Total") == "1160.00"


def test_a_foreign_buyers_residence_and_tax_id_reach_the_receptor_node() -> None:
    order = make_order(
        [{"sku": "SKU-iva16", "description": "a", "quantity": "1", "unit_price": "116"}], D("116")
    )
    foreign = PlainReceptor("XEXX010101000", "JOHN DOE", "616", "42501", "S01", "USA", "123456789")
    cfdi = build_invoice(order, ISSUER, foreign, folio=1, fecha=datetime(2024, 5, 1, 12))
    seal.seal(cfdi, signer())
    raw = cfdi.xml_bytes(include_schema_location=True)
    xsd.validate(raw)
    receptor = etree.fromstring(raw).find(f"{NS}Receptor")
    assert receptor is not None
    assert (receptor.get("ResidenciaFiscal"), receptor.get("NumRegIdTrib")) == (
        "USA",
        "123456789",
    )
    named = etree.fromstring(
        build_invoice(order, ISSUER, RECEPTOR, folio=1, fecha=datetime(2024, 5, 1)).xml_bytes()
    ).find(f"{NS}Receptor")
    assert named is not None and "ResidenciaFiscal" not in named.attrib


def test_the_builder_emits_cfdi_relacionados_one_node_per_type() -> None:
    old = "5fb2822e-396a-4bf4-a5b3-4b0c4a7d9f01"
    other = "AD6A2F4B-2E4D-4F31-9B7E-0C1A7E3B5D22"
    order = make_order(
        [{"sku": "SKU-iva16", "description": "a", "quantity": "1", "unit_price": "116"}], D("116")
    )
    cfdi = build_invoice(
        order,
        ISSUER,
        RECEPTOR,
        folio=2,
        fecha=datetime(2024, 5, 1, 12),
        relacionados=[
            relacion_sustitucion(old),
            Relacion("07", (other,)),
            Relacion("04", (other,)),
        ],
    )
    seal.seal(cfdi, signer())
    raw = cfdi.xml_bytes(include_schema_location=True)
    xsd.validate(raw)
    nodes = etree.fromstring(raw).findall(f"{NS}CfdiRelacionados")
    found = {
        n.get("TipoRelacion"): [r.get("UUID") for r in n.findall(f"{NS}CfdiRelacionado")]
        for n in nodes
    }
    assert found == {"04": [old.upper(), other], "07": [other]}


@pytest.mark.parametrize(
    ("tipo", "uuids"),
    [("08", ("5FB2822E-396A-4BF4-A5B3-4B0C4A7D9F01",)), ("04", ()), ("01", ("no-es-uuid",))],
)
def test_a_relation_outside_the_catalog_or_without_uuids_is_refused(
    tipo: str, uuids: tuple[str, ...]
) -> None:
    with pytest.raises(InvoiceBuildError):
        Relacion(tipo, uuids)


def test_a_credit_note_relates_with_tipo_01() -> None:
    uuid = "5FB2822E-396A-4BF4-A5B3-4B0C4A7D9F01"
    assert relacion_nota_de_credito([uuid]) == Relacion("01", (uuid,))
