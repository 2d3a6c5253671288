"""Shared plumbing of the real PAC adapters: credentials, a bounded HTTP transport, error tables.

satcfdi's PAC clients call `requests` without a timeout and let provider errors surface as
`satcfdi.exceptions.ResponseError` (or, for Finkok, as lxml/attribute errors on odd answers). The
adapters subclass those clients and route their single HTTP method through `Transport`, which puts
a timeout on every call and turns network failures and 5xx answers into `PacTransientError`.
Everything provider-specific is then classified by the data tables below.

Heavy imports (requests, lxml, satcfdi) happen inside functions: this module is imported by the
factory, which light Lambdas may import without ever stamping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from postventa.cfdi.errors import (
    PacAuthError,
    PacDataRejectedError,
    PacError,
    PacNoCreditError,
    PacTransientError,
)
from postventa.cfdi.pac.base import CancellationStatus, CfdiState, StampResult, StatusResult

if TYPE_CHECKING:
    import requests

# connect, read (seconds). Finkok's own docs suggest waiting up to ~30 s for a stamp under load.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)


class PacEnvironment(StrEnum):
    TEST = "test"
    PRODUCTION = "production"


class PacCredentials(BaseModel):
    """What a PAC account needs; loaded by the app (Secrets Manager in AWS), never read here."""

    model_config = ConfigDict(frozen=True)

    user: str | None = None
    password: SecretStr | None = None
    token: SecretStr | None = None  # SW Sapien "token infinito"; others ignore it
    environment: PacEnvironment = PacEnvironment.TEST

    @model_validator(mode="after")
    def _user_and_password_together(self) -> PacCredentials:
        if (self.user is None) != (self.password is None):
            raise ValueError("user y password van juntos")
        return self

    def password_value(self) -> str:
        return self.password.get_secret_value() if self.password else ""

    def token_value(self) -> str | None:
        return self.token.get_secret_value() if self.token else None


def satcfdi_environment(environment: PacEnvironment) -> Any:
    from satcfdi.pacs import Environment

    return Environment.PRODUCTION if environment is PacEnvironment.PRODUCTION else Environment.TEST


class Transport:
    """One requests.Session with a timeout on every call; network trouble -> PacTransientError."""

    def __init__(
        self,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        provider: str = "pac",
    ) -> None:
        import requests

        self.session = session or requests.Session()
        self.timeout = timeout
        self.provider = provider

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        import requests

        kwargs.setdefault("timeout", self.timeout)
        try:
            response = self.session.request(method=method.upper(), url=url, **kwargs)
        except requests.Timeout as exc:
            raise PacTransientError(
                f"El PAC ({self.provider}) no respondió a tiempo; se reintentará.",
                pac_code="timeout",
            ) from exc
        except requests.RequestException as exc:  # DNS, refused, TLS, reset...
            raise PacTransientError(
                f"No fue posible conectar con el PAC ({self.provider}); se reintentará.",
                pac_code="network",
            ) from exc
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise PacTransientError(
                f"El PAC ({self.provider}) no está disponible (HTTP {response.status_code}); "
                "se reintentará.",
                pac_code=f"HTTP{response.status_code}",
            )
        return response


# ---------------------------------------------------------------------------------------------
# What every real adapter shares
# ---------------------------------------------------------------------------------------------


class PacAdapter:
    """Base of the real adapters: credentials checked on construction, one bounded Transport
    handed to the provider's satcfdi client, incomplete answers turned into a retryable error, and
    SAT's public status service. Subclasses name the provider and build its client."""

    name: str  # our provider key: "finkok", "swsapien", "facturama"
    display_name: str  # how sellers read it in messages: "Finkok", "SW Sapien"...
    waived_codes: frozenset[str] = frozenset()  # a real PAC enforces all of SAT's rules

    def __init__(self, credentials: PacCredentials, *, transport: Transport | None = None) -> None:
        self.check_credentials(credentials)
        self.credentials = credentials
        self.transport = transport or Transport(provider=self.name)
        self.client = self.client_class()(
            **self.client_arguments(credentials),
            environment=satcfdi_environment(credentials.environment),
        )
        self.client.transport = self.transport

    def now(self) -> datetime:
        """The clock the PAC judges Fecha by: the wall clock (the pre-send check reads it)."""
        return datetime.now(tz=UTC)

    def check_credentials(self, credentials: PacCredentials) -> None:
        """User and password by default; PacAuthError names what is missing."""
        if not credentials.user or credentials.password is None:
            raise PacAuthError(f"Faltan el usuario y la contraseña de {self.display_name}.")

    def client_class(self) -> Any:
        """The satcfdi client subclass that sends through `self.transport`."""
        raise NotImplementedError

    def client_arguments(self, credentials: PacCredentials) -> dict[str, Any]:
        return {"username": credentials.user, "password": credentials.password_value()}

    @contextmanager
    def incomplete_answer(self, *errors: type[Exception]) -> Iterator[None]:
        """An answer missing the nodes or keys the client reads (KeyError, TypeError, and any
        `errors` given) is a transient provider fault: PacTransientError, safe to retry."""
        caught: tuple[type[Exception], ...] = (KeyError, TypeError, *errors)
        try:
            yield
        except caught as exc:
            raise PacTransientError(
                f"{self.display_name} devolvió una respuesta incompleta; se reintentará.",
                pac_code="respuesta",
            ) from exc

    def status(self, uuid: str, rfc_emisor: str, rfc_receptor: str, total: Decimal) -> StatusResult:
        """SAT's public ConsultaCFDIService (the adapters whose PAC has no status call use it)."""
        return sat_status(
            self.transport, self.credentials.environment, uuid, rfc_emisor, rfc_receptor, total
        )


