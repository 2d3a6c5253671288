"""CfdiRelacionados: how a CFDI names the CFDIs it relates to (Anexo 20, nodo CfdiRelacionados).

One node per TipoRelacion (c_TipoRelacion), each with one or more UUIDs. The cases the product
needs have helpers: the substitute of a CFDI cancelled with motivo 01 relates to it with 04
(Guía de llenado: "Sustitución de los CFDI previos"; RMF 2.7.1.35 / SAT's cancellation guide: the
replacement is issued first and names the one it replaces), and a credit note (egreso) relates to
the invoices it credits with 01. Any other TipoRelacion goes through `Relacion` directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from postventa.cfdi.errors import InvoiceBuildError

__all__ = [
    "TIPOS_RELACION",
    "Relacion",
    "is_uuid",
    "nodos_relacionados",
    "relacion_nota_de_credito",
    "relacion_sustitucion",
]

# c_TipoRelacion (catCFDI_V_4, valid since 2022-01-01): 01 nota de crédito, 02 nota de débito,
# 03 devolución de mercancía, 04 sustitución de los CFDI previos, 05 traslados de mercancías
# facturados previamente, 06 factura generada por los traslados previos, 07 aplicación de anticipo
TIPOS_RELACION = frozenset({"01", "02", "03", "04", "05", "06", "07"})

_UUID = re.compile(r"[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")


def is_uuid(value: str) -> bool:
    """True for a folio fiscal (UUID) as SAT writes it: 8-4-4-4-12 hexadecimal digits."""
    return _UUID.fullmatch(value) is not None


@dataclass(frozen=True)
class Relacion:
    """One CfdiRelacionados node: a TipoRelacion and the UUIDs it applies to."""

    tipo_relacion: str
    uuids: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.tipo_relacion not in TIPOS_RELACION:
            raise InvoiceBuildError(
                f"El tipo de relación {self.tipo_relacion} no existe en el catálogo "
                "c_TipoRelacion del SAT (01 a 07).",
                details={"tipo_relacion": [self.tipo_relacion]},
            )
        if not self.uuids:
            raise InvoiceBuildError(
                "Una relación entre CFDI necesita al menos un folio fiscal (UUID).",
                details={"tipo_relacion": [self.tipo_relacion]},
            )
        bad = [u for u in self.uuids if not is_uuid(u)]
        if bad:
            raise InvoiceBuildError(
                "Folio fiscal (UUID) relacionado con formato inválido: " + ", ".join(bad),
                details={"uuids": bad},
            )
        object.__setattr__(self, "uuids", tuple(u.upper() for u in self.uuids))


def relacion_sustitucion(uuid_cancelado: str) -> Relacion:
    """TipoRelacion 04: this CFDI replaces the one that will be cancelled with motivo 01."""
    return Relacion("04", (uuid_cancelado,))


def relacion_nota_de_credito(uuids: Iterable[str]) -> Relacion:
    """TipoRelacion 01: this credit note (egreso) credits the invoices named."""
    return Relacion("01", tuple(uuids))


def nodos_relacionados(relaciones: Sequence[Relacion]) -> list[dict[str, Any]] | None:
    """satcfdi's CfdiRelacionados nodes, one per TipoRelacion (UUIDs of the same type merged, in
    order, each once); None when there is none."""
    merged: dict[str, dict[str, None]] = {}
    for relacion in relaciones:
        uuids = merged.setdefault(relacion.tipo_relacion, {})
        uuids.update(dict.fromkeys(relacion.uuids))
    if not merged:
        return None
    return [
        {"TipoRelacion": tipo, "CfdiRelacionado": list(uuids)} for tipo, uuids in merged.items()
    ]
