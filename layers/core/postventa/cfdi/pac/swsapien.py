"""SW Sapien (SmarterWeb) adapter over satcfdi's SWSapien REST client.

stamp  -> POST services/v4/cfdi33/stamp/v4 (multipart, sealed XML), bearer token.
cancel -> POST services/cfdi33/cancel/xml with the CSD-signed Cancelacion (cfdi.cancel), or, when no
          signed request is given, POST cfdi33/cancel/{rfc}/{uuid}/{motivo}[/{sustituto}], which
          uses the CSD the seller uploaded to SW.
status -> SAT's public ConsultaCFDIService (satcfdi's SAT client); SW's own status API is not
          wrapped by satcfdi.

satcfdi 26.10.1 bugs worked around here: with user/password it never initialises `token` and reads
`token` from the top level of the authenticate answer (SW puts it under `data`).
"""

from __future__ import annotations

import re
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
    PacCredentials,
    SignedXml,
    Transport,
    cancellation_status_from,
    classify,
    parse_cfdi,
    stamp_result_from_xml,
)
from postventa.cfdi.pac.base import (
    CancellationRequest,
    CancellationResult,
    CancellationStatus,
    StampResult,
)

ALREADY_STAMPED = "307"
LEADING_CODE = re.compile(r"^\s*([A-Z]{0,8}\d{2,6})\b")

# SW answers {"status": "error", "message": "<code> - <text>", "messageDetail": "..."}; codes from
# SW's public developer docs (developers.sw.com.mx, "Códigos de error"): CFDI33xxx/CFDI40xxx are the
# SAT's validations, 3xx the stamping service, AUxxxx authentication.
SW_RULES: tuple[ErrorRule, ...] = (
    ErrorRule(PacAuthError, pattern=r"^\s*AU\d+", message="SW Sapien rechazó las credenciales."),
    ErrorRule(PacAuthError, code="HTTP401", message="SW Sapien rechazó las credenciales."),
    ErrorRule(PacAuthError, code="HTTP403", message="SW Sapien rechazó las credenciales."),
    ErrorRule(PacDataRejectedError, pattern=r"^\s*3\d\d\b"),  # 301 XML mal formado, 302 sello...
)

# SW's names for the motivos (satcfdi's CancelReason values are the same two-digit codes).
_MOTIVO_REASON = {
    "01": "COMPROBANTE_EMITIDO_CON_ERRORES_CON_RELACION",
    "02": "COMPROBANTE_EMITIDO_CON_ERRORES_SIN_RELACION",
    "03": "NO_SE_LLEVO_A_CABO_LA_OPERACION",
    "04": "OPERACION_NORMATIVA_RELACIONADA_EN_LA_FACTURA_GLOBAL",
}


def sw_error(status_code: int, payload: Any) -> PacError:
    """One SW error answer -> typed error (307 -> PacAlreadyStampedError with the payload)."""
    body = payload if isinstance(payload, dict) else {}
    message = str(body.get("message") or "")
    detail = str(body.get("messageDetail") or "")
    match = LEADING_CODE.match(message)
    code = match.group(1) if match else None
    if code == ALREADY_STAMPED:
        return PacAlreadyStampedError(
            "El CFDI ya fue timbrado antes en SW Sapien.", pac_code=ALREADY_STAMPED, details=body
        )
    if code is None and status_code in (401, 403):
        code = f"HTTP{status_code}"
    text = f"{message} {detail}".strip() or f"HTTP {status_code}"
    default: type[PacError] = PacDataRejectedError if status_code < 500 else PacTransientError
    return classify(SW_RULES, code, text, default=default, details={"messageDetail": detail})


def _client_class() -> Any:
    from satcfdi import __version__
    from satcfdi.pacs.swsapien import SWSapien

    class BoundedSWSapien(SWSapien):
        transport: Transport
        token: str | None = None
        expires_in: float = 0

        def _request(
            self,
            path,
            headers=None,
            method="post",
            files=None,
            json=None,
            needs_token=True,
            service="services",
        ):
            host = self._host(service)
            response = self.transport.request(
                method,
                f"{host}/{str(path).lstrip('/')}",
                headers={
                    "Cache-Control": "no-cache",
                    "Authorization": self.token_fn() if needs_token else "",
                    "User-Agent": __version__.__user_agent__,
                    **(headers or {}),
                },
                json=json,
                files=files,
            )
            try:
                payload = response.json()
            except ValueError:
                payload = None
            if response.ok and isinstance(payload, dict) and payload.get("status") == "success":
                return payload
            raise sw_error(response.status_code, payload)

        def _authenticate(self, user, password):
            data = super()._authenticate(user, password)["data"]
            return {"token": data["token"], "expires_in": data.get("expires_in", 0)}

    return BoundedSWSapien


class SWSapienPac(PacAdapter):
    """Pac port over SW Sapien (stamp, cancel; status through SAT's public service)."""

    name = "swsapien"
    display_name = "SW Sapien"

    def check_credentials(self, credentials: PacCredentials) -> None:
        if not credentials.token_value() and not credentials.user:
            raise PacAuthError("Faltan el token o el usuario y contraseña de SW Sapien.")

    def client_class(self) -> Any:
        return _client_class()

    def client_arguments(self, credentials: PacCredentials) -> dict[str, Any]:
        return {
            "token": credentials.token_value(),
            "user": credentials.user,
            "password": credentials.password_value(),
        }

    def stamp(self, cfdi_xml: bytes) -> StampResult:
        cfdi = parse_cfdi(cfdi_xml)
        try:
            with self.incomplete_answer():
                document = self.client.stamp(cfdi)
        except PacAlreadyStampedError as exc:
            data = (exc.details or {}).get("data") if isinstance(exc.details, dict) else None
            previous = data.get("cfdi") if isinstance(data, dict) else None
            if previous:
                return stamp_result_from_xml(previous)
            raise PacAlreadyStampedError(
                "El CFDI ya fue timbrado antes y SW Sapien no devolvió el timbre.",
                pac_code=ALREADY_STAMPED,
            ) from exc
        return stamp_result_from_xml(document.xml)

    def cancel(self, request: CancellationRequest) -> CancellationResult:
        from satcfdi.pacs import CancelReason

        uuid = request.uuid.upper()
        with self.incomplete_answer():
            if request.signed_request is not None:
                ack = self.client.cancel_comprobante(SignedXml(request.signed_request))
                codes = ack.code if isinstance(ack.code, dict) else {uuid: ack.code}
            else:
                stub = {
                    "Emisor": {"Rfc": request.rfc_emisor},
                    "Complemento": {"TimbreFiscalDigital": {"UUID": uuid}},
                }
                reason = CancelReason[_MOTIVO_REASON[request.motivo.value]]
                ack = self.client.cancel(stub, reason, request.folio_sustitucion)
                codes = {uuid: ack.code}
        folio_code = str({k.upper(): v for k, v in codes.items()}.get(uuid) or "")
        if folio_code not in ("201", "202"):
            raise classify(SAT_CANCEL_RULES, folio_code, folio_code or "sin estatus")
        status = cancellation_status_from(folio_code, None)
        acuse = ack.acuse.encode() if isinstance(ack.acuse, str) else ack.acuse
        return CancellationResult(
            uuid=uuid,
            status=status,
            requires_acceptance=status is CancellationStatus.PENDING,
            acknowledgement=acuse,
            detail={"EstatusUUID": folio_code},
        )


__all__ = ["SW_RULES", "SWSapienPac", "sw_error"]
