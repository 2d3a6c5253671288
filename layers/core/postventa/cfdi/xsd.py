"""XSD validation of CFDI XML with compiled schemas cached per process.

satcfdi's `validate_xsd` builds and compiles a wrapper schema on every call (170-200 ms for a
CFDI 4.0); compiling once per set of schema files and reusing the lxml XMLSchema costs ~4 ms per
validation. The schema files are satcfdi's bundled copies of SAT's XSDs (no network).
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from postventa.cfdi.errors import CfdiError

if TYPE_CHECKING:
    from lxml import etree

_XSI_LOCATION = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"
_CFDI40 = "www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd"
TFD11 = "www.sat.gob.mx/sitio_internet/cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd"
_lock = threading.Lock()


class XsdValidationError(CfdiError):
    code = "xsd_invalido"

    def __init__(self, errors: list[str]) -> None:
        super().__init__(
            "El XML del CFDI no cumple el esquema del SAT (XSD).", details={"errores": errors[:20]}
        )
        self.errors = errors


def _schema_root() -> str:
    import satcfdi.transform as transform

    return str(transform.SCHEMA_ROOT)


@lru_cache(maxsize=32)
def _compiled(bases: tuple[str, ...]) -> Any:
    """One compiled XMLSchema per set of schema files (same wrapper satcfdi builds)."""
    from lxml import etree
    from satcfdi.utils import parser

    root = _schema_root()
    wrapper = etree.fromstring(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>',
        base_url=os.path.join(root, "schema.xsd"),
        parser=parser,
    )
    for base in bases:
        etree.SubElement(
            wrapper,
            "{http://www.w3.org/2001/XMLSchema}import",
            attrib={"namespace": "", "schemaLocation": base},
        )
    return etree.XMLSchema(wrapper)


def _bases_from_location(element: etree._Element) -> tuple[str, ...]:
    """Schema files named by xsi:schemaLocation, as paths under satcfdi's schema folder."""
    parts = (element.get(_XSI_LOCATION) or "").split()
    for complemento in element.iterfind("{http://www.sat.gob.mx/cfd/4}Complemento"):
        for child in complemento:  # complements (TFD) declare their schema on themselves
            parts += (child.get(_XSI_LOCATION) or "").split()
    root = _schema_root()
    bases = {_CFDI40}
    for url in parts[1::2]:
        path = url.split("://", 1)[-1]
        if os.path.exists(os.path.join(root, path)):
            bases.add(path)
    return tuple(sorted(bases))


def validate(xml: bytes | etree._Element) -> None:
    """Raise XsdValidationError unless `xml` is valid against the SAT schemas it declares."""
    from lxml import etree
    from satcfdi.utils import parser

    element = etree.fromstring(xml, parser=parser) if isinstance(xml, bytes) else xml
    schema = _compiled(_bases_from_location(element))
    with _lock:  # an XMLSchema object is not safe to share across threads while validating
        ok = schema.validate(element)
        errors = [f"línea {e.line}: {e.message}" for e in schema.error_log] if not ok else []
    if not ok:
        raise XsdValidationError(errors)


def warm_up() -> None:
    """Compile the CFDI 4.0 + TimbreFiscalDigital 1.1 schema ahead of the first request."""
    _compiled(tuple(sorted({_CFDI40, TFD11})))
