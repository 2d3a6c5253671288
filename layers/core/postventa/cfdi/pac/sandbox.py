"""Offline sandbox PAC: checks a sealed CFDI like a real PAC and stamps it with a
TimbreFiscalDigital 1.1 signed by a self-signed PAC test certificate.

What it checks, in the order a PAC answers: well-formed XML and XSD (301), a stamp already issued
for the same sello (returns the same UUID and XML, like Finkok's 307), then SAT's CFDI 4.0
validation matrix (`postventa.cfdi.validation.validate_document`: every rule decidable from the
XML, the catalogs and a clock, among them the Sello (CFDI40102), the certificate (CFDI40106, 303,
305) and the 72-hour window at LugarExpedicion's local time (401)), then the checks the matrix
cannot decide on its own (`rules`, by default `sandbox_rules.DEFAULT_RULES`: a stand-in for the
emisor's register name check, InformacionGlobal only for PUBLICO EN GENERAL, border IVA). It
answers with the first violation's code and Spanish message and lists every violation in the
error's details; then forced rejections and the folio balance. Cancellation refuses motivo 04
for a CFDI that is not a global invoice and any request after the deadline of CFF 29-A.

Every check runs on the bytes received. Results that are pure functions of those bytes may come
from per-process memos keyed by the SHA-256 of the whole document: XSD validity
(`xsd.validate_document`, filled when `stamping.seal_and_validate` validated exactly these
bytes), the cadena original (`seal.cadena_original_of_document`, filled by `seal.seal_to_bytes`)
and the matrix's verdict (filled by the pre-send check `validation.check_before_sending`); the
72-hour rule always runs against this PAC's clock. A document differing in any byte gets the
full XSD, XSLT and matrix.

Not checked (needs SAT's registers): receptor RFC in l_RFC, its name and CP (CFDI40143, 40145,
40147, 40148) -- use `reject_code` + `reject_rfcs` to simulate those.
"""

from __future__ import annotations

import hashlib
import random
import threading
import uuid as uuid_lib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from postventa.cfdi.errors import (
    PacDataRejectedError,
    PacNoCreditError,
    PacTransientError,
)
from postventa.cfdi.pac.base import (
    CancellationRequest,
    CancellationResult,
    CancellationStatus,
    CfdiState,
    StampResult,
    StatusResult,
)

if TYPE_CHECKING:
    from postventa.cfdi.certs import TestCertificate
    from postventa.cfdi.pac.sandbox_rules import RuleCheck

NS_CFDI = "http://www.sat.gob.mx/cfd/4"
NS_TFD = "http://www.sat.gob.mx/TimbreFiscalDigital"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
LEYENDA = "Timbrado por el PAC de pruebas de Postventa: sin validez fiscal"


@dataclass(frozen=True)
class SandboxRecord:
    uuid: str
    xml: bytes
    fecha_timbrado: datetime
    no_certificado_sat: str
    rfc_emisor: str
    rfc_receptor: str
    total_mxn: Decimal
    tipo_comprobante: str
    fecha_emision: datetime  # naive, local time of LugarExpedicion
    es_global: bool = False  # carries InformacionGlobal (may be cancelled with motivo 04)
    state: CfdiState = CfdiState.VALID
    cancellation: CancellationStatus | None = None
    cancel_requested_at: datetime | None = None


class SandboxStore(Protocol):
    """Where the sandbox keeps stamps and its folio balance (memory by default; the app may
    persist it). `consume_folio` must be atomic."""

    def by_fingerprint(self, fingerprint: str) -> SandboxRecord | None: ...
    def by_uuid(self, uuid: str) -> SandboxRecord | None: ...
    def save(self, fingerprint: str, record: SandboxRecord) -> None: ...
    def update(self, record: SandboxRecord) -> None: ...
    def consume_folio(self) -> bool: ...
    def folio_balance(self) -> int | None: ...


