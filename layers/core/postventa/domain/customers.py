"""A seller's customers (DOMAIN.md, "Customer records"): who they are, how to reach them, how they
are invoiced, and the rules a record must keep.

- RFC is the natural key per tenant (one customer per RFC; the two generic RFCs excepted, which
  many foreign or anonymous customers share) and never changes: another RFC is another customer.
- Persona física: at least 4 of nombre, primer nombre, segundo nombre, primer apellido and
  segundo apellido; persona moral or otro: one name (razón social), nothing else.
- One primary email per tenant's customer (unique among the tenant's customers), plus any
  number of emails to notify.
- Customers are never erased: deactivated ones are hidden by default and can be reactivated.
- Every change is an audit entry (who, when, each field before and after).

Search without scans: `index_terms` lists the index entries a customer has (storage writes one
item per entry, keyed so a prefix query answers "RFC starts with", "name has a word starting
with", "zone is", ...). decision 0017 says why.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from postventa.domain.orders import single_email


class PersonType(StrEnum):
    FISICA = "fisica"
    MORAL = "moral"
    OTRO = "otro"


PERSON_LABELS = {
    PersonType.FISICA: "Persona física",
    PersonType.MORAL: "Persona moral",
    PersonType.OTRO: "Otro",
}
NAME_PARTS = ("nombre", "primer_nombre", "segundo_nombre", "primer_apellido", "segundo_apellido")
GENERIC_RFCS = frozenset({"XAXX010101000", "XEXX010101000"})
MAX_NOTIFY_EMAILS = 20

# c_FormaPago (catCFDI_V_4): the payment forms a customer may be invoiced with by default.
FORMAS_PAGO = frozenset(
    {"01", "02", "03", "04", "05", "06", "08", "12", "13", "14", "15", "17"}
    | {"23", "24", "25", "26", "27", "28", "29", "30", "31", "99"}
)


class CustomerData(BaseModel):
    """What a person edits about a customer (and the billing form fills)."""

    model_config = ConfigDict(str_strip_whitespace=True, hide_input_in_errors=True)

    tipo_persona: PersonType
    nombre: str = Field("", max_length=254)
    primer_nombre: str = Field("", max_length=80)
    segundo_nombre: str = Field("", max_length=80)
    primer_apellido: str = Field("", max_length=80)
    segundo_apellido: str = Field("", max_length=80)
    rfc: str = Field(max_length=13)
    email: str = Field("", max_length=254)
    emails_notificar: list[str] = Field(default_factory=list)
    telefono: str = Field("", max_length=30)
    celular: str = Field("", max_length=30)
    observaciones: str = Field("", max_length=2000)
    calle: str = Field("", max_length=200)
    colonia: str = Field("", max_length=120)
    ciudad: str = Field("", max_length=120)
    estado: str = Field("", max_length=60)
    codigo_postal: str = Field("", max_length=5)
    zona: str = Field("", max_length=60)
    vendedor: str = Field("", max_length=80)
    cobrador: str = Field("", max_length=80)
    # billing settings
    facturacion_habilitada: bool = True
    emisor_rfc: str = Field("", max_length=13, description="which of the tenant's issuers")
    regimen_fiscal: str = Field("", max_length=3)
    uso_cfdi: str = Field("", max_length=4)
    forma_pago: str = Field("", max_length=2)
    metodo_pago: Literal["", "PUE", "PPD"] = ""
    # what the product emails them
    avisar_factura: bool = Field(True, description="email issued invoices (primary and notify)")
    avisar_pago: bool = Field(True, description="email when a payment is created (primary)")

    @property
    def display_name(self) -> str:
        if self.tipo_persona is PersonType.FISICA and not self.nombre:
            parts = (
                self.primer_nombre,
                self.segundo_nombre,
                self.primer_apellido,
                self.segundo_apellido,
            )
            return " ".join(p for p in parts if p)
        return self.nombre

    def name_fields(self) -> dict[str, str]:
        return {part: getattr(self, part) for part in NAME_PARTS}


class Customer(CustomerData):
    """A customer as stored."""

    tenant_id: str
    customer_id: str
    active: bool = True
    origin: Literal["manual", "formulario"] = "manual"
    created_at: str
    updated_at: str
    version: int = Field(1, ge=1, description="optimistic concurrency: each save adds one")
    invoice_count: int = Field(0, ge=0, description="invoices stamped for them")
    # Filled by the documents-and-payments issue; zero until then, never invented.
    unpaid_count: int = 0
    unpaid_total: Decimal = Decimal("0")
    credit: Decimal = Decimal("0")
    payment_gateways: list[str] = Field(default_factory=list)

    def data(self) -> CustomerData:
        return CustomerData.model_validate(self.model_dump(include=set(CustomerData.model_fields)))


# ---------------------------------------------------------------- the rules
def _digits_ok(phone: str) -> bool:
    return not phone or bool(re.fullmatch(r"[0-9 +()\-.]{7,30}", phone))


def problems(data: CustomerData) -> dict[str, str]:
    """Every field in error (field -> Spanish message); empty means the customer may be saved."""
    from postventa.cfdi import catalogs
    from postventa.cfdi.rfc import TipoPersona, rfc_problems, tipo_persona

    found: dict[str, str] = {}
    names = data.name_fields()
    if data.tipo_persona is PersonType.FISICA:
        if sum(1 for v in names.values() if v) < 4:
            found["primer_nombre"] = (
                "Para una persona física escribe al menos 4 de estos 5 datos: nombre, primer "
                "nombre, segundo nombre, primer apellido y segundo apellido."
            )
    else:
        if not data.nombre:
            found["nombre"] = "Escribe el nombre o razón social."
        if any(names[p] for p in NAME_PARTS[1:]):
            found["primer_nombre"] = (
                "Una persona moral u «otro» lleva un solo nombre: deja vacíos los nombres y "
                "apellidos por separado."
            )
    rfc = data.rfc.upper()
    rfc_errors = rfc_problems(rfc)
    tipo = tipo_persona(rfc)
    if rfc_errors:
        found["rfc"] = rfc_errors[0]
    elif rfc in GENERIC_RFCS:
        if data.tipo_persona is not PersonType.OTRO:
            found["rfc"] = (
                f"El RFC genérico {rfc} es de «otro» (público en general o extranjero), no de "
                "una persona física o moral."
            )
    elif data.tipo_persona is PersonType.FISICA and tipo is not TipoPersona.FISICA:
        found["rfc"] = "El RFC de una persona física tiene 13 caracteres."
    elif data.tipo_persona is PersonType.MORAL and tipo is not TipoPersona.MORAL:
        found["rfc"] = "El RFC de una persona moral tiene 12 caracteres."
    if data.email and single_email(data.email) is None:
        found["email"] = "El correo principal no es una dirección válida."
    bad = [e for e in data.emails_notificar if single_email(e) is None]
    if bad:
        found["emails_notificar"] = f"No es una dirección válida: {bad[0]}."
    elif len(data.emails_notificar) > MAX_NOTIFY_EMAILS:
        found["emails_notificar"] = f"Hasta {MAX_NOTIFY_EMAILS} correos a notificar."
    elif data.email and data.email.lower() in {e.lower() for e in data.emails_notificar}:
        found["emails_notificar"] = "El correo principal ya recibe los avisos: quítalo de aquí."
    for phone in ("telefono", "celular"):
        if not _digits_ok(getattr(data, phone)):
            found[phone] = "Escribe solo números (con lada), espacios, guiones o paréntesis."
    if data.codigo_postal and not catalogs.codigo_postal_existe(data.codigo_postal):
        found["codigo_postal"] = "El código postal no está en el catálogo del SAT."
    _billing_problems(data, tipo, found)
    return found


def _billing_problems(data: CustomerData, tipo: Any, found: dict[str, str]) -> None:
    from postventa.cfdi import catalogs
    from postventa.cfdi.rfc import TipoPersona

    regimen = catalogs.regimenes_fiscales().get(data.regimen_fiscal)
    if data.regimen_fiscal and regimen is None:
        found["regimen_fiscal"] = "Elige un régimen fiscal del catálogo del SAT."
    elif (
        regimen is not None
        and tipo is not None
        and not (regimen.fisica if tipo is TipoPersona.FISICA else regimen.moral)
    ):
        found["regimen_fiscal"] = f"El régimen {regimen.clave} no es de {tipo.etiqueta_plural}."
    uso = catalogs.usos_cfdi().get(data.uso_cfdi)
    if data.uso_cfdi and uso is None:
        found["uso_cfdi"] = "Elige un uso del CFDI del catálogo del SAT."
    elif uso is not None and regimen is not None and regimen.clave not in uso.regimenes:
        found["uso_cfdi"] = f"El uso {uso.clave} no aplica al régimen {regimen.clave}."
    if data.forma_pago and data.forma_pago not in FORMAS_PAGO:
        found["forma_pago"] = "Elige una forma de pago del catálogo c_FormaPago."
    elif data.forma_pago == "99" and data.metodo_pago != "PPD":
        found["forma_pago"] = "La forma de pago 99 (Por definir) solo va con el método PPD."


def is_rename(before: CustomerData, after: CustomerData) -> bool:
    return before.name_fields() != after.name_fields() or before.tipo_persona != after.tipo_persona


# ---------------------------------------------------------------- names from the billing form
_PARTICLES = frozenset({"DE", "DEL", "LA", "LAS", "LOS", "Y", "MC", "VAN", "VON", "DA", "DI"})


def split_full_name(full: str) -> dict[str, str]:
    """A persona física's name as SAT's register writes it ("NOMBRE(S) APELLIDO1 APELLIDO2"),
    split into the record's parts: particles (DE, LA, DEL...) stay with the word after them.
    A best effort the seller can correct: compound surnames cannot be told apart from a
    second given name."""
    words: list[str] = []
    pending: list[str] = []
    for word in full.split():
        pending.append(word)
        if word.upper() not in _PARTICLES:
            words.append(" ".join(pending))
            pending = []
    if pending:
        words.append(" ".join(pending))
    parts = dict.fromkeys(NAME_PARTS[1:], "")
    if len(words) >= 3:
        parts.update(
            primer_nombre=words[0],
            segundo_nombre=" ".join(words[1:-2]),
            primer_apellido=words[-2],
            segundo_apellido=words[-1],
        )
    elif len(words) == 2:
        parts.update(primer_nombre=words[0], primer_apellido=words[1])
    elif words:
        parts.update(primer_nombre=words[0])
    return parts


# ---------------------------------------------------------------- search terms
def fold(text: str) -> str:
    """How text is compared in searches: upper case, no accents, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.upper().split())


