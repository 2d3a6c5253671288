"""XSD validation of CFDI XML with compiled schemas cached per process.

satcfdi's `validate_xsd` builds and compiles a wrapper schema on every call (170-200 ms for a
CFDI 4.0); compiling once per set of schema files and reusing the lxml XMLSchema costs ~4 ms per
validation. The schema files are satcfdi's bundled copies of SAT's XSDs (no network).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
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


# Catalog types whose XSD enumerations are huge: libxml2 checks an enumeration linearly, so
# c_ClaveProdServ (52,747 values) costs ~0.5 ms per concepto and a 250-concepto global invoice
# ~150 ms per validation. The compiled schema checks their shape with a pattern instead, and
# `_check_catalogs` checks membership with an indexed look-up in satcfdi's SAT catalogs.
_FAST_TYPES = {
    "c_ClaveProdServ": "[0-9]{8}",
    "c_CodigoPostal": "[0-9]{5}",
    "c_ClaveUnidad": "[A-Z0-9]{1,3}",
}
_CATALOG_ATTRS = (
    ("ClaveProdServ", "C756_c_ClaveProdServ"),
    ("ClaveUnidad", "C756_c_ClaveUnidad"),
)


def _fast_catalog_xsd(path: str) -> bytes:
    from lxml import etree

    xs = "{http://www.w3.org/2001/XMLSchema}"
    tree = etree.parse(path)
    for simple in tree.getroot().iterfind(f"{xs}simpleType"):
        pattern = _FAST_TYPES.get(simple.get("name") or "")
        restriction = simple.find(f"{xs}restriction")
        if pattern is None or restriction is None:
            continue
        for enum in restriction.findall(f"{xs}enumeration"):
            restriction.remove(enum)
        etree.SubElement(restriction, f"{xs}pattern", value=pattern)
    return bytes(etree.tostring(tree))


def _resolver_class() -> Any:
    from lxml import etree

    class FastCatalogResolver(etree.Resolver):
        def resolve(self, url: str, pubid: str, context: Any) -> Any:
            if url.replace("\\", "/").endswith("cfd/catalogos/catCFDI.xsd"):
                path = url.removeprefix("file://")
                return self.resolve_string(_fast_catalog_xsd(path), context, base_url=url)
            return None

    return FastCatalogResolver


@lru_cache(maxsize=32)
def _compiled(bases: tuple[str, ...]) -> Any:
    """One compiled XMLSchema per set of schema files (same wrapper satcfdi builds)."""
    from lxml import etree

    parser = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)
    parser.resolvers.add(_resolver_class()())
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


@lru_cache(maxsize=8192)
def _in_catalog(table: str, key: str) -> bool:
    from satcfdi.catalogs import select

    return select(table, key) is not None


def _check_catalogs(element: etree._Element) -> list[str]:
    errors: list[str] = []
    for concepto in element.iter("{http://www.sat.gob.mx/cfd/4}Concepto"):
        for attr, table in _CATALOG_ATTRS:
            value = concepto.get(attr)
            if value is not None and not _in_catalog(table, value):
                errors.append(
                    f"línea {concepto.sourceline}: {attr} '{value}' no está en el catálogo del SAT"
                )
    for attr in ("LugarExpedicion",):
        value = element.get(attr)
        if value is not None and not _in_catalog("C756_c_CodigoPostal", value):
            errors.append(f"{attr} '{value}' no está en el catálogo c_CodigoPostal")
    receptor = element.find("{http://www.sat.gob.mx/cfd/4}Receptor")
    cp = receptor.get("DomicilioFiscalReceptor") if receptor is not None else None
    if cp is not None and not _in_catalog("C756_c_CodigoPostal", cp):
        errors.append(f"DomicilioFiscalReceptor '{cp}' no está en el catálogo c_CodigoPostal")
    return errors


def _bases_from_location(element: etree._Element) -> tuple[str, ...]:
    """Schema files named by xsi:schemaLocation, as paths under satcfdi's schema folder."""
    parts = (element.get(_XSI_LOCATION) or "").split()
    for complemento in element.iterfind("{http://www.sat.gob.mx/cfd/4}Complemento"):
        for child in complemento:  # complements (TFD) declare their schema on themselves
            parts += (child.get(_XSI_LOCATION) or "").split()
    return _bases_for(tuple(parts[1::2]))


