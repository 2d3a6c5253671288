"""The top of the first page: emisor and document identity, receptor and comprobante data, and the
comprobante-level extras (InformacionGlobal, CfdiRelacionados)."""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from postventa.cfdi.parse import Cfdi
from postventa.cfdi.pdf.catalogs import DOCUMENT_TITLES, describe
from postventa.cfdi.pdf.format import when
from postventa.cfdi.pdf.theme import GAP, WIDTH, box, field, grid, para, side_by_side, text, theme

IDENTITY_WIDTH = 88 * mm


def document_title(cfdi: Cfdi) -> str:
    return DOCUMENT_TITLES.get(cfdi.tipo_de_comprobante, "CFDI")


def header(cfdi: Cfdi) -> list[Any]:
    """Emisor on the left, the document's identity (title, folio, UUID, dates) on the right."""
    t = theme()
    emisor, timbre = cfdi.emisor, cfdi.timbre
    left = [
        Paragraph(text(emisor.nombre or emisor.rfc), t.title),
        Spacer(1, 2),
        field("RFC", emisor.rfc),
        field("Régimen fiscal", describe("RegimenFiscal", emisor.regimen_fiscal)),
        field("Lugar de expedición (C.P.)", cfdi.lugar_expedicion),
    ]
    if emisor.fac_atr_adquirente:
        left.append(
            field("Factura a cuenta del adquirente (FacAtrAdquirente)", emisor.fac_atr_adquirente)
        )
    ident_rows = [
        [Paragraph(f"<b>{text(document_title(cfdi))}</b>", t.head), ""],
        [para("Serie y folio", t.label), para(cfdi.serie_folio or "—", t.right)],
        [para("Folio fiscal (UUID)", t.label), para(timbre.uuid, t.right)],
        [para("Fecha de emisión", t.label), para(when(cfdi.fecha), t.right)],
        [para("Fecha de certificación", t.label), para(when(timbre.fecha_timbrado), t.right)],
    ]
    ident = grid(
        ident_rows,
        [30 * mm, 58 * mm],
        [
            ("SPAN", (0, 0), (1, 0)),
            ("BACKGROUND", (0, 0), (1, 0), t.accent),
            ("BOX", (0, 0), (-1, -1), 0.6, t.accent),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2.2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
            ("LINEBELOW", (0, 1), (-1, -2), 0.3, t.rule),
        ],
    )
    table = grid(
        [[left, ident]],
        [WIDTH - IDENTITY_WIDTH, IDENTITY_WIDTH],
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (-1, 0), (-1, 0), 0),
        ],
    )
    return [table, Spacer(1, 4 * mm)]


def parties(cfdi: Cfdi) -> list[Any]:
    """Receptor and comprobante data side by side."""
    receptor = cfdi.receptor
    half = (WIDTH - GAP) / 2
    receptor_box = box(
        "Receptor",
        [
            ("Nombre", receptor.nombre),
            ("RFC", receptor.rfc),
            ("Domicilio fiscal (C.P.)", receptor.domicilio_fiscal),
            ("Régimen fiscal", describe("RegimenFiscal", receptor.regimen_fiscal)),
            ("Uso del CFDI", describe("UsoCFDI", receptor.uso_cfdi)),
            ("Residencia fiscal", receptor.residencia_fiscal),
            ("Núm. registro de identidad fiscal", receptor.num_reg_id_trib),
        ],
        half,
    )
    datos_box = box(
        "Datos del comprobante",
        [
            ("Tipo de comprobante", describe("TipoDeComprobante", cfdi.tipo_de_comprobante)),
            ("Forma de pago", describe("FormaPago", cfdi.forma_pago)),
            ("Método de pago", describe("MetodoPago", cfdi.metodo_pago)),
            ("Condiciones de pago", cfdi.condiciones_de_pago),
            ("Moneda", describe("Moneda", cfdi.moneda)),
            ("Tipo de cambio", cfdi.tipo_cambio),
            ("Exportación", describe("Exportacion", cfdi.exportacion)),
            ("Confirmación", cfdi.confirmacion),
        ],
        half,
    )
    return [side_by_side(receptor_box, datos_box, half + GAP, half), Spacer(1, 3 * mm)]


def additional_information(cfdi: Cfdi) -> list[Any]:
    """InformacionGlobal, CfdiRelacionados (each UUID on its own line) and a note when the XML
    carries an Addenda."""
    rows: list[tuple[str, str]] = []
    if cfdi.informacion_global is not None:
        g = cfdi.informacion_global
        rows.append(
            (
                "Información global",
                f"Periodicidad: {describe('Periodicidad', g.periodicidad)} · "
                f"Meses: {describe('Meses', g.meses)} · Año: {g.ano}",
            )
        )
    for rel in cfdi.cfdi_relacionados:
        rows.append(
            ("CFDI relacionados, tipo de relación", describe("TipoRelacion", rel.tipo_relacion))
        )
        rows += [("Folio fiscal (UUID) relacionado", uuid) for uuid in rel.uuids]
    if cfdi.addenda:
        rows.append(
            (
                "Addenda",
                f"el XML trae una Addenda ({', '.join(cfdi.addenda)}): datos comerciales que no "
                "forman parte del CFDI timbrado y no se imprimen",
            )
        )
    if not rows:
        return []
    return [box("Información adicional", rows, WIDTH), Spacer(1, 3 * mm)]
