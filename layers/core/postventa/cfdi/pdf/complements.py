"""The complements: Pagos 2.0 in full (each payment, its related documents with parcialidad and
balances, the payment's and the documents' taxes, the Totales), and every other complement
(nómina, carta porte, comercio exterior, INE, leyendas fiscales, ...) printed node by node with
its data as written in the XML, so that nothing a complement says is lost. Local taxes (implocal)
print among the totals (`totals.py`)."""

from __future__ import annotations

from functools import cache
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer

from postventa.cfdi.parse import (
    NS_PAGOS20,
    TOTALES_PAGOS,
    DoctoRelacionado,
    Nodo,
    Pago,
    Pagos,
)
from postventa.cfdi.pdf.catalogs import COMPLEMENT_NAMES, complement_title, describe
from postventa.cfdi.pdf.conceptos import attributes_line, tax_lines
from postventa.cfdi.pdf.format import money, when
from postventa.cfdi.pdf.tables import Item, item_table
from postventa.cfdi.pdf.theme import GAP, WIDTH, box, grid, side_by_side, text, theme

# Beyond this many nodes a complement's remaining nodes are counted, not printed (a carta porte
# may list thousands of mercancías; the XML keeps them all).
MAX_NODES = 400

DOCUMENT_HEADINGS = (
    "Documento relacionado (UUID)",
    "Serie y folio",
    "Moneda",
    "Equiv.",
    "Núm. parc.",
    "Saldo anterior",
    "Importe pagado",
    "Saldo insoluto",
    "Obj. imp.",
)
DOCUMENT_NUMERIC = frozenset({3, 4, 5, 6, 7})
DOCUMENT_WIDTHS_MM = (55.0, 20.0, 13.0, 12.0, 12.0, 21.0, 21.0, 21.0, 0.0)


def _heading(title: str) -> Any:
    return Paragraph(text(title), theme().section)


def _document_widths() -> list[float]:
    widths = [w * mm for w in DOCUMENT_WIDTHS_MM]
    widths[-1] = WIDTH - sum(widths)
    return widths


def _document(d: DoctoRelacionado) -> Item:
    return Item(
        cells=(
            d.id_documento,
            d.serie_folio,
            d.moneda,
            str(d.equivalencia) if d.equivalencia is not None else "",
            d.num_parcialidad,
            money(d.imp_saldo_ant),
            money(d.imp_pagado),
            money(d.imp_saldo_insoluto),
            d.objeto_imp,
        ),
        details=tax_lines(d.traslados, d.retenciones),
    )


def _pago_box(number: int, count: int, pago: Pago) -> Any:
    """The payment's data; its bank accounts beside it when the XML names any."""
    heading = f"Pago {number} de {count}"
    data = [
        ("Fecha de pago", when(pago.fecha_pago)),
        ("Forma de pago", describe("FormaPago", pago.forma_de_pago)),
        ("Moneda", describe("Moneda", pago.moneda)),
        ("Tipo de cambio", pago.tipo_cambio),
        ("Monto", money(pago.monto)),
        ("Número de operación", pago.num_operacion),
    ]
    accounts = [
        (name, value)
        for name, value in (
            ("RFC del banco ordenante", pago.rfc_emisor_cta_ord),
            ("Banco ordenante (extranjero)", pago.nom_banco_ord_ext),
            ("Cuenta ordenante", pago.cta_ordenante),
            ("RFC del banco beneficiario", pago.rfc_emisor_cta_ben),
            ("Cuenta beneficiaria", pago.cta_beneficiario),
            ("Tipo de cadena de pago", pago.tipo_cad_pago),
        )
        if value
    ]
    if not accounts:
        return box(heading, data, WIDTH)
    half = (WIDTH - GAP) / 2
    return side_by_side(
        box(heading, data, half), box("Cuentas del pago", accounts, half), half + GAP, half
    )