def sort_key(customer: CustomerData) -> str:
    return fold(customer.display_name)[:80] or "~"


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^0-9A-ZÑ&]+", fold(text)) if len(w) >= 2]


def _digits(phone: str) -> str:
    return re.sub(r"[^0-9]", "", phone)


#: Searchable fields: `prefix` ones answer "starts with" (names by word), `exact` ones "is".
PREFIX_FIELDS = ("rfc", "palabra", "email", "telefono")
EXACT_FIELDS = (
    "zona",
    "vendedor",
    "cobrador",
    "ciudad",
    "estado",
    "codigo_postal",
    "tipo_persona",
    "regimen_fiscal",
    "uso_cfdi",
    "forma_pago",
    "emisor_rfc",
    "facturacion",
)
#: The order a search's driving field is chosen in: the most selective first.
SELECTIVITY = (
    "rfc",
    "email",
    "telefono",
    "palabra",
    "codigo_postal",
    "vendedor",
    "cobrador",
    "zona",
    "ciudad",
    "estado",
    "emisor_rfc",
    "regimen_fiscal",
    "uso_cfdi",
    "forma_pago",
    "tipo_persona",
    "facturacion",
)


def exact_value(customer: CustomerData, field: str) -> str:
    if field == "facturacion":
        return "SI" if customer.facturacion_habilitada else "NO"
    return fold(str(getattr(customer, field)))


