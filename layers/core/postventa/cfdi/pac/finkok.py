"""Finkok adapter: satcfdi's Finkok SOAP client (plain requests + lxml, no zeep) behind our port.

stamp  -> stamp.wsdl `stamp` (sealed XML); on 307 the existing stamp is recovered (`stamped`).
cancel -> cancel.wsdl `cancel_signature` with the CSD-signed Cancelacion built by cfdi.cancel.
status -> cancel.wsdl `get_sat_status` (Finkok relays SAT's consulta), built with the client's
          own envelope helpers because satcfdi does not wrap that operation.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from postventa.cfdi.errors import (
    PacAlreadyStampedError,
    PacAuthError,
    PacDataRejectedError,
    PacError,
    PacTransientError,
)
from postventa.cfdi.pac._http import (
    SAT_CANCEL_RULES,
    ErrorRule,
    PacAdapter,
    SignedXml,
    Transport,
    cancellation_status_from,
    classify,
    fold,
    parse_cfdi,
    stamp_result_from_xml,
    status_from_sat_answer,
)
from postventa.cfdi.pac.base import (
    CancellationRequest,
    CancellationResult,
    CancellationStatus,
    StampResult,
    StatusResult,
)

ALREADY_STAMPED = "307"

# Finkok incidencias (CodigoError) and CodEstatus texts. Source: Finkok's public wiki
# (wiki.finkok.com, "stamp" and "cancel" pages) as mirrored by open clients; texts vary, so codes
# decide where present and message patterns only back them up.
FINKOK_RULES: tuple[ErrorRule, ...] = (
    ErrorRule(PacAuthError, code="300", message="Finkok rechazó el usuario o la contraseña."),
    ErrorRule(PacDataRejectedError, code="301"),  # XML mal formado / validaciones CFDI40xxx
    ErrorRule(PacDataRejectedError, code="302"),  # sello mal formado o inválido
    ErrorRule(PacDataRejectedError, code="303"),  # sello no corresponde al emisor
    ErrorRule(PacDataRejectedError, code="304"),  # certificado revocado o caduco
    ErrorRule(PacDataRejectedError, code="305"),  # fecha fuera de la vigencia del CSD
    ErrorRule(PacDataRejectedError, code="306"),  # el certificado no es CSD (es FIEL)
    ErrorRule(PacDataRejectedError, code="308"),  # certificado no expedido por el SAT
    ErrorRule(PacDataRejectedError, code="401"),  # fecha de emisión fuera de rango (72 h)
    ErrorRule(PacDataRejectedError, code="402"),  # RFC emisor no está en la LCO
    ErrorRule(PacDataRejectedError, code="403"),  # fecha anterior a 2012
    ErrorRule(
        PacAuthError,
        code="702",
        message="El RFC emisor no está registrado en la cuenta de Finkok.",
    ),
    ErrorRule(PacAuthError, code="703", message="La cuenta de Finkok está suspendida."),
    ErrorRule(PacDataRejectedError, code="704"),  # contraseña de la llave inválida (cancelación)
    ErrorRule(PacDataRejectedError, code="705"),  # estructura XML inválida
    ErrorRule(PacAuthError, code="706", message="Socio de Finkok inválido."),
    ErrorRule(PacDataRejectedError, code="707"),  # ya contiene TimbreFiscalDigital
    ErrorRule(PacTransientError, code="708", message="Finkok no pudo conectar con el SAT."),
    ErrorRule(PacDataRejectedError, code="712"),  # noCertificado no coincide
    ErrorRule(PacDataRejectedError, pattern=r"^\s*[37]\d\d\b"),  # any other 3xx/7xx
    ErrorRule(PacTransientError, pattern=r"no se pudo conectar|intente (mas|más) tarde"),
)

NS = {
    "apps": "apps.services.soap.core.views",
    "cancel": "http://facturacion.finkok.com/cancel",
    "soapenv": "http://schemas.xmlsoap.org/soap/envelope/",
}


def _client_class() -> Any:
    """satcfdi's Finkok with a bounded transport and stricter response validation."""
    from lxml import etree
    from satcfdi.pacs.finkok import Finkok

    class BoundedFinkok(Finkok):
        transport: Transport

        def _perform_request(self, url: str, envelope: Any) -> Any:
            response = self.transport.request(
                "post",
                url,
                data=etree.tostring(envelope),
                headers={"Content-Type": "text/xml; charset=utf-8"},
            )
            try:
                root = etree.fromstring(response.content)
            except etree.XMLSyntaxError as exc:
                raise PacTransientError(
                    f"Finkok respondió algo que no es SOAP (HTTP {response.status_code}).",
                    pac_code=f"HTTP{response.status_code}",
                ) from exc
            self.last_root = root
            fault = root.find(".//soapenv:Fault", NS)
            if fault is not None:
                text = fault.findtext("faultstring") or ""
                raise classify(FINKOK_RULES, None, text, default=PacTransientError)
            return root

        def _validate_stamp_response(self, root: Any) -> None:
            incidencias = root.findall(".//apps:Incidencias/apps:Incidencia", NS)
            xml = root.findtext(".//apps:xml", default="", namespaces=NS)
            uuid = root.findtext(".//apps:UUID", default="", namespaces=NS)
            if xml.strip() and uuid.strip():
                # stamped: incidencias here are alerts, or a 307 where Finkok already handed
                # back the earlier stamp of the same XML
                return
            for incidencia in incidencias:
                code = incidencia.findtext("apps:CodigoError", "", NS)
                text = incidencia.findtext("apps:MensajeIncidencia", "", NS)
                if code == ALREADY_STAMPED:
                    raise PacAlreadyStampedError(
                        "El CFDI ya fue timbrado antes; se recupera el timbre existente.",
                        pac_code=ALREADY_STAMPED,
                    )
                raise classify(FINKOK_RULES, code, f"{code} - {text}".strip(" -"))
            if not xml.strip():
                status = root.findtext(".//apps:CodEstatus", default="", namespaces=NS)
                raise classify(FINKOK_RULES, None, status, default=PacTransientError)

    return BoundedFinkok