class InMemorySandboxStore:
    def __init__(self, folios: int | None = None) -> None:
        self._lock = threading.Lock()
        self._by_fp: dict[str, str] = {}
        self._records: dict[str, SandboxRecord] = {}
        self._folios = folios  # None: unlimited

    def by_fingerprint(self, fingerprint: str) -> SandboxRecord | None:
        uuid = self._by_fp.get(fingerprint)
        return self._records.get(uuid) if uuid else None

    def by_uuid(self, uuid: str) -> SandboxRecord | None:
        return self._records.get(uuid.upper())

    def save(self, fingerprint: str, record: SandboxRecord) -> None:
        with self._lock:
            self._by_fp[fingerprint] = record.uuid
            self._records[record.uuid] = record

    def update(self, record: SandboxRecord) -> None:
        with self._lock:
            self._records[record.uuid] = record

    def consume_folio(self) -> bool:
        with self._lock:
            if self._folios is None:
                return True
            if self._folios <= 0:
                return False
            self._folios -= 1
            return True

    def folio_balance(self) -> int | None:
        return self._folios

    def add_folios(self, count: int) -> None:
        with self._lock:
            self._folios = (self._folios or 0) + count


@dataclass
class FaultInjection:
    """Failure knobs: a seeded transient error rate, a full outage, forced data rejections."""

    transient_error_rate: float = 0.0
    seed: int | None = None  # None: OS randomness for errors and UUIDs; an int: reproducible
    outage: bool = False
    reject_code: str | None = None  # e.g. "CFDI40145"
    reject_rfcs: frozenset[str] | None = None  # None with a reject_code: reject every CFDI
    # Cancellation as a real receptor may make it go: acceptance asked even where only the amount
    # or the day would spare it (RMF 2.7.1.35 I and IX), and the receptor's answer ("aceptar",
    # "rechazar"), given the first time the status is asked after the request.
    receptor_must_accept: bool = False
    receptor_answer: str | None = None


def _utcnow() -> datetime:
    return datetime.now(tz=UTC)