def index_terms(customer: CustomerData) -> set[tuple[str, str]]:
    """(field, value) of every index entry the customer has; every entry is also sorted by name
    within its value, so a listing comes back in name order."""
    terms: set[tuple[str, str]] = {("orden", "")}
    terms.add(("rfc", customer.rfc.upper()))
    terms.update(("palabra", w) for w in _words(customer.display_name))
    for address in (customer.email, *customer.emails_notificar):
        if address:
            terms.add(("email", address.lower()))
    for phone in (customer.telefono, customer.celular):
        if len(_digits(phone)) >= 4:
            terms.add(("telefono", _digits(phone)))
    for field in EXACT_FIELDS:
        value = exact_value(customer, field)
        if value:
            terms.add((field, value))
    return terms


# ---------------------------------------------------------------- searching
class CustomerQuery(BaseModel):
    """What the search form asks: a free text (name words, RFC, email or phone), any exact field,
    and which customers (active by default)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    texto: str = Field("", max_length=100)
    zona: str = Field("", max_length=60)
    vendedor: str = Field("", max_length=80)
    cobrador: str = Field("", max_length=80)
    ciudad: str = Field("", max_length=120)
    estado: str = Field("", max_length=60)
    codigo_postal: str = Field("", max_length=5)
    tipo_persona: str = Field("", max_length=10)
    regimen_fiscal: str = Field("", max_length=3)
    uso_cfdi: str = Field("", max_length=4)
    forma_pago: str = Field("", max_length=2)
    emisor_rfc: str = Field("", max_length=13)
    facturacion: Literal["", "SI", "NO"] = ""
    estatus: Literal["activos", "inactivos", "todos"] = "activos"

    def conditions(self) -> list[tuple[str, str, bool]]:
        """(field, folded value, is_prefix) for each condition asked."""
        out: list[tuple[str, str, bool]] = []
        text = self.texto
        if text:
            bare = text.replace(" ", "")
            if "@" in text:
                out.append(("email", text.lower(), True))
            elif re.fullmatch(r"[0-9 +()\-.]{4,}", text):
                out.append(("telefono", _digits(text), True))
            elif re.fullmatch(r"[A-ZÑ&a-zñ]{3,4}[0-9][0-9A-Za-z]*", bare):
                out.append(("rfc", bare.upper(), True))
            else:
                out.extend(("palabra", w, True) for w in _words(text))
        for field in EXACT_FIELDS:
            value = getattr(self, field)
            if value:
                out.append((field, value if field == "facturacion" else fold(value), False))
        return out

    def statuses(self) -> tuple[bool, ...]:
        return {"activos": (True,), "inactivos": (False,), "todos": (True, False)}[self.estatus]


def driving_condition(conditions: list[tuple[str, str, bool]]) -> tuple[str, str, bool]:
    """The condition whose index entries a search reads (the most selective one); the others
    are checked on the customers it finds. No condition: the whole list in name order."""
    if not conditions:
        return ("orden", "", True)
    return min(conditions, key=lambda c: SELECTIVITY.index(c[0]))


def matches(customer: Customer, conditions: Iterable[tuple[str, str, bool]]) -> bool:
    conditions = list(conditions)
    if not conditions:
        return True
    terms = index_terms(customer)
    by_field: dict[str, list[str]] = {}
    for field, value in terms:
        by_field.setdefault(field, []).append(value)
    for field, wanted, prefix in conditions:
        values = by_field.get(field, [])
        if prefix and not any(v.startswith(wanted) for v in values):
            return False
        if not prefix and wanted not in values:
            return False
    return True


# ---------------------------------------------------------------- audit
class FieldChange(BaseModel):
    campo: str
    antes: str
    despues: str


class AuditEntry(BaseModel):
    """One change of one customer: who, when, what, and each field before and after."""

    customer_id: str
    at: str
    change_id: str
    action: Literal["alta", "cambio", "desactivacion", "reactivacion", "cambio_masivo"]
    by: str  # the person's email, "formulario de facturación", or "sistema"
    changes: list[FieldChange] = Field(default_factory=list)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "sí" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    """Each field whose value changed, as the audit shows it."""
    shown = ((name, _shown(before.get(name, "")), _shown(value)) for name, value in after.items())
    return [FieldChange(campo=n, antes=old, despues=new) for n, old, new in shown if old != new]


# ---------------------------------------------------------------- orders and invoices
class CustomerOrder(BaseModel):
    """An order whose buyer gave this customer's RFC, and its invoice once stamped."""

    channel: str
    order_id: str
    order_number: str
    paid_at: str
    total: str
    currency: str
    invoice_uuid: str | None = None
    invoice_folio: str | None = None
    invoice_total: str | None = None
    stamped_at: str | None = None


SaveOutcome = Literal[
    "guardado", "ya_aplicado", "conflicto_version", "rfc_ocupado", "email_ocupado"
]


# ---------------------------------------------------------------- background jobs
class CustomerJob(BaseModel):
    """A mass update or an export, run in the background and safe to run again halfway."""

    tenant_id: str
    job_id: str
    kind: Literal["cambio_masivo", "exportacion"]
    created_at: str
    created_by: str  # the person's email (who is notified)
    status: Literal["pendiente", "en_curso", "terminado", "fallido"] = "pendiente"
    query: CustomerQuery | None = None
    ids: list[str] | None = None  # selected customers (else every one the query finds)
    changes: dict[str, Any] = Field(default_factory=dict)
    cursor: str | None = None
    processed: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[str] = Field(default_factory=list)
    file_key: str | None = None
    finished_at: str | None = None
