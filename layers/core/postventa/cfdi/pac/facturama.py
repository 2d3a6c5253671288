"""Facturama adapter over satcfdi's Facturama (API Multiemisor, "api-lite") REST client.

Facturama does NOT stamp a pre-sealed XML: its public JSON API seals and stamps itself with the CSD
the seller uploaded to Facturama (`upload_csd`). So `stamp()` maps our sealed CFDI to Facturama's
JSON (satcfdi's `cfdi_to_facturama_payload`), and the stamped XML that comes back carries
Facturama's own Sello over the same data. Our seal is discarded; the UUID is Facturama's.

stamp  -> POST api-lite/3/cfdis, then GET api/Cfdi/xml/issuedLite/{Id}.
cancel -> GET api-lite/cfdis?keyword={uuid} (Id lookup), DELETE api-lite/cfdis/{Id}?motive=..;
          Facturama signs the cancellation with the uploaded CSD (our signed request is unused).
status -> SAT's public ConsultaCFDIService.

Not idempotent: Facturama has no "timbre previo" answer for JSON issuance, so a timeout after the
POST may leave an invoice stamped there that we never saw (see docs/decisions/0003-pac-port.md).
"""

from __future__ import annotations

from typing import Any

from postventa.cfdi.errors import (
    PacAuthError,
    PacDataRejectedError,
    PacError,
    PacTransientError,
)
from postventa.cfdi.pac._http import (
    ErrorRule,
    PacAdapter,
    Transport,
    classify,
    fold,
    parse_cfdi,
    stamp_result_from_xml,
)
from postventa.cfdi.pac.base import (
    CancellationRequest,
    CancellationResult,
    CancellationStatus,
    StampResult,
)

# Facturama answers errors as HTTP 4xx with {"Message": "...", "ModelState": {field: [texts]}};
# the SAT code, when there is one, is inside the texts (e.g. "CFDI40145 ...").
FACTURAMA_RULES: tuple[ErrorRule, ...] = (
    ErrorRule(PacAuthError, code="HTTP401", message="Facturama rechazó las credenciales."),
    ErrorRule(PacAuthError, code="HTTP403", message="Facturama rechazó las credenciales."),
    ErrorRule(
        PacDataRejectedError,
        code="HTTP404",
        message="Facturama no encontró el comprobante.",
    ),
    ErrorRule(
        PacDataRejectedError,
        pattern=r"(no (se encontr|existe) .{0,20}(csd|certificado))"
        r"|csd .{0,20}no .{0,20}(carg|regist)",
        message="El CSD del emisor no está cargado en Facturama.",
    ),
)

# Facturama's cancellation Status values (its docs: "canceled", "pending", "rejected"...).
FACTURAMA_CANCEL_STATUS: dict[str, CancellationStatus] = {
    "canceled": CancellationStatus.ACCEPTED,
    "cancelled": CancellationStatus.ACCEPTED,
    "cancelado": CancellationStatus.ACCEPTED,
    "pending": CancellationStatus.PENDING,
    "requested": CancellationStatus.PENDING,
    "inprocess": CancellationStatus.PENDING,
    "en proceso": CancellationStatus.PENDING,
    "rejected": CancellationStatus.REJECTED,
    "rechazada": CancellationStatus.REJECTED,
    "expired": CancellationStatus.EXPIRED,
    "plazo vencido": CancellationStatus.EXPIRED,
}


def facturama_error(status_code: int, payload: Any) -> PacError:
    texts: list[str] = []
    if isinstance(payload, dict):
        texts.append(str(payload.get("Message") or payload.get("message") or ""))
        model_state = payload.get("ModelState") or {}
        if isinstance(model_state, dict):
            for value in model_state.values():
                texts.extend(str(v) for v in (value if isinstance(value, list) else [value]))
    elif isinstance(payload, str):
        texts.append(payload)
    text = " ".join(t for t in texts if t).strip() or f"HTTP {status_code}"
    default: type[PacError] = PacDataRejectedError if status_code < 500 else PacTransientError
    return classify(
        FACTURAMA_RULES, f"HTTP{status_code}", text, default=default, details={"texts": texts}
    )


def plain_codes(node: Any) -> Any:
    """satcfdi parses catalog values into Code objects; its Facturama mapper wants bare codes."""
    from satcfdi.models import Code

    if isinstance(node, Code):
        return node.code
    if isinstance(node, dict):
        for key in list(node.keys()):
            node[key] = plain_codes(node[key])
        return node
    if isinstance(node, list):
        return [plain_codes(item) for item in node]
    return node


def _client_class() -> Any:
    from satcfdi import __version__
    from satcfdi.pacs.facturama import Facturama

    class BoundedFacturama(Facturama):
        transport: Transport

        def _request(self, method, path, *, json=None, params=None):
            response = self.transport.request(
                method,
                f"{self.host}/{path.lstrip('/')}",
                headers={
                    "User-Agent": __version__.__user_agent__,
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
                auth=self.auth,
                json=json,
                params=params,
            )
            content_type = (response.headers.get("Content-Type") or "").lower()
            if not response.ok:
                try:
                    payload: Any = response.json()
                except ValueError:
                    payload = response.text
                raise facturama_error(response.status_code, payload)
            if not response.content:
                return None
            if "application/json" in content_type:
                return response.json()
            return response.content

    return BoundedFacturama


class FacturamaPac(PacAdapter):
    """Pac port over Facturama Multiemisor (stamp via JSON issuance, cancel; status via SAT)."""

    name = "facturama"
    display_name = "Facturama"

    def client_class(self) -> Any:
        return _client_class()

    def stamp(self, cfdi_xml: bytes) -> StampResult:
        cfdi = plain_codes(parse_cfdi(cfdi_xml))
        try:
            with self.incomplete_answer():
                document = self.client.issue(cfdi)
        except (NotImplementedError, ValueError) as exc:  # the mapper cannot express this CFDI
            raise PacDataRejectedError(
                f"Facturama no admite este comprobante: {exc}", pac_code="facturama_mapeo"
            ) from exc
        return stamp_result_from_xml(document.xml)

    def cancel(self, request: CancellationRequest) -> CancellationResult:
        from satcfdi.exceptions import DocumentNotFoundError
        from satcfdi.pacs import CancelReason

        uuid = request.uuid.upper()
        stub = {"Complemento": {"TimbreFiscalDigital": {"UUID": uuid}}}
        try:
            ack = self.client.cancel(
                stub, CancelReason(request.motivo.value), request.folio_sustitucion
            )
        except DocumentNotFoundError as exc:
            raise PacDataRejectedError(
                "Facturama no tiene un comprobante con ese folio fiscal.", pac_code="HTTP404"
            ) from exc
        raw = ack.code if isinstance(ack.code, str) else ""
        status = FACTURAMA_CANCEL_STATUS.get(fold(raw).replace(" ", ""))
        if status is None:
            status = FACTURAMA_CANCEL_STATUS.get(fold(raw), CancellationStatus.PENDING)
        return CancellationResult(
            uuid=uuid,
            status=status,
            requires_acceptance=status is CancellationStatus.PENDING,
            acknowledgement=ack.acuse,
            detail={"Status": raw},
        )


__all__ = ["FACTURAMA_RULES", "FacturamaPac", "facturama_error", "plain_codes"]