class SandboxPac:
    """The Pac port, offline. Deterministic given `faults.seed` and `clock`."""

    name = "sandbox"

    def __init__(
        self,
        *,
        store: SandboxStore | None = None,
        pac_certificate: TestCertificate | None = None,
        faults: FaultInjection | None = None,
        clock: Callable[[], datetime] = _utcnow,
        future_tolerance: timedelta = timedelta(minutes=10),
        check_certificate_validity: bool = True,
        extra_holidays: Iterable[Any] = (),
        rules: Sequence[RuleCheck] | None = None,
    ) -> None:
        """`rules`: the checks run on every CFDI after SAT's matrix; None means
        sandbox_rules.DEFAULT_RULES. `check_certificate_validity` False waives rule 305 (SAT's
        public test CSDs expired in 2023); `future_tolerance`: clock skew accepted for a Fecha
        ahead of this PAC's clock."""
        self.store: SandboxStore = store if store is not None else InMemorySandboxStore()
        self.faults = faults or FaultInjection()
        self._rng = random.Random(self.faults.seed)
        self._clock = clock
        self._future_tolerance = future_tolerance
        self.waived_codes: frozenset[str] = (
            frozenset() if check_certificate_validity else frozenset({"305"})
        )
        self._extra_holidays = frozenset(extra_holidays)
        self._pac_certificate = pac_certificate
        self._rules = rules
        self._signer: Any = None
        self._identity: tuple[str, str] | None = None

    # -- PAC certificate --------------------------------------------------------------------
    def _pac_signer(self) -> Any:
        if self._signer is None:
            from satcfdi.models import Signer

            cert = self._pac_certificate or _default_pac_certificate()
            self._signer = Signer.load(cert.certificate, cert.key, cert.password)
        return self._signer

    def _pac_identity(self) -> tuple[str, str]:
        """(RfcProvCertif, NoCertificadoSAT) of the PAC certificate, read once."""
        if self._identity is None:
            signer = self._pac_signer()
            self._identity = (str(signer.rfc_pac), str(signer.certificate_number))
        return self._identity

    @property
    def no_certificado_sat(self) -> str:
        return self._pac_identity()[1]

    def pac_certificate_der(self) -> bytes:
        """The PAC certificate, to verify SelloSAT outside the sandbox."""
        return bytes(self._pac_signer().certificate_bytes())

    def now(self) -> datetime:
        """The clock this PAC judges Fecha by (injectable for tests)."""
        return self._clock()

    # -- stamp ------------------------------------------------------------------------------
    def stamp(self, cfdi_xml: bytes) -> StampResult:
        from lxml import etree

        self._maybe_fail()
        try:
            root = etree.fromstring(cfdi_xml, parser=_strict_parser())
        except etree.XMLSyntaxError as exc:
            raise _reject("301", f"XML mal formado: {exc}") from exc
        if root.tag != f"{{{NS_CFDI}}}Comprobante":
            raise _reject("301", "El documento no es un CFDI 4.0.")
        sello = root.get("Sello") or ""
        fingerprint = hashlib.sha256(sello.encode() or cfdi_xml).hexdigest()
        previous = self.store.by_fingerprint(fingerprint)
        if previous is not None:  # same CFDI sent again: same stamp, no folio spent
            return _result(previous)
        if root.find(f"{{{NS_CFDI}}}Complemento/{{{NS_TFD}}}TimbreFiscalDigital") is not None:
            raise _reject("307", "El CFDI ya contiene un timbre fiscal digital.")

        from postventa.cfdi import xsd

        try:
            xsd.validate_document(cfdi_xml, root)
        except xsd.XsdValidationError as exc:
            raise _reject("301", "XML mal formado: no cumple el esquema XSD.", exc.errors) from exc

        emisor = root.find(f"{{{NS_CFDI}}}Emisor")
        receptor = root.find(f"{{{NS_CFDI}}}Receptor")
        if emisor is None or receptor is None:  # the XSD requires both; never trust it blindly
            raise _reject("301", "XML mal formado: faltan los nodos Emisor o Receptor.")
        fecha = datetime.fromisoformat(root.get("Fecha") or "")
        self._check_rules(cfdi_xml, root, fecha)
        rfc_emisor = emisor.get("Rfc") or ""
        rfc_receptor = receptor.get("Rfc") or ""
        self._forced_rejection(rfc_receptor)
        if not self.store.consume_folio():
            raise PacNoCreditError(
                "El PAC de pruebas no tiene timbres disponibles.", pac_code="sin_timbres"
            )

        record = self._seal_tfd(root, sello, rfc_emisor, rfc_receptor, fecha)
        self.store.save(fingerprint, record)
        return _result(record)

    def _check_rules(self, cfdi_xml: bytes, root: Any, fecha: datetime) -> None:
        """SAT's matrix (the table), then this sandbox's own checks; the first violation of all
        decides the answer and every one goes in its details."""
        from postventa.cfdi.pac.sandbox_rules import DEFAULT_RULES, RuleContext, run_rules
        from postventa.cfdi.validation import validate_document

        now = self._clock()
        violations = validate_document(
            cfdi_xml,
            now=now,
            future_tolerance=self._future_tolerance,
            skip=self.waived_codes,
            element=root,
        )
        rules = DEFAULT_RULES if self._rules is None else self._rules
        violations += run_rules(rules, root, RuleContext(now=now, fecha=fecha))
        if violations:
            first = violations[0]
            raise _reject(
                first.code,
                first.message,
                {"violations": [v.as_dict() for v in violations]},
                field=first.field,
            )

    def _maybe_fail(self) -> None:
        if self.faults.outage:
            raise PacTransientError("El PAC no está disponible (caída simulada).", pac_code="503")
        if self.faults.transient_error_rate and (
            self._rng.random() < self.faults.transient_error_rate
        ):
            raise PacTransientError(
                "Tiempo de espera agotado con el PAC (simulado).", pac_code="504"
            )

    def _forced_rejection(self, rfc_receptor: str) -> None:
        code = self.faults.reject_code
        if not code:
            return
        rfcs = self.faults.reject_rfcs
        if rfcs is None or rfc_receptor in rfcs:
            from postventa.cfdi.validation import RULES_BY_CODE

            rule = RULES_BY_CODE.get(code)  # a matrix code answers with SAT's own message
            raise _reject(code, rule.message if rule else "Rechazo simulado por el PAC.")

    def _seal_tfd(
        self, root: Any, sello: str, rfc_emisor: str, rfc_receptor: str, fecha: datetime
    ) -> SandboxRecord:
        from lxml import etree
        from satcfdi.cfdi import CFDI
        from satcfdi.create.cfd.tfd11 import TimbreFiscalDigital

        from postventa.cfdi.seal import cadena_original_of_element
        from postventa.cfdi.timezones import mexico_city_local

        stamped_at = mexico_city_local(self._clock()).replace(microsecond=0)
        if self.faults.seed is None:
            uuid = str(uuid_lib.uuid4()).upper()
        else:
            uuid = str(uuid_lib.UUID(int=self._rng.getrandbits(128), version=4)).upper()
        # what satcfdi's TimbreFiscalDigital(proveedor=...) holds, rendered once: its __init__
        # renders the XML for the cadena and to_xml() renders it again
        rfc_pac, no_certificado_sat = self._pac_identity()
        tfd = CFDI(
            {
                "Version": TimbreFiscalDigital.version,
                "UUID": uuid,
                "FechaTimbrado": stamped_at,
                "RfcProvCertif": rfc_pac,
                "SelloCFD": sello,
                "NoCertificadoSAT": no_certificado_sat,
                "SelloSAT": "",
                "Leyenda": LEYENDA,
            }
        )
        tfd.tag = TimbreFiscalDigital.tag
        tfd_element = tfd.to_xml(include_schema_location=True)
        cadena = cadena_original_of_element(tfd_element)
        tfd_element.set("SelloSAT", self._pac_signer().sign_sha256(cadena.encode()))
        complemento = root.find(f"{{{NS_CFDI}}}Complemento")
        if complemento is None:
            complemento = etree.Element(f"{{{NS_CFDI}}}Complemento")
            addenda = root.find(f"{{{NS_CFDI}}}Addenda")
            if addenda is not None:
                addenda.addprevious(complemento)
            else:
                root.append(complemento)
        complemento.append(tfd_element)  # input was XSD-checked; satcfdi builds a valid TFD
        xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        total = Decimal(root.get("Total") or "0") * Decimal(root.get("TipoCambio") or "1")
        return SandboxRecord(
            uuid=uuid,
            xml=xml,
            fecha_timbrado=stamped_at,
            no_certificado_sat=self.no_certificado_sat,
            rfc_emisor=rfc_emisor,
            rfc_receptor=rfc_receptor,
            total_mxn=total,
            tipo_comprobante=root.get("TipoDeComprobante") or "I",
            fecha_emision=fecha,
            es_global=root.find(f"{{{NS_CFDI}}}InformacionGlobal") is not None,
        )

    # -- cancel / status --------------------------------------------------------------------
    def cancel(self, request: CancellationRequest) -> CancellationResult:
        from postventa.cfdi.cancel import (
            CancellationRequestError,
            check_cancellation_deadline,
            validate_motivo,
        )

        self._maybe_fail()
        record = self._find(request.uuid, request.rfc_emisor)
        try:
            validate_motivo(
                request.uuid,
                request.motivo,
                request.folio_sustitucion,
                es_global=record.es_global,
            )
            check_cancellation_deadline(record.fecha_emision, record.rfc_emisor, self._clock())
        except CancellationRequestError as exc:
            raise PacDataRejectedError(exc.message, pac_code=exc.code, details=exc.details) from exc
        if record.state is CfdiState.CANCELLED:
            return CancellationResult(
                record.uuid,
                CancellationStatus.ACCEPTED,
                False,
                detail={"codigo": "202", "mensaje": "Previamente cancelado"},
            )
        if record.cancellation is CancellationStatus.PENDING:
            return CancellationResult(
                record.uuid,
                CancellationStatus.PENDING,
                True,
                detail={"codigo": "202", "mensaje": "En proceso"},
            )
        now = self._clock()
        if self._needs_acceptance(record, now):
            updated = replace(
                record, cancellation=CancellationStatus.PENDING, cancel_requested_at=now
            )
            self.store.update(updated)
            return CancellationResult(
                record.uuid,
                CancellationStatus.PENDING,
                True,
                detail={"codigo": "201", "mensaje": "En espera de aceptación"},
            )
        self.store.update(
            replace(
                record,
                state=CfdiState.CANCELLED,
                cancellation=CancellationStatus.ACCEPTED,
                cancel_requested_at=now,
            )
        )
        return CancellationResult(
            record.uuid,
            CancellationStatus.ACCEPTED,
            False,
            detail={"codigo": "201", "mensaje": "Cancelado sin aceptación"},
        )

    def answer_cancellation(self, uuid: str, accept: bool) -> None:
        """Simulate the receptor accepting or rejecting a pending cancellation."""
        record = self.store.by_uuid(uuid)
        if record is None or record.cancellation is not CancellationStatus.PENDING:
            raise PacDataRejectedError(
                "No hay una solicitud de cancelación pendiente.", pac_code="2001"
            )
        if accept:
            record = replace(
                record, state=CfdiState.CANCELLED, cancellation=CancellationStatus.ACCEPTED
            )
        else:
            record = replace(record, cancellation=CancellationStatus.REJECTED)
        self.store.update(record)

    def status(self, uuid: str, rfc_emisor: str, rfc_receptor: str, total: Decimal) -> StatusResult:
        from postventa.cfdi.cancel import response_deadline

        record = self.store.by_uuid(uuid)
        if record is None or record.rfc_emisor != rfc_emisor or record.rfc_receptor != rfc_receptor:
            return StatusResult(uuid, CfdiState.NOT_FOUND)
        now = self._clock()
        if record.cancellation is CancellationStatus.PENDING and self.faults.receptor_answer:
            accept = self.faults.receptor_answer == "aceptar"
            self.answer_cancellation(record.uuid, accept)
            record = self.store.by_uuid(record.uuid) or record
        if record.cancellation is CancellationStatus.PENDING and record.cancel_requested_at:
            deadline = response_deadline(record.cancel_requested_at, self._extra_holidays)
            from postventa.cfdi.cancel import mexico_local

            if mexico_local(now) > deadline:  # silence = acceptance
                record = replace(
                    record, state=CfdiState.CANCELLED, cancellation=CancellationStatus.EXPIRED
                )
                self.store.update(record)
        cancellable = None
        if record.state is CfdiState.VALID:
            needs = self._needs_acceptance(record, now)
            cancellable = "Cancelable con aceptación" if needs else "Cancelable sin aceptación"
        return StatusResult(record.uuid, record.state, record.cancellation, cancellable)

    def _needs_acceptance(self, record: SandboxRecord, now: datetime) -> bool:
        from postventa.cfdi.cancel import NoAcceptanceReason, no_acceptance_reason

        reason = no_acceptance_reason(
            record.total_mxn,
            record.tipo_comprobante,
            record.rfc_receptor,
            record.fecha_emision,
            now,
            extra_holidays=self._extra_holidays,
        )
        if reason is None:
            return True
        spared_by_amount_or_day = reason in (
            NoAcceptanceReason.TOTAL_UP_TO_1000,
            NoAcceptanceReason.NEXT_BUSINESS_DAY,
        )
        return self.faults.receptor_must_accept and spared_by_amount_or_day

    def _find(self, uuid: str, rfc_emisor: str) -> SandboxRecord:
        record = self.store.by_uuid(uuid)
        if record is None or record.rfc_emisor != rfc_emisor:
            raise _reject("205", "El UUID no existe o no pertenece al emisor.")
        return record


