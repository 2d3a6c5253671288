"""Buyer (Receptor) validation for CFDI 4.0, before a folio is spent.

`validate_receptor` normalizes the data a buyer typed and reports every problem at once, as
{field: [Spanish messages]}; `require_receptor` raises ReceptorInvalidError instead. It covers
what can be checked offline (format, SAT catalogs and their cross rules); whether the RFC, name
and CP match SAT's register (CFDI40143, CFDI40145, CFDI40148) only the PAC knows.

A check digit that does not match SAT's algorithm is a warning, not an error: SAT has assigned
RFCs that fail it. It comes back in `advertencias["rfc"]` with code RFC_DIGITO_VERIFICADOR and
blocks the result (`valido` False, no Receptor) until the caller passes `rfc_confirmado=True`
after the buyer confirmed ("mi RFC es correcto").

Light on purpose: no satcfdi, no boto3 (the billing-form function imports it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from postventa.cfdi import catalogs
from postventa.cfdi.errors import ReceptorInvalidError
from postventa.cfdi.names import (
    NOMBRE_MAX,
    NOMBRE_PUBLICO_EN_GENERAL,
    nombre_problems,
    normalize_nombre,
    sin_acentos,
)
from postventa.cfdi.rfc import (
    RFC_GENERICO_EXTRANJERO,
    RFC_GENERICO_NACIONAL,
    TipoPersona,
    check_digit_mismatch,
    is_generic,
    normalize_rfc,
    rfc_problems,
    tipo_persona,
)

__all__ = [
    "FIELDS",
    "REGIMEN_SIN_OBLIGACIONES",
    "RFC_DIGITO_VERIFICADOR",
    "USO_SIN_EFECTOS",
    "Advertencia",
    "Receptor",
    "ReceptorResult",
    "TipoComprobante",
    "receptor_publico_en_general",
    "require_receptor",
    "validate_receptor",
]

REGIMEN_SIN_OBLIGACIONES = "616"
USO_SIN_EFECTOS = "S01"
USO_PAGOS = "CP01"
USO_NOMINA = "CN01"
EMAIL_MAX = 254
RFC_DIGITO_VERIFICADOR = "rfc_digito_verificador"

TipoComprobante = Literal["I", "E", "T", "N", "P"]

FIELDS = (
    "rfc",
    "nombre",
    "regimen_fiscal",
    "codigo_postal",
    "uso_cfdi",
    "email",
    "residencia_fiscal",
    "num_reg_id_trib",
)

_RFC_PATTERN = r"^[A-Z&Ñ]{3,4}[0-9]{2}(0[1-9]|1[012])(0[1-9]|[12][0-9]|3[01])[A-Z0-9]{2}[0-9A]$"


class Receptor(BaseModel):
    """Normalized buyer data that passed `validate_receptor`; invoices are built from it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rfc: str = Field(pattern=_RFC_PATTERN)
    nombre: str = Field(min_length=1, max_length=NOMBRE_MAX, pattern=r"^[^|]+$")
    regimen_fiscal: str = Field(pattern=r"^[0-9]{3}$")
    codigo_postal: str = Field(pattern=r"^[0-9]{5}$")  # DomicilioFiscalReceptor
    uso_cfdi: str = Field(pattern=r"^[A-Z]{1,2}[0-9]{2}$")
    email: str | None = Field(default=None, max_length=EMAIL_MAX)
    residencia_fiscal: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    num_reg_id_trib: str | None = Field(default=None, min_length=1, max_length=40)

    @property
    def tipo_persona(self) -> TipoPersona:
        return TipoPersona.MORAL if len(self.rfc) == 12 else TipoPersona.FISICA

    @property
    def es_publico_en_general(self) -> bool:
        return self.rfc == RFC_GENERICO_NACIONAL

    @property
    def es_extranjero(self) -> bool:
        return self.rfc == RFC_GENERICO_EXTRANJERO