@lru_cache(maxsize=256)
def _bases_for(urls: tuple[str, ...]) -> tuple[str, ...]:
    root = _schema_root()
    bases = {_CFDI40}
    for url in urls:
        path = url.split("://", 1)[-1]
        if os.path.exists(os.path.join(root, path)):
            bases.add(path)
    return tuple(sorted(bases))


def validate(xml: bytes | etree._Element) -> None:
    """Raise XsdValidationError unless `xml` is valid against the SAT schemas it declares.
    Bytes go through `validate_document` (same checks, remembered per exact document)."""
    if isinstance(xml, bytes):
        validate_document(xml)
    else:
        _validate_element(xml)


def _validate_element(element: etree._Element) -> None:
    schema = _compiled(_bases_from_location(element))
    with _lock:  # an XMLSchema object is not safe to share across threads while validating
        ok = schema.validate(element)
        errors = [f"línea {e.line}: {e.message}" for e in schema.error_log] if not ok else []
    if ok:
        errors = _check_catalogs(element)
    if errors:
        raise XsdValidationError(errors)


# SHA-256 digests of serialized documents that passed `_validate_element` after being parsed
# from exactly those bytes. Validation is a pure function of the bytes (the schemas and the SAT
# catalogs are fixed for the process), so a document whose digest is here needs no second run;
# a document that differs in any byte has another digest and is validated in full. Failures are
# never remembered.
_VALID: OrderedDict[bytes, None] = OrderedDict()
_VALID_MAX = 1024
_valid_lock = threading.Lock()


def _remember(digest: bytes) -> None:
    with _valid_lock:
        _VALID[digest] = None
        while len(_VALID) > _VALID_MAX:
            _VALID.popitem(last=False)


def validate_document(data: bytes, element: etree._Element | None = None) -> None:
    """Validate a serialized CFDI (what a PAC receives). A document with exactly these bytes
    that passed in this process is not validated again.

    `element`: `data` already parsed with satcfdi's parser (saves a parse). A result obtained on
    a caller's element is not remembered: only documents parsed here from `data` are."""
    from lxml import etree
    from satcfdi.utils import parser

    digest = hashlib.sha256(data).digest()
    if _known_valid(digest):
        return
    if element is not None:
        _validate_element(element)
        return
    _validate_element(etree.fromstring(data, parser=parser))
    _remember(digest)


def _known_valid(digest: bytes) -> bool:
    with _valid_lock:
        if digest in _VALID:
            _VALID.move_to_end(digest)
            return True
    return False


def serialize_validated(element: etree._Element) -> bytes:
    """UTF-8 bytes with XML declaration of `element`, validated as a PAC would see them: the
    bytes are parsed back and the parsed document is validated (and remembered)."""
    return serialize_parsed(element)[0]


def serialize_parsed(element: etree._Element) -> tuple[bytes, etree._Element]:
    """`serialize_validated`, also returning the validated document as parsed back from the
    bytes, so the next check of those bytes (SAT's matrix) needs no parse of its own."""
    from lxml import etree
    from satcfdi.utils import parser

    data = bytes(etree.tostring(element, xml_declaration=True, encoding="UTF-8"))
    parsed = etree.fromstring(data, parser=parser)
    digest = hashlib.sha256(data).digest()
    if not _known_valid(digest):
        _validate_element(parsed)
        _remember(digest)  # parsed here from exactly these bytes
    return data, parsed


def warm_up() -> None:
    """Compile the CFDI 4.0 + TimbreFiscalDigital 1.1 schema ahead of the first request."""
    _compiled(tuple(sorted({_CFDI40, TFD11})))
