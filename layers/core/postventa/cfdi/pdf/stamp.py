"""The TimbreFiscalDigital block (SAT's verification QR, certificate numbers, sellos and the
cadena original del complemento de certificación) and the page furniture drawn on every page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, Spacer
from reportlab.platypus.flowables import Flowable

from postventa.cfdi.parse import Cfdi
from postventa.cfdi.pdf.fonts import BOLD, TEXT, draw_string
from postventa.cfdi.pdf.format import when
from postventa.cfdi.pdf.theme import (
    MARGIN,
    PAGE_H,
    PAGE_W,
    WARNING,
    WIDTH,
    field,
    grid,
    para,
    text,
    theme,
)

QR_SIDE_MM = 30  # Anexo 20: the QR square's side is at least 2.75 cm
LEGEND = "Este documento es una representación impresa de un CFDI"
TEST_MARK = "SIN VALIDEZ FISCAL"
WARNING_COLOR = colors.HexColor(WARNING)

QrFactory = Callable[[str, float], Any]


class QrFlowable(Flowable):
    """A square of `side` points holding SAT's verification QR for `url`.

    The code is reportlab's QrCodeWidget (kept as `.widget`); drawing its modules as one canvas
    path instead of one graphics shape per run of modules makes it ~10x faster (the widget's own
    draw builds hundreds of validated Rect objects).
    """

    def __init__(self, url: str, side: float) -> None:
        super().__init__()
        self.side = side
        self.widget = QrCodeWidget(url, barLevel="M", barBorder=1, barWidth=side, barHeight=side)
        self.width = self.height = side

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.side, self.side

    def draw(self) -> None:
        side = self.side
        qr = self.widget.qr
        qr.make()
        count = qr.getModuleCount()
        border = self.widget.barBorder
        box = side / (count + 2 * border)
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


def _certification_data(cfdi: Cfdi, width: float) -> Any:
    timbre = cfdi.timbre
    table = grid(
        [
            [field("No. de serie del certificado del emisor", cfdi.no_certificado)],
            [field("No. de serie del certificado del SAT", timbre.no_certificado_sat)],
            [field("RFC del proveedor de certificación", timbre.rfc_prov_certif)],
            [field("Fecha y hora de certificación", when(timbre.fecha_timbrado))],
            [field("Folio fiscal (UUID)", timbre.uuid)],
        ],
        [width],
        [
            ("TOPPADDING", (0, 0), (-1, -1), 0.8),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0.8),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ],
    )
    return table


def _long_strings(cfdi: Cfdi) -> list[Any]:
    t = theme()
    out: list[Any] = []
    for name, value in (
        ("Sello digital del CFDI", cfdi.sello),
        ("Sello digital del SAT", cfdi.timbre.sello_sat),
        (
            "Cadena original del complemento de certificación digital del SAT",
            cfdi.timbre.original_string,
        ),
    ):
        out += [para(name, t.label), Paragraph(text(value), t.seal), Spacer(1, 1.5 * mm)]
    return out


def timbre(cfdi: Cfdi, qr_factory: QrFactory) -> list[Any]:
    """QR beside the certification data, then the three long strings; kept on one page."""
    t = theme()
    qr_side = QR_SIDE_MM * mm
    data_width = WIDTH - qr_side - 6 * mm
    head = grid(
        [
            [
                qr_factory(cfdi.verification_url, qr_side),
                [
                    Paragraph("Timbre fiscal digital", t.section),
                    Spacer(1, 2),
                    _certification_data(cfdi, data_width),
                ],
            ]
        ],
        [qr_side + 6 * mm, data_width],
        [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)],
    )
    block = grid(
        [[head], [_long_strings(cfdi)]],
        [WIDTH],
        [
            ("BOX", (0, 0), (-1, -1), 0.5, t.rule),
            ("LINEBELOW", (0, 0), (-1, 0), 0.3, t.rule),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ],
    )
    return [KeepTogether([block])]


def _test_mark(canvas: Canvas, reason: str) -> None:
    """'SIN VALIDEZ FISCAL' across the page, translucent, and a banner with the reason on top."""
    canvas.saveState()
    canvas.setFillColor(WARNING_COLOR, alpha=0.13)
    canvas.setFont(BOLD, 64)
    canvas.translate(PAGE_W / 2, PAGE_H / 2)
    canvas.rotate(38)
    canvas.drawCentredString(0, -22, TEST_MARK)
    canvas.restoreState()
    canvas.saveState()
    canvas.setFillColor(WARNING_COLOR)
    canvas.setFont(BOLD, 7.5)
    canvas.drawString(MARGIN, PAGE_H - 5.5 * mm, TEST_MARK)
    draw_string(canvas, PAGE_W - MARGIN, PAGE_H - 5.5 * mm, reason, TEXT, 6.5, right=True)
    canvas.restoreState()


def numbered_canvas(title: str, running_head: str, test_mark: str | None = None) -> type[Canvas]:
    """A canvas class that defers each page until save() so every footer knows the page count;
    later pages get a running head (`title` left, `running_head` right); with `test_mark` (the
    reason), every page is marked SIN VALIDEZ FISCAL."""
    t = theme()

    class NumberedCanvas(Canvas):
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
            self.setStrokeColor(t.rule)
            self.setLineWidth(0.5)
            self.line(MARGIN, 11 * mm, PAGE_W - MARGIN, 11 * mm)
            self.setFillColor(t.muted)
            self.setFont(TEXT, 6.5)
            self.drawString(MARGIN, 7.5 * mm, LEGEND)
            self.drawRightString(PAGE_W - MARGIN, 7.5 * mm, f"Página {number} de {total}")
            if number > 1:
                self.setFillColor(t.accent)
                draw_string(self, MARGIN, PAGE_H - 9 * mm, title, BOLD, 7)
                self.setFillColor(t.muted)
                draw_string(
                    self, PAGE_W - MARGIN, PAGE_H - 9 * mm, running_head, TEXT, 7, right=True
                )
                self.line(MARGIN, PAGE_H - 10.5 * mm, PAGE_W - MARGIN, PAGE_H - 10.5 * mm)
            self.restoreState()
            if test_mark:
                _test_mark(self, test_mark)

    return NumberedCanvas