class Advertencia(BaseModel):
    """Something the buyer may know better than the algorithm: shown with its own code, it blocks
    until the buyer confirms it (then `confirmada` is True and it no longer blocks)."""

    model_config = ConfigDict(frozen=True)

    codigo: str
    mensaje: str
    confirmada: bool = False


class ReceptorResult(BaseModel):
    """Outcome of a validation: normalized values (even when invalid) and every problem."""

    model_config = ConfigDict(frozen=True)

    normalizado: dict[str, str | None]
    errores: dict[str, list[str]]
    advertencias: dict[str, list[Advertencia]] = Field(default_factory=dict)
    tipo_persona: TipoPersona | None = None
    receptor: Receptor | None = None

    @property
    def requiere_confirmacion(self) -> bool:
        """True while a warning waits for the buyer's confirmation."""
        return bool(self.pendientes())

    @property
    def valido(self) -> bool:
        return not self.errores and not self.requiere_confirmacion

    def pendientes(self) -> dict[str, list[str]]:
        """{field: [messages]} of the warnings the buyer has not confirmed yet."""
        pending = {
            field: [w.mensaje for w in warnings if not w.confirmada]
            for field, warnings in self.advertencias.items()
        }
        return {field: messages for field, messages in pending.items() if messages}

    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape: {"valido", "receptor": normalized values, "errores",
        "advertencias": {field: [{"codigo", "mensaje", "confirmada"}]}, "requiere_confirmacion"}."""
        receptor: dict[str, Any] = dict(self.normalizado)
        receptor["tipo_persona"] = self.tipo_persona.value if self.tipo_persona else None
        return {
            "valido": self.valido,
            "receptor": receptor,
            "errores": self.errores,
            "advertencias": {
                field: [w.model_dump() for w in warnings]
                for field, warnings in self.advertencias.items()
            },
            "requiere_confirmacion": self.requiere_confirmacion,
        }

    def raise_if_invalid(self) -> Receptor:
        if self.receptor is None:
            problems = {field: list(messages) for field, messages in self.errores.items()}
            for field, messages in self.pendientes().items():
                problems.setdefault(field, []).extend(messages)
            raise ReceptorInvalidError(problems)
        return self.receptor


def validate_receptor(
    data: Mapping[str, Any] | BaseModel,
    *,
    es_global: bool = False,
    lugar_expedicion: str | None = None,
    tipo_comprobante: TipoComprobante = "I",
    rfc_confirmado: bool = False,
) -> ReceptorResult:
    """Validate buyer fiscal data for a CFDI 4.0 Receptor; never raises for bad data.

    `data` has rfc, nombre, regimen_fiscal, codigo_postal, uso_cfdi and optionally email,
    residencia_fiscal, num_reg_id_trib. `es_global`: the invoice is a global (público en general)
    invoice. `lugar_expedicion`: the issuer's LugarExpedicion CP, which generic RFCs must repeat.
    With a generic RFC, empty régimen/uso/CP (and the name, for XAXX) take their only valid value.
    `rfc_confirmado`: the buyer confirmed an RFC whose check digit does not match ("mi RFC es
    correcto"); the warning stays in the result, marked confirmed, and no longer blocks.
    """
    if tipo_comprobante not in ("I", "E", "T", "N", "P"):
        raise ValueError(f"unknown TipoDeComprobante {tipo_comprobante!r}")
    raw = {name: _text(value) for name, value in _as_mapping(data).items() if name in FIELDS}
    check = _Check(raw, es_global, _text(lugar_expedicion).strip() or None, tipo_comprobante)
    return check.run(rfc_confirmado=rfc_confirmado)


def require_receptor(
    data: Mapping[str, Any] | BaseModel,
    *,
    es_global: bool = False,
    lugar_expedicion: str | None = None,
    tipo_comprobante: TipoComprobante = "I",
    rfc_confirmado: bool = False,
) -> Receptor:
    """Like validate_receptor, but returns the Receptor or raises ReceptorInvalidError (which
    also lists the warnings not confirmed yet)."""
    return validate_receptor(
        data,
        es_global=es_global,
        lugar_expedicion=lugar_expedicion,
        tipo_comprobante=tipo_comprobante,
        rfc_confirmado=rfc_confirmado,
    ).raise_if_invalid()


def receptor_publico_en_general(lugar_expedicion: str) -> Receptor:
    """The Receptor of a global invoice: XAXX010101000, PUBLICO EN GENERAL, 616, S01."""
    return require_receptor({}, es_global=True, lugar_expedicion=lugar_expedicion)


# --- internals ---------------------------------------------------------------------------------

_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_EMAIL_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
)
_CLAVE = re.compile(r"\s*([A-Za-z0-9]+)(?:\s*(?:[-–—:.]|\s)\s*.*)?", re.DOTALL)


def _as_mapping(data: Mapping[str, Any] | BaseModel) -> Mapping[str, Any]:
    if isinstance(data, BaseModel):
        return data.model_dump()
    if isinstance(data, Mapping):
        return data
    raise TypeError("receptor data must be a mapping or a pydantic model")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _clave(value: str) -> str:
    """The key of a catalog value typed as "612", "612 - Personas Físicas..." or "g03"."""
    match = _CLAVE.fullmatch(value)
    return match.group(1).upper() if match else value.strip().upper()


def _describe_format(formato: str) -> str:
    """c_Pais formats as a person reads them ("[0-9]{9}" -> "9 dígitos")."""
    digits = re.fullmatch(r"\[0-9\]\{(\d+)\}", formato)
    return f"{digits.group(1)} dígitos" if digits else f"el patrón {formato}"


def _label(clave: str, descripcion: str) -> str:
    return f"{clave} ({descripcion.rstrip('.')})"


class _Check:
    """One validation run; collects messages per field."""

    def __init__(
        self,
        raw: dict[str, str],
        es_global: bool,
        lugar_expedicion: str | None,
        tipo_comprobante: str,
    ) -> None:
        self.raw = raw
        self.es_global = es_global
        self.lugar = lugar_expedicion
        self.tipo_comprobante = tipo_comprobante
        self.errors: dict[str, list[str]] = {}
        self.warnings: dict[str, list[Advertencia]] = {}
        self.values: dict[str, str | None] = {}

    def error(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def warn(self, field: str, warning: Advertencia) -> None:
        self.warnings.setdefault(field, []).append(warning)

    def run(self, *, rfc_confirmado: bool = False) -> ReceptorResult:
        rfc = self.check_rfc(rfc_confirmado)
        tipo = tipo_persona(rfc)
        self.check_lugar()
        self.check_nombre(rfc, tipo)
        self.check_codigo_postal(rfc)
        regimen = self.check_regimen(rfc, tipo)
        self.check_uso(rfc, tipo, regimen)
        self.check_email()
        self.check_extranjero(rfc)
        result = ReceptorResult(
            normalizado={name: self.values.get(name) for name in FIELDS},
            errores=self.errors,
            advertencias=self.warnings,
            tipo_persona=tipo,
        )
        if not result.valido:
            return result
        receptor = Receptor.model_validate({name: self.values.get(name) for name in FIELDS})
        return result.model_copy(update={"receptor": receptor})

    # -- fields ---------------------------------------------------------------------------------

    def check_rfc(self, confirmado: bool) -> str:
        rfc = normalize_rfc(self.raw.get("rfc"))
        if self.es_global and not rfc:
            rfc = RFC_GENERICO_NACIONAL
        self.values["rfc"] = rfc
        for message in rfc_problems(rfc):
            self.error("rfc", message)
        if check_digit_mismatch(rfc):
            self.warn(
                "rfc",
                Advertencia(
                    codigo=RFC_DIGITO_VERIFICADOR,
                    mensaje=(
                        "El dígito verificador del RFC no corresponde al cálculo del SAT. Revisa "
                        "que esté escrito exactamente como en tu Constancia de Situación Fiscal; "
                        "si es correcto, confírmalo (el SAT ha asignado algunos RFC que no siguen "
                        "ese cálculo)."
                    ),
                    confirmada=confirmado,
                ),
            )
        if self.es_global and rfc and rfc != RFC_GENERICO_NACIONAL:
            self.error(
                "rfc",
                "La factura global se emite al RFC genérico XAXX010101000 (público en general).",
            )
        if not self.es_global and rfc == RFC_GENERICO_NACIONAL:
            self.error(
                "rfc",
                "El RFC genérico XAXX010101000 (público en general) solo se usa en la factura "
                "global. Para una factura a tu nombre captura tu RFC; si no lo tienes, tu compra "
                "se incluye en la factura global.",
            )
        return rfc

    def check_lugar(self) -> None:
        if self.lugar is not None and not catalogs.codigo_postal_existe(self.lugar):
            self.error(
                "lugar_expedicion",
                f"El lugar de expedición {self.lugar} no es un código postal del catálogo del "
                "SAT (c_CodigoPostal).",
            )

    def check_nombre(self, rfc: str, tipo: TipoPersona | None) -> None:
        raw = self.raw.get("nombre", "")
        if rfc == RFC_GENERICO_NACIONAL and not raw.strip():
            raw = NOMBRE_PUBLICO_EN_GENERAL
        if len(raw) > 4 * NOMBRE_MAX:  # refuse to normalize absurd input
            self.values["nombre"] = raw[:NOMBRE_MAX]
            self.error("nombre", f"El nombre es demasiado largo; el máximo es {NOMBRE_MAX}.")
            return
        # Foreign names keep their suffixes: the Mexican capital regimes do not apply there.
        nombre = normalize_nombre(raw, None if is_generic(rfc) else tipo)
        if rfc == RFC_GENERICO_NACIONAL:
            if sin_acentos(nombre) == NOMBRE_PUBLICO_EN_GENERAL:
                nombre = NOMBRE_PUBLICO_EN_GENERAL
            else:
                self.error(
                    "nombre",
                    "Con el RFC genérico XAXX010101000 el nombre debe ser exactamente "
                    '"PUBLICO EN GENERAL".',
                )
        elif sin_acentos(nombre) == NOMBRE_PUBLICO_EN_GENERAL:
            # no taxpayer is registered under that name: the PAC's name check (CFDI40145) fails
            self.error(
                "nombre",
                '"PUBLICO EN GENERAL" es el nombre del RFC genérico XAXX010101000, no el de un '
                "contribuyente: escribe el nombre o razón social de tu Constancia de Situación "
                "Fiscal. Si no necesitas factura a tu nombre, tu compra se incluye en la factura "
                "global.",
            )
        self.values["nombre"] = nombre
        for message in nombre_problems(nombre):
            self.error("nombre", message)

    def check_codigo_postal(self, rfc: str) -> None:
        cp = "".join(self.raw.get("codigo_postal", "").split())
        if is_generic(rfc) and not cp and self.lugar:
            cp = self.lugar
        self.values["codigo_postal"] = cp
        if not cp:
            self.error("codigo_postal", "El código postal es obligatorio.")
        elif not (len(cp) == 5 and cp.isascii() and cp.isdigit()):
            hint = " (no omitas el cero inicial, por ejemplo 06600)" if len(cp) == 4 else ""
            self.error("codigo_postal", f"El código postal debe tener 5 dígitos{hint}.")
        elif not catalogs.codigo_postal_existe(cp):
            self.error(
                "codigo_postal",
                f"El código postal {cp} no existe en el catálogo del SAT (c_CodigoPostal).",
            )
        if is_generic(rfc) and cp and self.lugar and cp != self.lugar:
            self.error(
                "codigo_postal",
                f"Con el RFC genérico {rfc} el código postal debe ser el del lugar de "
                f"expedición ({self.lugar}).",
            )

    def check_regimen(self, rfc: str, tipo: TipoPersona | None) -> catalogs.RegimenFiscal | None:
        regimen = _clave(self.raw.get("regimen_fiscal", ""))
        if is_generic(rfc) and not regimen:
            regimen = REGIMEN_SIN_OBLIGACIONES
        self.values["regimen_fiscal"] = regimen
        if not regimen:
            self.error("regimen_fiscal", "El régimen fiscal es obligatorio.")
            return None
        row = catalogs.regimenes_fiscales().get(regimen)
        if row is None:
            self.error(
                "regimen_fiscal",
                f"El régimen fiscal {regimen} no existe en el catálogo del SAT para CFDI 4.0 "
                "(c_RegimenFiscal).",
            )
            return None
        if is_generic(rfc):
            if regimen != REGIMEN_SIN_OBLIGACIONES:
                self.error(
                    "regimen_fiscal",
                    f"Con el RFC genérico {rfc} el régimen fiscal debe ser 616 "
                    "(Sin obligaciones fiscales).",
                )
        elif tipo is not None and not (row.fisica if tipo is TipoPersona.FISICA else row.moral):
            otro = TipoPersona.MORAL if tipo is TipoPersona.FISICA else TipoPersona.FISICA
            self.error(
                "regimen_fiscal",
                f"El régimen {_label(regimen, row.descripcion)} es solo para "
                f"{otro.etiqueta_plural}; el RFC de {len(rfc)} caracteres es de {tipo.etiqueta}.",
            )
        return row

    def check_uso(
        self, rfc: str, tipo: TipoPersona | None, regimen: catalogs.RegimenFiscal | None
    ) -> None:
        uso = _clave(self.raw.get("uso_cfdi", ""))
        required_generic = USO_PAGOS if self.tipo_comprobante == "P" else USO_SIN_EFECTOS
        if is_generic(rfc) and not uso:
            uso = required_generic
        self.values["uso_cfdi"] = uso
        if not uso:
            self.error("uso_cfdi", "El uso del CFDI es obligatorio.")
            return
        if uso == "P01":
            self.error(
                "uso_cfdi",
                "El uso P01 (Por definir) ya no existe en CFDI 4.0; elige el uso que darás a la "
                "factura, por ejemplo G03 (Gastos en general) o S01 (Sin efectos fiscales).",
            )
            return
        row = catalogs.usos_cfdi().get(uso)
        if row is None:
            self.error(
                "uso_cfdi", f"El uso del CFDI {uso} no existe en el catálogo del SAT (c_UsoCFDI)."
            )
            return
        if not self._fits_comprobante(uso):
            self.error("uso_cfdi", self._comprobante_message(uso))
            return
        if is_generic(rfc):
            if uso != required_generic:
                self.error(
                    "uso_cfdi",
                    f"Con el RFC genérico {rfc} el uso del CFDI debe ser {required_generic} "
                    f"({catalogs.usos_cfdi()[required_generic].descripcion}).",
                )
            return
        if tipo is not None and not (row.fisica if tipo is TipoPersona.FISICA else row.moral):
            otro = TipoPersona.MORAL if tipo is TipoPersona.FISICA else TipoPersona.FISICA
            self.error(
                "uso_cfdi",
                f"El uso {_label(uso, row.descripcion)} solo aplica a {otro.etiqueta_plural}; "
                f"el RFC es de {tipo.etiqueta}.",
            )
            return
        if regimen is not None and regimen.clave not in row.regimenes:
            allowed = self._usos_for(regimen.clave, tipo)
            hint = f" Usos permitidos para ese régimen: {', '.join(allowed)}." if allowed else ""
            self.error(
                "uso_cfdi",
                f"El uso {uso} no está permitido para el régimen "
                f"{_label(regimen.clave, regimen.descripcion)}.{hint}",
            )

    def _fits_comprobante(self, uso: str) -> bool:
        if self.tipo_comprobante == "P":
            return uso == USO_PAGOS
        if uso == USO_PAGOS:
            return False
        return uso != USO_NOMINA or self.tipo_comprobante == "N"

    def _comprobante_message(self, uso: str) -> str:
        if self.tipo_comprobante == "P":
            return "En un comprobante de pago el uso del CFDI debe ser CP01 (Pagos)."
        if uso == USO_PAGOS:
            return "El uso CP01 (Pagos) solo se usa en comprobantes de pago (complemento de pagos)."
        return "El uso CN01 (Nómina) solo se usa en recibos de nómina."

    def _usos_for(self, regimen: str, tipo: TipoPersona | None) -> list[str]:
        return [
            row.clave
            for row in catalogs.usos_cfdi().values()
            if regimen in row.regimenes
            and self._fits_comprobante(row.clave)
            and (tipo is None or (row.fisica if tipo is TipoPersona.FISICA else row.moral))
        ]

    def check_email(self) -> None:
        email = self.raw.get("email", "").strip()
        if not email:
            self.values["email"] = None
            return
        local, at, domain = email.rpartition("@")
        if at:
            email = f"{local}@{domain.lower()}"
        self.values["email"] = email
        if len(email) > EMAIL_MAX:
            self.error(
                "email",
                f"El correo electrónico tiene {len(email)} caracteres; el máximo es {EMAIL_MAX}.",
            )
        elif any(ch.isspace() for ch in email):
            self.error("email", "El correo electrónico no debe contener espacios.")
        elif not at:
            self.error("email", "Al correo electrónico le falta la @ (nombre@dominio.com).")
        elif (
            len(local) > 64
            or not _EMAIL_LOCAL.fullmatch(local)
            or not _EMAIL_DOMAIN.fullmatch(domain)
        ):
            self.error(
                "email",
                "El correo electrónico no es válido; debe tener la forma nombre@dominio.com.",
            )

    def check_extranjero(self, rfc: str) -> None:
        residencia = self.raw.get("residencia_fiscal", "").strip().upper() or None
        registro = " ".join(self.raw.get("num_reg_id_trib", "").split()) or None
        self.values["residencia_fiscal"] = residencia
        self.values["num_reg_id_trib"] = registro
        foreign = rfc == RFC_GENERICO_EXTRANJERO
        if residencia is not None:
            if not foreign:
                self.error(
                    "residencia_fiscal",
                    "La residencia fiscal solo se indica con el RFC genérico de residentes en el "
                    "extranjero (XEXX010101000).",
                )
            elif residencia == "MEX":
                self.error(
                    "residencia_fiscal",
                    "La residencia fiscal de un residente en el extranjero no puede ser México.",
                )
            elif residencia not in catalogs.paises():
                self.error(
                    "residencia_fiscal",
                    f"La residencia fiscal {residencia} no existe en el catálogo de países del SAT "
                    "(c_Pais, clave de 3 letras como USA).",
                )
        if registro is not None:
            if not foreign:
                self.error(
                    "num_reg_id_trib",
                    "El número de registro de identidad fiscal solo se indica con el RFC genérico "
                    "de residentes en el extranjero (XEXX010101000).",
                )
            elif len(registro) > 40 or "|" in registro:
                self.error(
                    "num_reg_id_trib",
                    "El número de registro de identidad fiscal debe tener de 1 a 40 caracteres, "
                    "sin |.",
                )
            elif residencia is None:
                self.error(
                    "residencia_fiscal",
                    "Indica la residencia fiscal (país) del número de registro de identidad "
                    "fiscal.",
                )
            else:
                self.check_registro_format(residencia, registro)

    def check_registro_format(self, residencia: str, registro: str) -> None:
        """NumRegIdTrib in the format c_Pais publishes for the country (CFDI40156); separators
        typed in a digits-only number (an EIN's dash) are dropped."""
        formato = catalogs.formato_registro_tributario(residencia)
        if formato is None:
            return
        if re.fullmatch(formato, registro):
            return
        compact = re.sub(r"[\s.-]", "", registro)
        if re.fullmatch(formato, compact):
            self.values["num_reg_id_trib"] = compact
            return
        pais = catalogs.paises().get(residencia, residencia)
        self.error(
            "num_reg_id_trib",
            f"Para {pais} el número de registro de identidad fiscal debe tener el formato del "
            f"catálogo c_Pais del SAT: {_describe_format(formato)}.",
        )
