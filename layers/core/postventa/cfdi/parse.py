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
    from collections.abc import Iterator

    from lxml.etree import _Element

NS_CFDI40 = "http://www.sat.gob.mx/cfd/4"
NS_TFD = "http://www.sat.gob.mx/TimbreFiscalDigital"
NS_PAGOS20 = "http://www.sat.gob.mx/Pagos20"
NS_IMPLOCAL = "http://www.sat.gob.mx/implocal"
VERIFY_URL = "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx"

_C = f"{{{NS_CFDI40}}}"
_T = f"{{{NS_TFD}}}"
_P = f"{{{NS_PAGOS20}}}"
_L = f"{{{NS_IMPLOCAL}}}"
_SCHEMA_LOCATION = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"

# Certificate numbers of SAT's test certification authority ("AC UAT", issuer of SAT's published
# test CSDs, e.g. 30001000000400002434) and of its older CFDI 3.x test authority (20001...). SAT's
# production authority numbers certificates 00001000000...; a TimbreFiscalDigital signed with, or
# a CFDI sealed with, a test-range certificate comes from a test environment (SAT's, a PAC's
# sandbox, or Postventa's own sandbox PAC: `certs.test_no_certificado` uses 30001).
SAT_TEST_CERTIFICATE_PREFIXES = ("30001", "20001")


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
class Nodo:
    """An XML element kept as plain data (local name, attributes in document order, children):
    complements and concept-level nodes the model has no dedicated type for."""

    namespace: str
    name: str
    attributes: tuple[tuple[str, str], ...] = ()
    children: tuple[Nodo, ...] = ()

    def get(self, attribute: str) -> str | None:
        return next((v for k, v in self.attributes if k == attribute), None)

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Nodo]]:
        """(depth, node) for this node and every descendant, in document order."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)


@dataclass(frozen=True)
class ACuentaTerceros:
    """The third party a concepto is billed on behalf of (CFDI 4.0 Concepto/ACuentaTerceros)."""

    rfc: str
    nombre: str
    regimen_fiscal: str
    domicilio_fiscal: str


@dataclass(frozen=True)
class Parte:
    clave_prod_serv: str
    cantidad: Decimal
    descripcion: str
    no_identificacion: str | None = None
    unidad: str | None = None
    valor_unitario: Decimal | None = None
    importe: Decimal | None = None
    pedimentos: tuple[str, ...] = ()


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
    a_cuenta_terceros: ACuentaTerceros | None = None
    pedimentos: tuple[str, ...] = ()  # InformacionAduanera/NumeroPedimento
    cuentas_prediales: tuple[str, ...] = ()  # CuentaPredial/Numero
    partes: tuple[Parte, ...] = ()
    complementos: tuple[Nodo, ...] = ()  # ComplementoConcepto's children


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
class ImpuestoLocal:
    """One implocal TrasladosLocales / RetencionesLocales entry; `tasa` is a percentage (3 = 3%)."""

    nombre: str
    tasa: Decimal
    importe: Decimal


@dataclass(frozen=True)
class ImpuestosLocales:
    """Complemento de impuestos locales 1.0 (implocal): state and municipal taxes."""

    total_traslados: Decimal
    total_retenciones: Decimal
    traslados: tuple[ImpuestoLocal, ...] = ()
    retenciones: tuple[ImpuestoLocal, ...] = ()


@dataclass(frozen=True)
class DoctoRelacionado:
    """A document a payment settles (Pagos 2.0 DoctoRelacionado), with its DR taxes."""

    id_documento: str
    moneda: str
    num_parcialidad: str
    imp_saldo_ant: Decimal
    imp_pagado: Decimal
    imp_saldo_insoluto: Decimal
    objeto_imp: str
    serie: str | None = None
    folio: str | None = None
    equivalencia: Decimal | None = None
    traslados: tuple[Impuesto, ...] = ()
    retenciones: tuple[Impuesto, ...] = ()

    @property
    def serie_folio(self) -> str:
        return "-".join(p for p in (self.serie, self.folio) if p)


@dataclass(frozen=True)
class Pago:
    """One payment (Pagos 2.0 Pago) with its related documents and its taxes (ImpuestosP)."""

    fecha_pago: str
    forma_de_pago: str
    moneda: str
    monto: Decimal
    tipo_cambio: Decimal | None = None
    num_operacion: str | None = None
    rfc_emisor_cta_ord: str | None = None
    nom_banco_ord_ext: str | None = None
    cta_ordenante: str | None = None
    rfc_emisor_cta_ben: str | None = None
    cta_beneficiario: str | None = None
    tipo_cad_pago: str | None = None
    cert_pago: str | None = None  # CertPago, CadPago, SelloPago: the SPEI transfer's proof
    cad_pago: str | None = None
    sello_pago: str | None = None
    documentos: tuple[DoctoRelacionado, ...] = ()
    traslados: tuple[Impuesto, ...] = ()
    retenciones: tuple[Impuesto, ...] = ()


# Pagos 2.0 Totales attributes in the order of the XSD, with how the PDF names them.
TOTALES_PAGOS = (
    ("TotalRetencionesIVA", "Total retenciones IVA"),
    ("TotalRetencionesISR", "Total retenciones ISR"),
    ("TotalRetencionesIEPS", "Total retenciones IEPS"),
    ("TotalTrasladosBaseIVA16", "Total base IVA 16%"),
    ("TotalTrasladosImpuestoIVA16", "Total IVA 16%"),
    ("TotalTrasladosBaseIVA8", "Total base IVA 8%"),
    ("TotalTrasladosImpuestoIVA8", "Total IVA 8%"),
    ("TotalTrasladosBaseIVA0", "Total base IVA 0%"),
    ("TotalTrasladosImpuestoIVA0", "Total IVA 0%"),
    ("TotalTrasladosBaseIVAExento", "Total base IVA exento"),
)


@dataclass(frozen=True)
class Pagos:
    """Complemento para recepción de pagos 2.0: Totales (all in MXN) and every Pago."""

    version: str
    monto_total_pagos: Decimal
    totales: tuple[tuple[str, Decimal], ...]  # (attribute of TOTALES_PAGOS, amount) when present
    pagos: tuple[Pago, ...]


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
    pagos: Pagos | None = None
    impuestos_locales: ImpuestosLocales | None = None
    complementos: tuple[Nodo, ...] = ()  # every other complement (nómina, carta porte, ...)
    addenda: tuple[str, ...] = ()  # names of the Addenda's nodes (not part of the stamped CFDI)

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


def no_fiscal_validity_reason(cfdi: Cfdi) -> str | None:
    """Why this CFDI has no fiscal validity as a test stamp (Spanish), or None.

    A TimbreFiscalDigital signed with a certificate of SAT's test range, a CFDI sealed with a test
    CSD, or a stamp whose Leyenda says so (Postventa's sandbox PAC writes one).
    """
    if cfdi.timbre.no_certificado_sat.startswith(SAT_TEST_CERTIFICATE_PREFIXES):
        return (
            f"timbrado con el certificado de pruebas {cfdi.timbre.no_certificado_sat} "
            "(ambiente de pruebas del SAT o de un PAC)"
        )
    if cfdi.no_certificado.startswith(SAT_TEST_CERTIFICATE_PREFIXES):
        return f"sellado con el CSD de pruebas {cfdi.no_certificado}"
    if "sin validez" in (cfdi.timbre.leyenda or "").lower():
        return cfdi.timbre.leyenda
    return None


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


def _taxes(
    node: _Element | None, ns: str = _C, suffix: str = ""
) -> tuple[tuple[Impuesto, ...], tuple[Impuesto, ...]]:
    """(traslados, retenciones) under an Impuestos node; `suffix` reads the Pagos 2.0 variants
    (ImpuestosDR/TrasladosDR/TrasladoDR@BaseDR with "DR", ImpuestosP/... with "P")."""
    if node is None:
        return (), ()
    out: list[list[Impuesto]] = [[], []]
    for i, (group, item) in enumerate((("Traslados", "Traslado"), ("Retenciones", "Retencion"))):
        for t in node.iterfind(f"{ns}{group}{suffix}/{ns}{item}{suffix}"):
            out[i].append(
                Impuesto(
                    impuesto=t.get(f"Impuesto{suffix}", ""),
                    importe=_dec(t.get(f"Importe{suffix}")),
                    base=_dec(t.get(f"Base{suffix}")),
                    tipo_factor=t.get(f"TipoFactor{suffix}"),
                    tasa_o_cuota=_dec(t.get(f"TasaOCuota{suffix}")),
                )
            )
    return tuple(out[0]), tuple(out[1])


def _nodo(element: _Element) -> Nodo:
    from lxml import etree

    name = etree.QName(element)
    return Nodo(
        namespace=name.namespace or "",
        name=name.localname,
        attributes=tuple(
            (str(k), str(v)) for k, v in element.attrib.items() if k != _SCHEMA_LOCATION
        ),
        children=tuple(_nodo(child) for child in element if isinstance(child.tag, str)),
    )


def _pedimentos(node: _Element) -> tuple[str, ...]:
    return tuple(i.get("NumeroPedimento", "") for i in node.iterfind(f"{_C}InformacionAduanera"))


def _concepto(c: _Element) -> Concepto:
    traslados, retenciones = _taxes(c.find(f"{_C}Impuestos"))
    terceros = c.find(f"{_C}ACuentaTerceros")
    complemento = c.find(f"{_C}ComplementoConcepto")
    return Concepto(
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
        a_cuenta_terceros=(
            ACuentaTerceros(
                rfc=terceros.get("RfcACuentaTerceros", ""),
                nombre=terceros.get("NombreACuentaTerceros", ""),
                regimen_fiscal=terceros.get("RegimenFiscalACuentaTerceros", ""),
                domicilio_fiscal=terceros.get("DomicilioFiscalACuentaTerceros", ""),
            )
            if terceros is not None
            else None
        ),
        pedimentos=_pedimentos(c),
        cuentas_prediales=tuple(p.get("Numero", "") for p in c.iterfind(f"{_C}CuentaPredial")),
        partes=tuple(
            Parte(
                clave_prod_serv=p.get("ClaveProdServ", ""),
                cantidad=_req_dec(p, "Cantidad"),
                descripcion=p.get("Descripcion", ""),
                no_identificacion=p.get("NoIdentificacion"),
                unidad=p.get("Unidad"),
                valor_unitario=_dec(p.get("ValorUnitario")),
                importe=_dec(p.get("Importe")),
                pedimentos=_pedimentos(p),
            )
            for p in c.iterfind(f"{_C}Parte")
        ),
        complementos=(
            tuple(_nodo(n) for n in complemento if isinstance(n.tag, str))
            if complemento is not None
            else ()
        ),
    )


def _docto(d: _Element) -> DoctoRelacionado:
    traslados, retenciones = _taxes(d.find(f"{_P}ImpuestosDR"), _P, "DR")
    return DoctoRelacionado(
        id_documento=_req(d, "IdDocumento"),
        moneda=d.get("MonedaDR", ""),
        num_parcialidad=d.get("NumParcialidad", ""),
        imp_saldo_ant=_req_dec(d, "ImpSaldoAnt"),
        imp_pagado=_req_dec(d, "ImpPagado"),
        imp_saldo_insoluto=_req_dec(d, "ImpSaldoInsoluto"),
        objeto_imp=d.get("ObjetoImpDR", ""),
        serie=d.get("Serie"),
        folio=d.get("Folio"),
        equivalencia=_dec(d.get("EquivalenciaDR")),
        traslados=traslados,
        retenciones=retenciones,
    )


def _pago(p: _Element) -> Pago:
    traslados, retenciones = _taxes(p.find(f"{_P}ImpuestosP"), _P, "P")
    return Pago(
        fecha_pago=_req(p, "FechaPago"),
        forma_de_pago=p.get("FormaDePagoP", ""),
        moneda=p.get("MonedaP", ""),
        monto=_req_dec(p, "Monto"),
        tipo_cambio=_dec(p.get("TipoCambioP")),
        num_operacion=p.get("NumOperacion"),
        rfc_emisor_cta_ord=p.get("RfcEmisorCtaOrd"),
        nom_banco_ord_ext=p.get("NomBancoOrdExt"),
        cta_ordenante=p.get("CtaOrdenante"),
        rfc_emisor_cta_ben=p.get("RfcEmisorCtaBen"),
        cta_beneficiario=p.get("CtaBeneficiario"),
        tipo_cad_pago=p.get("TipoCadPago"),
        cert_pago=p.get("CertPago"),
        cad_pago=p.get("CadPago"),
        sello_pago=p.get("SelloPago"),
        documentos=tuple(_docto(d) for d in p.iterfind(f"{_P}DoctoRelacionado")),
        traslados=traslados,
        retenciones=retenciones,
    )


def _pagos(node: _Element) -> Pagos:
    totales = node.find(f"{_P}Totales")
    if totales is None:
        raise CfdiParseError("El complemento de pagos no tiene el nodo Totales.")
    return Pagos(
        version=node.get("Version", ""),
        monto_total_pagos=_req_dec(totales, "MontoTotalPagos"),
        totales=tuple(
            (name, amount)
            for name, _ in TOTALES_PAGOS
            if (amount := _dec(totales.get(name))) is not None
        ),
        pagos=tuple(_pago(p) for p in node.iterfind(f"{_P}Pago")),
    )


def _implocal(node: _Element) -> ImpuestosLocales:
    def entries(item: str, name: str, rate: str) -> tuple[ImpuestoLocal, ...]:
        return tuple(
            ImpuestoLocal(
                nombre=e.get(name, ""), tasa=_req_dec(e, rate), importe=_req_dec(e, "Importe")
            )
            for e in node.iterfind(f"{_L}{item}")
        )

    return ImpuestosLocales(
        total_traslados=_req_dec(node, "TotaldeTraslados"),
        total_retenciones=_req_dec(node, "TotaldeRetenciones"),
        traslados=entries("TrasladosLocales", "ImpLocTrasladado", "TasadeTraslado"),
        retenciones=entries("RetencionesLocales", "ImpLocRetenido", "TasadeRetencion"),
    )


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

    conceptos = tuple(_concepto(c) for c in root.iterfind(f"{_C}Conceptos/{_C}Concepto"))
    pagos: Pagos | None = None
    impuestos_locales: ImpuestosLocales | None = None
    complementos: list[Nodo] = []
    for node in root.iterfind(f"{_C}Complemento/*"):
        if node.tag == f"{_T}TimbreFiscalDigital" or not isinstance(node.tag, str):
            continue
        if node.tag == f"{_P}Pagos":
            pagos = _pagos(node)
        elif node.tag == f"{_L}ImpuestosLocales":
            impuestos_locales = _implocal(node)
        else:
            complementos.append(_nodo(node))

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
        conceptos=conceptos,
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
        pagos=pagos,
        impuestos_locales=impuestos_locales,
        complementos=tuple(complementos),
        addenda=tuple(
            etree.QName(n).localname
            for n in root.iterfind(f"{_C}Addenda/*")
            if isinstance(n.tag, str)
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