class FinkokPac(PacAdapter):
    """Pac port over Finkok (stamp, cancel, status)."""

    name = "finkok"
    display_name = "Finkok"

    def client_class(self) -> Any:
        return _client_class()

    # -- stamp ------------------------------------------------------------------------------
    def stamp(self, cfdi_xml: bytes) -> StampResult:
        cfdi = parse_cfdi(cfdi_xml)
        try:
            document = self._call(self.client.stamp, cfdi)
        except PacAlreadyStampedError:
            document = self._recover(cfdi)
        return stamp_result_from_xml(document.xml)

    def _recover(self, cfdi: Any) -> Any:
        """`stamped` returns the earlier stamp of the same XML; Finkok may need a moment."""
        try:
            return self._call(self.client.stamped, cfdi)
        except PacAlreadyStampedError:
            raise
        except PacError as exc:
            raise PacAlreadyStampedError(
                "El CFDI ya fue timbrado antes y Finkok aún no entrega el timbre; se reintentará.",
                pac_code=ALREADY_STAMPED,
                details={"recover_error": exc.pac_code},
            ) from exc

    # -- cancel -----------------------------------------------------------------------------
    def cancel(self, request: CancellationRequest) -> CancellationResult:
        if request.signed_request is None:
            raise PacDataRejectedError(
                "Finkok necesita la solicitud de cancelación firmada con el CSD.",
                pac_code="sin_firma",
            )
        ack = self._call(self.client.cancel_comprobante, SignedXml(request.signed_request))
        root_uuid = request.uuid.upper()
        folio_code, folio_text = str(ack.code or ""), ""
        # satcfdi keeps only EstatusUUID; the folio's EstatusCancelacion text is in the SOAP
        # answer, so read it back from the last response the transport parsed.
        last = getattr(self.client, "last_root", None)
        if last is not None:
            folio_text = last.findtext(".//apps:EstatusCancelacion", "", NS)
        if folio_code not in ("201", "202"):
            raise classify(SAT_CANCEL_RULES, folio_code, folio_text or folio_code)
        status = cancellation_status_from(folio_code, folio_text)
        return CancellationResult(
            uuid=root_uuid,
            status=status,
            requires_acceptance=_requires_acceptance_from_answer(status, folio_text),
            acknowledgement=ack.acuse,
            detail={"EstatusUUID": folio_code, "EstatusCancelacion": folio_text},
        )

    # -- status -----------------------------------------------------------------------------
    def status(self, uuid: str, rfc_emisor: str, rfc_receptor: str, total: Decimal) -> StatusResult:
        from lxml import etree

        ns = NS["cancel"]
        operation = etree.Element(etree.QName(ns, "get_sat_status"))
        operation = self.client._add_auth(operation, ns)
        for tag, value in (
            ("taxpayer_id", rfc_emisor),
            ("rtaxpayer_id", rfc_receptor),
            ("uuid", uuid.upper()),
            ("total", str(total)),
        ):
            etree.SubElement(operation, etree.QName(ns, tag)).text = value
        envelope = self.client._build_envelope(operation)
        root = self.client._perform_request(self.client.get_service_url("cancel"), envelope)
        error = root.findtext(".//apps:error", default="", namespaces=NS)
        sat = root.find(".//apps:sat", NS)
        if sat is None:
            raise classify(FINKOK_RULES, None, error, default=PacTransientError)
        answer = {etree.QName(child).localname: child.text for child in sat}
        return status_from_sat_answer(uuid, answer)

    # -- error funnel -----------------------------------------------------------------------
    def _call(self, method: Any, *args: Any) -> Any:
        from satcfdi.exceptions import DocumentNotFoundError, ResponseError

        try:
            with self.incomplete_answer(AttributeError):  # answer without the expected nodes
                return method(*args)
        except PacError:
            raise
        except DocumentNotFoundError as exc:
            raise PacDataRejectedError(
                "Finkok no encontró el folio fiscal.", pac_code="205"
            ) from exc
        except ResponseError as exc:
            text = str(exc.response)
            code = text.split(" - ", 1)[0].strip() if " - " in text else None
            raise classify(FINKOK_RULES, code, text) from exc


def _requires_acceptance_from_answer(status: CancellationStatus, text: str) -> bool:
    folded = fold(text)
    if "sin aceptacion" in folded:
        return False
    if "con aceptacion" in folded:
        return True
    return status is CancellationStatus.PENDING


__all__ = ["FINKOK_RULES", "FinkokPac"]
