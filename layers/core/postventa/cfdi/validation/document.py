"""A parsed CFDI 4.0 as the matrix rules read it: every node they look at, found once.

The rules run on every stamp (sandbox PAC) and before every send to a real PAC, so the tree is
walked once here and each rule reads plain attribute mappings. Nothing assumes the document is
XSD-valid: a missing attribute reads as None and a malformed number as None, and the rules skip
what they cannot read (the XSD reports it with its own code, 301).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from postventa.cfdi.seal import CertificateInfo

NS = "{http://www.sat.gob.mx/cfd/4}"
CCE_NAMESPACES = (
    "{http://www.sat.gob.mx/ComercioExterior20}",
    "{http://www.sat.gob.mx/ComercioExterior11}",
)
IMPLOCAL = "{http://www.sat.gob.mx/implocal}ImpuestosLocales"
Attrs = Mapping[str, str]


def number(raw: str | None) -> Decimal | None:
    """The xs:decimal value of an attribute; None when absent or not a number."""
    return None if raw is None else _number(raw)


@lru_cache(maxsize=8192)  # amounts repeat across conceptos (rates, quantities, prices)
def _number(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def places(raw: str | None) -> int:
    """Decimals as written ("1.50" -> 2): SAT's limits use the recorded precision."""
    if not raw:
        return 0
    return len(raw.strip().partition(".")[2])


@dataclass(frozen=True, slots=True)
class Concepto:
    n: int  # position, 1-based, for the Spanish details
    attrs: Attrs
    impuestos: bool  # the Impuestos child exists
    impuestos_vacios: bool  # ... with neither Traslados nor Retenciones
    traslados: list[Attrs]
    retenciones: list[Attrs]
    pedimentos: list[str]
    partes: list[Attrs]
    pedimentos_partes: list[str]
    terceros: Attrs | None