# ---------------------------------------------------------------------------------------------
# Error tables: one row per provider answer class, checked in order, first match wins.
# ---------------------------------------------------------------------------------------------

# SAT's codes as PACs quote them: CFDI 3.3 and 4.0 (CFDI1402xx too) and complements' codes
SAT_CODE = re.compile(r"\b(CFDI(?:33\d{3}|40\d{3}|1402\d\d)|CRP\d{3,5}|NOM\d{3,5}|CP\d{3})\b")


@dataclass(frozen=True)
class ErrorRule:
    """`code` matches the provider's code exactly; `pattern` searches its message (case-insens.)."""

    error: type[PacError]
    code: str | None = None
    pattern: str | None = None
    message: str | None = None  # Spanish text for people; None -> the provider's own message

    def matches(self, code: str | None, text: str) -> bool:
        if self.code is not None and code != self.code:
            return False
        if self.pattern is not None and not re.search(self.pattern, text, re.IGNORECASE):
            return False
        return self.code is not None or self.pattern is not None


# Provider-independent rows, appended after each provider's own table.
COMMON_RULES: tuple[ErrorRule, ...] = (
    ErrorRule(PacDataRejectedError, pattern=SAT_CODE.pattern),
    ErrorRule(
        PacNoCreditError,
        pattern=r"(\bsin|\bno (tienes?|cuentas?)|insuficientes?|agotad\w*)\s.{0,30}"
        r"(timbres|folios|cr[eé]ditos|saldo)"
        r"|(timbres|folios|saldo|cr[eé]ditos) (insuficientes?|agotad)",
        message="La cuenta del PAC no tiene timbres disponibles.",
    ),
    ErrorRule(
        PacAuthError,
        pattern=r"(usuario|contrase[nñ]a|password|token|credencial|autentica|unauthori)",
        message="El PAC rechazó las credenciales configuradas.",
    ),
)


def classify(
    rules: tuple[ErrorRule, ...],
    code: str | None,
    text: str,
    *,
    default: type[PacError] = PacDataRejectedError,
    details: Any = None,
) -> PacError:
    """Turn one provider answer (code + message) into our typed error. A code of SAT's CFDI 4.0
    matrix inside the text (PACs often wrap it in their own 301) becomes the error's `sat_code`,
    which names the refused `field` and, for the buyer's data, its `receptor_field`."""
    from postventa.cfdi.validation import inner_sat_code

    code = (code or "").strip() or None
    text = (text or "").strip()
    found = SAT_CODE.search(text)
    pac_code = found.group(1) if found else code
    sat_code = inner_sat_code(text)
    error, message = default, text or "El PAC rechazó la solicitud."
    for rule in (*rules, *COMMON_RULES):
        if rule.matches(code, text):
            error, message = rule.error, rule.message or message
            break
    return error(message, pac_code=pac_code, details=details, sat_code=sat_code)