def _pago(number: int, count: int, pago: Pago) -> list[Any]:
    t = theme()
    flow: list[Any] = [_pago_box(number, count, pago), Spacer(1, 1.5 * mm)]
    if pago.documentos:
        items = [_document(d) for d in pago.documentos]
        flow.append(item_table(DOCUMENT_HEADINGS, _document_widths(), DOCUMENT_NUMERIC, items))
    for name, value in (
        ("Certificado del pago (CertPago)", pago.cert_pago),
        ("Cadena original del pago (CadPago)", pago.cad_pago),
        ("Sello del pago (SelloPago)", pago.sello_pago),
    ):
        if value:
            flow += [Paragraph(text(name), t.label), Paragraph(text(value), t.seal)]
    taxes = tax_lines(pago.traslados, pago.retenciones)
    if taxes:
        flow += [
            Spacer(1, 1 * mm),
            Paragraph(
                "<b>Impuestos del pago:</b> " + " · ".join(text(line) for line in taxes), t.small
            ),
        ]
    return [*flow, Spacer(1, 3 * mm)]


def _totales(pagos: Pagos) -> Any:
    labels = dict(TOTALES_PAGOS)
    rows = [("Monto total de los pagos", money(pagos.monto_total_pagos))]
    rows += [(labels[name], money(amount)) for name, amount in pagos.totales]
    return box("Totales de los pagos (MXN)", rows, WIDTH)


def pagos_section(pagos: Pagos) -> list[Any]:
    title = f"{COMPLEMENT_NAMES[NS_PAGOS20]} {pagos.version}".strip()
    flow: list[Any] = [_heading(title), Spacer(1, 1.5 * mm)]
    for number, pago in enumerate(pagos.pagos, start=1):
        flow += _pago(number, len(pagos.pagos), pago)
    flow += [KeepTogether([_totales(pagos)]), Spacer(1, 4 * mm)]
    return flow


@cache
def _indented(depth: int) -> ParagraphStyle:
    """The node-name style, indented to show the nesting of the XML."""
    return ParagraphStyle(f"node{depth}", parent=theme().label, leftIndent=5 * min(depth, 6))


def _node_rows(node: Nodo) -> tuple[list[list[Any]], int]:
    """One row per node that carries data or holds nodes: its name (indented by depth) and its
    attributes; the count of nodes left out beyond MAX_NODES."""
    t = theme()
    rows: list[list[Any]] = []
    left_out = 0
    for depth, element in node.walk():
        if not element.attributes and not element.children:
            continue  # a container without data still prints: it says whose nodes follow
        if len(rows) >= MAX_NODES:
            left_out += 1
            continue
        rows.append(
            [
                Paragraph(text(element.name), _indented(depth)),
                Paragraph(text(attributes_line(element)), t.small),
            ]
        )
    return rows, left_out


def complement_block(node: Nodo) -> list[Any]:
    t = theme()
    rows, left_out = _node_rows(node)
    cells: list[list[Any]] = [[_heading(complement_title(node)), ""], *rows]
    if left_out:
        cells.append(
            [
                "",
                Paragraph(
                    text(
                        f"… y {left_out} nodos más de este complemento que la representación "
                        "impresa no detalla: constan en el XML."
                    ),
                    t.warning,
                ),
            ]
        )
    table = grid(
        cells,
        [42 * mm, WIDTH - 42 * mm],
        [
            ("SPAN", (0, 0), (-1, 0)),
            ("BACKGROUND", (0, 0), (-1, 0), t.shade),
            ("BOX", (0, 0), (-1, -1), 0.5, t.rule),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 1), (-1, -2), 0.25, t.shade),
            ("TOPPADDING", (0, 0), (-1, -1), 1.4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.4),
        ],
        repeat_rows=1,
    )
    return [table, Spacer(1, 3 * mm)]


def other_complements(nodes: tuple[Nodo, ...]) -> list[Any]:
    return [flowable for node in nodes for flowable in complement_block(node)]
