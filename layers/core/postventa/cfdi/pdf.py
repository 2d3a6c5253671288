"""The CFDI's printed representation ("representación impresa"): a readable Spanish PDF.

render_pdf(xml) takes ANY stamped CFDI 4.0 (Ingreso, Egreso, Traslado, global invoice with
InformacionGlobal and thousands of conceptos) and returns PDF bytes drawn with reportlab (pure
Python, no system libraries): emisor/receptor, comprobante data with catalog descriptions, the
conceptos table (header repeated on every page), taxes by rate, totals in figures and in words, the
TimbreFiscalDigital (sellos, cadena original del complemento de certificación) and SAT's
verification QR. Footer on every page: "Página X de N".

reportlab is imported inside the functions that draw, never at module import.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from postventa.cfdi.parse import Cfdi, Impuesto, parse_cfdi
from postventa.cfdi.words import amount_in_words

__all__ = ["describe", "qr_flowable", "render_cfdi", "render_pdf"]

# --- SAT catalog descriptions (the common keys; anything else prints its key alone) ------------

CATALOGS: dict[str, dict[str, str]] = {
    "RegimenFiscal": {
        "601": "General de Ley Personas Morales",
        "603": "Personas Morales con Fines no Lucrativos",
        "605": "Sueldos y Salarios e Ingresos Asimilados a Salarios",
        "606": "Arrendamiento",
        "607": "Régimen de Enajenación o Adquisición de Bienes",
        "608": "Demás ingresos",
        "610": "Residentes en el Extranjero sin Establecimiento Permanente en México",
        "611": "Ingresos por Dividendos (socios y accionistas)",
        "612": "Personas Físicas con Actividades Empresariales y Profesionales",
        "614": "Ingresos por intereses",
        "615": "Régimen de los ingresos por obtención de premios",
        "616": "Sin obligaciones fiscales",
        "620": "Sociedades Cooperativas de Producción que optan por diferir sus ingresos",
        "621": "Incorporación Fiscal",
        "622": "Actividades Agrícolas, Ganaderas, Silvícolas y Pesqueras",
        "623": "Opcional para Grupos de Sociedades",
        "624": "Coordinados",
        "625": "Régimen de las Actividades Empresariales con ingresos a través de "
        "Plataformas Tecnológicas",
        "626": "Régimen Simplificado de Confianza",
    },
    "UsoCFDI": {
        "G01": "Adquisición de mercancías",
        "G02": "Devoluciones, descuentos o bonificaciones",
        "G03": "Gastos en general",
        "I01": "Construcciones",
        "I02": "Mobiliario y equipo de oficina por inversiones",
        "I03": "Equipo de transporte",
        "I04": "Equipo de cómputo y accesorios",
        "I05": "Dados, troqueles, moldes, matrices y herramental",
        "I06": "Comunicaciones telefónicas",
        "I07": "Comunicaciones satelitales",
        "I08": "Otra maquinaria y equipo",
        "D01": "Honorarios médicos, dentales y gastos hospitalarios",
        "D02": "Gastos médicos por incapacidad o discapacidad",
        "D03": "Gastos funerales",
        "D04": "Donativos",
        "D05": "Intereses reales efectivamente pagados por créditos hipotecarios (casa habitación)",
        "D06": "Aportaciones voluntarias al SAR",
        "D07": "Primas por seguros de gastos médicos",
        "D08": "Gastos de transportación escolar obligatoria",
        "D09": "Depósitos en cuentas para el ahorro, primas que tengan como base planes de "
        "pensiones",
        "D10": "Pagos por servicios educativos (colegiaturas)",
        "S01": "Sin efectos fiscales",
        "CP01": "Pagos",
        "CN01": "Nómina",
    },
    "FormaPago": {
        "01": "Efectivo",
        "02": "Cheque nominativo",
        "03": "Transferencia electrónica de fondos",
        "04": "Tarjeta de crédito",
        "05": "Monedero electrónico",
        "06": "Dinero electrónico",
        "08": "Vales de despensa",
        "12": "Dación en pago",
        "13": "Pago por subrogación",
        "14": "Pago por consignación",
        "15": "Condonación",
        "17": "Compensación",
        "23": "Novación",
        "24": "Confusión",
        "25": "Remisión de deuda",
        "26": "Prescripción o caducidad",
        "27": "A satisfacción del acreedor",
        "28": "Tarjeta de débito",
        "29": "Tarjeta de servicios",
        "30": "Aplicación de anticipos",
        "31": "Intermediario pagos",
        "99": "Por definir",
    },
    "MetodoPago": {
        "PUE": "Pago en una sola exhibición",
        "PPD": "Pago en parcialidades o diferido",
    },
    "TipoDeComprobante": {
        "I": "Ingreso",
        "E": "Egreso",
        "T": "Traslado",
        "N": "Nómina",
        "P": "Pago",
    },
    "Exportacion": {
        "01": "No aplica",
        "02": "Definitiva con clave A1",
        "03": "Temporal",
        "04": "Definitiva con clave distinta a A1 o cuando no existe enajenación",
    },
    "ObjetoImp": {
        "01": "No objeto de impuesto",
        "02": "Sí objeto de impuesto",
        "03": "Sí objeto del impuesto y no obligado al desglose",
        "04": "Sí objeto del impuesto y no causa impuesto",
        "05": "Sí objeto del impuesto, IVA crédito PODEBI",
        "06": "Sí objeto del IVA, no traslado IVA",
        "07": "No traslado del IVA, sí desglose IEPS",
        "08": "No traslado del IVA, no desglose IEPS",
    },
    "Moneda": {
        "MXN": "Peso mexicano",
        "USD": "Dólar americano",
        "EUR": "Euro",
        "CAD": "Dólar canadiense",
        "GBP": "Libra esterlina",
        "JPY": "Yen",
        "XXX": "Sin moneda",
    },
    "ClaveUnidad": {
        "H87": "Pieza",
        "E48": "Unidad de servicio",
        "ACT": "Actividad",
        "EA": "Elemento",
        "C62": "Uno",
        "XUN": "Unidad",
        "KGM": "Kilogramo",
        "GRM": "Gramo",
        "LTR": "Litro",
        "MLT": "Mililitro",
        "MTR": "Metro",
        "CMT": "Centímetro",
        "MTK": "Metro cuadrado",
        "XBX": "Caja",
        "XPK": "Paquete",
        "KT": "Kit",
        "SET": "Conjunto",
        "PR": "Par",
        "HUR": "Hora",
        "DAY": "Día",
        "MON": "Mes",
        "ANN": "Año",
        "A9": "Tarifa",
    },
    "Impuesto": {"001": "ISR", "002": "IVA", "003": "IEPS"},
    "Periodicidad": {
        "01": "Diario",
        "02": "Semanal",
        "03": "Quincenal",
        "04": "Mensual",
        "05": "Bimestral",
    },
    "Meses": {
        "01": "Enero",
        "02": "Febrero",
        "03": "Marzo",
        "04": "Abril",
        "05": "Mayo",
        "06": "Junio",
        "07": "Julio",
        "08": "Agosto",
        "09": "Septiembre",
        "10": "Octubre",
        "11": "Noviembre",
        "12": "Diciembre",
        "13": "Enero-Febrero",
        "14": "Marzo-Abril",
        "15": "Mayo-Junio",
        "16": "Julio-Agosto",
        "17": "Septiembre-Octubre",
        "18": "Noviembre-Diciembre",
    },
    "TipoRelacion": {
        "01": "Nota de crédito de los documentos relacionados",
        "02": "Nota de débito de los documentos relacionados",
        "03": "Devolución de mercancía sobre facturas o traslados previos",
        "04": "Sustitución de los CFDI previos",
        "05": "Traslados de mercancías facturados previamente",
        "06": "Factura generada por los traslados previos",
        "07": "CFDI por aplicación de anticipo",
    },
}

DOCUMENT_TITLES = {
    "I": "FACTURA",
    "E": "NOTA DE CRÉDITO",
    "T": "CARTA PORTE / TRASLADO",
    "N": "RECIBO DE NÓMINA",
    "P": "RECIBO DE PAGO",
}
LEGEND = "Este documento es una representación impresa de un CFDI"

# Colors (hex) and geometry in points.
INK = "#1B2430"
ACCENT = "#1F3A5F"
MUTED = "#5B6675"
RULE = "#C9D1DB"
SHADE = "#EEF2F6"
ZEBRA = "#F7F9FB"
QR_SIDE_MM = 30  # Anexo 20: the QR square's side is at least 2.75 cm


def _shared_description(catalog: str, key: str) -> str | None:
    """Régimen and uso descriptions from the shared postventa.cfdi.catalogs data."""
    from postventa.cfdi import catalogs

    loader = {"RegimenFiscal": "regimenes_fiscales", "UsoCFDI": "usos_cfdi"}.get(catalog)
    table = getattr(catalogs, loader, None) if loader else None
    if table is None:
        return None
    try:
        row = table().get(key)
    except (OSError, ValueError):  # data file missing or unreadable: use the built-in table
        return None
    text = getattr(row, "descripcion", None)
    return text if isinstance(text, str) and text else None


def describe(catalog: str, key: str | None) -> str:
    """'601 - General de Ley Personas Morales'; the key alone when no catalog knows it."""
    if not key:
        return ""
    text = _shared_description(catalog, key) or CATALOGS.get(catalog, {}).get(key)
    return f"{key} - {text}" if text else key


# --- formatting -------------------------------------------------------------------------------


def money(value: Decimal | None) -> str:
    """'$1,234.56': at least two decimals, more when the XML carries them (6-decimal prices)."""
    if value is None:
        return ""
    sign = "-" if value < 0 else ""
    value = abs(value)
    exponent = value.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{sign}${value:,.{places}f}"


def quantity(value: Decimal) -> str:
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def rate(value: Decimal | None) -> str:
    """0.160000 -> '16%'; 0.106667 -> '10.6667%'."""
    if value is None:
        return ""
    pct = (value * 100).normalize()
    return f"{pct:f}%"


def when(iso: str) -> str:
    """'2024-05-10T12:30:00' -> '10/05/2024 12:30:00' (SAT dates carry no zone: local time)."""
    date, _, time = iso.partition("T")
    parts = date.split("-")
    if len(parts) != 3:
        return iso
    return f"{parts[2]}/{parts[1]}/{parts[0]} {time}".strip()


def tax_label(tax: Impuesto, *, retained: bool) -> str:
    name = CATALOGS["Impuesto"].get(tax.impuesto, tax.impuesto)
    if retained:
        base = f"{name} retenido"
        return f"{base} {rate(tax.tasa_o_cuota)}" if tax.tasa_o_cuota is not None else base
    if tax.tipo_factor == "Exento":
        return f"{name} exento"
    if tax.tipo_factor == "Cuota":
        return f"{name} cuota {tax.tasa_o_cuota}"
    return f"{name} {rate(tax.tasa_o_cuota)}"


def _p(text: object) -> str:
    return escape(str(text)) if text is not None else ""


# --- QR ---------------------------------------------------------------------------------------


def qr_flowable(url: str, side: float) -> Any:
    """A square flowable of `side` points holding SAT's verification QR for `url`.

    The code is reportlab's QrCodeWidget (kept as `.widget`); drawing its modules as one canvas
    path instead of one graphics shape per run of modules makes it ~10x faster (the widget's own
    draw builds hundreds of validated Rect objects).
    """
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.platypus.flowables import Flowable

    class QrFlowable(Flowable):
        def __init__(self) -> None:
            super().__init__()
            self.widget = QrCodeWidget(
                url, barLevel="M", barBorder=1, barWidth=side, barHeight=side
            )
            self.width = self.height = side

        def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
            return side, side

        def draw(self) -> None:
            qr = self.widget.qr
            qr.make()
            count = qr.getModuleCount()
            box = side / (count + 2 * self.widget.barBorder)
            border = self.widget.barBorder
            canvas = self.canv
            path = canvas.beginPath()
            for r, row in enumerate(qr.modules):
                c = 0
                while c < count:
                    if row[c]:
                        start = c
                        while c < count and row[c]:
                            c += 1
                        y = side - (r + border + 1) * box
                        path.rect((start + border) * box, y, (c - start) * box, box)
                    else:
                        c += 1
            canvas.saveState()
            canvas.setFillColorRGB(0, 0, 0)
            canvas.drawPath(path, stroke=0, fill=1)
            canvas.restoreState()

    return QrFlowable()


# --- the document -----------------------------------------------------------------------------


def render_pdf(xml: bytes) -> bytes:
    """Render a stamped CFDI 4.0 XML as its printed representation (PDF bytes, Letter size)."""
    return render_cfdi(parse_cfdi(xml))


def render_cfdi(cfdi: Cfdi, *, qr_factory: Callable[[str, float], Any] = qr_flowable) -> bytes:
    """Render an already parsed CFDI; qr_factory(url, side) builds the QR flowable."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    page_w, page_h = LETTER
    margin = 14 * mm
    width = page_w - 2 * margin
    ink, accent, muted = colors.HexColor(INK), colors.HexColor(ACCENT), colors.HexColor(MUTED)
    rule, shade, zebra = colors.HexColor(RULE), colors.HexColor(SHADE), colors.HexColor(ZEBRA)

    base = ParagraphStyle("base", fontName="Helvetica", fontSize=8, leading=10, textColor=ink)
    small = ParagraphStyle("small", parent=base, fontSize=7, leading=8.6)
    label = ParagraphStyle("label", parent=small, textColor=muted, fontName="Helvetica")
    right = ParagraphStyle("right", parent=small, alignment=TA_RIGHT)
    head = ParagraphStyle(
        "head", parent=small, fontName="Helvetica-Bold", textColor=colors.white, leading=8
    )
    head_r = ParagraphStyle("head_r", parent=head, alignment=TA_RIGHT)
    section = ParagraphStyle(
        "section", parent=base, fontName="Helvetica-Bold", fontSize=8, textColor=accent
    )
    title = ParagraphStyle(
        "title", parent=base, fontName="Helvetica-Bold", fontSize=14, leading=17, textColor=accent
    )
    # Base64 sellos have no spaces: CJK wrapping breaks them at any character.
    seal = ParagraphStyle(
        "seal", parent=base, fontName="Courier", fontSize=6, leading=7.2, wordWrap="CJK"
    )

    def para(text: object, style: ParagraphStyle = small) -> Any:
        return Paragraph(_p(text), style)

    def field(name: str, value: object) -> Any:
        return Paragraph(f'<font color="{MUTED}">{_p(name)}:</font> {_p(value)}', small)

    story: list[Any] = []
    doc_title = DOCUMENT_TITLES.get(cfdi.tipo_de_comprobante, "CFDI")
    emisor, receptor, timbre = cfdi.emisor, cfdi.receptor, cfdi.timbre

    # Header: emisor on the left, document identity on the right.
    left = [
        Paragraph(_p(emisor.nombre or emisor.rfc), title),
        Spacer(1, 2),
        field("RFC", emisor.rfc),
        field("Régimen fiscal", describe("RegimenFiscal", emisor.regimen_fiscal)),
        field("Lugar de expedición (C.P.)", cfdi.lugar_expedicion),
    ]
    ident_rows = [
        [Paragraph(f"<b>{_p(doc_title)}</b>", head), ""],
        [para("Serie y folio", label), para(cfdi.serie_folio or "—", right)],
        [para("Folio fiscal (UUID)", label), para(timbre.uuid, right)],
        [para("Fecha de emisión", label), para(when(cfdi.fecha), right)],
        [para("Fecha de certificación", label), para(when(timbre.fecha_timbrado), right)],
    ]
    ident = Table(ident_rows, colWidths=[30 * mm, 58 * mm])
    ident.setStyle(
        TableStyle(
            [
                ("SPAN", (0, 0), (1, 0)),
                ("BACKGROUND", (0, 0), (1, 0), accent),
                ("BOX", (0, 0), (-1, -1), 0.6, accent),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
                ("LINEBELOW", (0, 1), (-1, -2), 0.3, rule),
            ]
        )
    )
    header = Table([[left, ident]], colWidths=[width - 88 * mm, 88 * mm])
    header.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (-1, 0), (-1, 0), 0),
            ]
        )
    )
    story += [header, Spacer(1, 4 * mm)]

    # Receptor and comprobante data side by side.
    def box(heading: str, rows: Iterable[tuple[str, object]], w: float) -> Any:
        cells = [[Paragraph(_p(heading), section)]]
        cells += [[field(k, v)] for k, v in rows if v not in (None, "")]
        t = Table(cells, colWidths=[w])
        t.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.5, rule),
                    ("BACKGROUND", (0, 0), (-1, 0), shade),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.6),
                ]
            )
        )
        return t

    half = (width - 4 * mm) / 2
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
    pair = Table([[receptor_box, datos_box]], colWidths=[half + 4 * mm, half])
    pair.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story += [pair, Spacer(1, 3 * mm)]

    extra_rows: list[tuple[str, str]] = []
    if cfdi.informacion_global is not None:
        g = cfdi.informacion_global
        extra_rows.append(
            (
                "Información global",
                f"Periodicidad: {describe('Periodicidad', g.periodicidad)} · "
                f"Meses: {describe('Meses', g.meses)} · Año: {g.ano}",
            )
        )
    for rel in cfdi.cfdi_relacionados:
        extra_rows.append(
            (
                "CFDI relacionados",
                f"{describe('TipoRelacion', rel.tipo_relacion)}: {', '.join(rel.uuids)}",
            )
        )
    if extra_rows:
        story += [box("Información adicional", extra_rows, width), Spacer(1, 3 * mm)]

    # Conceptos: header row repeated on every page.
    col_mm = [16, 27, 13, 22, 0, 21, 16, 21, 9]
    col_mm[4] = width / mm - sum(col_mm)
    heads = [
        "Clave prod./serv.",
        "No. identificación",
        "Cantidad",
        "Clave unidad",
        "Descripción",
        "Valor unitario",
        "Descuento",
        "Importe",
        "Obj. imp.",
    ]
    numeric = {2, 5, 6, 7}
    rows: list[list[Any]] = [
        [Paragraph(_p(h), head_r if i in numeric else head) for i, h in enumerate(heads)]
    ]
    inner = [w * mm - 6 for w in col_mm]  # minus left and right padding

    def cell(text: str, column: int, style: ParagraphStyle = small) -> Any:
        """A plain string when it fits on one line (much faster to lay out), else a Paragraph."""
        if stringWidth(text, "Helvetica", 7) <= inner[column]:
            return text
        return Paragraph(_p(text), style)

    for c in cfdi.conceptos:
        unit_name = c.unidad or CATALOGS["ClaveUnidad"].get(c.clave_unidad, "")
        rows.append(
            [
                cell(c.clave_prod_serv, 0),
                cell(c.no_identificacion or "", 1),
                cell(quantity(c.cantidad), 2, right),
                cell(f"{c.clave_unidad} {unit_name}".strip(), 3),
                cell(c.descripcion, 4),
                cell(money(c.valor_unitario), 5, right),
                cell(money(c.descuento) if c.descuento else "", 6, right),
                cell(money(c.importe), 7, right),
                cell(c.objeto_imp, 8),
            ]
        )
    table = Table(rows, colWidths=[w * mm for w in col_mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), accent),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 7, 8.6),
                ("TEXTCOLOR", (0, 1), (-1, -1), ink),
                *[("ALIGN", (i, 1), (i, -1), "RIGHT") for i in sorted(numeric)],
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, zebra]),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, rule),
                ("BOX", (0, 0), (-1, -1), 0.5, accent),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    story += [table, Spacer(1, 3 * mm)]

    # Totals: amount in words on the left, figures on the right.
    total_rows: list[tuple[str, str]] = [("Subtotal", money(cfdi.subtotal))]
    if cfdi.descuento:
        total_rows.append(("Descuento", "-" + money(cfdi.descuento)))
    for t in cfdi.traslados:
        total_rows.append(
            (tax_label(t, retained=False), money(t.importe) if t.importe is not None else "—")
        )
    retained_rates = _retention_rates(cfdi)
    for t in cfdi.retenciones:
        shown = Impuesto(t.impuesto, t.importe, tasa_o_cuota=retained_rates.get(t.impuesto))
        total_rows.append((tax_label(shown, retained=True), "-" + money(t.importe)))
    figures = [[para(k, right), para(v, right)] for k, v in total_rows]
    figures.append(
        [
            Paragraph(f"<b>Total {_p(cfdi.moneda)}</b>", ParagraphStyle("tl", parent=right)),
            Paragraph(
                f"<b>{_p(money(cfdi.total))}</b>",
                ParagraphStyle("tv", parent=right, fontSize=9, leading=11),
            ),
        ]
    )
    figures_table = Table(figures, colWidths=[38 * mm, 30 * mm])
    figures_table.setStyle(
        TableStyle(
            [
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, accent),
                ("BACKGROUND", (0, -1), (-1, -1), shade),
                ("TOPPADDING", (0, 0), (-1, -1), 1.4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.4),
            ]
        )
    )
    words_block = [
        para("Importe con letra", label),
        Paragraph(f"<b>{_p(amount_in_words(cfdi.total, cfdi.moneda))}</b>", base),
    ]
    if cfdi.tipo_cambio:
        words_block += [
            Spacer(1, 2 * mm),
            para(f"Tipo de cambio: 1 {cfdi.moneda} = {cfdi.tipo_cambio} MXN", label),
        ]
    totals = Table([[words_block, figures_table]], colWidths=[width - 70 * mm, 70 * mm])
    totals.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("RIGHTPADDING", (-1, 0), (-1, 0), 0),
            ]
        )
    )
    story += [KeepTogether([totals]), Spacer(1, 4 * mm)]

    # Timbre fiscal digital: QR beside the certification data and the three long strings.
    qr_side = QR_SIDE_MM * mm
    qr = qr_factory(cfdi.verification_url, qr_side)
    stamp_data = Table(
        [
            [field("No. de serie del certificado del emisor", cfdi.no_certificado)],
            [field("No. de serie del certificado del SAT", timbre.no_certificado_sat)],
            [field("RFC del proveedor de certificación", timbre.rfc_prov_certif)],
            [field("Fecha y hora de certificación", when(timbre.fecha_timbrado))],
            [field("Folio fiscal (UUID)", timbre.uuid)],
        ],
        colWidths=[width - qr_side - 6 * mm],
    )
    stamp_data.setStyle(
        TableStyle(
            [
                ("TOPPADDING", (0, 0), (-1, -1), 0.8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0.8),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    stamp_head = Table(
        [[qr, [Paragraph("Timbre fiscal digital", section), Spacer(1, 2), stamp_data]]],
        colWidths=[qr_side + 6 * mm, width - qr_side - 6 * mm],
    )
    stamp_head.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    long_strings = []
    for name, value in (
        ("Sello digital del CFDI", cfdi.sello),
        ("Sello digital del SAT", timbre.sello_sat),
        (
            "Cadena original del complemento de certificación digital del SAT",
            timbre.original_string,
        ),
    ):
        long_strings += [para(name, label), Paragraph(_p(value), seal), Spacer(1, 1.5 * mm)]
    stamp = Table([[stamp_head], [long_strings]], colWidths=[width])
    stamp.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, rule),
                ("LINEBELOW", (0, 0), (-1, 0), 0.3, rule),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    story.append(KeepTogether([stamp]))

    # Page furniture: continuation header on later pages, footer with "Página X de N" everywhere.
    continuation = f"{doc_title} {cfdi.serie_folio}".strip() + f" · {emisor.rfc} · {timbre.uuid}"

    class NumberedCanvas(Canvas):
        """Defers each page until save() so every footer knows the page count."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._furniture(number, total)
                super().showPage()
            super().save()

        def _furniture(self, number: int, total: int) -> None:
            self.saveState()
            self.setStrokeColor(rule)
            self.setLineWidth(0.5)
            self.line(margin, 11 * mm, page_w - margin, 11 * mm)
            self.setFillColor(muted)
            self.setFont("Helvetica", 6.5)
            self.drawString(margin, 7.5 * mm, LEGEND)
            self.drawRightString(page_w - margin, 7.5 * mm, f"Página {number} de {total}")
            if number > 1:
                self.setFont("Helvetica-Bold", 7)
                self.setFillColor(accent)
                self.drawString(margin, page_h - 9 * mm, emisor.nombre or emisor.rfc)
                self.setFont("Helvetica", 7)
                self.setFillColor(muted)
                self.drawRightString(page_w - margin, page_h - 9 * mm, continuation)
                self.line(margin, page_h - 10.5 * mm, page_w - margin, page_h - 10.5 * mm)
            self.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=13 * mm,
        bottomMargin=15 * mm,
        title=f"{doc_title} {cfdi.serie_folio} {timbre.uuid}".replace("  ", " "),
        author=emisor.nombre or emisor.rfc,
        subject=LEGEND,
        creator="Postventa",
        invariant=True,
    )
    doc.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()


def _retention_rates(cfdi: Cfdi) -> dict[str, Decimal]:
    """Retention summaries carry no rate: show it when all concepts retain that tax at one rate."""
    seen: dict[str, set[Decimal]] = {}
    for c in cfdi.conceptos:
        for r in c.retenciones:
            if r.tasa_o_cuota is not None and r.tipo_factor == "Tasa":
                seen.setdefault(r.impuesto, set()).add(r.tasa_o_cuota)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}