@cache
def _strict_parser() -> Any:
    """What a PAC parses with: no recovery (satcfdi's parser recovers, so a truncated document
    came out whole and was stamped), no entities, no network."""
    from lxml import etree

    return etree.XMLParser(
        no_network=True,
        resolve_entities=False,
        huge_tree=True,
        remove_blank_text=True,
        collect_ids=False,
    )


def _reject(
    code: str, message: str, details: Any = None, *, field: str | None = None
) -> PacDataRejectedError:
    """The rejection as a PAC words it; a code of SAT's table (CFDI40xxx, 303, 305, 401) is
    also the error's `sat_code`, which names the refused field."""
    from postventa.cfdi.validation import RULES_BY_CODE

    sat_code = code if code in RULES_BY_CODE else None
    return PacDataRejectedError(
        f"{code}: {message}", pac_code=code, details=details, sat_code=sat_code, field=field
    )


def _result(record: SandboxRecord) -> StampResult:
    return StampResult(record.uuid, record.xml, record.fecha_timbrado, record.no_certificado_sat)


_DEFAULT_PAC: list[TestCertificate] = []
_DEFAULT_LOCK = threading.Lock()


def _default_pac_certificate() -> TestCertificate:
    """One generated PAC certificate per process (RSA key generation costs ~0.1 s)."""
    with _DEFAULT_LOCK:
        if not _DEFAULT_PAC:
            from postventa.cfdi.certs import generate_pac_certificate

            _DEFAULT_PAC.append(generate_pac_certificate())
        return _DEFAULT_PAC[0]