# ---------------------------------------------------------------------------------------------
# CFDI parsing helpers
# ---------------------------------------------------------------------------------------------

TFD_NS = "http://www.sat.gob.mx/TimbreFiscalDigital"


def parse_cfdi(cfdi_xml: bytes) -> Any:
    """Sealed XML -> satcfdi CFDI; unreadable XML is a data problem, not worth a retry."""
    from satcfdi.cfdi import CFDI

    try:
        return CFDI.from_string(cfdi_xml)
    except Exception as exc:  # lxml syntax errors, namespace mismatch
        raise PacDataRejectedError(
            "El XML del comprobante no es válido.", pac_code="xml_invalido"
        ) from exc


def stamp_result_from_xml(xml: bytes | str) -> StampResult:
    """Read UUID, FechaTimbrado and NoCertificadoSAT from a stamped CFDI."""
    from lxml import etree

    data = xml.encode() if isinstance(xml, str) else xml
    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError as exc:
        raise PacTransientError(
            "El PAC devolvió un XML timbrado ilegible; se reintentará.", pac_code="xml_respuesta"
        ) from exc
    tfd = root.find(f".//{{{TFD_NS}}}TimbreFiscalDigital")
    if tfd is None:
        raise PacTransientError(
            "El PAC devolvió el comprobante sin TimbreFiscalDigital; se reintentará.",
            pac_code="sin_timbre",
        )
    return StampResult(
        uuid=tfd.get("UUID", "").upper(),
        xml=data,
        fecha_timbrado=datetime.fromisoformat(tfd.get("FechaTimbrado", "")),
        no_certificado_sat=tfd.get("NoCertificadoSAT", ""),
    )


class SignedXml:
    """Quacks like the satcfdi XElement the clients serialize (xml_bytes / to_xml)."""

    def __init__(self, xml: bytes) -> None:
        self.xml = xml

    def xml_bytes(self, xml_declaration: bool = True, **_: Any) -> bytes:
        from lxml import etree

        return etree.tostring(self.to_xml(), xml_declaration=xml_declaration, encoding="UTF-8")

    def to_xml(self, **_: Any) -> Any:
        from lxml import etree

        return etree.fromstring(self.xml)


# ---------------------------------------------------------------------------------------------
# SAT's public status answer (Estado / EsCancelable / EstatusCancelacion)
# ---------------------------------------------------------------------------------------------

SAT_ESTADO: dict[str, CfdiState] = {
    "vigente": CfdiState.VALID,
    "cancelado": CfdiState.CANCELLED,
    "no encontrado": CfdiState.NOT_FOUND,
}

# EstatusCancelacion as the SAT service spells it (accents vary between PACs: compare folded).
SAT_ESTATUS_CANCELACION: dict[str, CancellationStatus] = {
    "en proceso": CancellationStatus.PENDING,
    "solicitud rechazada": CancellationStatus.REJECTED,
    "plazo vencido": CancellationStatus.EXPIRED,
    "cancelado con aceptacion": CancellationStatus.ACCEPTED,
    "cancelado sin aceptacion": CancellationStatus.ACCEPTED,
}


def fold(text: str | None) -> str:
    import unicodedata

    norm = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(norm.lower().split())


def status_from_sat_answer(uuid: str, answer: dict[str, str | None]) -> StatusResult:
    """Map the SAT consulta fields (as dict) to our StatusResult."""
    estado = fold(answer.get("Estado"))
    codigo = fold(answer.get("CodigoEstatus"))
    state = SAT_ESTADO.get(estado)
    if state is None:
        if "no encontrado" in codigo or "602" in codigo:
            state = CfdiState.NOT_FOUND
        else:
            raise PacTransientError(
                "El SAT no devolvió el estado del comprobante; se reintentará.",
                pac_code="estado_desconocido",
                details={"CodigoEstatus": answer.get("CodigoEstatus")},
            )
    cancellation = SAT_ESTATUS_CANCELACION.get(fold(answer.get("EstatusCancelacion")))
    if cancellation is None and state is CfdiState.CANCELLED:
        cancellation = CancellationStatus.ACCEPTED
    return StatusResult(
        uuid=uuid.upper(),
        state=state,
        cancellation=cancellation,
        cancellable=answer.get("EsCancelable") or None,
    )


