"""Reading a stamped CFDI 4.0 into the typed view the PDF uses (checked against satcfdi itself)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from postventa.cfdi.parse import CfdiParseError, parse_cfdi, verification_url

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "cfdi"
NAMES = sorted(p.name for p in SAMPLES.glob("*.xml"))


def test_samples_exist() -> None:
    assert {
        "ingreso_3_conceptos.xml",
        "ingreso_usd.xml",
        "egreso_nota_credito.xml",
        "global_120_conceptos.xml",
    } <= set(NAMES)


def test_ingreso_fields() -> None:
    cfdi = parse_cfdi((SAMPLES / "ingreso_3_conceptos.xml").read_bytes())
    assert cfdi.serie_folio == "A-1024"
    assert cfdi.tipo_de_comprobante == "I"
    assert cfdi.emisor.rfc == "EKU9003173C9"
    assert cfdi.receptor.uso_cfdi == "G03"
    assert len(cfdi.conceptos) == 3
    assert cfdi.conceptos[0].descuento == Decimal("431.03")
    assert cfdi.descuento == Decimal("431.03")
    assert cfdi.total == Decimal("10250.00")
    assert [(t.impuesto, t.tasa_o_cuota) for t in cfdi.traslados] == [("002", Decimal("0.160000"))]
    assert cfdi.subtotal - cfdi.descuento + cfdi.total_impuestos_trasladados == cfdi.total


def test_global_fields() -> None:
    cfdi = parse_cfdi((SAMPLES / "global_120_conceptos.xml").read_bytes())
    assert cfdi.informacion_global is not None
    assert (cfdi.informacion_global.periodicidad, cfdi.informacion_global.meses) == ("01", "05")
    assert cfdi.informacion_global.ano == "2024"
    assert len(cfdi.conceptos) == 120
    assert {t.tasa_o_cuota for t in cfdi.traslados} == {Decimal("0.160000"), Decimal("0.000000")}


@pytest.mark.parametrize("name", NAMES)
def test_tfd_original_string_and_url_match_satcfdi(name: str) -> None:
    from lxml import etree
    from satcfdi.cfdi import CFDI

    xml = (SAMPLES / name).read_bytes()
    reference = CFDI.from_xml(etree.fromstring(xml))
    cfdi = parse_cfdi(xml)
    tfd = reference["Complemento"]["TimbreFiscalDigital"]
    assert cfdi.timbre.original_string == tfd.cadena_original()
    assert cfdi.verification_url == reference.verifica_url


def test_tfd_original_string_includes_leyenda_only_when_present() -> None:
    cfdi = parse_cfdi((SAMPLES / "ingreso_3_conceptos.xml").read_bytes())
    t = cfdi.timbre
    assert t.original_string == (
        f"||1.1|{t.uuid}|{t.fecha_timbrado}|{t.rfc_prov_certif}|{t.sello_cfd}|"
        f"{t.no_certificado_sat}||"
    )
    from dataclasses import replace

    with_leyenda = replace(t, leyenda="Leyenda  de   prueba")
    assert with_leyenda.original_string.startswith(
        f"||1.1|{t.uuid}|{t.fecha_timbrado}|{t.rfc_prov_certif}|Leyenda de prueba|"
    )


def test_sample_emisor_seal_verifies_and_the_tfd_carries_it() -> None:
    """The samples are really sealed: Sello verifies with the XML's own certificate."""
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
    from cryptography.x509 import load_der_x509_certificate

    xml = (SAMPLES / "ingreso_3_conceptos.xml").read_bytes()
    cfdi = parse_cfdi(xml)
    # The emisor's seal is checkable with the certificate inside the XML.
    from lxml import etree

    root = etree.fromstring(xml)
    cert = load_der_x509_certificate(base64.b64decode(root.get("Certificado")))
    key = cert.public_key()
    assert isinstance(key, RSAPublicKey)
    from satcfdi.cfdi import CFDI

    original = CFDI.from_xml(root).cadena_original()
    key.verify(base64.b64decode(cfdi.sello), original.encode(), padding.PKCS1v15(), hashes.SHA256())
    assert cfdi.timbre.sello_cfd == cfdi.sello


class TestVerificationUrl:
    def test_format_follows_anexo_20(self) -> None:
        url = verification_url(
            uuid="5803EB8D-81CD-4557-8719-26632D2FA434",
            rfc_emisor="XOCD720319T86",
            rfc_receptor="CARR861127SB0",
            total="14300.00",
            sello="....abcdrH8/bw==",
        )
        assert url == (
            "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx"
            "?id=5803EB8D-81CD-4557-8719-26632D2FA434&re=XOCD720319T86&rr=CARR861127SB0"
            "&tt=14300.00&fe=rH8/bw=="
        )

    @pytest.mark.parametrize(
        ("total", "tt"),
        [("0000014300.000000", "14300.000000"), ("0.50", "0.50"), ("000", "0"), ("7", "7")],
    )
    def test_total_drops_leading_zeros(self, total: str, tt: str) -> None:
        url = verification_url(uuid="U", rfc_emisor="E", rfc_receptor="R", total=total, sello="x")
        assert f"&tt={tt}&" in url


class TestRejects:
    def test_not_xml(self) -> None:
        with pytest.raises(CfdiParseError, match="XML"):
            parse_cfdi(b"%PDF-1.4 not xml")

    def test_other_version(self) -> None:
        xml = b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/3" Version="3.3"/>'
        with pytest.raises(CfdiParseError, match=r"4\.0"):
            parse_cfdi(xml)

    def test_unstamped(self) -> None:
        xml = (SAMPLES / "ingreso_3_conceptos.xml").read_bytes()
        start = xml.index(b"<cfdi:Complemento")
        end = xml.index(b"</cfdi:Complemento>") + len(b"</cfdi:Complemento>")
        with pytest.raises(CfdiParseError, match="timbrado"):
            parse_cfdi(xml[:start] + xml[end:])

    def test_entities_are_not_expanded(self) -> None:
        xml = (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Version="4.0">&e;'
            b"</cfdi:Comprobante>"
        )
        with pytest.raises(CfdiParseError):
            parse_cfdi(xml)
