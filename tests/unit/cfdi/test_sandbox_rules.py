"""The sandbox PAC refuses what a real PAC refuses for the fiscal rules of issue 7, each with the
code SAT's CFDI 4.0 matrix gives it (the matrix's table) or, beyond the matrix, its own
descriptive code (sandbox_rules). Each document is built right, then bent the way a careless
integration would, then sealed: only the PAC's own checks can catch it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from functools import cache
from typing import Any

import pytest

from postventa.cfdi import certs
from postventa.cfdi.build import PlainReceptor, build_invoice
from postventa.cfdi.cancel import cancellation_request
from postventa.cfdi.errors import PacDataRejectedError
from postventa.cfdi.global_invoice import GlobalPeriod, build_global_invoices
from postventa.cfdi.issuer import Issuer, ProductKeys
from postventa.cfdi.pac.base import CancellationMotivo, CancellationStatus
from postventa.cfdi.pac.sandbox import SandboxPac
from postventa.cfdi.pac.sandbox_rules import RuleContext
from postventa.cfdi.stamping import seal_and_validate
from postventa.cfdi.validation import Violation
from postventa.domain.orders import Order
from tests.support.csd import eku_csd

SAT_CSD = eku_csd().credentials()  # the project's generated test CSD for SAT's test taxpayer
NOW = datetime(2025, 5, 2, 18, 0, tzinfo=UTC)
FECHA = NOW - timedelta(minutes=5)
ISSUER = Issuer(
    rfc="EKU9003173C9",
    nombre="ESCUELA KEMPER URGATE",
    regimen_fiscal="601",
    lugar_expedicion="42501",
    products={
        "A": ProductKeys(clave_prod_serv="43211503", clave_unidad="H87"),
        "F": ProductKeys(clave_prod_serv="43211503", clave_unidad="H87", tax="iva8"),
        "SW": ProductKeys(clave_prod_serv="43231500", clave_unidad="H87", tax="iva8"),
    },
)
TIJUANA = ISSUER.model_copy(update={"lugar_expedicion": "22000"})
BUYER = PlainReceptor("XIQB891116QE4", "KARLA FUENTE NOLASCO", "605", "01160", "S01")


@cache
def pac_cert() -> certs.TestCertificate:
    return certs.generate_pac_certificate()


def pac(clock: Callable[[], datetime] = lambda: NOW) -> SandboxPac:
    return SandboxPac(pac_certificate=pac_cert(), clock=clock, check_certificate_validity=False)


def order(sku: str = "A", total: str = "1160.00", oid: str = "1") -> Order:
    return Order(
        tenant_id="t1",
        channel="shopify",
        order_id=oid,
        paid_at=NOW,
        lines=[{"sku": sku, "description": "Laptop", "quantity": 1, "unit_price": total}],
        total_paid=D(total),
        payment_method="credit_card",
    )


def rejected(comprobante: Any, sandbox: SandboxPac | None = None) -> PacDataRejectedError:
    xml = seal_and_validate(comprobante, SAT_CSD)
    with pytest.raises(PacDataRejectedError) as raised:
        (sandbox or pac()).stamp(xml)
    return raised.value


def invoice(issuer: Issuer = ISSUER, **kw: Any) -> Any:
    return build_invoice(kw.pop("order", order()), issuer, kw.pop("receptor", BUYER), 1, FECHA)


def global_invoice(period: GlobalPeriod, issuer: Issuer = ISSUER) -> Any:
    return build_global_invoices([order()], issuer, period, 1, FECHA)[0].comprobante


class TestGenericReceptors:
    def test_an_ingreso_to_publico_en_general_without_informacion_global_is_cfdi40130(
        self,
    ) -> None:
        comprobante = invoice()
        comprobante["Receptor"] = {
            "Rfc": "XAXX010101000",
            "Nombre": "PUBLICO EN GENERAL",
            "DomicilioFiscalReceptor": "42501",
            "RegimenFiscalReceptor": "616",
            "UsoCFDI": "S01",
        }
        assert rejected(comprobante).pac_code == "CFDI40130"

    def test_informacion_global_to_a_named_buyer_is_refused_outside_the_matrix(self) -> None:
        # SAT's CFDI40130 only demands the node for PUBLICO EN GENERAL; the Guía de llenado del
        # CFDI global gives the node to the global invoice only: no matrix code, a sandbox one
        comprobante = global_invoice(GlobalPeriod.for_month(2025, 4))
        comprobante["Receptor"] = {
            "Rfc": "XIQB891116QE4",
            "Nombre": "KARLA FUENTE NOLASCO",
            "DomicilioFiscalReceptor": "01160",
            "RegimenFiscalReceptor": "605",
            "UsoCFDI": "S01",
        }
        error = rejected(comprobante)
        assert error.pac_code == "informacion_global_sin_publico_en_general"
        assert error.sat_code is None and error.field == "InformacionGlobal"

    def test_a_real_rfc_named_publico_en_general_is_refused(self) -> None:
        comprobante = invoice()
        comprobante["Receptor"]["Nombre"] = "PUBLICO EN GENERAL"
        error = rejected(comprobante)
        assert error.pac_code == "CFDI40146"
        assert "XAXX010101000" in error.message

    def test_a_generic_rfc_at_another_postal_code_than_the_place_of_issue_is_cfdi40149(
        self,
    ) -> None:
        comprobante = invoice(
            receptor=PlainReceptor("XEXX010101000", "JOHN DOE", "616", "01160", "S01")
        )
        assert rejected(comprobante).pac_code == "CFDI40149"

    def test_the_one_order_global_our_builder_makes_is_stamped(self) -> None:
        publico = PlainReceptor("XAXX010101000", "PUBLICO EN GENERAL", "616", "42501", "S01")
        xml = seal_and_validate(invoice(receptor=publico), SAT_CSD)
        assert b"InformacionGlobal" in pac().stamp(xml).xml


class TestForeignReceptors:
    def foreign(self, **attributes: str) -> Any:
        receptor = PlainReceptor("XEXX010101000", "JOHN DOE", "616", "42501", "S01", **attributes)
        return invoice(receptor=receptor)

    def test_residencia_and_registro_reach_the_stamped_xml(self) -> None:
        xml = seal_and_validate(
            self.foreign(residencia_fiscal="USA", num_reg_id_trib="123456789"), SAT_CSD
        )
        stamped = pac().stamp(xml).xml
        assert b'ResidenciaFiscal="USA"' in stamped and b'NumRegIdTrib="123456789"' in stamped

    def test_a_tax_id_outside_the_country_format_is_cfdi40156(self) -> None:
        comprobante = self.foreign(residencia_fiscal="USA", num_reg_id_trib="12345")
        assert rejected(comprobante).pac_code == "CFDI40156"

    def test_a_tax_id_without_its_country_is_cfdi40153(self) -> None:
        assert rejected(self.foreign(num_reg_id_trib="123456789")).pac_code == "CFDI40153"

    def test_residencia_mex_is_cfdi40152(self) -> None:
        assert rejected(self.foreign(residencia_fiscal="MEX")).pac_code == "CFDI40152"

    def test_residencia_with_a_mexican_rfc_is_cfdi40151(self) -> None:
        comprobante = invoice()
        comprobante["Receptor"]["ResidenciaFiscal"] = "USA"
        assert rejected(comprobante).pac_code == "CFDI40151"


class TestGlobalPeriod:
    def test_bimonthly_is_only_for_regime_621(self) -> None:
        period = GlobalPeriod.for_month(2025, 4)
        comprobante = global_invoice(period)
        comprobante["InformacionGlobal"] = {"Periodicidad": "05", "Meses": "14", "Año": 2025}
        assert rejected(comprobante).pac_code == "CFDI40132"

    def test_months_must_fit_the_periodicity(self) -> None:
        comprobante = global_invoice(GlobalPeriod.for_month(2025, 4))
        comprobante["InformacionGlobal"] = {"Periodicidad": "04", "Meses": "13", "Año": 2025}
        assert rejected(comprobante).pac_code == "CFDI40134"

    @pytest.mark.parametrize("ano", [2019, 2026])
    def test_the_year_is_that_of_fecha_or_up_to_five_before(self, ano: int) -> None:
        comprobante = global_invoice(GlobalPeriod.for_month(2025, 4))
        comprobante["InformacionGlobal"] = {"Periodicidad": "04", "Meses": "04", "Año": ano}
        assert rejected(comprobante).pac_code == "CFDI40136"

    def test_a_global_five_years_back_is_accepted(self) -> None:
        now = datetime(2026, 5, 2, 18, 0, tzinfo=UTC)
        period = GlobalPeriod.for_month(2021, 12)
        draft = build_global_invoices([order()], ISSUER, period, 1, now - timedelta(minutes=5))
        xml = seal_and_validate(draft[0].comprobante, SAT_CSD)
        assert pac(lambda: now).stamp(xml).uuid


class TestEmisor:
    def test_a_name_with_its_regimen_societario_cannot_match_the_register(self) -> None:
        issuer = ISSUER.model_copy(update={"nombre": "ESCUELA KEMPER URGATE SA DE CV"})
        assert rejected(invoice(issuer)).pac_code == "CFDI40139"

    def test_a_regimen_of_personas_fisicas_for_a_company_is_cfdi40141(self) -> None:
        issuer = ISSUER.model_copy(update={"regimen_fiscal": "612"})
        assert rejected(invoice(issuer)).pac_code == "CFDI40141"


class TestBorderVat:
    def test_iva_8_from_a_place_without_the_border_mark_is_refused(self) -> None:
        comprobante = invoice(TIJUANA, order=order("F"))
        comprobante["LugarExpedicion"] = "42501"
        error = rejected(comprobante)
        assert error.pac_code == "iva_fronterizo"
        assert "42501" in error.message

    def test_iva_8_on_a_key_the_catalog_excludes_is_refused(self) -> None:
        comprobante = invoice(TIJUANA, order=order("F"))
        comprobante["Conceptos"][0]["ClaveProdServ"] = "43231500"  # software: marked 0
        assert rejected(comprobante).pac_code == "iva_fronterizo"

    def test_iva_8_in_tijuana_on_an_eligible_key_is_stamped(self) -> None:
        xml = seal_and_validate(invoice(TIJUANA, order=order("F")), SAT_CSD)
        assert b'TasaOCuota="0.080000"' in pac().stamp(xml).xml


class TestPluggableRules:
    def test_a_list_of_checks_replaces_the_sandboxs_own_after_the_matrix(self) -> None:
        seen: list[RuleContext] = []

        def always(comprobante: Any, context: RuleContext) -> list[Violation]:
            seen.append(context)
            return [Violation("prueba", "Comprobante", "Regla de prueba.", "")]

        sandbox = SandboxPac(
            pac_certificate=pac_cert(),
            clock=lambda: NOW,
            check_certificate_validity=False,
            rules=[always],
        )
        error = rejected(invoice(), sandbox)
        assert error.pac_code == "prueba"
        assert error.details == {
            "violations": [
                {
                    "code": "prueba",
                    "field": "Comprobante",
                    "message": "Regla de prueba.",
                    "receptor_field": None,
                }
            ]
        }
        assert seen[0].now == NOW
        # the matrix is not pluggable: a SA DE CV name passes the replaced rules, a régimen of
        # personas físicas for a company does not pass SAT's table
        issuer = ISSUER.model_copy(
            update={"nombre": "ESCUELA KEMPER URGATE SA DE CV", "regimen_fiscal": "612"}
        )
        error = rejected(invoice(issuer), sandbox)
        assert [v["code"] for v in error.details["violations"]] == ["CFDI40141", "prueba"]

    def test_every_violation_is_listed_matrix_first_then_the_sandboxs_own(self) -> None:
        issuer = ISSUER.model_copy(
            update={"nombre": "ESCUELA KEMPER URGATE SA DE CV", "regimen_fiscal": "612"}
        )
        error = rejected(invoice(issuer))
        assert [v["code"] for v in error.details["violations"]] == ["CFDI40141", "CFDI40139"]
        assert error.pac_code == error.sat_code == "CFDI40141"
        assert error.field == "Emisor.RegimenFiscal" and error.receptor_field is None


class TestCancellation:
    def stamped(self, sandbox: SandboxPac, comprobante: Any) -> str:
        return sandbox.stamp(seal_and_validate(comprobante, SAT_CSD)).uuid

    def request(self, uuid: str, motivo: CancellationMotivo, receptor: str) -> Any:
        return cancellation_request(
            uuid=uuid,
            rfc_emisor="EKU9003173C9",
            rfc_receptor=receptor,
            total=D("1160"),
            motivo=motivo,
            issued_at=FECHA,
            es_global=True,  # what the caller claims; the sandbox knows better
            requested_at=NOW,
        )

    def test_motivo_04_cancels_a_global_invoice(self) -> None:
        sandbox = pac()
        uuid = self.stamped(sandbox, global_invoice(GlobalPeriod.for_month(2025, 4)))
        result = sandbox.cancel(
            self.request(uuid, CancellationMotivo.GLOBAL_NOMINATIVE, "XAXX010101000")
        )
        assert result.status is CancellationStatus.ACCEPTED

    def test_motivo_04_for_an_invoice_that_is_not_global_is_refused(self) -> None:
        sandbox = pac()
        uuid = self.stamped(sandbox, invoice())
        with pytest.raises(PacDataRejectedError) as raised:
            sandbox.cancel(
                self.request(uuid, CancellationMotivo.GLOBAL_NOMINATIVE, "XIQB891116QE4")
            )
        assert raised.value.pac_code == "motivo_04_solo_factura_global"

    def test_after_the_annual_return_month_the_sat_refuses_to_cancel(self) -> None:
        clock = [NOW]
        sandbox = pac(lambda: clock[0])
        uuid = self.stamped(sandbox, invoice())
        clock[0] = datetime(2026, 4, 1, 18, 0, tzinfo=UTC)  # issued 2025 by a persona moral
        with pytest.raises(PacDataRejectedError) as raised:
            sandbox.cancel(self.request(uuid, CancellationMotivo.WITHOUT_RELATION, "XIQB891116QE4"))
        assert raised.value.pac_code == "cancelacion_fuera_de_plazo"
        assert "31/03/2026" in raised.value.message
