"""Read a stamped CFDI 4.0 XML into a small typed, read-only view (for the PDF, emails, listings).

lxml only (no satcfdi import: ~20 ms instead of ~150 ms+), with a parser that resolves no entities
and never touches the network. Amounts are Decimal; the raw attribute text is kept where SAT rules
need it verbatim (the Total in the verification QR).

    cfdi = parse_cfdi(xml_bytes)
    cfdi.timbre.uuid, cfdi.total, cfdi.verification_url, cfdi.timbre.original_string
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from postventa.cfdi.errors import CfdiError

if TYPE_CHECKING:
    from lxml.etree import _Element

NS_CFDI40 = "http://www.sat.gob.mx/cfd/4"
NS_TFD = "http://www.sat.gob.mx/TimbreFiscalDigital"
VERIFY_URL = "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx"

_C = f"{{{NS_CFDI40}}}"
_T = f"{{{NS_TFD}}}"


class CfdiParseError(CfdiError):
    """The bytes are not a stamped CFDI 4.0 (bad XML, other version, no TimbreFiscalDigital)."""

    code = "cfdi_ilegible"


@dataclass(frozen=True)
class Emisor:
    rfc: str
    nombre: str
    regimen_fiscal: str
    fac_atr_adquirente: str | None = None


@dataclass(frozen=True)
class Receptor:
    rfc: str
    nombre: str
    domicilio_fiscal: str
    regimen_fiscal: str
    uso_cfdi: str
    residencia_fiscal: str | None = None
    num_reg_id_trib: str | None = None


@dataclass(frozen=True)
class Impuesto:
    """One traslado or retención (concept or summary); retention summaries carry no base/tasa."""

    impuesto: str
    importe: Decimal | None
    base: Decimal | None = None
    tipo_factor: str | None = None
    tasa_o_cuota: Decimal | None = None


@dataclass(frozen=True)
class Concepto:
    clave_prod_serv: str
    cantidad: Decimal
    clave_unidad: str
    descripcion: str
    valor_unitario: Decimal
    importe: Decimal
    objeto_imp: str
    no_identificacion: str | None = None
    unidad: str | None = None
    descuento: Decimal | None = None
    traslados: tuple[Impuesto, ...] = ()
    retenciones: tuple[Impuesto, ...] = ()


@dataclass(frozen=True)
class InformacionGlobal:
    periodicidad: str
    meses: str
    ano: str


@dataclass(frozen=True)
class CfdiRelacionados:
    tipo_relacion: str
    uuids: tuple[str, ...]


@dataclass(frozen=True)
class Timbre:
    """TimbreFiscalDigital 1.1."""

    version: str
    uuid: str
    fecha_timbrado: str
    rfc_prov_certif: str
    sello_cfd: str
    no_certificado_sat: str
    sello_sat: str
    leyenda: str | None = None

    @property
    def original_string(self) -> str:
        """Cadena original del complemento de certificación digital del SAT (TFD 1.1 XSLT order)."""
        parts = [self.version, self.uuid, self.fecha_timbrado, self.rfc_prov_certif]
        if self.leyenda:
            parts.append(self.leyenda)
        parts += [self.sello_cfd, self.no_certificado_sat]
        return "||" + "|".join(_normalize_spaces(p) for p in parts) + "||"


@dataclass(frozen=True)
class Cfdi:
    version: str
    tipo_de_comprobante: str
    fecha: str
    lugar_expedicion: str
    moneda: str
    exportacion: str
    subtotal: Decimal
    total: Decimal
    total_text: str
    sello: str
    no_certificado: str
    emisor: Emisor
    receptor: Receptor
    conceptos: tuple[Concepto, ...]
    timbre: Timbre
    serie: str | None = None
    folio: str | None = None
    forma_pago: str | None = None
    metodo_pago: str | None = None
    condiciones_de_pago: str | None = None
    descuento: Decimal | None = None
    tipo_cambio: Decimal | None = None
    confirmacion: str | None = None
    informacion_global: InformacionGlobal | None = None
    cfdi_relacionados: tuple[CfdiRelacionados, ...] = ()
    traslados: tuple[Impuesto, ...] = ()
    retenciones: tuple[Impuesto, ...] = ()
    total_impuestos_trasladados: Decimal | None = None
    total_impuestos_retenidos: Decimal | None = None

    @property
    def serie_folio(self) -> str:
        return "-".join(p for p in (self.serie, self.folio) if p)

    @property
    def verification_url(self) -> str:
        return verification_url(
            uuid=self.timbre.uuid,
            rfc_emisor=self.emisor.rfc,
            rfc_receptor=self.receptor.rfc,
            total=self.total_text,
            sello=self.sello,
        )


def verification_url(
    *, uuid: str, rfc_emisor: str, rfc_receptor: str, total: str, sello: str
) -> str:
    """SAT's QR content (Anexo 20, "código de barras bidimensional"): id, re, rr, tt, fe.

    tt is the Comprobante Total as written in the XML with non-significant leading zeros removed
    (up to 18 integer digits and 6 decimals); fe is the last 8 characters of the emisor's Sello.
    Values go unescaped, as in SAT's own example (re/rr may hold '&' or 'Ñ' in RFCs; SAT's site
    reads them as is).
    """
    integer, _, decimals = total.strip().partition(".")
    integer = integer.lstrip("0") or "0"
    tt = f"{integer}.{decimals}" if decimals else integer
    return f"{VERIFY_URL}?id={uuid}&re={rfc_emisor}&rr={rfc_receptor}&tt={tt}&fe={sello[-8:]}"


def _normalize_spaces(value: str) -> str:
    return " ".join(value.split())


def _dec(value: str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise CfdiParseError(f"Importe inválido en el CFDI: {value!r}") from exc


def _req_dec(node: _Element, name: str) -> Decimal:
    value = _dec(node.get(name))
    if value is None:
        raise CfdiParseError(f"Falta el atributo {name} en el CFDI.")
    return value


def _req(node: _Element, name: str) -> str:
    value = node.get(name)
    if value is None:
        raise CfdiParseError(f"Falta el atributo {name} en el CFDI.")
    return value


def _taxes(node: _Element | None) -> tuple[tuple[Impuesto, ...], tuple[Impuesto, ...]]:
    if node is None:
        return (), ()
    out: list[list[Impuesto]] = [[], []]
    for i, (group, item) in enumerate((("Traslados", "Traslado"), ("Retenciones", "Retencion"))):
        for t in node.iterfind(f"{_C}{group}/{_C}{item}"):
            out[i].append(
                Impuesto(
                    impuesto=t.get("Impuesto", ""),
                    importe=_dec(t.get("Importe")),
                    base=_dec(t.get("Base")),
                    tipo_factor=t.get("TipoFactor"),
                    tasa_o_cuota=_dec(t.get("TasaOCuota")),
                )
            )
    return tuple(out[0]), tuple(out[1])


def _parser() -> Any:
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True, huge_tree=True
    )


def parse_cfdi(xml: bytes) -> Cfdi:
    """Parse a stamped CFDI 4.0; raises CfdiParseError (Spanish message) when it is not one."""
    from lxml import etree

    try:
        root = etree.fromstring(xml, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise CfdiParseError("El archivo no es un XML válido.") from exc
    if root.tag != f"{_C}Comprobante" or root.get("Version") != "4.0":
        raise CfdiParseError("El XML no es un CFDI versión 4.0.")
    tfd = root.find(f"{_C}Complemento/{_T}TimbreFiscalDigital")
    if tfd is None:
        raise CfdiParseError("El CFDI no está timbrado (falta el TimbreFiscalDigital).")
    emisor_node = root.find(f"{_C}Emisor")
    receptor_node = root.find(f"{_C}Receptor")
    if emisor_node is None or receptor_node is None:
        raise CfdiParseError("El CFDI no tiene emisor o receptor.")

    conceptos = []
    for c in root.iterfind(f"{_C}Conceptos/{_C}Concepto"):
        traslados, retenciones = _taxes(c.find(f"{_C}Impuestos"))
        conceptos.append(
            Concepto(
                clave_prod_serv=_req(c, "ClaveProdServ"),
                cantidad=_req_dec(c, "Cantidad"),
                clave_unidad=_req(c, "ClaveUnidad"),
                descripcion=_req(c, "Descripcion"),
                valor_unitario=_req_dec(c, "ValorUnitario"),
                importe=_req_dec(c, "Importe"),
                objeto_imp=c.get("ObjetoImp", ""),
                no_identificacion=c.get("NoIdentificacion"),
                unidad=c.get("Unidad"),
                descuento=_dec(c.get("Descuento")),
                traslados=traslados,
                retenciones=retenciones,
            )
        )

    impuestos = root.find(f"{_C}Impuestos")
    traslados, retenciones = _taxes(impuestos)
    glob = root.find(f"{_C}InformacionGlobal")
    relacionados = tuple(
        CfdiRelacionados(
            tipo_relacion=r.get("TipoRelacion", ""),
            uuids=tuple(u.get("UUID", "") for u in r.iterfind(f"{_C}CfdiRelacionado")),
        )
        for r in root.iterfind(f"{_C}CfdiRelacionados")
    )

    return Cfdi(
        version="4.0",
        tipo_de_comprobante=_req(root, "TipoDeComprobante"),
        fecha=_req(root, "Fecha"),
        lugar_expedicion=_req(root, "LugarExpedicion"),
        moneda=_req(root, "Moneda"),
        exportacion=root.get("Exportacion", ""),
        subtotal=_req_dec(root, "SubTotal"),
        total=_req_dec(root, "Total"),
        total_text=_req(root, "Total"),
        sello=_req(root, "Sello"),
        no_certificado=root.get("NoCertificado", ""),
        serie=root.get("Serie"),
        folio=root.get("Folio"),
        forma_pago=root.get("FormaPago"),
        metodo_pago=root.get("MetodoPago"),
        condiciones_de_pago=root.get("CondicionesDePago"),
        descuento=_dec(root.get("Descuento")),
        tipo_cambio=_dec(root.get("TipoCambio")),
        confirmacion=root.get("Confirmacion"),
        emisor=Emisor(
            rfc=_req(emisor_node, "Rfc"),
            nombre=emisor_node.get("Nombre", ""),
            regimen_fiscal=_req(emisor_node, "RegimenFiscal"),
            fac_atr_adquirente=emisor_node.get("FacAtrAdquirente"),
        ),
        receptor=Receptor(
            rfc=_req(receptor_node, "Rfc"),
            nombre=receptor_node.get("Nombre", ""),
            domicilio_fiscal=receptor_node.get("DomicilioFiscalReceptor", ""),
            regimen_fiscal=receptor_node.get("RegimenFiscalReceptor", ""),
            uso_cfdi=receptor_node.get("UsoCFDI", ""),
            residencia_fiscal=receptor_node.get("ResidenciaFiscal"),
            num_reg_id_trib=receptor_node.get("NumRegIdTrib"),
        ),
        conceptos=tuple(conceptos),
        informacion_global=(
            InformacionGlobal(
                periodicidad=glob.get("Periodicidad", ""),
                meses=glob.get("Meses", ""),
                ano=glob.get("Año", ""),
            )
            if glob is not None
            else None
        ),
        cfdi_relacionados=relacionados,
        traslados=traslados,
        retenciones=retenciones,
        total_impuestos_trasladados=(
            _dec(impuestos.get("TotalImpuestosTrasladados")) if impuestos is not None else None
        ),
        total_impuestos_retenidos=(
            _dec(impuestos.get("TotalImpuestosRetenidos")) if impuestos is not None else None
        ),
        timbre=Timbre(
            version=tfd.get("Version", "1.1"),
            uuid=_req(tfd, "UUID"),
            fecha_timbrado=_req(tfd, "FechaTimbrado"),
            rfc_prov_certif=_req(tfd, "RfcProvCertif"),
            sello_cfd=_req(tfd, "SelloCFD"),
            no_certificado_sat=_req(tfd, "NoCertificadoSAT"),
            sello_sat=_req(tfd, "SelloSAT"),
            leyenda=tfd.get("Leyenda"),
        ),
    )