SAT_CONSULTA_HOSTS = {
    PacEnvironment.PRODUCTION: ("https://consultaqr.facturaelectronica.sat.gob.mx", True),
    # SAT's test service runs with a certificate that does not verify (satcfdi does the same)
    PacEnvironment.TEST: ("https://pruebacfdiconsultaqr.cloudapp.net", False),
}
SAT_CONSULTA_ACTION = "http://tempuri.org/IConsultaCFDIService/Consulta"


def sat_status(
    transport: Transport,
    environment: PacEnvironment,
    uuid: str,
    rfc_emisor: str,
    rfc_receptor: str,
    total: Decimal,
) -> StatusResult:
    """Ask SAT's public ConsultaCFDIService for a CFDI's state.

    Same request as satcfdi.pacs.sat.SAT.status, sent here directly: importing that module pulls
    beautifulsoup4, which the CfdiLayer does not ship (satcfdi is installed --no-deps)."""
    from xml.sax.saxutils import escape

    from lxml import etree

    host, verify = SAT_CONSULTA_HOSTS[environment]
    expression = escape(f"?re={rfc_emisor}&rr={rfc_receptor}&tt={total}&id={uuid.upper()}")
    envelope = (
        '<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/" xmlns:tem="http://tempuri.org/">'
        f"<Body><tem:Consulta><tem:expresionImpresa>{expression}</tem:expresionImpresa>"
        "</tem:Consulta></Body></Envelope>"
    )
    response = transport.request(
        "post",
        f"{host}/ConsultaCFDIService.svc",
        data=envelope.encode(),
        headers={
            "Content-type": 'text/xml;charset="utf-8"',
            "Accept": "text/xml",
            "SOAPAction": SAT_CONSULTA_ACTION,
        },
        verify=verify,
    )
    try:
        root = etree.fromstring(response.content)
    except etree.XMLSyntaxError as exc:
        raise PacTransientError(
            "El servicio de consulta del SAT respondió algo ilegible; se reintentará.",
            pac_code=f"HTTP{response.status_code}",
        ) from exc
    result = root.find("{*}Body/{*}ConsultaResponse/{*}ConsultaResult")
    if not response.ok or result is None:
        raise PacTransientError(
            "El servicio de consulta del SAT falló; se reintentará.",
            pac_code=f"HTTP{response.status_code}",
        )
    answer = {etree.QName(child).localname: child.text for child in result}
    return status_from_sat_answer(uuid, answer)


# ---------------------------------------------------------------------------------------------
# SAT's per-folio cancellation answer (EstatusUUID), shared by Finkok and SW Sapien
# ---------------------------------------------------------------------------------------------

# EstatusUUID codes the SAT cancellation service returns for a folio that was NOT taken.
SAT_CANCEL_RULES: tuple[ErrorRule, ...] = (
    ErrorRule(
        PacDataRejectedError,
        code="203",
        message="El folio fiscal no corresponde al emisor; no se puede cancelar.",
    ),
    ErrorRule(
        PacDataRejectedError,
        code="204",
        message="El folio fiscal no es aplicable a cancelación.",
    ),
    # 205: the SAT has not received the CFDI yet (it may take up to 72 h after stamping).
    ErrorRule(
        PacTransientError,
        code="205",
        message="El SAT aún no registra el folio fiscal; se reintentará la cancelación.",
    ),
    ErrorRule(
        PacDataRejectedError,
        code="no_cancelable",
        message="El CFDI no es cancelable: tiene comprobantes relacionados vigentes.",
    ),
    ErrorRule(PacTransientError, code="708", message="El PAC no pudo conectar con el SAT."),
)

CANCEL_ACCEPTED_CODES = frozenset({"202"})  # "previamente cancelado": the goal already holds


def cancellation_status_from(code: str | None, estatus_text: str | None) -> CancellationStatus:
    """Status of a folio the SAT took (201/202), from its EstatusCancelacion text when present."""
    if code in CANCEL_ACCEPTED_CODES:
        return CancellationStatus.ACCEPTED
    known = SAT_ESTATUS_CANCELACION.get(fold(estatus_text))
    if known is not None:
        return known
    return CancellationStatus.PENDING