@dataclass
class Document:
    """`root` is `data` parsed. Nothing here depends on the stamping clock: what the rules find
    in a Document is a function of the bytes (with the process's catalogs and time zones), which
    is what lets `validate_document` remember it; the one clock rule reads a `ClockReading`."""

    data: bytes
    root: Any
    tz_for_cp: Callable[[str], tzinfo | None]  # LugarExpedicion -> zone; None: not a known code
    attrs: Attrs = field(init=False)
    emisor: Attrs = field(init=False)
    receptor: Attrs = field(init=False)
    informacion_global: Attrs | None = field(init=False)
    relacionados: list[Attrs] = field(init=False)
    conceptos: list[Concepto] = field(init=False)
    impuestos: Attrs | None = field(init=False)  # the comprobante-level summary
    traslados: list[Attrs] = field(init=False)
    retenciones: list[Attrs] = field(init=False)
    retenciones_node: bool = field(init=False)
    complementos: set[str] = field(init=False)  # tags of the complements' children
    implocal: Attrs | None = field(init=False)  # implocal:ImpuestosLocales, when present
    memo: dict[str, Any] = field(init=False, default_factory=dict)  # values several rules share

    def __post_init__(self) -> None:
        root = self.root
        self.attrs = root.attrib
        self.emisor = self.receptor = {}
        self.informacion_global = self.impuestos = None
        self.relacionados, self.conceptos = [], []
        self.traslados, self.retenciones = [], []
        self.retenciones_node = False
        self.complementos = set()
        self.implocal = None
        for child in root:
            tag = child.tag
            if tag == f"{NS}Emisor":
                self.emisor = child.attrib
            elif tag == f"{NS}Receptor":
                self.receptor = child.attrib
            elif tag == f"{NS}InformacionGlobal":
                self.informacion_global = child.attrib
            elif tag == f"{NS}CfdiRelacionados":
                self.relacionados.append(child.attrib)
            elif tag == f"{NS}Conceptos":
                self.conceptos = [
                    _concepto(n, c) for n, c in enumerate(child.iterchildren(f"{NS}Concepto"), 1)
                ]
            elif tag == f"{NS}Impuestos":
                self._summary(child)
            elif tag == f"{NS}Complemento":
                for complemento in child:
                    self.complementos.add(complemento.tag)
                    if complemento.tag == IMPLOCAL:
                        self.implocal = complemento.attrib

    def _summary(self, impuestos: Any) -> None:
        self.impuestos = impuestos.attrib
        for group in impuestos:
            if group.tag == f"{NS}Retenciones":
                self.retenciones_node = True
                self.retenciones = [r.attrib for r in group.iterchildren(f"{NS}Retencion")]
            elif group.tag == f"{NS}Traslados":
                self.traslados = [t.attrib for t in group.iterchildren(f"{NS}Traslado")]

    # -- derived values ---------------------------------------------------------------------
    @property
    def tipo(self) -> str:
        return self.attrs.get("TipoDeComprobante") or ""

    @property
    def moneda(self) -> str:
        return self.attrs.get("Moneda") or ""

    @cached_property
    def moneda_decimales(self) -> int | None:
        from postventa.cfdi.validation.sat_catalogs import moneda_decimales

        return moneda_decimales(self.moneda)

    @property
    def comercio_exterior(self) -> bool:
        return any(tag.startswith(CCE_NAMESPACES) for tag in self.complementos)

    @cached_property
    def fecha(self) -> datetime | None:
        """Fecha as written (naive, local time of LugarExpedicion); None if unreadable."""
        try:
            return datetime.fromisoformat(self.attrs.get("Fecha") or "")
        except ValueError:
            return None

    @cached_property
    def fecha_aware(self) -> datetime | None:
        """The instant of Fecha, read in the zone of LugarExpedicion (`tz_for_cp`) and given in
        UTC (later comparisons then need no zone rules); None when Fecha is unreadable or
        LugarExpedicion is not a c_CodigoPostal code (CFDI40126 reports that; without a zone
        the local time of Fecha is unknown, so the rules on it do not guess)."""
        if self.fecha is None or self.fecha.tzinfo is not None:
            return self.fecha
        zone = self.tz_for_cp(self.attrs.get("LugarExpedicion") or "")
        return None if zone is None else self.fecha.replace(tzinfo=zone).astimezone(UTC)

    @cached_property
    def certificate(self) -> CertificateInfo | None:
        """The embedded Certificado, parsed; None when it is not a readable X.509 certificate."""
        from postventa.cfdi.seal import certificate_info

        try:
            return certificate_info(
                base64.b64decode(self.attrs.get("Certificado") or "", validate=True)
            )
        except ValueError:  # binascii.Error is a ValueError
            return None


@dataclass(frozen=True, slots=True)
class ClockReading:
    """What the stamping-clock rule reads: Fecha at LugarExpedicion (aware; None when unknown),
    the clock, and the skew accepted for a Fecha ahead of it (SAT's rule: none)."""

    fecha: datetime | None
    now: datetime
    future_tolerance: timedelta


def _concepto(n: int, element: Any) -> Concepto:
    impuestos = False
    vacios = False
    traslados: list[Attrs] = []
    retenciones: list[Attrs] = []
    pedimentos: list[str] = []
    partes: list[Attrs] = []
    pedimentos_partes: list[str] = []
    terceros: Attrs | None = None
    for child in element:  # find() parses its path on every call; one pass is cheaper
        tag = child.tag
        if tag == f"{NS}Impuestos":
            impuestos = True
            vacios = len(child) == 0
            for group in child:
                if group.tag == f"{NS}Traslados":
                    traslados.extend(t.attrib for t in group)
                elif group.tag == f"{NS}Retenciones":
                    retenciones.extend(r.attrib for r in group)
        elif tag == f"{NS}InformacionAduanera":
            pedimentos.append(child.get("NumeroPedimento") or "")
        elif tag == f"{NS}Parte":
            partes.append(child.attrib)
            pedimentos_partes.extend(
                a.get("NumeroPedimento") or ""
                for a in child.iterchildren(f"{NS}InformacionAduanera")
            )
        elif tag == f"{NS}ACuentaTerceros":
            terceros = child.attrib
    return Concepto(
        n,
        element.attrib,
        impuestos,
        vacios,
        traslados,
        retenciones,
        pedimentos,
        partes,
        pedimentos_partes,
        terceros,
    )
