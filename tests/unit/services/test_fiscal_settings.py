"""The seller's fiscal setup from the panel: each save checked against SAT's rules first; the CSD
checked on upload and stored only in the secret store; product keys from a CSV with every
malformed row reported by line and the rest imported."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postventa.cfdi.csd_check import CsdRejectedError
from postventa.domain.global_periods import Periodicidad
from postventa.services import fiscal_settings as fs
from tests.support import builders
from tests.support.csd import eku_csd, fiel_like
from tests.support.fakes import FakeAdapters

DAY = 86400


@pytest.fixture
def shop(adapters: FakeAdapters) -> FakeAdapters:
    adapters.tenants.put(builders.tenant())
    adapters.clock.current = datetime.now(UTC)  # generated certificates start yesterday
    return adapters


def _fields(refused: pytest.ExceptionInfo[fs.SettingsRefusedError]) -> dict[str, str]:
    return {p.field: p.message for p in refused.value.problems}


def test_issuer_data_is_saved_when_sats_rules_pass(shop: FakeAdapters) -> None:
    form = fs.parse_issuer(
        {
            "rfc": "eku9003173c9",
            "nombre": " escuela  kemper urgate ",
            "regimen_fiscal": "601",
            "codigo_postal": "42501",
            "serie": "A",
        }
    )
    saved = fs.save_issuer("tienda", form, shop)
    assert saved.issuer is not None and saved.issuer.nombre == "ESCUELA KEMPER URGATE"
    assert saved.invoicing["serie"] == "A"


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"nombre": "ESCUELA KEMPER URGATE SA DE CV"}, "nombre", "sin el régimen societario"),
        ({"regimen_fiscal": "612"}, "regimen_fiscal", "no es de personas morales"),
        ({"codigo_postal": "00001"}, "codigo_postal", "c_CodigoPostal"),
    ],
)
def test_issuer_problems_come_from_validate_issuer(
    shop: FakeAdapters, changes: dict[str, str], field: str, fragment: str
) -> None:
    values = {
        "rfc": "EKU9003173C9",
        "nombre": "ESCUELA KEMPER URGATE",
        "regimen_fiscal": "601",
        "codigo_postal": "42501",
        **changes,
    }
    with pytest.raises(fs.SettingsRefusedError) as refused:
        fs.save_issuer("tienda", fs.parse_issuer(values), shop)
    assert fragment in _fields(refused)[field]
    assert shop.tenants.get("tienda").issuer.codigo_postal == "42501"  # unchanged


def test_malformed_issuer_fields_are_named(shop: FakeAdapters) -> None:
    with pytest.raises(fs.SettingsRefusedError) as refused:
        fs.parse_issuer({"rfc": "X", "nombre": "", "regimen_fiscal": "6", "codigo_postal": "1"})
    assert set(_fields(refused)) == {"rfc", "nombre", "regimen_fiscal", "codigo_postal"}


def test_the_test_csd_is_stored_in_the_secret_store_only(shop: FakeAdapters) -> None:
    csd = eku_csd()
    saved = fs.upload_csd("tienda", csd.certificate, csd.key, csd.password, shop)
    assert saved.csd_secret_ref == "postventa/tenants/tienda/csd"
    assert shop.credentials.csds[saved.csd_secret_ref].key == csd.key
    assert saved.csd_summary is not None and saved.csd_summary["rfc"] == "EKU9003173C9"
    assert csd.password not in saved.model_dump_json()


def test_a_fiel_stores_nothing_and_says_why(shop: FakeAdapters) -> None:
    certificate, key = fiel_like()
    with pytest.raises(CsdRejectedError) as refused:
        fs.upload_csd("tienda", certificate, key, "12345678a", shop)
    assert [p.code for p in refused.value.problems] == ["es_fiel"]
    assert shop.credentials.csds == {}
    assert shop.tenants.get("tienda").csd_summary is None


def test_a_real_pac_needs_its_account_which_goes_to_the_secret_store(shop: FakeAdapters) -> None:
    with pytest.raises(fs.SettingsRefusedError) as refused:
        fs.save_pac("tienda", fs.PacForm(proveedor="finkok", pruebas=False), shop)
    assert "usuario y la contraseña" in _fields(refused)["usuario"]
    saved = fs.save_pac(
        "tienda",
        fs.PacForm(proveedor="finkok", pruebas=False, usuario="u", contrasena="p"),
        shop,
    )
    assert saved.invoicing["pac"] == {"name": "finkok", "test_environment": False}
    stored = shop.credentials.pac["postventa/tenants/tienda/pac"]
    assert stored.user == "u" and stored.password_value() == "p"
    again = fs.save_pac("tienda", fs.PacForm(proveedor="finkok", pruebas=True), shop)
    assert again.pac_credentials_secret == "postventa/tenants/tienda/pac"  # kept
    with pytest.raises(fs.SettingsRefusedError):
        fs.save_pac("tienda", fs.PacForm(proveedor="otro-pac"), shop)


def test_deadline_and_periodicity_follow_the_rules(shop: FakeAdapters) -> None:
    form = fs.InvoicingForm(facturar_automatico=False, plazo_dias=3, periodicidad="02")
    saved = fs.save_invoicing("tienda", form, shop, max_deadline_seconds=7 * DAY)
    assert (saved.auto_invoice, saved.billing_deadline_seconds) == (False, 3 * DAY)
    assert saved.global_invoice.periodicity is Periodicidad.SEMANAL
    too_long = fs.InvoicingForm(facturar_automatico=True, plazo_dias=30, periodicidad="04")
    with pytest.raises(fs.SettingsRefusedError) as refused:
        fs.save_invoicing("tienda", too_long, shop, max_deadline_seconds=7 * DAY)
    assert "hasta 7 días" in _fields(refused)["plazo_dias"]
    bimonthly = fs.InvoicingForm(facturar_automatico=True, plazo_dias=3, periodicidad="05")
    with pytest.raises(fs.SettingsRefusedError) as refused:
        fs.save_invoicing("tienda", bimonthly, shop, max_deadline_seconds=7 * DAY)
    assert "621" in _fields(refused)["periodicidad"]


CSV = """sku,clave_prod_serv,clave_unidad,unidad,impuesto
TAZA-01,52152103,H87,Pieza,iva16
TAZA-02,99999999,H87,,
,52152103,H87,,
PLATO-01,52151504,ZZZ9,,
TAZA-01,52152103,H87,,
VASO-01,52152101,H87,,iva8
JARRA-01,52152103,H87,,iva0
CORTO
"""


def test_a_csv_imports_the_good_rows_and_reports_each_bad_one_by_line(shop: FakeAdapters) -> None:
    report = fs.import_product_keys("tienda", CSV.encode(), shop)
    assert report.imported == 2
    rejected = {row.line: row.reason for row in report.rejected}
    assert "c_ClaveProdServ" in rejected[3]
    assert "SKU está vacío" in rejected[4]
    assert "c_ClaveUnidad" in rejected[5]
    assert "ya viene en la línea 2" in rejected[6]
    assert "8 %" in rejected[7]  # 42501 is not in the border region
    assert "Faltan columnas" in rejected[9]
    products = shop.tenants.get("tienda").invoicing["products"]
    assert products["TAZA-01"] == {
        "clave_prod_serv": "52152103",
        "clave_unidad": "H87",
        "unidad": "Pieza",
        "tax": "iva16",
    }
    assert set(products) == {"TAZA-01", "JARRA-01"}


def test_excels_semicolons_and_ansi_encoding_are_read(shop: FakeAdapters) -> None:
    data = "sku;clave_prod_serv;clave_unidad;unidad\nCAFÉ-1;50201706;KGM;Kilo\n".encode("cp1252")
    report = fs.import_product_keys("tienda", data, shop)
    assert report.imported == 1 and report.rejected == []
    assert "CAFÉ-1" in shop.tenants.get("tienda").invoicing["products"]


def test_a_csv_without_the_header_is_refused_whole(shop: FakeAdapters) -> None:
    with pytest.raises(fs.SettingsRefusedError):
        fs.import_product_keys("tienda", b"TAZA-01,52152103,H87\n", shop)


def test_the_default_key_is_checked_and_can_be_cleared(shop: FakeAdapters) -> None:
    saved = fs.save_default_keys("tienda", "01010101", "h87", "iva16", shop)
    assert saved.invoicing["default_product_keys"]["clave_unidad"] == "H87"
    with pytest.raises(fs.SettingsRefusedError):
        fs.save_default_keys("tienda", "123", "H87", "iva16", shop)
    cleared = fs.save_default_keys("tienda", "", "", "", shop)
    assert "default_product_keys" not in cleared.invoicing


def test_the_view_says_what_still_stops_invoicing(shop: FakeAdapters) -> None:
    tenant = shop.tenants.get("tienda")
    shop.tenants.put(
        tenant.model_copy(
            update={"issuer": tenant.issuer.model_copy(update={"regimen_fiscal": "612"})}
        )
    )
    view = fs.view("tienda", shop)
    assert any("612" in p.message for p in view.problems)
